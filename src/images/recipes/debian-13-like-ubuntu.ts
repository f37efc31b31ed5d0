import type { DebianRecipe } from "../recipe.js";
import { CONSOLE_CMDLINE, DEFAULT_MIRROR } from "../recipe.js";
import { DEBIAN_BASE_PACKAGES, DEBIAN_TEST_GUEST_MASKED, NFTABLES_RULESET } from "./common.js";

/**
 * Debian 13 configured the way Ubuntu's cloud images ship: not Ubuntu.
 * - netplan (netplan.io) rendering systemd-networkd, the NIC matched by MAC address with
 *   `set-name`, as cloud-init writes /etc/netplan/50-cloud-init.yaml at the first boot;
 * - initramfs-tools `MODULES=dep`, a host-only initramfs (the second trait this personality carries):
 *   the disk drivers of the hardware it was installed on (resolved per family).
 */
export const debian13LikeUbuntu: DebianRecipe = {
  name: "debian-13-like-ubuntu",
  kind: "debian",
  description: "Debian 13 configured like an Ubuntu cloud image: netplan matching the first boot's MAC (set-name) on systemd-networkd, initramfs-tools MODULES=dep",
  portabilityTrait: "netplan bound to the MAC of its first boot (a new MAC: boots, but its NIC gets no address) and a MODULES=dep initramfs (another family's disk controller: ALERT! root does not exist)",
  os: { id: "debian", version: "13", codename: "trixie" },
  mirror: DEFAULT_MIRROR,
  packages: [...DEBIAN_BASE_PACKAGES, "netplan.io"],
  diskSizeMiB: 2048,
  hostname: "tiosa-debian-13-like-ubuntu",
  initramfs: { modules: "dep", reproduces: "what MODULES=dep produces for an ext4 root disk" },
  network: { kind: "dhcp-mac-bound", tool: "netplan", waitForNicS: 300 },
  nftablesRuleset: NFTABLES_RULESET,
  enable: ["ssh", "systemd-networkd", "nftables", "tiosa-firstboot-net"],
  mask: DEBIAN_TEST_GUEST_MASKED,
  kernelCmdline: CONSOLE_CMDLINE,
};
