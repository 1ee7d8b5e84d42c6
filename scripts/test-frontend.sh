#!/usr/bin/env bash
# Frontend tests: Vitest, then the browser tests (playwright-core driving Debian's Chromium)
# against the real daemon. The daemon embeds frontend/dist when it is compiled (build.rs), so
# the order matters: build the web app, then the binaries, then run the browser tests against
# exactly those binaries (the daemon and the two mocks beside it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
[ -f frontend/package.json ] || { echo "no frontend/package.json yet"; exit 0; }

bash scripts/install-frontend-deps.sh
(cd frontend && npm run build)
(cd frontend && npm test)

cargo build --bins
# Wherever cargo puts its output (CARGO_TARGET_DIR, .cargo/config.toml, or ./target).
target_dir="$(cargo metadata --no-deps --format-version 1 \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
export AUTOCODE_BIN="$target_dir/debug/autocode"
(cd frontend && npm run e2e)
