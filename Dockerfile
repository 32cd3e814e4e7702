FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 COURTFLOW_VAR_DIR=/var/lib/courtflow \
    COURTFLOW_STATIC_ROOT=/app/staticfiles
# A CJK font so that bulletin PDFs render Chinese glyphs; curl for health checks.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei curl \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DEBUG=0 SECRET_KEY=build-only python manage.py collectstatic --no-input -v0 \
    && useradd --system --home /var/lib/courtflow courtflow \
    && mkdir -p /var/lib/courtflow && chown -R courtflow /var/lib/courtflow
USER courtflow
EXPOSE 8000
CMD ["gunicorn", "courtflow.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4", "--timeout", "120", "--graceful-timeout", "30", "--access-logfile", "-"]
