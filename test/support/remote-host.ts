import { randomBytes, randomUUID } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { run, runOk } from "../../src/util/exec.js";

/**
 * A second libvirt host on this machine: a network namespace with its own sshd and its own
 * libvirtd (private /run/libvirt, /var/lib/libvirt, /etc/libvirt via a private mount
 * namespace), driven as qemu+ssh://root@ADDR/system. `stopRemoteHost` tears everything down:
 * the processes in the namespace (by pid), the namespace, the veth, routes, temp dirs.
 *
 * With `routeGuests`, this machine also reaches the second host's guests, as a lab's hosts
 * reach each other's guest networks through their routers: the NAT networks libvirt makes in
 * the namespace get third octets 175-249 of 192.168.0.0/16 (the namespace holds unreachable
 * routes for 100-174, which libvirt takes as "in use"), this machine routes 175-249 to the
 * namespace (so its own libvirt keeps to 100-174), and the namespace forwards new connections
 * from this machine into its guest bridges (libvirt's NAT rules admit only replies).
 */
export interface RemoteHost { ns: string; hostIf: string; peerIf: string; addr: string; hostAddr: string; dir: string; uri: string; key: string; routes: string[] }

/** Third octets of the guest networks of each side when guests are routed (tiosa picks from 100-249). */
export const REMOTE_GUEST_OCTETS = { from: 175, to: 249 } as const;
const LOCAL_GUEST_OCTETS = { from: 100, to: 174 } as const;

/** A free /30 in 10.250.0.0/24 (other tests on this machine use namespaces too). */
async function freeSubnet(): Promise<number> {
  const used = (await run("ip", ["-4", "-o", "addr", "show"], { timeoutMs: 10_000 })).stdout;
  for (let base = 0; base < 256; base += 4) if (!used.includes(`10.250.0.${base + 1}/`) && !used.includes(`10.250.0.${base + 2}/`)) return base;
  throw new Error("no free /30 in 10.250.0.0/24");
}

export async function startRemoteHost(o: { routeGuests?: boolean } = {}): Promise<RemoteHost> {
  const tag = randomBytes(3).toString("hex");
  const ns = `tiosa-hvb-${tag}`, hostIf = `thv${tag}`, peerIf = `thvp${tag}`;
  const base = await freeSubnet();
  const hostAddr = `10.250.0.${base + 1}`, addr = `10.250.0.${base + 2}`;
  const dir = await mkdtemp(join(tmpdir(), "tiosa-remote-"));
  await chmod(dir, 0o755);
  const sh = (cmd: string, args: string[]) => runOk(cmd, args, { timeoutMs: 30_000 });
  await sh("ip", ["netns", "add", ns]);
  const h: RemoteHost = { ns, hostIf, peerIf, addr, hostAddr, dir, key: join(dir, "client_key"), uri: "", routes: [] };
  try {
    await sh("ip", ["link", "add", hostIf, "type", "veth", "peer", "name", peerIf]);
    await sh("ip", ["link", "set", peerIf, "netns", ns]);
    await sh("ip", ["addr", "add", `${hostAddr}/30`, "dev", hostIf]);
    await sh("ip", ["link", "set", hostIf, "up"]);
    await sh("ip", ["-n", ns, "addr", "add", `${addr}/30`, "dev", peerIf]);
    await sh("ip", ["-n", ns, "link", "set", peerIf, "up"]);
    await sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
    if (o.routeGuests) await routeGuestNetworks(h);
    await sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "host_key")]);
    await sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", h.key]);
    await writeFile(join(dir, "authorized_keys"), await readFile(`${h.key}.pub`));
    await writeFile(join(dir, "sshd_config"), [
      `ListenAddress ${addr}`, "Port 22", `HostKey ${join(dir, "host_key")}`, `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PermitRootLogin prohibit-password", "PasswordAuthentication no", "LogLevel ERROR", "UsePAM no", "StrictModes no", `PidFile ${join(dir, "sshd.pid")}`,
      // Several workers' and virsh's connections at once (libvirt opens one per virsh call).
      "MaxStartups 50:30:100", "MaxSessions 50",
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
      // On a machine where libvirtd has not run yet these mount points do not exist.
      "mkdir -p /run/libvirt /var/lib/libvirt /var/cache/libvirt",
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

async function routeGuestNetworks(h: RemoteHost): Promise<void> {
  const inNs = (cmd: string, args: string[]) => runOk("ip", ["netns", "exec", h.ns, cmd, ...args], { timeoutMs: 30_000 });
  // libvirt (9.0, iptables backend) links its chains into FORWARD only when the links are
  // missing, at the top: made here first, so that this accept stays above its rejects.
  for (const c of ["LIBVIRT_FWX", "LIBVIRT_FWI", "LIBVIRT_FWO"]) {
    await inNs("iptables", ["-N", c]);
    await inNs("iptables", ["-A", "FORWARD", "-j", c]);
  }
  await inNs("iptables", ["-I", "FORWARD", "1", "-i", h.peerIf, "-o", "tbr+", "-j", "ACCEPT"]);
  const net = (x: number) => `192.168.${x}.0/24`;
  const batch: string[] = [];
  for (let x = LOCAL_GUEST_OCTETS.from; x <= LOCAL_GUEST_OCTETS.to; x++) batch.push(`route add unreachable ${net(x)}`);
  for (let x = REMOTE_GUEST_OCTETS.from; x <= REMOTE_GUEST_OCTETS.to; x++) {
    // A subnet this machine already uses (a network of its own) stays its own: the namespace must not pick it.
    const r = await run("ip", ["route", "add", net(x), "via", h.addr, "dev", h.hostIf], { timeoutMs: 10_000 });
    if (r.code === 0) h.routes.push(net(x));
    else batch.push(`route add unreachable ${net(x)}`);
  }
  const file = join(h.dir, "ns-routes.batch");
  await writeFile(file, batch.join("\n") + "\n");
  await runOk("ip", ["-n", h.ns, "-batch", file], { timeoutMs: 30_000 });
}

export async function stopRemoteHost(h: RemoteHost): Promise<void> {
  // Every process in the namespace was started by this test (sshd, libvirtd, virtlogd, qemu, dnsmasq).
  for (const sig of ["-TERM", "-KILL"]) {
    const pids = (await run("ip", ["netns", "pids", h.ns], { timeoutMs: 10_000 })).stdout.split("\n").filter((p) => /^\d+$/.test(p));
    if (!pids.length) break;
    await run("kill", [sig, ...pids], { timeoutMs: 10_000 });
    await new Promise((res) => setTimeout(res, 1500));
  }
  for (const r of h.routes) await run("ip", ["route", "del", r, "via", h.addr], { timeoutMs: 10_000 });
  await run("ip", ["link", "del", h.hostIf], { timeoutMs: 10_000 });
  await run("ip", ["netns", "del", h.ns], { timeoutMs: 10_000 });
  await rm(h.dir, { recursive: true, force: true });
}
