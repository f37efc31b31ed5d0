import { z } from "zod";
import { VmInventory } from "../inventory/model.js";

/**
 * snapshot/v1: one VM's state on one hypervisor, as captured by tiosa.
 * A plain JSON document; evaluation is a pure function of two of these plus rules.
 *
 * Convention throughout: a field that is absent or `null` means the test could not be
 * performed (the transport failed, the command was missing...). A test that was not
 * asked for (e.g. no public ICMP target configured) is listed in `notRequested`.
 */
export const SNAPSHOT_VERSION = "snapshot/v1";

const n = <T extends z.ZodTypeAny>(t: T) => t.nullable().optional();

export const HypervisorTestResult = z.object({
  result: z.enum(["ok", "failed", "unsupported"]),
  detail: z.string(),
  /** Paths or inline evidence (console tail, screenshot file) proving the result. */
  evidence: z.array(z.string()).optional(),
  durationMs: z.number().nonnegative().optional(),
});
export type HypervisorTestResult = z.infer<typeof HypervisorTestResult>;

export const Filesystem = z.object({
  mountpoint: z.string(),
  sizeBytes: z.number().nonnegative(),
  device: z.string(),
  fstype: z.string(),
  uuid: z.string().nullable().optional(),
});
export const NetInterface = z.object({
  name: z.string(),
  mac: z.string().nullable(),
  driver: z.string().nullable(),
  /** CIDR strings, e.g. "10.0.2.15/24", "fd00::2/64". */
  addresses: z.array(z.string()),
  state: z.string().nullable().optional(),
});
export const Route = z.object({
  destination: z.string(),
  gateway: z.string().nullable(),
  device: z.string().nullable(),
});
export const Icmp = z.object({
  target: z.string(),
  sent: z.number().int().nonnegative(),
  received: z.number().int().nonnegative(),
  /** Largest round-trip time of the replies; null when none came back. */
  maxRttMs: z.number().nonnegative().nullable(),
  avgRttMs: z.number().nonnegative().nullable().optional(),
});
export const ReverseDns = z.object({
  address: z.string(),
  /** The name the lookup returned; null when it failed. */
  name: z.string().nullable(),
  expected: z.string().nullable().optional(),
});
export const RemoteShell = z.object({
  process: z.string(),
  running: z.boolean(),
  port: z.number().int().nonnegative(),
  listening: z.boolean(),
});
export const UserOps = z.object({
  addUser: z.boolean().nullable(),
  writeFile: z.boolean().nullable(),
  readFile: z.boolean().nullable(),
  deleteFile: z.boolean().nullable(),
  changePassword: z.boolean().nullable(),
  deleteUser: z.boolean().nullable(),
  detail: z.string().optional(),
});
export const AppCheck = z.object({
  name: z.string(),
  ok: z.boolean(),
  detail: z.string(),
});

export const GuestState = z.object({
  /** Which transport answered: ssh, qga (guest agent), local. */
  transport: z.string().optional(),
  hostname: n(z.string()),
  os: n(z.object({ id: z.string().nullable(), versionId: z.string().nullable(), prettyName: z.string().nullable() })),
  kernel: n(z.object({ release: z.string(), version: z.string().nullable().optional(), arch: z.string() })),
  cpu: n(z.object({ count: z.number().int().nonnegative(), model: z.string().nullable().optional() })),
  memory: n(z.object({ totalBytes: z.number().nonnegative() })),
  filesystems: n(z.array(Filesystem)),
  interfaces: n(z.array(NetInterface)),
  firewall: n(z.object({ backend: z.string().nullable().optional(), rules: z.array(z.string()) })),
  routes: n(z.array(Route)),
  icmp: n(z.object({ private: n(Icmp), public: n(Icmp) })),
  reverseDns: n(z.object({ private: n(ReverseDns), public: n(ReverseDns) })),
  remoteShell: n(RemoteShell),
  userOps: n(UserOps),
  apps: n(z.array(AppCheck)),
  /** Probe failures, for the report: which probe, what went wrong. */
  errors: z.array(z.object({ probe: z.string(), message: z.string() })).optional(),
});
export type GuestState = z.infer<typeof GuestState>;

export const Snapshot = z.object({
  schemaVersion: z.literal(SNAPSHOT_VERSION),
  capturedAt: z.string(),
  tool: z.object({ name: z.string(), version: z.string() }).optional(),
  subject: z.object({
    vm: z.string().nullable().optional(),
    /** libvirt URI or host the VM ran on. */
    hypervisor: z.string().nullable().optional(),
    /** Hardware family (kvm, vmware, hyperv, xen or a user's own). */
    family: z.string().nullable().optional(),
    /** kvm or tcg: how QEMU actually ran the guest. */
    accel: z.string().nullable().optional(),
  }).optional(),
  /** Table II id -> result. */
  hypervisorTests: z.record(z.string(), HypervisorTestResult).default({}),
  /** Test ids deliberately not requested in this capture, with why. */
  notRequested: z.record(z.string(), z.string()).optional(),
  inventory: n(VmInventory),
  guest: GuestState.nullable(),
});
export type Snapshot = z.infer<typeof Snapshot>;
