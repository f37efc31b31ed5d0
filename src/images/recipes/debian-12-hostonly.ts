import type { DebianRecipe } from "../recipe.js";
import { debian12 } from "./debian-12.js";

/**
 * A host-only initramfs, as Debian leaves it with MODULES=dep: only the drivers of the disk
 * controller it was installed behind (resolved per family, src/images/installed-on.ts).
 * Built for kvm it has virtio_blk only; built for vmware, vmw_pvscsi only.
 */
export const debian12Hostonly: DebianRecipe = {
  ...debian12,
  name: "debian-12-hostonly",
  description: "Debian 12 like debian-12, but its initramfs only has the disk drivers of the hardware it is installed on",
  portabilityTrait: "initramfs as MODULES=dep builds it on its own hypervisor: cannot find its root disk behind another family's disk controller",
  hostname: "tiosa-debian-12-hostonly",
  initramfs: {
    modules: "dep",
    reproduces: "what MODULES=dep produces for an ext4 root disk",
  },
};
