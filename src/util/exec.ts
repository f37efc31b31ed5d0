import { spawn } from "node:child_process";
import { basename } from "node:path";
import { UserError } from "../errors.js";
import { recordTime } from "./time-ledger.js";

interface ExecOptions {
  /** Kill the process after this many ms (SIGTERM, then SIGKILL 2 s later). */
  timeoutMs?: number;
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal;
  /** Cap on captured stdout/stderr each, so a runaway tool cannot eat memory. */
  maxOutputBytes?: number;
  /**
   * Run the tool in a process group of its own, signal the whole group when stopping it, and
   * kill what is left of the group once the tool has exited: for tools that start helpers of
   * their own (virt-v2v's qemu-nbd and nbdkit), which must not outlive them.
   */
  ownProcessGroup?: boolean;
  /** Time between SIGTERM and SIGKILL when stopping the tool; default 2 s. */
  killGraceMs?: number;
}

/**
 * After the tool exits, how long to wait for its output pipes to close. A helper it left
 * behind can hold them open for ever (virt-v2v killed while its qemu-nbd runs): the result is
 * then given with the output read so far rather than never.
 */
export const PIPE_CLOSE_GRACE_MS = 5000;

/**
 * Process groups of tools still running with ownProcessGroup. A tool in its own group no
 * longer gets the terminal's Ctrl-C nor dies with tiosa's group, so when tiosa exits without
 * stopping it (a second Ctrl-C: "abort at once") its group is killed on the way out.
 */
const liveGroups = new Set<number>();
let reaperInstalled = false;
function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.on("exit", () => {
    for (const g of liveGroups) { try { process.kill(-g, "SIGKILL"); } catch { /* gone */ } }
  });
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

/**
 * Runs a real tool (virsh, qemu-img, virt-v2v...) without a shell: arguments are passed
 * as an array, so no name or path from a user or a guest can inject a command.
 */
export function run(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  // Where a step's time goes: virsh is the hypervisor's API, every other program a tool.
  const start = Date.now();
  const name = basename(cmd);
  const done = () => recordTime(name === "virsh" ? "hypervisor" : "tool", name, start);
  return spawnTool(cmd, args, opts).then((r) => { done(); return r; }, (e: unknown) => { done(); throw e; });
}

function spawnTool(cmd: string, args: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  const max = opts.maxOutputBytes ?? 64 * 1024 * 1024;
  const start = Date.now();
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(cmd, args as string[], {
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        stdio: ["pipe", "pipe", "pipe"],
        detached: opts.ownProcessGroup === true,
      });
    } catch (e) {
      reject(e);
      return;
    }
    const stdout = child.stdout!, stderr = child.stderr!, stdin = child.stdin!;
    if (opts.ownProcessGroup && child.pid) trackGroup(child.pid);
    const out: Buffer[] = [], err: Buffer[] = [];
    let outLen = 0, errLen = 0, timedOut = false, settled = false;
    stdout.on("data", (b: Buffer) => { if (outLen < max) { out.push(b); outLen += b.length; } });
    stderr.on("data", (b: Buffer) => { if (errLen < max) { err.push(b); errLen += b.length; } });
    const signalTool = (sig: NodeJS.Signals) => {
      if (opts.ownProcessGroup && child.pid) {
        try { process.kill(-child.pid, sig); } catch { /* the group is gone */ }
      } else child.kill(sig);
    };
    const kill = () => {
      signalTool("SIGTERM");
      setTimeout(() => signalTool("SIGKILL"), opts.killGraceMs ?? 2000).unref();
    };
    const timer = opts.timeoutMs ? setTimeout(() => { timedOut = true; kill(); }, opts.timeoutMs) : undefined;
    const onAbort = () => kill();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const done = () => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
    };
    child.on("error", (e: NodeJS.ErrnoException) => {
      done();
      if (settled) return;
      settled = true;
      if (e.code === "ENOENT") reject(new UserError(`'${cmd}' is not installed (not found on PATH)`, "run `tiosa doctor` or scripts/setup.sh"));
      else reject(e);
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      done();
      resolve({
        code, signal, timedOut,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        durationMs: Date.now() - start,
      });
    };
    child.on("exit", (code, signal) => {
      // The tool is gone: whatever it started in its group goes too.
      if (opts.ownProcessGroup && child.pid) {
        try { process.kill(-child.pid, "SIGKILL"); } catch { /* none left */ }
        liveGroups.delete(child.pid);
      }
      const t = setTimeout(() => { stdout.destroy(); stderr.destroy(); finish(code, signal); }, PIPE_CLOSE_GRACE_MS);
      child.once("close", () => { clearTimeout(t); finish(code, signal); });
    });
    stdin.on("error", () => { /* tool exited before reading its input */ });
    if (opts.input !== undefined) stdin.end(opts.input);
    else stdin.end();
  });
}

/** Like run(), but a non-zero exit becomes an error naming the command and its stderr. */
export async function runOk(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const r = await run(cmd, args, opts);
  if (r.timedOut) throw new Error(`${cmd} ${args.join(" ")}: timed out after ${opts.timeoutMs} ms`);
  if (r.code !== 0) {
    const msg = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-5).join(" | ");
    throw new ExecError(`${cmd} ${args.slice(0, 6).join(" ")}${args.length > 6 ? " ..." : ""}: exit ${r.code ?? r.signal}: ${msg}`, r);
  }
  return r;
}

export class ExecError extends Error {
  constructor(message: string, readonly result: ExecResult) {
    super(message);
    this.name = "ExecError";
  }
}

/** True when `cmd` is on PATH. */
export async function haveCommand(cmd: string): Promise<boolean> {
  try {
    const r = await run("sh", ["-c", 'command -v "$1"', "sh", cmd], { timeoutMs: 5000 });
    return r.code === 0;
  } catch {
    return false;
  }
}
