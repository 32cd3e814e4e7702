#!/usr/bin/env bash
# Restore a pg_dump -Fc backup into a NEW database (never over a live one), then check it.
#   scripts/restore.sh DUMP_FILE TARGET_DATABASE_URL
# The target database must not exist yet; it is created on the same server. Point the app at it
# (DATABASE_URL) once the counts printed at the end match those of the source.
set -euo pipefail
DUMP="${1:?dump file}"
TARGET="${2:?target database URL, e.g. postgres://postgres@127.0.0.1:5432/courtflow_restored}"
NAME="${TARGET##*/}"
NAME="${NAME%%\?*}"
SERVER="${TARGET%/*}/postgres"
psql -X -q -v ON_ERROR_STOP=1 "$SERVER" -c "CREATE DATABASE \"$NAME\""
pg_restore --exit-on-error --no-owner --no-privileges --jobs=2 --dbname="$TARGET" "$DUMP"
psql -X -q -A -t -v ON_ERROR_STOP=1 "$TARGET" -c "
  SELECT 'cases ' || (SELECT count(*) FROM cases_case)
    || ', alerts ' || (SELECT count(*) FROM alerts_alert)
    || ', plans ' || (SELECT count(*) FROM alerts_clearanceplan)
    || ', bulletins ' || (SELECT count(*) FROM reports_bulletin)
    || ', bulletin items ' || (SELECT count(*) FROM reports_bulletinitem)"
