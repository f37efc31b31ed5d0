import { test } from "node:test";
import assert from "node:assert/strict";
import { injectSubnet, pickSlot, routedPrefixes, routedSubnets } from "../../src/hypervisor/table2/subnets.js";

const ROUTES = `default via 172.16.0.1 dev eth0
172.16.0.0/24 dev eth0 proto kernel scope link src 172.16.0.2
192.168.101.0/24 dev tbr101 proto kernel scope link src 192.168.101.1
10.254.0.0/24 dev tiosa-7f27-rt proto kernel scope link src 10.254.0.1
10.254.1.0/24 dev tiosa-7f27-rp proto kernel scope link src 10.254.1.1
`;

test("routed prefixes are read from ip route lines", () => {
  assert.deepEqual(routedPrefixes(ROUTES), ["172.16.0.", "192.168.101.", "10.254.0.", "10.254.1."]);
});

test("a run takes a slot whose host-visible /24s no route uses, starting from its run id", () => {
  const routed = (k: number) => { const r = routedSubnets(k); return [r.vm, r.remote]; };
  assert.equal(pickSlot("00aabbcc", ROUTES, routed), 1, "slot 0 (10.254.0-1) is taken by another run");
  assert.equal(pickSlot("05aabbcc", ROUTES, routed), 5);
  assert.deepEqual(routedSubnets(1), { vm: "10.254.2.", remote: "10.254.3." });
  assert.equal(injectSubnet(0), "10.253.0.");
});

test("a wide route over 10.0.0.0/8 or 10.254.0.0/16 leaves no slot: the host's own network is never reused", () => {
  const routed = (k: number) => { const r = routedSubnets(k); return [r.vm, r.remote]; };
  assert.equal(pickSlot("00aabbcc", "10.0.0.0/8 via 172.16.0.1 dev eth0\n", routed), null);
  assert.equal(pickSlot("00aabbcc", "10.254.0.0/16 dev eth1 scope link\n", routed), null);
  assert.equal(pickSlot("00aabbcc", "10.253.0.0/16 dev eth1 scope link\n", routed), 0);
});
