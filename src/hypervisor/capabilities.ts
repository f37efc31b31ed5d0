import type { GuestTransport } from "../guest/transport.js";
import type { QgaTransport } from "../guest/transports/qga.js";
import type { FixedGuestNetwork } from "../images/recipe.js";

/**
 * What only some hypervisor drivers can do, declared as optional members of
 * `HypervisorDriver.capabilities` (the way Testinfra's backends declare `HAS_RUN_SALT`):
 * callers check for presence (`driver.capabilities.networkLab?.open(...)`), never for a
 * driver class. A test or route step that needs an absent capability says so in its result
 * ("unsupported: the driver has no offline disk access") instead of failing.
 */
export interface DriverCapabilities {
  /** Table II 1.3: files written into and read from a stopped VM's disks. */
  offlineDisks?: OfflineDiskAccess;
  /** Table II 1.3 and 1.5: test networks built on the hypervisor and NICs plugged into a VM. */
  networkLab?: NetworkLabProvider;
  /** VM definitions as libvirt domain XML: family exports, virt-v2v's `-i libvirt`/`-o libvirt`. */
  libvirt?: LibvirtDefinitions;
  /** The host's free memory and image storage: Sequence 1 and Sequence 2 step 6. */
  hostResources?: HostResources;
  /** Disk volumes of a hypervisor that is not this machine: downloaded, or their allocation read. */
  remoteVolumes?: RemoteVolumes;
  /** The QEMU guest agent of a running VM, as a transport. */
  guestAgent?: GuestAgentChannel;
  /** VMs defined by this driver join a given network of a fixed subnet (a guest with a static address). */
  fixedGuestNetwork?: FixedGuestNetworkChoice;
  /**
   * The driver reaches its guests' shell itself, instead of tiosa's SSH (an in-memory test
   * driver; a hypervisor whose guests have their own command channel): used by waitForGuest
   * and the campaign's guest probe when present.
   */
  guestShell?: GuestShellChannel;
}

export interface GuestShellChannel {
  /** A transport into the guest of `vm`, at the address the hypervisor (or the access) gave. */
  open(vm: string, host: string): GuestTransport;
}

export interface OfflineDiskAccess {
  /** The tool that opens the disks, for details ("libguestfs"). */
  readonly tool: string;
  /** Whether this machine can open this hypervisor's disks; `how` names what it uses (for the log). */
  check(signal?: AbortSignal): Promise<{ ok: true; how: string } | { ok: false; reason: string }>;
  /** For each path: does it exist in the stopped VM's OS? */
  exists(vm: string, paths: string[], signal?: AbortSignal): Promise<boolean[]>;
  /** Writes files into the stopped VM's OS in one pass (one appliance launch). */
  writeFiles(vm: string, files: OfflineFile[], signal?: AbortSignal): Promise<void>;
  removeFiles(vm: string, paths: string[], signal?: AbortSignal): Promise<void>;
}

export interface OfflineFile {
  path: string;
  content: string;
  /** Octal mode, e.g. "0644". */
  mode: string;
  /** Create the parent directories first. */
  makeParents?: boolean;
}

/** A NIC plugged into a VM for a test, matched by MAC. */
export interface NicSpec {
  mac: string;
  network: string;
  model: string;
  /** Open vSwitch access VLAN of this port. */
  vlan?: number;
  /** Host-side tap name; the hypervisor picks one without it. */
  targetDev?: string;
  /** A traffic filter bound to the NIC, with its parameters. */
  filter?: { name: string; params: Record<string, string> };
}

export interface Ipv4Subnet {
  /** Host's address on the network (its gateway), e.g. 10.252.1.1. */
  address: string;
  /** Dotted netmask, 255.255.255.0. */
  netmask: string;
  /** DHCP range served on the network; none = no DHCP. */
  dhcp?: { start: string; end: string };
}

export interface NetworkLabProvider {
  /** A lab for one test run: everything it creates carries `runId` and goes with `teardown()`. */
  open(runId: string): NetworkLab;
}

