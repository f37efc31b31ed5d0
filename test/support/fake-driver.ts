import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { copyFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";
import type {
  AttachedDisk, CleanupReport, DefineVmSpec, HypervisorDriver, HypervisorInfo, LifecycleOp, VmHandle, VmState,
} from "../../src/hypervisor/driver.js";
import type { DriverCapabilities } from "../../src/hypervisor/capabilities.js";
import type { GuestExecOptions, GuestExecResult, GuestTransport } from "../../src/guest/transport.js";
import type { HypervisorInventory, VmInventory } from "../../src/inventory/model.js";
import { parseLibvirtDomainXml } from "../../src/descriptors/libvirt-xml.js";
import { registerDriver } from "../../src/hypervisor/open.js";

/**
 * An in-memory hypervisor for unit tests of the campaign runner (no VM, no virsh): a
 * `FakeHost` per URI holds the VMs and volumes, every `FakeDriver` opened on that URI (one
 * per job marker) sees the same host, and a test asserts `host.leftovers()` is empty at the
 * end. The guest answers the Table II scripts (boot id, uptime, disks, serial marker) and the
 * guest probe (replayed from test/fixtures/guest/debian12) through the driver's `guestShell`
 * capability, so waitForGuest and the probe never open SSH.
 */

const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/guest/debian12/", import.meta.url));
const MiB = 2 ** 20;

/** What a test can make go wrong on one host. */
export interface FakeFailures {
  /** Booting: "never" (runs, no address, silent console), "panic" (kernel panic on the console). */
  boot?: "never" | "panic";
  /** Which VMs `boot` applies to (default: all of this host). */
  bootOn?: (vm: string) => boolean;
  /** `lifecycle(vm, "reboot")` throws this. */
  reboot?: Error;
  /** `lifecycle(vm, "start")` throws this for VMs it matches. */
  startOn?: (vm: string) => Error | null;
}

export interface FakeVm {
  name: string;
  /** Marker of the run that defined it; null for a user's VM. */
  runId: string | null;
  family: string;
  machine: string;
  diskBus: string;
  targetPrefix: string;
  nicModel: string;
  memoryMiB: number;
  vcpus: number;
  state: VmState;
  reason: string;
  console: string;
  /** Host paths of the VM's own disks (copies in the host's pool for tiosa VMs). */
  disks: { path: string; format: string; volume: string | null }[];
  attached: { target: string; volume: string; bytes: number }[];
  bootId: string;
  uptimeMs: number;
  runningSince: number | null;
  address: string;
}

interface FakeVolume { name: string; runId: string; bytes: number; path: string | null }

/** One fake hypervisor: its VMs and volumes, shared by every driver opened on its URI. */
export class FakeHost {
  readonly vms = new Map<string, FakeVm>();
  readonly volumes = new Map<string, FakeVolume>();
  readonly pool: string;
  fail: FakeFailures = {};
  /** Called at every driver operation (`lifecycle:start`, `defineVm`, `domainXml`...), e.g. to abort the run mid-step. */
  onOp: ((op: string, vm: string | null) => void | Promise<void>) | null = null;
  readonly ops: string[] = [];
  /** How long the guest takes to answer a script (a real guest's clock moves between two commands). */
  guestLatencyMs = 25;
  private nextAddress = 10;

  constructor(readonly uri: string) {
    // Under TIOSA_FAKE_POOL_DIR when set: a test whose worker processes are killed (and cannot
    // dispose their hosts) gives them a directory it removes itself.
    this.pool = mkdtempSync(join(process.env.TIOSA_FAKE_POOL_DIR ?? tmpdir(), "tiosa-fake-pool-"));
  }

  async op(op: string, vm: string | null): Promise<void> {
    this.ops.push(vm ? `${op} ${vm}` : op);
    await this.onOp?.(op, vm);
  }

  address(): string { return `192.0.2.${this.nextAddress++}`; }

  /** VMs and volumes tiosa made that are still here (a user's VM is not a leftover), and files in the pool. */
  leftovers(): string[] {
    return [
      ...[...this.vms.values()].filter((v) => v.runId !== null).map((v) => `vm ${v.name}`),
      ...[...this.volumes.keys()].map((v) => `volume ${v}`),
      ...readdirSync(this.pool).map((f) => `file ${f}`),
    ];
  }

  /** A user's VM (not marked by tiosa), e.g. for a `kind: vm` guest. */
  addUserVm(name: string, disk: { path: string; format: string }, state: VmState = "running"): FakeVm {
    const vm = newVm(this, name, null, "kvm", { machine: "q35", bus: "virtio", prefix: "vd", nic: "virtio" }, [{ ...disk, volume: null }], 1024, 1);
    if (state === "running") boot(this, vm);
    return vm;
  }

  async dispose(): Promise<void> {
    await rm(this.pool, { recursive: true, force: true });
    hosts.delete(this.uri);
  }
}

function newVm(host: FakeHost, name: string, runId: string | null, family: string, hw: { machine: string; bus: string; prefix: string; nic: string }, disks: FakeVm["disks"], memoryMiB: number, vcpus: number): FakeVm {
  const vm: FakeVm = {
    name, runId, family, machine: hw.machine, diskBus: hw.bus, targetPrefix: hw.prefix, nicModel: hw.nic, memoryMiB, vcpus,
    state: "shut off", reason: "defined", console: "", disks, attached: [], bootId: randomUUID(), uptimeMs: 0, runningSince: null, address: host.address(),
  };
  host.vms.set(name, vm);
  return vm;
}

const hosts = new Map<string, FakeHost>();

/** The host of a `fake://` URI (made on first use). */
export function fakeHost(uri: string): FakeHost {
  let h = hosts.get(uri);
  if (!h) hosts.set(uri, (h = new FakeHost(uri)));
  return h;
}

/** Registers the `fake` scheme with openDriver; returns the unregister function. */
export function registerFakeDriver(): () => void {
  const unregister = registerDriver("fake", (uri, o) => new FakeDriver(uri, o.runId ?? randomBytes(4).toString("hex"), fakeHost(uri)));
  return () => {
    unregister();
    // The hosts' pool directories go with the driver (a test that forgot a host leaves no temp dir).
    for (const h of hosts.values()) rmSync(h.pool, { recursive: true, force: true });
    hosts.clear();
  };
}

function uptimeOf(vm: FakeVm): number {
  return vm.uptimeMs + (vm.runningSince !== null ? Date.now() - vm.runningSince : 0);
}
function freeze(vm: FakeVm): void {
  vm.uptimeMs = uptimeOf(vm);
  vm.runningSince = null;
}
function boot(host: FakeHost, vm: FakeVm): void {
  vm.bootId = randomUUID();
  vm.uptimeMs = 0;
  vm.runningSince = Date.now();
  vm.state = "running";
  vm.reason = "booted";
  const failure = host.fail.boot && (host.fail.bootOn?.(vm.name) ?? true) ? host.fail.boot : null;
  vm.console += "SeaBIOS (version fake)\nBooting from Hard Disk...\n";
  if (failure === "panic") {
    vm.console += "[    1.234567] VFS: Cannot open root device \"vda1\" or unknown-block(0,0): error -6\n"
      + "[    1.234601] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n";
  } else if (failure !== "never") {
    vm.console += `Debian GNU/Linux 12 ${vm.name} ttyS0\n\n${vm.name} login: \n`;
  }
}
/** The guest answers: running and booted without a scripted failure. */
function answers(host: FakeHost, vm: FakeVm): boolean {
  return vm.state === "running" && !(host.fail.boot && (host.fail.bootOn?.(vm.name) ?? true));
}

export class FakeDriver implements HypervisorDriver {
  readonly local = true;
  readonly capabilities: DriverCapabilities;

  constructor(readonly uri: string, readonly runId: string, readonly host: FakeHost) {
    this.capabilities = {
      // readSourceVm (every route's export) describes the source VM as libvirt XML.
      libvirt: {
        uri,
        domainXml: async (vm) => { await this.host.op("domainXml", vm); return this.domainXml(vm); },
        ensurePool: async () => this.host.pool,
        ensureNetwork: async () => `tiosa-${this.runId}`,
        networkBridge: async () => null,
        markAsRun: async (vm, family) => { const v = this.vm(vm); v.runId = this.runId; v.family = family; },
        fitToHost: async () => [],
      },
      guestShell: { open: (vm, host) => new FakeGuest(this.host, vm, host) },
    };
  }

  private vm(name: string): FakeVm {
    const v = this.host.vms.get(name);
    if (!v) throw new Error(`fake: domain '${name}' not found on ${this.uri}`);
    return v;
  }

  async connect(): Promise<HypervisorInfo> {
    await this.host.op("connect", null);
    return { type: "FAKE", vendor: "tiosa tests", version: "1.0", accel: "tcg", hostname: "fakehost" };
  }

  domainXml(name: string): string {
    const v = this.vm(name);
    const disks = v.disks.map((d, i) => `<disk type='file' device='disk'><driver name='qemu' type='${d.format}'/><source file='${d.path}'/><target dev='${v.targetPrefix}${String.fromCharCode(97 + i)}' bus='${v.diskBus}'/></disk>`);
    const meta = v.runId ? `<metadata><tiosa:run xmlns:tiosa='https://tiosa.dev/run' id='${v.runId}' family='${v.family}'/></metadata>` : "";
    return `<domain type='qemu'><name>${v.name}</name>${meta}<memory unit='KiB'>${v.memoryMiB * 1024}</memory><vcpu>${v.vcpus}</vcpu>`
      + `<os><type arch='x86_64' machine='${v.machine}'>hvm</type></os><devices>${disks.join("")}`
      + `<interface type='network'><mac address='52:54:00:12:34:56'/><source network='default'/><model type='${v.nicModel}'/></interface>`
      + `<graphics type='vnc' port='-1'/></devices></domain>`;
  }

  async vmInventory(vm: string): Promise<VmInventory> {
    await this.host.op("vmInventory", vm);
    return { ...parseLibvirtDomainXml(this.domainXml(vm), `${this.uri} domain '${vm}'`), origin: "libvirt", state: this.vm(vm).state };
  }

  async inventory(opts: { vm?: string } = {}): Promise<HypervisorInventory> {
    await this.host.op("inventory", null);
    const names = opts.vm ? [opts.vm] : [...this.host.vms.keys()];
    const vms = await Promise.all(names.map((n) => this.vmInventory(n)));
    return { target: this.uri, hypervisor: { type: "FAKE", vendor: "tiosa tests", version: "1.0", accel: "tcg", hostname: "fakehost" }, vmCount: vms.length, vms };
  }

  async state(vm: string): Promise<VmState> { return this.vm(vm).state; }
  async stateReason(vm: string): Promise<string> { const v = this.vm(vm); return `${v.state} (${v.reason})`; }
  async accel(): Promise<"kvm" | "tcg"> { return "tcg"; }
  vmName(short: string): string { return `tiosa-${this.runId}-${short}`; }

  async markerOf(vm: string): Promise<{ runId: string; family: string | null } | null> {
    const v = this.vm(vm);
    return v.runId ? { runId: v.runId, family: v.family } : null;
  }

  async defineVm(spec: DefineVmSpec): Promise<VmHandle> {
    const name = this.vmName(spec.name);
    await this.host.op("defineVm", name);
    if (this.host.vms.has(name)) throw new Error(`fake: domain '${name}' already exists`);
    // The driver copies each disk into the run's pool, as libvirt's does.
    const disks: FakeVm["disks"] = [];
    for (const [i, d] of spec.disks.entries()) {
      const volume = `${name}-disk${i}.${d.format}`;
      const path = join(this.host.pool, volume);
      await copyFile(d.path, path);
      this.host.volumes.set(volume, { name: volume, runId: this.runId, bytes: 0, path });
      disks.push({ path, format: d.format, volume });
    }
    newVm(this.host, name, this.runId, spec.family.name, { machine: spec.family.machine, bus: spec.family.disk.bus, prefix: spec.family.disk.targetPrefix, nic: spec.family.nic.model },
      disks, spec.memoryMiB ?? 1024, spec.vcpus ?? 1);
    return { name, family: spec.family.name, accel: "tcg", serialLogPath: null };
  }

  async lifecycle(name: string, op: LifecycleOp): Promise<void> {
    await this.host.op(`lifecycle:${op}`, name);
    const v = this.vm(name);
    switch (op) {
      case "start": {
        const err = this.host.fail.startOn?.(name);
        if (err) throw err;
        if (v.state === "running") throw new Error(`fake: domain '${name}' is already active`);
        if (v.state === "saved") { v.state = "running"; v.reason = "restored"; v.runningSince = Date.now(); return; }
        boot(this.host, v);
        return;
      }
      case "shutdown": case "destroy":
        if (v.state !== "running" && v.state !== "paused") throw new Error(`fake: domain '${name}' is not running`);
        freeze(v); v.state = "shut off"; v.reason = op === "destroy" ? "destroyed" : "shutdown";
        return;
      case "reboot":
        if (this.host.fail.reboot) throw this.host.fail.reboot;
        if (v.state !== "running") throw new Error(`fake: domain '${name}' is not running`);
        boot(this.host, v);
        return;
      case "pause":
        if (v.state !== "running") throw new Error(`fake: domain '${name}' is not running`);
        freeze(v); v.state = "paused"; v.reason = "user";
        return;
      case "unpause":
        if (v.state !== "paused") throw new Error(`fake: domain '${name}' is not paused`);
        v.state = "running"; v.reason = "unpaused"; v.runningSince = Date.now();
        return;
      case "save":
        if (v.state !== "running") throw new Error(`fake: domain '${name}' is not running`);
        freeze(v); v.state = "saved"; v.reason = "saved";
        return;
    }
  }

  async terminate(name: string): Promise<void> {
    await this.host.op("terminate", name);
    const v = this.vm(name);
    this.host.vms.delete(name);
    for (const d of v.disks) if (d.volume) await this.deleteVolume(d.volume);
    for (const a of v.attached) await this.deleteVolume(a.volume);
  }

  async attachBlankDisk(name: string, sizeBytes: number): Promise<AttachedDisk> {
    await this.host.op("attachBlankDisk", name);
    const v = this.vm(name);
    const used = new Set([...v.disks.map((_, i) => i), ...v.attached.map((a) => a.target.charCodeAt(2) - 97)]);
    let i = 0;
    while (used.has(i)) i++;
    const target = `${v.targetPrefix}${String.fromCharCode(97 + i)}`;
    const volume = `${name}-blank${i}`;
    this.host.volumes.set(volume, { name: volume, runId: this.runId, bytes: sizeBytes, path: null });
    v.attached.push({ target, volume, bytes: sizeBytes });
    return { target, volume, bus: v.diskBus };
  }

  async resizeDisk(name: string, disk: AttachedDisk, sizeBytes: number): Promise<void> {
    const a = this.vm(name).attached.find((x) => x.volume === disk.volume);
    if (!a) throw new Error(`fake: ${disk.volume} is not attached to ${name}`);
    a.bytes = sizeBytes;
    this.host.volumes.get(disk.volume)!.bytes = sizeBytes;
  }

  async detachDisk(name: string, disk: AttachedDisk): Promise<void> {
    const v = this.vm(name);
    const n = v.attached.length;
    v.attached = v.attached.filter((x) => x.volume !== disk.volume);
    if (v.attached.length === n) throw new Error(`fake: ${disk.volume} is not attached to ${name}`);
  }

  async deleteVolume(volume: string): Promise<void> {
    const key = [...this.host.volumes.values()].find((x) => x.name === volume || x.path === volume)?.name;
    if (!key) throw new Error(`fake: no volume '${volume}'`);
    const vol = this.host.volumes.get(key)!;
    if (vol.path) await rm(vol.path, { force: true });
    this.host.volumes.delete(key);
  }

  async volumeExists(volume: string): Promise<boolean> {
    return [...this.host.volumes.values()].some((x) => x.name === volume || x.path === volume);
  }

  async diskSources(name: string): Promise<string[]> {
    return this.vm(name).disks.map((d) => d.path);
  }

  async redefineAsTcg(): Promise<void> { /* always tcg */ }

  async readSerialConsole(name: string): Promise<string> { return this.vm(name).console; }

  async screenshot(name: string, file: string): Promise<string> {
    this.vm(name);
    await writeFile(file, tinyPng());
    return "image/png";
  }

  async guestAddress(name: string): Promise<string | null> {
    const v = this.vm(name);
    return answers(this.host, v) ? v.address : null;
  }

  async agentPing(): Promise<boolean> { return false; }
  async emulatorPids(): Promise<number[]> { return []; }
  async releaseStaging(): Promise<void> { /* nothing staged */ }

  async cleanup(opts: { allRuns?: boolean } = {}): Promise<CleanupReport> {
    await this.host.op("cleanup", null);
    const removed: string[] = [];
    const mine = (runId: string | null) => runId !== null && (opts.allRuns || runId === this.runId);
    for (const v of [...this.host.vms.values()]) {
      if (!mine(v.runId)) continue;
      this.host.vms.delete(v.name);
      removed.push(`domain ${v.name}`);
    }
    for (const vol of [...this.host.volumes.values()]) {
      if (!mine(vol.runId)) continue;
      if (vol.path) await rm(vol.path, { force: true });
      this.host.volumes.delete(vol.name);
      removed.push(`volume ${vol.name}`);
    }
    return { removed, failed: [] };
  }
}

/** The guest's shell: answers the scripts Table II and the guest probe send. */
export class FakeGuest implements GuestTransport {
  readonly kind = "ssh" as const;
  readonly label: string;
  constructor(private readonly host: FakeHost, private readonly vm: string, address: string) {
    this.label = `fake root@${address}:22`;
  }

  async exec(script: string, _opts?: GuestExecOptions): Promise<GuestExecResult> {
    await new Promise((r) => setTimeout(r, this.host.guestLatencyMs));
    const v = this.host.vms.get(this.vm);
    if (!v || !answers(this.host, v)) return { code: null, stdout: "", stderr: "fake: no answer (the guest is not running)" };
    const out = (stdout: string) => ({ code: 0, stdout, stderr: "" });
    if (script.includes("@@TIOSA:")) return out(probeOutput(script));
    if (script === "cat /proc/sys/kernel/random/boot_id") return out(`${v.bootId}\n`);
    if (script === "cut -d' ' -f1 /proc/uptime") return out(`${(uptimeOf(v) / 1000).toFixed(2)}\n`);
    if (script.includes("/sys/block/*")) {
      return out([`${v.targetPrefix}a ${2048 * MiB}`, ...v.attached.map((a) => `${a.target} ${a.bytes}`)].join("\n") + "\n");
    }
    const serial = /^echo (\S+) > \/dev\/ttyS0$/.exec(script);
    if (serial) { v.console += `${serial[1]}\n`; return out(""); }
    if (script.includes("leftover-removed")) return out("clean\n");
    return out("");
  }

  async close(): Promise<void> { /* nothing open */ }
}

/** The combined probe script's answer: each section from the recorded Debian 12 outputs. */
function probeOutput(script: string): string {
  const nonce = /@@TIOSA:([0-9a-f]+):OUT/.exec(script)![1]!;
  const names = /^for n in (.*); do$/m.exec(script)![1]!.trim().split(/\s+/);
  return names.map((n) => {
    const file = join(FIXTURES, `${n}.out`);
    const body = n === "user-ops-check" ? "clean\n" : existsSync(file) ? readFileSync(file, "utf8") : "";
    return `@@TIOSA:${nonce}:OUT:${n}\n${body}\n@@TIOSA:${nonce}:ERR:${n}\n\n@@TIOSA:${nonce}:RC:${n}:0\n`;
  }).join("");
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
/** A 4x4 RGB PNG, half black half white: a screenshot that is not blank. */
export function tinyPng(): Buffer {
  const w = 4, h = 4;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  const rows: Buffer[] = [];
  for (let y = 0; y < h; y++) rows.push(Buffer.concat([Buffer.from([0]), Buffer.alloc(w * 3, y < h / 2 ? 0 : 255)]));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr), chunk("IDAT", deflateSync(Buffer.concat(rows))), chunk("IEND", Buffer.alloc(0)),
  ]);
}
