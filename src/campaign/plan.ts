import type { RouteStep } from "../routes/discover.js";
import type { Campaign, TimeoutKind } from "./spec.js";
import { familyName } from "./spec.js";

/**
 * The planner: a campaign becomes Sequence 1 jobs (one per hypervisor) and Sequence 2 jobs
 * (one source capture per guest, HS and cycle, shared by every case of that source; one case
 * per guest, HS, HUT, route and cycle). Pure: routes come from the function passed in.
 * Job ids are built from their coordinates only, so a resumed run finds the same ids.
 */

/** A way to move a VM between two families (export, convert, import tools), as src/routes discovers them. */
export interface RouteInfo {
  id: string;
  name: string;
  steps: string[];
  /**
   * The route's last tool rewrites the guest as it imports it (virt-v2v -o libvirt):
   * step 7 then does a conversion's work and gets the convert budget on top of the import's.
   */
  importConverts?: boolean;
  /**
   * The tools in order, as discovery found them when the run was planned: a case runs
   * exactly these (plans stored before this field existed are resolved again by id).
   */
  chain?: RouteStep[];
}
export type DiscoverRoutes = (fromFamily: string, toFamily: string) => RouteInfo[];

export interface StepDefinition {
  no: number;
  key: string;
  /** The paper's wording (Sequence 2, execution steps). */
  name: string;
  timeout: TimeoutKind;
}

/** Sequence 2's eleven execution steps, numbered and named as in the paper. */
export const SEQUENCE2_STEPS: readonly StepDefinition[] = [
  { no: 1, key: "metadata", name: "Get VM metadata from Source Hypervisor", timeout: "metadata" },
  { no: 2, key: "hypervisor-tests-source", name: "Perform Hypervisor Test-Set on Source Hypervisor", timeout: "hypervisorTests" },
  { no: 3, key: "os-tests-source", name: "Perform OS Test-Set on Source Hypervisor", timeout: "capture" },
  { no: 4, key: "stop", name: "Stop the VM on Source Hypervisor", timeout: "stop" },
  { no: 5, key: "export-convert", name: "Export the VM in OVF Format or convert VM into destination format", timeout: "convert" },
  { no: 6, key: "check-resources", name: "Check whether the required resources are available on Target Hypervisor", timeout: "checkResources" },
  { no: 7, key: "import", name: "Import VM to Target Hypervisor", timeout: "import" },
  { no: 8, key: "hypervisor-tests-target", name: "Perform Hypervisor Test-Set on Target Hypervisor", timeout: "hypervisorTests" },
  { no: 9, key: "start", name: "Start VM on Target Hypervisor", timeout: "boot" },
  { no: 10, key: "os-tests-target", name: "Perform OS Test-Set on Target Hypervisor", timeout: "capture" },
  { no: 11, key: "compare", name: "Compare results of Test Sets using Evaluation Rules", timeout: "compare" },
];

/** Sequence 1 has one step per hypervisor. */
export const SEQUENCE1_STEP: StepDefinition = {
  no: 1, key: "inventory", name: "Check if the information about VMs is exposed by the hypervisor (Sequence 1)", timeout: "metadata",
};

export const CASE_STEP_NOS = [4, 5, 6, 7, 8, 9, 10, 11] as const;

export function stepDefinition(no: number): StepDefinition {
  const d = SEQUENCE2_STEPS.find((s) => s.no === no);
  if (!d) throw new Error(`no Sequence 2 step ${no}`);
  return d;
}

export interface PlannedStep { no: number; name: string; timeoutSeconds: number }

/** A hypervisor of the campaign as a job needs it: its name, where it answers, its hardware family. */
export interface PlannedHypervisor {
  name: string; uri: string; family: string;
  /** Jobs at a time on its host (campaign `hypervisors[].slots`); absent: the run's concurrency. */
  slots?: number;
}

interface JobBase { id: string; dependsOn: string[]; steps: PlannedStep[] }
export interface ReadinessJob extends JobBase { kind: "readiness"; hypervisor: string; uri: string; family: string }
export interface CaptureJob extends JobBase {
  kind: "capture"; guest: string; hs: string; cycle: number;
  /** The HS, resolved (absent in plans stored by earlier versions). */
  source?: PlannedHypervisor;
}
export interface CaseJob extends JobBase {
  kind: "case"; guest: string; hs: string; hut: string; route: RouteInfo; cycle: number; captureId: string;
  /** HS and HUT, resolved (absent in plans stored by earlier versions). */
  source?: PlannedHypervisor;
  target?: PlannedHypervisor;
}
export type PlannedJob = ReadinessJob | CaptureJob | CaseJob;

/** A matrix cell: one guest moved from HS to HUT, by every selected route. No route = tool failure. */
export interface PlannedCell { guest: string; hs: string; hut: string; routes: RouteInfo[] }

