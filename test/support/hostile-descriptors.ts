import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { WorkerReply, WorkerRequest } from "./descriptor-worker.js";

/**
 * Helpers for the hostile-descriptor tests (issue 23): run `tiosa inspect` on a generated
 * file both as the real CLI (bin/tiosa.js: proves the exit status and what the user sees)
 * and in-process through the same main() (times the work itself; a child's node start-up
 * on a loaded 2-core machine is not what the 2 s bound is about).
 */

export const BIN = fileURLToPath(new URL("../../../bin/tiosa.js", import.meta.url));
const REPO = fileURLToPath(new URL("../../../", import.meta.url));

/** The shared corpus of real descriptors, as the corpus tests find it: TIOSA_DESCRIPTOR_CORPUS or ../shared/corpus/descriptors from the repository. */
export const CORPUS = process.env.TIOSA_DESCRIPTOR_CORPUS ?? join(REPO, "..", "shared", "corpus", "descriptors");
export const corpusSkipReason = (): string | false => (existsSync(CORPUS) ? false : `descriptor corpus not found at ${CORPUS} (set TIOSA_DESCRIPTOR_CORPUS)`);

/** The bound each hostile input must be answered within (issue 23 acceptance). */
export const TIME_BOUND_MS = 2000;
/** Kill a CLI child after this long: a hang, not a slow machine. */
export const HANG_GUARD_MS = 20_000;

export interface Outcome { code: number | null; stderr: string; ms: number }

export function runCli(args: string[]): Outcome {
  const t = performance.now();
  // SIGKILL: tiosa handles SIGTERM on its event loop, which a runaway parse never returns to.
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: HANG_GUARD_MS, killSignal: "SIGKILL", maxBuffer: 64 * 2 ** 20 });
  return { code: r.status, stderr: r.stderr ?? "", ms: performance.now() - t };
}

/**
 * Runs `tiosa ARGS` through main() in a worker thread of this process (no node start-up in
 * the timing) with the CLI's hang guard as deadline; a hang is code null.
 */
export async function runInProcess(args: string[]): Promise<Outcome> {
  const r = await sharedWorker.run({ op: "inspect", args }, HANG_GUARD_MS);
  return r === null ? { code: null, stderr: `no answer within ${HANG_GUARD_MS} ms`, ms: HANG_GUARD_MS } : { code: r.code, stderr: r.stderr, ms: r.ms };
}

/**
 * `tiosa inspect FILE` is refused as bad input: exit 2 from the CLI and in-process, a
 * message naming the file and matching every pattern in `mentions`, no stack trace, no
 * "internal error", and the in-process run within TIME_BOUND_MS. The CLI runs first so a
 * hang fails on its guard instead of blocking the test.
 */
export async function assertRefused(file: string, mentions: RegExp[]): Promise<Outcome> {
  const cli = runCli(["inspect", file]);
  assert.notEqual(cli.code, null, `tiosa inspect ${file} did not finish within ${HANG_GUARD_MS} ms`);
  assert.equal(cli.code, 2, `exit status for ${file}: ${cli.stderr}`);
  assertUserMessage(cli.stderr, file, mentions);
  const inproc = await runInProcess(["inspect", file]);
  assert.equal(inproc.code, 2, inproc.stderr);
  assert.ok(inproc.ms < TIME_BOUND_MS, `${file} took ${inproc.ms.toFixed(0)} ms in-process (bound ${TIME_BOUND_MS} ms)`);
  return cli;
}

export function assertUserMessage(stderr: string, file: string, mentions: RegExp[]): void {
  assert.ok(stderr.includes(file), `the message names ${file}: ${stderr}`);
  for (const m of mentions) assert.match(stderr, m);
  assert.doesNotMatch(stderr, /^ {4}at /m, "no stack trace");
  assert.doesNotMatch(stderr, /internal error/);
}

