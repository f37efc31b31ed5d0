import type { DebianRecipe } from "../recipe.js";
import { CONSOLE_CMDLINE, DEFAULT_MIRROR } from "../recipe.js";
import { DEBIAN_BASE_PACKAGES, NFTABLES_RULESET } from "./common.js";

export const debian13Static: DebianRecipe = {
  name: "debian-13-static",
  kind: "debian",
  description: "Debian 13 (trixie), GRUB, sshd, guest agent, nftables, static IPv4 on enp0s3 (ifupdown)",
  portabilityTrait: "static address bound to the NIC name on q35 + virtio (enp0s3): loses its network when the NIC model or slot changes",
  os: { id: "debian", version: "13", codename: "trixie" },
  mirror: DEFAULT_MIRROR,
  packages: [...DEBIAN_BASE_PACKAGES, "ifupdown"],
  diskSizeMiB: 2048,
  hostname: "tiosa-debian-13-static",
  initramfs: { modules: "most" },
  // QEMU user-mode networking: guest 10.0.2.15, gateway 10.0.2.2, DNS 10.0.2.3.
  network: { kind: "static", tool: "ifupdown", interface: "enp0s3", address: "10.0.2.15/24", gateway: "10.0.2.2", dns: ["10.0.2.3"] },
  nftablesRuleset: NFTABLES_RULESET,
  enable: ["ssh", "networking", "nftables"],
  kernelCmdline: CONSOLE_CMDLINE,
};
