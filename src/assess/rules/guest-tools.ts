import { GUEST_TOOLS } from "../../adapt/devices.js";
import type { AssessRule, Finding } from "../concern.js";

/** Another family's guest tools fail at every boot; the target's own are missing. */
export const guestTools: AssessRule = {
  id: "guest-tools",
  severity: "info",
  title: "Guest tools: another hypervisor's are installed, or the target's are missing",
  origin: "virt-v2v removes VMware Tools and Hyper-V daemons and installs qemu-guest-agent; Forklift warns on a VM without its guest agent",
  needs: "facts",
  predicts: [],
  remedy: "the adapt route disables another family's tools (kept installed, undo re-enables them); install the target's (qemu-guest-agent, open-vm-tools, hyperv-daemons, xe-guest-utilities)",
  check({ subject, target }) {
    const f = subject.facts;
    if (!f) return [];
    const out: Finding[] = [];
    for (const t of GUEST_TOOLS) {
      if (t.family === target.name || !f.installedPackages.includes(t.pkg) || t.note) continue;
      out.push({ severity: "warning", detail: `${t.pkg} (${t.family}'s guest tools) is installed; on '${target.name}' its units (${t.units.join(", ")}) find no ${t.family} interface and fail at every boot`, evidence: [`installed package ${t.pkg}`] });
    }
    const own = GUEST_TOOLS.find((t) => t.family === target.name);
    if (own && !f.installedPackages.includes(own.pkg)) out.push({ detail: `${own.pkg}, '${target.name}''s guest tools, is not installed: the hypervisor cannot ask the guest for its addresses or shut it down cleanly through them`, evidence: [`no ${own.pkg} among the installed packages`] });
    return out;
  },
};
