#!/usr/bin/env bash
# Install and run the whole app: web, Celery worker and beat, with demo data.
# Embedded defaults (SQLite, filesystem broker) unless DATABASE_URL / CELERY_BROKER_URL are set.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup-env.sh" requirements.txt
cd "$ROOT"
export DEBUG="${DEBUG:-1}"
# Bulletin PDFs need a font that draws Chinese (without one, rendering refuses rather than print boxes).
if ! python -c "import sys; from reports.fonts import cjk_font_families; sys.exit(not cjk_font_families())"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "No Chinese font found: installing fonts-wqy-microhei for the bulletin PDFs."
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null
  else
    echo "CourtFlow needs a font that draws Chinese for its bulletin PDFs, and none is installed." >&2
    echo "Install one, then run 'make run' again. On Debian or Ubuntu:" >&2
    echo "    sudo apt-get install fonts-noto-cjk      (or fonts-wqy-microhei)" >&2
    exit 1
  fi
fi
PORT="${PORT:-8000}"
DEMO_CASES="${DEMO_CASES:-30000}"
python manage.py migrate --no-input -v0
SEEDED="$(python manage.py seed_demo --if-empty --cases "$DEMO_CASES")"
echo "$SEEDED"
if ! grep -q "nothing to do" <<<"$SEEDED"; then
  # A fresh demo court: run the jobs once so that alerts, the week's dispatch lists, twelve months
  # of dashboard trends and last month's bulletin draft are there from the first page.
  python manage.py track_daily
  python manage.py dispatch_weekly
  python manage.py snapshot_figures --from "$(date -d '12 months ago' +%Y-%m-%d)" --to "$(date +%Y-%m-%d)"
  python manage.py snapshot_figures
  python manage.py build_bulletin
fi
python manage.py install_schedules
python manage.py collectstatic --no-input -v0
celery -A courtflow worker -B --loglevel INFO --concurrency 2 &
WORKER=$!
trap 'kill -TERM $WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT INT TERM
echo "CourtFlow on http://127.0.0.1:$PORT/ (Ctrl-C stops web, worker and beat)"
python manage.py runserver "127.0.0.1:$PORT" --noreload
