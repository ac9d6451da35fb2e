#!/usr/bin/env bash
# Exercise the production deployment of docs/deployment.md on this machine, on loopback only:
# a fresh PostgreSQL database, migrate, collectstatic, a policy, gunicorn (3 workers, config
# kesu.gunicorn_conf) and 2 `kesu worker` processes with KESU_ENV=production, then check
# /healthz, a static file's cache headers, a complaint created through the API and delivered
# by the workers, JSON log lines, `kesu check --deploy`; stop everything (SIGTERM) and drop
# the database. Exits non-zero on the first failure; bounded in time (KESU_DEPLOYCHECK_TIMEOUT,
# 150 s; each command at most 90 s: about 25 s on an idle 2-CPU machine, mostly migrate and
# collectstatic).
#
#   bash scripts/deploy-check.sh
#
# KESU_DEPLOYCHECK_PG: the server (default postgres://postgres@127.0.0.1:5432); the database
# kesu_deploycheck is created there and dropped at the end (KESU_DEPLOYCHECK_DB to rename it).
# TLS is not used on the wire: requests carry X-Forwarded-Proto: https as a reverse proxy
# would, with KESU_BEHIND_PROXY=1, so the production TLS settings are the ones exercised.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-uv.sh >/dev/null

SERVER="${KESU_DEPLOYCHECK_PG:-postgres://postgres@127.0.0.1:5432}"
DB="${KESU_DEPLOYCHECK_DB:-kesu_deploycheck}"
LIMIT="${KESU_DEPLOYCHECK_TIMEOUT:-150}"
DEADLINE=$((SECONDS + LIMIT))
PY="$(python3 -m uv run --frozen python -c 'import sys; print(sys.executable)')"
WORK="$(mktemp -d -t kesu-deploycheck.XXXXXX)"
PIDS=()

