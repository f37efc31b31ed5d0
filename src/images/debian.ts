import { mkdir, readdir, readFile, writeFile, chmod, rm, stat } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { runOk } from "../util/exec.js";
import type { DebianRecipe } from "./recipe.js";
import { attachLoop, createMbrDisk, detachLoop, PARTITION_OFFSET, unmountStrict, requireCleanExt4, type DiskMethod } from "./disk.js";
import { fillPartitionWithGuestfs } from "./guestfs-disk.js";
import { processesUnder } from "./cache.js";
import { prepareChroot, chrootRun } from "./chroot.js";
import type { StepRunner } from "./steps.js";
import type { BuiltDisk } from "./tiny.js";
import { FIRSTBOOT_NET_UNIT, firstbootNetScript } from "./firstboot.js";

/** Files that must be in place before packages are installed (read by their postinst). */
export function earlyFiles(r: DebianRecipe): Record<string, string> {
  const files: Record<string, string> = {};
  if (r.initramfs.modules === "dep") {
    throw new Error(`recipe '${r.name}': a host-only initramfs is resolved for a hardware family before the build (recipeForFamily)`);
  }
  if (r.initramfsTool === "dracut") {
    // dracut.conf.d is read when the kernel's postinst runs dracut. In a build chroot dracut's
    // own host-only detection would see the build machine's devices, so the drivers the
    // installed-on family needs are given as `drivers=`, which dracut takes as the exclusive
    // list; the root device comes from the kernel command line (root=UUID=), not from the host.
    files["etc/dracut.conf.d/10-tiosa.conf"] = r.initramfs.modules === "list"
      ? `# tiosa: ${r.initramfs.reproduces}\nhostonly="yes"\nhostonly_cmdline="no"\ndrivers=" ${r.initramfs.list.join(" ")} "\ncompress="zstd"\n`
      : `hostonly="no"\ncompress="zstd"\n`;
    return files;
  }
  if (r.initramfs.modules === "list") {
    // conf.d and modules.d are not dpkg conffiles, so writing them first causes no prompt;
    // the kernel's postinst then builds the initramfs once, already host-only.
    files["etc/initramfs-tools/conf.d/tiosa.conf"] = "# tiosa: " + r.initramfs.reproduces + "\nMODULES=list\n";
    files["usr/share/initramfs-tools/modules.d/tiosa"] = r.initramfs.list.join("\n") + "\n";
  } else {
    files["etc/initramfs-tools/conf.d/tiosa.conf"] = `MODULES=${r.initramfs.modules}\n`;
  }
  return files;
}

/** The first 4 bytes (hex) of an initramfs' compressed main archive, past any uncompressed early cpio. */
export function compressedPartMagic(buf: Buffer): string {
  let pos = 0;
  while (buf.subarray(pos, pos + 6).toString("latin1") === "070701") {
    const trailer = buf.indexOf("TRAILER!!!", pos, "latin1");
    if (trailer < 0) break;
    pos = trailer + "TRAILER!!!".length;
    while (pos < buf.length && buf[pos] === 0) pos++;
  }
  return buf.subarray(pos, pos + 4).toString("hex");
}

function networkFiles(r: DebianRecipe): Record<string, string> {
  const n = r.network;
  if (n.kind === "dhcp-mac-bound" && (n.tool === "networkmanager" || n.tool === "netplan")) {
    return {
      "usr/local/sbin/tiosa-firstboot-net": firstbootNetScript(n.tool, n.waitForNicS),
      "etc/systemd/system/tiosa-firstboot-net.service": FIRSTBOOT_NET_UNIT,
      ...(n.tool === "networkmanager"
        ? {
          // What RHEL's NetworkManager-config-server package sets: no automatic "Wired
          // connection" on a NIC no configuration names, so an unknown NIC stays down.
          "etc/NetworkManager/conf.d/00-server.conf": "# tiosa: as RHEL's NetworkManager-config-server\n[main]\nno-auto-default=*\nignore-carrier=*\n",
        }
        : {}),
    };
  }

  if (n.kind === "dhcp-any-ethernet" && n.tool === "systemd-networkd") {
    return { "etc/systemd/network/50-tiosa-ethernet.network": "# tiosa: any Ethernet NIC, whatever its name\n[Match]\nType=ether\n\n[Network]\nDHCP=yes\n" };
  }
  if (n.kind === "static" && n.tool === "ifupdown") {
    if (n.interface === null) throw new Error(`recipe '${r.name}': the NIC name is resolved for a hardware family before the build (recipeForFamily)`);
    return {
      "etc/network/interfaces": [
        "# tiosa: static address bound to the NIC name this guest had on its build hardware",
        "source /etc/network/interfaces.d/*", "", "auto lo", "iface lo inet loopback", "",
        `auto ${n.interface}`, `iface ${n.interface} inet static`, `    address ${n.address}`, `    gateway ${n.gateway}`, "",
      ].join("\n"),
      "etc/resolv.conf": n.dns.map((d) => `nameserver ${d}`).join("\n") + "\n",
    };
  }
  if (n.kind === "dhcp-any-ethernet" && n.tool === "ifupdown") {
    throw new Error("DHCP on any NIC is done with systemd-networkd in these recipes (ifupdown matches by name)");
  }
  throw new Error(`unsupported network config ${JSON.stringify(n)}`);
}

