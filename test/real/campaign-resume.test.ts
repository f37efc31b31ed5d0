import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, existsSync } from "node:fs";
import { join } from "node:path";
import { campaignFile, runResults, haveVirtualization, leftoversOnLibvirt, runDirOf, startCli, stopAll } from "../support/campaign-cli.js";
import { RunStore } from "../../src/campaign/store.js";
import { tinyKvmToVmwareCampaign } from "../support/lab-campaign.js";

/**
 * A run killed with SIGKILL at random moments, several times, and resumed each time ends
 * with the same results as a run never interrupted, and leaves nothing on libvirt or in its
 * work directory. Tiny guests (busybox from RAM) keep it to minutes.
 */
const skip = await haveVirtualization();
if (skip) console.log(`skipping: ${skip}`);

const CAMPAIGN = tinyKvmToVmwareCampaign("resume-test", '"@OUT@"');


test("SIGKILL at random moments, resumed each time: same results as an uninterrupted run, no VM, volume or work file left", { skip: skip ?? false, timeout: 90 * 60_000 }, async () => {
  const { file, dir } = campaignFile(CAMPAIGN);
  try {
    // The two runs are independent: run side by side (each job has its own VMs and markers).
    const straight = startCli(["run", file]);
    const straightDir = await runDirOf(straight);
    let r = startCli(["run", file]);
    const runDir = await runDirOf(r);
    const kills: number[] = [];
    for (let attempt = 0; attempt < 12; attempt++) {
      const delay = 5_000 + Math.floor(Math.random() * 55_000);
      const ended = await Promise.race([r.done.then(() => true), new Promise<false>((res) => setTimeout(() => res(false), delay))]);
      if (ended) break;
      if (kills.length >= 3) { await r.done; break; }
      r.child.kill("SIGKILL");
      const k = await r.done;
      assert.equal(k.signal, "SIGKILL");
      kills.push(delay);
      r = startCli(["run", "--resume", runDir]);
    }
    const last = await r.done;
    const st = await straight.done;
    assert.ok([0, 10, 20].includes(st.code ?? -1), `uninterrupted run: exit ${st.code}\n${st.stderr.slice(-2000)}`);
    const expected = runResults(straightDir);
    assert.ok([0, 10, 20].includes(last.code ?? -1), `last resume: exit ${last.code}\n${last.stderr.slice(-2000)}`);
    assert.ok(kills.length >= 2, `killed ${kills.length} times (the run ended first); kill delays ${kills.join(", ")} ms`);
    const store = RunStore.open(runDir, { readonly: true });
    assert.equal(store.run().attempts, kills.length + 1);
    assert.equal(store.run().state, "finished");
    store.close();

    assert.deepEqual(runResults(runDir), expected);
    assert.deepEqual(await leftoversOnLibvirt(runDir), []);
    assert.deepEqual(await leftoversOnLibvirt(straightDir), []);
    assert.equal(existsSync(join(runDir, "work")), false, "the run's work directory is gone");
    const left = RunStore.open(runDir, { readonly: true });
    assert.deepEqual(left.leftoverResources(), []);
    left.close();
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});
