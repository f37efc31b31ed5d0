import { mkdtemp, rm, writeFile, access, constants } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, haveCommand } from "../util/exec.js";

export type Accel = "kvm" | "tcg";

/**
 * Does KVM really run guests here? /dev/kvm on some machines is a shim that QEMU accepts
 * and that runs simple boot code, but not a bootloader: GRUB prints nothing. Measured: the
 * step that fails is what GRUB does for every disk read, going back from protected mode to
 * real mode and calling the BIOS. This boot sector does exactly that, then prints a marker
 * on COM1 and exits QEMU through isa-debug-exit. TCG: marker in 0.4 s; the shim: nothing.
 *
 * Source (GNU as, --32; ld -Ttext 0x7c00 --oformat binary):
 *   cli; ds=ss=0; sp=0x7c00; lgdt; CR0.PE=1; ljmp 0x08:pm32
 *   pm32 (32-bit): ds=ss=0x10; movl $0x7105a,0x100000; ljmp 0x18:pm16
 *   pm16 (16-bit PM): ds=ss=0x20; CR0.PE=0; ljmp 0:real
 *   real: ds=ss=0; sti; int 0x10 (teletype '.'); print "tiosa-accel-ok" to 0x3f8;
 *         out 0x31 -> 0xf4; hlt
 *   GDT: null, code32, data32, code16, data16
 */
const PROBE_CODE = "fa31c08ed88ed0bc007c0f0116a07c0f20c06683c8010f22c0ea1e7c080066b810008ed88ed0c705000010005a100700ea377c00001800b820008ed88ed00f20c06683e0fe0f22c0ea4d7c000031c08ed88ed0bc007cfbb40eb02ecd10bea67cbaf803ac84c07403eeebf8b031e6f4f4ebfd8db4000066900000000000000000ffff0000009acf00ffff00000092cf00ffff0000009a0000ffff0000009200002700787c000074696f73612d616363656c2d6f6b";
export const PROBE_MARKER = "tiosa-accel-ok";

export function accelProbeSector(): Buffer {
  const s = Buffer.alloc(512);
  Buffer.from(PROBE_CODE, "hex").copy(s);
  s[510] = 0x55;
  s[511] = 0xaa;
  return s;
}

/** Boots the probe sector under `accel`; true when its marker came out of the serial port. */
export async function acceleratorRunsBootloaders(accel: Accel, signal?: AbortSignal): Promise<boolean> {
  if (!(await haveCommand("qemu-system-x86_64"))) return false;
  if (accel === "kvm") {
    try {
      await access("/dev/kvm", constants.R_OK | constants.W_OK);
    } catch {
      return false;
    }
  }
  const dir = await mkdtemp(join(tmpdir(), "tiosa-accel-"));
  try {
    const img = join(dir, "probe.img");
    await writeFile(img, accelProbeSector());
    const r = await run("qemu-system-x86_64", [
      // -cpu host as bootImage uses it with KVM: a shim may also abort on the host model's MSRs.
      "-accel", accel, ...(accel === "kvm" ? ["-cpu", "host"] : []),
      "-machine", "pc", "-m", "64", "-nodefaults", "-display", "none", "-monitor", "none",
      "-serial", "stdio", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
      "-drive", `file=${img},format=raw,if=ide`,
    ], { timeoutMs: 5000, signal });
    return r.stdout.includes(PROBE_MARKER);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** True when KVM runs a bootloader-like guest to its end within a few seconds. */
export function kvmRunsGuests(signal?: AbortSignal): Promise<boolean> {
  return acceleratorRunsBootloaders("kvm", signal);
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
