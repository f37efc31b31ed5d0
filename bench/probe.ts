/**
 * Benchmark of a full guest probe (Table III 2.1-2.4, pings excluded: they are waits, not
 * work) against a throwaway sshd on loopback, side by side with Testinfra (Debian's
 * python3-testinfra) checking the same facts over ssh:// on the same sshd.
 *   npx tsc -p . && node dist/bench/probe.js [RUNS] [--unmuxed]
 * Each run opens its own connection(s): a capture in a campaign starts from nothing too.
 * Testinfra is measured with SSH multiplexing (its fastest set-up); --unmuxed adds its
 * shipped default too (one SSH connection per command: minutes).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../src/util/exec.js";
import { SshTransport } from "../src/guest/transports/ssh.js";
import { captureGuest } from "../src/guest/capture.js";
import { startTestSshd } from "../test/real/probe-sshd.js";
import { renderTable } from "../src/util/table.js";

const args = process.argv.slice(2);
const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 7);
const unmuxed = args.includes("--unmuxed");
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

const sshd = await startTestSshd();
const work = await mkdtemp(join(tmpdir(), "tiosa-bench-"));
try {
  const tiosa: number[] = [];
  let faults = 0;
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now();
    const t = await SshTransport.connect({ user: "root", host: "127.0.0.1", port: sshd.port }, { identityFile: sshd.clientKey, knownHostsFile: sshd.knownHosts });
    const g = await captureGuest(t, { icmpPrivate: null, icmpPublic: null, shellPort: sshd.port });
    await t.close();
    const ms = performance.now() - t0;
    if (g.errors?.length || !g.userOps?.deleteUser) faults++;
    if (i > 0) tiosa.push(ms); // the first run warms Node's JIT and the page cache
  }

  // what one SSH session costs on this target before any work: Testinfra opens one per command
  const sessions: number[] = [];
  const probeT = await SshTransport.connect({ user: "root", host: "127.0.0.1", port: sshd.port }, { identityFile: sshd.clientKey, knownHostsFile: sshd.knownHosts });
  for (let i = 0; i < 5; i++) { const t0 = performance.now(); await probeT.exec("true"); sessions.push(performance.now() - t0); }
  await probeT.close();

  const py = fileURLToPath(new URL("../../bench/probe_testinfra.py", import.meta.url));
  const testinfra = async (mux: boolean) => {
    const r = await run("/usr/bin/python3", [py, String(sshd.port), sshd.clientKey, sshd.knownHosts, String(runs), mux ? "1" : "0", work], { timeoutMs: 600_000 });
    if (r.code !== 0) throw new Error(`testinfra bench failed: ${r.stderr.trim().split("\n").slice(-5).join(" | ")}`);
    return JSON.parse(r.stdout) as { times_ms: number[]; facts: number };
  };
  const tiMux = await testinfra(true);
  const tiDefault = unmuxed ? await testinfra(false) : null;

  const mT = median(tiosa), mMux = median(tiMux.times_ms), mDef = tiDefault ? median(tiDefault.times_ms) : NaN;
  const rows = [
    ["tool", "median", "min", "max", "vs tiosa"],
    ["tiosa probe (1 SSH connection, 1 guest script)", fmt(mT), fmt(Math.min(...tiosa)), fmt(Math.max(...tiosa)), "1.0x"],
    ["Testinfra, ssh:// with ControlPath (multiplexed)", fmt(mMux), fmt(Math.min(...tiMux.times_ms)), fmt(Math.max(...tiMux.times_ms)), `${(mMux / mT).toFixed(1)}x`],
    ...(tiDefault ? [["Testinfra, ssh:// as shipped (1 connection per command)", fmt(mDef), fmt(Math.min(...tiDefault.times_ms)), fmt(Math.max(...tiDefault.times_ms)), `${(mDef / mT).toFixed(1)}x`]] : []),
  ];
  console.log(`Full guest probe against a local sshd, ${runs} runs each (pings excluded), ${tiMux.facts} facts for Testinfra:\n`);
  console.log(renderTable(rows[0]!, rows.slice(1)));
  console.log(`\nmedian tiosa ${fmt(mT)}; Testinfra ${fmt(mMux)}; ratio ${(mMux / mT).toFixed(1)}x`);
  console.log(`one SSH session on this target (exec of \`true\`, no work) costs ${fmt(median(sessions))}: the login shell's start-up, paid once by tiosa and once per command by Testinfra`);
  console.log(`target: < 1000 ms ${mT < 1000 ? "met" : "MISSED"}; >= 5x faster than Testinfra ${mMux / mT >= 5 ? "met" : "MISSED"} (against its multiplexed, faster setup)`);
  if (faults) console.log(`warning: ${faults} tiosa run(s) reported probe errors`);
  console.log(JSON.stringify({ runs, tiosaMedianMs: mT, testinfraMuxMedianMs: mMux, testinfraDefaultMedianMs: tiDefault ? mDef : null, ratioMux: mMux / mT, ratioDefault: tiDefault ? mDef / mT : null, sessionMedianMs: median(sessions) }));
} finally {
  await sshd.stop();
  await rm(work, { recursive: true, force: true });
}
