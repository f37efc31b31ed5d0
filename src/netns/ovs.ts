import { access } from "node:fs/promises";
import { run, runOk } from "../util/exec.js";
import { checkIfName } from "./netns.js";

/**
 * Open vSwitch for the VLAN test. ovs-vswitchd is started by scripts/setup.d/55-openvswitch.sh
 * (no systemd here). Where the kernel has no openvswitch module (containers, this lab's
 * kernel) the bridge uses OVS's userspace datapath (`netdev`): slower, same VLAN semantics.
 */
const OVS_TIMEOUT_S = 10;

function vsctl(args: readonly string[], signal?: AbortSignal) {
  return runOk("ovs-vsctl", [`--timeout=${OVS_TIMEOUT_S}`, ...args], { timeoutMs: (OVS_TIMEOUT_S + 5) * 1000, signal });
}

type OvsDatapath = "system" | "netdev";

/** Whether OVS can be used here, and with which datapath; the reason when not. */
export async function ovsSupport(): Promise<{ ok: true; datapath: OvsDatapath } | { ok: false; reason: string }> {
  const which = await run("sh", ["-c", "command -v ovs-vsctl"], { timeoutMs: 5000 });
  if (which.code !== 0) return { ok: false, reason: "Open vSwitch is not installed (Debian package openvswitch-switch), and this kernel has no Linux bridge VLAN filtering to fall back on" };
  const show = await run("ovs-vsctl", [`--timeout=${OVS_TIMEOUT_S}`, "show"], { timeoutMs: (OVS_TIMEOUT_S + 5) * 1000 });
  if (show.code !== 0) return { ok: false, reason: `ovs-vswitchd/ovsdb-server do not answer (start them with scripts/setup.d/55-openvswitch.sh): ${show.stderr.trim().split("\n").pop() ?? ""}` };
  const kernelModule = await access("/sys/module/openvswitch").then(() => true, () => false);
  if (!kernelModule) {
    // The userspace datapath forwards offloaded (partial) TCP/UDP checksums unfinished unless
    // it handles virtio-net headers: the guest would get no DHCP lease and no TCP, only ping.
    const tso = await run("ovs-vsctl", [`--timeout=${OVS_TIMEOUT_S}`, "get", "Open_vSwitch", ".", "other_config:userspace-tso-enable"], { timeoutMs: (OVS_TIMEOUT_S + 5) * 1000 });
    if (tso.stdout.replace(/"/g, "").trim() !== "true") {
      return { ok: false, reason: "Open vSwitch runs in userspace here (no openvswitch kernel module) without other_config:userspace-tso-enable=true, so it would drop offloaded TCP/UDP checksums; scripts/setup.d/55-openvswitch.sh sets it and restarts ovs-vswitchd" };
    }
  }
  return { ok: true, datapath: kernelModule ? "system" : "netdev" };
}

export async function createOvsBridge(name: string, datapath: OvsDatapath, signal?: AbortSignal): Promise<void> {
  checkIfName(name);
  await vsctl(["add-br", name, "--", "set", "bridge", name, `datapath_type=${datapath}`], signal);
  await runOk("ip", ["link", "set", "dev", name, "up"], { timeoutMs: 10_000, signal });
}

/** Adds a host interface as an access port of `vlan`. */
export async function addOvsAccessPort(bridge: string, port: string, vlan: number, signal?: AbortSignal): Promise<void> {
  await vsctl(["add-port", bridge, port, `tag=${vlan}`], signal);
}

/** Moves a port (e.g. a VM's tap) to another access VLAN. */
export async function setOvsPortVlan(port: string, vlan: number, signal?: AbortSignal): Promise<void> {
  await vsctl(["set", "port", port, `tag=${vlan}`], signal);
}

export async function listOvsBridges(): Promise<string[]> {
  const r = await run("ovs-vsctl", [`--timeout=${OVS_TIMEOUT_S}`, "list-br"], { timeoutMs: (OVS_TIMEOUT_S + 5) * 1000 }).catch(() => undefined);
  if (!r || r.code !== 0) return [];
  return r.stdout.split("\n").map((s) => s.trim()).filter(Boolean);
}

/** Never throws: cleanup paths call it. */
export async function deleteOvsBridge(name: string): Promise<void> {
  await run("ovs-vsctl", [`--timeout=${OVS_TIMEOUT_S}`, "--if-exists", "del-br", name], { timeoutMs: (OVS_TIMEOUT_S + 5) * 1000 }).catch(() => undefined);
}
