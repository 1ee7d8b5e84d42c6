#!/usr/bin/env bash
# Installs AutoCode on a Debian 12 host as a systemd service behind Caddy. Run as root from a
# checkout or an unpacked release tarball:
#
#   deploy/install.sh HOSTNAME [--claude-version X.Y.Z] [--binary PATH]
#
# Idempotent: each step checks before it changes anything, and a second run with the same
# arguments changes nothing and says so. --claude-version installs another Claude Code release
# beside the current one and points /usr/local/bin/claude at it (an upgrade or a downgrade).
#
# For tests only: AUTOCODE_INSTALL_ROOT puts every file under another root, and
# AUTOCODE_SERVICE_USER names an existing user instead of creating `autocode`
# (tests/install.rs, with stand-ins for apt-get, npm and systemctl on PATH).
set -euo pipefail

CLAUDE_VERSION=2.1.330 # the release the screen rules were last checked against
PACKAGES=(tmux bubblewrap caddy nodejs npm git ca-certificates)

usage() {
    echo "usage: $0 HOSTNAME [--claude-version X.Y.Z] [--binary PATH]" >&2
    exit 2
}

host="" binary=""
while [ $# -gt 0 ]; do
    case "$1" in
        --claude-version) CLAUDE_VERSION="${2:?--claude-version needs a version}"; shift 2 ;;
        --binary) binary="${2:?--binary needs a path}"; shift 2 ;;
        -h|--help) usage ;;
        -*) echo "unknown option $1" >&2; usage ;;
        *) [ -z "$host" ] || usage; host="$1"; shift ;;
    esac
