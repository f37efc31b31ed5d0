import type { AdaptRouteResult } from "../adapt/route.js";
import type { ArtifactKind } from "../routes/artifacts.js";
import type { RouteStep } from "../routes/discover.js";
import type { HardwareFamily } from "../hypervisor/families/family.js";
import type { HypervisorDriver } from "../hypervisor/driver.js";
import type { VmInventory } from "../inventory/model.js";

/** A disk image file in the route's work directory, with its qemu-img format name. */
export interface DiskFile {
  path: string;
  format: string;
}

/**
 * An artifact of a route as it exists on disk: the disks it holds and, for a package, the
 * descriptor file (libvirt XML or OVA); for a `vm:` kind, the VM's name on the target.
 */
export interface Artifact {
  kind: ArtifactKind;
  disks: DiskFile[];
  packagePath: string | null;
  vmName: string | null;
}

/** What every runner may use: both hypervisors, the step's own output directory, the hardware carried along. */
export interface StepContext {
  /** Fresh directory for this step's output, inside the route's work directory. */
  stepDir: string;
  workDir: string;
  source: { driver: HypervisorDriver; vm: string };
  target: { driver: HypervisorDriver; family: HardwareFamily; uri: string };
  /** Short name of the VM on the target (the driver prefixes `tiosa-<run>-`). */
  targetName: string;
  /**
   * The VM's hardware description (CPU, memory, disks, NICs) as the latest package said it:
   * the source domain first, then each OVF or libvirt XML a step reads.
   */
  hardware: VmInventory;
  signal?: AbortSignal;
  log: (message: string) => void;
}

export interface StepOutcome {
  output: Artifact;
  /** Bytes the step read from its inputs (allocated bytes of the files it took). */
  bytesRead: number;
  /** Bytes it wrote (allocated bytes of every file it produced, intermediates included) or sent to the target. */
  bytesWritten: number;
  /** The hardware description the step read from a package, replacing the carried one. */
  hardware?: VmInventory;
  notes?: string[];
  /** The adapt route's preparation: what the plan changed and what crossed the wire. */
  adapt?: AdaptRecord;
}

/** What the adapt route's step 1 did (src/migrate/runners/adapt.ts), kept for reports. */
export interface AdaptRecord {
  targetFamily: string;
  kernelRelease: string;
  /** The plan's changes, one line each; empty when the guest needed none. */
  changes: string[];
  /** What the plan checked and found already fine. */
  checks: string[];
  /** The adaptation id inside the adapted copy (its change list), null when nothing was applied. */
  appliedId: string | null;
  transfer: {
    mode: "compressed" | "delta";
    /** Bytes of the image that crosses the wire. */
    transferredBytes: number;
    /** Bytes of the source VM's image file (what a plain "dead copy" moves) and its virtual size. */
    sourceFileBytes: number;
    sourceVirtualBytes: number;
    /** transferredBytes / sourceFileBytes, transferredBytes / sourceVirtualBytes. */
    shareOfSource: number;
    shareOfVirtual: number;
    /** qemu-img compare found the transferred image identical to the adapted copy. */
    verified: boolean;
  };
  timingsMs: AdaptRouteResult["timingsMs"];
}

export type StepRunner = (input: Artifact, step: RouteStep, ctx: StepContext) => Promise<StepOutcome>;

/** One executed step, as `tiosa migrate` prints it. */
export interface StepReport {
  tool: string;
  name: string;
  input: ArtifactKind;
  output: ArtifactKind;
  seconds: number;
  bytesRead: number;
  bytesWritten: number;
  notes: string[];
  adapt?: AdaptRecord;
}
