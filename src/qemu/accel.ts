import { mkdtemp, rm, writeFile, access, constants } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, haveCommand } from "../util/exec.js";

export type Accel = "kvm" | "tcg";

/**
 * A boot sector that writes 0x31 to QEMU's isa-debug-exit port: QEMU then exits with
 * status (0x31 << 1) | 1 = 99. Only a guest that really executes code gets there, which is
 * the point: on these machines /dev/kvm is a shim that QEMU accepts but that cannot even
 * run SeaBIOS, so the device's presence proves nothing.
 */
export function kvmProbeSector(): Buffer {
  const sector = Buffer.alloc(512);
  Buffer.from([
    0xb0, 0x31, //  mov al, 0x31
    0xe6, 0xf4, //  out 0xf4, al
    0xf4, //        hlt
    0xeb, 0xfd, //  jmp $-1
  ]).copy(sector);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

export const PROBE_EXIT_STATUS = 99;

/** True when KVM runs the probe sector to its end within a few seconds. */
export async function kvmRunsGuests(signal?: AbortSignal): Promise<boolean> {
  try {
    await access("/dev/kvm", constants.R_OK | constants.W_OK);
  } catch {
    return false;
  }
  const dir = await mkdtemp(join(tmpdir(), "tiosa-kvm-probe-"));
  try {
    const img = join(dir, "probe.img");
    await writeFile(img, kvmProbeSector());
    const r = await run("qemu-system-x86_64", [
      // -cpu host as bootImage uses it: the shim here accepts plain KVM guests for a few
      // instructions but aborts on the host CPU model's MSRs (and later fails in SeaBIOS/GRUB).
      "-accel", "kvm", "-cpu", "host", "-machine", "pc", "-m", "64", "-nodefaults", "-display", "none",
      "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
      "-drive", `file=${img},format=raw,if=ide`,
    ], { timeoutMs: 10_000, signal });
    return r.code === PROBE_EXIT_STATUS;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let cached: Promise<Accel> | undefined;

/**
 * `kvm` when KVM really runs a guest on this machine, else `tcg`. Probed once per process;
 * TIOSA_ACCEL=kvm|tcg skips the probe.
 */
export function detectAccel(signal?: AbortSignal): Promise<Accel> {
  const forced = process.env.TIOSA_ACCEL;
  if (forced === "kvm" || forced === "tcg") return Promise.resolve(forced);
  cached ??= (async (): Promise<Accel> => {
    if (!(await haveCommand("qemu-system-x86_64"))) return "tcg";
    return (await kvmRunsGuests(signal)) ? "kvm" : "tcg";
  })();
  // A failed probe (e.g. aborted) must not poison the cache for the rest of the process.
  cached.catch(() => { cached = undefined; });
  return cached;
}
