#!/usr/bin/env bash
# Install what is needed and run the whole test suite (SQLite by default; set DATABASE_URL
# to run it on PostgreSQL). Extra arguments go to pytest.
source "$(dirname "$0")/ensure-uv.sh"
source scripts/ensure-browser.sh
source scripts/ensure-pdf.sh
source scripts/ensure-dovecot.sh
source scripts/ensure-pgclient.sh
set +e
python3 -m uv run --frozen pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "no tests were collected: that is a failure" >&2
  exit 1
fi
exit "$status"