/** A temporary directory; `file(ext, content)` writes the next numbered case into it. */
export function tempDir(): { dir: string; path: (name: string) => string; file: (ext: string, content: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "tiosa-hostile-"));
  let n = 0;
  const file = (ext: string, content: string) => {
    const p = join(dir, `case-${n++}.${ext}`);
    writeFileSync(p, content);
    return p;
  };
  return { dir, path: (name) => join(dir, name), file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A minimal OVF 1.x descriptor; each field can be replaced by a hostile value. */
export function ovfWith(o: { cpu?: string; mem?: string; memUnits?: string; cap?: string; capUnits?: string; cores?: string; extra?: string } = {}): string {
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">`,
    `<References><File ovf:href="d.vmdk" ovf:id="f1" ovf:size="100"/></References>`,
    `<DiskSection><Info>disks</Info><Disk ovf:capacity="${o.cap ?? "3"}" ovf:capacityAllocationUnits="${o.capUnits ?? "byte * 2^30"}" ovf:diskId="d1" ovf:fileRef="f1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/></DiskSection>`,
    `<VirtualSystem ovf:id="hostile"><Info>vm</Info><Name>hostile</Name><VirtualHardwareSection><Info>hw</Info>`,
    `<Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>${o.cpu ?? "2"}</rasd:VirtualQuantity>${o.cores === undefined ? "" : `<CoresPerSocket>${o.cores}</CoresPerSocket>`}</Item>`,
    `<Item><rasd:AllocationUnits>${o.memUnits ?? "byte * 2^20"}</rasd:AllocationUnits><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>${o.mem ?? "1024"}</rasd:VirtualQuantity></Item>`,
    `<Item><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>`,
    `<Item><rasd:HostResource>ovf:/disk/d1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>`,
    o.extra ?? "",
    `</VirtualHardwareSection></VirtualSystem></Envelope>`,
  ].join("\n");
}

/** A minimal libvirt domain XML. */
export function domainWith(o: { vcpu?: string; vcpuAttrs?: string; mem?: string; memUnit?: string; topology?: string; body?: string; doctype?: string; extra?: string } = {}): string {
  return `${o.doctype ?? ""}<domain type="kvm"><name>${o.body ?? "hostile"}</name><memory unit="${o.memUnit ?? "KiB"}">${o.mem ?? "1048576"}</memory>`
    + `<vcpu${o.vcpuAttrs ?? ""}>${o.vcpu ?? "2"}</vcpu>${o.topology === undefined ? "" : `<cpu><topology ${o.topology}/></cpu>`}`
    + `${o.extra ?? ""}<os><type arch="x86_64">hvm</type></os><devices/></domain>`;
}

/** A minimal VMX; `more` is appended as is. */
export function vmxWith(o: { memsize?: string; numvcpus?: string; cores?: string; more?: string } = {}): string {
  return [
    `.encoding = "UTF-8"`, `config.version = "8"`, `virtualHW.version = "14"`, `displayName = "hostile"`, `guestOS = "other-64"`,
    `memsize = "${o.memsize ?? "1024"}"`, `numvcpus = "${o.numvcpus ?? "2"}"`,
    ...(o.cores === undefined ? [] : [`cpuid.coresPerSocket = "${o.cores}"`]),
    `scsi0.present = "TRUE"`, `scsi0.virtualDev = "pvscsi"`, `scsi0:0.present = "TRUE"`, `scsi0:0.fileName = "disk.vmdk"`,
    `ethernet0.present = "TRUE"`, `ethernet0.virtualDev = "vmxnet3"`, `ethernet0.networkName = "VM Network"`,
  ].join("\n") + "\n" + (o.more ?? "");
}

/**
 * Runs requests in a worker thread with a deadline each: a request not answered in time
 * is reported as hung (null) and the worker replaced, so one runaway input cannot block
 * the test run (synchronous code on the test's own thread would ignore any timeout).
 */
export class DeadlineWorker {
  private worker: Worker | null = null;

  async run(req: WorkerRequest, deadlineMs: number): Promise<WorkerReply | null> {
    if (this.worker === null) {
      this.worker = new Worker(new URL("./descriptor-worker.js", import.meta.url));
      this.worker.unref(); // an idle worker must not keep the test process alive
    }
    const worker = this.worker;
    return new Promise<WorkerReply | null>((resolve, reject) => {
      const timer = setTimeout(() => { cleanup(); this.worker = null; void worker.terminate(); resolve(null); }, deadlineMs);
      const onMessage = (reply: WorkerReply) => { cleanup(); resolve(reply); };
      const onError = (e: Error) => { cleanup(); this.worker = null; reject(e); };
      const cleanup = () => { clearTimeout(timer); worker.off("message", onMessage); worker.off("error", onError); };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.postMessage(req);
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = null;
  }
}

const sharedWorker = new DeadlineWorker();
