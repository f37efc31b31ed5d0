import { spawn, type ChildProcess } from "node:child_process";
import { rm, readFile } from "node:fs/promises";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { haveCommand, run } from "../util/exec.js";
import { detectAccel, kvmFallbackAllowed, markKvmUnusable, type Accel } from "./accel.js";
import { KVM_STALL_MS, StallWatch } from "../hypervisor/stall.js";
import { HARDWARE, isHardwareName, type HardwareName } from "./hardware.js";
import { processAlive } from "../util/process.js";
import { makeOwnedTempDir, sweepStaleOwnedDirs } from "../util/owned-dir.js";

interface BootOptions {
  /** Disk image to boot from (BIOS/MBR). */
  disk: string;
  /** Image format; default qcow2. */
  format?: "qcow2" | "raw" | "vmdk" | "vpc" | "vhdx" | "vdi";
  /** Virtual hardware set; default virtio. */
  hardware?: HardwareName;
  memoryMiB?: number;
  cpus?: number;
  /** How long to wait for the guest's SSH banner; default 180 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Force an accelerator; default detectAccel(). */
  accel?: Accel;
  /**
   * Boot on a throw-away overlay (QEMU -snapshot) so the image is never modified; default
   * true. Pass false to let the guest write to the disk.
   */
  snapshot?: boolean;
  /** Where the serial console goes; default a file in a temp dir removed by stop(). */
  consoleLogPath?: string;
  /** Add a virtio-serial port for qemu-guest-agent and return its socket path. */
  guestAgent?: boolean;
  /** Return as soon as QEMU runs, without waiting for SSH. */
  waitForSsh?: boolean;
}

export interface BootedGuest {
  /** Port on 127.0.0.1 forwarded to the guest's port 22. */
  sshPort: number;
  /** Path of the serial console log (kernel + init messages: boot failures show here). */
  consoleLog: string;
  accel: Accel;
  hardware: HardwareName;
  pid: number;
  /** QMP socket (screendump, system_powerdown, query-status...). */
  qmpSocket: string;
  /** qemu-guest-agent socket when guestAgent was set. */
  agentSocket?: string;
  /** Milliseconds from QEMU start to the SSH banner (undefined with waitForSsh=false). */
  sshReadyMs?: number;
  /** Set when KVM stalled the guest and it was booted again under TCG: what was seen. */
  accelFallback?: string;
  /** Current console log text. */
  console(): Promise<string>;
  /** Kills QEMU and removes the temp dir; safe to call twice. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (QEMU is told to bind it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * One attempt at reading an SSH banner. QEMU's user-mode hostfwd accepts the TCP connection
 * even while nothing listens in the guest, so only the "SSH-" banner proves sshd answers.
 */
export function sshBanner(port: number, timeoutMs = 3000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = connect({ host: "127.0.0.1", port });
    let buf = "";
    const done = (v: string | undefined) => { clearTimeout(t); sock.destroy(); resolve(v); };
    const t = setTimeout(() => done(undefined), timeoutMs);
    sock.on("data", (d) => {
      buf += d.toString("latin1");
      const nl = buf.indexOf("\n");
      if (nl >= 0) done(buf.startsWith("SSH-") ? buf.slice(0, nl).trim() : undefined);
    });
    sock.on("error", () => done(undefined));
    sock.on("close", () => done(undefined));
  });
}

export function qemuArgs(o: {
  disk: string; format: string; hardware: HardwareName; memoryMiB: number; cpus: number; accel: Accel;
  snapshot: boolean; sshPort: number; consoleLog: string; qmpSocket: string; agentSocket?: string;
}): string[] {
  const hw = HARDWARE[o.hardware];
  const args = [
    "-name", "tiosa-boot",
    "-machine", `${hw.machine},accel=${o.accel}`,
    ...(o.accel === "kvm" ? ["-cpu", "host"] : []),
    "-m", String(o.memoryMiB), "-smp", String(o.cpus),
    "-nodefaults", "-display", "none", "-vga", "std",
    "-serial", `file:${o.consoleLog}`,
    "-qmp", `unix:${o.qmpSocket},server=on,wait=off`,
    "-drive", `file=${o.disk},format=${o.format},if=none,id=disk0${o.snapshot ? ",snapshot=on" : ""}`,
    ...hw.disk("disk0"),
    // restrict=on: the guest reaches nothing outside; QEMU's DHCP and the hostfwd still work.
    "-netdev", `user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:${o.sshPort}-:22`,
    ...hw.nic("net0"),
  ];
  if (o.agentSocket) {
    args.push(
      "-chardev", `socket,path=${o.agentSocket},server=on,wait=off,id=qga0`,
      "-device", "virtio-serial-pci,addr=0x6",
      "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
    );
  }
  return args;
}

