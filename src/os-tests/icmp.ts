import type { GuestState } from "../snapshot/schema.js";
import { icmpProbe } from "../guest/probes/icmp.js";
import type { OsTest } from "./os-test.js";

type Icmp = NonNullable<NonNullable<GuestState["icmp"]>["private"]>;

/**
 * 2.3.e ICMP private IP and 2.3.f ICMP public IP: judged on the target's measurement; the
 * source's is shown for reference. One probe pings both targets at once.
 */
function icmpTest(id: "2.3.e" | "2.3.f", name: string, which: "private" | "public"): OsTest<Icmp> {
  return {
    definition: { id, name, group: "2.3 Connectivity", level: "os", rule: "icmp", success: "3 packages sent, 0% loss, < 3000ms", warning: "3 packages sent, < 33% loss, < 6000ms", failure: "higher loss or latency" },
    probe: icmpProbe,
    field: "icmp",
    value: (g) => g.icmp?.[which],
    show: (p) => `${p.target}: ${p.received}/${p.sent} replies${p.maxRttMs != null ? `, max ${p.maxRttMs} ms` : ""}`,
    decide(_s, t, input) {
      const th = input.profile.thresholds.icmp;
      const loss = t.sent === 0 ? 100 : ((t.sent - t.received) / t.sent) * 100;
      const rtt = th.rtt === "avg" ? t.avgRttMs ?? t.maxRttMs : t.maxRttMs;
      const lossText = `${Number.isInteger(loss) ? loss : loss.toFixed(1)}% loss`;
      if (t.sent !== th.packets) return { verdict: "FAILURE", reason: `${t.sent} packets sent, the rule needs ${th.packets}` };
      if (rtt == null || t.received === 0) return { verdict: "FAILURE", reason: `no reply from ${t.target} (${lossText})` };
      if (loss <= th.success.maxLossPercent && rtt < th.success.rttBelowMs) return { verdict: "SUCCESS", reason: `${lossText}, ${th.rtt} ${rtt} ms < ${th.success.rttBelowMs} ms` };
      if (loss < th.warning.lossBelowPercent && rtt < th.warning.rttBelowMs) return { verdict: "WARNING", reason: `${lossText}, ${th.rtt} ${rtt} ms (< ${th.warning.lossBelowPercent}% loss, < ${th.warning.rttBelowMs} ms)` };
      return { verdict: "FAILURE", reason: `${lossText}, ${th.rtt} ${rtt} ms: higher loss or latency than ${th.warning.lossBelowPercent}% / ${th.warning.rttBelowMs} ms` };
    },
    observed(g) {
      const i = g.icmp?.[which];
      return i ? `${i.target}: ${i.received}/${i.sent} replies${i.maxRttMs !== null ? `, max ${i.maxRttMs} ms` : ""}` : null;
    },
  };
}

export const icmpPrivateIp = icmpTest("2.3.e", "ICMP private IP", "private");
export const icmpPublicIp = icmpTest("2.3.f", "ICMP public IP", "public");
