import type { DebianRecipe } from "../recipe.js";
import { CONSOLE_CMDLINE, DEFAULT_MIRROR } from "../recipe.js";
import { DEBIAN_BASE_PACKAGES, DEBIAN_TEST_GUEST_MASKED, NFTABLES_RULESET } from "./common.js";

export const debian13Static: DebianRecipe = {
  name: "debian-13-static",
  kind: "debian",
  description: "Debian 13 (trixie), GRUB, sshd, guest agent, nftables, static IPv4 on the NIC name it is installed with (ifupdown)",
  portabilityTrait: "static address bound to the name its own hypervisor gives the NIC (enp1s0 on kvm's q35, ens3 in i440fx slot 3): loses its network when the NIC's name changes",
  os: { id: "debian", version: "13", codename: "trixie" },
  mirror: DEFAULT_MIRROR,
  packages: [...DEBIAN_BASE_PACKAGES, "ifupdown"],
  diskSizeMiB: 2048,
  hostname: "tiosa-debian-13-static",
  initramfs: { modules: "most" },
  // The subnet of QEMU's user-mode networking (gateway 10.0.2.2, DNS 10.0.2.3), so that
  // `tiosa images boot` reaches it as is; on libvirt, a campaign gives this guest a network
  // of exactly this subnet (src/images/recipe.ts fixedGuestNetwork).
  network: { kind: "static", tool: "ifupdown", interface: null, address: "10.0.2.15/24", gateway: "10.0.2.2", dns: ["10.0.2.3"] },
  nftablesRuleset: NFTABLES_RULESET,
  enable: ["ssh", "networking", "nftables"],
  mask: DEBIAN_TEST_GUEST_MASKED,
  kernelCmdline: CONSOLE_CMDLINE,
};
