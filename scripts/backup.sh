#!/usr/bin/env bash
# Back up a running CourtFlow database: one consistent pg_dump snapshot in custom format (-Fc).
#   scripts/backup.sh [DATABASE_URL] [OUTPUT_FILE]
# DATABASE_URL defaults to the environment's; OUTPUT_FILE to backups/courtflow-YYYYmmdd-HHMMSS.dump.
# The web, worker and beat keep running: pg_dump reads one snapshot and blocks no writer.
set -euo pipefail
URL="${1:-${DATABASE_URL:?set DATABASE_URL or pass it as the first argument}}"
OUT="${2:-backups/courtflow-$(date +%Y%m%d-%H%M%S).dump}"
mkdir -p "$(dirname "$OUT")"
pg_dump --format=custom --no-owner --no-privileges --file="$OUT.partial" "$URL"
mv "$OUT.partial" "$OUT"   # a file named .dump is always a complete dump
echo "$OUT"
