#!/usr/bin/env bash
# Installs AutoCode as a systemd service on a Debian host (run as root from the repo).
set -euo pipefail
cd "$(dirname "$0")/.."
apt-get install -y tmux
make build
install -m 0755 target/release/autocode /usr/local/bin/autocode
id autocode >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/autocode --shell /usr/sbin/nologin autocode
install -d -o autocode -g autocode -m 0700 /var/lib/autocode
install -d -m 0755 /etc/autocode
[ -f /etc/autocode/env ] || install -m 0600 deploy/env.example /etc/autocode/env
install -m 0644 deploy/autocode.service /etc/systemd/system/autocode.service
systemctl daemon-reload
systemctl enable --now autocode
echo "AutoCode is running; put Caddyfile in /etc/caddy/ and reload Caddy."
