import { randomBytes } from "node:crypto";
import { UserError } from "../errors.js";
import type { GuestTransport } from "../guest/transport.js";
import { factsScript, parseFacts, type GuestFacts } from "./facts.js";
import { runScriptOffline, type GuestfishSession } from "./guestfs.js";
import type { AdaptPlan } from "./plan.js";
import { applyScript, listScript, type InitramfsStrategy, OK_MARKER, runUndoScript, UNDO_OK_MARKER, ADAPT_STATE_DIR } from "./scripts.js";

/**
 * Where the adaptation runs: inside the running source guest through its transport (fastest:
 * its own kernel and CPU rebuild the initramfs), or offline on its image in the libguestfs
 * appliance (no guest access needed; never the host kernel).
 */
export type AdaptSource =
  | { kind: "online"; transport: GuestTransport }
  | { kind: "offline"; image: string; format: string; session?: GuestfishSession };

const describeSource = (s: AdaptSource) => (s.kind === "online" ? `guest ${s.transport.label}` : `image '${s.image}'`);

async function runInGuest(src: AdaptSource, script: string, opts: { readonly?: boolean; timeoutMs: number; signal?: AbortSignal }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  if (src.kind === "online") {
    return src.transport.exec(script, { timeoutMs: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
  }
  try {
    // In an open session (one appliance for several scripts) the image is the caller's
    // working copy, so read-only scripts need no overlay of their own.
    const r = src.session
      ? await src.session.runScript(script, { timeoutMs: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) })
      : await runScriptOffline(src.image, src.format, script, { readonly: opts.readonly ?? false, timeoutMs: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
    return { code: 0, stdout: r.output, stderr: r.stderr };
  } catch (e) {
    const r = (e as { result?: { stdout: string; stderr: string } }).result;
    if (r) return { code: 1, stdout: r.stdout, stderr: r.stderr };
    throw e;
  }
}

/** Reads the facts the plan needs; changes nothing (offline: on a throw-away overlay). */
export async function readGuestFacts(src: AdaptSource, signal?: AbortSignal): Promise<GuestFacts> {
  const r = await runInGuest(src, factsScript(), { readonly: true, timeoutMs: 10 * 60_000, ...(signal ? { signal } : {}) });
  if (r.code !== 0 && !r.stdout.includes("@@tiosa-adapt-section@@ end")) {
    throw new UserError(`cannot read the guest's facts from ${describeSource(src)}: ${r.stderr.trim().split("\n").slice(-4).join(" | ")}`);
  }
  return parseFacts(r.stdout, src.kind);
}

const newAdaptId = () => `${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, "").toLowerCase()}-${randomBytes(3).toString("hex")}`;

export interface ApplyResult {
  id: string;
  durationMs: number;
  /** Where the change list lives in the guest. */
  changesPath: string;
  log: string;
}

/** The change list kept in the guest next to the saved files (read back by `adapt undo`). */
export function changesDocument(plan: AdaptPlan, id: string, via: AdaptSource["kind"]): string {
  return JSON.stringify({
    kind: "tiosa-adapt-changes/v1", id, createdAt: new Date().toISOString(), via,
    kernelRelease: plan.kernelRelease, targetFamily: plan.targetFamily, target: plan.target,
    previousInitramfs: `${ADAPT_STATE_DIR}/${id}/initrd.img`,
    changes: plan.items.filter((i) => i.change),
  }, null, 2) + "\n";
}

/** Applies a plan; on any failure the guest script undoes itself before returning. */
export async function applyPlan(src: AdaptSource, plan: AdaptPlan, opts: { id?: string; signal?: AbortSignal; initramfs?: InitramfsStrategy } = {}): Promise<ApplyResult> {
  const id = opts.id ?? newAdaptId();
  const start = Date.now();
  const r = await runInGuest(src, applyScript(plan, id, changesDocument(plan, id, src.kind), opts.initramfs ?? "append"), { timeoutMs: 30 * 60_000, ...(opts.signal ? { signal: opts.signal } : {}) });
  if (r.code !== 0 || !r.stdout.includes(OK_MARKER)) {
    const why = (r.stderr.trim() || r.stdout.trim()).split("\n").filter((l) => !/^libguestfs: /.test(l)).slice(-6).join(" | ");
    throw new UserError(`adapting ${describeSource(src)} failed (nothing left changed): ${why}`);
  }
  return { id, durationMs: Date.now() - start, changesPath: `${ADAPT_STATE_DIR}/${id}/changes.json`, log: r.stderr };
}

interface AppliedAdaptation {
  id: string;
  changes: unknown;
}

/** The adaptations applied in a guest, oldest first. */
export async function listAdaptations(src: AdaptSource, signal?: AbortSignal): Promise<AppliedAdaptation[]> {
  const r = await runInGuest(src, listScript(), { readonly: true, timeoutMs: 5 * 60_000, ...(signal ? { signal } : {}) });
  if (r.code !== 0) throw new UserError(`cannot list adaptations of ${describeSource(src)}: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  const out: AppliedAdaptation[] = [];
  const parts = r.stdout.split(/^@@([a-z0-9-]+)@@$/m);
  for (let i = 1; i + 1 < parts.length; i += 2) {
    let changes: unknown;
    try { changes = JSON.parse(parts[i + 1]!); } catch { changes = null; }
    out.push({ id: parts[i]!, changes });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** Undoes one adaptation (default: the only/latest one) with the undo script the guest carries. */
export async function undoAdaptation(src: AdaptSource, opts: { id?: string; signal?: AbortSignal } = {}): Promise<{ id: string; durationMs: number }> {
  let id = opts.id;
  if (!id) {
    const applied = await listAdaptations(src, opts.signal);
    if (applied.length === 0) throw new UserError(`${describeSource(src)} has no adaptation to undo (nothing under ${ADAPT_STATE_DIR})`);
    id = applied[applied.length - 1]!.id;
  }
  if (!/^[a-z0-9-]{1,64}$/.test(id)) throw new UserError(`adaptation id '${id}' is not valid (lower-case letters, digits and '-')`);
  const start = Date.now();
  const r = await runInGuest(src, runUndoScript(id), { timeoutMs: 10 * 60_000, ...(opts.signal ? { signal: opts.signal } : {}) });
  if (r.code !== 0 || !r.stdout.includes(UNDO_OK_MARKER)) {
    throw new UserError(`undoing adaptation ${id} of ${describeSource(src)} failed: ${(r.stderr.trim() || r.stdout.trim()).split("\n").filter((l) => !/^libguestfs: /.test(l)).slice(-4).join(" | ")}`);
  }
  return { id, durationMs: Date.now() - start };
}
