/**
 * Telling a guest that KVM stalls from one that boots slowly. Measured on this project's
 * machines: a /dev/kvm shim runs GRUB, which prints "Loading initial ramdisk ...", and then
 * the kernel never prints again while QEMU burns a whole core. A slow guest (TCG, a loaded
 * host) keeps writing its console, reading its disk or talking on its network, and an idle
 * one (booted, at a prompt) leaves its vCPU idle. So a stall is: no progress of any kind for
 * a bounded time while the vCPU keeps running, whatever the console showed before.
 */

/**
 * A kvm guest that makes no progress this long (no new console bytes, no disk or network I/O,
 * no guest-agent answer) while its vCPU keeps running is taken as KVM unable to run it. Real
 * KVM boots a Debian guest in seconds and never goes quiet that long while busy.
 */
export const KVM_STALL_MS = 30_000;

/** Hypervisor-side counters of a running VM (libvirt: `virsh domstats --vcpu --block --interface`). */
export interface VmActivity {
  /** vCPU time used so far, all vCPUs, in ms. */
  cpuTimeMs: number;
  /** Disk requests plus network packets so far: anything the guest did to the outside. */
  ioOps: number;
}

export interface ProgressSample {
  /** Milliseconds on any monotonic clock. */
  atMs: number;
  /** Bytes the guest wrote to its serial console so far; null when the console cannot be read (remote host). */
  consoleBytes: number | null;
  /** The guest agent answered this time: the OS runs. */
  agentAnswered: boolean;
  /** Counters, when the driver reports them. */
  activity: VmActivity | null;
}

export type StallVerdict = { stalled: false } | { stalled: true; reason: string };

/**
 * Fed one sample per poll; says when the guest has stalled. Once the guest agent has
 * answered, the OS runs and the watch says no more.
 */
export class StallWatch {
  private lastProgressAt: number | null = null;
  private consoleBytes: number | null = null;
  private ioOps: number | null = null;
  private cpuAtProgress: number | null = null;
  private agentSeen = false;

  constructor(readonly stallMs: number) {}

  observe(s: ProgressSample): StallVerdict {
    if (this.agentSeen || s.agentAnswered) {
      this.agentSeen = true;
      return { stalled: false };
    }
    const progressed = this.lastProgressAt === null
      || (s.consoleBytes !== null && s.consoleBytes > (this.consoleBytes ?? 0))
      || (s.activity !== null && this.ioOps !== null && s.activity.ioOps !== this.ioOps);
    if (s.consoleBytes !== null) this.consoleBytes = s.consoleBytes;
    if (s.activity) this.ioOps = s.activity.ioOps;
    if (progressed) {
      this.lastProgressAt = s.atMs;
      this.cpuAtProgress = s.activity?.cpuTimeMs ?? null;
      return { stalled: false };
    }
    const quietMs = s.atMs - this.lastProgressAt!;
    if (quietMs < this.stallMs) return { stalled: false };
    const what = `no new console output${s.activity ? ", disk or network I/O" : ""} and no guest-agent answer for ${Math.round(quietMs / 1000)} s`
      + (s.consoleBytes ? ` after ${s.consoleBytes} bytes of console output` : s.consoleBytes === 0 ? " (the console stayed empty)" : "");
    if (s.activity && this.cpuAtProgress !== null) {
      const busyMs = s.activity.cpuTimeMs - this.cpuAtProgress;
      // An idle vCPU is a guest waiting for something (a prompt, a timer), not KVM failing it.
      if (busyMs < quietMs / 2) return { stalled: false };
      return { stalled: true, reason: `${what}, while its vCPU ran ${(busyMs / 1000).toFixed(1)} s of them` };
    }
    return { stalled: true, reason: what };
  }
}
