import { mkdir, stat, symlink } from "node:fs/promises";
import { join } from "node:path";
import { run, runOk } from "../util/exec.js";

const CHROOT_ENV = {
  PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
  LANG: "C.UTF-8",
  DEBIAN_FRONTEND: "noninteractive",
  HOME: "/root",
};

/**
 * Mounts /proc, /sys and a private /dev into `root` for tools run in a chroot. The /dev is
 * a tmpfs holding only the nodes the tools need plus /dev/disk/by-uuid and by-label links:
 * there is no udev here, and update-grub only writes root=UUID= when the by-uuid link
 * exists. Returns an unmount function.
 */
export async function prepareChroot(root: string, devices?: { disk: string; partition: string; uuid: string; label: string }): Promise<() => Promise<void>> {
  const mounted: string[] = [];
  const unmount = async () => {
    for (const m of mounted.reverse()) {
      const r = await run("umount", [m], { timeoutMs: 30_000 });
      if (r.code !== 0) throw new Error(`cannot unmount ${m}: ${r.stderr.trim()}`);
    }
    mounted.length = 0;
  };
  try {
    for (const [fs, dir] of [["proc", "proc"], ["sysfs", "sys"], ["tmpfs", "dev"]] as const) {
      const p = join(root, dir);
      await mkdir(p, { recursive: true });
      await runOk("mount", ["-t", fs, "-o", dir === "dev" ? "mode=755,size=16m" : "nosuid,nodev,noexec", `tiosa-${dir}`, p], { timeoutMs: 30_000 });
      mounted.push(p);
    }
    const dev = join(root, "dev");
    const nodes: [string, string][] = [["null", "/dev/null"], ["zero", "/dev/zero"], ["full", "/dev/full"], ["random", "/dev/random"], ["urandom", "/dev/urandom"], ["tty", "/dev/tty"]];
    if (devices) nodes.push([devices.disk.replace("/dev/", ""), devices.disk], [devices.partition.replace("/dev/", ""), devices.partition]);
    for (const [name, host] of nodes) {
      const st = await stat(host);
      const major = Math.floor(st.rdev / 256) & 0xfff, minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
      await runOk("mknod", ["-m", "666", join(dev, name), st.isBlockDevice() ? "b" : "c", String(major), String(minor)], { timeoutMs: 10_000 });
    }
    await mkdir(join(dev, "pts"));
    await mkdir(join(dev, "shm"));
    if (devices) {
      await mkdir(join(dev, "disk", "by-uuid"), { recursive: true });
      await mkdir(join(dev, "disk", "by-label"), { recursive: true });
      const part = devices.partition.replace("/dev/", "");
      await symlink(`../../${part}`, join(dev, "disk", "by-uuid", devices.uuid));
      await symlink(`../../${part}`, join(dev, "disk", "by-label", devices.label));
    }
    return unmount;
  } catch (e) {
    await unmount();
    throw e;
  }
}

export function chrootRun(root: string, cmd: string[], opts: { timeoutMs?: number; signal?: AbortSignal } = {}) {
  return runOk("chroot", [root, ...cmd], { env: CHROOT_ENV, timeoutMs: opts.timeoutMs ?? 600_000, ...(opts.signal ? { signal: opts.signal } : {}) });
}
