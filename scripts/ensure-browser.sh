# Sourced by test.sh: the browser tests drive Debian's Chromium (never a downloaded browser)
# and need CJK fonts so Chinese renders in screenshots. Installs them with apt-get when they
# are missing and we may (root, or passwordless sudo); otherwise says what to install.
KESU_BROWSER_PACKAGES="chromium fonts-noto-cjk"
if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  if [ "$(id -u)" = "0" ]; then
    apt_get() { apt-get "$@"; }
  elif sudo -n true 2>/dev/null; then
    apt_get() { sudo apt-get "$@"; }
  else
    echo "The browser tests need Debian's packages: sudo apt-get install $KESU_BROWSER_PACKAGES" >&2
    exit 1
  fi
  echo "installing $KESU_BROWSER_PACKAGES (apt-get)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt_get update -qq >/dev/null
  # shellcheck disable=SC2086
  apt_get install -y -qq --no-install-recommends $KESU_BROWSER_PACKAGES >/dev/null
fi
export KESU_CHROMIUM="${KESU_CHROMIUM:-/usr/bin/chromium}"
