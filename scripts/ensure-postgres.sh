#!/usr/bin/env bash
# Makes sure PostgreSQL server binaries (initdb, pg_ctl) exist for the tests, which run a
# real server. Quiet and quick when they are already there; installs Debian's package
# otherwise. Safe to run any number of times.
set -euo pipefail

have_binaries() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then return 0; fi
  compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null
}

if have_binaries; then exit 0; fi

echo "ensure-postgres: installing PostgreSQL from apt" >&2
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq postgresql >/dev/null

if ! have_binaries; then
  echo "ensure-postgres: PostgreSQL was installed but initdb/pg_ctl are still missing" >&2
  exit 1
fi
# The Debian package starts a cluster of its own; the tests never use it.
