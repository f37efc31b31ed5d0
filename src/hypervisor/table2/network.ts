import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errorMessage } from "../../errors.js";
import { hostRoutes, pickSlot, routedSubnets } from "./subnets.js";
import type { BackgroundProcess } from "../../netns/background.js";
import { cleanupHostNetworking, findHostLeftovers, ifName, nsName } from "../../netns/cleanup.js";
import { createBridge, createPeer, deleteLink, deletePeer, netnsSupport } from "../../netns/netns.js";
import { addOvsAccessPort, createOvsBridge, deleteOvsBridge, ovsSupport, setOvsPortVlan } from "../../netns/ovs.js";
import { startDhcpServer, startTcpResponder } from "../../netns/services.js";
import type { NicSpec } from "../capabilities.js";
import { guestPing, guestRouteGet, guestTcpLine, ms, waitForNicAddress, type GuestNic } from "./guest-view.js";
import { ensureGuest, plugNics, timed, unplugNics } from "./vm-config.js";
import { unsupported, type HypervisorTestContext, type Results } from "./context.js";

/**
 * Table II 1.5 VM Network Management on libvirt: 1.5.a VLAN, 1.5.b flat, 1.5.c hypervisor
 * firewall rules, 1.5.d routing. One boot of the VM serves all four: it gets one extra NIC
 * per test network (flat, VLAN, routed), each network built by the test with its peers in
 * network namespaces on this machine. Every address is private and exists only inside
 * these bridges and namespaces (flat and VLAN: 10.251.1-2.0/24); the routed pair of /24s
 * is a free slot of this host in 10.254.0.0/16 (subnets.ts).
 */

export const NETWORK_TEST_IDS = ["1.5.a", "1.5.b", "1.5.c", "1.5.d"] as const;

const PEER_PORT = 7001;
const FLAT = { subnet: "10.251.1.", peer: "10.251.1.2", dhcp: ["10.251.1.50", "10.251.1.99"] } as const;
const VLAN = { subnet: "10.251.2.", peerIn: "10.251.2.2", peerOut: "10.251.2.3", dhcp: ["10.251.2.50", "10.251.2.99"], tagIn: 101, tagOut: 102 } as const;
function routedPlan(k: number) {
  const { vm, remote } = routedSubnets(k);
  return { subnet: vm, gateway: `${vm}1`, dhcp: [`${vm}50`, `${vm}99`], remoteNet: `${remote}0/24`, remoteHost: `${remote}1`, remotePeer: `${remote}2` } as const;
}

interface Setup {
  flat?: { mac: string; network: string; bridge: string };
  vlan?: { mac: string; network: string; bridge: string; tap: string } | { unsupported: string };
  routed?: { mac: string; network: string; bridge: string };
  filter?: string;
}

function nicLabel(n: GuestNic): string {
  return `${n.name} (${n.mac})`;
}

/**
 * Runs 1.5.a-d on `ctx.vm` (running, or started here) and returns their results. The VM
 * ends running with its own NICs only, ctx.guest usable, and the host as it was found.
 */