export function lateFiles(r: DebianRecipe, publicKey: string, uuid: string): Record<string, string> {
  return {
    "etc/hostname": r.hostname + "\n",
    "etc/hosts": `127.0.0.1 localhost\n127.0.1.1 ${r.hostname}\n::1 localhost ip6-localhost ip6-loopback\n`,
    "etc/fstab": r.fstabRoot === "uuid"
      ? `# tiosa: root by UUID, as Anaconda writes it\nUUID=${uuid} / ext4 defaults 1 1\n`
      : `# tiosa: root found by label, so it survives a change of disk controller\nLABEL=root / ext4 errors=remount-ro 0 1\n`,
    "etc/nftables.conf": r.nftablesRuleset,
    "etc/ssh/sshd_config.d/tiosa.conf": "PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n",
    "root/.ssh/authorized_keys": publicKey.trim() + "\n",
    "etc/default/grub.d/tiosa.cfg": [
      // The menu is not waited on (a test boots the default entry); it still prints "Booting".
      "GRUB_TIMEOUT=0",
      `GRUB_CMDLINE_LINUX="${r.kernelCmdline}"`,
      // Debian's installer default: the kernel and the initramfs' progress lines stay off the
      // console (a 1-vCPU TCG guest pays for each one); their errors (ALERT!, panic,
      // emergency mode: what boot-failure detection reads) are still printed.
      'GRUB_CMDLINE_LINUX_DEFAULT="quiet"',
      'GRUB_TERMINAL="console serial"',
      'GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"',
      "GRUB_DISABLE_OS_PROBER=true",
      `# root filesystem UUID ${uuid}`,
      "",
    ].join("\n"),
    ...networkFiles(r),
  };
}

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    const p = join(root, rel);
    await mkdir(join(p, ".."), { recursive: true });
    await rm(p, { force: true }); // resolv.conf may be a dangling symlink
    await writeFile(p, text);
  }
}

/** update-grub must have written a root=UUID= entry: the image's root is found by UUID. */
function requireRootByUuid(cfg: string, uuid: string): void {
  if (!cfg.includes(`root=UUID=${uuid}`)) throw new Error(`grub.cfg does not boot root=UUID=${uuid} (got: ${/root=\S+/.exec(cfg)?.[0] ?? "no root="})`);
}

/**
 * Builds a Debian recipe into `<workDir>/disk.raw`. With loop devices the root file system is
 * mounted on the host and GRUB is installed in a chroot; with libguestfs the root is built in a
 * plain directory, then packed into a file system and given GRUB inside libguestfs' appliance.
 */
