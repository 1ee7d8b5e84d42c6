#!/usr/bin/env bash
# Installs AutoCode as a systemd service on a Debian host (run as root from the repo).
# Idempotent: a second run updates the binary and unit and leaves accounts alone.
set -euo pipefail
cd "$(dirname "$0")/.."
# bubblewrap: every member's coding CLI runs in its own sandbox (docs/sandbox.md).
apt-get install -y tmux bubblewrap
make build
install -m 0755 target/release/autocode /usr/local/bin/autocode
id autocode >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/autocode --shell /usr/sbin/nologin autocode
install -d -o autocode -g autocode -m 0700 /var/lib/autocode
install -d -m 0755 /etc/autocode
[ -f /etc/autocode/env ] || install -m 0600 deploy/env.example /etc/autocode/env
install -m 0644 deploy/autocode.service /etc/systemd/system/autocode.service

# The first admin: a generated password, handed to `autocode user add` on stdin (never on a
# command line or in a file) and printed once. Skipped when the database already has users.
if [ ! -f /var/lib/autocode/autocode.db ]; then
    password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 20)"
    printf '%s\n' "$password" |
        runuser -u autocode -- env -i AUTOCODE_DATA_DIR=/var/lib/autocode \
            /usr/local/bin/autocode user add admin --admin >/dev/null
    echo "Created the user 'admin' with password: $password"
    echo "(shown only this once; change it after logging in)"
fi

systemctl daemon-reload
systemctl enable --now autocode
echo "AutoCode is running; put Caddyfile in /etc/caddy/ and reload Caddy."
