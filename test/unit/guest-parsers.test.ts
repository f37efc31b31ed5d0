import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { resolveCaptureOptions } from "../../src/guest/options.js";
import type { Probe } from "../../src/guest/probe.js";
import { osProbe } from "../../src/guest/probes/os.js";
import { resourcesProbe } from "../../src/guest/probes/resources.js";
import { filesystemsProbe } from "../../src/guest/probes/filesystems.js";
import { interfacesProbe } from "../../src/guest/probes/interfaces.js";
import { routesProbe } from "../../src/guest/probes/routes.js";
import { icmpProbe } from "../../src/guest/probes/icmp.js";
import { rdnsProbe } from "../../src/guest/probes/rdns.js";
import { remoteShellProbe } from "../../src/guest/probes/remote-shell.js";
import { appsProbe } from "../../src/guest/probes/apps.js";
import { parseUserOps } from "../../src/guest/probes/user-ops.js";

// Outputs recorded from real commands: see test/fixtures/guest/README.md
const FIX = fileURLToPath(new URL("../../../test/fixtures/guest/", import.meta.url));
const fixture = (env: string, probe: string) => readFileSync(`${FIX}${env}/${probe}.out`, "utf8");
const parse = (p: Probe, env: string, opts = {}) => p.parse({ stdout: fixture(env, p.name), stderr: "", code: 0 }, resolveCaptureOptions(opts));

test("2.1: kernel release, arch and OS identity from uname and os-release (Debian 12 and 13)", () => {
  const d12 = parse(osProbe, "debian12"), d13 = parse(osProbe, "debian13");
  assert.deepEqual(d12.kernel, { release: "6.18.44-fc-v782", arch: "x86_64", version: "#1 SMP PREEMPT_DYNAMIC @0" });
  assert.deepEqual(d12.os, { id: "debian", versionId: "12", prettyName: "Debian GNU/Linux 12 (bookworm)" });
  assert.deepEqual(d13.os, { id: "debian", versionId: "13", prettyName: "Debian GNU/Linux 13 (trixie)" });
  assert.equal(d12.hostname, "vm");
});

test("2.1: empty uname output is an error, not a blank kernel", () => {
  assert.throws(() => osProbe.parse({ stdout: "### uname\n", stderr: "uname: not found", code: 127 }, resolveCaptureOptions()), /uname printed nothing/);
});

test("2.2.a/b: CPU count and memory in bytes from nproc, cpuinfo and meminfo", () => {
  const r = parse(resourcesProbe, "debian12");
  assert.deepEqual(r.cpu, { count: 2, model: "AMD EPYC" });
  assert.deepEqual(r.memory, { totalBytes: 24683656 * 1024 });
});