const tail = (s: string, n = 25) => s.split(/\r?\n/).slice(-n).join("\n");

let pdeathsig: Promise<boolean> | undefined;
/** Whether QEMU can be started under `setpriv --pdeathsig` (and is installed at all). */
function havePdeathsig(): Promise<boolean> {
  pdeathsig ??= (async () => {
    if (!(await haveCommand("qemu-system-x86_64"))) throw new UserError("'qemu-system-x86_64' is not installed (package qemu-system-x86)");
    return (await run("setpriv", ["--pdeathsig", "KILL", "--", "true"], { timeoutMs: 10_000 }).catch(() => ({ code: 1 }))).code === 0;
  })();
  pdeathsig.catch(() => { pdeathsig = undefined; });
  return pdeathsig;
}

const BOOT_DIR_PREFIX = "tiosa-boot-";

/**
 * Removes the boot directories (console log, QMP socket) of processes that died without
 * stopping their guest, e.g. killed by SIGKILL: their QEMU died with them (pdeathsig), only
 * the directory stayed. A directory without an owner file, or whose owner lives, is kept.
 */
export const sweepStaleBootDirs = (parent: string, alive: (pid: number) => boolean = processAlive): Promise<string[]> =>
  sweepStaleOwnedDirs(BOOT_DIR_PREFIX, parent, alive);

/**
 * Boots a disk image directly under qemu-system-x86_64 and waits for its SSH banner on a
 * 127.0.0.1 port forwarded to the guest's port 22. The caller must call stop().
 */
export async function bootImage(opts: BootOptions): Promise<BootedGuest> {
  const hardware = opts.hardware ?? "virtio";
  if (!isHardwareName(hardware)) throw new UserError(`hardware '${hardware}' is unknown; known: ${Object.keys(HARDWARE).join(", ")}`);
  const accel = opts.accel ?? (await detectAccel(opts.signal));
  // A kvm boot chosen by the probe (not by the caller or TIOSA_ACCEL) falls back to TCG if it stalls.
  const watchStall = accel === "kvm" && opts.accel === undefined && opts.waitForSsh !== false && kvmFallbackAllowed();
  try {
    return await bootImageUnder(opts, hardware, accel, watchStall);
  } catch (e) {
    if (!(e instanceof KvmStalledError)) throw e;
    await markKvmUnusable(`booting '${opts.disk}': ${e.message}`);
    const g = await bootImageUnder(opts, hardware, "tcg", false);
    g.accelFallback = `KVM stalled the guest (${e.message}); booted again under TCG`;
    return g;
  }
}

class KvmStalledError extends Error {}

