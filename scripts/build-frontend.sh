#!/usr/bin/env bash
# Builds the PWA into frontend/dist (embedded by the next cargo build). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../frontend" 2>/dev/null || { echo "no frontend/ yet; skipping"; exit 0; }
[ -f package.json ] || { echo "no frontend/package.json yet; skipping"; exit 0; }
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund
fi
npm run build