test("2.2.a: without nproc the CPU count comes from /proc/cpuinfo", () => {
  const out = fixture("debian12", "resources").replace(/### nproc\n2\n/, "### nproc\n");
  assert.equal(resourcesProbe.parse({ stdout: out, stderr: "", code: 0 }, resolveCaptureOptions()).cpu?.count, 2);
});

test("2.2.c: findmnt and busybox /proc/mounts+df agree on the disks and leave kernel and memory filesystems out", () => {
  const fm = parse(filesystemsProbe, "debian12").filesystems!;
  const bb = parse(filesystemsProbe, "busybox").filesystems!;
  assert.deepEqual(fm.find((f) => f.mountpoint === "/"), { mountpoint: "/", device: "/dev/vda", fstype: "ext4", sizeBytes: 270553174016, uuid: null });
  assert.ok(!fm.some((f) => ["tmpfs", "proc", "cgroup2", "devtmpfs"].includes(f.fstype)));
  assert.deepEqual(bb, fm.map((f) => ({ ...f, uuid: null })), "busybox has no UUIDs, the rest is the same");
  assert.ok(fixture("debian12", "filesystems").includes('"fstype": "cgroup2"'), "the raw output did hold pseudo filesystems");
});

test("2.3.a/b: ip -j (Debian 12, 13) and busybox ip text give the same NICs, MACs and addresses; drivers from sysfs", () => {
  const j12 = parse(interfacesProbe, "debian12").interfaces!;
  const j13 = parse(interfacesProbe, "debian13").interfaces!;
  const bb = parse(interfacesProbe, "busybox").interfaces!;
  const eth0 = j12.find((i) => i.name === "eth0")!;
  assert.deepEqual(eth0, { name: "eth0", mac: "02:fc:00:00:00:01", driver: "virtio_net", addresses: ["192.0.2.2/24", "fd00::2/64", "fe80::fc:ff:fe00:1/64"], state: "UP" });
  const strip = (l: typeof j12) => l.map(({ name, mac, driver, addresses }) => ({ name, mac, driver, addresses }));
  assert.deepEqual(strip(bb), strip(j12));
  assert.deepEqual(strip(j13), strip(j12));
});

test("2.3.d: routes from ip -j and busybox ip text agree; multicast routes are not unicast routes", () => {
  const j = parse(routesProbe, "debian12").routes!;
  const bb = parse(routesProbe, "busybox").routes!;
  assert.deepEqual(j[0], { destination: "default", gateway: "192.0.2.1", device: "eth0" });
  assert.deepEqual(bb, j);
  assert.deepEqual(parse(routesProbe, "debian13").routes, j);
});

test("2.3.d: /proc/net/route (no ip at all) decodes little-endian hex", () => {
  const proc = "### proc\nIface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\neth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
  assert.deepEqual(routesProbe.parse({ stdout: proc, stderr: "", code: 0 }, resolveCaptureOptions()).routes, [
    { destination: "default", gateway: "192.0.2.1", device: "eth0" },
    { destination: "192.0.2.0/24", gateway: null, device: "eth0" },
  ]);
});

test("2.3.e/f: iputils and busybox ping summaries: sent, received, max and average RTT", () => {
  const d = parse(icmpProbe, "debian12", { icmpPublic: "127.0.0.1" }).icmp!;
  assert.equal(d.private?.target, "192.0.2.1");
  assert.equal(d.private?.sent, 3);
  assert.equal(d.private?.received, 3);
  assert.ok(d.private!.maxRttMs! > 0 && d.private!.maxRttMs! >= d.private!.avgRttMs!);
  const bb = parse(icmpProbe, "busybox", { icmpPublic: "127.0.0.1" }).icmp!;
  assert.deepEqual(bb.public, { target: "127.0.0.1", sent: 3, received: 3, maxRttMs: 0.067, avgRttMs: 0.058 });
});

test("2.3.e: a silent target is 3 sent, 0 received, no RTT (iputils and busybox)", () => {
  for (const env of ["debian12-icmp-loss", "busybox-icmp-loss"]) {
    const r = parse(icmpProbe, env, { icmpPrivate: "192.0.2.77", icmpPublic: env.startsWith("busybox") ? null : "127.0.0.1" });
    assert.deepEqual(r.icmp?.private, { target: "192.0.2.77", sent: 3, received: 0, maxRttMs: null, avgRttMs: null }, env);
  }
});

test("2.3.e: no default gateway leaves the private ping null and says why", () => {
  const r = icmpProbe.parse({ stdout: "### private\ntarget=\nno default gateway\n", stderr: "", code: 0 }, resolveCaptureOptions());
  assert.equal(r.icmp?.private, null);
  assert.match(r.errors?.[0]?.message ?? "", /no default gateway/);
});

test("2.3.g/h: reverse lookups read the same from host, dig, nslookup (bind and busybox) and getent", () => {
  const opts = { rdnsPrivate: { address: "10.0.0.1" }, rdnsPublic: { address: "194.25.2.129", expected: "dns.isp.t-ipnet.de" } };
  for (const env of ["rdns-host", "rdns-dig", "rdns-nslookup", "rdns-busybox", "rdns-getent"]) {
    const r = parse(rdnsProbe, env, opts).reverseDns!;
    assert.deepEqual(r.private, { address: "10.0.0.1", name: "gw.lab.internal", expected: null }, env);
    assert.deepEqual(r.public, { address: "194.25.2.129", name: "dns.isp.t-ipnet.de", expected: "dns.isp.t-ipnet.de" }, env);
  }
  const nx = parse(rdnsProbe, "rdns-host-nxdomain", opts).reverseDns!;
  assert.equal(nx.public?.name, null);
  assert.equal(nx.private?.name, null);
});

test("2.3.i/j: the shell's process from /proc/*/comm and its LISTEN socket from /proc/net/tcp", () => {
  const port = Number(/^### tcp/m.test(fixture("debian12-sshd", "remote-shell")) ? readPort("debian12-sshd") : 0);
  for (const env of ["debian12-sshd", "busybox-sshd"]) {
    assert.deepEqual(parse(remoteShellProbe, env, { shellPort: port }).remoteShell, { process: "sshd", running: true, port, listening: true }, env);
  }
  assert.deepEqual(parse(remoteShellProbe, "debian12", { shellPort: 22 }).remoteShell, { process: "sshd", running: false, port: 22, listening: false });
});

/** The test sshd's port, found in the recording itself (0100007F = 127.0.0.1, state 0A). */
function readPort(env: string): number {
  const m = /^\s*\d+: 0100007F:([0-9A-F]{4}) 00000000:0000 0A/m.exec(fixture(env, "remote-shell"));
  return parseInt(m![1]!, 16);
}

test("2.4: op lines become booleans; failures are kept in detail; ops never reached stay null", () => {
  assert.deepEqual(parseUserOps(fixture("debian12", "user-ops")), { addUser: true, writeFile: true, readFile: true, deleteFile: true, changePassword: true, deleteUser: true });
  const cut = parseUserOps("op addUser ok tiosa_abcd1234\nop writeFile failed su: Authentication failure\n");
  assert.deepEqual(cut, { addUser: true, writeFile: false, readFile: null, deleteFile: null, changePassword: null, deleteUser: null, detail: "writeFile: su: Authentication failure" });
});

test("application checks: exit status, output regex, TCP port and HTTP status (curl, bash; busybox wget, nc)", () => {
  const apps = [
    { name: "web", kind: "http" as const, url: "http://127.0.0.1:18080/", expectStatus: 200 },
    { name: "missing", kind: "http" as const, url: "http://127.0.0.1:18080/nope", expectStatus: 200 },
    { name: "port", kind: "tcp" as const, host: "127.0.0.1", port: 18080 },
    { name: "closed", kind: "tcp" as const, host: "127.0.0.1", port: 1 },
  ];
  for (const env of ["debian12-http", "busybox"]) {
    const r = parse(appsProbe, env, { apps }).apps!;
    assert.deepEqual(r.map((a) => a.ok), [true, false, true, false], env);
    assert.match(r[1]!.detail, /HTTP 404 .* expected 200/);
  }
  const cmds = parse(appsProbe, "debian12", { apps: [
    { name: "echo", kind: "command", command: "echo hello; echo world", expectExit: 0, expectOutput: "^world$" },
    { name: "false", kind: "command", command: "echo nope >&2; exit 3", expectExit: 0 },
    { name: "closed", kind: "tcp", host: "127.0.0.1", port: 1 },
    { name: "web", kind: "http", url: "http://127.0.0.1:1/", expectStatus: 200 },
  ] }).apps!;
  assert.deepEqual(cmds.map((a) => a.ok), [true, false, false, false]);
  assert.match(cmds[1]!.detail, /exit 3, expected 0; output: nope/);
  assert.match(cmds[3]!.detail, /no HTTP answer/);
});
