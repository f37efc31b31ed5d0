import { randomBytes } from "node:crypto";
import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { UserError, errorMessage } from "../../errors.js";
import { TIOSA_XMLNS, parseLibvirtDomainXml, parseXmlTree, tiosaRunIdOf } from "../../descriptors/libvirt-xml.js";
import { QgaTransport } from "../../guest/transports/qga.js";
import type { HypervisorInventory, VmInventory } from "../../inventory/model.js";
import { kvmFallbackAllowed, markKvmUnusable } from "../../qemu/accel.js";
import type { VmActivity } from "../stall.js";
import {
  TIOSA_PREFIX, type AttachedDisk, type CleanupReport, type DefineVmSpec, type DriverCapabilities, type HypervisorDriver,
  type HypervisorInfo, type LifecycleOp, type VmHandle, type VmState,
} from "../driver.js";
import { Virsh, CONNECT_TIMEOUT_MS } from "./virsh.js";
import { buildAttachDiskXml, buildDomainXml, fitDomainXmlToHost, targetName } from "./domain-xml.js";
import {
  parseBlkInfo, parseDhcpLeases, parseDomIfAddr, parseDomState, parseDomStatsActivity, parseKeyValues, parseNames, parseStatLines, parseVersion,
} from "./parse.js";
import { chooseAccel } from "./accel.js";
import { cleanupRun } from "./cleanup.js";
import { libvirtHostResources, libvirtRemoteVolumes } from "./host.js";
import { libvirtNetworkLab } from "./network-lab.js";
import { libvirtOfflineDisks } from "./offline-disks.js";
import { RunNetwork } from "./run-network.js";
import { RunStorage } from "./storage.js";

const OPS: Record<LifecycleOp, string[]> = {
  start: ["start"],
  shutdown: ["shutdown"],
  reboot: ["reboot"],
  pause: ["suspend"],
  unpause: ["resume"],
  save: ["managedsave"],
  destroy: ["destroy"],
};

/** virtlogd writes the serial log here; libvirt's own qemu log dir is allowed by its policy. */
export const SERIAL_LOG_DIR = "/var/log/libvirt/qemu";

type Node = Record<string, unknown>;
const arr = (v: unknown): Node[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]) as Node[];
const node = (v: unknown): Node | undefined => (v && typeof v === "object" ? (v as Node) : undefined);

export function newRunId(): string {
  return randomBytes(4).toString("hex");
}

/** A URI without a host names this machine's libvirtd (qemu:///system, test:///default). */
export function isLocalUri(uri: string): boolean {
  const m = /^[a-z0-9+]+:\/\/([^/]*)\//i.exec(uri);
  return m !== null && m[1] === "";
}

/** libvirt through `virsh -c URI` (local or remote: qemu+ssh://...). */
export class LibvirtDriver implements HypervisorDriver {
  readonly virsh: Virsh;
  readonly local: boolean;
  readonly capabilities: DriverCapabilities;
  private info: HypervisorInfo | undefined;
  private accelChoice: "kvm" | "tcg" | undefined;
  private extraDisks = 0;
  private readonly storage: RunStorage;
  private readonly network: RunNetwork;

