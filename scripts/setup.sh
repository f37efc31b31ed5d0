#!/usr/bin/env bash
# Idempotent set-up of a Debian machine for tiosa: system packages, npm dependencies,
# build, and the daemons tiosa talks to (no systemd here: started directly).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

pkgs=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' deps/apt-packages.txt | awk '{print $1}')
missing=()
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d node_modules ] || [ "$(cat node_modules/.tiosa-lock-sum 2>/dev/null)" != "$lock_sum" ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund >&2
  echo "$lock_sum" > node_modules/.tiosa-lock-sum
fi
log "building"
npx tsc -p tsconfig.json

# Hypervisor daemons, when installed (there is no systemd on these machines).
for d in scripts/setup.d/*.sh; do
  [ -e "$d" ] || continue
  bash "$d"
done
log "ready"
