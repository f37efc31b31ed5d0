import { mkdir, readdir, readFile, writeFile, chmod, copyFile, symlink, rm } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { runOk } from "../util/exec.js";
import type { TinyRecipe } from "./recipe.js";
import { attachLoop, createMbrDisk, detachLoop, PARTITION_OFFSET, unmountStrict, requireCleanExt4, type DiskMethod } from "./disk.js";
import { fillPartitionWithGuestfs, makeCoreImage, writeGrubToMbrGap } from "./guestfs-disk.js";
import { processesUnder } from "./cache.js";
import type { StepRunner } from "./steps.js";

export interface BuiltDisk {
  rawPath: string;
  kernelRelease: string;
  osPretty: string;
  rootUuid: string;
  details: Record<string, string>;
}

/** The `depends=` field of a kernel module's .modinfo section, read straight from the file. */
export function moduleDepends(ko: Buffer): string[] {
  const i = ko.indexOf("\0depends=");
  if (i < 0) return [];
  const end = ko.indexOf(0, i + 1);
  return ko.toString("latin1", i + 9, end).split(",").filter(Boolean);
}

const norm = (m: string) => m.replace(/-/g, "_");

/**
 * Module files for `wanted` plus their dependencies, dependencies first (insmod order).
 * Modules built into the kernel are skipped; an unknown name is an error (a recipe typo).
 */
export async function resolveModules(modDir: string, wanted: string[]): Promise<{ files: string[]; builtin: string[] }> {
  const byName = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\.ko(\.xz|\.zst)?$/.test(e.name)) byName.set(norm(e.name.replace(/\.ko(\.xz|\.zst)?$/, "")), p);
    }
  };
  await walk(join(modDir, "kernel"));
  const builtinText = await readFile(join(modDir, "modules.builtin"), "utf8").catch(() => "");
  const builtinSet = new Set(builtinText.split("\n").filter(Boolean).map((l) => norm(basename(l).replace(/\.ko$/, ""))));
  const order: string[] = [], builtin: string[] = [];
  const seen = new Set<string>();
  const visit = async (name: string, chain: string[]): Promise<void> => {
    const n = norm(name);
    if (seen.has(n)) return;
    seen.add(n);
    const file = byName.get(n);
    if (!file) {
      if (builtinSet.has(n)) { builtin.push(n); return; }
      throw new Error(`kernel module '${name}' not found in ${modDir}${chain.length ? ` (needed by ${chain.join(" <- ")})` : ""}`);
    }
    if (file.endsWith(".ko")) for (const d of moduleDepends(await readFile(file))) await visit(d, [name, ...chain]);
    order.push(file);
  };
  for (const m of wanted) await visit(m, []);
  return { files: order, builtin };
}

const INITTAB = `::sysinit:/etc/rc
::respawn:/usr/sbin/dropbear -F -E -s -r /etc/dropbear/dropbear_ed25519_host_key -p 22
::ctrlaltdel:/bin/poweroff -f
::shutdown:/bin/umount -a -r
`;

const RC = `#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /tmp /run /var/run /var/log
mount -t devpts devpts /dev/pts
echo "tiosa-tiny: loading modules"
while read -r m; do insmod "/lib/modules/$m" 2>/dev/null; done < /lib/modules/load-order
hostname -F /etc/hostname
# The ACPI power button (a hypervisor's shutdown, and its reboot: libvirt powers the guest
# off and starts it again) runs /etc/acpi/PWRF/00000080: poweroff.
acpid -c /etc/acpi -l /var/log/acpid.log
ip link set lo up
for d in /sys/class/net/*; do
  n=\${d##*/}
  [ "$n" = lo ] && continue
  ip link set "$n" up
  udhcpc -b -S -i "$n" -s /usr/share/udhcpc/default.script >/dev/null 2>&1
done
echo "tiosa-tiny: up: $(ip -4 -o addr show | grep -v ' lo ' | awk '{print $2, $4}' | tr '\\n' ' ')"
`;

const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
    : > /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done ;;
