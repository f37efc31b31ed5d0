import { parentPort } from "node:worker_threads";
import { main } from "../../src/cli/main.js";
import { parseVmx } from "../../src/descriptors/vmx.js";

/**
 * Worker side of InspectWorker (hostile-descriptors.ts): runs descriptor reading off the
 * test's main thread, so a parser that loops or backtracks for minutes is terminated by
 * the test's deadline instead of blocking the whole test run.
 */

export type WorkerRequest = { op: "inspect"; args: string[] } | { op: "parse-vmx"; text: string; origin: string };
export type WorkerReply = { code: number; stderr: string; ms: number; summary?: { name: string; cpu: number | null; notes: string[] } };

parentPort!.on("message", async (req: WorkerRequest) => {
  const t = performance.now();
  if (req.op === "inspect") {
    let stderr = "";
    const code = await main(req.args, { out: () => {}, err: (s) => { stderr += s + "\n"; } });
    parentPort!.postMessage({ code, stderr, ms: performance.now() - t } satisfies WorkerReply);
  } else {
    try {
      const vm = parseVmx(req.text, req.origin);
      parentPort!.postMessage({ code: 0, stderr: "", ms: performance.now() - t, summary: { name: vm.name, cpu: vm.cpu.count, notes: vm.notes } } satisfies WorkerReply);
    } catch (e) {
      parentPort!.postMessage({ code: -1, stderr: String(e), ms: performance.now() - t } satisfies WorkerReply);
    }
  }
});
