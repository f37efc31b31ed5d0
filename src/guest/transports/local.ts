import { run } from "../../util/exec.js";
import type { GuestExecOptions, GuestExecResult, GuestTransport } from "../transport.js";

/** This very machine as the "guest": for tests of the probes against real tools. */
export class LocalTransport implements GuestTransport {
  readonly kind = "local" as const;
  readonly label = "local";

  async exec(script: string, opts: GuestExecOptions = {}): Promise<GuestExecResult> {
    const cmd = process.getuid?.() === 0 ? ["sh", ["-s"]] as const : ["sudo", ["-n", "sh", "-s"]] as const;
    const r = await run(cmd[0], cmd[1], { input: script, timeoutMs: opts.timeoutMs, signal: opts.signal });
    if (r.timedOut) throw new Error(`local script timed out after ${opts.timeoutMs} ms`);
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }

  async close(): Promise<void> { /* nothing held */ }
}
