import type { AssessRule } from "../concern.js";

const MiB = 2 ** 20;
/** virt-v2v's minimums (convert/convert.ml): packages and drivers go to /, a new initramfs to /boot. */
const NEEDED: Record<string, number> = { "/": 100 * MiB, "/boot": 50 * MiB };

export const freeSpace: AssessRule = {
  id: "free-space",
  severity: "warning",
  title: "Too little free space in the guest for a conversion",
  origin: "virt-v2v's free-space check (100 MB on /, 50 MB on /boot: \"not enough free space for conversion\"); Forklift's guest free-space rule",
  needs: "facts",
  predicts: [],
  remedy: "free space in the guest, or grow its disk and file system, before the move (a conversion rebuilds the initramfs in /boot and installs drivers)",
  check({ subject }) {
    const f = subject.facts;
    if (!f) return [];
    return f.freeSpace.filter((s) => NEEDED[s.mount] !== undefined && s.bytes < NEEDED[s.mount]!).map((s) => ({
      detail: `${s.mount} has ${(s.bytes / MiB).toFixed(1)} MiB free, under the ${NEEDED[s.mount]! / MiB} MiB virt-v2v requires: a virt-v2v route stops before converting, and a new initramfs may not fit`,
      evidence: [`statfs ${s.mount}: ${s.bytes} bytes free`],
    }));
  },
};
