import { readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errorMessage } from "../../errors.js";
import { parseXmlTree, tiosaRunIdOf } from "../../descriptors/libvirt-xml.js";
import { TIOSA_PREFIX, type CleanupReport } from "../driver.js";
import { parseNames } from "./parse.js";
import { POOL_ROOT } from "./storage.js";
import type { Virsh } from "./virsh.js";

export interface CleanupScope {
  virsh: Virsh;
  uri: string;
  runId: string;
  local: boolean;
  /** Every run's objects, not only `runId`'s. */
  allRuns: boolean;
  listVms(): Promise<string[]>;
  domainXml(vm: string): Promise<string>;
  terminate(vm: string): Promise<void>;
  serialLogPathOf(vm: string): string;
}

/**
 * Removes a run's domains (only those carrying tiosa's metadata marker), pools with their
 * volumes, networks and staging files on one libvirt host. Never throws: what could not be
 * removed is in the report. Runs on abort too, so it never takes the aborted signal.
 */
export async function cleanupRun(c: CleanupScope): Promise<CleanupReport> {
  const report: CleanupReport = { removed: [], failed: [] };
  const { virsh } = c;
  const mine = (name: string) => name.startsWith(TIOSA_PREFIX) && (c.allRuns || name === `${TIOSA_PREFIX}${c.runId}` || name.startsWith(`${TIOSA_PREFIX}${c.runId}-`));
  const attempt = async (object: string, f: () => Promise<unknown>) => {
    try {
      await f();
      report.removed.push(object);
    } catch (e) {
      report.failed.push({ object, error: errorMessage(e) });
    }
  };
  let domains: string[] = [];
  try { domains = await c.listVms(); } catch (e) { report.failed.push({ object: `domains of ${c.uri}`, error: errorMessage(e) }); }
  for (const d of domains.filter(mine)) {
    // The metadata marker proves tiosa made it: a user's VM named tiosa-... is left alone.
    let runId: string | null = null;
    try { runId = tiosaRunIdOf(parseXmlTree(await c.domainXml(d), d)); } catch { /* vanished */ }
    if (!runId || (!c.allRuns && runId !== c.runId)) continue;
    await attempt(`domain ${d}`, () => c.terminate(d));
    if (c.local) await rm(c.serialLogPathOf(d), { force: true });
  }
  const pools = (await virsh.raw(["pool-list", "--all", "--name"])).stdout;
  for (const p of parseNames(pools).filter(mine)) {
    await attempt(`pool ${p}`, async () => {
      const active = (await virsh.raw(["pool-info", p])).stdout.includes("running");
      if (!active) await virsh.raw(["pool-start", p]);
      for (const v of parseNames((await virsh.raw(["vol-list", "--pool", p, "--name"])).stdout)) {
        await virsh.ok(["vol-delete", "--pool", p, v]);
      }
      await virsh.raw(["pool-destroy", p]);
      const del = await virsh.raw(["pool-delete", p]);
      // A file the pool never listed as a volume (a half-written import) keeps the
      // directory non-empty; locally, tiosa's own pool directory is removed outright.
      if (del.code !== 0 && c.local && p.startsWith(TIOSA_PREFIX)) await rm(`${POOL_ROOT}/${p}`, { recursive: true, force: true });
      else if (del.code !== 0) throw new Error(del.stderr.trim());
      await virsh.ok(["pool-undefine", p]);
    });
  }
  const nets = (await virsh.raw(["net-list", "--all", "--name"])).stdout;
  for (const n of parseNames(nets).filter(mine)) {
    await attempt(`network ${n}`, async () => {
      await virsh.raw(["net-destroy", n]);
      // A persistent leftover needs undefining too; a transient one is gone already.
      await virsh.raw(["net-undefine", n]);
    });
  }
  // Staging files of this run (any instance's), or of every run when cleaning up all runs.
  const stale = c.allRuns && c.local
    ? (await readdir(tmpdir()).catch(() => [] as string[])).filter((n) => /^tiosa-libvirt-[0-9a-f]{8}$/.test(n))
    : [`tiosa-libvirt-${c.runId}`];
  for (const n of stale) await rm(join(tmpdir(), n), { recursive: true, force: true });
  return report;
}
