import type { Probe } from "../probe.js";
import { subsections } from "../probe.js";

type Filesystem = { mountpoint: string; sizeBytes: number; device: string; fstype: string; uuid: string | null };

/**
 * Kernel and memory-backed filesystems are left out: they are not the VM's disks, and a
 * tmpfs size follows the memory size, which 2.2.b already judges.
 */
const NOT_DISKS = new Set([
  "proc", "sysfs", "devtmpfs", "devpts", "tmpfs", "ramfs", "securityfs", "cgroup", "cgroup2", "pstore",
  "bpf", "debugfs", "tracefs", "configfs", "fusectl", "mqueue", "hugetlbfs", "binfmt_misc", "autofs",
  "efivarfs", "rpc_pipefs", "nsfs", "selinuxfs", "fuse.gvfsd-fuse", "fuse.portal", "fuse.lxcfs", "nfsd", "rootfs",
]);

/** 2.2.c: mounted filesystems with their sizes (findmnt -J, or /proc/mounts + df on busybox). */
export const filesystemsProbe: Probe = {
  name: "filesystems",
  fields: ["filesystems"],
  script: () => [
    "if command -v findmnt >/dev/null 2>&1; then",
    "  echo '### findmnt'; findmnt -J -l -b -o TARGET,SOURCE,FSTYPE,SIZE,UUID",
    "else",
    "  echo '### mountinfo'; cat /proc/self/mountinfo",
    "  echo '### df'; df -P -k",
    "fi",
  ].join("\n"),
  parse(out) {
    const s = subsections(out.stdout);
    const fm = s.get("findmnt");
    const all = fm !== undefined ? parseFindmnt(fm) : parseMountinfoDf(s.get("mountinfo") ?? "", s.get("df") ?? "");
    return { filesystems: keepDisks(all) };
  },
};

export function parseFindmnt(json: string): Filesystem[] {
  const doc = JSON.parse(json) as { filesystems?: Array<Record<string, unknown>> };
  if (!Array.isArray(doc.filesystems)) throw new Error("findmnt -J output has no 'filesystems' array");
  return doc.filesystems.map((f) => ({
    mountpoint: String(f.target),
    device: String(f.source ?? ""),
    fstype: String(f.fstype ?? ""),
    // util-linux < 2.38 prints -b sizes as strings
    sizeBytes: Number(f.size ?? 0) || 0,
    uuid: typeof f.uuid === "string" && f.uuid !== "" ? f.uuid : null,
  }));
}

/** /proc/mounts escapes space, tab, newline and backslash as octal. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * /proc/self/mountinfo (proc(5)): ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS.
 * Unlike /proc/mounts it shows ROOT, so a bind mount of a subtree can be told from the disk.
 */
export function parseMountinfoDf(mountinfo: string, df: string): Filesystem[] {
  const sizes = new Map<string, number>();
  for (const line of df.split("\n").slice(1)) {
    // POSIX df -P: Filesystem 1024-blocks Used Available Capacity Mounted-on (mount point may hold spaces)
    const m = /^\S+\s+(\d+)\s+\d+\s+\d+\s+\d+%\s+(.+)$/.exec(line.trim());
    if (m) sizes.set(m[2]!, Number(m[1]) * 1024);
  }
  const r: Filesystem[] = [];
  for (const line of mountinfo.split("\n")) {
    const w = line.trim().split(" ");
    const dash = w.indexOf("-");
    if (dash < 6 || w.length < dash + 3) continue;
    const root = unescapeMount(w[3]!), mountpoint = unescapeMount(w[4]!);
    const fstype = w[dash + 1]!, source = unescapeMount(w[dash + 2]!);
    r.push({ mountpoint, device: root === "/" ? source : `${source}[${root}]`, fstype, sizeBytes: sizes.get(mountpoint) ?? 0, uuid: null });
  }
  return r;
}

/** Disk filesystems, one per mount point (the last mount on a point is the visible one). */
export function keepDisks(all: Filesystem[]): Filesystem[] {
  const byMp = new Map<string, Filesystem>();
  for (const f of all) {
    if (NOT_DISKS.has(f.fstype)) continue;
    // findmnt shows bind mounts of a subtree as /dev/sda1[/sub]: the disk is already listed
    if (/\[.*\]$/.test(f.device)) continue;
    if (f.sizeBytes === 0 && !f.device.startsWith("/dev/")) continue;
    byMp.delete(f.mountpoint);
    byMp.set(f.mountpoint, f);
  }
  return [...byMp.values()].sort((a, b) => a.mountpoint.localeCompare(b.mountpoint));
}
