import { deflateSync, crc32 } from "node:zlib";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCampaign } from "../../src/campaign/spec.js";
import { planCampaign, type RouteInfo, type CaseJob, type CaptureJob } from "../../src/campaign/plan.js";
import { RunStore, type EvidenceInput } from "../../src/campaign/store.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import type { Snapshot } from "../../src/snapshot/schema.js";
import { variant } from "./snapshots.js";
import { LAB_HYPERVISORS_AND_GUESTS } from "./lab-campaign.js";
import { assess } from "../../src/assess/assess.js";
import { ASSESSMENT_EVIDENCE } from "../../src/campaign/steps/assessment.js";
import { getFamily } from "../../src/hypervisor/families/index.js";
import { hostonlyFacts } from "./guest-facts.js";

/**
 * Store contents for the reporting pipeline's unit tests: a run written the way a runner
 * writes one (step by step, with snapshots, evaluations made by the real `evaluate()` and
 * evidence), from variants of baseSnapshot(). These outcomes are invented inputs for testing
 * the reports, NOT campaign results, and must never be shown as such.
 */

export const FIXTURE_CAMPAIGN = `# reporting-pipeline fixture: invented outcomes for unit tests, not campaign results
name: reporting-pipeline-fixture
${LAB_HYPERVISORS_AND_GUESTS}cycles: 3
`;

const QEMU_IMG: RouteInfo = { id: "qemu-img", name: "qemu-img convert to the target's format, define a domain", steps: ["qemu-img convert", "virsh define"] };
const OVA: RouteInfo = { id: "ova", name: "OVA export and import", steps: ["ovf export", "ova pack", "ova import"] };

/** hyperv -> kvm has no route; kvm -> vmware has two. */
export function fixtureRoutes(from: string, to: string): RouteInfo[] {
  if (from === "hyperv" && to === "kvm") return [];
  if (from === "kvm" && to === "vmware") return [OVA, QEMU_IMG];
  return [QEMU_IMG];
}

export const CONSOLE_ALERT = [
  "[    1.912] virtio_blk: not found",
  "Begin: Waiting for root file system ... done.",
  "Gave up waiting for root file system device.  Common problems:",
  " - Boot args (cat /proc/cmdline)",
  "ALERT!  LABEL=root does not exist.  Dropping to a shell!",
  "",
  "BusyBox v1.35.0 (Debian 1:1.35.0-4+b3) built-in shell (ash)",
  "(initramfs) ",
].join("\n");

/** A real PNG (solid dark console colour with a red bar), so the HTML can embed it. */
export function tinyPng(width = 64, height = 24): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      const red = y > height - 6;
      row[1 + x * 3] = red ? 200 : 20; row[2 + x * 3] = red ? 30 : 20; row[3 + x * 3] = red ? 30 : 20;
    }
    rows.push(row);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(Buffer.concat(rows))), chunk("IEND", Buffer.alloc(0))]);
}

type Outcome =
  | { kind: "target"; target: Snapshot; evidence?: Array<EvidenceInput & { step: number }> }
  | { kind: "step-fails"; step: number; detail: string; evidence?: EvidenceInput[] };

const onFamily = (family: string, edit: (s: Snapshot) => void = () => {}) => variant((s) => { s.subject!.family = family; edit(s); });
const renamed = (s: Snapshot, name: string, driver: string) => {
  const nic = s.guest!.interfaces![0]!; nic.name = name; nic.driver = driver;
  for (const r of s.guest!.routes!) r.device = name;
};

