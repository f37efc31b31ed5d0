import type { HardwareFamilyInput } from "./family.js";

export const hyperv: HardwareFamilyInput = {
  name: "hyperv",
  standsFor: "Microsoft Hyper-V (Generation 1 VM)",
  description: "Hyper-V Generation 1 virtual hardware (i440fx, IDE disk, DEC 21140 'legacy network adapter' as QEMU tulip, VHDX image, Hyper-V enlightenments) emulated on QEMU; it is not Microsoft's hypervisor and has no VMBus synthetic devices.",
  machine: "pc",
  disk: { bus: "ide", controller: null, format: "vhdx", targetPrefix: "hd" },
  nic: { model: "tulip" },
  video: { model: "vga" },
  hyperv: ["relaxed", "vapic", "spinlocks", "vpindex", "runtime", "reset", "frequencies"],
};
