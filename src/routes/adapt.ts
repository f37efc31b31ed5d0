import { ADAPT_ROUTE_STEPS, adaptRoute } from "../adapt/route.js";
import type { Family } from "./artifacts.js";
import type { Route } from "./route.js";
import type { ToolSpec } from "./tool.js";

/**
 * The `adapt` route (src/adapt/route.ts, docs/adapt.md) as route discovery lists it. It is
 * not a chain of tools found by the search but a whole method, so its tools are kept out of
 * ALL_TOOLS (chained with the others they would only make detours) and the route is built
 * here, with its own id `adapt`, for every pair the method offers (all of them: the plan, not
 * the pair, decides whether the guest needs changes). Two steps, so that a campaign's step 5
 * (export/convert) prepares and transfers and its step 7 (import) defines:
 *
 * 1. `adapt`: offline adaptation of a working overlay on the stopped source VM's image (the
 *    source image is never written), compressed transfer, block-by-block verification
 *    (ADAPT_ROUTE_STEPS); src/migrate/runners/adapt.ts.
 * 2. `adapt-define`: the target family's importer for the verified qcow2 (the driver
 *    converts it into the run's pool in the family's format); src/migrate/runners/import.ts.
 */
const ADAPT_ROUTE_ID = adaptRoute.id;

const ADAPT_DESCRIPTION =
  "destination-dependent: adapts a working copy of the stopped guest's image to the target family's hardware "
  + "(initramfs drivers, root by UUID, NIC names, guest tools), then moves only its compressed allocated blocks, verified";

const common = { binaries: ["qemu-img", "guestfish"], transformsGuest: true, slow: true } as const;

/** Step 1 from a VM of family `from`: the image, adapted for the target and transferred. */
export function adaptTool(from: Family): ToolSpec {
  return {
    id: "adapt", name: "adapt for target hardware, transfer compressed",
    inputs: [`vm:${from}`], output: "disk:qcow2", onlyFrom: [from], ...common,
  };
}

/** Step 2 toward family `to`: defines the VM with the family's hardware from the transferred image. */
export function adaptDefineTool(to: Family): ToolSpec {
  return {
    id: "adapt-define", name: "define with target hardware",
    inputs: ["disk:qcow2"], output: `vm:${to}`, onlyToward: [to], binaries: ["virsh"],
  };
}

/** The adapt route from `from` to `to`, or null where the method does not offer it. */
export function adaptRouteBetween(from: Family, to: Family): Route | null {
  if (!adaptRoute.offers(from, to)) return null;
  const prepare = adaptTool(from), define = adaptDefineTool(to);
  return {
    id: ADAPT_ROUTE_ID,
    name: `${prepare.name} -> ${define.name}`,
    description: ADAPT_DESCRIPTION,
    outline: [...ADAPT_ROUTE_STEPS, define.name],
    from, to,
    steps: [
      { tool: prepare, input: `vm:${from}`, output: "disk:qcow2" },
      { tool: define, input: "disk:qcow2", output: `vm:${to}` },
    ],
    slow: true,
    binaries: [...new Set([...prepare.binaries, ...define.binaries])].sort(),
  };
}
