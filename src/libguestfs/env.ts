import { access, readdir } from "node:fs/promises";
import { UserError } from "../errors.js";
import { detectAccel, kvmFallbackAllowed, markKvmUnusable } from "../qemu/accel.js";
import { haveCommand, run } from "../util/exec.js";

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
  const accel = await detectAccel(signal);
  let s = await guestfsSupport({ tcg: accel === "tcg" });
  if (!s.ok) throw new UserError(s.reason, "install libguestfs-tools and linux-image-amd64 (scripts/setup.sh does)");
  // Settings of the user's own (LIBGUESTFS_BACKEND_SETTINGS) are left as they are.
  if (accel === "kvm" && s.setup.env.LIBGUESTFS_BACKEND_SETTINGS === undefined && kvmFallbackAllowed()) {
    const stalled = await applianceStallsUnderKvm(s.setup.env, signal);
    if (stalled) {
      await markKvmUnusable(stalled);
      s = { ok: true, setup: { ...s.setup, env: { ...s.setup.env, LIBGUESTFS_BACKEND_SETTINGS: "force_tcg" } } };
    }
  }
  return s.setup.env;
}

/** Real KVM starts the appliance in seconds; supermin may first build it (a minute on a slow disk). */
const APPLIANCE_KVM_DEADLINE_MS = 180_000;
let applianceCheck: Promise<string | null> | undefined;

/**
 * Where the probe chose KVM, the appliance is started once per process under KVM before any
 * real work: null when it runs, else what went wrong (then TCG for the rest of the run, as for
 * a stalled guest). Its own kernel is the probe's, so this rarely differs; it is the same
 * fallback guests get.
 */
function applianceStallsUnderKvm(env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<string | null> {
  applianceCheck ??= (async () => {
    const r = await run("guestfish", ["-a", "/dev/null", "run"], { env, timeoutMs: APPLIANCE_KVM_DEADLINE_MS, signal });
    if (r.code === 0) return null;
    return r.timedOut
      ? `libguestfs' appliance did not start under KVM within ${APPLIANCE_KVM_DEADLINE_MS / 1000} s`
      : `libguestfs' appliance failed under KVM: ${r.stderr.trim().split("\n").pop() ?? `exit ${r.code}`}`;
  })();
  applianceCheck.catch(() => { applianceCheck = undefined; });
  return applianceCheck;
}

/** A guestfish string argument: double-quoted with its escapes. */
export function guestfishQuote(s: string): string {
  if (/[\n\r\0]/.test(s)) throw new Error("guestfish arguments here never contain newlines");
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}
