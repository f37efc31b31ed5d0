import { spawn, type ChildProcess } from "node:child_process";

/**
 * A long-running helper inside a namespace (TCP responder, DHCP server). The test owns it:
 * stop() ends it by its own pid (SIGTERM, then SIGKILL), and it dies with the test process
 * if that is killed, because it is kept in the test's process group.
 */
export class BackgroundProcess {
  private output = "";
  private exited: Promise<void>;
  private exitCode: number | null | undefined;

  private constructor(readonly label: string, private readonly child: ChildProcess) {
    const add = (b: Buffer) => { if (this.output.length < 64 * 1024) this.output += b.toString("utf8"); };
    child.stdout?.on("data", add);
    child.stderr?.on("data", add);
    this.exited = new Promise((resolve) => child.on("close", (code) => { this.exitCode = code; resolve(); }));
  }

  /**
   * Starts `cmd args` and waits until its output contains `readyText` (or it exits, which
   * is an error naming what it printed).
   */
  static async start(label: string, cmd: string, args: readonly string[], readyText: RegExp, timeoutMs = 15_000): Promise<BackgroundProcess> {
    const child = spawn(cmd, args as string[], { stdio: ["ignore", "pipe", "pipe"] });
    const p = new BackgroundProcess(label, child);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => { void p.stop(); reject(new Error(`${label}: not ready within ${timeoutMs} ms: ${p.output.trim().slice(-400)}`)); }, timeoutMs);
      const check = () => { if (readyText.test(p.output)) { clearTimeout(t); resolve(); } };
      child.stdout?.on("data", check);
      child.stderr?.on("data", check);
      child.on("error", (e) => { clearTimeout(t); reject(new Error(`${label}: ${e.message}`)); });
      child.on("close", (code) => { clearTimeout(t); reject(new Error(`${label}: exited ${code} before it was ready: ${p.output.trim().slice(-400)}`)); });
    });
    return p;
  }

  get pid(): number | undefined { return this.child.pid; }
  get running(): boolean { return this.exitCode === undefined; }
  /** What it printed so far (its own log of who it served). */
  get log(): string { return this.output; }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill("SIGTERM");
    const killer = setTimeout(() => this.child.kill("SIGKILL"), 2000);
    await this.exited;
    clearTimeout(killer);
  }
}
