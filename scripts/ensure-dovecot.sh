# Sourced by test.sh: the email-intake tests start a private IMAP server from Debian's
# dovecot-imapd (never the system's instance; tests/mailin/dovecot.py). Installs it with
# apt-get when it is missing and we may (root, or passwordless sudo); otherwise says what to
# install. Installing does not start a system dovecot here (no init system in CI).
KESU_DOVECOT_PACKAGES="dovecot-imapd"
if [ ! -x /usr/sbin/dovecot ]; then
  if [ "$(id -u)" = "0" ]; then
    apt_get() { apt-get "$@"; }
  elif sudo -n true 2>/dev/null; then
    apt_get() { sudo apt-get "$@"; }
  else
    echo "The email-intake tests need Debian's package: sudo apt-get install $KESU_DOVECOT_PACKAGES" >&2
    exit 1
  fi
  echo "installing $KESU_DOVECOT_PACKAGES (apt-get)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt_get update -qq >/dev/null
  # shellcheck disable=SC2086
  apt_get install -y -qq --no-install-recommends $KESU_DOVECOT_PACKAGES >/dev/null
fi
export KESU_DOVECOT="${KESU_DOVECOT:-/usr/sbin/dovecot}"