export interface Plan {
  campaign: string;
  cycles: number;
  hypervisors: PlannedHypervisor[];
  guests: { name: string; source: string }[];
  cells: PlannedCell[];
  /** In the order a runner with concurrency 1 would take them: Sequence 1, then cycle by cycle. */
  jobs: PlannedJob[];
}

export const readinessId = (hv: string) => `s1/${hv}`;
export const captureId = (guest: string, hs: string, cycle: number) => `capture/${guest}/${hs}/c${cycle}`;
export const caseId = (guest: string, hs: string, hut: string, route: string, cycle: number) => `case/${guest}/${hs}->${hut}/${route}/c${cycle}`;

export function planCampaign(c: Campaign, discover: DiscoverRoutes): Plan {
  const hv = new Map(c.hypervisors.map((h): [string, PlannedHypervisor] => [h.name, { name: h.name, uri: h.uri, family: familyName(h), ...(h.slots ? { slots: h.slots } : {}) }]));
  const steps = (nos: readonly number[]): PlannedStep[] =>
    nos.map((no) => { const d = stepDefinition(no); return { no, name: d.name, timeoutSeconds: c.timeouts[d.timeout] }; });

  // Routes per pair, filtered as the campaign asks.
  const routesFor = new Map<string, RouteInfo[]>();
  const seenIds = new Set<string>();
  for (const p of c.pairs) {
    let routes = discover(hv.get(p.from)!.family, hv.get(p.to)!.family);
    routes.forEach((r) => seenIds.add(r.id));
    if (c.routes.use !== "all") { const keep = c.routes.use; routes = routes.filter((r) => keep.includes(r.id)); }
    if (c.routes.onePerPair) routes = routes.slice(0, 1);
    routesFor.set(`${p.from}->${p.to}`, routes);
  }
  if (c.routes.use !== "all") {
    const list = c.routes.use;
    const shorthand = Array.isArray((c.source.toJS() as { routes?: unknown }).routes);
    list.forEach((id, i) => {
      if (!seenIds.has(id)) {
        const path = shorthand ? ["routes", i] : ["routes", "use", i];
        throw c.source.errorAt(path, `route '${id}' is not a route between any of the campaign's pairs (known: ${[...seenIds].join(", ") || "none"})`);
      }
    });
  }

  const cells: PlannedCell[] = [];
  const pairsOf = (g: Campaign["guests"][number]) => (g.kind === "vm" ? c.pairs.filter((p) => p.from === g.hypervisor) : c.pairs);
  for (const g of c.guests) {
    for (const p of pairsOf(g)) cells.push({ guest: g.name, hs: p.from, hut: p.to, routes: routesFor.get(`${p.from}->${p.to}`)! });
  }

  const jobs: PlannedJob[] = [];
  const used = new Set(cells.flatMap((x) => [x.hs, x.hut]));
  for (const h of hv.values()) {
    if (!used.has(h.name)) continue;
    jobs.push({ kind: "readiness", id: readinessId(h.name), hypervisor: h.name, uri: h.uri, family: h.family, dependsOn: [], steps: [{ no: SEQUENCE1_STEP.no, name: SEQUENCE1_STEP.name, timeoutSeconds: c.timeouts.metadata }] });
  }
  for (let cycle = 1; cycle <= c.cycles; cycle++) {
    for (const g of c.guests) {
      const sources = [...new Set(pairsOf(g).map((p) => p.from))];
      for (const hs of sources) {
        const targets = cells.filter((x) => x.guest === g.name && x.hs === hs && x.routes.length > 0);
        if (targets.length === 0) continue; // nothing to move: no capture to share
        const cap = captureId(g.name, hs, cycle);
        jobs.push({ kind: "capture", id: cap, guest: g.name, hs, cycle, source: hv.get(hs)!, dependsOn: [readinessId(hs)], steps: steps([1, 2, 3]) });
        for (const cell of targets) {
          for (const route of cell.routes) {
            jobs.push({
              kind: "case", id: caseId(g.name, hs, cell.hut, route.id, cycle), guest: g.name, hs, hut: cell.hut, route, cycle,
              source: hv.get(hs)!, target: hv.get(cell.hut)!,
              captureId: cap, dependsOn: [cap, readinessId(cell.hut)],
              steps: steps([...CASE_STEP_NOS]).map((s) => (s.no === 7 && route.importConverts ? { ...s, timeoutSeconds: s.timeoutSeconds + c.timeouts.convert } : s)),
            });
          }
        }
      }
    }
  }

  return {
    campaign: c.name,
    cycles: c.cycles,
    hypervisors: [...hv.values()],
    guests: c.guests.map((g) => ({ name: g.name, source: g.kind === "image" ? `image ${g.recipe}` : `VM ${g.vm} on ${g.hypervisor}` })),
    cells,
    jobs,
  };
}
