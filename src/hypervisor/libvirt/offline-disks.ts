import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { guestfishQuote, guestfsSupport } from "../../libguestfs/env.js";
import type { OfflineDiskAccess } from "../capabilities.js";
import { guestfish } from "./libguestfs.js";

/** Reads `exists` answers of guestfish ("true"/"false" per line) in order. */
export function parseExists(out: string): boolean[] {
  return out.split("\n").map((l) => l.trim()).filter((l) => l === "true" || l === "false").map((l) => l === "true");
}

/**
 * Offline disk access on libvirt: libguestfs (guestfish -d DOMAIN -i) on a stopped local
 * domain, the way Nova injected network configuration and files into guests. The guest file
 * system is only ever opened inside libguestfs's own appliance VM.
 */
export function libvirtOfflineDisks(uri: string, local: boolean, accel: (signal?: AbortSignal) => Promise<"kvm" | "tcg">): OfflineDiskAccess {
  let support: Awaited<ReturnType<typeof guestfsSupport>> | undefined;
  const setup = async (signal?: AbortSignal) => {
    support ??= await guestfsSupport({ tcg: (await accel(signal)) === "tcg" });
    if (!support.ok) throw new Error(`libguestfs: ${support.reason}`);
    return support.setup;
  };
  return {
    tool: "libguestfs",
    async check(signal) {
      if (!local) return { ok: false, reason: `libguestfs reaches disks of local domains only; '${uri}' is remote` };
      support ??= await guestfsSupport({ tcg: (await accel(signal)) === "tcg" });
      return support.ok ? { ok: true, how: `kernel ${support.setup.kernel}` } : { ok: false, reason: support.reason };
    },
    async exists(vm, paths, signal) {
      const out = await guestfish(await setup(signal), uri, vm, paths.map((p) => `exists ${guestfishQuote(p)}`).join("\n") + "\n", { rw: false, signal });
      return parseExists(out);
    },
    async writeFiles(vm, files, signal) {
      const dir = await mkdtemp(join(tmpdir(), "tiosa-inject-"));
      try {
        const script: string[] = [];
        for (const [i, f] of files.entries()) {
          const hostCopy = join(dir, `file${i}`);
          await writeFile(hostCopy, f.content);
          if (f.makeParents) script.push(`mkdir-p ${guestfishQuote(f.path.replace(/\/[^/]+$/, ""))}`);
          script.push(`upload ${guestfishQuote(hostCopy)} ${guestfishQuote(f.path)}`, `chmod ${f.mode} ${guestfishQuote(f.path)}`);
        }
        await guestfish(await setup(signal), uri, vm, script.join("\n") + "\n", { rw: true, signal });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    async removeFiles(vm, paths, signal) {
      await guestfish(await setup(signal), uri, vm, paths.map((p) => `rm-f ${guestfishQuote(p)}`).join("\n") + "\n", { rw: true, signal });
    },
  };
}
