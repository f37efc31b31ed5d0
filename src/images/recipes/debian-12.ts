import type { DebianRecipe } from "../recipe.js";
import { CONSOLE_CMDLINE, DEFAULT_MIRROR } from "../recipe.js";
import { DEBIAN_BASE_PACKAGES, DEBIAN_TEST_GUEST_MASKED, NFTABLES_RULESET } from "./common.js";

export const debian12: DebianRecipe = {
  name: "debian-12",
  kind: "debian",
  description: "Debian 12 (bookworm), GRUB, systemd, sshd, guest agent, nftables, DHCP on any Ethernet NIC",
  portabilityTrait: "portable: initramfs MODULES=most and DHCP matched by NIC type, so it should survive any move",
  os: { id: "debian", version: "12", codename: "bookworm" },
  mirror: DEFAULT_MIRROR,
  packages: DEBIAN_BASE_PACKAGES,
  diskSizeMiB: 2048,
  hostname: "tiosa-debian-12",
  initramfs: { modules: "most" },
  network: { kind: "dhcp-any-ethernet", tool: "systemd-networkd" },
  nftablesRuleset: NFTABLES_RULESET,
  enable: ["ssh", "systemd-networkd", "nftables"],
  mask: DEBIAN_TEST_GUEST_MASKED,
  kernelCmdline: CONSOLE_CMDLINE,
};
