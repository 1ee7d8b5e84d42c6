#!/usr/bin/env bash
# Installs everything the test suite needs, idempotently: Debian packages (tmux,
# chromium for the browser tests), the pinned Claude Code CLI releases, frontend deps.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pkg in tmux chromium chromium-driver; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}"
fi
