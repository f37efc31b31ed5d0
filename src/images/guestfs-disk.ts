import { open, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runOk } from "../util/exec.js";
import { guestfishQuote, libguestfsEnv } from "../libguestfs/env.js";
import { PARTITION_OFFSET } from "./disk.js";

/**
 * The disk method for machines that cannot attach loop devices (containers without
 * /dev/loop-control): the file system is made and filled inside libguestfs's appliance VM
 * (`guestfish`), never mounted in this host's kernel. The partition table is written to
 * the raw file by sfdisk as on the loop path, so both methods give the same layout.
 */

interface FillPartitionOptions {
  /** Raw disk with an MBR and one partition at PARTITION_OFFSET (createMbrDisk). */
  raw: string;
  uuid: string;
  label: string;
  /** Tarball (numeric owners) unpacked at the file system's root. */
  tarball: string;
  /** Commands run chrooted in the new file system after unpacking, e.g. grub-install. */
  commands?: string[];
  /** Files read back from the new file system after the commands, by absolute path. */
  readBack?: string[];
  signal?: AbortSignal;
}

/** What the appliance printed for each `readBack` file, and the file system's state. */
interface FilledPartition {
  files: Record<string, string>;
  state: string;
  durationMs: number;
}

const MARK = "tiosa-guestfs-mark";

/** Makes ext4 on partition 1, unpacks the tarball, runs the commands, proves it clean. */
export async function fillPartitionWithGuestfs(o: FillPartitionOptions): Promise<FilledPartition> {
  const env = await libguestfsEnv(o.signal);
  const q = guestfishQuote;
  const readBack = o.readBack ?? [];
  const script = [
    `add-drive ${q(o.raw)} format:raw`,
    "run",
    `mkfs ext4 /dev/sda1 label:${q(o.label)}`,
    `set-uuid /dev/sda1 ${q(o.uuid)}`,
    "mount /dev/sda1 /",
    `tar-in ${q(o.tarball)} / xattrs:true acls:true`,
    ...(o.commands ?? []).map((c) => `command ${q(c)}`),
    // Markers split stdout, so each file's text is read back exactly.
    ...readBack.flatMap((f) => [`echo ${MARK}:${f}`, `cat ${q(f)}`]),
    `echo ${MARK}:end`,
    "fstrim /",
    "umount-all",
    "tune2fs-l /dev/sda1",
    "shutdown",
  ].join("\n") + "\n";
  const r = await runOk("guestfish", ["--rw"], { input: script, env, timeoutMs: 60 * 60_000, ...(o.signal ? { signal: o.signal } : {}) });
  const files: Record<string, string> = {};
  const parts = r.stdout.split(new RegExp(`^${MARK}:`, "m"));
  for (const p of parts.slice(1)) {
    const nl = p.indexOf("\n");
    const name = p.slice(0, nl);
    if (name !== "end") files[name] = p.slice(nl + 1);
  }
  const tail = parts[parts.length - 1] ?? "";
  const state = /^Filesystem state:\s*(.+)$/m.exec(tail)?.[1]?.trim() ?? "unknown";
  if (state !== "clean") throw new Error(`the file system guestfish made on ${o.raw} is not clean after unmounting (state ${state})`);
  return { files, state, durationMs: r.durationMs };
}

/** Bytes of boot.img that hold code; the partition table and signature that follow stay. */
const MBR_CODE_BYTES = 440;

/**
 * Installs GRUB for i386-pc on a raw disk *file*, as grub-install does on a device: boot.img's
 * code into the MBR (keeping the partition table) and core.img into the gap before the first
 * partition. boot.img's defaults already load core.img from sector 1, and grub-mkimage sets
 * core.img's own block list for the sectors after it, so nothing else needs patching.
 */
export async function writeGrubToMbrGap(raw: string, bootImg: string, coreImg: string): Promise<{ coreBytes: number }> {
  const boot = await readFile(bootImg);
  const core = await readFile(coreImg);
  if (boot.length !== 512) throw new Error(`${bootImg} is ${boot.length} bytes, not one sector`);
  if (512 + core.length > PARTITION_OFFSET) throw new Error(`core.img (${core.length} bytes) does not fit before the first partition at ${PARTITION_OFFSET}`);
  if ((await stat(raw)).size < PARTITION_OFFSET) throw new Error(`${raw} is smaller than its partition offset`);
  const fh = await open(raw, "r+");
  try {
    const mbr = Buffer.alloc(512);
    await fh.read(mbr, 0, 512, 0);
    if (mbr[510] !== 0x55 || mbr[511] !== 0xaa) throw new Error(`${raw} has no MBR partition table`);
    boot.copy(mbr, 0, 0, MBR_CODE_BYTES);
    await fh.write(mbr, 0, 512, 0);
    await fh.write(core, 0, core.length, 512);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { coreBytes: core.length };
}

/**
 * core.img for a BIOS disk whose /boot/grub is on the ext4 file system with `uuid`: finds it
 * by UUID (as grub-install's early config does), then reads normal.mod and grub.cfg from there.
 */
export async function makeCoreImage(grubDir: string, uuid: string, workDir: string): Promise<string> {
  const early = join(workDir, "grub-early.cfg");
  const core = join(workDir, "core.img");
  await writeFile(early, `search.fs_uuid ${uuid} root\nset prefix=($root)/boot/grub\n`);
  await runOk("grub-mkimage", ["-O", "i386-pc", "-d", grubDir, "-c", early, "-p", "/boot/grub", "-o", core, "biosdisk", "part_msdos", "ext2", "search_fs_uuid"], { timeoutMs: 60_000 });
  return core;
}