/** Test networks, filters and test NICs of one Table II run (1.3.a, 1.5.a-d). */
export interface NetworkLab {
  readonly runId: string;
  /** Name of this run's test network or filter for `role`. */
  name(role: string): string;
  /** A MAC for the run's test NIC `index`. */
  mac(index: number): string;
  /** A network of the hypervisor onto an existing host bridge (Linux or Open vSwitch), no DHCP, no NAT. */
  createBridgeNetwork(name: string, bridge: string, opts: { openvswitch?: boolean }, signal?: AbortSignal): Promise<void>;
  /** A routed network (the host routes, no NAT) with DHCP, and static routes handed out. */
  createRoutedNetwork(name: string, bridge: string, subnet: Ipv4Subnet, routes: { to: string; via: string }[], signal?: AbortSignal): Promise<void>;
  /** An isolated network with a host address and no DHCP. */
  createIsolatedNetwork(name: string, bridge: string, subnet: Ipv4Subnet, signal?: AbortSignal): Promise<void>;
  /** A filter that keeps IP spoofing out (clean traffic) and drops ICMP. */
  createDropIcmpFilter(name: string, signal?: AbortSignal): Promise<void>;
  /** NIC model of the VM's first NIC (test NICs get the same hardware). */
  nicModelOf(vm: string, signal?: AbortSignal): Promise<string>;
  /** MACs of the VM's NICs, running (`inactive` false) or in its definition. */
  macsOf(vm: string, inactive: boolean, signal?: AbortSignal): Promise<string[]>;
  /** Host-side tap device of the NIC with `mac`. */
  tapOf(vm: string, mac: string, signal?: AbortSignal): Promise<string | null>;
  /** Adds a NIC: `live` also hot-plugs it into the running VM, else only its definition changes. */
  plugNic(vm: string, nic: NicSpec, live: boolean, signal?: AbortSignal): Promise<void>;
  /** Removes a NIC (live and from the definition, or the definition only); the error text or null. */
  unplugNic(vm: string, nic: NicSpec, live: boolean): Promise<string | null>;
  /** Changes a running VM's NIC in place (a filter bound or unbound). */
  updateNic(vm: string, nic: NicSpec, signal?: AbortSignal): Promise<void>;
  /** The hypervisor's line for the filter bound to tap `tap`, or null. */
  filterBinding(tap: string | null, signal?: AbortSignal): Promise<string | null>;
  /** Removes the networks and filters this lab created. Never throws. */
  teardown(): Promise<{ object: string; error: string }[]>;
  /** Networks and filters of this run still on the hypervisor (other than the run's own network). */
  leftovers(): Promise<string[]>;
}

export interface LibvirtDefinitions {
  readonly uri: string;
  /** `virsh dumpxml` (the definition only with `inactive`). */
  domainXml(vm: string, opts: { inactive?: boolean }, signal?: AbortSignal): Promise<string>;
  /** The run's storage pool and network (created on first use, removed by the driver's cleanup). */
  ensurePool(signal?: AbortSignal): Promise<string>;
  ensureNetwork(signal?: AbortSignal): Promise<string>;
  networkBridge(network: string, signal?: AbortSignal): Promise<string | null>;
  /** Puts the run's marker (and family) on a domain another tool defined, so cleanup finds it. */
  markAsRun(vm: string, family: string, signal?: AbortSignal): Promise<void>;
  /** Redefines such a domain so this host can start it; returns what changed. */
  fitToHost(vm: string, signal?: AbortSignal): Promise<string[]>;
}

export interface HostResources {
  /** Memory the host can give (free + buffers + cache) and its total; `source` names where it was read. */
  memory(signal?: AbortSignal): Promise<{ availableBytes: number | null; totalBytes: number | null; source: string }>;
  /** Where the host keeps tiosa's images and the free bytes there (null: unknown). */
  imageStore(signal?: AbortSignal): Promise<{ dir: string; freeBytes: number | null }>;
}

export interface RemoteVolumes {
  /** Copies a volume (by path on the hypervisor host) to a local file, sparse. */
  download(path: string, dst: string, signal?: AbortSignal): Promise<void>;
  /** Bytes a volume takes on the hypervisor host. */
  allocatedBytes(path: string, signal?: AbortSignal): Promise<number>;
}

export interface GuestAgentChannel {
  open(vm: string, timeoutMs: number): Promise<QgaTransport>;
}

export interface FixedGuestNetworkChoice {
  /**
   * VMs defined from now on join network `name` of the guest's fixed subnet; the network is
   * shared by every driver given the same name and is removed by whoever chose the name.
   */
  use(name: string, net: FixedGuestNetwork): void;
}
