import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { TIOSA_PREFIX } from "../hypervisor/driver.js";
import { getFamily } from "../hypervisor/families/index.js";
import { openDriver } from "../hypervisor/open.js";
import { discoverRoutes, type Route } from "../routes/discover.js";
import type { Family } from "../routes/artifacts.js";
import { haveCommand } from "../util/exec.js";
import { imageSize } from "./image-size.js";
import { checkTargetRoom, type RoomCheck } from "./room.js";
import { RouteExecution } from "./route-executor.js";
import { readSourceVm, sourceFamilyOf } from "./source-vm.js";
import { stopVm, type StopReport } from "./stop.js";
import type { AdaptRecord, StepReport } from "./types.js";

export interface MigrateOptions {
  sourceUri: string;
  vm: string;
  targetUri: string;
  /** Target hardware family. */
  family: Family;
  /** Source family; by default the one tiosa marked the VM with, else the one its hardware matches. */
  sourceFamily?: Family;
  /** A route id from `tiosa routes`; by default the first discovered route. */
  routeId?: string;
  /** Parent of the `tiosa-migrate-*` work directory (default the system temp dir). */
  workDir?: string;
  keepWork?: boolean;
  /** Short name on the target (prefixed `tiosa-<run>-` by the driver); default from the source VM's name. */
  targetName?: string;
  /** Bound on the graceful shutdown before a power-off. */
  shutdownTimeoutMs?: number;
  signal?: AbortSignal;
  onStep?: (step: StepReport, index: number, route: Route) => void;
  onMessage?: (message: string) => void;
  /** Called once the work starts: the run id marks everything created on the target. */
  onStart?: (info: { route: Route; targetRunId: string; workDir: string }) => void;
}

export interface MigrateResult {
  route: Route;
  /** True when no route was given and the first discovered one was taken. */
  routeWasDefault: boolean;
  routeCount: number;
  sourceFamily: Family;
  targetFamily: Family;
  stop: StopReport;
  room: RoomCheck;
  steps: StepReport[];
  /** The adapt route's record (what the plan changed, bytes transferred vs the source image); null on other routes. */
  adapt: AdaptRecord | null;
  /** The VM as defined on the target, and the run id that marks it (for `tiosa cleanup`). */
  targetVm: string;
  targetRunId: string;
  seconds: number;
  /** Kept work directory (--keep-work), else null. */
  workDir: string | null;
}

/**
 * Sequence 2 for one route: stop the VM (step 4), check the target has room (step 6), run
 * the route's tools in a `tiosa-migrate-*` work directory, define the VM on the target.
 * On failure or abort everything this run created on the target (domain, volumes, pool,
 * network) and the work directory are removed.
 */
