#!/usr/bin/env bash
# Frontend unit tests (Vitest) and browser end-to-end tests (Playwright + Debian Chromium).
set -euo pipefail
cd "$(dirname "$0")/../frontend" 2>/dev/null || { echo "no frontend/ yet"; exit 0; }
[ -f package.json ] || { echo "no frontend/package.json yet"; exit 0; }
bash ../scripts/build-frontend.sh
npm test
if npm run | grep -q "^  e2e"; then
  npm run e2e
fi
