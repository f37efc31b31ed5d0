import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { libguestfsEnv } from "../libguestfs/env.js";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UserError } from "../errors.js";
import { run, type ExecResult } from "../util/exec.js";

export interface GuestfishScriptResult extends ExecResult {
  /** stdout of the guest script (guestfish prints the `sh` command's output). */
  output: string;
}

/**
 * Runs a shell script chrooted in the image's root file system through guestfish:
 * upload it, `sh` it, remove it. `readonly` opens the image read-only (then the script must
 * not write; reads only). TIOSA_OFFLINE=1 tells the script it is not running in its guest.
 */
export async function runScriptOffline(image: string, format: string, script: string, opts: { readonly?: boolean; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<GuestfishScriptResult> {
  const env = await libguestfsEnv(opts.signal);
  const dir = await mkdtemp(join(tmpdir(), "tiosa-adapt-gf-"));
  try {
    const local = join(dir, "script.sh");
    await writeFile(local, script, { mode: 0o600 });
    const inGuest = `/tmp/tiosa-adapt-${process.pid}-${Date.now()}.sh`;
    // Read-only: the script runs on a throw-away qcow2 overlay, so the image itself is
    // never opened for writing (and lsinitramfs still has a writable /var/tmp).
    let disk = image, diskFormat = format;
    if (opts.readonly) {
      disk = join(dir, "overlay.qcow2");
      diskFormat = "qcow2";
      const c = await run("qemu-img", ["create", "-q", "-f", "qcow2", "-b", resolve(image), "-F", format, disk], { timeoutMs: 60_000, signal: opts.signal });
      if (c.code !== 0) throw new UserError(`image '${image}': cannot open it as ${format} (${c.stderr.trim()})`);
    }
    const commands = [`upload ${local} ${inGuest}`, `sh "TIOSA_OFFLINE=1 /bin/sh ${inGuest}"`, `rm ${inGuest}`];
    const args = ["--rw", "--format=" + diskFormat, "-a", disk, "-i"];
    const r = await run("guestfish", args, { input: commands.join("\n") + "\n", env, timeoutMs: opts.timeoutMs ?? 30 * 60_000, signal: opts.signal });
    if (r.timedOut) throw new Error(`guestfish on '${image}': timed out after ${opts.timeoutMs ?? 30 * 60_000} ms`);
    if (r.code !== 0) {
      const msg = r.stderr.trim().split("\n").filter((l) => !/^libguestfs: (trace|debug)/.test(l)).slice(-8).join(" | ");
      throw new GuestfishError(`guestfish on '${image}' failed (exit ${r.code}): ${msg}`, r);
    }
    return { ...r, output: r.stdout };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export class GuestfishError extends Error {
  constructor(message: string, readonly result: ExecResult) {
    super(message);
    this.name = "GuestfishError";
  }
}

/** `virt-sparsify --in-place`: discards the free blocks of the guest's file systems in the image. */
export async function sparsifyInPlace(image: string, format: string, signal?: AbortSignal): Promise<{ durationMs: number }> {
  const env = await libguestfsEnv(signal);
  const r = await run("virt-sparsify", ["--in-place", "--format", format, image], { env, timeoutMs: 30 * 60_000, signal });
  if (r.code !== 0) throw new Error(`virt-sparsify --in-place '${image}': exit ${r.code}: ${r.stderr.trim().split("\n").slice(-4).join(" | ")}`);
  return { durationMs: r.durationMs };
}
