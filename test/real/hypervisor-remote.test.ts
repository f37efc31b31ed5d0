import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { run, runOk } from "../../src/util/exec.js";
import { buildImage } from "../../src/images/index.js";
import { getFamily } from "../../src/hypervisor/families/index.js";
import { LibvirtDriver } from "../../src/hypervisor/libvirt/driver.js";
import { main } from "../../src/cli/main.js";
import { HypervisorInventory } from "../../src/inventory/model.js";
import { pngStats } from "../../src/hypervisor/png.js";

/**
 * The remote path for real: a second "host" on this machine, a network namespace with its
 * own sshd and its own libvirtd (private /run/libvirt, /var/lib/libvirt, /etc/libvirt via a
 * private mount namespace), driven as qemu+ssh://root@ADDR/system. Everything is torn down
 * at the end: the processes in the namespace (by pid), the namespace, the veth, temp dirs.
 */
const haveQemu = (await run("sh", ["-c", "command -v qemu-system-x86_64 && command -v libvirtd && command -v sshd || command -v /usr/sbin/sshd"], { timeoutMs: 5000 })).code === 0;
const skip = haveQemu ? false : "no qemu-system-x86_64/libvirtd on this machine: no virtualization at all";

async function cli(args: string[]) {
  let out = "", err = "";
  const code = await main(args, { out: (s) => { out += s + "\n"; }, err: (s) => { err += s + "\n"; } });
  return { code, out, err };
}

interface RemoteHost { ns: string; hostIf: string; addr: string; dir: string; uri: string; key: string }

/** A free /30 in 10.250.0.0/24 (other tests on this machine use namespaces too). */
async function freeSubnet(): Promise<number> {
  const used = (await run("ip", ["-4", "-o", "addr", "show"], { timeoutMs: 10_000 })).stdout;
  for (let base = 0; base < 256; base += 4) if (!used.includes(`10.250.0.${base + 1}/`) && !used.includes(`10.250.0.${base + 2}/`)) return base;
  throw new Error("no free /30 in 10.250.0.0/24");
}

