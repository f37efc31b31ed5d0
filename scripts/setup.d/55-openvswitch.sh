#!/usr/bin/env bash
# Starts Open vSwitch (ovsdb-server + ovs-vswitchd) directly: these machines have no systemd.
# Idempotent. The hypervisor VLAN test (Table II 1.5.a) uses it; where the kernel has no
# openvswitch datapath module, tiosa's bridges use OVS's userspace datapath (netdev).
set -euo pipefail
log() { printf '[setup openvswitch] %s\n' "$*" >&2; }
command -v ovs-vswitchd >/dev/null || { log "openvswitch-switch not installed, skipping"; exit 0; }
RUN=/var/run/openvswitch
DB=/etc/openvswitch/conf.db
mkdir -p "$RUN" /etc/openvswitch /var/log/openvswitch
[ -f "$DB" ] || ovsdb-tool create "$DB" /usr/share/openvswitch/vswitch.ovsschema
alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }
if ! alive ovsdb-server; then
  log "starting ovsdb-server"
  ovsdb-server "$DB" --remote=punix:"$RUN"/db.sock --remote=db:Open_vSwitch,Open_vSwitch,manager_options \
    --pidfile="$RUN"/ovsdb-server.pid --detach --log-file=/var/log/openvswitch/ovsdb-server.log
  ovs-vsctl --no-wait init
fi
# Without the kernel module OVS switches in userspace (netdev datapath) and reads its ports
# with AF_PACKET. Only with userspace TSO support does it read and write the virtio-net
# header, i.e. keep a packet's "checksum still to be done" mark; without it a veth's or a
# guest's offloaded TCP/UDP checksums arrive unfinished and are dropped (ICMP still passes).
# The option is read when ovs-vswitchd starts, so a running one is restarted to take it.
if [ "$(ovs-vsctl --no-wait get Open_vSwitch . other_config:userspace-tso-enable 2>/dev/null | tr -d '"')" != true ]; then
  log "enabling userspace TSO (virtio-net headers on the userspace datapath)"
  ovs-vsctl --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true
  if alive ovs-vswitchd; then
    pid=$(cat "$RUN/ovs-vswitchd.pid")
    kill "$pid"
    # Its pidfile goes before the process does: wait for the process itself.
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
fi
if ! alive ovs-vswitchd; then
  log "starting ovs-vswitchd"
  ovs-vswitchd unix:"$RUN"/db.sock --pidfile="$RUN"/ovs-vswitchd.pid --detach --log-file=/var/log/openvswitch/ovs-vswitchd.log
fi
ovs-vsctl --timeout=10 show >/dev/null || { log "ovs-vsctl does not answer"; exit 1; }
log "Open vSwitch answers on $RUN/db.sock"
