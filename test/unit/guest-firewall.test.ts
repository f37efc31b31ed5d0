import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { firewallProbe, normaliseIptablesSave } from "../../src/guest/probes/firewall.js";
import { resolveCaptureOptions } from "../../src/guest/options.js";

const FIX = fileURLToPath(new URL("../../../test/fixtures/guest/", import.meta.url));
const fw = (env: string) => firewallProbe.parse({ stdout: readFileSync(`${FIX}${env}/firewall.out`, "utf8"), stderr: "", code: 0 }, resolveCaptureOptions()).firewall!;

test("nft -j rules become one readable line each, without handles or counters", () => {
  const r = fw("debian12-nft");
  assert.equal(r.backend, "nftables");
  for (const line of [
    "inet filter input: type filter hook input priority 0 policy drop",
    "inet filter input: tcp dport 22 accept",
    "inet filter input: tcp dport { 80, 443 } accept",
    "inet filter input: ip saddr @allowed_v4 tcp dport 5432 accept",
    "inet filter input: ip saddr 10.1.0.0/16 udp dport 161-162 accept",
    'inet filter input: tcp dport 8080 log prefix "tiosa-drop " drop',
    "inet filter input: reject with icmpx type admin-prohibited",
    "inet filter set allowed_v4: type ipv4_addr flags interval elements { 10.0.0.5, 192.168.1.0/24 }",
    "ip nat prerouting: tcp dport 2222 dnat to 192.168.122.10:22",
  ]) assert.ok(r.rules.includes(line), `missing: ${line}\n${r.rules.join("\n")}`);
  assert.ok(!r.rules.some((l) => /handle|counter|packets \d/.test(l)));
});

test("two captures of the same nft ruleset compare equal though handles changed, and across nft 1.0.6 (Debian 12) and 1.1 (Debian 13)", () => {
  const raw12 = readFileSync(`${FIX}debian12-nft/firewall.out`, "utf8"), rawAgain = readFileSync(`${FIX}debian12-nft-again/firewall.out`, "utf8");
  assert.notEqual(raw12, rawAgain, "the raw outputs differ (handles, dates)");
  assert.deepEqual(fw("debian12-nft-again").rules, fw("debian12-nft").rules);
  assert.deepEqual(fw("debian13-nft").rules, fw("debian12-nft").rules);
});

test("iptables-legacy tables, invisible to nft, are read from iptables-legacy-save; counters and dates dropped", () => {
  const r = fw("debian12-iptables-legacy");
  assert.equal(r.backend, "nftables+iptables-legacy");
  assert.ok(r.rules.includes("ip filter: -A INPUT -p tcp -m tcp --dport 22 -m comment --comment ssh -j ACCEPT"));
  assert.ok(r.rules.includes("ip filter: :OUTPUT ACCEPT"));
  assert.ok(r.rules.includes("ip6 filter: -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT"));
  assert.deepEqual(fw("debian12-iptables-legacy-again").rules, r.rules, "policy counters changed between the two recordings");
});

test("Debian 13 (iptables 1.8.11, no nft binary) legacy tables read the same as Debian 12's", () => {
  const r = fw("debian13-iptables-legacy");
  assert.equal(r.backend, "iptables-nft+iptables-legacy");
  assert.deepEqual(r.rules, fw("debian12-iptables-legacy").rules);
});

test("iptables-nft rules, opaque `xt` matches in nft -j, are completed from iptables-save (Debian 12 and 13 agree)", () => {
  const r = fw("debian12-iptables-nft");
  assert.equal(r.backend, "nftables+iptables-nft");
  assert.ok(r.rules.includes("ip filter INPUT: tcp dport 22 xt match comment accept"));
  assert.ok(r.rules.includes("ip filter: -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"));
  assert.deepEqual(fw("debian13-iptables-nft").rules, r.rules);
});

test("a guest with neither nft nor iptables is an error (test not performed), not an empty ruleset", () => {
  assert.throws(() => fw("busybox"), /no firewall tool answered/);
});

test("iptables-save with -c: the [packets:bytes] prefix of each rule is dropped", () => {
  assert.deepEqual(normaliseIptablesSave("*filter\n:INPUT DROP [12:345]\n[3:252] -A INPUT -i lo -j ACCEPT\nCOMMIT\n", "ip"), ["ip filter: :INPUT DROP", "ip filter: -A INPUT -i lo -j ACCEPT"]);
});
