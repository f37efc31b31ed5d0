import type { HardwareFamilyInput } from "./family.js";

export const hyperv: HardwareFamilyInput = {
  name: "hyperv",
  limits: { vcpus: 64, memoryBytes: 2 ** 40, source: "Hyper-V on Windows Server 2022, generation 1 VM: 64 vCPUs, 1 TB" },
  standsFor: "Microsoft Hyper-V (Generation 1 VM)",
  description: "Hyper-V Generation 1 virtual hardware (i440fx, IDE disk, DEC 21140 'legacy network adapter' as QEMU tulip, VHD image, Hyper-V enlightenments) emulated on QEMU; it is not Microsoft's hypervisor and has no VMBus synthetic devices.",
  machine: "pc",
  // Hyper-V's own format is VHDX, but libvirt 9.0 rejects it ("unknown driver format value
  // 'vhdx'"); Generation 1 VMs also boot from VHD, which libvirt opens through QEMU's vpc driver.
  disk: { bus: "ide", controller: null, format: "vpc", formatOptions: ["subformat=dynamic", "force_size=on"], targetPrefix: "hd" },
  nic: { model: "tulip" },
  video: { model: "vga" },
  // vpindex, runtime, synic, stimer need KVM: QEMU 7.2 under TCG refuses to start with them
  // ("kernel doesn't allow setting HyperV VP_INDEX"). These three work with both.
  hyperv: ["relaxed", "vapic", "spinlocks"],
  // Routes exchange VHDX, Hyper-V's own export format (converted to VHD when defined).
  exchange: {
    export: { kind: "disk:vhdx", id: "export-vhdx", name: "export VHDX" },
    imports: [{ kind: "disk:vhdx", id: "import-vhdx", name: "import VHDX" }],
  },
};