/** The invented outcome of each case, by coordinates. */
function outcome(guest: string, hs: string, hut: string, route: string, cycle: number): Outcome {
  const key = `${guest} ${hs}->${hut} ${route}`;
  switch (key) {
    case "debian-12 kvm->vmware qemu-img":
      return { kind: "target", target: onFamily("vmware", (s) => renamed(s, "ens4", "vmxnet3")) };
    case "debian-12 kvm->vmware ova":
    case "debian-12-hostonly kvm->vmware ova":
      return { kind: "step-fails", step: 7, detail: "virsh define: unsupported configuration: unknown controller model 'vmpvscsi'" };
    case "debian-12 kvm->hyperv qemu-img":
      // Cycle 2 saw a slow ping: the same verdict, but a test flipped.
      return { kind: "target", target: onFamily("hyperv", (s) => { renamed(s, "eth0", "hv_netvsc"); if (cycle === 2) s.guest!.icmp!.private!.maxRttMs = 4200; }) };
    case "debian-12 vmware->hyperv qemu-img":
      return { kind: "target", target: onFamily("hyperv", (s) => { s.hypervisorTests["1.1.g"] = { result: "failed", detail: "virsh destroy: Failed to terminate process 4242 with SIGKILL: Device or resource busy" }; }) };
    case "debian-12-hostonly kvm->vmware qemu-img":
    case "debian-12-hostonly kvm->hyperv qemu-img":
      return {
        kind: "target",
        target: onFamily(hut, (s) => { s.guest = null; s.hypervisorTests = { "1.1.a": { result: "failed", detail: "no SSH after 300 s; console shows the initramfs shell" } }; }),
        evidence: [
          { step: 9, kind: "console", text: CONSOLE_ALERT },
          { step: 9, kind: "screenshot", fileName: "screen.png", data: tinyPng() },
        ],
      };
    case "debian-12-hostonly vmware->kvm qemu-img":
      return {
        kind: "target",
        target: onFamily("kvm", (s) => {
          s.guest!.transport = "qga";
          s.guest!.interfaces![0]!.addresses = [];
          s.guest!.interfaces![0]!.state = "DOWN";
          s.guest!.icmp = { private: { target: "10.0.2.2", sent: 3, received: 0, maxRttMs: null }, public: null };
        }),
        evidence: [{ step: 10, kind: "guest-agent", text: "ssh 10.0.2.15:22: connection timed out\nqemu-guest-agent: systemctl is-system-running = running\nip -br link: enp0s3 DOWN" }],
      };
    case "debian-12-hostonly vmware->hyperv qemu-img":
      return { kind: "step-fails", step: 5, detail: "qemu-img convert -O vhdx: exit 1: Could not open 'disk.vmdk': Invalid footer" };
    default:
      return { kind: "target", target: onFamily(hut) };
  }
}

const NOW = new Date("2026-11-23T00:00:00Z");

export interface FixtureRun { outputDir: string; runDir: string; runId: string; cleanup(): void }

/**
 * Writes the fixture run into a fresh temp output directory. `stopAfterJobs` leaves the rest
 * pending (an unfinished run); `crashInJob` leaves that job `running` mid-step.
 */
export function writeFixtureRun(opts: { stopAfterJobs?: number; outputDir?: string; unreachable?: string; withAssessment?: boolean } = {}): FixtureRun {
  const outputDir = opts.outputDir ?? mkdtempSync(join(tmpdir(), "tiosa-report-test-"));
  const campaign = parseCampaign(FIXTURE_CAMPAIGN, join(outputDir, "fixture.yaml"));
  const plan = planCampaign(campaign, fixtureRoutes);
  const store = RunStore.create(outputDir, { campaign: campaign.name, specText: campaign.text, specHash: campaign.hash, plan, tiosaVersion: "0.1.0-test", now: NOW });
  const sources = new Map<string, Snapshot>();
  try {
    let n = 0;
    const failed = new Set<string>();
    for (const job of plan.jobs) {
      if (opts.stopAfterJobs !== undefined && n++ >= opts.stopAfterJobs) break;
      // As a runner does: a job whose dependency failed is never started.
      if (job.dependsOn.some((d) => failed.has(d))) { failed.add(job.id); continue; }
      store.startJob(job.id);
      if (job.kind === "readiness" && job.hypervisor === opts.unreachable) {
        store.startStep(job.id, 1, job.steps[0]!.name);
        store.finishStep(job.id, 1, { state: "failed", detail: "virsh -c qemu+ssh://root@10.250.0.2/system: Connection refused" });
        store.finishJob(job.id, "failed", "Sequence 1 failed");
        failed.add(job.id);
      } else if (job.kind === "readiness") {
        store.startStep(job.id, 1, job.steps[0]!.name);
        store.finishStep(job.id, 1, { state: "done", detail: `family ${job.family}: VM count, memory, CPU, NIC, disk, firewall exposed through libvirt` });
        store.finishJob(job.id, "done");
      } else if (job.kind === "capture") {
        writeCapture(store, job, sources, opts.withAssessment ?? false);
      } else {
        writeCase(store, job, sources.get(job.captureId)!);
      }
    }
  } finally {
    store.close();
  }
  return { outputDir, runDir: store.dir, runId: store.id, cleanup: () => rmSync(outputDir, { recursive: true, force: true }) };
}

