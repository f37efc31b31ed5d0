import type { GuestState } from "../snapshot/schema.js";
import { osProbe } from "../guest/probes/os.js";
import type { OsTest } from "./os-test.js";

type Kernel = NonNullable<GuestState["kernel"]>;

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
export const kernelVersion: OsTest<Kernel> = {
  definition: { id: "2.1.a", name: "Kernel Version", group: "2.1 OS metadata", level: "os", rule: "kernel", success: "no change", warning: "revision change", failure: "version change or arch change" },
  probe: osProbe,
  field: "kernel",
  value: (g) => g.kernel,
  show: (k) => `${k.release} (${k.arch})`,
  decide(s, t, input) {
    if (s.arch !== t.arch) return { verdict: "FAILURE", reason: `architecture changed from ${s.arch} to ${t.arch}` };
    if (s.release === t.release) return { verdict: "SUCCESS", reason: "no change" };
    const n = input.profile.thresholds.kernel.versionComponents;
    const a = splitKernelRelease(s.release, n), b = splitKernelRelease(t.release, n);
    if (a.version !== b.version) return { verdict: "FAILURE", reason: `kernel version changed from ${a.version} to ${b.version}` };
    return { verdict: "WARNING", reason: `kernel revision changed (${s.release} -> ${t.release}), version ${a.version} kept` };
  },
  observed: (g) => (g.kernel ? `${g.kernel.release} ${g.kernel.arch}` : null),
};
