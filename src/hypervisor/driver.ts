import type { HypervisorInventory, VmInventory } from "../inventory/model.js";
import type { HardwareFamily } from "./families/family.js";
import type { VmActivity } from "./stall.js";
import type { DriverCapabilities } from "./capabilities.js";

export type { DriverCapabilities } from "./capabilities.js";

/**
 * What tiosa needs from a hypervisor. libvirt is the first implementation
 * (src/hypervisor/libvirt/); vSphere, XenServer, Hyper-V or LXD drivers are one folder
 * each implementing this interface. Every object a driver creates carries the run's
 * marker (name prefix `tiosa-` plus, where the hypervisor has metadata, the run id) so
 * that `cleanup()` can find leftovers of runs that died.
 */

/** Name prefix of everything tiosa creates on a hypervisor. */
export const TIOSA_PREFIX = "tiosa-";

export type LifecycleOp =
  | "start" //      boot (or restore a managed save)
  | "shutdown" //   ACPI/agent shutdown, graceful
  | "reboot" //     graceful reboot from outside
  | "pause" //      freeze vCPUs in memory (libvirt suspend)
  | "unpause" //    thaw them (libvirt resume)
  | "save" //       write the state to disk and stop (libvirt managedsave)
  | "destroy"; //   hard power-off

export type VmState = "running" | "paused" | "shut off" | "saved" | "crashed" | "pmsuspended" | "other";

export interface DiskSpec {
  /** Path of an image file on the machine running tiosa; the driver puts it where the hypervisor can use it. */
  path: string;
  /** Format of `path` (qemu-img names: qcow2, raw, vmdk, vhdx, vpc). */
  format: string;
}

export interface DefineVmSpec {
  /** Short name; the domain is named `tiosa-<runId>-<name>`. */
  name: string;
  family: HardwareFamily;
  disks: DiskSpec[];
  memoryMiB?: number;
  vcpus?: number;
}

export interface VmHandle {
  /** The hypervisor's name of the VM. */
  name: string;
  family: string;
  /** kvm or tcg: how the emulator runs this guest. */
  accel: string;
  /** Host-side log of the guest's first serial port, where the driver keeps one. */
  serialLogPath: string | null;
}

export interface HypervisorInfo {
  type: string | null;
  vendor: string | null;
  version: string | null;
  accel: string | null;
  hostname: string | null;
}

export interface AttachedDisk {
  /** Guest-visible target (vdb, sdb, hdb). */
  target: string;
  /** Hypervisor volume name, for resize/removal. */
  volume: string;
  bus: string;
}

export interface HypervisorDriver {
  /** Connection string as given, e.g. qemu:///system. */
  readonly uri: string;
  /** The run id this driver marks what it creates with. */
  readonly runId: string;
  /** The hypervisor runs on this machine: its VMs' files can be read here, its emulators seen. */
  readonly local: boolean;
  /**
   * What only some drivers can do, each present only where this driver can (checked by
   * presence, never by the driver's class): see ./capabilities.ts.
   */
  readonly capabilities: DriverCapabilities;

  /** Checks the hypervisor answers; fails with a UserError naming the URI within a bounded time. */
  connect(signal?: AbortSignal): Promise<HypervisorInfo>;
  /** Sequence 1: the hypervisor and its VMs (or one VM). */
  inventory(opts?: { vm?: string; signal?: AbortSignal }): Promise<HypervisorInventory>;
  vmInventory(vm: string, signal?: AbortSignal): Promise<VmInventory>;
  state(vm: string, signal?: AbortSignal): Promise<VmState>;

  /** How the VMs this driver defines run: kvm (hardware) or tcg (emulation). */
  accel(signal?: AbortSignal): Promise<"kvm" | "tcg">;
  /** The hypervisor's name of the VM `defineVm({ name: short })` creates (marked with the run id). */
  vmName(short: string): string;
  /** The marker tiosa left on a VM it defined (run id, hardware family), or null for another's VM. */
  markerOf(vm: string, signal?: AbortSignal): Promise<{ runId: string; family: string | null } | null>;

  /** Creates (does not start) a marked VM with the family's virtual hardware. */
  defineVm(spec: DefineVmSpec, signal?: AbortSignal): Promise<VmHandle>;
  lifecycle(vm: string, op: LifecycleOp, signal?: AbortSignal): Promise<void>;
  /** Destroys and removes a VM with its managed save and its tiosa volumes. */
  terminate(vm: string, signal?: AbortSignal): Promise<void>;

  /** A fresh blank marked volume attached while running; the guest should see it appear. */
  attachBlankDisk(vm: string, sizeBytes: number, signal?: AbortSignal): Promise<AttachedDisk>;
  resizeDisk(vm: string, disk: AttachedDisk, sizeBytes: number, signal?: AbortSignal): Promise<void>;
  detachDisk(vm: string, disk: AttachedDisk, signal?: AbortSignal): Promise<void>;
  /** Removes a volume tiosa created (by name in the run's pool, or by path). */
  deleteVolume(volume: string, signal?: AbortSignal): Promise<void>;
  /** True when the hypervisor still has a volume of that name (run's pool) or path. */
  volumeExists(volume: string, signal?: AbortSignal): Promise<boolean>;
  /** State with the hypervisor's reason, for messages: "paused (unknown)". */
  stateReason(vm: string, signal?: AbortSignal): Promise<string>;
  /** Host-side names of a VM's disks (paths), to check they are released after Terminate. */
  diskSources(vm: string, signal?: AbortSignal): Promise<string[]>;
  /**
   * Redefines a VM the driver created for KVM to run under TCG (KVM present but unable to run
   * it; `reason` says what was seen) and uses TCG for the rest of the run.
   */
  redefineAsTcg(vm: string, signal?: AbortSignal, reason?: string): Promise<void>;
  /** Optional: how the hypervisor runs this VM (kvm or tcg), where it can tell; lets a stalled kvm guest be moved to TCG. */
  accelOf?(vm: string, signal?: AbortSignal): Promise<"kvm" | "tcg" | null>;
  /** Optional: the VM's vCPU time and I/O counters, to tell a stalled guest from a slow or idle one (see ./stall.ts). */
  activity?(vm: string, signal?: AbortSignal): Promise<VmActivity | null>;

  /** Text the guest wrote to its first serial port so far (host side). */
  readSerialConsole(vm: string, signal?: AbortSignal): Promise<string>;
  /** Saves a screenshot of the graphical console to `file`; returns the image's MIME type. */
  screenshot(vm: string, file: string, signal?: AbortSignal): Promise<string>;
  /** IPv4 address the guest got on its first NIC, if the hypervisor knows one. */
  guestAddress(vm: string, signal?: AbortSignal): Promise<string | null>;
  /** Guest-agent round trip: true if the agent in the guest answered a ping. */
  agentPing(vm: string, signal?: AbortSignal): Promise<boolean>;
  /** PIDs of emulator processes of this VM on the local machine (empty when remote or none). */
  emulatorPids(vm: string): Promise<number[]>;

  /**
   * Frees what this driver keeps on the machine running tiosa for its own work (staging
   * files) but none of the run's VMs, volumes or networks: for a migration whose target VM stays.
   */
  releaseStaging(): Promise<void>;

  /** Removes everything this run created (or every run's, with `allRuns`). Never throws. */
  cleanup(opts?: { allRuns?: boolean; signal?: AbortSignal }): Promise<CleanupReport>;
}

export interface CleanupReport {
  removed: string[];
  failed: { object: string; error: string }[];
}
