import { errorMessage } from "../errors.js";
import { deleteLink, deletePeer, listLinks, listNamespaces } from "./netns.js";
import { deleteOvsBridge, listOvsBridges } from "./ovs.js";

/**
 * Names of what the network tests put on the host. Namespaces carry the whole run id;
 * interface names only 4 hex digits of it (Linux allows 15 characters).
 *   namespace  tiosa-<runId>-<role>       e.g. tiosa-1a2b3c4d-vlan101
 *   interface  tiosa-<tag>-<role>         e.g. tiosa-1a2b-ovs, tiosa-1a2b-pa
 */
const runTag = (runId: string) => runId.slice(0, 4);
export const nsName = (runId: string, role: string) => `tiosa-${runId}-${role}`;
export const ifName = (runId: string, role: string) => {
  const n = `tiosa-${runTag(runId)}-${role}`;
  if (n.length > 15) throw new Error(`interface role '${role}' makes '${n}' longer than 15 characters`);
  return n;
};

const NS_OF_ANY_RUN = /^tiosa-[0-9a-f]{8}-[a-z0-9-]+$/;
const IF_OF_ANY_RUN = /^tiosa-[0-9a-f]{4}-[a-z0-9]+$/;

export function isNetworkTestNamespace(name: string, runId?: string): boolean {
  return runId ? name.startsWith(`tiosa-${runId}-`) : NS_OF_ANY_RUN.test(name);
}

export function isNetworkTestLink(name: string, runId?: string): boolean {
  return runId ? name.startsWith(`tiosa-${runTag(runId)}-`) : IF_OF_ANY_RUN.test(name);
}

interface HostLeftovers {
  namespaces: string[];
  links: string[];
  ovsBridges: string[];
}

export async function findHostLeftovers(runId?: string): Promise<HostLeftovers> {
  return {
    namespaces: (await listNamespaces()).filter((n) => isNetworkTestNamespace(n, runId)),
    links: (await listLinks()).filter((n) => isNetworkTestLink(n, runId)),
    ovsBridges: (await listOvsBridges()).filter((n) => isNetworkTestLink(n, runId)),
  };
}

/**
 * Removes the network tests' namespaces, veths, bridges and OVS bridges of one run (or of
 * every run): what a killed run left behind. Never throws.
 */
export async function cleanupHostNetworking(runId?: string): Promise<{ removed: string[]; failed: { object: string; error: string }[] }> {
  const removed: string[] = [], failed: { object: string; error: string }[] = [];
  try {
    const found = await findHostLeftovers(runId);
    for (const b of found.ovsBridges) { await deleteOvsBridge(b); removed.push(`ovs bridge ${b}`); }
    for (const l of found.links) { await deleteLink(l); removed.push(`link ${l}`); }
    for (const n of found.namespaces) { await deletePeer(n); removed.push(`namespace ${n}`); }
    const left = await findHostLeftovers(runId);
    for (const x of [...left.ovsBridges, ...left.links, ...left.namespaces]) failed.push({ object: x, error: "still present after removal" });
  } catch (e) {
    failed.push({ object: "host networking", error: errorMessage(e) });
  }
  return { removed, failed };
}
