import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { RulesProfile } from "../../src/evaluate/profile.js";
import { splitKernelRelease } from "../../src/os-tests/kernel.js";
import { baseSnapshot, variant } from "../support/snapshots.js";
import type { Snapshot } from "../../src/snapshot/schema.js";

const src = baseSnapshot();
const verdictOf = (id: string, target: Snapshot, source: Snapshot = src, profile?: RulesProfile) =>
  evaluate(source, target, { profile, now: new Date("2026-11-23") }).tests.find((t) => t.id === id)!.verdict;

type Case = [label: string, edit: (s: Snapshot) => void, expected: string];
function table(id: string, cases: Case[]) {
  describe(`${id}`, () => {
    for (const [label, edit, expected] of cases) {
      it(`${label} -> ${expected}`, () => assert.equal(verdictOf(id.split(" ")[0]!, variant(edit)), expected));
    }
  });
}

table("2.1.a Kernel Version", [
  ["same release", () => {}, "SUCCESS"],
  ["Debian ABI revision 6.1.0-50 -> 6.1.0-51", (s) => { s.guest!.kernel!.release = "6.1.0-51-amd64"; }, "WARNING"],
  ["flavour change 6.1.0-50-amd64 -> 6.1.0-50-cloud-amd64", (s) => { s.guest!.kernel!.release = "6.1.0-50-cloud-amd64"; }, "WARNING"],
  ["version change 6.1 -> 6.12", (s) => { s.guest!.kernel!.release = "6.12.0-1-amd64"; }, "FAILURE"],
  ["major version change", (s) => { s.guest!.kernel!.release = "5.10.0-28-amd64"; }, "FAILURE"],
  ["arch change, same release", (s) => { s.guest!.kernel!.arch = "aarch64"; }, "FAILURE"],
  ["not captured on the target", (s) => { s.guest!.kernel = null; }, "FAILURE"],
  ["guest unreachable on the target", (s) => { s.guest = null; }, "FAILURE"],
]);

const mem = (pct: number) => (s: Snapshot) => { s.guest!.memory!.totalBytes = Math.round(1_000_000_000 * (1 + pct / 100)); };
table("2.2.b MEM", [
  ["no change", () => {}, "SUCCESS"],
  ["+0.3% (kernel reserve noise, within the 0.5% default)", mem(0.3), "SUCCESS"],
  ["+0.6%", mem(0.6), "WARNING"],
  ["+9.9%", mem(9.9), "WARNING"],
  ["+10%", mem(10), "WARNING"],
  ["+10.1%", mem(10.1), "FAILURE"],
  ["-9.9%", mem(-9.9), "WARNING"],
  ["-10.1%", mem(-10.1), "FAILURE"],
  ["+100%", mem(100), "FAILURE"],
]);

it("2.2.b MEM with sameWithinPercent 0 (most literal reading): +0.3% -> WARNING", () => {
  const strict = RulesProfile.parse({ thresholds: { memory: { sameWithinPercent: 0 } } });
  assert.equal(verdictOf("2.2.b", variant(mem(0.3)), src, strict), "WARNING");
});

table("2.2.a CPU", [
  ["2 -> 2", () => {}, "SUCCESS"],
  ["2 -> 1 (-50%)", (s) => { s.guest!.cpu!.count = 1; }, "FAILURE"],
  ["2 -> 3 (+50%)", (s) => { s.guest!.cpu!.count = 3; }, "FAILURE"],
]);
describe("2.2.a CPU at the 10% boundary", () => {
  const with20 = variant((s) => { s.guest!.cpu!.count = 20; });
  for (const [n, expected] of [[22, "WARNING"], [23, "FAILURE"], [18, "WARNING"], [17, "FAILURE"], [20, "SUCCESS"]] as const) {
    it(`20 -> ${n} -> ${expected}`, () => assert.equal(verdictOf("2.2.a", variant((s) => { s.guest!.cpu!.count = n; }, with20), with20), expected));
  }
});

