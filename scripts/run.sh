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