  constructor(readonly uri: string, readonly runId: string = newRunId()) {
    if (!/^[a-z][a-z0-9+]*:\/\//i.test(uri)) throw new UserError(`hypervisor URI '${uri}' is not a libvirt URI (e.g. qemu:///system, qemu+ssh://root@host/system)`);
    if (!/^[0-9a-f]{8}$/.test(runId)) throw new Error(`run id '${runId}' must be 8 hex digits`);
    this.virsh = new Virsh(uri);
    this.local = isLocalUri(uri);
    this.storage = new RunStorage(this.virsh, runId, this.local);
    this.network = new RunNetwork(this.virsh, uri, runId, this.storage);
    this.capabilities = {
      offlineDisks: libvirtOfflineDisks(uri, this.local, (signal) => this.accel(signal)),
      networkLab: libvirtNetworkLab(this.virsh, () => this.networkName),
      libvirt: {
        uri,
        domainXml: (vm, opts, signal) => this.domainXml(vm, signal, opts.inactive === true),
        ensurePool: (signal) => this.storage.ensurePool(signal),
        ensureNetwork: (signal) => this.network.ensure(signal),
        networkBridge: (network, signal) => this.network.bridgeOf(network, signal),
        markAsRun: async (vm, family, signal) => {
          await this.virsh.ok(["metadata", "--config", "--uri", TIOSA_XMLNS, "--key", "tiosa", "--set", `<run id="${this.runId}" family="${family}"/>`, "--", vm], { signal });
        },
        fitToHost: (vm, signal) => this.fitToHost(vm, signal),
      },
      hostResources: libvirtHostResources(this.virsh, this.local),
      ...(this.local ? {} : { remoteVolumes: libvirtRemoteVolumes(this.virsh) }),
      guestAgent: { open: (vm, timeoutMs) => QgaTransport.connect({ via: "libvirt", domain: vm, uri }, timeoutMs) },
      fixedGuestNetwork: { use: (name, net) => this.network.useFixed(name, net) },
    };
  }

  get poolName(): string { return this.storage.poolName; }
  get networkName(): string { return this.network.name; }

  vmName(short: string): string { return `${TIOSA_PREFIX}${this.runId}-${short}`; }

  async markerOf(vm: string, signal?: AbortSignal): Promise<{ runId: string; family: string | null } | null> {
    const xml = await this.domainXml(vm, signal, true);
    const runId = tiosaRunIdOf(parseXmlTree(xml, vm));
    if (!runId) return null;
    return { runId, family: /<tiosa:run [^>]*family=["']([^"']+)["']/.exec(xml)?.[1] ?? null };
  }

  async connect(signal?: AbortSignal): Promise<HypervisorInfo> {
    if (this.info) return this.info;
    const v = parseVersion(await this.virsh.ok(["version"], { timeoutMs: CONNECT_TIMEOUT_MS, signal }));
    const hostname = (await this.virsh.raw(["hostname"], { timeoutMs: CONNECT_TIMEOUT_MS, signal })).stdout.trim() || null;
    // Host SMBIOS is often missing (containers, nested); then the hypervisor names its own vendor.
    const sys = await this.virsh.raw(["sysinfo"], { timeoutMs: CONNECT_TIMEOUT_MS, signal });
    let vendor: string | null = null;
    if (sys.code === 0) {
      try {
        const t = parseXmlTree(sys.stdout, `${this.uri} sysinfo`);
        const system = arr(node(node(t["sysinfo"])?.["system"])?.["entry"]);
        const m = system.find((e) => e["@name"] === "manufacturer");
        vendor = m ? String(m["#text"] ?? "").trim() || null : null;
      } catch { /* keep null */ }
    }
    this.info = {
      type: v.hypervisorType?.toLowerCase() ?? null,
      vendor: vendor ?? (v.hypervisorType ? `${v.hypervisorType} (libvirt ${v.library ?? "?"})` : null),
      version: v.hypervisorVersion,
      accel: v.hypervisorType === "QEMU" ? await this.accel(signal) : null,
      hostname,
    };
    return this.info;
  }

  /** How this driver's VMs run (./accel.ts decides, once per driver). */
  async accel(signal?: AbortSignal): Promise<"kvm" | "tcg"> {
    return (this.accelChoice ??= await chooseAccel(this.virsh, this.uri, this.local, signal));
  }

  /**
   * Marks KVM unusable for the rest of this run (a kvm guest stalled). On the local host the
   * whole process (images, libguestfs appliances) and, through the probe's cache, the next
   * runs follow; a remote host's choice stays with this driver.
   */
  async fallBackToTcg(reason: string): Promise<void> {
    this.accelChoice = "tcg";
    if (this.info) this.info.accel = "tcg";
    if (this.local && kvmFallbackAllowed()) await markKvmUnusable(reason);
  }

  async listVms(signal?: AbortSignal): Promise<string[]> {
    return parseNames(await this.virsh.ok(["list", "--all", "--name"], { signal }));
  }

  async inventory(opts: { vm?: string; signal?: AbortSignal } = {}): Promise<HypervisorInventory> {
    const info = await this.connect(opts.signal);
    const names = opts.vm ? [opts.vm] : await this.listVms(opts.signal);
    const vms: VmInventory[] = [];
    for (const n of names) vms.push(await this.vmInventory(n, opts.signal));
    return {
      target: this.uri,
      hypervisor: { type: info.type, vendor: info.vendor, version: info.version, accel: info.accel, hostname: info.hostname },
      vmCount: opts.vm ? (await this.listVms(opts.signal)).length : vms.length,
      vms,
    };
  }

  async domainXml(vm: string, signal?: AbortSignal, inactive = false): Promise<string> {
    return this.virsh.ok(["dumpxml", ...(inactive ? ["--inactive"] : []), "--", vm], { signal });
  }

  async vmInventory(vm: string, signal?: AbortSignal): Promise<VmInventory> {
    const xml = await this.domainXml(vm, signal);
    const inv = parseLibvirtDomainXml(xml, `${this.uri} domain '${vm}'`);
    inv.origin = "libvirt";
    const state = await this.state(vm, signal);
    inv.state = state;
    const tree = parseXmlTree(xml, vm);
    const devices = node(node(tree["domain"])?.["devices"]) ?? {};
    // Capacity and allocation are not in domain XML: ask the hypervisor per disk.
    for (const d of inv.disks) {
      if (!d.target || !d.source) continue;
      const r = await this.virsh.raw(["domblkinfo", "--", vm, d.target], { signal });
      if (r.code === 0) {
        const b = parseBlkInfo(r.stdout);
        d.capacityBytes = b.capacityBytes;
        d.allocationBytes = b.allocationBytes;
      } else {
        inv.notes.push(`disk ${d.target}: capacity unknown (${r.stderr.trim().replace(/^error: /gm, "").split("\n").join(" ")})`);
      }
    }
    // Snapshots are kept by libvirt beside the domain, not in its XML.
    const snaps = await this.virsh.raw(["snapshot-list", "--name", "--", vm], { signal });
    if (snaps.code === 0) inv.features.snapshots = snaps.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
    if (!inv.cpu.model && inv.hypervisorType === "qemu") inv.notes.push("CPU model not set in the domain: QEMU's default (qemu64 under TCG)");
    if (state === "running" || state === "paused") {
      const block = [];
      for (const d of inv.disks) {
        if (!d.target || !d.source) continue;
        const r = await this.virsh.raw(["domblkstat", "--", vm, d.target], { signal });
        if (r.code !== 0) continue;
        const s = parseStatLines(r.stdout);
        block.push({ target: d.target, readBytes: s.get("rd_bytes") ?? 0, writeBytes: s.get("wr_bytes") ?? 0, readRequests: s.get("rd_req") ?? 0, writeRequests: s.get("wr_req") ?? 0 });
      }
      const interfaces = [];
      for (const i of arr(devices["interface"])) {
        const dev = node(i["target"])?.["@dev"];
        if (typeof dev !== "string") continue;
        const r = await this.virsh.raw(["domifstat", "--", vm, dev], { signal });
        if (r.code !== 0) continue;
        const s = parseStatLines(r.stdout);
        interfaces.push({ target: dev, rxBytes: s.get("rx_bytes") ?? 0, txBytes: s.get("tx_bytes") ?? 0, rxPackets: s.get("rx_packets") ?? 0, txPackets: s.get("tx_packets") ?? 0 });
      }
      inv.io = { block, interfaces };
    }
    return inv;
  }

  async state(vm: string, signal?: AbortSignal): Promise<VmState> {
    const s = parseDomState(await this.virsh.ok(["domstate", "--", vm], { signal }));
    const known: VmState[] = ["running", "paused", "shut off", "crashed", "pmsuspended"];
    if (s === "shut off") {
      const info = parseKeyValues(await this.virsh.ok(["dominfo", "--", vm], { signal }));
      if (info.get("Managed save") === "yes") return "saved";
    }
    return (known as string[]).includes(s) ? (s as VmState) : "other";
  }

  /** Full domstate with reason: "paused (unknown)", "running (booted)". */
  async stateReason(vm: string, signal?: AbortSignal): Promise<string> {
    return parseDomState(await this.virsh.ok(["domstate", "--reason", "--", vm], { signal }));
  }

  /** This run's storage pool (created on first use, removed by cleanup()). Returns its name. */
  ensurePool(signal?: AbortSignal): Promise<string> { return this.storage.ensurePool(signal); }

  async defineVm(spec: DefineVmSpec, signal?: AbortSignal): Promise<VmHandle> {
    if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(spec.name)) throw new UserError(`VM name '${spec.name}' must be lower-case letters, digits and '-', at most 31`);
    if (spec.disks.length === 0) throw new UserError(`VM '${spec.name}': at least one disk is needed`);
    await this.connect(signal);
    const name = this.vmName(spec.name);
    await this.storage.ensurePool(signal);
    const network = await this.network.ensure(signal);
    const disks = [];
    for (const [i, d] of spec.disks.entries()) {
      const path = await this.storage.importDisk(`${name}-disk${i}`, d.path, d.format, spec.family.disk.format, spec.family.disk.formatOptions, signal);
      disks.push({ path, format: spec.family.disk.format });
    }
    const accel = await this.accel(signal);
    const serialLogPath = `${SERIAL_LOG_DIR}/${name}-serial.log`;
    const xml = buildDomainXml({
      name, runId: this.runId, family: spec.family, accel, memoryMiB: spec.memoryMiB ?? 1024, vcpus: spec.vcpus ?? 1,
      disks, network, serialLogPath,
    });
    const file = join(await this.storage.staging(), `${name}.xml`);
    await writeFile(file, xml);
    await this.virsh.ok(["define", file], { signal });
    return { name, family: spec.family.name, accel, serialLogPath };
  }

