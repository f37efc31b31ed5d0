import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { qemuArgs, HARDWARE, isHardwareName, sshBanner, freePort } from "../../src/qemu/index.js";
import { sweepStaleBootDirs } from "../../src/qemu/boot.js";

const base = { disk: "/img/d.qcow2", format: "qcow2", memoryMiB: 512, cpus: 1, accel: "tcg" as const, snapshot: true, sshPort: 2222, consoleLog: "/t/c.log", qmpSocket: "/t/q.sock" };

test("the guest network is restricted and only SSH is forwarded, on loopback", () => {
  const a = qemuArgs({ ...base, hardware: "virtio" });
  const net = a[a.indexOf("-netdev") + 1]!;
  assert.match(net, /^user,/);
  assert.match(net, /restrict=on/);
  assert.match(net, /hostfwd=tcp:127\.0\.0\.1:2222-:22/);
});

test("the disk is opened as a throw-away snapshot unless asked otherwise", () => {
  const drive = (o: boolean) => { const a = qemuArgs({ ...base, hardware: "virtio", snapshot: o }); return a[a.indexOf("-drive") + 1]!; };
  assert.match(drive(true), /snapshot=on/);
  assert.doesNotMatch(drive(false), /snapshot/);
});

test("the serial console goes to the given file and the accelerator is the one asked for", () => {
  const a = qemuArgs({ ...base, hardware: "virtio", accel: "kvm" });
  assert.equal(a[a.indexOf("-serial") + 1], "file:/t/c.log");
  assert.equal(a[a.indexOf("-machine") + 1], "q35,accel=kvm");
  assert.ok(a.includes("host"));
  assert.ok(!qemuArgs({ ...base, hardware: "virtio" }).includes("host"), "TCG must not ask for -cpu host");
});

test("each hardware set puts the NIC in slot 3 (virtio: behind a root port there, as libvirt does on q35) with its own model", () => {
  const models = new Set<string>();
  for (const name of Object.keys(HARDWARE)) {
    assert.ok(isHardwareName(name));
    const a = qemuArgs({ ...base, hardware: name as keyof typeof HARDWARE });
    const nic = a.filter((x) => /netdev=net0/.test(x))[0]!;
    if (name === "virtio") {
      assert.match(nic, /,bus=rp1$/);
      assert.ok(a.includes("pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x3"), a.join(" "));
    } else {
      assert.match(nic, /addr=0x3/);
    }
    models.add(nic.split(",")[0]!);
  }
  assert.ok(models.has("virtio-net-pci") && models.has("vmxnet3") && models.has("rtl8139"));
  assert.ok(!isHardwareName("hyperv"));
});

test("the guest agent port is only added when asked for", () => {
  assert.ok(!qemuArgs({ ...base, hardware: "virtio" }).some((x) => /guest_agent/.test(x)));
  assert.ok(qemuArgs({ ...base, hardware: "virtio", agentSocket: "/t/a.sock" }).some((x) => /org\.qemu\.guest_agent\.0/.test(x)));
});

test("an SSH banner is told apart from a port that accepts and says nothing", async () => {
  const ssh = createServer((c) => c.end("SSH-2.0-dropbear_2022.83\r\n"));
  const mute = createServer(() => { /* accepts, never speaks: like QEMU's hostfwd before sshd runs */ });
  await new Promise<void>((r) => ssh.listen(0, "127.0.0.1", r));
  await new Promise<void>((r) => mute.listen(0, "127.0.0.1", r));
  try {
    const p1 = (ssh.address() as { port: number }).port, p2 = (mute.address() as { port: number }).port;
    assert.equal(await sshBanner(p1), "SSH-2.0-dropbear_2022.83");
    assert.equal(await sshBanner(p2, 300), undefined);
    assert.equal(await sshBanner(await freePort(), 300), undefined);
  } finally {
    ssh.close();
    mute.close();
  }
});

test("a boot directory whose owner died (SIGKILL) is swept by the next boot; a living owner's, or one without an owner file, stays", async () => {
  const { mkdtemp, mkdir, writeFile, readdir, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const parent = await mkdtemp(join(tmpdir(), "tiosa-sweep-test-"));
  try {
    const make = async (name: string, owner?: number) => {
      await mkdir(join(parent, name));
      await writeFile(join(parent, name, "console.log"), "x");
      if (owner !== undefined) await writeFile(join(parent, name, "owner.pid"), `${owner}\n`);
    };
    await make("tiosa-boot-dead01", 4242);
    await make("tiosa-boot-live01", 4343);
    await make("tiosa-boot-noown1");
    await make("tiosa-other-dead1", 4242);
    const removed = await sweepStaleBootDirs(parent, (pid) => pid === 4343);
    assert.deepEqual(removed, ["tiosa-boot-dead01"]);
    assert.deepEqual((await readdir(parent)).sort(), ["tiosa-boot-live01", "tiosa-boot-noown1", "tiosa-other-dead1"]);
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
});
