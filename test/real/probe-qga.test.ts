import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, readFile, access } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, runOk, haveCommand } from "../../src/util/exec.js";
import { QgaTransport } from "../../src/guest/transports/qga.js";
import { openTransport } from "../../src/guest/connect.js";
import { captureGuest } from "../../src/guest/capture.js";
import { dummyUsersLeft } from "./probe-sshd.js";

/**
 * The real QEMU guest agent (qemu-ga from Debian), run on this machine with a unix-listen
 * socket: the same daemon and protocol a guest's virtio-serial channel carries.
 */
let dir: string, agent: ChildProcess, sock: string;

before(async () => {
  if (!(await haveCommand("qemu-ga")) && (await run("test", ["-x", "/usr/sbin/qemu-ga"])).code !== 0) {
    await runOk("apt-get", ["install", "-y", "-o", "DPkg::Lock::Timeout=600", "qemu-guest-agent"], { timeoutMs: 600_000 });
  }
  dir = await mkdtemp(join(tmpdir(), "tiosa-qga-"));
  sock = join(dir, "qga.sock");
  agent = spawn("/usr/sbin/qemu-ga", ["-m", "unix-listen", "-p", sock, "-t", dir, "-l", join(dir, "log")], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    if (await access(sock).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`qemu-ga did not create ${sock}: ${await readFile(join(dir, "log"), "utf8").catch(() => "")}`);
});
after(async () => {
  agent?.kill("SIGTERM");
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("a capture through the guest agent runs the same probes (guest-exec) and reads files (guest-file-*)", async () => {
  const t = await QgaTransport.connect({ via: "socket", path: sock });
  try {
    assert.equal((await t.readFile("/proc/sys/kernel/osrelease")).trim(), (await runOk("uname", ["-r"])).stdout.trim());
    const g = await captureGuest(t, { icmpPrivate: null });
    assert.equal(g.transport, "qga");
    assert.equal(g.kernel?.release, (await runOk("uname", ["-r"])).stdout.trim());
    assert.equal(g.cpu?.count, Number((await runOk("nproc", [])).stdout.trim()));
    assert.equal(g.userOps?.deleteUser, true);
    assert.deepEqual(await dummyUsersLeft(), []);
  } finally { await t.close(); }
});

test("an SSH target that cannot be reached falls back to the agent and says so", async () => {
  const { transport, fellBack } = await openTransport("ssh://root@127.0.0.1:1", { password: "unused" }, { fallbackQga: `qga:${sock}` });
  try {
    assert.equal(transport.kind, "qga");
    assert.match(fellBack ?? "", /cannot reach root@127\.0\.0\.1 port 1/);
    const g = await captureGuest(transport, { icmpPrivate: null, userOps: false });
    assert.ok(g.interfaces?.some((i) => i.name === "lo"));
  } finally { await transport.close(); }
});

test("an agent socket nobody serves is a clear error naming the socket", async () => {
  await assert.rejects(QgaTransport.connect({ via: "socket", path: join(dir, "nope.sock") }), /guest agent socket '.*nope\.sock': no such socket/);
});
