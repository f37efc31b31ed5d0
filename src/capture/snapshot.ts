import { errorMessage } from "../errors.js";
import { captureGuest } from "../guest/capture.js";
import type { CaptureOptions } from "../guest/options.js";
import type { GuestTransport } from "../guest/transport.js";
import type { VmInventory } from "../inventory/model.js";
import { SNAPSHOT_VERSION, Snapshot, type GuestState, type HypervisorTestResult } from "../snapshot/schema.js";
import { TIOSA_VERSION } from "../version.js";

/**
 * The capture stage: one VM's Table II results, its OS test set (the guest probe, Table III
 * and the application checks) and its inventory become one `snapshot/v1` document. Used by
 * `tiosa capture`, a campaign's source capture (Sequence 2 step 3) and its target capture
 * (step 10); what differs between them (which Table II tests ran before, whether Terminate
 * runs after the probe) is passed in.
 */

export interface CaptureSubject {
  vm: string;
  /** The hypervisor's URI. */
  hypervisor: string;
  family: string | null;
  accel: string | null;
}

export interface CaptureStageInput {
  subject: CaptureSubject;
  /** Table II results so far and the tests not asked for (with why). */
  hypervisorTests: Record<string, HypervisorTestResult>;
  notRequested: Record<string, string>;
  /** Opens the transport the OS test set runs over; closed here when the probe ends. */
  openGuest: () => Promise<GuestTransport>;
  probe: Partial<CaptureOptions>;
  /** The VM's inventory, read after the probe (or the one read before, for a VM Terminate removes). */
  inventory: () => Promise<VmInventory | null>;
  /** Table II tests that run after the OS test set (Terminate): their results, and ids no longer "not requested". */
  after?: () => Promise<{ results: Record<string, HypervisorTestResult>; requested: string[] }>;
}

/** The guest could not be probed (no transport, or the probe script failed): the capture has no OS level. */
export class GuestProbeError extends Error {
  constructor(override readonly cause: unknown) {
    super(errorMessage(cause));
    this.name = "GuestProbeError";
  }
}

/** `tool` of every snapshot tiosa writes: one version, from package.json. */
export const SNAPSHOT_TOOL = { name: "tiosa", version: TIOSA_VERSION } as const;

export async function captureSnapshot(i: CaptureStageInput): Promise<Snapshot> {
  let guest: GuestState;
  try {
    const t = await i.openGuest();
    try {
      guest = await captureGuest(t, i.probe);
    } finally {
      await t.close();
    }
  } catch (e) {
    if (i.probe.signal?.aborted) throw e;
    throw new GuestProbeError(e);
  }
  const inventory = await i.inventory();
  const results = { ...i.hypervisorTests };
  const notRequested = { ...i.notRequested };
  if (i.after) {
    const a = await i.after();
    Object.assign(results, a.results);
    for (const id of a.requested) delete notRequested[id];
  }
  return assembleSnapshot({ subject: i.subject, hypervisorTests: results, notRequested, inventory, guest });
}

/** A validated snapshot/v1 from its parts, stamped now. */
export function assembleSnapshot(p: {
  subject: CaptureSubject; hypervisorTests: Record<string, HypervisorTestResult>; notRequested: Record<string, string>;
  inventory: VmInventory | null; guest: GuestState | null;
}): Snapshot {
  return Snapshot.parse({
    schemaVersion: SNAPSHOT_VERSION, capturedAt: new Date().toISOString(), tool: SNAPSHOT_TOOL,
    subject: p.subject, hypervisorTests: p.hypervisorTests, notRequested: p.notRequested, inventory: p.inventory, guest: p.guest,
  });
}
