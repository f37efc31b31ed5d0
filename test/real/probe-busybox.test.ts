import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, runOk, haveCommand } from "../../src/util/exec.js";
import { captureGuest } from "../../src/guest/capture.js";
import type { GuestTransport } from "../../src/guest/transport.js";

/**
 * The whole capture script under busybox ash with nothing but busybox applets on PATH
 * (no findmnt, no `ip -j`, no nft, no useradd): what a minimal guest offers.
 */
let dir: string;
before(async () => {
  if (!(await haveCommand("busybox"))) await runOk("apt-get", ["install", "-y", "-o", "DPkg::Lock::Timeout=600", "busybox"], { timeoutMs: 600_000 });
  dir = await mkdtemp(join(tmpdir(), "tiosa-busybox-"));
  await runOk("busybox", ["--install", "-s", dir]);
});
after(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

async function ipAddr(): Promise<Array<{ ifname: string; addr_info: Array<{ local: string; prefixlen: number }> }>> {
  return JSON.parse((await runOk("ip", ["-j", "addr", "show"])).stdout);
}

const busybox = (): GuestTransport => ({
  kind: "local",
  label: `busybox:${dir}`,
  async exec(script, opts = {}) {
    const r = await run(join(dir, "sh"), ["-s"], { input: script, env: { PATH: dir }, timeoutMs: opts.timeoutMs, signal: opts.signal });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  },
  async close() { /* nothing held */ },
});

test("under busybox only, the probes fall back to text and /proc sources and agree with the machine", async () => {
  const ipBefore = await ipAddr();
  const g = await captureGuest(busybox(), { icmpPrivate: "gateway", userOps: false, apps: [{ name: "lo", kind: "tcp", host: "127.0.0.1", port: 1 }] });
  const ipAfter = await ipAddr();
  assert.equal(g.kernel?.release, (await runOk("uname", ["-r"])).stdout.trim());
  assert.equal(g.cpu?.count, Number((await runOk("nproc", [])).stdout.trim()));
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(await readFile("/proc/meminfo", "utf8"))![1]);
  assert.equal(g.memory?.totalBytes, memKb * 1024);
  // VM NICs of other work come and go: judge the interfaces that did not change meanwhile
  const stable = ipBefore.filter((l) => JSON.stringify(ipAfter.find((a) => a.ifname === l.ifname)) === JSON.stringify(l));
  assert.ok(stable.some((l) => l.ifname === "lo"));
  for (const l of stable) {
    assert.deepEqual(g.interfaces?.find((i) => i.name === l.ifname)?.addresses, l.addr_info.map((a) => `${a.local}/${a.prefixlen}`), l.ifname);
  }
  const df = (await runOk("df", ["-P", "-k", "/"])).stdout.split("\n")[1]!.split(/\s+/);
  assert.equal(g.filesystems?.find((f) => f.mountpoint === "/")?.sizeBytes, Number(df[1]) * 1024);
  const gw = /default via (\S+)/.exec((await runOk("ip", ["-4", "route", "show", "default"])).stdout)?.[1];
  assert.equal(g.routes?.find((r) => r.destination === "default")?.gateway, gw);
  assert.equal(g.icmp?.private?.target, gw);
  assert.equal(g.icmp?.private?.sent, 3);
  assert.equal(g.apps?.[0]?.ok, false, "nothing listens on port 1");
  assert.equal(g.firewall, null, "no firewall tool in busybox: not performed, not an empty ruleset");
  assert.ok(g.errors?.some((e) => e.probe === "firewall"));
});

test("under busybox without useradd, 2.4 fails cleanly at its first step and leaves nothing", async () => {
  const g = await captureGuest(busybox(), { icmpPrivate: null });
  assert.equal(g.userOps?.addUser, false);
  assert.equal(g.userOps?.deleteUser, null);
  const passwd = await readFile("/etc/passwd", "utf8");
  assert.ok(!/^tiosa_/m.test(passwd));
});
