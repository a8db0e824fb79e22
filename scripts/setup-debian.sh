#!/usr/bin/env bash
# Installs the Debian packages ptsp needs (idempotent; fast when all is present).
set -euo pipefail
pkgs=(
  libreoffice-writer-nogui python3-uno python3-venv libjemalloc2
  fonts-liberation fonts-crosextra-carlito fonts-crosextra-caladea fonts-dejavu-core
  poppler-utils libnss3-tools softhsm2 opensc postgresql chromium
  redis-server rabbitmq-server
  nodejs  # the bench's Carbone comparison (render.js); its smoke test runs it on a stand-in
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
