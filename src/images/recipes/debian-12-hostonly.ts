import type { DebianRecipe } from "../recipe.js";
import { debian12 } from "./debian-12.js";

/**
 * In a chroot, MODULES=dep would look at the build HOST's devices, so the list a host-only
 * install on KVM (virtio-blk root, ext4) would pick is given explicitly.
 */
export const debian12Hostonly: DebianRecipe = {
  ...debian12,
  name: "debian-12-hostonly",
  description: "Debian 12 like debian-12, but its initramfs only has the virtio disk drivers",
  portabilityTrait: "initramfs as MODULES=dep on KVM builds it: cannot find its root disk behind any non-virtio controller",
  hostname: "tiosa-debian-12-hostonly",
  initramfs: {
    modules: "list",
    list: ["virtio_pci", "virtio_blk", "ext4"],
    reproduces: "what MODULES=dep produces when installed on KVM with a virtio-blk root disk",
  },
};
