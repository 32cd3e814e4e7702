# Sourced by scripts/run.sh and scripts/test.sh: a virtualenv with the pinned requirements.
# Re-installs only when a requirements file changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
REQ="${1:-requirements.txt}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
STAMP=".venv/.installed-$(cat requirements.txt "$REQ" | sha256sum | cut -c1-16)"
if [ ! -f "$STAMP" ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$REQ"
  touch "$STAMP"
fi
export PATH="$ROOT/.venv/bin:$PATH"
