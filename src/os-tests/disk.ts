import type { GuestState } from "../snapshot/schema.js";
import { filesystemsProbe } from "../guest/probes/filesystems.js";
import { listSome, percentDeviation } from "../evaluate/rule.js";
import { formatBytes } from "../util/bytes.js";
import { probeSize } from "./observed.js";
import type { OsTest } from "./os-test.js";

type Fs = NonNullable<GuestState["filesystems"]>[number];

/** 2.2.c Disk: same mount points and sizes / other mount points, same sizes / further deviations. */
export const disk: OsTest<Fs[]> = {
  definition: { id: "2.2.c", name: "Disk", group: "2.2 Check resources", level: "os", rule: "disks", success: "same mount points, for all size not changed", warning: "different mount points, for all size not changed", failure: "further deviations" },
  probe: filesystemsProbe,
  field: "filesystems",
  value: (g) => g.filesystems,
  show: (list) => list.length === 0 ? "(none)" : list.map((f) => `${f.mountpoint} ${formatBytes(f.sizeBytes)} on ${f.device}`).join(", "),
  decide(s, t, input) {
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
  },
  observed: (g) => (g.filesystems ? g.filesystems.map((f) => `${f.mountpoint} ${f.fstype} ${probeSize(f.sizeBytes)} (${f.device})`).join("; ") : null),
};
