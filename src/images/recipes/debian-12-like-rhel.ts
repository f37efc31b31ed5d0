import type { DebianRecipe } from "../recipe.js";
import { CONSOLE_CMDLINE, DEFAULT_MIRROR } from "../recipe.js";
import { DEBIAN_BASE_PACKAGES, DEBIAN_TEST_GUEST_MASKED, NFTABLES_RULESET } from "./common.js";

/**
 * Debian 12 configured the way RHEL and its rebuilds (CentOS, Rocky, Alma) ship: not RHEL.
 * - dracut with `hostonly="yes"`, RHEL's default: the initramfs holds the drivers of the
 *   disk controller it was installed behind (resolved per family, src/images/installed-on.ts);
 * - NetworkManager with a keyfile bound to the MAC address of the NIC it was installed over,
 *   and `no-auto-default=*` (RHEL's NetworkManager-config-server), written at the first boot;
 * - root by UUID in fstab and on the kernel command line, as Anaconda writes it.
 * The paper's CentOS 6.3 failed on KVM for the first reason; a moved VM usually gets a new MAC.
 */
export const debian12LikeRhel: DebianRecipe = {
  name: "debian-12-like-rhel",
  kind: "debian",
  description: "Debian 12 configured like RHEL/CentOS: dracut hostonly initramfs, NetworkManager keyfile bound to the install-time MAC, root by UUID",
  portabilityTrait: "dracut host-only initramfs (no other family's disk driver: the boot waits for its root disk with no time limit, given up after 2 min of that wait) and a NetworkManager connection bound to the MAC of its first boot (a new MAC leaves the NIC unconfigured)",
  os: { id: "debian", version: "12", codename: "bookworm" },
  mirror: DEFAULT_MIRROR,
  packages: [...DEBIAN_BASE_PACKAGES.filter((p) => p !== "initramfs-tools"), "dracut", "network-manager"],
  diskSizeMiB: 2048,
  hostname: "tiosa-debian-12-like-rhel",
  initramfsTool: "dracut",
  initramfs: { modules: "dep", reproduces: 'what dracut hostonly="yes" (RHEL\'s default) keeps for an ext4 root disk' },
  fstabRoot: "uuid",
  network: { kind: "dhcp-mac-bound", tool: "networkmanager", waitForNicS: 300 },
  nftablesRuleset: NFTABLES_RULESET,
  enable: ["ssh", "NetworkManager", "nftables", "tiosa-firstboot-net"],
  mask: DEBIAN_TEST_GUEST_MASKED,
  // RHEL writes `rhgb quiet`, and a dracut initramfs on systemd then waits for a root disk
  // that never comes with nothing on the console, for ever (`rd.timeout` is 0 and a plain
  // root=UUID= has no initqueue job to time out: measured, 8 min). systemd.show_status=1 is
  // what an operator adds first: systemd's status lines (the root device job and how long it
  // has waited) reach the serial console; `quiet` stays.
  kernelCmdline: `${CONSOLE_CMDLINE} systemd.show_status=1`,
};
