import { UserError } from "../errors.js";
import type { HypervisorDriver } from "./driver.js";
import { LibvirtDriver } from "./libvirt/driver.js";

/**
 * The one place a hypervisor URI becomes a driver, by its scheme (the way virt-v2v's
 * input/select_input.ml picks an input module): `qemu:///system`, `qemu+ssh://...` and
 * `test:///default` are libvirt's. A new driver (a vSphere API, a cloud) is one folder under
 * src/hypervisor/ plus one line in DRIVERS.
 */

export interface OpenDriverOptions {
  /** The run id the driver marks what it creates with (8 hex digits); a fresh one by default. */
  runId?: string;
}

export type DriverFactory = (uri: string, opts: OpenDriverOptions) => HypervisorDriver;

const libvirt: DriverFactory = (uri, o) => new LibvirtDriver(uri, o.runId);

/** Scheme (the part before `://`, transport suffix `+ssh` etc. stripped) => driver. */
const DRIVERS = new Map<string, DriverFactory>([
  ["qemu", libvirt],
  ["test", libvirt],
  ["xen", libvirt],
  ["lxc", libvirt],
  ["ch", libvirt],
  ["vbox", libvirt],
  ["esx", libvirt],
  ["vpx", libvirt],
  ["gsx", libvirt],
  ["hyperv", libvirt],
]);

/** Adds a driver for a scheme (tests register `fake://`); returns a function that removes it again. */
export function registerDriver(scheme: string, factory: DriverFactory): () => void {
  const before = DRIVERS.get(scheme);
  DRIVERS.set(scheme, factory);
  return () => { if (before) DRIVERS.set(scheme, before); else DRIVERS.delete(scheme); };
}

export function openDriver(uri: string, opts: OpenDriverOptions = {}): HypervisorDriver {
  const m = /^([a-z][a-z0-9]*)(\+[a-z0-9]+)?:\/\//i.exec(uri);
  if (!m) throw new UserError(`hypervisor URI '${uri}' is not a libvirt URI (e.g. qemu:///system, qemu+ssh://root@host/system)`);
  const factory = DRIVERS.get(m[1]!.toLowerCase());
  if (!factory) throw new UserError(`hypervisor URI '${uri}': no driver for scheme '${m[1]}' (known: ${[...DRIVERS.keys()].join(", ")})`);
  return factory(uri, opts);
}
