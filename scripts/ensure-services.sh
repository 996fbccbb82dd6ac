#!/usr/bin/env bash
# What the test suite needs from the machine, installed or started if missing:
# PostgreSQL listening on 127.0.0.1:5432 (trust auth), and Debian's chromium for browser tests.
set -euo pipefail

apt_install() {
  if [ "$(id -u)" != "0" ]; then
    echo "ensure-services: $* missing and not root: install it (apt-get install $*)" >&2
    exit 1
  fi
  if [ ! -f /tmp/.cpts-apt-updated ]; then apt-get update -qq && touch /tmp/.cpts-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v pg_isready >/dev/null 2>&1; then
  apt_install postgresql
fi
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432

if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi
/usr/bin/chromium --version
