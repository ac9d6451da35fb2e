# Sourced by test.sh: `kesu backup` / `kesu restore` on PostgreSQL need pg_dump and pg_restore of
# the server's major version (docs/backup.md). When DATABASE_URL names a PostgreSQL database and
# pg_dump is missing, installs Debian's client with apt-get if we may (root, or passwordless
# sudo); otherwise says what to install.
KESU_PG_MAJOR="${KESU_PG_MAJOR:-15}"
case "${DATABASE_URL:-}" in
  postgres://* | postgresql://* | pgsql://*)
    if ! command -v pg_dump >/dev/null 2>&1 \
      && ! [ -x "/usr/lib/postgresql/$KESU_PG_MAJOR/bin/pg_dump" ]; then
      if [ "$(id -u)" = "0" ]; then
        apt_get() { apt-get "$@"; }
      elif sudo -n true 2>/dev/null; then
        apt_get() { sudo apt-get "$@"; }
      else
        echo "Backups on PostgreSQL need pg_dump: sudo apt-get install postgresql-client-$KESU_PG_MAJOR" >&2
        exit 1
      fi
      echo "installing postgresql-client-$KESU_PG_MAJOR (apt-get)…" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt_get update -qq >/dev/null
      apt_get install -y -qq --no-install-recommends "postgresql-client-$KESU_PG_MAJOR" >/dev/null
    fi
    ;;
esac
