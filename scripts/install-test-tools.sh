#!/usr/bin/env bash
# Installs the external programs AutoCode's integration and end-to-end tests drive.
# Idempotent: anything already installed at the pinned version is skipped, so CI and
# developers can run it before every test run.
#
# Everything lands under .test-tools/ (git-ignored) at the repository root, except
# Debian packages, which go through apt.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.test-tools"
mkdir -p "$tools"

# Claude Code releases differ a lot on screen (layout, dialogs, option numbering,
# default permission mode), so the tests pin every release the screen rules support.
# Keep this list in step with tests/claude_cli.rs and docs/claude-code-versions.md.
CLAUDE_CODE_VERSIONS=(2.1.197 2.1.330)

install_claude_code() {
    local version="$1"
    local prefix="$tools/claude-code-$version"
    local bin="$prefix/node_modules/.bin/claude"
    # `--version` reads the native binary, so a half-finished install is not taken for a good one.
    if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -q "^$version "; then
        echo "claude-code $version: already installed"
        return
    fi
    echo "claude-code $version: installing into $prefix"
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
        "@anthropic-ai/claude-code@$version"
    "$bin" --version
}

for version in "${CLAUDE_CODE_VERSIONS[@]}"; do
    install_claude_code "$version"
done

# --- Debian packages: tmux, Chromium for the browser tests, OpenSSL headers, and the ----
# tools tests/deploy.rs checks the unit and the Caddyfile with (systemd-analyze, caddy).
need_apt=()
for pkg in tmux bubblewrap chromium chromium-driver libssl-dev pkg-config systemd caddy; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need_apt[@]}"
fi
