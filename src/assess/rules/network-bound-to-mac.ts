import type { AssessRule } from "../concern.js";
import { networkBindings } from "../network-bindings.js";

/**
 * Installers bind the NIC they installed over by MAC (Anaconda's HWADDR and keyfile
 * mac-address=, cloud-init's netplan match: macaddress). A move keeps the MAC only when the
 * route carries it over; a VM defined anew from its disks gets a new one.
 */
export const networkBoundToMac: AssessRule = {
  id: "network-bound-to-mac",
  severity: "critical",
  title: "The network configuration is bound to the NIC's MAC address",
  origin: "measured: debian-12-like-rhel (NetworkManager keyfile mac-address=) and debian-13-like-ubuntu (netplan match: macaddress) boot on a new MAC without an address; virt-v2v and Forklift keep MACs for this reason",
  needs: "facts",
  predicts: [{ test: "2.3.b", verdict: "FAILURE" }],
  remedy: "keep the VM's MAC on the target (virt-v2v and Forklift do; with tiosa's disk routes, define the target NIC with the source MAC), or bind the configuration by type or driver before the move",
  check({ subject, route }) {
    const f = subject.facts;
    if (!f) return [];
    const invMacs = new Set((subject.inventory?.nics ?? []).map((n) => n.mac?.toLowerCase()).filter(Boolean));
    return networkBindings(f.networkFiles).filter((b) => b.by === "mac").map((b) => {
      const now = invMacs.has(b.mac!) ? " (the VM's MAC now)" : invMacs.size ? ` (not the VM's MAC now: ${[...invMacs].join(", ")})` : "";
      return route.keepsMac
        ? { severity: "info" as const, detail: `${b.file} applies only to the NIC with MAC ${b.mac}${now}; it holds because the move keeps the MAC`, evidence: [`${b.file}: ${b.line}`], predicts: [] }
        : { detail: `${b.file} applies only to the NIC with MAC ${b.mac}${now}; the VM gets a new MAC on the target and boots without this configuration`, evidence: [`${b.file}: ${b.line}`] };
    });
  },
};