function writeCapture(store: RunStore, job: CaptureJob, sources: Map<string, Snapshot>, withAssessment: boolean): void {
  const plan = store.plan();
  const family = (name: string) => plan.hypervisors.find((h) => h.name === name)!.family;
  const source = onFamily(family(job.hs));
  // The recorded facts of a MODULES=list virtio initramfs (test/fixtures/adapt), for every guest.
  const huts = [...new Set(plan.cells.filter((c) => c.guest === job.guest && c.hs === job.hs).map((c) => family(c.hut)))];
  const assessment = withAssessment ? assess({ source: `${job.guest} on ${job.hs}`, inventory: null, facts: hostonlyFacts(), sourceFamily: getFamily(family(job.hs)) }, huts.map(getFamily)) : null;
  for (const s of job.steps) {
    store.startStep(job.id, s.no, s.name);
    store.finishStep(job.id, s.no, s.no === 3
      ? { state: "done", snapshot: { role: "source", snapshot: source }, detail: "21 OS tests captured over ssh", ...(assessment ? { evidence: [{ kind: ASSESSMENT_EVIDENCE, text: JSON.stringify(assessment) }] } : {}) }
      : { state: "done" });
  }
  sources.set(job.id, source);
  store.finishJob(job.id, "done");
}

function writeCase(store: RunStore, job: CaseJob, source: Snapshot): void {
  const o = outcome(job.guest, job.hs, job.hut, job.route.id, job.cycle);
  for (const s of job.steps) {
    store.startStep(job.id, s.no, s.name);
    if (o.kind === "step-fails" && s.no === o.step) {
      store.finishStep(job.id, s.no, { state: "failed", detail: o.detail, ...(o.evidence ? { evidence: o.evidence } : {}) });
      for (const rest of job.steps.filter((x) => x.no > s.no)) store.skipStep(job.id, rest.no, rest.name, `step ${s.no} failed`);
      store.finishJob(job.id, "failed", `step ${s.no} failed`);
      return;
    }
    const evidence = o.kind === "target" ? (o.evidence ?? []).filter((e) => e.step === s.no).map(({ step: _s, ...e }) => e as EvidenceInput) : [];
    store.finishStep(job.id, s.no, {
      state: "done",
      ...(s.no === 5 ? { bytesRead: 711_000_000, bytesWritten: 690_000_000 } : {}),
      ...(s.no === 10 && o.kind === "target" ? { snapshot: { role: "target" as const, snapshot: o.target } } : {}),
      ...(s.no === 11 && o.kind === "target" ? { evaluation: evaluate(source, o.target, { now: NOW }) } : {}),
      ...(evidence.length ? { evidence } : {}),
    });
  }
  store.finishJob(job.id, "done");
}

/** A campaign file in a temp dir, for CLI tests. */
export function writeTempFile(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