async function startRemoteHost(): Promise<RemoteHost> {
  const tag = randomBytes(3).toString("hex");
  const ns = `tiosa-hvb-${tag}`, hostIf = `thv${tag}`, peerIf = `thvp${tag}`;
  const base = await freeSubnet();
  const hostAddr = `10.250.0.${base + 1}`, addr = `10.250.0.${base + 2}`;
  const dir = await mkdtemp(join(tmpdir(), "tiosa-remote-"));
  await chmod(dir, 0o755);
  const sh = (cmd: string, args: string[]) => runOk(cmd, args, { timeoutMs: 30_000 });
  await sh("ip", ["netns", "add", ns]);
  const h: RemoteHost = { ns, hostIf, addr, dir, key: join(dir, "client_key"), uri: "" };
  try {
    await sh("ip", ["link", "add", hostIf, "type", "veth", "peer", "name", peerIf]);
    await sh("ip", ["link", "set", peerIf, "netns", ns]);
    await sh("ip", ["addr", "add", `${hostAddr}/30`, "dev", hostIf]);
    await sh("ip", ["link", "set", hostIf, "up"]);
    await sh("ip", ["-n", ns, "addr", "add", `${addr}/30`, "dev", peerIf]);
    await sh("ip", ["-n", ns, "link", "set", peerIf, "up"]);
    await sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
    await sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "host_key")]);
    await sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", h.key]);
    await writeFile(join(dir, "authorized_keys"), await readFile(`${h.key}.pub`));
    await writeFile(join(dir, "sshd_config"), [
      `ListenAddress ${addr}`, "Port 22", `HostKey ${join(dir, "host_key")}`, `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PermitRootLogin prohibit-password", "PasswordAuthentication no", "LogLevel ERROR", "UsePAM no", "StrictModes no", `PidFile ${join(dir, "sshd.pid")}`,
    ].join("\n") + "\n");
    // The second host's own libvirt state and configuration (with its own host UUID).
    await sh("cp", ["-a", "/etc/libvirt", join(dir, "etc-libvirt")]);
    // A fresh host: none of this host's domains, networks or pools (they live in /etc/libvirt).
    await sh("sh", ["-c", 'cd "$1" && rm -rf qemu/*.xml qemu/autostart qemu/networks/*.xml qemu/networks/autostart storage/*.xml storage/autostart', "sh", join(dir, "etc-libvirt")]);
    const conf = join(dir, "etc-libvirt", "libvirtd.conf");
    await writeFile(conf, (await readFile(conf, "utf8")) + `\nhost_uuid = "${randomUUID()}"\n`);
    const script = [
      "set -e",
      "mount --make-rprivate /",
      "mount -t tmpfs tmpfs /run/libvirt",
      "mount -t tmpfs tmpfs /var/lib/libvirt",
      "mount -t tmpfs tmpfs /var/cache/libvirt",
      `mount --bind ${join(dir, "etc-libvirt")} /etc/libvirt`,
      "mkdir -p /var/lib/libvirt/images /var/lib/libvirt/qemu /var/lib/libvirt/dnsmasq",
      "virtlogd -d -p /run/libvirt/virtlogd.pid",
      "libvirtd -d -p /run/libvirt/libvirtd.pid",
      // sshd's privilege separation directory: on a fresh machine without systemd nothing has made it yet.
      "mkdir -p -m 0755 /run/sshd",
      `exec /usr/sbin/sshd -D -e -f ${join(dir, "sshd_config")}`,
    ].join("\n");
    const child = spawn("ip", ["netns", "exec", ns, "unshare", "-m", "sh", "-c", script], { stdio: ["ignore", "ignore", "pipe"], detached: false });
    child.stderr.on("data", (b: Buffer) => process.stderr.write(`[remote sshd] ${b}`));
    child.unref();
    h.uri = `qemu+ssh://root@${addr}/system?keyfile=${h.key}&no_verify=1`;
    for (let i = 0; i < 50; i++) {
      const r = await run("virsh", ["-c", h.uri, "version"], { timeoutMs: 10_000 });
      if (r.code === 0) return h;
      await new Promise((res) => setTimeout(res, 300));
    }
    throw new Error(`remote libvirtd in ${ns} did not answer on ${h.uri}`);
  } catch (e) {
    await stopRemoteHost(h);
    throw e;
  }
}

async function stopRemoteHost(h: RemoteHost): Promise<void> {
  // Every process in the namespace was started by this test (sshd, libvirtd, virtlogd, qemu, dnsmasq).
  for (const sig of ["-TERM", "-KILL"]) {
    const pids = (await run("ip", ["netns", "pids", h.ns], { timeoutMs: 10_000 })).stdout.split("\n").filter((p) => /^\d+$/.test(p));
    if (!pids.length) break;
    await run("kill", [sig, ...pids], { timeoutMs: 10_000 });
    await new Promise((res) => setTimeout(res, 1500));
  }
  await run("ip", ["link", "del", h.hostIf], { timeoutMs: 10_000 });
  await run("ip", ["netns", "del", h.ns], { timeoutMs: 10_000 });
  await rm(h.dir, { recursive: true, force: true });
}

