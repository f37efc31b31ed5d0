import type { ArtifactKind, Family } from "./artifacts.js";

/**
 * One tool of a route: turns one artifact kind into another. Tools declare only what
 * they take and give; running them is the migrate layer's job.
 */
export interface ToolSpec {
  /** Stable id, part of route ids ("qemu-img:vmdk>qcow2"). */
  id: string;
  /** Human name, part of route names ("qemu-img vmdk->qcow2"). */
  name: string;
  inputs: readonly ArtifactKind[];
  output: ArtifactKind;
  /** Programs it runs (for `tiosa doctor` and for skipping a route whose tools are missing). */
  binaries: readonly string[];
  /** Only usable when the target family is one of these (virt-v2v converts toward KVM only). */
  onlyToward?: readonly Family[];
  /** Only usable when the source family is one of these (a family's own exporter). */
  onlyFrom?: readonly Family[];
  /** Rewrites the guest (drivers, initramfs): its output is new even if the kind repeats. */
  transformsGuest?: boolean;
  /** A plain image format conversion (two in a row are never needed). */
  isFormatConversion?: boolean;
  /** Minutes rather than seconds (virt-v2v: ~8 min under TCG, lab-findings). */
  slow?: boolean;
}
