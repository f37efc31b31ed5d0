import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { GuestFacts } from "../../src/adapt/facts.js";

// Real files: modules.alias/modules.dep/modules.builtin of Debian 12's linux-image-6.1.0-50-amd64
// (only the lines of the drivers involved), and the module list of an initramfs that
// mkinitramfs built with MODULES=list virtio_pci virtio_blk ext4 from that kernel.
export const FIX = join(process.cwd(), "test/fixtures/adapt");
export const K = join(FIX, "debian-12-6.1.0-50");
export const read = (p: string) => readFileSync(p, "utf8");

export function hostonlyFacts(edit: (f: GuestFacts) => void = () => {}): GuestFacts {
  const f: GuestFacts = {
    kernelRelease: read(join(K, "RELEASE")).trim(),
    modulesAlias: read(join(K, "modules.alias")),
    modulesDep: read(join(K, "modules.dep")),
    modulesBuiltin: read(join(K, "modules.builtin")),
    builtinAliases: "",
    initramfsModules: read(join(FIX, "initramfs-hostonly-modules.txt")).split("\n").filter(Boolean).map((m) => m.replace(/-/g, "_")),
    initramfsPath: "/boot/initrd.img-6.1.0-50-amd64",
    initramfsTool: "initramfs-tools",
    freeSpace: [{ mount: "/", bytes: 1_200_000_000 }],
    fstab: "LABEL=root / ext4 errors=remount-ro 0 1\n",
    cmdline: "BOOT_IMAGE=/boot/vmlinuz-6.1.0-50-amd64 root=UUID=4f1c2a5e-8d7b-4c1e-9a3f-2b6d8e0c7a11 ro console=ttyS0,115200",
    blkid: read(join(FIX, "blkid-appliance")),
    networkFiles: [],
    installedPackages: ["qemu-guest-agent"],
    nics: [],
    uefi: false,
    via: "offline",
  };
  edit(f);
  return f;
}

