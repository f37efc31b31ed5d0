import { access, readdir } from "node:fs/promises";
import { UserError } from "../errors.js";
import { detectAccel } from "../qemu/accel.js";
import { haveCommand } from "../util/exec.js";

/**
 * libguestfs runs guest file systems in its own small appliance VM, never in the host
 * kernel: the way to make or change an untrusted image offline (images, adapt, injection and
 * virt-v2v all use it). The appliance needs a kernel: containers have none under /boot, so a
 * Debian kernel package must be installed (or SUPERMIN_KERNEL/SUPERMIN_MODULES point at one);
 * where KVM cannot run guests the appliance must be told to use TCG, or QEMU aborts.
 */
export interface GuestfsSetup {
  env: NodeJS.ProcessEnv;
  /** The kernel the appliance boots, for messages. */
  kernel: string;
}

/** The environment for guestfish/virt-* tools, or why libguestfs cannot run here. */
export async function guestfsSupport(opts: { tcg: boolean }): Promise<{ ok: true; setup: GuestfsSetup } | { ok: false; reason: string }> {
  if (!(await haveCommand("guestfish"))) return { ok: false, reason: "libguestfs is not installed (Debian package libguestfs-tools)" };
  const env: NodeJS.ProcessEnv = { ...process.env, LIBGUESTFS_BACKEND: process.env.LIBGUESTFS_BACKEND ?? "direct" };
  if (opts.tcg && !env.LIBGUESTFS_BACKEND_SETTINGS) env.LIBGUESTFS_BACKEND_SETTINGS = "force_tcg";
  if (env.SUPERMIN_KERNEL) return { ok: true, setup: { env, kernel: env.SUPERMIN_KERNEL } };
  const kernels = (await readdir("/boot").catch(() => [] as string[])).filter((f) => f.startsWith("vmlinuz-")).sort().reverse();
  for (const k of kernels) {
    const modules = `/lib/modules/${k.slice("vmlinuz-".length)}`;
    if (await access(modules).then(() => true, () => false)) {
      env.SUPERMIN_KERNEL = `/boot/${k}`;
      env.SUPERMIN_MODULES = modules;
      return { ok: true, setup: { env, kernel: `/boot/${k}` } };
    }
  }
  return { ok: false, reason: "libguestfs has no kernel for its appliance: none in /boot with modules in /lib/modules (install linux-image-amd64 or set SUPERMIN_KERNEL and SUPERMIN_MODULES)" };
}

/** Like guestfsSupport, deciding TCG by the accelerator probe; a UserError when it cannot run. */
export async function libguestfsEnv(signal?: AbortSignal): Promise<NodeJS.ProcessEnv> {
  const s = await guestfsSupport({ tcg: (await detectAccel(signal)) === "tcg" });
  if (!s.ok) throw new UserError(s.reason, "install libguestfs-tools and linux-image-amd64 (scripts/setup.sh does)");
  return s.setup.env;
}

/** A guestfish string argument: double-quoted with its escapes. */
export function guestfishQuote(s: string): string {
  if (/[\n\r\0]/.test(s)) throw new Error("guestfish arguments here never contain newlines");
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}
