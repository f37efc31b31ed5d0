import { runOk } from "../../util/exec.js";
import type { GuestfsSetup } from "../../libguestfs/env.js";

/**
 * libguestfs (guestfish) on a stopped libvirt domain's disks: how Nova injected network
 * configuration and files into guests. The guest file system is only ever opened inside
 * libguestfs's own appliance VM, never mounted in this host's kernel.
 */
/**
 * Runs a guestfish script (one command per line) against the inspected OS of a stopped
 * domain. `rw` opens the disks writable; guestfish itself refuses a running domain.
 */
export async function guestfish(setup: GuestfsSetup, uri: string, domain: string, script: string, opts: { rw: boolean; signal?: AbortSignal }): Promise<string> {
  const r = await runOk("guestfish", [opts.rw ? "--rw" : "--ro", "-c", uri, "-d", domain, "-i"], {
    input: script, env: setup.env, timeoutMs: 900_000, signal: opts.signal,
  });
  return r.stdout;
}
