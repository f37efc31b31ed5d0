import type { Probe } from "../probe.js";
import { subsections } from "../probe.js";
import { shQuote } from "../shell.js";

type Icmp = { target: string; sent: number; received: number; maxRttMs: number | null; avgRttMs: number | null };

/**
 * 2.3.e and 2.3.f: 3 echo requests to a private and a public target, both at once so the
 * capture waits for one ping, not two. The private target defaults to the guest's own
 * default gateway, found inside the guest.
 */
export const icmpProbe: Probe = {
  name: "icmp",
  fields: ["icmp"],
  slow: true,
  script(o) {
    if (o.icmpPrivate === null && o.icmpPublic === null) return null;
    const lines = [
      // iputils first (0.5 s interval keeps it under 2 s); busybox ping lacks -i/-n on old builds
      'tiosa_ping() { ping -n -c 3 -i 0.5 -W 2 "$1" >"$2" 2>&1 || { grep -q transmitted "$2" || ping -c 3 -W 2 "$1" >"$2" 2>&1; }; }',
    ];
    const emit: string[] = [];
    for (const [key, t] of [["private", o.icmpPrivate], ["public", o.icmpPublic]] as const) {
      if (t === null) continue;
      if (t === "gateway") {
        lines.push(`t_${key}=$(ip -4 route show default 2>/dev/null | awk '{for(i=1;i<NF;i++) if($i=="via"){print $(i+1); exit}}')`);
      } else {
        lines.push(`t_${key}=${shQuote(t)}`);
      }
      lines.push(`if [ -n "$t_${key}" ]; then tiosa_ping "$t_${key}" "$T/icmp.${key}" & else echo 'no default gateway' >"$T/icmp.${key}"; fi`);
      emit.push(`echo '### ${key}'; echo "target=$t_${key}"; cat "$T/icmp.${key}"`);
    }
    return [...lines, "wait", ...emit].join("\n");
  },
  parse(out) {
    const s = subsections(out.stdout);
    const errors: { probe: string; message: string }[] = [];
    const one = (key: string): Icmp | null => {
      const text = s.get(key);
      if (text === undefined) return null;
      const target = /^target=(.*)$/m.exec(text)?.[1]?.trim() ?? "";
      if (!target) {
        errors.push({ probe: `icmp.${key}`, message: "the guest has no default gateway to ping" });
        return null;
      }
      const r = parsePing(text);
      if (r.sent === 0) errors.push({ probe: `icmp.${key}`, message: `ping ${target}: ${text.split("\n").slice(1).join(" ").trim().slice(0, 300)}` });
      return { target, ...r };
    };
    return { icmp: { private: one("private"), public: one("public") }, ...(errors.length ? { errors } : {}) };
  },
};

/** iputils and busybox ping summaries. */
export function parsePing(text: string): { sent: number; received: number; maxRttMs: number | null; avgRttMs: number | null } {
  const c = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(text);
  const rtt = /(?:rtt|round-trip) min\/avg\/max(?:\/mdev)? = ([\d.]+)\/([\d.]+)\/([\d.]+)/.exec(text);
  const sent = c ? Number(c[1]) : 0, received = c ? Number(c[2]) : 0;
  return {
    sent, received,
    maxRttMs: received > 0 && rtt ? Number(rtt[3]) : null,
    avgRttMs: received > 0 && rtt ? Number(rtt[2]) : null,
  };
}
