#!/usr/bin/env bash
# Installs what the test suite needs on a fresh machine (idempotent, quiet when present):
# PostgreSQL for the PostgreSQL backend's tests, Chromium for the HTTP/3 interop test.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/ensure-postgres.sh"
bash "$here/ensure-chromium.sh"
