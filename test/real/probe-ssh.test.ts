import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile, rm, access } from "node:fs/promises";
import { join } from "node:path";
import { run, runOk, haveCommand } from "../../src/util/exec.js";
import { randomBytes } from "node:crypto";
import { SshTransport } from "../../src/guest/transports/ssh.js";
import { captureGuest } from "../../src/guest/capture.js";
import { GuestState } from "../../src/snapshot/schema.js";
import { main } from "../../src/cli/main.js";
import { UserError } from "../../src/errors.js";
import { startTestSshd, descendants, dummyUsersLeft, dummyHomesLeft, PASSWORD_USER_PREFIX, type TestSshd } from "./probe-sshd.js";

let sshd: TestSshd;
const target = () => ({ user: "root", host: "127.0.0.1", port: sshd.port });
const auth = () => ({ identityFile: sshd.clientKey, knownHostsFile: sshd.knownHosts });
const accepted = async () => ((await readFile(sshd.log, "utf8")).match(/Accepted publickey/g) ?? []).length;

before(async () => { sshd = await startTestSshd(); });
after(async () => { await sshd?.stop(); });

test("a probe over SSH reports what this machine itself says, in one connection", async () => {
  const before = await accepted();
  const ipBefore = await ipAddr();
  const t = await SshTransport.connect(target(), auth());
  let g;
  try {
    g = await captureGuest(t, { icmpPrivate: null, shellPort: sshd.port });
  } finally { await t.close(); }
  assert.equal(await accepted() - before, 1, "the whole capture, 2.4 and its leftover check included, used one SSH connection");
  assert.equal(GuestState.safeParse(g).success, true);
  assert.equal(g.transport, "ssh");
  assert.equal(g.kernel?.release, (await runOk("uname", ["-r"])).stdout.trim());
  assert.equal(g.kernel?.arch, (await runOk("uname", ["-m"])).stdout.trim());
  assert.equal(g.cpu?.count, Number((await runOk("nproc", [])).stdout.trim()));
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(await readFile("/proc/meminfo", "utf8"))![1]);
  assert.equal(g.memory?.totalBytes, memKb * 1024);
  // other work on this machine adds and removes VM NICs at any time: compare with what
  // `ip -j addr` says both before and after, on the interfaces stable across the two
  const ipAfter = await ipAddr();
  const stable = ipBefore.filter((l) => JSON.stringify(ipAfter.find((a) => a.ifname === l.ifname)) === JSON.stringify(l));
  assert.ok(stable.some((l) => l.ifname === "lo"));
  for (const l of stable) {
    const mine: { addresses: string[]; mac: string | null } | undefined = g.interfaces?.find((i) => i.name === l.ifname);
    assert.ok(mine, `interface ${l.ifname} listed`);
    assert.deepEqual(mine.addresses, l.addr_info.filter((a) => !a.temporary).map((a) => `${a.local}/${a.prefixlen}`), `addresses of ${l.ifname}`);
    if (l.address && l.link_type === "ether") assert.equal(mine.mac, l.address);
  }
  for (const i of g.interfaces ?? []) assert.ok(ipBefore.some((l) => l.ifname === i.name) || ipAfter.some((l) => l.ifname === i.name), `${i.name} exists`);
  const root = g.filesystems?.find((f) => f.mountpoint === "/");
  const df = (await runOk("df", ["-P", "-k", "/"])).stdout.split("\n")[1]!.split(/\s+/);
  assert.equal(root?.sizeBytes, Number(df[1]) * 1024);
  assert.deepEqual(g.remoteShell, { process: "sshd", running: true, port: sshd.port, listening: true });
  assert.deepEqual({ ...g.userOps, detail: undefined }, { addUser: true, writeFile: true, readFile: true, deleteFile: true, changePassword: true, deleteUser: true, detail: undefined });
  assert.deepEqual(await dummyUsersLeft(), []);
  assert.ok(g.firewall && Array.isArray(g.firewall.rules), "firewall read (nft or iptables-save)");
  assert.ok(g.routes?.some((r) => r.destination === "default") ?? false, "default route listed");
});

