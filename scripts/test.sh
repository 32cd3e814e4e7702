#!/usr/bin/env bash
# The whole test suite: ruff, then pytest on PostgreSQL and Redis with headless Chromium.
# Extra arguments go to pytest, e.g. scripts/test.sh tests/cases -k ageing
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup-env.sh" requirements-dev.txt
source "$ROOT/scripts/services.sh"
cd "$ROOT"
echo "== ruff"
ruff check .
ruff format --check . >/dev/null || { ruff format --check .; exit 1; }
echo "== pytest"
set +e
python -m pytest "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
  echo "pytest collected no tests: that is a failure here." >&2
  exit 1
fi
exit "$status"
