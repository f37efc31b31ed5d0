import { compareGuestValues, percentDeviation, listSome, type Rule } from "./rule.js";
import { formatBytes } from "../util/bytes.js";

/**
 * Splits `uname -r` into version and revision: the first `versionComponents` dotted
 * numbers are the version (6.1 for "6.1.0-50-amd64" with the default 2); everything
 * after is the revision (patch level, ABI number, flavour).
 */
export function splitKernelRelease(release: string, versionComponents: number): { version: string; revision: string } {
  const m = /^(\d+(?:\.\d+)*)(.*)$/.exec(release.trim());
  if (!m) return { version: release.trim(), revision: "" };
  const nums = m[1]!.split(".");
  return { version: nums.slice(0, versionComponents).join("."), revision: nums.slice(versionComponents).join(".") + m[2]! };
}

/** 2.1.a Kernel Version: no change / revision change / version change or arch change. */
export const kernelRule: Rule = (input) =>
  compareGuestValues(input, (s) => s.guest?.kernel, (k) => `${k.release} (${k.arch})`, (s, t) => {
    if (s.arch !== t.arch) return { verdict: "FAILURE", reason: `architecture changed from ${s.arch} to ${t.arch}` };
    if (s.release === t.release) return { verdict: "SUCCESS", reason: "no change" };
    const n = input.profile.thresholds.kernel.versionComponents;
    const a = splitKernelRelease(s.release, n), b = splitKernelRelease(t.release, n);
    if (a.version !== b.version) return { verdict: "FAILURE", reason: `kernel version changed from ${a.version} to ${b.version}` };
    return { verdict: "WARNING", reason: `kernel revision changed (${s.release} -> ${t.release}), version ${a.version} kept` };
  });

function deviationVerdict(source: number, target: number, warnPercent: number, samePercent: number, what: string) {
  if (source === target) return { verdict: "SUCCESS" as const, reason: "no change" };
  const dev = percentDeviation(source, target);
  const shown = Number.isFinite(dev) ? `${dev.toFixed(dev < 1 ? 2 : 1)}%` : "from nothing";
  const dir = target > source ? "more" : "less";
  if (dev <= samePercent) return { verdict: "SUCCESS" as const, reason: `${shown} ${dir} ${what}, within the ${samePercent}% counted as no change` };
  if (dev <= warnPercent) return { verdict: "WARNING" as const, reason: `${shown} ${dir} ${what} (within ${warnPercent}%)` };
  return { verdict: "FAILURE" as const, reason: `${shown} ${dir} ${what}, beyond ${warnPercent}%` };
}

/** 2.2.a CPU: no change / +10% / higher deviation (deviation either way, as a share of the source). */
export const cpuRule: Rule = (input) =>
  compareGuestValues(input, (s) => s.guest?.cpu, (c) => `${c.count} CPU${c.count === 1 ? "" : "s"}`, (s, t) =>
    deviationVerdict(s.count, t.count, input.profile.thresholds.cpu.warnDeviationPercent, 0, "CPUs"));

/** 2.2.b MEM: no change / +10% / higher deviation, on the guest's MemTotal. */
export const memoryRule: Rule = (input) =>
  compareGuestValues(input, (s) => s.guest?.memory, (m) => formatBytes(m.totalBytes), (s, t) => {
    const th = input.profile.thresholds.memory;
    return deviationVerdict(s.totalBytes, t.totalBytes, th.warnDeviationPercent, th.sameWithinPercent, "memory");
  });

type Fs = { mountpoint: string; sizeBytes: number; device: string };

/** 2.2.c Disk: same mount points and sizes / other mount points, same sizes / further deviations. */
export const disksRule: Rule = (input) =>
  compareGuestValues(input, (s) => s.guest?.filesystems,
    (list) => list.length === 0 ? "(none)" : list.map((f) => `${f.mountpoint} ${formatBytes(f.sizeBytes)} on ${f.device}`).join(", "),
    (s, t) => {
      const tol = input.profile.thresholds.disks.sizeTolerancePercent;
      const sameSize = (a: number, b: number) => a === b || percentDeviation(a, b) <= tol;
      const byMount = (l: Fs[]) => new Map(l.map((f) => [f.mountpoint, f]));
      const sm = byMount(s), tm = byMount(t);
      const sameMounts = sm.size === tm.size && [...sm.keys()].every((k) => tm.has(k));
      const devices = [...sm.values()].filter((f) => tm.has(f.mountpoint) && tm.get(f.mountpoint)!.device !== f.device)
        .map((f) => `${f.mountpoint}: ${f.device} -> ${tm.get(f.mountpoint)!.device}`);
      const deviceNote = devices.length ? ` (devices renamed: ${listSome(devices)})` : "";
      if (sameMounts) {
        const resized = [...sm.values()].filter((f) => !sameSize(f.sizeBytes, tm.get(f.mountpoint)!.sizeBytes))
          .map((f) => `${f.mountpoint} ${formatBytes(f.sizeBytes)} -> ${formatBytes(tm.get(f.mountpoint)!.sizeBytes)}`);
        if (resized.length === 0) return { verdict: "SUCCESS", reason: `same mount points, sizes unchanged${deviceNote}` };
        return { verdict: "FAILURE", reason: `size changed: ${listSome(resized)}` };
      }
      // Mount points differ: the paper still warns only if every size is kept.
      const ss = s.map((f) => f.sizeBytes).sort((a, b) => a - b), ts = t.map((f) => f.sizeBytes).sort((a, b) => a - b);
      const gone = [...sm.keys()].filter((k) => !tm.has(k)), added = [...tm.keys()].filter((k) => !sm.has(k));
      const mounts = [gone.length ? `gone: ${listSome(gone)}` : "", added.length ? `new: ${listSome(added)}` : ""].filter(Boolean).join(", ");
      if (ss.length === ts.length && ss.every((v, i) => sameSize(v, ts[i]!))) {
        return { verdict: "WARNING", reason: `different mount points (${mounts}), sizes unchanged` };
      }
      return { verdict: "FAILURE", reason: `mount points (${mounts}) and sizes differ` };
    });
