#!/usr/bin/env bash
# The README's first command: on a fresh Debian machine, installs what tiosa needs (Debian
# packages, npm dependencies), builds it, starts libvirtd, then runs `tiosa demo`: builds the
# guest images (cached), runs campaigns/demo.yaml on the local libvirt, prints the matrix and
# writes the HTML report. Arguments go to `tiosa demo` (e.g. --full, --format json).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "[demo] installing Node.js and npm from Debian" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
bash scripts/setup.sh
node bin/tiosa.js doctor >&2 || echo "[demo] tiosa doctor reports problems (above); trying the demo anyway" >&2
exec node bin/tiosa.js demo "$@"
