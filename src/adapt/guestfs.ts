import { spawn } from "node:child_process";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { libguestfsEnv } from "../libguestfs/env.js";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UserError } from "../errors.js";
import { run, type ExecResult } from "../util/exec.js";

interface GuestfishScriptResult extends ExecResult {
  /** stdout of the guest script (guestfish prints the `sh` command's output). */
  output: string;
}

/**
 * Runs a shell script chrooted in the image's root file system through guestfish:
 * upload it, `sh` it, remove it. `readonly` opens the image read-only (then the script must
 * not write; reads only). TIOSA_OFFLINE=1 tells the script it is not running in its guest.
 */
export async function runScriptOffline(image: string, format: string, script: string, opts: {
  readonly?: boolean; timeoutMs?: number; signal?: AbortSignal;
  /** The VM's other disks, in its order: inspection mounts what its fstab puts on them (/var, /boot, ...). */
  moreDisks?: { path: string; format: string }[];
} = {}): Promise<GuestfishScriptResult> {
  const env = await libguestfsEnv(opts.signal);
  const dir = await mkdtemp(join(tmpdir(), "tiosa-adapt-gf-"));
  try {
    const local = join(dir, "script.sh");
    await writeFile(local, script, { mode: 0o600 });
    const inGuest = `/tmp/tiosa-adapt-${process.pid}-${Date.now()}.sh`;
    // Read-only: the script runs on a throw-away qcow2 overlay, so the image itself is
    // never opened for writing (and lsinitramfs still has a writable /var/tmp).
    const args = ["--rw"];
    for (const [i, d] of [{ path: image, format }, ...(opts.moreDisks ?? [])].entries()) {
      let disk = d.path, diskFormat = d.format;
      if (opts.readonly) {
        disk = join(dir, `overlay-${i}.qcow2`);
        diskFormat = "qcow2";
        const c = await run("qemu-img", ["create", "-q", "-f", "qcow2", "-b", resolve(d.path), "-F", d.format, disk], { timeoutMs: 60_000, signal: opts.signal });
        if (c.code !== 0) throw new UserError(`image '${d.path}': cannot open it as ${d.format} (${c.stderr.trim()})`);
      }
      args.push("--format=" + diskFormat, "-a", disk);
    }
    args.push("-i");
    const commands = [`upload ${local} ${inGuest}`, `sh "TIOSA_OFFLINE=1 /bin/sh ${inGuest}"`, `rm ${inGuest}`];
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

class GuestfishError extends Error {
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

async function listen(args: string[], env: NodeJS.ProcessEnv, errFile: string, signal?: AbortSignal): Promise<ExecResult> {
  const err = await open(errFile, "w");
  const t0 = Date.now();
  try {
    const child = spawn("guestfish", args, { env, stdio: ["ignore", "pipe", err.fd] });
    let stdout = "";
    child.stdout!.on("data", (d) => { stdout += d; });
    const onAbort = () => child.kill("SIGKILL");
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(onAbort, 20 * 60_000);
    const [code, sig] = await new Promise<[number | null, NodeJS.Signals | null]>((res, rej) => {
      child.on("error", rej);
      child.on("exit", (c, s) => res([c, s]));
    }).finally(() => { clearTimeout(timer); signal?.removeEventListener("abort", onAbort); });
    // The pid line is written before the exit; give the pipe a moment to deliver it.
    for (let i = 0; i < 20 && !/GUESTFISH_PID=\d+/.test(stdout); i++) await new Promise((res) => setTimeout(res, 50));
    child.stdout!.destroy();
    return { code, signal: sig, stdout, stderr: await readFile(errFile, "utf8"), timedOut: false, durationMs: Date.now() - t0 };
  } finally {
    await err.close();
  }
}

/**
 * One libguestfs appliance kept up for several scripts on the same image (`guestfish
 * --listen`, then `guestfish --remote` per command): the adapt route reads the facts, plans
 * in tiosa, then applies, and booting the appliance once instead of twice is most of the
 * preparation time under TCG. A failing command ends guestfish's server (its own rule), so
 * a session is done after its first error. Always `close()` it.
 */
export class GuestfishSession {
  private alive = true;
  private constructor(readonly image: string, private readonly pid: number, private readonly env: NodeJS.ProcessEnv, private readonly dir: string) {}

  static async open(image: string, format: string, signal?: AbortSignal): Promise<GuestfishSession> {
    const env = await libguestfsEnv(signal);
    const dir = await mkdtemp(join(tmpdir(), "tiosa-adapt-gf-"));
    // guestfish forks its server once the appliance is up, prints GUESTFISH_PID=N and exits.
    // The server keeps the first process's stderr: so stderr goes to a file and the wait is
    // for the process's exit, not for its pipes to close (they never would).
    const r = await listen(["--listen", "--rw", `--format=${format}`, "-a", image, "-i"], env, join(dir, "listen.err"), signal);
    const pid = Number(/GUESTFISH_PID=(\d+)/.exec(r.stdout)?.[1] ?? NaN);
    if (r.code !== 0 || !Number.isInteger(pid)) {
      await rm(dir, { recursive: true, force: true });
      const msg = r.stderr.trim().split("\n").filter((l) => !/^libguestfs: (trace|debug)/.test(l)).slice(-8).join(" | ");
      throw new GuestfishError(`guestfish on '${image}' could not start (exit ${r.code}): ${msg}`, r);
    }
    return new GuestfishSession(image, pid, env, dir);
  }

  private remote(args: string[], timeoutMs: number, signal?: AbortSignal): Promise<ExecResult> {
    return run("guestfish", [`--remote=${this.pid}`, "--", ...args], { env: this.env, timeoutMs, ...(signal ? { signal } : {}) });
  }

  /** As runScriptOffline, in this session's appliance. */
  async runScript(script: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<GuestfishScriptResult> {
    if (!this.alive) throw new Error(`guestfish session on '${this.image}' has ended (an earlier command failed)`);
    const local = join(this.dir, `script-${Date.now()}.sh`);
    await writeFile(local, script, { mode: 0o600 });
    const inGuest = `/tmp/tiosa-adapt-${process.pid}-${Date.now()}.sh`;
    const timeoutMs = opts.timeoutMs ?? 30 * 60_000;
    try {
      for (const cmd of [["upload", local, inGuest], ["sh", `TIOSA_OFFLINE=1 /bin/sh ${inGuest}`]]) {
        const r = await this.remote(cmd, timeoutMs, opts.signal);
        if (r.timedOut) { this.alive = false; throw new Error(`guestfish on '${this.image}': timed out after ${timeoutMs} ms`); }
        if (r.code !== 0) {
          this.alive = false;
          const msg = r.stderr.trim().split("\n").filter((l) => !/^libguestfs: (trace|debug)/.test(l)).slice(-8).join(" | ");
          throw new GuestfishError(`guestfish on '${this.image}' failed (exit ${r.code}): ${msg}`, r);
        }
        if (cmd[0] === "sh") {
          await this.remote(["rm", inGuest], 60_000);
          return { ...r, output: r.stdout };
        }
      }
      throw new Error("unreachable");
    } finally {
      await rm(local, { force: true });
    }
  }

  /** Syncs and ends the appliance (also after an error), and removes the session's files. */
  async close(): Promise<void> {
    if (this.alive) {
      this.alive = false;
      const r = await this.remote(["exit"], 120_000);
      if (r.code !== 0) try { process.kill(this.pid, "SIGTERM"); } catch { /* gone */ }
    }
    // The server may still be shutting its appliance down: wait for it (bounded).
    for (let i = 0; i < 60; i++) {
      try { process.kill(this.pid, 0); } catch { break; }
      await new Promise((res) => setTimeout(res, 500));
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