export async function testNetworks(ctx: HypervisorTestContext): Promise<Results> {
  const { vm, signal } = ctx;
  const log = ctx.log;
  const results: Results = {};
  const labs = ctx.driver.capabilities.networkLab;
  if (!labs) {
    for (const id of NETWORK_TEST_IDS) results[id] = unsupported(`the ${ctx.driver.uri} driver cannot create virtual networks: tiosa implements 1.5 on libvirt only`);
    return results;
  }
  const runId = ctx.driver.runId;

  const ns = await netnsSupport();
  if (!ns.ok) {
    for (const id of NETWORK_TEST_IDS) results[id] = unsupported(`no peers possible on this host: ${ns.reason}`);
    return results;
  }
  const slot = pickSlot(runId, await hostRoutes(), (k) => { const r = routedSubnets(k); return [r.vm, r.remote]; });
  if (slot === null) {
    for (const id of NETWORK_TEST_IDS) results[id] = { result: "failed", detail: `no free pair of /24s left in 10.254.0.0/16 on this host for the routed network test` };
    return results;
  }
  const ROUTED = routedPlan(slot);

  const nets = labs.open(runId);
  const services: BackgroundProcess[] = [];
  const stateDir = await mkdtemp(join(tmpdir(), "tiosa-nettest-"));
  const setup: Setup = {};
  const plugged: NicSpec[] = [];
  const ovs = await ovsSupport();
  const ovsBridge = ifName(runId, "ovs");
  try {
    const nicModel = await nets.nicModelOf(vm, signal);
    log("network tests: building the flat, VLAN and routed networks and their peers");

    // 1.5.b flat: a Linux bridge with no uplink, libvirt in bridge mode onto it; the peer
    // namespace serves DHCP and answers TCP.
    const flatBridge = ifName(runId, "flat");
    await createBridge(flatBridge, signal);
    const flatNs = nsName(runId, "flat");
    await createPeer({ ns: flatNs, hostIf: ifName(runId, "fp"), nsIf: "eth0", address: `${FLAT.peer}/24`, bridge: flatBridge }, signal);
    services.push(await startDhcpServer({ ns: flatNs, iface: "eth0", rangeStart: FLAT.dhcp[0], rangeEnd: FLAT.dhcp[1], netmask: "255.255.255.0", stateDir }));
    services.push(await startTcpResponder(flatNs, FLAT.peer, PEER_PORT, "flat-peer"));
    const flatNet = nets.name("flat");
    await nets.createBridgeNetwork(flatNet, flatBridge, {}, signal);
    setup.flat = { mac: nets.mac(1), network: flatNet, bridge: flatBridge };

    // 1.5.a VLAN: Open vSwitch, the VM's port an access port of VLAN 101; one peer in 101,
    // one in 102 on the same bridge and the same IP subnet.
    if (ovs.ok) {
      await createOvsBridge(ovsBridge, ovs.datapath, signal);
      const inNs = nsName(runId, `vlan${VLAN.tagIn}`), outNs = nsName(runId, `vlan${VLAN.tagOut}`);
      const inIf = ifName(runId, "va"), outIf = ifName(runId, "vb");
      await createPeer({ ns: inNs, hostIf: inIf, nsIf: "eth0", address: `${VLAN.peerIn}/24` }, signal);
      await addOvsAccessPort(ovsBridge, inIf, VLAN.tagIn, signal);
      await createPeer({ ns: outNs, hostIf: outIf, nsIf: "eth0", address: `${VLAN.peerOut}/24` }, signal);
      await addOvsAccessPort(ovsBridge, outIf, VLAN.tagOut, signal);
      services.push(await startDhcpServer({ ns: inNs, iface: "eth0", rangeStart: VLAN.dhcp[0], rangeEnd: VLAN.dhcp[1], netmask: "255.255.255.0", stateDir }));
      services.push(await startTcpResponder(inNs, VLAN.peerIn, PEER_PORT, `vlan${VLAN.tagIn}-peer`));
      services.push(await startTcpResponder(outNs, VLAN.peerOut, PEER_PORT, `vlan${VLAN.tagOut}-peer`));
      const vlanNet = nets.name("vlan");
      await nets.createBridgeNetwork(vlanNet, ovsBridge, { openvswitch: true }, signal);
      setup.vlan = { mac: nets.mac(2), network: vlanNet, bridge: ovsBridge, tap: ifName(runId, "vm") };
    } else {
      setup.vlan = { unsupported: ovs.reason };
    }

    // 1.5.d routing: libvirt's routed network (host = router, no NAT) and a second subnet
    // behind the host, whose peer routes back to the VM's subnet through the host.
    const routedBridge = ifName(runId, "rt");
    const routedNet = nets.name("routed");
    await nets.createRoutedNetwork(routedNet, routedBridge, {
      address: ROUTED.gateway, netmask: "255.255.255.0", dhcp: { start: ROUTED.dhcp[0], end: ROUTED.dhcp[1] },
    }, [{ to: ROUTED.remoteNet, via: ROUTED.gateway }], signal);
    await createPeer({
      ns: nsName(runId, "remote"), hostIf: ifName(runId, "rp"), nsIf: "eth0", address: `${ROUTED.remotePeer}/24`,
      hostAddress: `${ROUTED.remoteHost}/24`, routes: [{ to: `${ROUTED.subnet}0/24`, via: ROUTED.remoteHost }],
    }, signal);
    services.push(await startTcpResponder(nsName(runId, "remote"), ROUTED.remotePeer, PEER_PORT, "remote-subnet-peer"));
    setup.routed = { mac: nets.mac(3), network: routedNet, bridge: routedBridge };

    // 1.5.c: the filter exists from the start; it is bound to the flat NIC only during the test.
    setup.filter = nets.name("no-icmp");
    await nets.createDropIcmpFilter(setup.filter, signal);

    const nics: NicSpec[] = [
      { mac: setup.flat.mac, network: setup.flat.network, model: nicModel },
      ...("tap" in setup.vlan ? [{ mac: setup.vlan.mac, network: setup.vlan.network, model: nicModel, vlan: VLAN.tagIn, targetDev: setup.vlan.tap }] : []),
      { mac: setup.routed.mac, network: setup.routed.network, model: nicModel },
    ];
    plugged.push(...nics);
    const how = await plugNics(ctx, nets, nics, signal);
    log(`network tests: ${nics.length} test NICs (${nicModel}) ${how}`);
    const a = ctx.guest;
    const flatAddr = await waitForNicAddress(a, setup.flat.mac, FLAT.subnet, 120_000, signal).catch((e: unknown) => e as Error);

    results["1.5.b"] = await timed(async () => {
      if (flatAddr instanceof Error) return { result: "failed", detail: `the guest got no address on the flat network ${setup.flat!.network} (bridge ${setup.flat!.bridge}): ${flatAddr.message}` };
      const ping = await guestPing(a, FLAT.peer, { signal });
      const tcp = await guestTcpLine(a, FLAT.peer, PEER_PORT, signal);
      const ok = ping.received > 0 && tcp.line !== null;
      return {
        result: ok ? "ok" : "failed",
        detail: `test NIC ${how}; guest NIC ${nicLabel(flatAddr.nic)} got ${flatAddr.address} by DHCP on flat libvirt network ${setup.flat!.network} (forward mode=bridge onto Linux bridge ${setup.flat!.bridge}, no NAT, no host address) after ${ms(flatAddr.waitedMs)}; `
          + `guest ping ${FLAT.peer} (peer namespace on the same bridge): ${ping.summary}; guest TCP to ${FLAT.peer}:${PEER_PORT}: ${tcp.line ?? `no answer (${tcp.error})`}`,
        evidence: [ping.output.trim(), tcp.line ?? tcp.error],
      };
    });

    results["1.5.a"] = await timed(async () => {
      const v = setup.vlan!;
      if (!("tap" in v)) return unsupported(`no VLAN-capable virtual switch: ${v.unsupported}`);
      const addr = await waitForNicAddress(a, v.mac, VLAN.subnet, 120_000, signal).catch((e: unknown) => e as Error);
      if (addr instanceof Error) return { result: "failed", detail: `the guest got no address in VLAN ${VLAN.tagIn} (Open vSwitch ${v.bridge}, DHCP from the VLAN ${VLAN.tagIn} peer): ${addr.message}` };
      const inA = await guestPing(a, VLAN.peerIn, { count: 2, signal });
      const outA = await guestPing(a, VLAN.peerOut, { count: 2, signal });
      // Control: the same port moved to VLAN 102 reaches the other peer and loses the first,
      // so the silence above is the tag's doing and not a dead peer.
      await setOvsPortVlan(v.tap, VLAN.tagOut, signal);
      const outB = await guestPing(a, VLAN.peerOut, { count: 2, signal });
      const inB = await guestPing(a, VLAN.peerIn, { count: 2, signal });
      await setOvsPortVlan(v.tap, VLAN.tagIn, signal);
      const tcp = await guestTcpLine(a, VLAN.peerIn, PEER_PORT, signal);
      const ok = inA.received > 0 && outA.received === 0 && outB.received > 0 && inB.received === 0 && tcp.line !== null;
      return {
        result: ok ? "ok" : "failed",
        detail: `guest NIC ${nicLabel(addr.nic)} (<vlan><tag id='${VLAN.tagIn}'/> on Open vSwitch ${v.bridge}, ${ovs.ok ? ovs.datapath : "?"} datapath, tap ${v.tap}) got ${addr.address} by DHCP from the VLAN ${VLAN.tagIn} peer; `
          + `tagged ${VLAN.tagIn}: ping ${VLAN.peerIn} (VLAN ${VLAN.tagIn} peer) ${inA.received}/${inA.sent}, ping ${VLAN.peerOut} (VLAN ${VLAN.tagOut} peer, same subnet) ${outA.received}/${outA.sent}; `
          + `port moved to ${VLAN.tagOut}: ping ${VLAN.peerOut} ${outB.received}/${outB.sent}, ping ${VLAN.peerIn} ${inB.received}/${inB.sent}; `
          + `back in ${VLAN.tagIn}: TCP ${VLAN.peerIn}:${PEER_PORT} ${tcp.line ?? `no answer (${tcp.error})`}`,
        evidence: [inA.summary, outA.summary, outB.summary, inB.summary],
      };
    });

    results["1.5.c"] = await timed(async () => {
      if (flatAddr instanceof Error) return { result: "failed", detail: `no guest address on the flat network to filter: ${flatAddr.message}` };
      const ip = flatAddr.address.split("/")[0]!;
      const base: NicSpec = { mac: setup.flat!.mac, network: setup.flat!.network, model: nicModel };
      const tap = await nets.tapOf(vm, base.mac, signal);
      const before = await guestPing(a, FLAT.peer, { count: 2, signal });
      await nets.updateNic(vm, { ...base, filter: { name: setup.filter!, params: { IP: ip } } }, signal);
      const binding = (await nets.filterBinding(tap, signal)) ?? "(none listed)";
      const blocked = await guestPing(a, FLAT.peer, { count: 3, signal });
      const tcp = await guestTcpLine(a, FLAT.peer, PEER_PORT, signal);
      await nets.updateNic(vm, base, signal);
      const after = await guestPing(a, FLAT.peer, { count: 3, signal });
      const ok = before.received > 0 && blocked.received === 0 && tcp.line !== null && after.received > 0;
      return {
        result: ok ? "ok" : "failed",
        detail: `nwfilter ${setup.filter} (clean-traffic + drop ICMP) bound live to the guest's flat NIC (tap ${tap ?? "?"}, IP ${ip}; binding: ${binding.replace(/\s+/g, " ")}); `
          + `guest ping ${FLAT.peer}: before ${before.received}/${before.sent}, filtered ${blocked.received}/${blocked.sent}, after unbinding ${after.received}/${after.sent}; `
          + `guest TCP ${FLAT.peer}:${PEER_PORT} while filtered: ${tcp.line ?? `no answer (${tcp.error})`}`,
        evidence: [blocked.output.trim(), tcp.line ?? tcp.error, after.summary],
      };
    });

    results["1.5.d"] = await timed(async () => {
      const addr = await waitForNicAddress(a, setup.routed!.mac, ROUTED.subnet, 120_000, signal).catch((e: unknown) => e as Error);
      if (addr instanceof Error) return { result: "failed", detail: `the guest got no address on routed network ${setup.routed!.network}: ${addr.message}` };
      const route = await guestRouteGet(a, ROUTED.remotePeer, signal);
      const ping = await guestPing(a, ROUTED.remotePeer, { signal });
      const hop = await guestPing(a, ROUTED.remotePeer, { count: 1, ttl: 1, signal });
      const tcp = await guestTcpLine(a, ROUTED.remotePeer, PEER_PORT, signal);
      const ip = addr.address.split("/")[0]!;
      const viaGateway = route.includes(`via ${ROUTED.gateway}`);
      const noNat = tcp.line !== null && tcp.line.endsWith(` saw-client ${ip}`);
      const ok = viaGateway && ping.received > 0 && noNat;
      return {
        result: ok ? "ok" : "failed",
        detail: `guest NIC ${nicLabel(addr.nic)} got ${addr.address} on routed libvirt network ${setup.routed!.network} (forward mode=route, bridge ${setup.routed!.bridge}, route ${ROUTED.remoteNet} via ${ROUTED.gateway} by DHCP option 121); `
          + `guest 'ip route get ${ROUTED.remotePeer}': ${route}; ping ${ROUTED.remotePeer} (peer on ${ROUTED.remoteNet}): ${ping.summary}; ping with TTL 1: ${hop.summary || "no reply"}; `
          + `TCP ${ROUTED.remotePeer}:${PEER_PORT}: ${tcp.line ?? `no answer (${tcp.error})`}${tcp.line ? (noNat ? " (peer saw the guest's own address: routed, not NATed)" : " (peer saw another address than the guest's)") : ""}`,
        evidence: [route, ping.output.trim(), hop.output.trim(), tcp.line ?? tcp.error],
      };
    });
  } catch (e) {
    const msg = `network test setup failed: ${errorMessage(e)}`;
    for (const id of NETWORK_TEST_IDS) results[id] ??= { result: "failed", detail: msg };
  } finally {
    const problems: string[] = [];
    // The NICs go before their networks: a VM must never keep a NIC on a vanished network.
    problems.push(...await unplugNics(ctx, nets, plugged));
    await ensureGuest(ctx).catch((e: unknown) => problems.push(`guest after the tests: ${errorMessage(e)}`));
    for (const s of services) await s.stop().catch(() => undefined);
    for (const f of await nets.teardown()) problems.push(`${f.object}: ${f.error}`);
    await deleteOvsBridge(ovsBridge);
    await deleteLink(ifName(runId, "flat"));
    for (const role of ["flat", `vlan${VLAN.tagIn}`, `vlan${VLAN.tagOut}`, "remote"]) await deletePeer(nsName(runId, role));
    const host = await cleanupHostNetworking(runId);
    problems.push(...host.failed.map((f) => `${f.object}: ${f.error}`));
    await rm(stateDir, { recursive: true, force: true });
    const left = await findHostLeftovers(runId).catch(() => undefined);
    const leftovers = [...(left?.namespaces ?? []), ...(left?.links ?? []), ...(left?.ovsBridges ?? []), ...(await nets.leftovers())];
    if (leftovers.length) problems.push(`left behind: ${leftovers.join(", ")}`);
    if (problems.length) log(`network tests cleanup: ${problems.join("; ")}`);
  }
  return results;
}

