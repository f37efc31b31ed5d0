import { join } from "node:path";
import { runWorker } from "../../src/campaign/queue/worker.js";
import { parseQueueUrl } from "../../src/campaign/queue/redis.js";
import type { BuiltImage } from "../../src/images/index.js";
import { registerFakeDriver } from "./fake-driver.js";

/**
 * `node fake-worker.js REDIS_URL SERVES WORKDIR DISK`: a `tiosa worker` process whose hosts
 * are FakeDriver hosts (in this process's memory, gone when it is killed, as a machine's VMs
 * are when it is), for the queue tests that kill a worker.
 */
const [url, serves, workDir, disk] = process.argv.slice(2) as [string, string, string, string];
registerFakeDriver();
const ac = new AbortController();
process.on("SIGTERM", () => ac.abort());
const image = { name: "debian-12", diskPath: disk, format: "qcow2", sshPrivateKeyPath: join(workDir, "no-key"), sshPublicKeyPath: join(workDir, "no-key.pub"), user: "root", metadata: {}, metadataPath: join(workDir, "no-metadata.json"), cached: true } as unknown as BuiltImage;
await runWorker({
  redis: parseQueueUrl(url), serves: serves.split(","), workDir, signal: ac.signal, pollMs: 300, lockMs: 4000,
  log: (m) => process.stdout.write(m + "\n"), image: async () => image,
});