export async function buildDebian(r: DebianRecipe, s: StepRunner, publicKey: string, method: DiskMethod): Promise<BuiltDisk> {
  const raw = join(s.workDir, "disk.raw");
  const root = join(s.workDir, "root");
  const early = join(s.workDir, "early");
  const uuid = randomUUID();
  const sizeBytes = r.diskSizeMiB * 1024 * 1024;
  const cleanups: (() => Promise<void>)[] = [];
  const signal = s.signal ? { signal: s.signal } : {};
  try {
    let disk = "", part = "";
    if (method === "loop") {
      await s.step("partition disk (MBR)", async () => {
        await createMbrDisk(raw, r.diskSizeMiB, s.signal);
        disk = await attachLoop(raw);
        cleanups.push(() => detachLoop(disk));
        part = await attachLoop(raw, { offset: PARTITION_OFFSET, sizeLimit: sizeBytes - PARTITION_OFFSET });
        cleanups.push(() => detachLoop(part));
      });
      s.info("partition disk (MBR)", `loop devices: disk ${disk}, partition ${part} (offset ${PARTITION_OFFSET})`);
      await s.step("make ext4 file system (LABEL=root)", async () => {
        await runOk("mkfs.ext4", ["-q", "-F", "-L", "root", "-U", uuid, part], { timeoutMs: 120_000, ...signal });
        await mkdir(root, { recursive: true });
        await runOk("mount", [part, root], { timeoutMs: 30_000 });
        cleanups.push(() => unmountStrict(root, processesUnder));
        // mmdebstrap wants an empty target; mkfs's lost+found is recreated by e2fsck when needed.
        await rm(join(root, "lost+found"), { recursive: true, force: true });
        await writeTree(early, earlyFiles(r));
      });
    } else {
      await mkdir(root, { recursive: true });
      await writeTree(early, earlyFiles(r));
      s.info("root directory", "the root file system is built in a directory; libguestfs' appliance makes the disk from it at the end");
    }
    await s.step(`mmdebstrap ${r.os.codename} (download + install ${r.packages.length} packages)`, async () => {
      await runOk("mmdebstrap", [
        "--mode=root", "--variant=minbase", "--quiet",
        `--include=${r.packages.join(",")}`,
        `--setup-hook=sync-in ${early} /`,
        r.os.codename, root, r.mirror,
      ], { timeoutMs: 3_600_000, ...signal });
    });
    let kernelRelease = "";
    await s.step("configure (fstab, network, nftables, sshd, key, services)", async () => {
      await writeTree(root, lateFiles(r, publicKey, uuid));
      await chmod(join(root, "root/.ssh"), 0o700);
      await chmod(join(root, "root/.ssh/authorized_keys"), 0o600);
      if (r.network.kind === "dhcp-mac-bound") await chmod(join(root, "usr/local/sbin/tiosa-firstboot-net"), 0o755);
      const kernels = (await readdir(join(root, "lib/modules"))).sort();
      kernelRelease = kernels[kernels.length - 1] ?? "";
      if (!kernelRelease) throw new Error("no kernel installed under /lib/modules");
    });
    const unchroot = await prepareChroot(root, method === "loop" ? { disk, partition: part, uuid, label: "root" } : undefined);
    cleanups.push(unchroot);
    await s.step("enable services, mask units, lock root password", async () => {
      await chrootRun(root, ["systemctl", "enable", ...r.enable], signal);
      if (r.mask.length) await chrootRun(root, ["systemctl", "mask", ...r.mask.map((m) => m.unit)], signal);
      await chrootRun(root, ["passwd", "--lock", "root"], signal);
    });
    if (method === "loop") {
      await s.step("install GRUB (i386-pc, MBR) in chroot", async () => {
        // The partition is a separate offset loop device, not a partition of `disk` as GRUB
        // sees it, so GRUB finds /boot by UUID (search.fs_uuid) and needs the MBR + ext2 modules.
        await chrootRun(root, ["grub-install", "--target=i386-pc", "--modules=part_msdos ext2 biosdisk", "--boot-directory=/boot", disk], signal);
        // grub-mkconfig's 10_linux skips every kernel when / is a loop device backed by a file
        // (it "can't cope" with those). For this one run, name the root device by its UUID link;
        // the image keeps no trace of it, so update-grub inside the guest behaves as usual.
        const buildOnly = join(root, "etc/default/grub.d/zz-tiosa-build-only.cfg");
        await writeFile(buildOnly, `GRUB_DEVICE=/dev/disk/by-uuid/${uuid}\n`);
        try {
          await chrootRun(root, ["update-grub"], signal);
        } finally {
          await rm(buildOnly, { force: true });
        }
        requireRootByUuid(await readFile(join(root, "boot/grub/grub.cfg"), "utf8"), uuid);
      });
    }
    let osPretty = "";
    let initrdModuleCount = 0;
    let initrdBytes = 0;
    await s.step(method === "loop" ? "check initramfs, trim free blocks, unmount" : "check initramfs", async () => {
      const initrd = join(root, "boot", `initrd.img-${kernelRelease}`);
      initrdBytes = (await stat(initrd)).size;
      // mkinitramfs falls back to gzip, silently, when the zstd it is told to use is missing.
      // trixie's starts with an uncompressed early cpio: the main archive follows its trailer.
      const head = compressedPartMagic(await readFile(initrd));
      if (head !== "28b52ffd") throw new Error(`the initramfs is not zstd-compressed (starts with ${head}; is zstd installed in the image?)`);
      const listing = (await chrootRun(root, [r.initramfsTool === "dracut" ? "lsinitrd" : "lsinitramfs", `/boot/initrd.img-${kernelRelease}`], signal)).stdout;
      const has = (m: string) => new RegExp(`/${m}\\.ko(\\.[a-z]+)?$`, "m").test(listing);
      // Each family's disk driver is in a MODULES=most initramfs; a host-only one has what it
      // lists and none of the other families' (or it would not be host-only).
      const familyDrivers = ["virtio_blk", "vmw_pvscsi", "ata_piix", "ahci"];
      if (r.initramfs.modules === "list") {
        const list = r.initramfs.list;
        // A driver built into the kernel (trixie's virtio_pci) needs no module in the initramfs.
        const builtin = await readFile(join(root, "lib/modules", kernelRelease, "modules.builtin"), "utf8").catch(() => "");
        const isBuiltin = (m: string) => new RegExp(`/${m.replace(/[-_]/g, "[-_]")}\\.ko$`, "m").test(builtin);
        const missing = list.filter((m) => !has(m) && !isBuiltin(m));
        if (missing.length) throw new Error(`the host-only initramfs lacks ${missing.join(", ")}`);
        const extra = familyDrivers.filter((m) => !list.includes(m) && has(m));
        if (extra.length) throw new Error(`the host-only initramfs (${list.join(", ")}) also has ${extra.join(", ")}`);
      } else {
        const missing = familyDrivers.filter((m) => !has(m));
        if (missing.length) throw new Error(`the MODULES=most initramfs lacks ${missing.join(", ")}`);
      }
      initrdModuleCount = listing.split("\n").filter((l) => /\.ko(\.[a-z]+)?$/.test(l)).length;
      osPretty = /^PRETTY_NAME="?([^"\n]*)/m.exec(await readFile(join(root, "etc/os-release"), "utf8"))?.[1] ?? "";
      await rm(join(root, "var/cache/apt/archives"), { recursive: true, force: true }).then(() => mkdir(join(root, "var/cache/apt/archives/partial"), { recursive: true }));
      if (method === "loop") {
        await runOk("fstrim", [root], { timeoutMs: 120_000 }).catch(() => undefined);
        // Unmount (strictly) before the loop devices go, then prove the file system is clean.
        await cleanups.pop()!(); // chroot mounts
        await cleanups.pop()!(); // root
        await requireCleanExt4(part);
        while (cleanups.length) await cleanups.pop()!();
      } else {
        await cleanups.pop()!(); // chroot mounts
      }
    });
    if (method === "libguestfs") {
      await s.step("make the disk in libguestfs' appliance: ext4, unpack root, grub-install, update-grub", async () => {
        const tarball = join(s.workDir, "root.tar");
        await runOk("tar", ["-C", root, "--numeric-owner", "--xattrs", "--xattrs-include=*", "--acls", "--one-file-system", "-cf", tarball, "."], { timeoutMs: 1_800_000, ...signal });
        await rm(root, { recursive: true, force: true });
        await createMbrDisk(raw, r.diskSizeMiB, s.signal);
        // The guest's own GRUB, run in the appliance where the disk is a real /dev/sda.
        const filled = await fillPartitionWithGuestfs({
          raw, uuid, label: "root", tarball,
          commands: ["grub-install --target=i386-pc /dev/sda", "update-grub"],
          readBack: ["/boot/grub/grub.cfg"],
          ...(s.signal ? { signal: s.signal } : {}),
        });
        await rm(tarball, { force: true });
        requireRootByUuid(filled.files["/boot/grub/grub.cfg"] ?? "", uuid);
        s.info("guestfs", `disk made in libguestfs' appliance in ${(filled.durationMs / 1000).toFixed(1)} s`);
      });
    }
    const initrdModules = r.initramfs.modules === "list" ? r.initramfs.list : undefined;
    return { rawPath: raw, kernelRelease, osPretty, rootUuid: uuid, details: { initramfs: r.initramfs.modules, initramfsTool: r.initramfsTool ?? "initramfs-tools", initramfsModuleCount: String(initrdModuleCount), initramfsBytes: String(initrdBytes), ...(initrdModules ? { initramfsModules: initrdModules.join(" ") } : {}) } };
  } finally {
    while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
  }
}
