# Interactive helpers for capturing Claude Code screen fixtures (tests/fixtures/claude-code-<ver>/).
# Source it from bash, then drive the CLI step by step; this is how the 2.1.330 fixtures were taken:
#
#   source scripts/claude-capture.sh
#   cap_mock '{}'                        # mock API on 127.0.0.1:8765 (build it: cargo build --features testkit --bin autocode-mock)
#   cap_home; cap_preseed 2.1.330; cap_manual_mode
#   cap_start 2.1.330                    # CLI in a private tmux server, 200x50, remain-on-exit
#   cap_wait 'for shortcuts'
#   cap_turns '{"kind":"bash","command":"touch marker.txt"}'
#   cap_type "make a marker"; cap_wait 'proceed'
#   cap_save 14_permission_bash          # plain capture into $CAP_OUT
#   cap_save_meta 14_permission_bash     # .txt + .ansi + .meta.json into $CAP_OUT/meta
#   cap_cleanup                          # kills our tmux server and our mock, by socket and pid
#
# Paths: HOME is $CAP_ROOT, 11 characters like /home/alice, and the workspace is
# $CAP_ROOT/projects/demo, so the saved screens replace $CAP_ROOT by /home/alice without
# moving any box border. Nothing here touches another tmux server.

CAP_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CAP_ROOT=/tmp/acfx00
CAP_WS=$CAP_ROOT/projects/demo
CAP_DIR=${CAP_DIR:-/tmp/autocode-capture}
CAP_SOCK=$CAP_DIR/tmux.sock
CAP_PORT=${CAP_PORT:-8765}
CAP_KEY=sk-ant-test-autocode-0123456789abcdefghij
CAP_OUT=${CAP_OUT:-$CAP_REPO/tests/fixtures/claude-code-2.1.330}
CAP_MOCK_BIN=${CAP_MOCK_BIN:-${CARGO_TARGET_DIR:-$CAP_REPO/target}/debug/autocode-mock}
mkdir -p "$CAP_DIR"

cap_tmux() { tmux -S "$CAP_SOCK" "$@"; }

cap_server() {
    cap_tmux has-session -t keep 2>/dev/null && return
    cap_tmux -f /dev/null new-session -d -s keep -x 200 -y 50
    cap_tmux set -g remain-on-exit on
    cap_tmux set -g focus-events on
}

# cap_mock SCRIPT_JSON: (re)starts the mock with a script given inline.
cap_mock() {
    [ -f "$CAP_DIR/mock.pid" ] && kill "$(cat "$CAP_DIR/mock.pid")" 2>/dev/null
    printf '%s' "$1" > "$CAP_DIR/script.json"
    "$CAP_MOCK_BIN" --port "$CAP_PORT" --script "$CAP_DIR/script.json" \
        > "$CAP_DIR/mock.port" 2> "$CAP_DIR/mock.log" &
    echo $! > "$CAP_DIR/mock.pid"
    local end=$((SECONDS + 10))
    until [ -s "$CAP_DIR/mock.port" ] || [ $SECONDS -ge $end ]; do sleep 0.1; done
    cat "$CAP_DIR/mock.port"
}

cap_turns() { curl -s -XPOST "localhost:$CAP_PORT/_mock/turns" -d "$1"; echo; }
cap_clear_turns() { curl -s -XDELETE "localhost:$CAP_PORT/_mock/turns"; echo; }
cap_requests() { curl -s "localhost:$CAP_PORT/_mock/requests"; }

cap_home() { rm -rf "$CAP_ROOT"; mkdir -p "$CAP_WS"; }

# cap_preseed VERSION [JSON merged over the defaults]
cap_preseed() {
    mkdir -p "$CAP_ROOT/.claude"
    python3 - "$1" "${2:-{\}}" "$CAP_WS" "$CAP_KEY" "$CAP_ROOT/.claude/.claude.json" <<'PY'
import json, sys
version, extra, ws, key, path = sys.argv[1], json.loads(sys.argv[2]), *sys.argv[3:]
state = {
    "hasCompletedOnboarding": True, "lastOnboardingVersion": version,
    "lastReleaseNotesSeen": version, "numStartups": 1, "theme": "dark",
    "officialMarketplaceAutoInstallAttempted": True, "hasSeenAutoDefaultNudge": True,
    "customApiKeyResponses": {"approved": [key[-20:]], "rejected": []},
    "projects": {ws: {"hasTrustDialogAccepted": True, "projectOnboardingSeenCount": 1,
                      "allowedTools": []}},
}
state.update(extra)
json.dump(state, open(path, "w"), indent=1)
PY
}

