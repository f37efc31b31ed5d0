import type { GuestState } from "../snapshot/schema.js";
import { resourcesProbe } from "../guest/probes/resources.js";
import { deviationVerdict } from "../evaluate/rule.js";
import { formatBytes } from "../util/bytes.js";
import { probeSize } from "./observed.js";
import type { OsTest } from "./os-test.js";

type Memory = NonNullable<GuestState["memory"]>;

/** 2.2.b MEM: no change / +10% / higher deviation, on the guest's MemTotal. */
export const memory: OsTest<Memory> = {
  definition: { id: "2.2.b", name: "MEM", group: "2.2 Check resources", level: "os", rule: "resource-bytes", success: "no change", warning: "+10%", failure: "higher deviation" },
  probe: resourcesProbe,
  field: "memory",
  value: (g) => g.memory,
  show: (m) => formatBytes(m.totalBytes),
  decide(s, t, input) {
    const th = input.profile.thresholds.memory;
    return deviationVerdict(s.totalBytes, t.totalBytes, th.warnDeviationPercent, th.sameWithinPercent, "memory");
  },
  observed: (g) => (g.memory ? probeSize(g.memory.totalBytes) : null),
};
