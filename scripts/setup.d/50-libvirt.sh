#!/usr/bin/env bash
# Starts virtlogd and libvirtd directly (these machines have no systemd as PID 1).
# Idempotent: does nothing when they already run. Needs the packages in deps/apt-packages.txt.
set -euo pipefail
log() { printf '[setup libvirt] %s\n' "$*" >&2; }
command -v libvirtd >/dev/null || { log "libvirtd not installed, skipping"; exit 0; }
mkdir -p /run/libvirt /var/log/libvirt
# Only the daemons of the host's own mount namespace count: a test's second libvirtd in a
# network namespace has its own /run/libvirt and does not serve this host's socket.
if ! pgrep -x virtlogd >/dev/null || [ ! -S /run/libvirt/virtlogd-sock ]; then
  log "starting virtlogd"
  virtlogd -d
fi
if [ ! -S /run/libvirt/libvirt-sock ] || ! virsh -c qemu:///system version >/dev/null 2>&1; then
  log "starting libvirtd"
  libvirtd -d
  for _ in $(seq 1 50); do
    virsh -c qemu:///system version >/dev/null 2>&1 && break
    sleep 0.2
  done
fi
virsh -c qemu:///system version >/dev/null 2>&1 || { log "libvirtd did not answer on qemu:///system"; exit 1; }
log "libvirtd answers on qemu:///system"