test("ICMP to the default gateway and a loopback target: 3 packets each, measured in the guest", async () => {
  const t = await SshTransport.connect(target(), auth());
  try {
    const g = await captureGuest(t, { icmpPrivate: "gateway", icmpPublic: "127.0.0.1", userOps: false });
    const gw = /default via (\S+)/.exec((await runOk("ip", ["-4", "route", "show", "default"])).stdout)?.[1];
    assert.equal(g.icmp?.private?.target, gw);
    assert.equal(g.icmp?.public?.sent, 3);
    assert.equal(g.icmp?.public?.received, 3);
    assert.ok((g.icmp?.public?.maxRttMs ?? -1) >= 0);
  } finally { await t.close(); }
});

test("2.4 leaves no user or file behind when the SSH session is killed mid-way (the guest script alone, no host help)", async () => {
  const t = await SshTransport.connect(target(), auth());
  const probing = captureGuest(t, { icmpPrivate: null, holdUserOpsMs: 3000, skipLeftoverCheck: true, timeoutMs: 20_000 });
  await waitFor(async () => (await dummyUsersLeft()).length === 1, 15_000, "the dummy user to appear");
  // the per-connection sshd processes (not the listener): the connection dies under the script
  for (const p of await descendants(sshd.pid)) {
    const comm = (await readFile(`/proc/${p}/comm`, "utf8").catch(() => "")).trim();
    if (comm === "sshd") { try { process.kill(p, "SIGKILL"); } catch { /* gone */ } }
  }
  const g = await probing;
  await t.close();
  assert.ok(g.errors?.some((e) => e.probe === "user-ops"), "the capture says 2.4 was cut short");
  await waitFor(async () => (await dummyUsersLeft()).length === 0 && (await dummyHomesLeft()).length === 0, 15_000, "the guest script to remove the user");
});

test("2.4 leaves nothing behind even when the script itself is SIGKILLed (host-side check on a new connection)", async () => {
  const t = await SshTransport.connect(target(), auth());
  const probing = captureGuest(t, { icmpPrivate: null, holdUserOpsMs: 5000, timeoutMs: 20_000 });
  await waitFor(async () => (await dummyUsersLeft()).length === 1, 15_000, "the dummy user to appear");
  // SIGKILL cannot be trapped: the session, the script and its sleep all die at once
  for (const p of await descendants(sshd.pid)) { try { process.kill(p, "SIGKILL"); } catch { /* gone */ } }
  const g = await probing;
  await t.close();
  assert.deepEqual(await dummyUsersLeft(), [], "no dummy user right after the capture returned");
  assert.deepEqual(await dummyHomesLeft(), []);
  assert.ok(g.errors?.some((e) => /left behind .* removed from the host side/.test(e.message)), JSON.stringify(g.errors));
});

test("Ctrl-C (abort) during 2.4: the capture stops, and the user is removed right away from the host side", async () => {
  const t = await SshTransport.connect(target(), auth());
  const ac = new AbortController();
  const probing = captureGuest(t, { icmpPrivate: null, holdUserOpsMs: 5000, timeoutMs: 20_000, signal: ac.signal });
  await waitFor(async () => (await dummyUsersLeft()).length === 1, 15_000, "the dummy user to appear");
  const t0 = Date.now();
  ac.abort(new Error("interrupted by SIGINT"));
  await assert.rejects(probing, /interrupted by SIGINT/);
  await t.close();
  assert.ok(Date.now() - t0 < 4000, "did not wait for the guest script's hold to end");
  assert.deepEqual(await dummyUsersLeft(), [], "removed before captureGuest returned");
  // the guest script itself goes on after its hold, finds the user gone, and ends
  await new Promise((r) => setTimeout(r, 5500));
  assert.deepEqual(await dummyUsersLeft(), []);
  assert.deepEqual(await dummyHomesLeft(), []);
});