table("2.2.c Disk", [
  ["same mount points and sizes, device renamed vda1 -> sda1", (s) => { s.guest!.filesystems![0]!.device = "/dev/sda1"; }, "SUCCESS"],
  ["other mount point, same size", (s) => { s.guest!.filesystems![0]!.mountpoint = "/sysroot"; }, "WARNING"],
  ["same mount point, size grown by 1 byte", (s) => { s.guest!.filesystems![0]!.sizeBytes += 1; }, "FAILURE"],
  ["file system missing", (s) => { s.guest!.filesystems = []; }, "FAILURE"],
  ["an extra file system", (s) => { s.guest!.filesystems!.push({ mountpoint: "/data", sizeBytes: 10, device: "/dev/vdb", fstype: "ext4" }); }, "FAILURE"],
]);

table("2.3.a Network interfaces", [
  ["same", () => {}, "SUCCESS"],
  ["renamed enp0s3 -> ens4 (vmxnet3), same MAC", (s) => { Object.assign(s.guest!.interfaces![0]!, { name: "ens4", driver: "vmxnet3" }); }, "WARNING"],
  ["MAC changed", (s) => { s.guest!.interfaces![0]!.mac = "52:54:00:ab:cd:ef"; }, "WARNING"],
  ["an extra NIC", (s) => { s.guest!.interfaces!.push({ name: "ens5", mac: "52:54:00:00:00:01", driver: "e1000", addresses: [] }); }, "WARNING"],
  ["no NIC at all", (s) => { s.guest!.interfaces = []; }, "FAILURE"],
]);

table("2.3.b IP Address", [
  ["same", () => {}, "SUCCESS"],
  ["only the IPv6 link-local address changed", (s) => { s.guest!.interfaces![0]!.addresses = ["10.0.2.15/24", "fe80::1/64"]; }, "SUCCESS"],
  ["address changed by DHCP", (s) => { s.guest!.interfaces![0]!.addresses = ["10.0.2.16/24"]; }, "WARNING"],
  ["same address on a renamed NIC", (s) => { s.guest!.interfaces![0]!.name = "ens3"; }, "SUCCESS"],
  ["NIC up but no IPv4 address (static config for the old name)", (s) => { s.guest!.interfaces![0]!.addresses = ["fe80::5054:ff:fe12:3456/64"]; }, "FAILURE"],
]);

table("2.3.c Firewall Rules", [
  ["same rules in another order", (s) => { s.guest!.firewall!.rules.reverse(); }, "SUCCESS"],
  ["a rule changed in the same chain", (s) => { s.guest!.firewall!.rules[1] = "inet filter input: tcp dport 2222 accept"; }, "WARNING"],
  ["a rule added", (s) => { s.guest!.firewall!.rules.push("inet filter input: tcp dport 80 accept"); }, "WARNING"],
  ["a rule missing", (s) => { s.guest!.firewall!.rules.pop(); }, "FAILURE"],
  ["firewall not readable on the target", (s) => { s.guest!.firewall = null; }, "FAILURE"],
]);

table("2.3.d Routing", [
  ["same", () => {}, "SUCCESS"],
  ["default route's gateway changed", (s) => { s.guest!.routes![0]!.gateway = "10.0.2.1"; }, "WARNING"],
  ["routes moved to the renamed NIC", (s) => { s.guest!.routes!.forEach((r) => { r.device = "ens4"; }); }, "WARNING"],
  ["default route disappeared", (s) => { s.guest!.routes!.shift(); }, "FAILURE"],
  ["a route added", (s) => { s.guest!.routes!.push({ destination: "192.168.0.0/16", gateway: "10.0.2.3", device: "enp0s3" }); }, "WARNING"],
  // Measured in the demo: each hypervisor's network gives another subnet by DHCP.
  ["another subnet by DHCP on a renamed NIC: on-link and gateway host routes follow the address", (s) => {
    s.guest!.interfaces![0]!.addresses = ["192.168.213.243/24"];
    s.guest!.routes = [
      { destination: "default", gateway: "192.168.213.1", device: "ens3" },
      { destination: "192.168.213.0/24", gateway: null, device: "ens3" },
      { destination: "192.168.213.1", gateway: null, device: "ens3" },
    ];
  }, "WARNING"],
  ["the on-link route of the guest's own subnet is gone", (s) => { s.guest!.routes!.pop(); }, "FAILURE"],
  ["subnet 10.0.2.0/24 -> 10.0.3.0/24: the on-link route is changed, not missing", (s) => {
    s.guest!.interfaces![0]!.addresses = ["10.0.3.15/24"];
    s.guest!.routes = [{ destination: "default", gateway: "10.0.3.2", device: "enp0s3" }, { destination: "10.0.3.0/24", gateway: null, device: "enp0s3" }];
  }, "WARNING"],
]);