esac
`;

/** Shared libraries of a binary from the extracted tree, resolved by the host's dynamic loader. */
async function libsOf(tree: string, bin: string): Promise<string[]> {
  const libPath = [join(tree, "lib/x86_64-linux-gnu"), join(tree, "usr/lib/x86_64-linux-gnu")].join(":");
  const r = await runOk("/lib64/ld-linux-x86-64.so.2", ["--library-path", libPath, "--list", bin], { timeoutMs: 30_000 });
  return [...r.stdout.matchAll(/=>\s+(\/\S+)/g)].map((m) => m[1]!).filter((p) => p.startsWith(tree + "/"));
}

/** The host's GRUB for BIOS: the tiny guest has no GRUB package of its own. */
const HOST_GRUB_I386_PC = "/usr/lib/grub/i386-pc";

function tinyGrubCfg(kernelRelease: string, uuid: string, cmdline: string): string {
  return [
    "serial --unit=0 --speed=115200",
    "terminal_input serial console",
    "terminal_output serial console",
    "set timeout=0",
    `search --no-floppy --fs-uuid --set=root ${uuid}`,
    `linux /boot/vmlinuz-${kernelRelease} ${cmdline}`,
    `initrd /boot/initrd.img-${kernelRelease}`,
    "boot",
    "",
  ].join("\n");
}

/**
 * Builds the tiny recipe: takes the kernel, busybox and dropbear out of Debian's packages,
 * packs them with an init into a small initramfs, and puts kernel + initramfs + GRUB on a
 * small MBR disk. The guest runs from RAM.
 */
export async function buildTiny(r: TinyRecipe, s: StepRunner, publicKey: string, method: DiskMethod): Promise<BuiltDisk> {
  const tree = join(s.workDir, "tree");
  const initDir = join(s.workDir, "initramfs");
  const initrd = join(s.workDir, "initrd.img");
  const raw = join(s.workDir, "disk.raw");
  const mnt = join(s.workDir, "mnt");
  const signal = s.signal ? { signal: s.signal } : {};
  const uuid = randomUUID();
  const cleanups: (() => Promise<void>)[] = [];
  try {
    await s.step(`mmdebstrap --variant=extract (download ${r.packages.join(", ")})`, async () => {
      await runOk("mmdebstrap", ["--mode=root", "--variant=extract", "--quiet", `--include=${r.packages.join(",")}`, r.os.codename, tree, r.mirror], { timeoutMs: 1_800_000, ...signal });
    });
    const kernelRelease = (await readdir(join(tree, "lib/modules"))).sort().pop() ?? "";
    if (!kernelRelease) throw new Error("no kernel in the extracted packages");
    let moduleCount = 0;
    await s.step("assemble initramfs (busybox, dropbear, modules, init)", async () => {
      for (const d of ["bin", "sbin", "usr/bin", "usr/sbin", "etc/dropbear", "root/.ssh", "lib/modules", "lib64", "usr/share/udhcpc", "proc", "sys", "dev", "tmp", "run", "var/log"]) {
        await mkdir(join(initDir, d), { recursive: true });
      }
      await copyFile(join(tree, "bin/busybox"), join(initDir, "bin/busybox"));
      await chmod(join(initDir, "bin/busybox"), 0o755);
      // The init applet needs /bin/sh etc. before anything runs, so the links are made here.
      const applets = (await runOk(join(tree, "bin/busybox"), ["--list-full"], { timeoutMs: 10_000 })).stdout.split("\n").filter(Boolean);
      for (const a of applets) {
        const p = join(initDir, a);
        if (a === "bin/busybox") continue;
        await mkdir(dirname(p), { recursive: true });
        const rel = a.split("/").slice(1).map(() => "..").join("/") + "/bin/busybox";
        await symlink(rel, p).catch(() => undefined);
      }
      await symlink("bin/busybox", join(initDir, "init"));
      const dropbear = join(tree, "usr/sbin/dropbear");
      await copyFile(dropbear, join(initDir, "usr/sbin/dropbear"));
      await chmod(join(initDir, "usr/sbin/dropbear"), 0o755);
      await mkdir(join(initDir, "lib/x86_64-linux-gnu"), { recursive: true });
      for (const lib of await libsOf(tree, dropbear)) {
        await copyFile(lib, join(initDir, "lib/x86_64-linux-gnu", basename(lib)));
      }
      await copyFile(join(tree, "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"), join(initDir, "lib64/ld-linux-x86-64.so.2"));
      await chmod(join(initDir, "lib64/ld-linux-x86-64.so.2"), 0o755);

      const modDir = join(tree, "lib/modules", kernelRelease);
      const { files } = await resolveModules(modDir, r.modules);
      const order: string[] = [];
      for (const f of files) {
        const name = basename(f);
        await copyFile(f, join(initDir, "lib/modules", name));
        order.push(name);
      }
      moduleCount = order.length;
      await writeFile(join(initDir, "lib/modules/load-order"), order.join("\n") + "\n");

      const libPath = [join(tree, "lib/x86_64-linux-gnu"), join(tree, "usr/lib/x86_64-linux-gnu")].join(":");
      await runOk("/lib64/ld-linux-x86-64.so.2", ["--library-path", libPath, join(tree, "usr/bin/dropbearkey"), "-t", "ed25519", "-f", join(initDir, "etc/dropbear/dropbear_ed25519_host_key")], { timeoutMs: 30_000 });
      await writeFile(join(initDir, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
      await writeFile(join(initDir, "etc/shadow"), "root:*:19000:0:99999:7:::\n", { mode: 0o600 });
      await writeFile(join(initDir, "etc/group"), "root:x:0:\n");
      await writeFile(join(initDir, "etc/shells"), "/bin/sh\n");
      await writeFile(join(initDir, "etc/hostname"), r.hostname + "\n");
      await writeFile(join(initDir, "etc/inittab"), INITTAB);
      await writeFile(join(initDir, "etc/rc"), RC, { mode: 0o755 });
      await mkdir(join(initDir, "etc/acpi/PWRF"), { recursive: true });
      await writeFile(join(initDir, "etc/acpi/PWRF/00000080"), "#!/bin/sh\nexec poweroff\n", { mode: 0o755 });
      await writeFile(join(initDir, "usr/share/udhcpc/default.script"), UDHCPC_SCRIPT, { mode: 0o755 });
      await chmod(join(initDir, "root"), 0o700);
      await chmod(join(initDir, "root/.ssh"), 0o700);
      await writeFile(join(initDir, "root/.ssh/authorized_keys"), publicKey.trim() + "\n", { mode: 0o600 });
      // Fixed argv; the directories are passed as positional parameters, never spliced in.
      await runOk("sh", ["-c", 'cd "$1" && find . -print0 | LC_ALL=C sort -z | cpio --null --create --format=newc --quiet --owner=0:0 | gzip -9 > "$2"', "sh", initDir, initrd], { timeoutMs: 300_000, ...signal });
    });
    if (method === "loop") {
      await s.step("partition disk, copy kernel + initramfs, install GRUB (i386-pc, MBR)", async () => {
        await createMbrDisk(raw, r.diskSizeMiB, s.signal);
        const disk = await attachLoop(raw);
        cleanups.push(() => detachLoop(disk));
        const part = await attachLoop(raw, { offset: PARTITION_OFFSET, sizeLimit: r.diskSizeMiB * 1024 * 1024 - PARTITION_OFFSET });
        cleanups.push(() => detachLoop(part));
        await runOk("mkfs.ext4", ["-q", "-F", "-L", "root", "-U", uuid, part], { timeoutMs: 60_000 });
        await mkdir(mnt, { recursive: true });
        await runOk("mount", [part, mnt], { timeoutMs: 30_000 });
        cleanups.push(() => unmountStrict(mnt, processesUnder));
        await mkdir(join(mnt, "boot/grub"), { recursive: true });
        await copyFile(join(tree, "boot", `vmlinuz-${kernelRelease}`), join(mnt, "boot", `vmlinuz-${kernelRelease}`));
        await copyFile(initrd, join(mnt, "boot", `initrd.img-${kernelRelease}`));
        await runOk("grub-install", ["--target=i386-pc", "--modules=part_msdos ext2 biosdisk", `--boot-directory=${join(mnt, "boot")}`, disk], { timeoutMs: 120_000, ...signal });
        await writeFile(join(mnt, "boot/grub/grub.cfg"), tinyGrubCfg(kernelRelease, uuid, r.kernelCmdline));
        await cleanups.pop()!();
        await requireCleanExt4(part);
        while (cleanups.length) await cleanups.pop()!();
      });
    } else {
      await s.step("partition disk, make ext4 and copy kernel + initramfs in libguestfs' appliance, write GRUB (i386-pc, MBR)", async () => {
        // The same files grub-install would put on the disk, packed for guestfish's tar-in.
        const fsTree = join(s.workDir, "bootfs");
        await mkdir(join(fsTree, "boot/grub/i386-pc"), { recursive: true });
        await copyFile(join(tree, "boot", `vmlinuz-${kernelRelease}`), join(fsTree, "boot", `vmlinuz-${kernelRelease}`));
        await copyFile(initrd, join(fsTree, "boot", `initrd.img-${kernelRelease}`));
        for (const f of await readdir(HOST_GRUB_I386_PC)) {
          if (/\.(mod|lst)$/.test(f)) await copyFile(join(HOST_GRUB_I386_PC, f), join(fsTree, "boot/grub/i386-pc", f));
        }
        await writeFile(join(fsTree, "boot/grub/grub.cfg"), tinyGrubCfg(kernelRelease, uuid, r.kernelCmdline));
        const tarball = join(s.workDir, "bootfs.tar");
        await runOk("tar", ["-C", fsTree, "--numeric-owner", "--owner=0", "--group=0", "-cf", tarball, "."], { timeoutMs: 120_000, ...signal });
        await createMbrDisk(raw, r.diskSizeMiB, s.signal);
        const filled = await fillPartitionWithGuestfs({ raw, uuid, label: "root", tarball, ...(s.signal ? { signal: s.signal } : {}) });
        s.info("guestfs", `file system made and filled in libguestfs' appliance in ${(filled.durationMs / 1000).toFixed(1)} s`);
        const core = await makeCoreImage(HOST_GRUB_I386_PC, uuid, s.workDir);
        await writeGrubToMbrGap(raw, join(HOST_GRUB_I386_PC, "boot.img"), core);
        for (const f of [fsTree, tarball, core]) await rm(f, { recursive: true, force: true });
      });
    }
    await rm(tree, { recursive: true, force: true });
    await rm(initDir, { recursive: true, force: true });
    const initrdSize = (await readFile(initrd)).length;
    return {
      rawPath: raw, kernelRelease, osPretty: `Debian ${r.os.version} (${r.os.codename}) packages: busybox + dropbear`, rootUuid: uuid,
      details: { initramfsBytes: String(initrdSize), initramfsModuleCount: String(moduleCount) },
    };
  } finally {
    while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
  }
}