test("a hostile application command runs as the one command it is and cannot break out of its quoting", async () => {
  const pwn = join(sshd.dir, "pwned");
  const t = await SshTransport.connect(target(), auth());
  try {
    const g = await captureGuest(t, {
      icmpPrivate: null, userOps: false,
      apps: [
        { name: "quote", kind: "command", command: `exit 3'; touch ${pwn}; '`, expectExit: 0 },
        { name: "marker", kind: "command", command: `echo '@@TIOSA:x:RC:os:0'; echo "it's"`, expectExit: 0, expectOutput: "^it's$" },
      ],
    });
    await assert.rejects(access(pwn), "the text after the quote did not run");
    assert.equal(g.apps?.[0]?.ok, false);
    assert.equal(g.apps?.[1]?.ok, true, JSON.stringify(g.apps?.[1]));
    assert.equal(g.kernel?.release, (await runOk("uname", ["-r"])).stdout.trim(), "a fake marker in app output does not confuse the parser");
    await assert.rejects(captureGuest(t, { apps: [{ name: "x;touch /tmp/y", kind: "command", command: "true", expectExit: 0 }] }), UserError);
    await assert.rejects(captureGuest(t, { icmpPublic: "$(touch /tmp/y)" }), UserError);
    await assert.rejects(captureGuest(t, { shellProcess: "sshd'; reboot; '" }), UserError);
  } finally { await t.close(); }
});

test("an unknown host key is refused unless --accept-new pins it; a changed one is refused", async () => {
  const kh = join(sshd.dir, "kh-test");
  await rm(kh, { force: true });
  await assert.rejects(SshTransport.connect(target(), { identityFile: sshd.clientKey, knownHostsFile: kh }), /not in .*kh-test/);
  const t = await SshTransport.connect(target(), { identityFile: sshd.clientKey, knownHostsFile: kh, acceptNew: true });
  await t.close();
  assert.equal((await readFile(kh, "utf8")).trim(), `[127.0.0.1]:${sshd.port} ${sshd.hostKeyPub}`);
  (await SshTransport.connect(target(), { identityFile: sshd.clientKey, knownHostsFile: kh })).close();
  const other = join(sshd.dir, "other");
  await runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
  await writeFile(kh, `[127.0.0.1]:${sshd.port} ${(await readFile(other + ".pub", "utf8")).trim()}\n`);
  await assert.rejects(SshTransport.connect(target(), { identityFile: sshd.clientKey, knownHostsFile: kh, acceptNew: true }), /HOST KEY CHANGED/);
});

test("tiosa probe: JSON guest object on stdout; exit 2 naming host and port when unreachable or refused", async () => {
  const out: string[] = [], err: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s) };
  const code = await main(["probe", `ssh://root@127.0.0.1:${sshd.port}`, "--identity", sshd.clientKey, "--known-hosts", sshd.knownHosts, "--no-user-ops", "--icmp-private", "none", "--shell-port", String(sshd.port), "--format", "json"], io);
  assert.equal(code, 0, err.join("\n"));
  const g = GuestState.parse(JSON.parse(out.join("")));
  assert.equal(g.remoteShell?.listening, true);

  // Without --shell-port, 2.3.j checks the port the probe connected to (the test sshd is not on 22).
  out.length = 0;
  assert.equal(await main(["probe", `ssh://root@127.0.0.1:${sshd.port}`, "--identity", sshd.clientKey, "--known-hosts", sshd.knownHosts, "--no-user-ops", "--icmp-private", "none", "--format", "json"], io), 0, err.join("\n"));
  const byUrl = GuestState.parse(JSON.parse(out.join("")));
  assert.equal(byUrl.remoteShell?.port, sshd.port);
  assert.equal(byUrl.remoteShell?.listening, true);

  const closed = sshd.port === 65535 ? 65534 : sshd.port + 1;
  err.length = 0;
  assert.equal(await main(["probe", `ssh://root@127.0.0.1:${closed}`, "--identity", sshd.clientKey, "--known-hosts", sshd.knownHosts], io), 2);
  assert.match(err.join("\n"), new RegExp(`cannot reach root@127\\.0\\.0\\.1 port ${closed}: ECONNREFUSED`));

  const stranger = join(sshd.dir, "stranger");
  await runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger]);
  err.length = 0;
  assert.equal(await main(["probe", `ssh://root@127.0.0.1:${sshd.port}`, "--identity", stranger, "--known-hosts", sshd.knownHosts], io), 2);
  assert.match(err.join("\n"), new RegExp(`authentication failed for root@127\\.0\\.0\\.1 port ${sshd.port}`));

  err.length = 0;
  assert.equal(await main(["probe", "ssh://root:secret@127.0.0.1"], io), 2);
  assert.match(err.join("\n"), /never on the command line/);
});

