#!/usr/bin/env bash
# Install and run the whole app: web, Celery worker and beat, with demo data.
# Embedded defaults (SQLite, filesystem broker) unless DATABASE_URL / CELERY_BROKER_URL are set.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup-env.sh" requirements.txt
cd "$ROOT"
export DEBUG="${DEBUG:-1}"
PORT="${PORT:-8000}"
DEMO_CASES="${DEMO_CASES:-30000}"
python manage.py migrate --no-input -v0
python manage.py seed_demo --if-empty --cases "$DEMO_CASES"
python manage.py install_schedules
python manage.py collectstatic --no-input -v0
celery -A courtflow worker -B --loglevel INFO --concurrency 2 &
WORKER=$!
trap 'kill -TERM $WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT INT TERM
echo "CourtFlow on http://127.0.0.1:$PORT/ (Ctrl-C stops web, worker and beat)"
python manage.py runserver "127.0.0.1:$PORT" --noreload
