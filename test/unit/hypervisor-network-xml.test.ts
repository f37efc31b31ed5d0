import { test } from "node:test";
import assert from "node:assert/strict";
import { XMLParser } from "fast-xml-parser";
import {
  buildBridgeNetworkXml, buildDropIcmpFilterXml, buildInterfaceXml, buildIsolatedNetworkXml, buildRoutedNetworkXml,
  parseNwfilterList, testMac,
} from "../../src/hypervisor/libvirt/networks.js";

const parse = (xml: string) => new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" }).parse(xml) as Record<string, any>;

test("a flat network is libvirt bridge mode onto the given bridge, with no address, DHCP or NAT", () => {
  const n = parse(buildBridgeNetworkXml("tiosa-1a2b3c4d-flat", "tiosa-1a2b-flat")).network;
  assert.equal(n.name, "tiosa-1a2b3c4d-flat");
  assert.equal(n.forward["@mode"], "bridge");
  assert.equal(n.bridge["@name"], "tiosa-1a2b-flat");
  assert.equal(n.ip, undefined);
  assert.equal(n.virtualport, undefined);
});

test("an Open vSwitch network says so with a virtualport element", () => {
  const n = parse(buildBridgeNetworkXml("tiosa-1a2b3c4d-vlan", "tiosa-1a2b-ovs", { openvswitch: true })).network;
  assert.equal(n.virtualport["@type"], "openvswitch");
});

test("a routed network forwards without NAT and pushes its routes by DHCP option 121, never a default router", () => {
  const xml = buildRoutedNetworkXml("tiosa-x-routed", "tiosa-x-rt", { address: "10.252.1.1", netmask: "255.255.255.0", dhcp: { start: "10.252.1.50", end: "10.252.1.99" } }, [{ to: "10.252.2.0/24", via: "10.252.1.1" }]);
  const n = parse(xml).network;
  assert.equal(n.forward["@mode"], "route");
  assert.equal(n.ip["@address"], "10.252.1.1");
  assert.equal(n.ip.dhcp.range["@start"], "10.252.1.50");
  const opts = n["dnsmasq:options"]["dnsmasq:option"].map((o: any) => o["@value"]);
  assert.deepEqual(opts, ["dhcp-option=3", "dhcp-option=option:classless-static-route,10.252.2.0/24,10.252.1.1"]);
  assert.match(xml, /xmlns:dnsmasq='http:\/\/libvirt.org\/schemas\/network\/dnsmasq\/1.0'/);
});

test("an isolated network has an address but no forward element", () => {
  const n = parse(buildIsolatedNetworkXml("tiosa-x-inject", "tiosa-x-inj", { address: "10.251.3.1", netmask: "255.255.255.0" })).network;
  assert.equal(n.forward, undefined);
  assert.equal(n.ip["@address"], "10.251.3.1");
  assert.equal(n.ip.dhcp, undefined);
});

test("the firewall filter keeps clean-traffic and drops ICMP both ways at L2 and L3", () => {
  const f = parse(buildDropIcmpFilterXml("tiosa-x-no-icmp")).filter;
  assert.equal(f["@name"], "tiosa-x-no-icmp");
  assert.equal(f.filterref["@filter"], "clean-traffic");
  const rules = f.rule as any[];
  assert.equal(rules.length, 2);
  for (const r of rules) {
    assert.equal(r["@action"], "drop");
    assert.equal(r["@direction"], "inout");
  }
  assert.equal(rules[0].ip["@protocol"], "icmp");
  assert.ok("icmp" in rules[1]);
});

test("a test NIC carries its MAC, network, model, VLAN tag, tap name and filter parameters", () => {
  const i = parse(buildInterfaceXml({ mac: "52:54:00:1a:2b:a2", network: "tiosa-x-vlan", model: "vmxnet3", vlan: 101, targetDev: "tiosa-1a2b-vm", filter: { name: "tiosa-x-no-icmp", params: { IP: "10.251.1.55" } } })).interface;
  assert.equal(i["@type"], "network");
  assert.equal(i.mac["@address"], "52:54:00:1a:2b:a2");
  assert.equal(i.source["@network"], "tiosa-x-vlan");
  assert.equal(i.model["@type"], "vmxnet3");
  assert.equal(i.vlan.tag["@id"], "101");
  assert.equal(i.target["@dev"], "tiosa-1a2b-vm");
  assert.equal(i.filterref["@filter"], "tiosa-x-no-icmp");
  assert.equal(i.filterref.parameter["@value"], "10.251.1.55");
});

test("names and values are XML-escaped", () => {
  assert.match(buildBridgeNetworkXml("a'b<c", "br"), /a&apos;b&lt;c/);
});

test("test MACs are QEMU-prefixed, distinct per NIC and per run", () => {
  assert.equal(testMac("1a2b3c4d", 1), "52:54:00:1a:2b:a1");
  assert.notEqual(testMac("1a2b3c4d", 1), testMac("1a2b3c4d", 2));
  assert.notEqual(testMac("1a2b3c4d", 1), testMac("9f8e3c4d", 1));
  assert.match(testMac("ffff0000", 15), /^52:54:00:([0-9a-f]{2}:){2}[0-9a-f]{2}$/);
});

test("virsh nwfilter-list rows give filter names", () => {
  const text = ` 53d9f5eb-3129-40ea-bc51-1e801bb50c9d   allow-arp
 0f0e1d2c-0000-4000-8000-000000000001   tiosa-1a2b3c4d-no-icmp
`;
  assert.deepEqual(parseNwfilterList(text), ["allow-arp", "tiosa-1a2b3c4d-no-icmp"]);
  assert.deepEqual(parseNwfilterList(" UUID   Name\n----------\n"), []);
});
