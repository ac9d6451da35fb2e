#!/usr/bin/env bash
# Install what is needed and run the whole test suite (SQLite by default; set DATABASE_URL
# to run it on PostgreSQL). Extra arguments go to pytest. The suite runs on every core
# (pytest-xdist, one test file per worker at a time; KESU_TEST_WORKERS=0 runs it in one
# process).
source "$(dirname "$0")/ensure-uv.sh"
source scripts/ensure-browser.sh
source scripts/ensure-pdf.sh
source scripts/ensure-dovecot.sh
source scripts/ensure-pgclient.sh
set +e
python3 -m uv run --frozen pytest -n "${KESU_TEST_WORKERS:-auto}" --dist loadfile "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "no tests were collected: that is a failure" >&2
  exit 1
fi
exit "$status"
