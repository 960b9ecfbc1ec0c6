#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests when it is missing (no browser download:
# playwright-core drives the system chromium). Idempotent and quiet when present.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then exit 0; fi
echo "ensure-chromium: installing chromium from apt" >&2
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
