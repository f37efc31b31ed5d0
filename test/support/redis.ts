import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { randomBytes } from "node:crypto";

/**
 * A Redis server of a test's own (Debian's redis-server): loopback, a free port, a password,
 * append-only persistence in a temp directory so a stop and start keeps the queues (as an
 * operator's Redis would). `stop()` is a clean shutdown, `kill()` a SIGKILL.
 */
export interface TestRedis { url: string; port: number; password: string; dir: string; start(): Promise<void>; stop(): Promise<void>; dispose(): Promise<void> }

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)); });
  });
}

export async function startTestRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), "tiosa-redis-"));
  const port = await freePort();
  const password = randomBytes(9).toString("hex");
  let child: ChildProcess | null = null;
  const ping = async () => {
    const { Redis } = await import("ioredis");
    const r = new Redis({ port, password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    r.on("error", () => undefined);
    try { await r.connect(); return (await r.ping()) === "PONG"; } catch { return false; } finally { r.disconnect(); }
  };
  const t: TestRedis = {
    url: `redis://:${password}@127.0.0.1:${port}`, port, password, dir,
    async start() {
      child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--requirepass", password, "--dir", dir, "--appendonly", "yes", "--save", ""], { stdio: "ignore" });
      child.on("error", () => undefined);
      for (let i = 0; i < 100; i++) {
        if (await ping()) return;
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`redis-server did not start on port ${port} (is Debian's redis-server installed? scripts/setup.sh installs it)`);
    },
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((res) => { c.once("exit", () => res()); c.kill("SIGTERM"); });
    },
    async dispose() {
      await t.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await t.start();
  return t;
}