  /** Rewrites a tiosa domain from kvm to qemu (TCG) type, for the stalled-KVM fallback. */
  async redefineAsTcg(vm: string, signal?: AbortSignal, reason?: string): Promise<void> {
    const xml = await this.domainXml(vm, signal, true);
    const file = join(await this.storage.staging(), `${vm}-tcg.xml`);
    // One place rewrites kvm to qemu (TCG): the same fit a foreign domain gets (fitToHost).
    await writeFile(file, fitDomainXmlToHost(xml, { accel: "tcg", vhostVsock: null }).xml);
    await this.virsh.ok(["define", file], { signal });
    await this.fallBackToTcg(reason ?? `domain '${vm}' stalled under KVM`);
  }

  /** The domain's type: kvm, or qemu (TCG). */
  async accelOf(vm: string, signal?: AbortSignal): Promise<"kvm" | "tcg" | null> {
    const type = /<domain[^>]*\stype=['"](\w+)['"]/.exec(await this.domainXml(vm, signal, true))?.[1];
    return type === "kvm" ? "kvm" : type === "qemu" ? "tcg" : null;
  }

  async activity(vm: string, signal?: AbortSignal): Promise<VmActivity | null> {
    const r = await this.virsh.raw(["domstats", "--vcpu", "--block", "--interface", "--", vm], { signal, timeoutMs: 15_000 });
    return r.code === 0 ? parseDomStatsActivity(r.stdout) : null;
  }

  /**
   * Redefines a domain another tool defined (virt-v2v -o libvirt) so this host can start it,
   * changing only what the host lacks (see fitDomainXmlToHost), and logs its serial console
   * where tiosa reads it; returns what changed, for the step's evidence. vhost-vsock and the
   * console log are handled only on a local host, where they can be seen.
   */
  async fitToHost(vm: string, signal?: AbortSignal): Promise<string[]> {
    const xml = await this.domainXml(vm, signal, true);
    const vhostVsock = this.local ? await stat("/dev/vhost-vsock").then(() => true, () => false) : null;
    const fit = fitDomainXmlToHost(xml, { accel: await this.accel(signal), vhostVsock }, this.local ? this.serialLogPathOf(vm) : undefined);
    if (fit.changes.length === 0) return [];
    const file = join(await this.storage.staging(), `${vm}-fit.xml`);
    await writeFile(file, fit.xml);
    await this.virsh.ok(["define", file], { signal });
    return fit.changes;
  }

  async lifecycle(vm: string, op: LifecycleOp, signal?: AbortSignal): Promise<void> {
    // A guest agent reboots/shuts down reliably; ACPI needs the guest to handle the button.
    const mode = (op === "reboot" || op === "shutdown") && (await this.agentPing(vm, signal)) ? ["--mode", "agent"] : [];
    await this.virsh.ok([...OPS[op], ...mode, "--", vm], { signal, timeoutMs: op === "save" ? 300_000 : 120_000 });
  }

  async terminate(vm: string, signal?: AbortSignal): Promise<void> {
    const st = await this.state(vm, signal);
    if (st !== "shut off" && st !== "saved") await this.lifecycle(vm, "destroy", signal);
    // Only tiosa's own domains lose their storage; a user's disks are never deleted.
    const storage = vm.startsWith(TIOSA_PREFIX) ? ["--remove-all-storage"] : [];
    await this.virsh.ok(["undefine", "--managed-save", "--snapshots-metadata", "--checkpoints-metadata", ...storage, "--", vm], { signal });
  }

  private async diskTargets(vm: string, signal?: AbortSignal): Promise<{ target: string; bus: string; scsiTarget: number | null }[]> {
    const tree = parseXmlTree(await this.domainXml(vm, signal), vm);
    return arr(node(node(tree["domain"])?.["devices"])?.["disk"]).map((d) => {
      const t = node(d["target"]);
      const a = node(d["address"]);
      return { target: String(t?.["@dev"] ?? ""), bus: String(t?.["@bus"] ?? ""), scsiTarget: a?.["@type"] === "drive" && t?.["@bus"] === "scsi" ? Number(a["@target"] ?? 0) : null };
    });
  }

  async attachBlankDisk(vm: string, sizeBytes: number, signal?: AbortSignal): Promise<AttachedDisk> {
    await this.storage.ensurePool(signal);
    const existing = await this.diskTargets(vm, signal);
    const first = existing[0];
    if (!first) throw new UserError(`VM '${vm}' has no disk, so no bus to attach a test disk to`);
    const bus = first.bus;
    const prefix = first.target.replace(/[a-z]$/, "");
    let n = 0;
    while (existing.some((d) => d.target === targetName(prefix, n))) n++;
    const target = targetName(prefix, n);
    const volume = `${TIOSA_PREFIX}${this.runId}-extra${this.extraDisks++}.img`;
    const path = await this.storage.createBlankVolume(volume, sizeBytes, signal);
    const scsiTarget = Math.max(-1, ...existing.map((d) => d.scsiTarget ?? -1)) + 1;
    const file = join(await this.storage.staging(), `${volume}.xml`);
    await writeFile(file, buildAttachDiskXml({ path, format: "raw", target, bus, scsiUnitTarget: scsiTarget }));
    try {
      await this.virsh.ok(["attach-device", "--live", "--", vm, file], { signal });
    } catch (e) {
      await this.virsh.raw(["vol-delete", "--pool", this.poolName, volume]);
      throw e;
    }
    return { target, volume, bus };
  }

  async resizeDisk(vm: string, disk: AttachedDisk, sizeBytes: number, signal?: AbortSignal): Promise<void> {
    await this.virsh.ok(["blockresize", "--", vm, disk.target, `${sizeBytes}B`], { signal });
  }

  async detachDisk(vm: string, disk: AttachedDisk, signal?: AbortSignal): Promise<void> {
    const file = join(await this.storage.staging(), `${disk.volume}.xml`);
    await this.virsh.ok(["detach-device", "--live", "--", vm, file], { signal });
  }

  /** Deletes a test volume once the guest let go of it. */
  async deleteVolume(volume: string, signal?: AbortSignal): Promise<void> {
    await this.virsh.ok(volume.startsWith("/") ? ["vol-delete", "--vol", volume] : ["vol-delete", "--pool", this.poolName, volume], { signal });
  }

  serialLogPathOf(vm: string): string {
    return `${SERIAL_LOG_DIR}/${vm}-serial.log`;
  }

  async readSerialConsole(vm: string): Promise<string> {
    if (!this.local) throw new UserError(`serial console log of '${vm}' is on the remote host of '${this.uri}'; tiosa reads it only for local hypervisors`);
    try {
      return await readFile(this.serialLogPathOf(vm), "utf8");
    } catch (e) {
      throw new UserError(`VM '${vm}' has no serial console log at ${this.serialLogPathOf(vm)} (${errorMessage(e)}): only VMs tiosa defined log their console`);
    }
  }

  async screenshot(vm: string, file: string, signal?: AbortSignal): Promise<string> {
    await this.virsh.ok(["screenshot", "--", vm, file], { signal });
    const head = (await readFile(file)).subarray(0, 8);
    if (head.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]))) return "image/png";
    if (head.subarray(0, 2).toString("latin1") === "P6") return "image/x-portable-pixmap";
    return "application/octet-stream";
  }

  async guestAddress(vm: string, signal?: AbortSignal): Promise<string | null> {
    for (const source of ["lease", "agent"]) {
      const r = await this.virsh.raw(["domifaddr", "--source", source, "--", vm], { signal, timeoutMs: 15_000 });
      if (r.code !== 0) continue;
      const row = parseDomIfAddr(r.stdout).find((x) => x.protocol === "ipv4" && !x.address.startsWith("127."));
      if (row) return row.address.split("/")[0]!;
    }
    // Domains on a network of this run: the DHCP server's leases by MAC.
    const tree = parseXmlTree(await this.domainXml(vm, signal), vm);
    const nic = arr(node(node(tree["domain"])?.["devices"])?.["interface"])[0];
    const mac = String(node(nic?.["mac"])?.["@address"] ?? "").toLowerCase();
    const net = node(nic?.["source"])?.["@network"];
    if (!mac || typeof net !== "string") return null;
    const r = await this.virsh.raw(["net-dhcp-leases", net, "--mac", mac], { signal });
    const lease = parseDhcpLeases(r.stdout).find((l) => l.protocol === "ipv4");
    return lease ? lease.address.split("/")[0]! : null;
  }

  async agentPing(vm: string, signal?: AbortSignal): Promise<boolean> {
    const r = await this.virsh.raw(["qemu-agent-command", "--timeout", "5", "--", vm, '{"execute":"guest-ping"}'], { signal, timeoutMs: 15_000 });
    return r.code === 0 && r.stdout.includes("return");
  }

  async emulatorPids(vm: string): Promise<number[]> {
    if (!this.local) return [];
    const pids: number[] = [];
    for (const p of await readdir("/proc")) {
      if (!/^\d+$/.test(p)) continue;
      try {
        const args = (await readFile(`/proc/${p}/cmdline`, "utf8")).split("\0");
        if (!/qemu-system/.test(args[0] ?? "")) continue;
        const i = args.indexOf("-name");
        if (i >= 0 && (args[i + 1] ?? "").split(",").includes(`guest=${vm}`)) pids.push(Number(p));
      } catch { /* process ended meanwhile */ }
    }
    return pids;
  }

  async volumeExists(volume: string, signal?: AbortSignal): Promise<boolean> {
    const args = volume.startsWith("/") ? ["vol-info", "--vol", volume] : ["vol-info", "--pool", this.poolName, volume];
    const r = await this.virsh.raw(args, { signal });
    if (r.code === 0) return true;
    if (this.local && volume.startsWith("/")) {
      try { await stat(volume); return true; } catch { return false; }
    }
    return false;
  }

  async diskSources(vm: string, signal?: AbortSignal): Promise<string[]> {
    const inv = parseLibvirtDomainXml(await this.domainXml(vm, signal, true), vm);
    return inv.disks.filter((d) => d.device === "disk" && d.source?.startsWith("/")).map((d) => d.source!);
  }

  /**
   * Removes this instance's staging files (the XML it defined from) but none of the run's
   * VMs, volumes or networks: for a migration whose target VM is meant to stay.
   */
  async releaseStaging(): Promise<void> {
    await this.storage.releaseStaging();
  }

  async cleanup(opts: { allRuns?: boolean; signal?: AbortSignal } = {}): Promise<CleanupReport> {
    const report = await cleanupRun({
      virsh: this.virsh, uri: this.uri, runId: this.runId, local: this.local, allRuns: opts.allRuns === true,
      listVms: () => this.listVms(undefined), domainXml: (vm) => this.domainXml(vm, undefined, true),
      terminate: (vm) => this.terminate(vm, undefined), serialLogPathOf: (vm) => this.serialLogPathOf(vm),
    });
    await this.storage.releaseStaging(true);
    return report;
  }
}
