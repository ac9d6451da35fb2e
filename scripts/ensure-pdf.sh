# Sourced by run.sh and test.sh: the report PDF (WeasyPrint) needs Debian's Pango and a CJK
# font (docs/decisions/0007-report-pdf.md). Installs them with apt-get when they are missing
# and we may (root, or passwordless sudo); otherwise says what to install.
KESU_PDF_PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk"
if ! python3 -c "import ctypes.util, sys; sys.exit(not ctypes.util.find_library('pangoft2-1.0'))" \
  || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  if [ "$(id -u)" = "0" ]; then
    apt_get() { apt-get "$@"; }
  elif sudo -n true 2>/dev/null; then
    apt_get() { sudo apt-get "$@"; }
  else
    echo "The PDF report needs Debian's packages: sudo apt-get install $KESU_PDF_PACKAGES" >&2
    exit 1
  fi
  echo "installing $KESU_PDF_PACKAGES (apt-get)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt_get update -qq >/dev/null
  # shellcheck disable=SC2086
  apt_get install -y -qq --no-install-recommends $KESU_PDF_PACKAGES fontconfig >/dev/null
fi
