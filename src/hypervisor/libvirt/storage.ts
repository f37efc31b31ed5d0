import { lstat, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runOk } from "../../util/exec.js";
import { TIOSA_PREFIX } from "../driver.js";
import type { Virsh } from "./virsh.js";

/** Where libvirt keeps tiosa's volumes on the hypervisor host (one dir pool per run). */
export const POOL_ROOT = "/var/lib/libvirt/images";

/**
 * A run's storage on one libvirt host: its dir pool under POOL_ROOT (created on first use,
 * removed by the driver's cleanup) and its staging directory on this machine (the XML files
 * domains are defined from, disks converted before an upload to a remote host).
 */
export class RunStorage {
  private stagingDir: string | undefined;

  constructor(private readonly virsh: Virsh, readonly runId: string, private readonly local: boolean) {}

  get poolName(): string { return `${TIOSA_PREFIX}${this.runId}`; }

  /**
   * One staging directory per run, shared by every driver instance of that run, so that
   * whichever instance cleans up the run also removes it. Its name is predictable, so it is
   * created exclusively and refused if something else (a symlink, another user's) is there.
   */
  async staging(): Promise<string> {
    if (this.stagingDir) return this.stagingDir;
    const dir = join(tmpdir(), `tiosa-libvirt-${this.runId}`);
    try {
      await mkdir(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const st = await lstat(dir);
      if (!st.isDirectory() || st.uid !== process.getuid?.()) throw new Error(`staging directory ${dir} exists and is not this user's directory`);
    }
    this.stagingDir = dir;
    return dir;
  }

  /** Forgets (and, unless `keepFiles`, removes) this instance's staging directory. */
  async releaseStaging(keepFiles = false): Promise<void> {
    const dir = this.stagingDir;
    this.stagingDir = undefined;
    if (dir && !keepFiles) await rm(dir, { recursive: true, force: true });
  }

  /** This run's storage pool (created on first use). Returns its name. */
  async ensurePool(signal?: AbortSignal): Promise<string> {
    const r = await this.virsh.raw(["pool-info", this.poolName], { signal });
    if (r.code === 0) return this.poolName;
    const path = `${POOL_ROOT}/${this.poolName}`;
    await this.virsh.ok(["pool-define-as", this.poolName, "dir", "--target", path], { signal });
    await this.virsh.ok(["pool-build", this.poolName], { signal });
    await this.virsh.ok(["pool-start", this.poolName], { signal });
    return this.poolName;
  }

  /** Puts a disk image into this run's pool in `format`; returns its path on the hypervisor host. */
  async importDisk(volName: string, src: string, srcFormat: string, format: string, options: string[], signal?: AbortSignal): Promise<string> {
    const ext = { qcow2: "qcow2", vmdk: "vmdk", vhdx: "vhdx", vpc: "vhd", raw: "img" }[format] ?? format;
    const fileName = `${volName}.${ext}`;
    const opt = options.length ? ["-o", options.join(",")] : [];
    if (this.local) {
      const dst = `${POOL_ROOT}/${this.poolName}/${fileName}`;
      await runOk("qemu-img", ["convert", "-f", srcFormat, "-O", format, ...opt, src, dst], { timeoutMs: 600_000, signal });
      await this.virsh.ok(["pool-refresh", this.poolName], { signal });
      return dst;
    }
    // Remote: convert here, then stream it through libvirt (no shared file system assumed).
    const tmp = join(await this.staging(), fileName);
    await runOk("qemu-img", ["convert", "-f", srcFormat, "-O", format, ...opt, src, tmp], { timeoutMs: 600_000, signal });
    const info = JSON.parse((await runOk("qemu-img", ["info", "--output=json", "-f", format, tmp], { signal })).stdout) as { "virtual-size": number };
    await this.virsh.ok(["vol-create-as", this.poolName, fileName, `${info["virtual-size"]}B`, "--format", format === "vpc" ? "vpc" : format], { signal });
    await this.virsh.ok(["vol-upload", "--pool", this.poolName, fileName, tmp], { signal, timeoutMs: 900_000 });
    await rm(tmp, { force: true });
    return (await this.virsh.ok(["vol-path", "--pool", this.poolName, fileName], { signal })).trim();
  }

  /** A blank raw volume in the run's pool (ensurePool first); returns its path. */
  async createBlankVolume(volume: string, sizeBytes: number, signal?: AbortSignal): Promise<string> {
    await this.virsh.ok(["vol-create-as", this.poolName, volume, `${sizeBytes}B`, "--format", "raw"], { signal });
    return (await this.virsh.ok(["vol-path", "--pool", this.poolName, volume], { signal })).trim();
  }
}