cap_manual_mode() {
    mkdir -p "$CAP_ROOT/.claude"
    echo '{"permissions":{"defaultMode":"default"}}' > "$CAP_ROOT/.claude/settings.json"
}

# cap_start VERSION [CLI ARGS...]; extra environment in CAP_EXTRA_ENV (e.g. IS_SANDBOX=1).
cap_start() {
    local version=$1; shift
    cap_server
    cap_tmux kill-session -t cc 2>/dev/null
    # shellcheck disable=SC2086
    cap_tmux new-session -d -s cc -x 200 -y 50 -c "$CAP_WS" env \
        HOME=$CAP_ROOT CLAUDE_CONFIG_DIR=$CAP_ROOT/.claude \
        ANTHROPIC_BASE_URL=http://127.0.0.1:$CAP_PORT ANTHROPIC_API_KEY=$CAP_KEY \
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL=1 \
        CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY=1 DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 \
        DISABLE_ERROR_REPORTING=1 DISABLE_BUG_COMMAND=1 CLAUDE_CODE_MAX_RETRIES=${CAP_RETRIES:-2} \
        ${CAP_EXTRA_ENV:-} \
        "$CAP_REPO/.test-tools/claude-code-$version/node_modules/.bin/claude" "$@"
}

cap_screen() { cap_tmux capture-pane -p -t cc; }
cap_meta() {
    cap_tmux display -p -t cc '{"pane_title": "#{pane_title}", "pane_dead": "#{pane_dead}", "pane_dead_status": "#{pane_dead_status}", "pane_dead_signal": "#{pane_dead_signal}", "pane_current_command": "#{pane_current_command}", "pane_pid": "#{pane_pid}", "alternate_on": "#{alternate_on}"}'
}
cap_keys() { cap_tmux send-keys -t cc "$@"; }
# cap_type TEXT: types literally, then Enter on its own (together they arrive as one read).
cap_type() { cap_tmux send-keys -t cc -l "$1"; sleep 0.3; cap_tmux send-keys -t cc Enter; }
# cap_paste TEXT: bracketed paste, keeping newlines.
cap_paste() {
    printf '%s' "$1" > "$CAP_DIR/paste"
    cap_tmux load-buffer -b cap "$CAP_DIR/paste"
    cap_tmux paste-buffer -p -r -d -b cap -t cc
}

# cap_wait REGEX [SECONDS]: polls the screen until REGEX matches.
cap_wait() {
    local end=$((SECONDS + ${2:-15}))
    while [ $SECONDS -lt $end ]; do
        cap_screen | grep -qE "$1" && return 0
        sleep 0.2
    done
    echo "TIMEOUT waiting for $1" >&2
    return 1
}

cap_sanitize() { sed "s#$CAP_ROOT#/home/alice#g"; }
cap_save() { mkdir -p "$CAP_OUT"; cap_screen | cap_sanitize > "$CAP_OUT/$1.txt"; }
cap_save_meta() {
    mkdir -p "$CAP_OUT/meta"
    cap_screen | cap_sanitize > "$CAP_OUT/meta/$1.txt"
    cap_tmux capture-pane -p -e -t cc | cap_sanitize > "$CAP_OUT/meta/$1.ansi"
    cap_meta > "$CAP_OUT/meta/$1.meta.json"
}

cap_cleanup() {
    cap_tmux kill-server 2>/dev/null
    [ -f "$CAP_DIR/mock.pid" ] && kill "$(cat "$CAP_DIR/mock.pid")" 2>/dev/null
    rm -f "$CAP_DIR/mock.pid"
}
