import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, haveCommand } from "../util/exec.js";

/**
 * A 512-byte boot sector that prints a marker on COM1 and halts. Booting it with
 * `-accel kvm` proves KVM really runs guest code: on these machines /dev/kvm is a shim
 * that QEMU accepts but that cannot run SeaBIOS, so the device's presence proves nothing.
 */
export const ACCEL_MARKER = "tiosa-accel-ok";

export function probeBootSector(): Buffer {
  const code = [
    0xfa, //             cli
    0x31, 0xc0, //       xor ax,ax
    0x8e, 0xd8, //       mov ds,ax
    0xfc, //             cld
    0xbe, 0x00, 0x00, // mov si,msg (patched below)
    0xba, 0xf8, 0x03, // mov dx,0x3f8
    0xac, //             l: lodsb
    0x84, 0xc0, //       test al,al
    0x74, 0x03, //       jz done
    0xee, //             out dx,al
    0xeb, 0xf8, //       jmp l
    0xf4, //             done: hlt
    0xeb, 0xfd, //       jmp done
  ];
  const msgOffset = 0x7c00 + code.length;
  code[7] = msgOffset & 0xff;
  code[8] = msgOffset >> 8;
  const sector = Buffer.alloc(512);
  Buffer.from(code).copy(sector, 0);
  Buffer.from(ACCEL_MARKER + "\0", "latin1").copy(sector, code.length);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

let cached: Promise<"kvm" | "tcg"> | undefined;

/** Boots the probe sector under an accelerator; true when the marker came out of its serial port. */
export async function acceleratorRunsGuests(accel: "kvm" | "tcg", signal?: AbortSignal): Promise<boolean> {
  const dir = await mkdtemp(join(tmpdir(), "tiosa-accel-"));
  try {
    const img = join(dir, "probe.img");
    await writeFile(img, probeBootSector());
    const r = await run("qemu-system-x86_64", [
      "-accel", accel, "-machine", "pc", "-m", "16", "-display", "none", "-monitor", "none",
      "-serial", "stdio", "-no-reboot", "-drive", `file=${img},format=raw,if=ide`,
    ], { timeoutMs: 8000, signal });
    return r.stdout.includes(ACCEL_MARKER);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * kvm when KVM really runs a guest here, tcg otherwise (measured once per process).
 * Set TIOSA_ACCEL=kvm|tcg to skip the probe.
 */
export function detectLocalAccel(signal?: AbortSignal): Promise<"kvm" | "tcg"> {
  const forced = process.env.TIOSA_ACCEL;
  if (forced === "kvm" || forced === "tcg") return Promise.resolve(forced);
  cached ??= (async () => {
    if (!(await haveCommand("qemu-system-x86_64"))) return "tcg";
    return (await acceleratorRunsGuests("kvm", signal)) ? "kvm" : "tcg";
  })();
  return cached;
}
