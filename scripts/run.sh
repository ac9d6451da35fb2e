#!/usr/bin/env bash
# Install what is needed and start kesu on SQLite with a preset and demo data (web + worker).
# Options pass through to `kesu serve`: --host, --port, --preset NAME, --no-demo.
source "$(dirname "$0")/ensure-uv.sh"
source scripts/ensure-pdf.sh
exec python3 -m uv run --frozen kesu serve "$@"