export async function migrate(o: MigrateOptions): Promise<MigrateResult> {
  const started = Date.now();
  const log = o.onMessage ?? (() => {});
  const source = openDriver(o.sourceUri);
  const target = openDriver(o.targetUri);
  const targetFamily = getFamily(o.family);
  await source.connect(o.signal);
  await target.connect(o.signal);
  await source.state(o.vm, o.signal); // names an unknown VM as the user's error

  const src = await readSourceVm(source, o.vm, o.signal);
  const sourceFamily = o.sourceFamily ?? sourceFamilyOf(src.xml, src.inventory);
  if (!sourceFamily) {
    throw new UserError(`VM '${o.vm}' on ${o.sourceUri}: its hardware matches no family (disk ${src.inventory.disks[0]?.bus ?? "?"}, NIC ${src.inventory.nics[0]?.model ?? "none"}); say which with --from FAMILY`);
  }
  const routes = discoverRoutes(sourceFamily, o.family);
  if (routes.length === 0) throw new UserError(`no route from ${sourceFamily} to ${o.family}`);
  let route: Route;
  if (o.routeId) {
    const r = routes.find((x) => x.id === o.routeId);
    if (!r) throw new UserError(`route '${o.routeId}' does not exist from ${sourceFamily} to ${o.family}; known routes:\n  ${routes.map((x) => `${x.id}   (${x.name})`).join("\n  ")}`);
    route = r;
  } else {
    route = routes[0]!;
    log(`no --route given: using the first of ${routes.length} route(s) from ${sourceFamily} to ${o.family}: ${route.name} [${route.id}]`);
  }
  const missing = [];
  for (const b of route.binaries) if (!(await haveCommand(b))) missing.push(b);
  if (missing.length) throw new UserError(`route ${route.id} needs ${missing.join(", ")}, not installed here`, "run scripts/setup.sh or `tiosa doctor`");

  const stop = await stopVm(source, o.vm, { timeoutMs: o.shutdownTimeoutMs, signal: o.signal, log });

  let diskActual = 0, diskVirtual = 0;
  if (source.local) {
    for (const d of src.disks) {
      const s = await imageSize(d.path, d.format, o.signal);
      diskActual += s.actualSize;
      diskVirtual += s.virtualSize;
    }
  } else {
    // Remote files are not readable here: libvirt's domblkinfo gives capacity and allocation.
    const inv = await source.vmInventory(o.vm, o.signal);
    for (const d of inv.disks.filter((x) => x.device === "disk")) { diskActual += d.allocationBytes ?? d.capacityBytes ?? 0; diskVirtual += d.capacityBytes ?? 0; }
  }
  const room = await checkTargetRoom(target, { diskActual, diskVirtual, memoryBytes: src.inventory.memoryBytes ?? 0 }, o.signal);
  for (const w of room.warnings) log(`warning: ${w}`);

  const workDir = await mkdtemp(join(o.workDir ?? tmpdir(), "tiosa-migrate-")).catch((e: NodeJS.ErrnoException) => {
    throw new UserError(`work directory: cannot create one in '${o.workDir ?? tmpdir()}' (${e.code ?? e.message})`);
  });
  let steps: StepReport[] = [];
  let ok = false;
  try {
    o.onStart?.({ route, targetRunId: target.runId, workDir });
    const execution = new RouteExecution(route, {
      workDir, source: { driver: source, vm: o.vm },
      target: { driver: target, family: targetFamily, uri: o.targetUri },
      targetName: o.targetName ?? shortName(o.vm),
      hardware: src.inventory, log,
    }, { kind: `vm:${sourceFamily}`, disks: [], packagePath: null, vmName: o.vm });
    ({ reports: steps } = await execution.run(0, execution.lastIndex, {
      signal: o.signal,
      onStart: (i, step) => log(`step ${i + 1}/${route.steps.length}: ${step.tool.name}`),
      onStep: (report, i) => o.onStep?.(report, i, route),
    }));
    // An abort during the last step undoes it too.
    o.signal?.throwIfAborted();
    const targetVm = execution.targetVm();
    ok = true;
    return {
      route, routeWasDefault: !o.routeId, routeCount: routes.length, sourceFamily, targetFamily: o.family,
      stop, room, steps, adapt: steps.find((s) => s.adapt)?.adapt ?? null, targetVm, targetRunId: target.runId,
      seconds: (Date.now() - started) / 1000, workDir: o.keepWork ? workDir : null,
    };
  } finally {
    if (!ok) {
      const r = await target.cleanup();
      for (const f of r.failed) log(`cleanup: could not remove ${f.object}: ${f.error}`);
    } else {
      await target.releaseStaging();
    }
    if (!o.keepWork) await rm(workDir, { recursive: true, force: true });
    else log(`work directory kept: ${workDir}`);
  }
}

/** A name the driver accepts (lower-case, digits, '-', at most 31), without an earlier run's prefix. */
export function shortName(vm: string): string {
  const s = vm.toLowerCase().replace(new RegExp(`^${TIOSA_PREFIX}[0-9a-f]{8}-`), "").replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
  return (/^[a-z0-9]/.test(s) ? s : `vm-${s}`).slice(0, 31).replace(/-+$/, "") || "vm";
}