test("qemu+ssh to a second libvirtd: inventory, a marked VM defined from an uploaded disk, screenshot, and tiosa cleanup leave the remote empty", { skip, timeout: 15 * 60_000 }, async () => {
  const image = await buildImage("tiny");
  const t0 = Date.now();
  const h = await startRemoteHost();
  process.stderr.write(`remote host up in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${h.uri}\n`);
  let driver: LibvirtDriver | undefined;
  try {
    const t1 = Date.now();
    const empty = HypervisorInventory.parse(JSON.parse((await cli(["inspect", h.uri, "--format", "json"])).out));
    process.stderr.write(`remote inspect in ${((Date.now() - t1) / 1000).toFixed(1)} s\n`);
    assert.equal(empty.vmCount, 0, JSON.stringify(empty.vms.map((v) => v.name)));
    // No vmx/svm on this CPU: the remote side must not pick the KVM shim.
    assert.equal(empty.hypervisor.accel, (await readFile("/proc/cpuinfo", "utf8")).match(/\b(vmx|svm)\b/) ? "kvm" : "tcg");
    assert.equal(empty.hypervisor.type, "qemu");
    assert.equal(empty.target, h.uri);

    driver = new LibvirtDriver(h.uri);
    const t2 = Date.now();
    const handle = await driver.defineVm({ name: "remote", family: getFamily("kvm"), disks: [{ path: image.diskPath, format: image.format }], memoryMiB: 256 });
    process.stderr.write(`remote define with disk upload in ${((Date.now() - t2) / 1000).toFixed(1)} s, accel ${handle.accel}\n`);
    await driver.lifecycle(handle.name, "start");
    const inv = HypervisorInventory.parse(JSON.parse((await cli(["inspect", h.uri, "--vm", handle.name, "--format", "json"])).out));
    assert.equal(inv.vmCount, 1);
    const vm = inv.vms[0]!;
    assert.equal(vm.state, "running");
    assert.equal(vm.memoryBytes, 256 * 1024 * 1024);
    assert.equal(vm.disks[0]!.capacityBytes, JSON.parse((await runOk("qemu-img", ["info", "--output=json", "-U", image.diskPath])).stdout)["virtual-size"]);
    assert.match(vm.disks[0]!.source ?? "", /^\/var\/lib\/libvirt\/images\/tiosa-[0-9a-f]{8}\//);
    // The remote guest boots: its screen fills with kernel text (the busybox guest has no agent or route to us).
    let stats;
    for (let i = 0; i < 40; i++) {
      await new Promise((res) => setTimeout(res, 3000));
      const file = join(h.dir, "shot.png");
      await driver.screenshot(handle.name, file);
      stats = pngStats(await readFile(file));
      if (stats.lumaStdDev > 5) break;
    }
    assert.ok(stats && stats.lumaStdDev > 5, `remote screen stayed blank: ${JSON.stringify(stats)}`);
    await assert.rejects(driver.readSerialConsole(handle.name), /remote host/);

    // A run that "died": only tiosa cleanup URI removes what it left.
    const c = await cli(["cleanup", h.uri, "--format", "json"]);
    assert.equal(c.code, 0, c.err);
    const report = JSON.parse(c.out) as { removed: string[] };
    assert.ok(report.removed.includes(`domain ${handle.name}`));
    assert.ok(report.removed.includes(`pool ${driver.poolName}`));
    assert.ok(report.removed.includes(`network ${driver.networkName}`));
    const list = async (what: string) => (await runOk("virsh", ["-c", h.uri, what, "--all", "--name"])).stdout.trim();
    assert.equal(await list("list"), "");
    assert.equal(await list("pool-list"), "");
    assert.doesNotMatch(await list("net-list"), /tiosa-/);
  } finally {
    // Nothing left after `tiosa cleanup`; this also removes the driver's local staging files.
    if (driver) assert.deepEqual((await driver.cleanup()).failed, []);
    await stopRemoteHost(h);
    assert.equal((await run("ip", ["netns", "list"], { timeoutMs: 10_000 })).stdout.includes(h.ns), false);
  }
});

test("an unreachable qemu+ssh URI ends with a clear message, exit 2, within 30 s", { skip, timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "tiosa-unreach-"));
  try {
    // 10.250.0.254 is in the lab subnet but nothing answers there (no namespace owns it).
    const uri = `qemu+ssh://root@10.250.0.254/system?keyfile=${join(dir, "nokey")}&no_verify=1`;
    const t = Date.now();
    const r = await cli(["inspect", uri]);
    const s = (Date.now() - t) / 1000;
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /hypervisor 'qemu\+ssh:\/\/root@10\.250\.0\.254\/system[^']*'(?: is unreachable|: 'virsh version' did not answer within 20 s)/);
    assert.ok(s < 30, `took ${s} s`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
