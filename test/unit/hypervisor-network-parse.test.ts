import { test } from "node:test";
import assert from "node:assert/strict";
import { parseLinkNames, parseNetnsList, checkIfName, checkNsName } from "../../src/netns/netns.js";
import { ifName, isNetworkTestLink, isNetworkTestNamespace, nsName } from "../../src/netns/cleanup.js";
import { parseIpJsonAddr, parsePing } from "../../src/hypervisor/table2/guest-view.js";
import { injectedNetworkFiles } from "../../src/hypervisor/table2/injection.js";
import { parseExists } from "../../src/hypervisor/libvirt/offline-disks.js";
import { guestfishQuote } from "../../src/libguestfs/env.js";

test("ip netns list lines give namespace names, with or without an id", () => {
  assert.deepEqual(parseNetnsList("tiosa-1a2b3c4d-flat (id: 3)\nhostb\n\n"), ["tiosa-1a2b3c4d-flat", "hostb"]);
});

test("ip -o link lines give interface names without the @peer part", () => {
  const text = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
7: tiosa-1a2b-fp@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master tiosa-1a2b-flat state UP
9: tiosa-1a2b-flat: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500`;
  assert.deepEqual(parseLinkNames(text), ["lo", "tiosa-1a2b-fp", "tiosa-1a2b-flat"]);
});

test("interface names of a run fit Linux's 15 characters and are recognised as the run's", () => {
  const n = ifName("1a2b3c4d", "flat");
  assert.equal(n, "tiosa-1a2b-flat");
  assert.ok(n.length <= 15);
  assert.throws(() => ifName("1a2b3c4d", "toolong"), /longer than 15/);
  assert.ok(isNetworkTestLink(n, "1a2b3c4d"));
  assert.ok(isNetworkTestLink(n));
  assert.ok(!isNetworkTestLink(n, "9f9f0000"));
  assert.ok(!isNetworkTestLink("tbr120"));
  assert.ok(!isNetworkTestLink("tiosa-rec"), "other tools' tiosa- objects are not the network tests'");
  assert.throws(() => checkIfName("tiosa-1a2b-flat0x"), /at most 15/);
});

test("namespaces of a run carry its whole id", () => {
  assert.equal(nsName("1a2b3c4d", "vlan101"), "tiosa-1a2b3c4d-vlan101");
  assert.ok(isNetworkTestNamespace("tiosa-1a2b3c4d-vlan101"));
  assert.ok(isNetworkTestNamespace("tiosa-1a2b3c4d-vlan101", "1a2b3c4d"));
  assert.ok(!isNetworkTestNamespace("tiosa-rec3"));
  assert.throws(() => checkNsName("hostb"), /must start with 'tiosa-'/);
});

test("ping output gives sent, received and the summary lines", () => {
  const okOut = `PING 10.251.1.2 (10.251.1.2) 56(84) bytes of data.
64 bytes from 10.251.1.2: icmp_seq=1 ttl=64 time=1.21 ms

--- 10.251.1.2 ping statistics ---
3 packets transmitted, 3 received, 0% packet loss, time 1003ms
rtt min/avg/max/mdev = 0.9/1.1/1.2/0.1 ms`;
  const p = parsePing(okOut);
  assert.equal(p.sent, 3);
  assert.equal(p.received, 3);
  assert.match(p.summary, /3 packets transmitted, 3 received.*rtt/);
  const blocked = parsePing(`PING 10.251.2.3 (10.251.2.3) 56(84) bytes of data.
From 10.251.2.55 icmp_seq=1 Destination Host Unreachable

--- 10.251.2.3 ping statistics ---
2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 1010ms`);
  assert.equal(blocked.received, 0);
  assert.match(blocked.summary, /Unreachable/);
  const ttl = parsePing(`From 10.252.1.1 icmp_seq=1 Time to live exceeded

--- 10.252.2.2 ping statistics ---
1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms`);
  assert.match(ttl.summary, /From 10.252.1.1 icmp_seq=1 Time to live exceeded/);
  assert.deepEqual(parsePing("connect: Network is unreachable").received, 0);
});

test("ip -j addr output gives NICs with MAC and IPv4 addresses only", () => {
  const json = JSON.stringify([
    { ifname: "lo", address: "00:00:00:00:00:00", addr_info: [{ family: "inet", local: "127.0.0.1", prefixlen: 8 }] },
    { ifname: "ens5", address: "52:54:00:1A:2B:A1", addr_info: [{ family: "inet", local: "10.251.1.57", prefixlen: 24 }, { family: "inet6", local: "fe80::1", prefixlen: 64 }] },
    { ifname: "ens6", address: "52:54:00:1a:2b:a2" },
  ]);
  assert.deepEqual(parseIpJsonAddr(json), [
    { name: "lo", mac: "00:00:00:00:00:00", ipv4: [{ address: "127.0.0.1", prefix: 8 }] },
    { name: "ens5", mac: "52:54:00:1a:2b:a1", ipv4: [{ address: "10.251.1.57", prefix: 24 }] },
    { name: "ens6", mac: "52:54:00:1a:2b:a2", ipv4: [] },
  ]);
});

test("network injection writes a MAC-matched networkd file, or a .link rename plus ifupdown stanza", () => {
  const nd = injectedNetworkFiles("systemd-networkd", "52:54:00:1a:2b:a4", "10.251.3.10/24", "1a2b3c4d");
  assert.deepEqual(Object.keys(nd), ["/etc/systemd/network/10-tiosa-injected.network"]);
  const text = Object.values(nd)[0]!;
  assert.match(text, /\[Match\]\nMACAddress=52:54:00:1a:2b:a4\n/);
  assert.match(text, /\[Network\]\nAddress=10.251.3.10\/24\n/);
  const ifu = injectedNetworkFiles("ifupdown", "52:54:00:1a:2b:a4", "10.251.3.10/24", "1a2b3c4d");
  assert.match(ifu["/etc/systemd/network/10-tiosa-injected.link"]!, /MACAddress=52:54:00:1a:2b:a4\n\n\[Link\]\nName=tiosainj0/);
  assert.match(ifu["/etc/network/interfaces.d/tiosa-injected"]!, /iface tiosainj0 inet static\n    address 10.251.3.10\/24/);
});

test("guestfish exists answers are read in order, ignoring other output", () => {
  assert.deepEqual(parseExists("true\nfalse\n\ntrue\n"), [true, false, true]);
});

test("guestfish arguments are quoted and never carry newlines", () => {
  assert.equal(guestfishQuote('/a "b"\\c'), '"/a \\"b\\"\\\\c"');
  assert.throws(() => guestfishQuote("a\nb"), /newlines/);
});
