#!/usr/bin/env bash
# Installs what the frontend's builds and browser tests need: Debian's Chromium (driven by
# playwright-core; Playwright's own browser downloads cannot work without internet) and the npm
# packages pinned in frontend/package-lock.json. Safe to run again: each step is skipped when done.
set -euo pipefail

cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "chromium is missing and this is not root: run 'sudo apt-get install -y chromium chromium-driver'" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends chromium chromium-driver fonts-dejavu-core
fi

if [ ! -d frontend/node_modules ] || [ frontend/package-lock.json -nt frontend/node_modules/.package-lock.json ]; then
    (cd frontend && npm ci --no-audit --no-fund)
fi
