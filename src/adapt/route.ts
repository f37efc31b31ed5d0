import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { GuestTransport } from "../guest/transport.js";
import { getFamily } from "../hypervisor/families/index.js";
import { runOk } from "../util/exec.js";
import { applyPlan, readGuestFacts, type AdaptSource, type ApplyResult } from "./apply.js";
import { targetHardwareOf } from "./devices.js";
import { planAdaptation, planChanges, type AdaptPlan } from "./plan.js";
import { transferImage, type TransferResult } from "./transfer.js";
import { GuestfishSession } from "./guestfs.js";

/**
 * The `adapt` route (Ashino & Nakae's destination-dependent migration): plan what the target's
 * hardware needs, apply it before the move (in the running guest, or offline on a working
 * copy of its image), and move only the trimmed, compressed difference, verified block by
 * block. Offered for every family pair: the plan decides whether anything must change.
 */
interface AdaptRouteInput {
  source: { image: string; format: string };
  /** The running source guest, when the user allows changing it in place (online adaptation). */
  online?: GuestTransport;
  fromFamily?: string;
  targetFamily: string;
  /** Scratch dir for the working copy and the transferred image (created; the caller removes it). */
  workDir: string;
  /** An image both sides already hold (golden image / earlier migration): transfer only the difference. */
  base?: { path: string; format: string };
  /** Discard free blocks before transfer (offline: virt-sparsify --in-place on the working copy). */
  trim?: boolean;
  macs?: Record<string, string>;
  /** Convert the verified image to the target family's own format on the target (a local step, not transferred). */
  materialize?: boolean;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

export interface AdaptRouteResult {
  /** The image the target boots (qcow2, an overlay on `base` when given; or the family's format when materialized). */
  image: string;
  format: string;
  plan: AdaptPlan;
  applied: ApplyResult | null;
  transfer: TransferResult;
  /** preparation = facts + plan + apply (the part virt-v2v calls conversion). */
  timingsMs: { copy: number; facts: number; apply: number; preparation: number; transfer: number; materialize: number };
}

export const ADAPT_ROUTE_STEPS = [
  "read the guest's kernel, initramfs, fstab, network and tools",
  "plan what the target family's hardware needs",
  "apply the plan (in the running guest, or offline in the libguestfs appliance)",
  "trim, compress, keep only the difference from a base the target holds",
  "verify block by block (qemu-img compare)",
];

async function runAdaptRoute(i: AdaptRouteInput): Promise<AdaptRouteResult> {
  const say = i.onProgress ?? (() => {});
  const target = targetHardwareOf(getFamily(i.targetFamily));
  await mkdir(i.workDir, { recursive: true });
  const timings = { copy: 0, facts: 0, apply: 0, preparation: 0, transfer: 0, materialize: 0 };

  let work = i.source.image, workFormat = i.source.format;
  let src: AdaptSource;
  // facts = from here to the facts read (offline that includes booting the appliance).
  let t = 0;
  if (i.online) {
    src = { kind: "online", transport: i.online };
  } else {
    // Offline: never change the user's image; adapt a qcow2 overlay on it. The overlay then
    // holds exactly the clusters the adaptation wrote, which is what a delta transfer sends
    // when the target holds the source image (qemu-img convert -B copies the top layer only).
    work = join(i.workDir, "adapted.qcow2");
    workFormat = "qcow2";
    say(`creating a working overlay on ${i.source.image}`);
    timings.copy = (await runOk("qemu-img", ["create", "-q", "-f", "qcow2", "-b", resolve(i.source.image), "-F", i.source.format, work], { timeoutMs: 60_000, signal: i.signal })).durationMs;
    // One appliance for the facts and the apply (booting it is most of the time under TCG).
    t = Date.now();
    src = { kind: "offline", image: work, format: workFormat, session: await GuestfishSession.open(work, workFormat, i.signal) };
  }
  if (!t) t = Date.now();
  let plan: AdaptPlan;
  let applied: ApplyResult | null = null;
  try {
    say(`reading the guest's facts (${src.kind})`);
    const facts = await readGuestFacts(src, i.signal);
    timings.facts = Date.now() - t;
    plan = planAdaptation(facts, target, i.macs ? { macs: i.macs } : {});
    if (planChanges(plan)) {
      say(`applying ${plan.items.filter((x) => x.change).length} change(s) for ${target.family}`);
      t = Date.now();
      applied = await applyPlan(src, plan, i.signal ? { signal: i.signal } : {});
      timings.apply = Date.now() - t;
    }
  } finally {
    // Closing syncs the overlay: it must be complete before the transfer reads it. Its time
    // (sync, appliance shutdown) counts as the apply's.
    const c0 = Date.now();
    if (src.kind === "offline") await src.session?.close();
    timings.apply += Date.now() - c0;
  }
  timings.preparation = timings.facts + timings.apply;

  say(i.base ? `transferring the difference from ${i.base.path}` : "transferring the compressed allocated blocks");
  const out = join(i.workDir, i.base ? "transfer-delta.qcow2" : "transfer.qcow2");
  const transfer = await transferImage({
    source: work, sourceFormat: workFormat, output: out,
    ...(i.base ? { base: i.base } : {}),
    trim: !!i.trim && !i.online,
    ...(i.online ? {} : { measureAgainst: i.source.image }),
    ...(i.signal ? { signal: i.signal } : {}),
  });
  timings.transfer = transfer.timingsMs.convert + transfer.timingsMs.verify + transfer.timingsMs.trim;
  if (!i.online) await rm(work, { force: true });

  let image = out, format = "qcow2";
  if (i.materialize) {
    const fam = getFamily(i.targetFamily);
    const ext = fam.disk.format === "vpc" ? "vhd" : fam.disk.format;
    image = join(i.workDir, `target.${ext}`);
    format = fam.disk.format;
    t = Date.now();
    await runOk("qemu-img", ["convert", "-f", "qcow2", "-O", fam.disk.format, ...(fam.disk.formatOptions.length ? ["-o", fam.disk.formatOptions.join(",")] : []), out, image], { timeoutMs: 60 * 60_000, signal: i.signal });
    timings.materialize = Date.now() - t;
  }
  return { image, format, plan, applied, transfer, timingsMs: timings };
}

/** The route object, shaped like the routes helper's RouteInfo (id, name, steps) plus run(). */
export const adaptRoute = {
  id: "adapt",
  name: "adapt: prepare for target hardware, transfer compressed delta",
  steps: ADAPT_ROUTE_STEPS,
  /** Offered for every pair: the plan, not the pair, decides whether the guest needs changes. */
  offers: (_fromFamily: string, _toFamily: string) => true,
  run: runAdaptRoute,
} as const;
