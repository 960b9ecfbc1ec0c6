#!/usr/bin/env bash
# Installs what the test suite needs on a fresh machine (idempotent, quiet when present).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ -f "$here/ensure-postgres.sh" ]; then bash "$here/ensure-postgres.sh"; fi
