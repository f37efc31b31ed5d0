import { mkdtemp, writeFile, readFile, rm, mkdir, readdir } from "node:fs/promises";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, runOk, haveCommand } from "../../src/util/exec.js";

/**
 * A throwaway sshd on a loopback port for the probe's real tests and its benchmark: its
 * own host key, a client key authorised for root, config and pid file in a temp dir.
 */
export interface TestSshd {
  port: number;
  dir: string;
  clientKey: string;
  /** known_hosts holding this sshd's host key. */
  knownHosts: string;
  hostKeyPub: string;
  log: string;
  pid: number;
  stop(): Promise<void>;
}

/** Non-root users made by the password test are named this + random; sshd lets them use passwords. */
export const PASSWORD_USER_PREFIX = "tiosapw";

export async function ensureOpensshServer(): Promise<void> {
  if (await haveCommand("sshd") || (await run("test", ["-x", "/usr/sbin/sshd"])).code === 0) return;
  await runOk("apt-get", ["install", "-y", "-o", "DPkg::Lock::Timeout=600", "openssh-server"], { timeoutMs: 600_000 });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const c = connect(port, "127.0.0.1");
      c.once("connect", () => { c.destroy(); r(true); });
      c.once("error", () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`test sshd did not listen on 127.0.0.1:${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startTestSshd(): Promise<TestSshd> {
  await ensureOpensshServer();
  const dir = await mkdtemp(join(tmpdir(), "tiosa-sshd-"));
  await mkdir("/run/sshd", { recursive: true, mode: 0o755 });
  const hostKey = join(dir, "host_ed25519"), clientKey = join(dir, "client_ed25519");
  await runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  await runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", clientKey, "-C", "tiosa-test"]);
  await writeFile(join(dir, "authorized_keys"), await readFile(clientKey + ".pub"), { mode: 0o600 });
  const port = await freePort();
  const pidFile = join(dir, "sshd.pid"), log = join(dir, "sshd.log");
  await writeFile(join(dir, "sshd_config"), [
    `Port ${port}`, "ListenAddress 127.0.0.1", `HostKey ${hostKey}`, `PidFile ${pidFile}`,
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`, "PermitRootLogin prohibit-password",
    "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
    "LogLevel INFO", "MaxSessions 50", "MaxStartups 50",
    // the password test's throwaway non-root user only
    `Match User ${PASSWORD_USER_PREFIX}*`, "  PasswordAuthentication yes", "",
  ].join("\n"));
  await runOk("/usr/sbin/sshd", ["-f", join(dir, "sshd_config"), "-E", log]);
  await waitForPort(port, 10_000);
  const pid = Number((await readFile(pidFile, "utf8")).trim());
  const hostKeyPub = (await readFile(hostKey + ".pub", "utf8")).trim().split(/\s+/).slice(0, 2).join(" ");
  const knownHosts = join(dir, "known_hosts");
  await writeFile(knownHosts, `[127.0.0.1]:${port} ${hostKeyPub}\n`);
  return {
    port, dir, clientKey, knownHosts, hostKeyPub, log, pid,
    async stop() {
      for (const p of [...await descendants(pid), pid]) { try { process.kill(p, "SIGTERM"); } catch { /* gone */ } }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** All descendants of a process (from /proc/PID/stat's ppid), children first. */
export async function descendants(pid: number): Promise<number[]> {
  const parent = new Map<number, number>();
  for (const e of await readdir("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const st = await readFile(`/proc/${e}/stat`, "utf8");
      const ppid = Number(st.slice(st.lastIndexOf(")") + 2).split(" ")[1]);
      parent.set(Number(e), ppid);
    } catch { /* exited */ }
  }
  const out: number[] = [];
  const walk = (p: number) => { for (const [c, pp] of parent) if (pp === p) { walk(c); out.push(c); } };
  walk(pid);
  return out;
}

export async function dummyUsersLeft(): Promise<string[]> {
  const passwd = await readFile("/etc/passwd", "utf8");
  return passwd.split("\n").map((l) => l.split(":")[0]!).filter((u) => /^tiosa_/.test(u));
}

export async function dummyHomesLeft(): Promise<string[]> {
  return (await readdir("/home").catch(() => [] as string[])).filter((h) => /^tiosa_/.test(h));
}
