import type { AssessRule, Finding } from "../concern.js";

const GiB = 2 ** 30;

export const resourcesBeyondTarget: AssessRule = {
  id: "resources-beyond-target",
  severity: "critical",
  title: "More vCPUs or memory than the target's hypervisor gives one VM",
  origin: "the vendors' configuration maximums, as each hardware family records them (`limits`)",
  needs: "inventory",
  predicts: [{ test: "1.1.a", verdict: "FAILURE" }],
  remedy: "shrink the VM before the move, or pick a target whose maximums fit",
  check({ subject, target }) {
    const inv = subject.inventory, lim = target.limits;
    if (!inv || !lim) return [];
    const out: Finding[] = [];
    if (inv.cpu.count !== null && inv.cpu.count > lim.vcpus) out.push({ detail: `${inv.cpu.count} vCPUs; '${target.name}' (${target.standsFor}) gives a VM at most ${lim.vcpus} (${lim.source})`, evidence: [`${subject.source}: ${inv.cpu.count} vCPUs`] });
    if (inv.memoryBytes !== null && inv.memoryBytes > lim.memoryBytes) out.push({ detail: `${(inv.memoryBytes / GiB).toFixed(0)} GiB of memory; '${target.name}' (${target.standsFor}) gives a VM at most ${(lim.memoryBytes / GiB).toFixed(0)} GiB (${lim.source})`, evidence: [`${subject.source}: memory ${inv.memoryBytes} bytes`] });
    return out;
  },
};