done
[ -n "$host" ] || usage
# A hostname goes into the Caddyfile and autocode.toml: letters, digits, dots and dashes only.
if ! [[ "$host" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; then
    echo "error: '$host' is not a hostname (e.g. code.example.org)" >&2
    exit 2
fi
if ! [[ "$CLAUDE_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "error: --claude-version takes a version like 2.1.330" >&2
    exit 2
fi
[ "$(id -u)" -eq 0 ] || { echo "error: run as root (sudo $0 ...)" >&2; exit 1; }

src="$(cd "$(dirname "$0")/.." && pwd)"
root="${AUTOCODE_INSTALL_ROOT:-}"
user="${AUTOCODE_SERVICE_USER:-autocode}"
data="$root/var/lib/autocode"
changes=()
changed() { changes+=("$1"); echo "changed: $1"; }

# --- packages -------------------------------------------------------------------------------
missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}"
    changed "installed ${missing[*]}"
fi

# --- Claude Code, pinned, one prefix per release ------------------------------------------
prefix="$root/opt/claude-code/$CLAUDE_VERSION"
claude="$prefix/node_modules/.bin/claude"
if [ ! -x "$claude" ]; then
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
        "@anthropic-ai/claude-code@$CLAUDE_VERSION"
    changed "installed Claude Code $CLAUDE_VERSION in $prefix"
fi
mkdir -p "$root/usr/local/bin"
# The link holds the path as the host will see it (without the test root).
if [ "$(readlink "$root/usr/local/bin/claude" 2>/dev/null)" != "${claude#"$root"}" ]; then
    ln -sfn "${claude#"$root"}" "$root/usr/local/bin/claude"
    changed "claude now runs Claude Code $CLAUDE_VERSION"
fi

# --- the daemon binary ----------------------------------------------------------------------
if [ -z "$binary" ]; then
    if [ -x "$src/autocode" ]; then
        binary="$src/autocode" # a release tarball ships it at its top
    else
        (cd "$src" && make build)
        binary="$src/target/release/autocode"
    fi
fi
[ -x "$binary" ] || { echo "error: no AutoCode binary at $binary" >&2; exit 1; }
binary_changed=0
if ! cmp -s "$binary" "$root/usr/local/bin/autocode"; then
    install -m 0755 "$binary" "$root/usr/local/bin/autocode"
    binary_changed=1
    changed "installed the autocode binary"
fi

# --- user and directories -------------------------------------------------------------------
if ! getent passwd "$user" >/dev/null; then
    useradd --system --home-dir /var/lib/autocode --no-create-home --shell /usr/sbin/nologin "$user"
    changed "created the system user $user"
fi
if [ ! -d "$data" ] || [ "$(stat -c '%a %U' "$data")" != "700 $user" ]; then
    install -d -o "$user" -g "$(id -gn "$user")" -m 0700 "$data"
    changed "made $data (mode 700, owned by $user)"
fi
install -d -m 0755 "$root/etc/autocode" "$root/etc/systemd/system" "$root/etc/caddy"
if [ ! -f "$root/etc/autocode/env" ]; then
    install -m 0600 "$src/deploy/env.example" "$root/etc/autocode/env"
    changed "wrote /etc/autocode/env"
fi
# The daemon believes X-Forwarded-For from Caddy only, and checks WebSocket origins against
# the public URL. Written once: later edits are the admin's.
if [ ! -f "$data/autocode.toml" ]; then
    printf 'public_url = "https://%s"\ntrusted_proxies = ["127.0.0.1"]\n' "$host" >"$data/autocode.toml"
    chown "$user:$(id -gn "$user")" "$data/autocode.toml"
    chmod 0600 "$data/autocode.toml"
    changed "wrote $data/autocode.toml for https://$host"
fi

# --- the unit and the Caddyfile -------------------------------------------------------------
unit_changed=0
if ! cmp -s "$src/deploy/autocode.service" "$root/etc/systemd/system/autocode.service"; then
    install -m 0644 "$src/deploy/autocode.service" "$root/etc/systemd/system/autocode.service"
    unit_changed=1
    changed "installed the systemd unit"
fi
caddyfile="$(mktemp)"
trap 'rm -f "$caddyfile"' EXIT
sed "s/^code\.example\.org {/$host {/" "$src/Caddyfile" >"$caddyfile"
caddy_changed=0
if ! cmp -s "$caddyfile" "$root/etc/caddy/Caddyfile"; then
    caddy validate --config "$caddyfile" --adapter caddyfile >/dev/null 2>&1 ||
        { echo "error: caddy refuses the Caddyfile for $host:" >&2
          caddy validate --config "$caddyfile" --adapter caddyfile >&2; exit 1; }
    install -m 0644 "$caddyfile" "$root/etc/caddy/Caddyfile"
    caddy_changed=1
    changed "installed the Caddyfile for $host"
fi

# --- the first admin ------------------------------------------------------------------------
# A generated password, handed to `autocode user add` on stdin (never on a command line or in
# a file) and printed once. Skipped once the database exists.
if [ ! -f "$data/autocode.db" ]; then
    password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 20)"
    printf '%s\n' "$password" |
        runuser -u "$user" -- env -i AUTOCODE_DATA_DIR="$data" \
            "$root/usr/local/bin/autocode" user add admin --admin >/dev/null
    changed "created the admin account"
    echo "Created the user 'admin' with password: $password"
    echo "(shown only this once; change it after logging in)"
fi

# --- services -------------------------------------------------------------------------------
if [ "$unit_changed" = 1 ]; then
    systemctl daemon-reload
fi
if ! systemctl is-enabled --quiet autocode; then
    systemctl enable autocode
    changed "enabled the autocode service"
fi
if ! systemctl is-active --quiet autocode; then
    systemctl start autocode
    changed "started the autocode service"
elif [ "$binary_changed" = 1 ] || [ "$unit_changed" = 1 ]; then
    # Members' CLIs keep running in tmux (KillMode=process) and are re-adopted.
    systemctl restart autocode
    changed "restarted the autocode service (running projects are re-adopted)"
fi
if [ "$caddy_changed" = 1 ]; then
    systemctl reload-or-restart caddy
    changed "reloaded Caddy"
fi

if [ ${#changes[@]} -eq 0 ]; then
    echo "Nothing to change: AutoCode is installed and up to date for https://$host."
else
    echo "Done (${#changes[@]} changes). Check the host with: runuser -u $user -- env AUTOCODE_DATA_DIR=/var/lib/autocode autocode doctor"
fi
