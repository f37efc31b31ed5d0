import type { GuestState } from "../snapshot/schema.js";
import { resourcesProbe } from "../guest/probes/resources.js";
import { deviationVerdict } from "../evaluate/rule.js";
import type { OsTest } from "./os-test.js";

type Cpu = NonNullable<GuestState["cpu"]>;

/** 2.2.a CPU: no change / +10% / higher deviation (deviation either way, as a share of the source). */
export const cpu: OsTest<Cpu> = {
  definition: { id: "2.2.a", name: "CPU", group: "2.2 Check resources", level: "os", rule: "resource-count", success: "no change", warning: "+10%", failure: "higher deviation" },
  probe: resourcesProbe,
  field: "cpu",
  value: (g) => g.cpu,
  show: (c) => `${c.count} CPU${c.count === 1 ? "" : "s"}`,
  decide: (s, t, input) => deviationVerdict(s.count, t.count, input.profile.thresholds.cpu.warnDeviationPercent, 0, "CPUs"),
  observed: (g) => (g.cpu ? `${g.cpu.count}${g.cpu.model ? ` x ${g.cpu.model}` : ""}` : null),
};