/** CPU time (user + system) of a local process in ms, from /proc; null when it is gone. */
async function processCpuMs(pid: number): Promise<number | null> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (!stat) return null;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 (utime, stime) are the 12th and 13th after the command name; clock ticks (100 Hz on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function bootImageUnder(opts: BootOptions, hardware: HardwareName, accel: Accel, watchStall: boolean): Promise<BootedGuest> {
  await sweepStaleBootDirs(tmpdir());
  // Whose dir this is: a later boot removes it if this process died without stop() (SIGKILL).
  const dir = await makeOwnedTempDir(BOOT_DIR_PREFIX);
  const consoleLog = opts.consoleLogPath ?? join(dir, "console.log");
  const qmpSocket = join(dir, "qmp.sock");
  const agentSocket = opts.guestAgent ? join(dir, "qga.sock") : undefined;
  let child: ChildProcess | undefined;
  let stopped = false;
  let exitInfo: string | undefined;
  let stderr = "";

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    opts.signal?.removeEventListener("abort", onAbort);
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child!.once("exit", () => r()));
      child.kill("SIGTERM");
      const k = setTimeout(() => child?.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(k);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const onAbort = () => { void stop(); };
  const readConsole = () => readFile(consoleLog, "utf8").catch(() => "");

  try {
    const start = Date.now();
    // The port can be taken between freePort() and QEMU's bind: retry with another.
    let sshPort = 0;
    for (let attempt = 0; attempt < 5; attempt++) {
      sshPort = await freePort();
      const args = qemuArgs({
        disk: opts.disk, format: opts.format ?? "qcow2", hardware, accel,
        memoryMiB: opts.memoryMiB ?? 1024, cpus: opts.cpus ?? 1, snapshot: opts.snapshot ?? true,
        sshPort, consoleLog, qmpSocket, ...(agentSocket ? { agentSocket } : {}),
      });
      stderr = "";
      exitInfo = undefined;
      // setpriv (util-linux) execs QEMU with PR_SET_PDEATHSIG: if this process is killed
      // outright (SIGKILL, a test runner's timeout), the kernel kills the guest with it.
      const [cmd, argv] = (await havePdeathsig())
        ? ["setpriv", ["--pdeathsig", "KILL", "--", "qemu-system-x86_64", ...args]]
        : ["qemu-system-x86_64", args];
      const c = spawn(cmd, argv, { stdio: ["ignore", "ignore", "pipe"] });
      child = c;
      c.stderr!.on("data", (b: Buffer) => { if (stderr.length < 65536) stderr += b.toString(); });
      c.on("exit", (code, sig) => { exitInfo = `exit ${code ?? sig}`; });
      const spawned = await new Promise<Error | undefined>((r) => { c.once("spawn", () => r(undefined)); c.once("error", (e) => r(e)); });
      if (spawned) {
        if ((spawned as NodeJS.ErrnoException).code === "ENOENT") throw new UserError("'qemu-system-x86_64' is not installed (package qemu-system-x86)");
        throw spawned;
      }
      // QEMU fails fast on bad arguments or a taken port; give it a moment to do so.
      await new Promise((r) => setTimeout(r, 300));
      if (exitInfo === undefined) break;
      if (!/host forwarding/i.test(stderr)) {
        throw new UserError(`qemu could not boot '${opts.disk}' (${exitInfo}): ${stderr.trim().split("\n").slice(-3).join(" | ")}`);
      }
    }
    if (exitInfo !== undefined) throw new Error(`qemu could not bind a host port for SSH: ${stderr.trim()}`);
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    const guest: BootedGuest = {
      sshPort, consoleLog, accel, hardware, pid: child!.pid!, qmpSocket,
      ...(agentSocket ? { agentSocket } : {}),
      console: readConsole,
      stop,
    };
    if (opts.waitForSsh === false) return guest;

    const deadline = start + (opts.timeoutMs ?? 180_000);
    // QEMU's own CPU time stands for the vCPU's: a stalled kernel keeps it busy, an idle guest does not.
    const watch = watchStall ? new StallWatch(KVM_STALL_MS) : null;
    for (;;) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("aborted");
      if (watch) {
        const cpu = await processCpuMs(child!.pid!);
        const text = await readConsole();
        const v = watch.observe({ atMs: Date.now(), consoleBytes: Buffer.byteLength(text), agentAnswered: false, activity: cpu === null ? null : { cpuTimeMs: cpu, ioOps: 0 } });
        if (v.stalled) {
          const last = tail(text, 2).replace(/\r/g, "").split("\n").filter((l) => l.trim()).join(" | ");
          await stop();
          throw new KvmStalledError(`${v.reason}${last ? `; last console output: ${last}` : ""}`);
        }
      }
      if (exitInfo !== undefined) {
        throw new Error(`guest from '${opts.disk}' stopped before SSH answered (qemu ${exitInfo}): ${stderr.trim()}\n--- console (last lines) ---\n${tail(await readConsole())}`);
      }
      // Generous: a guest slowed down by TCG may take seconds to fork sshd and send its banner;
      // a port with nothing behind it is closed at once by QEMU anyway.
      const banner = await sshBanner(sshPort, 15_000);
      if (banner) {
        guest.sshReadyMs = Date.now() - start;
        return guest;
      }
      if (Date.now() > deadline) {
        throw new Error(`guest from '${opts.disk}' on ${hardware}/${accel}: no SSH answer on 127.0.0.1:${sshPort} within ${opts.timeoutMs ?? 180_000} ms\n--- console (last lines) ---\n${tail(await readConsole())}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch (e) {
    await stop();
    throw e;
  }
}
