/**
 * The installer's network step, run once at a guest's first boot: a program the builder puts
 * into MAC-bound images. Its text is part of those images' cache key (recipe.ts), as a recipe's
 * fields are: a change to it must rebuild them.
 */

/** The unit that runs the first-boot network script once, before the network service starts. */
export const FIRSTBOOT_NET_UNIT = `[Unit]
Description=tiosa: bind the network configuration to the MAC address of this first boot's NIC (as the installer does)
DefaultDependencies=no
After=local-fs.target systemd-udev-trigger.service
Before=network-pre.target NetworkManager.service systemd-networkd.service
Wants=network-pre.target
ConditionPathExists=!/etc/tiosa-install-network

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/tiosa-firstboot-net
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
`;

/**
 * The installer's network step, run at the first boot on the hypervisor the guest is
 * installed on: it finds the first Ethernet NIC and writes a DHCP configuration bound to that
 * NIC's MAC address, the way Anaconda writes the NIC it installed over (HWADDR, a keyfile's
 * mac-address=) and cloud-init on Ubuntu's cloud images writes netplan's match: macaddress.
 */
export function firstbootNetScript(tool: "networkmanager" | "netplan", waitForNicS: number): string {
  const write = tool === "networkmanager"
    ? `f=/etc/NetworkManager/system-connections/$n.nmconnection
cat > "$f" <<EOF
[connection]
id=$n
uuid=$(cat /proc/sys/kernel/random/uuid)
type=ethernet
autoconnect=true

[ethernet]
mac-address=$mac

[ipv4]
method=auto

[ipv6]
method=auto
EOF
chmod 600 "$f"`
    : `f=/etc/netplan/50-cloud-init.yaml
cat > "$f" <<EOF
# written at the first boot, as cloud-init writes it on Ubuntu's cloud images
network:
  version: 2
  ethernets:
    $n:
      match:
        macaddress: "$mac"
      set-name: $n
      dhcp4: true
EOF
chmod 600 "$f"
# netplan's generator ran before this file existed: render it for systemd-networkd now.
netplan generate`;
  return `#!/bin/sh
# tiosa: the installer's network step, run once at the first boot (see the unit).
set -eu
n="" mac=""
i=0
while [ $i -lt ${waitForNicS * 2} ] && [ -z "$mac" ]; do
  for d in /sys/class/net/*; do
    # A NIC udev has handled (in udev's database). A NIC being renamed still shows its kernel
    # name for a moment, and its files vanish under us: errors are just "not this one".
    [ -e "$d/device" ] && [ "$(cat "$d/type" 2>/dev/null)" = 1 ] && [ -e "/run/udev/data/n$(cat "$d/ifindex" 2>/dev/null)" ] || continue
    mac=$(cat "$d/address" 2>/dev/null) || mac=""
    [ -n "$mac" ] && break
  done
  [ -n "$mac" ] || { sleep 0.5; i=$((i + 1)); }
done
[ -n "$mac" ] || { echo "tiosa-firstboot-net: no Ethernet NIC named by udev within ${waitForNicS} s" >&2; exit 1; }
# The name is read once udev's queue is empty, by MAC: the name seen above may have been the
# kernel's (eth0) a moment before udev's rename, and a configuration bound to it would match nothing.
udevadm settle --timeout=${waitForNicS} || echo "tiosa-firstboot-net: udev's queue not empty after ${waitForNicS} s" >&2
for d in /sys/class/net/*; do [ "$(cat "$d/address" 2>/dev/null)" = "$mac" ] && [ -e "$d/device" ] && n=\${d##*/}; done
[ -n "$n" ] || { echo "tiosa-firstboot-net: the NIC with MAC $mac is gone" >&2; exit 1; }
${write}
echo "$n $mac" > /etc/tiosa-install-network
echo "tiosa-firstboot-net: DHCP bound to $n ($mac)"
`;
}

