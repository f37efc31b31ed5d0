import { errorMessage } from "../../errors.js";
import type { NetworkLab, NetworkLabProvider, NicSpec } from "../capabilities.js";
import {
  TestNetworks, buildBridgeNetworkXml, buildDropIcmpFilterXml, buildInterfaceXml, buildIsolatedNetworkXml,
  buildRoutedNetworkXml, listTiosaNetworkObjects, testMac,
} from "./networks.js";
import type { Virsh } from "./virsh.js";

/** `virsh domiflist` rows: [interface, type, source, model, mac]. */
function domIfRows(out: string): string[][] {
  return out.split("\n").map((l) => l.trim().split(/\s+/)).filter((p) => p.length >= 5);
}

/**
 * Table II's network lab on libvirt: transient networks and nwfilters named after the run,
 * NICs added with attach-device / detach-device / update-device from their own <interface>
 * XML. `ownNetwork` is the run's own network, which is not a leftover of the tests.
 */
export function libvirtNetworkLab(virsh: Virsh, ownNetwork: () => string): NetworkLabProvider {
  return {
    open(runId: string): NetworkLab {
      const nets = new TestNetworks(virsh, runId);
      const nicFile = (prefix: string, nic: NicSpec) => nets.xmlFile(`${prefix}-${nic.mac.replace(/:/g, "")}.xml`, buildInterfaceXml(nic));
      return {
        runId,
        name: (role) => nets.name(role),
        mac: (index) => testMac(runId, index),
        createBridgeNetwork: (name, bridge, opts, signal) => nets.createNetwork(name, buildBridgeNetworkXml(name, bridge, opts), signal),
        createRoutedNetwork: (name, bridge, subnet, routes, signal) => nets.createNetwork(name, buildRoutedNetworkXml(name, bridge, subnet, routes), signal),
        createIsolatedNetwork: (name, bridge, subnet, signal) => nets.createNetwork(name, buildIsolatedNetworkXml(name, bridge, subnet), signal),
        createDropIcmpFilter: (name, signal) => nets.defineFilter(name, buildDropIcmpFilterXml(name), signal),
        async nicModelOf(vm, signal) {
          const row = domIfRows(await virsh.ok(["domiflist", "--", vm], { signal }))[0];
          if (!row || row[3] === "-") throw new Error(`VM ${vm} has no NIC with a model to copy for the test NICs`);
          return row[3]!;
        },
        async macsOf(vm, inactive, signal) {
          return domIfRows(await virsh.ok(["domiflist", ...(inactive ? ["--inactive"] : []), "--", vm], { signal })).map((p) => p[4]!.toLowerCase());
        },
        async tapOf(vm, mac, signal) {
          const row = domIfRows(await virsh.ok(["domiflist", "--", vm], { signal })).find((p) => p[4]!.toLowerCase() === mac.toLowerCase());
          return row ? row[0]! : null;
        },
        async plugNic(vm, nic, live, signal) {
          await virsh.ok(["attach-device", ...(live ? ["--live"] : []), "--config", "--", vm, await nicFile("nic", nic)], { signal });
        },
        // detach-device with the NIC's own XML: `detach-interface --type network` misses NICs
        // of bridge-mode networks, which libvirt lists as type bridge while they run.
        async unplugNic(vm, nic, live) {
          const f = await nicFile("detach", { mac: nic.mac, network: nic.network, model: nic.model });
          const r = await virsh.raw(["detach-device", ...(live ? ["--live"] : []), "--config", "--", vm, f])
            .catch((e: unknown) => ({ code: 1, stderr: errorMessage(e) }));
          return r.code === 0 ? null : r.stderr.trim();
        },
        async updateNic(vm, nic, signal) {
          await virsh.ok(["update-device", "--live", "--", vm, await nicFile(nic.filter ? "nic-filter-on" : "nic-filter-off", nic)], { signal });
        },
        async filterBinding(tap, signal) {
          const bindings = (await virsh.raw(["nwfilter-binding-list"], { signal })).stdout;
          return bindings.split("\n").map((l) => l.trim()).find((l) => tap !== null && l.startsWith(tap + " ")) ?? null;
        },
        teardown: () => nets.teardown(),
        async leftovers() {
          const lv = await listTiosaNetworkObjects(virsh, runId).catch(() => undefined);
          return [...(lv?.networks.filter((n) => n !== ownNetwork()) ?? []), ...(lv?.filters ?? [])];
        },
      };
    },
  };
}