test("a non-root user with a password from a file or TIOSA_SSH_PASSWORD gets root through sudo -n", async () => {
  if (!(await haveCommand("sudo"))) await runOk("apt-get", ["install", "-y", "-o", "DPkg::Lock::Timeout=600", "sudo"], { timeoutMs: 600_000 });
  const user = PASSWORD_USER_PREFIX + randomBytes(4).toString("hex");
  const password = randomBytes(12).toString("base64url");
  const sudoers = `/etc/sudoers.d/${user}`;
  const pwFile = join(sshd.dir, "password");
  try {
    await runOk("useradd", ["-m", "-s", "/bin/sh", user]);
    await runOk("chpasswd", [], { input: `${user}:${password}\n` });
    await writeFile(sudoers, `${user} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
    await writeFile(pwFile, password + "\n", { mode: 0o600 });
    const t = await SshTransport.connect({ user, host: "127.0.0.1", port: sshd.port }, { passwordFile: pwFile, knownHostsFile: sshd.knownHosts });
    try {
      const g = await captureGuest(t, { icmpPrivate: null, shellPort: sshd.port });
      assert.equal(g.kernel?.release, (await runOk("uname", ["-r"])).stdout.trim());
      assert.equal(g.firewall === null, false, "nft needs root: it ran as root");
      assert.equal(g.userOps?.deleteUser, true, JSON.stringify(g.userOps));
      assert.equal((await t.exec("id -u")).stdout.trim(), "0");
    } finally { await t.close(); }
    const out: string[] = [], err: string[] = [];
    process.env.TIOSA_SSH_PASSWORD = password;
    try {
      const code = await main(["probe", `ssh://${user}@127.0.0.1:${sshd.port}`, "--known-hosts", sshd.knownHosts, "--no-user-ops", "--icmp-private", "none", "--format", "json"], { out: (s) => out.push(s), err: (s) => err.push(s) });
      assert.equal(code, 0, err.join("\n"));
      assert.equal(GuestState.parse(JSON.parse(out.join(""))).transport, "ssh");
      process.env.TIOSA_SSH_PASSWORD = "wrong";
      assert.equal(await main(["probe", `ssh://${user}@127.0.0.1:${sshd.port}`, "--known-hosts", sshd.knownHosts], { out: (s) => out.push(s), err: (s) => err.push(s) }), 2);
      assert.match(err.join("\n"), new RegExp(`authentication failed for ${user}@127\\.0\\.0\\.1 port ${sshd.port} \\(tried password\\)`));
    } finally { delete process.env.TIOSA_SSH_PASSWORD; }
  } finally {
    await rm(sudoers, { force: true });
    await run("userdel", ["-r", user]);
  }
  assert.equal((await run("getent", ["passwd", user])).code, 2, "the test user is gone");
});

type IpLink = { ifname: string; address?: string; link_type?: string; addr_info: Array<{ local: string; prefixlen: number; temporary?: boolean }> };
async function ipAddr(): Promise<IpLink[]> {
  return JSON.parse((await runOk("ip", ["-j", "addr", "show"])).stdout) as IpLink[];
}

async function waitFor(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
