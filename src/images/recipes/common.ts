/**
 * Pieces shared by the Debian recipes (data only). Protocols are numbers (1 icmp, 58
 * ipv6-icmp): nft resolves names through /etc/protocols, which a minbase system lacks.
 */
export const NFTABLES_RULESET = `#!/usr/sbin/nft -f
flush ruleset
table inet filter {
  chain input {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    ct state invalid drop
    iif "lo" accept
    meta l4proto { 1, 58 } accept
    tcp dport 22 accept
    udp sport 67 udp dport 68 accept
    udp sport 547 udp dport 546 accept
  }
  chain forward {
    type filter hook forward priority 0; policy drop;
  }
  chain output {
    type filter hook output priority 0; policy accept;
  }
}
`;

export const DEBIAN_BASE_PACKAGES = [
  "linux-image-amd64", "initramfs-tools", "systemd-sysv", "udev", "dbus", "kmod",
  "openssh-server", "qemu-guest-agent", "nftables", "grub-pc", "iproute2", "iputils-ping",
  "procps", "ca-certificates", "e2fsprogs", "netbase",
  // initramfs-tools compresses with zstd (its default, level 9) only when zstd is installed: a
  // Debian install has it (a Recommends), a minbase bootstrap does not, and mkinitramfs then
  // falls back to gzip without a word: 36 MB for GRUB to read where zstd makes ~30 MB.
  "zstd",
];

/**
 * Units a test guest does without (measured on a 1-vCPU TCG boot of debian-12, docs/images.md):
 * e2scrub_reap removes stale e2scrub snapshots of LVM volumes; these guests have no LVM, and it
 * took 7-11 s of the one vCPU while systemd-networkd, on sshd's critical path, waited for it.
 */
export const DEBIAN_TEST_GUEST_MASKED = [
  { unit: "e2scrub_reap.service", why: "cleans up e2scrub snapshots of LVM volumes; no LVM here (7-11 s of a 1-vCPU TCG boot)" },
];
