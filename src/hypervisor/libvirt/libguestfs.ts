import { access, readdir } from "node:fs/promises";
import { run, runOk } from "../../util/exec.js";

/**
 * libguestfs (guestfish) on a stopped libvirt domain's disks: how Nova injected network
 * configuration and files into guests. The guest file system is only ever opened inside
 * libguestfs's own appliance VM, never mounted in this host's kernel.
 *
 * The appliance needs a kernel: on hosts without one in /boot (containers) point
 * SUPERMIN_KERNEL/SUPERMIN_MODULES at a Debian kernel; where KVM cannot run guests it must
 * be told to use TCG (LIBGUESTFS_BACKEND_SETTINGS=force_tcg), or QEMU aborts.
 */

export interface GuestfsEnv {
  env: NodeJS.ProcessEnv;
  /** The kernel the appliance boots, for messages. */
  kernel: string;
}

/** A kernel with its modules for the appliance, or why there is none. */
export async function guestfsSupport(opts: { tcg: boolean }): Promise<{ ok: true; setup: GuestfsEnv } | { ok: false; reason: string }> {
  if ((await run("sh", ["-c", "command -v guestfish"], { timeoutMs: 5000 })).code !== 0) {
    return { ok: false, reason: "libguestfs is not installed (Debian package libguestfs-tools)" };
  }
  const env: NodeJS.ProcessEnv = { ...process.env, LIBGUESTFS_BACKEND: process.env.LIBGUESTFS_BACKEND ?? "direct" };
  if (opts.tcg) env.LIBGUESTFS_BACKEND_SETTINGS = [process.env.LIBGUESTFS_BACKEND_SETTINGS, "force_tcg"].filter(Boolean).join(":");
  if (process.env.SUPERMIN_KERNEL) return { ok: true, setup: { env, kernel: process.env.SUPERMIN_KERNEL } };
  const boot = await readdir("/boot").catch(() => [] as string[]);
  const kernels = boot.filter((f) => /^vmlinuz-/.test(f)).sort().reverse();
  for (const k of kernels) {
    const version = k.slice("vmlinuz-".length);
    const modules = `/lib/modules/${version}`;
    if (await access(modules).then(() => true, () => false) && await access(`/boot/${k}`).then(() => true, () => false)) {
      env.SUPERMIN_KERNEL = `/boot/${k}`;
      env.SUPERMIN_MODULES = modules;
      return { ok: true, setup: { env, kernel: `/boot/${k}` } };
    }
  }
  return { ok: false, reason: "libguestfs has no kernel for its appliance: none in /boot with modules in /lib/modules (install linux-image-amd64 or set SUPERMIN_KERNEL and SUPERMIN_MODULES)" };
}

/**
 * Runs a guestfish script (one command per line) against the inspected OS of a stopped
 * domain. `rw` opens the disks writable; guestfish itself refuses a running domain.
 */
export async function guestfish(setup: GuestfsEnv, uri: string, domain: string, script: string, opts: { rw: boolean; signal?: AbortSignal }): Promise<string> {
  const r = await runOk("guestfish", [opts.rw ? "--rw" : "--ro", "-c", uri, "-d", domain, "-i"], {
    input: script, env: setup.env, timeoutMs: 900_000, signal: opts.signal,
  });
  return r.stdout;
}

/** A guestfish string argument: double-quoted with its escapes. */
export function guestfishQuote(s: string): string {
  if (/[\n\r\0]/.test(s)) throw new Error("guestfish arguments here never contain newlines");
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}