const ping = (received: number, maxRttMs: number | null, sent = 3) => (s: Snapshot) => {
  s.guest!.icmp!.private = { target: "10.0.2.2", sent, received, maxRttMs };
};
table("2.3.e ICMP private IP", [
  ["3/3 at 2999 ms", ping(3, 2999), "SUCCESS"],
  ["3/3 at 3000 ms", ping(3, 3000), "WARNING"],
  ["3/3 at 3001 ms", ping(3, 3001), "WARNING"],
  ["3/3 at 5999 ms", ping(3, 5999), "WARNING"],
  ["3/3 at 6000 ms", ping(3, 6000), "FAILURE"],
  ["2/3 (33.3% loss, not < 33%) at 10 ms", ping(2, 10), "FAILURE"],
  ["0/3", ping(0, null), "FAILURE"],
  ["only 2 packets sent", ping(2, 10, 2), "FAILURE"],
]);
it("2.3.e with 4 packets configured: 3/4 (25% loss) at 10 ms -> WARNING", () => {
  const p = RulesProfile.parse({ thresholds: { icmp: { packets: 4 } } });
  assert.equal(verdictOf("2.3.e", variant(ping(3, 10, 4)), src, p), "WARNING");
});

table("2.3.g DNS reverse lookup private IP", [
  ["resolved", () => {}, "SUCCESS"],
  ["lookup failed", (s) => { s.guest!.reverseDns!.private!.name = null; }, "FAILURE"],
]);

describe("2.3.h DNS reverse lookup public IP", () => {
  const withPublic = variant((s) => {
    s.guest!.reverseDns!.public = { address: "194.25.2.129", name: "dns.isp.t-ipnet.de", expected: "dns.isp.t-ipnet.de" };
    delete s.notRequested!["2.3.h"];
  });
  it("expected name -> SUCCESS", () => assert.equal(verdictOf("2.3.h", withPublic, withPublic), "SUCCESS"));
  it("another name -> FAILURE", () => assert.equal(verdictOf("2.3.h", variant((s) => { s.guest!.reverseDns!.public!.name = "other.example"; }, withPublic), withPublic), "FAILURE"));
  it("not requested on either side -> N/A", () => assert.equal(verdictOf("2.3.h", src), "N/A"));
  it("requested on the source, missing on the target -> FAILURE", () =>
    assert.equal(verdictOf("2.3.h", variant((s) => { s.guest!.reverseDns!.public = null; }, withPublic), withPublic), "FAILURE"));
});

table("2.3.i Remote Shell Process running", [
  ["running on both", () => {}, "SUCCESS"],
  ["not running on the target", (s) => { s.guest!.remoteShell!.running = false; }, "FAILURE"],
]);
table("2.3.j Remote Shell Port available", [
  ["listening on both", () => {}, "SUCCESS"],
  ["port moved", (s) => { s.guest!.remoteShell!.port = 2222; }, "FAILURE"],
  ["not listening", (s) => { s.guest!.remoteShell!.listening = false; }, "FAILURE"],
]);

table("2.4.e Change dummy user password", [
  ["successful", () => {}, "SUCCESS"],
  ["failed", (s) => { s.guest!.userOps!.changePassword = false; }, "FAILURE"],
  ["not performed", (s) => { s.guest!.userOps!.changePassword = null; }, "FAILURE"],
]);

