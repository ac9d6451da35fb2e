# Sourced by the other scripts: makes `uv` available (from PyPI) and syncs the locked env.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! python3 -m uv --version >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
uv() { python3 -m uv "$@"; }
uv sync --frozen --quiet