step() { printf '[deploy-check %3ds] %s\n' "$SECONDS" "$*"; }
fail() {
  printf '[deploy-check] FAILED: %s\n' "$*" >&2
  for log in "$WORK"/*.log; do
    [ -f "$log" ] && { echo "--- $log (last 20 lines)" >&2; tail -n 20 "$log" >&2; }
  done
  exit 1
}
in_time() { [ "$SECONDS" -lt "$DEADLINE" ] || fail "out of time (limit $LIMIT s)"; }

# psql-free database administration through psycopg (a dependency already).
pg_admin() {
  "$PY" - "$SERVER/postgres" "$@" <<'EOF'
import sys
import psycopg
url, verb, name = sys.argv[1:4]
with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if verb == "create":
        conn.execute(f'CREATE DATABASE "{name}"')
EOF
}

cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  pg_admin drop "$DB" || status=1
  rm -rf "$WORK"
  if [ "$status" -eq 0 ]; then step "OK"; fi
  exit "$status"
}
trap cleanup EXIT

PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
export KESU_ENV=production
export KESU_SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
export KESU_ALLOWED_HOSTS="127.0.0.1,localhost"
export KESU_TLS=1 KESU_BEHIND_PROXY=1
export DATABASE_URL="$SERVER/$DB"
export KESU_DATA_DIR="$WORK/data"
export KESU_BASE_URL="https://localhost"
export KESU_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
export KESU_SMS_GATEWAY="kesu.outbox.sms.ConsoleSmsGateway"
export KESU_LOG_FORMAT=json
unset KESU_DEBUG
kesu() { timeout 90 "$PY" -m kesu.cli "$@"; }
https_curl() { curl -sS --max-time 10 -H 'X-Forwarded-Proto: https' "$@"; }

step "database $DB on $SERVER"
pg_admin create "$DB" || fail "cannot create the database (is PostgreSQL running?)"
step "migrate"
kesu migrate --skip-checks --noinput -v 0 >"$WORK/migrate.log" 2>&1 || fail "migrate"
step "collectstatic"
kesu collectstatic --skip-checks --noinput -v 0 >"$WORK/collectstatic.log" 2>&1 || fail "collectstatic"
[ -f "$KESU_DATA_DIR/static/staticfiles.json" ] || fail "no static manifest"
step "policy, user, token"
kesu policy --skip-checks load logistics >"$WORK/policy.log" 2>&1 || fail "policy load"
kesu shell -v 0 -c "
from kesu.accounts.models import Role, User
User.objects.create_user(username='deploy-agent', password=None, role=Role.AGENT, display_name='Deploy')
" >"$WORK/user.log" 2>&1 || fail "create user"
TOKEN="$(kesu token --skip-checks create deploy-agent 2>"$WORK/token.log")" || fail "token create"

step "checks: kesu check --deploy"
kesu check --deploy >"$WORK/check.log" 2>&1 || fail "kesu check --deploy"
if grep -E '\((security|staticfiles|admin|auth)\.[EW][0-9]+\)' "$WORK/check.log"; then
  fail "kesu check --deploy reports a security or configuration warning"
fi

step "start gunicorn (3 workers) on $BASE and 2 kesu workers"
KESU_BIND="127.0.0.1:$PORT" KESU_WEB_WORKERS=3 KESU_WEB_GRACEFUL_TIMEOUT=10 \
  "$PY" -m gunicorn -c python:kesu.gunicorn_conf >"$WORK/web.log" 2>&1 &
PIDS+=($!)
WEB=$!
for n in 1 2; do
  "$PY" -m kesu.cli worker --skip-checks --poll 0.5 --worker-id "deploy-check-$n" >"$WORK/worker$n.out" 2>"$WORK/worker$n.log" &
  PIDS+=($!)
done
WORKERS=("${PIDS[@]:1}")

until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/healthz")" = 200 ]; do
  in_time
  kill -0 "$WEB" 2>/dev/null || fail "gunicorn exited"
  sleep 0.3
done
body="$(curl -sS --max-time 5 "$BASE/healthz")"
[ "$body" = '{"status": "ok", "database": "ok"}' ] || fail "/healthz said $body"
step "/healthz: $body"
body="$(curl -sS --max-time 5 "$BASE/readyz")"
[ "$body" = '{"status": "ok", "database": "ok", "migrations": "ok"}' ] || fail "/readyz: $body"
booted=$(grep -c '"Booting worker' "$WORK/web.log" || true)
[ "$booted" -eq 3 ] || fail "gunicorn booted $booted workers, not 3"

code="$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --max-time 5 "$BASE/accounts/login/")"
[ "$code" = "301 https://127.0.0.1:$PORT/accounts/login/" ] || fail "plain HTTP not redirected: $code"
code="$(https_curl -o "$WORK/login.html" -w '%{http_code}' "$BASE/accounts/login/")"
[ "$code" = 200 ] || fail "sign-in page: $code"
step "plain HTTP redirected to HTTPS; sign-in page 200 behind the proxy"

css="$(grep -o '/static/web/[^"]*\.css' "$WORK/login.html" | head -n 1)"
[ -n "$css" ] || fail "no stylesheet link on the sign-in page"
headers="$(https_curl -D - -o /dev/null -H 'Accept-Encoding: gzip' "$BASE$css")"
echo "$headers" | grep -qi '^cache-control: .*max-age=315360000.*immutable' ||
  fail "static file without far-future cache headers: $headers"
echo "$headers" | grep -qi '^content-encoding: gzip' || fail "static file not compressed"
step "static $css: immutable, max-age=315360000, gzip"

response="$(https_curl -X POST "$BASE/api/v1/complaints" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -H 'Idempotency-Key: deploy-check-1' \
  -d '{"customer_name": "陈建国", "customer_phone": "13816620001", "customer_email": "chen@example.cn",
       "channel": "hotline", "category": "misdelivery", "description": "收到的型号不对,要求换货。"}' \
  -w '\n%{http_code}')"
[ "$(tail -n 1 <<<"$response")" = 201 ] || fail "API creation: $response"
NUMBER="$("$PY" -c 'import json, sys; print(json.loads(sys.stdin.readline())["number"])' <<<"$response")"
step "API created $NUMBER"

while :; do
  # Straight SQL, no Django start-up: this runs every half second.
  read -r total sent < <("$PY" - "$DATABASE_URL" "$NUMBER" <<'EOF'
import sys
import psycopg
with psycopg.connect(sys.argv[1]) as conn:
    row = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE m.status = 'sent') FROM outbox_outboxmessage m"
        " JOIN complaints_complaint c ON c.id = m.complaint_id WHERE c.number = %s",
        [sys.argv[2]],
    ).fetchone()
print(*row)
EOF
  )
  if [ "${total:-0}" -gt 0 ] && [ "$total" = "$sent" ]; then break; fi
  in_time
  sleep 0.5
done
step "workers delivered the outbox: $sent of $total messages sent"

step "stop: SIGTERM to the workers and gunicorn"
kill -TERM "${WORKERS[@]}" "$WEB"
for _ in $(seq 300); do
  alive=0
  for pid in "${WORKERS[@]}" "$WEB"; do kill -0 "$pid" 2>/dev/null && alive=1; done
  [ "$alive" -eq 0 ] && break
  sleep 0.1
done
[ "$alive" -eq 0 ] || fail "still running 30 s after SIGTERM"
for pid in "${WORKERS[@]}"; do
  wait "$pid" && status=0 || status=$?
  [ "$status" -eq 0 ] || fail "worker $pid exited with $status"
done
wait "$WEB" && status=0 || status=$?
[ "$status" -eq 0 ] || fail "gunicorn exited with $status"
PIDS=()

for log in "$WORK/web.log" "$WORK"/worker?.log; do
  "$PY" - "$log" <<'EOF' || fail "$log has lines that are not JSON objects"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert lines, "empty log"
for line in lines:
    record = json.loads(line)
    assert {"time", "level", "logger"} <= record.keys(), line
EOF
done
grep -q '"logger": "gunicorn.access".*"path": "/api/v1/complaints".*"status": 201' "$WORK/web.log" ||
  fail "no JSON access-log line for the API call"
step "logs are JSON lines ($(cat "$WORK/web.log" "$WORK"/worker?.log | wc -l) lines); workers and gunicorn exited 0"