table("1.1.a Launch", [
  ["ok", () => {}, "SUCCESS"],
  ["failed", (s) => { s.hypervisorTests["1.1.a"] = { result: "failed", detail: "no boot" }; }, "FAILURE"],
  ["unsupported", (s) => { s.hypervisorTests["1.1.a"] = { result: "unsupported", detail: "" }; }, "FAILURE"],
  ["not run on the target", (s) => { delete s.hypervisorTests["1.1.a"]; }, "FAILURE"],
]);

describe("1.2.b Attach Volume: equivalent to source or successful", () => {
  const failedOnSource = variant((s) => { s.hypervisorTests["1.2.b"] = { result: "failed", detail: "bad scsi device lun" }; });
  const unsupportedOnSource = variant((s) => { s.hypervisorTests["1.2.b"] = { result: "unsupported", detail: "test driver" }; });
  const t = (r: "ok" | "failed" | "unsupported") => variant((s) => { s.hypervisorTests["1.2.b"] = { result: r, detail: "" }; });
  it("ok on the target -> SUCCESS", () => assert.equal(verdictOf("1.2.b", t("ok"), failedOnSource), "SUCCESS"));
  it("failed on both -> SUCCESS (equivalent)", () => assert.equal(verdictOf("1.2.b", t("failed"), failedOnSource), "SUCCESS"));
  it("unsupported on both -> SUCCESS (equivalent)", () => assert.equal(verdictOf("1.2.b", t("unsupported"), unsupportedOnSource), "SUCCESS"));
  it("failed on the target, ok on the source -> FAILURE", () => assert.equal(verdictOf("1.2.b", t("failed")), "FAILURE"));
  it("unsupported on the target, failed on the source -> FAILURE", () => assert.equal(verdictOf("1.2.b", t("unsupported"), failedOnSource), "FAILURE"));
  it("run on neither -> N/A", () => {
    const none = variant((s) => { delete s.hypervisorTests["1.2.b"]; });
    assert.equal(verdictOf("1.2.b", none, none), "N/A");
  });
});

describe("application checks", () => {
  it("passes on the target -> SUCCESS", () => assert.equal(verdictOf("app:web", src), "SUCCESS"));
  it("fails on the target after passing on the source -> FAILURE", () =>
    assert.equal(verdictOf("app:web", variant((s) => { s.guest!.apps![0]!.ok = false; })), "FAILURE"));
  it("fails on both -> WARNING", () => {
    const broken = variant((s) => { s.guest!.apps![0]!.ok = false; });
    assert.equal(verdictOf("app:web", broken, broken), "WARNING");
  });
  it("not run on the target -> FAILURE", () => assert.equal(verdictOf("app:web", variant((s) => { s.guest!.apps = []; })), "FAILURE"));
});

describe("kernel release split", () => {
  for (const [rel, n, v, r] of [
    ["6.1.0-50-amd64", 2, "6.1", "0-50-amd64"],
    ["6.12.0-1-amd64", 2, "6.12", "0-1-amd64"],
    ["6.1.0-50-amd64", 3, "6.1.0", "-50-amd64"],
    ["5.15.0", 2, "5.15", "0"],
  ] as const) {
    it(`${rel} with ${n} components -> version ${v}`, () => assert.deepEqual(splitKernelRelease(rel, n), { version: v, revision: r }));
  }
  it("versionComponents 3 makes 6.1.0 -> 6.1.1 a version change", () => {
    const p = RulesProfile.parse({ thresholds: { kernel: { versionComponents: 3 } } });
    assert.equal(verdictOf("2.1.a", variant((s) => { s.guest!.kernel!.release = "6.1.1-1-amd64"; }), src, p), "FAILURE");
    assert.equal(verdictOf("2.1.a", variant((s) => { s.guest!.kernel!.release = "6.1.1-1-amd64"; })), "WARNING");
  });
});
