import { stat } from "node:fs/promises";
import type { Command, CommandContext } from "../command.js";
import { UserError } from "../../errors.js";
import { renderTable } from "../../util/table.js";
import { openTransport } from "../../guest/connect.js";
import type { GuestTransport } from "../../guest/transport.js";
import { getFamily, loadFamilyFile } from "../../hypervisor/families/index.js";
import { applyPlan, listAdaptations, readGuestFacts, undoAdaptation, type AdaptSource } from "../../adapt/apply.js";
import { targetHardwareOf } from "../../adapt/devices.js";
import { describePlanItem, planAdaptation, planChanges, type AdaptPlan } from "../../adapt/plan.js";
import { GuestfishSession } from "../../adapt/guestfs.js";

const ACTIONS = ["plan", "apply", "undo", "list"] as const;

export const adaptCommand: Command = {
  name: "adapt",
  summary: "Prepare a guest for a target family's hardware (initramfs drivers, root by UUID, NIC names, guest tools); plan, apply, undo",
  usage: "plan|apply|undo|list (--ssh USER@HOST[:PORT] --identity KEY | --guest TARGET | --image DISK [--image-format FMT]) [--family FAMILY] [--mac NAME=MAC]... [--id ID]",
  options: {
    family: { type: "string" },
    "family-file": { type: "string" },
    ssh: { type: "string" },
    guest: { type: "string" },
    identity: { type: "string" },
    "known-hosts": { type: "string" },
    "accept-new": { type: "boolean" },
    image: { type: "string" },
    "image-format": { type: "string" },
    mac: { type: "string", multiple: true },
    id: { type: "string" },
  },
  formats: ["table", "json"],
  async run(ctx) {
    const [action, ...extra] = ctx.positionals;
    if (!action || !(ACTIONS as readonly string[]).includes(action)) throw new UserError(`give an action: ${ACTIONS.join(", ")} (got '${action ?? ""}')`);
    if (extra.length) throw new UserError(`unexpected argument '${extra[0]}'`);
    const familyMissing = "--family FAMILY is required (the target family: kvm, vmware, hyperv, xen, or one from --family-file)";
    // Before opening anything: an appliance takes half a minute to boot under TCG.
    if ((action === "plan" || action === "apply") && !str(ctx, "family")) throw new UserError(familyMissing);
    const { source, close } = await openSource(ctx, action === "apply" || action === "undo");
    try {
      if (action === "list") {
        const applied = await listAdaptations(source, ctx.signal);
        if (ctx.format === "json") ctx.out(JSON.stringify(applied, null, 2));
        else ctx.out(applied.length ? renderTable(["id", "target family", "changes"], applied.map((a) => {
          const c = a.changes as { targetFamily?: string; changes?: unknown[] } | null;
          return [a.id, c?.targetFamily ?? "?", String(c?.changes?.length ?? "?")];
        })) : "no adaptation applied");
        return 0;
      }
      if (action === "undo") {
        const r = await undoAdaptation(source, { ...(str(ctx, "id") ? { id: str(ctx, "id")! } : {}), signal: ctx.signal });
        if (ctx.format === "json") ctx.out(JSON.stringify({ undone: r.id, durationMs: r.durationMs }));
        else ctx.out(`undid adaptation ${r.id} (${(r.durationMs / 1000).toFixed(1)} s): previous initramfs and files restored`);
        return 0;
      }
      const familyName = str(ctx, "family");
      if (str(ctx, "family-file")) await loadFamilyFile(str(ctx, "family-file")!);
      if (!familyName) throw new UserError(familyMissing);
      const target = targetHardwareOf(getFamily(familyName));
      ctx.err(`adapt: reading the guest's facts from ${source.kind === "online" ? source.transport.label : source.image}`);
      const facts = await readGuestFacts(source, ctx.signal);
      const plan = planAdaptation(facts, target, { macs: macs(ctx) });
      if (action === "plan" || !planChanges(plan)) {
        if (ctx.format === "json") ctx.out(JSON.stringify({ plan, applied: null }, null, 2));
        else ctx.out(renderPlan(plan) + (action === "apply" ? "\nnothing to change" : ""));
        return 0;
      }
      ctx.err(renderPlan(plan));
      ctx.err("adapt: applying...");
      const r = await applyPlan(source, plan, { ...(str(ctx, "id") ? { id: str(ctx, "id")! } : {}), signal: ctx.signal });
      if (ctx.format === "json") ctx.out(JSON.stringify({ plan, applied: { id: r.id, durationMs: r.durationMs, changesPath: r.changesPath } }, null, 2));
      else ctx.out(`applied adaptation ${r.id} for '${plan.targetFamily}' in ${(r.durationMs / 1000).toFixed(1)} s; change list ${r.changesPath} (undo: tiosa adapt undo ...)`);
      return 0;
    } finally {
      await close();
    }
  },
};

export function renderPlan(plan: AdaptPlan): string {
  const head = `adaptation plan for family '${plan.targetFamily}' (disk ${plan.target.disk}, NIC ${plan.target.nic}, ${plan.target.firmware}), guest kernel ${plan.kernelRelease}`;
  return head + "\n" + renderTable(["action", "what", "reason"], plan.items.map((i) => [i.change ? i.action : "ok", describePlanItem(i), i.reason]), { maxWidth: [22, 70] });
}

/** `write`: the command changes an offline image, so one appliance serves all its scripts. */
async function openSource(ctx: CommandContext, write: boolean): Promise<{ source: AdaptSource; close: () => Promise<void> }> {
  const image = str(ctx, "image"), ssh = str(ctx, "ssh"), guest = str(ctx, "guest");
  const given = [image, ssh, guest].filter(Boolean).length;
  if (given !== 1) throw new UserError("give exactly one of --image DISK (offline, libguestfs), --ssh USER@HOST[:PORT] or --guest TARGET (online)");
  if (image) {
    const s = await stat(image).catch(() => undefined);
    if (!s?.isFile()) throw new UserError(`--image '${image}': no such file`);
    const format = str(ctx, "image-format") ?? (/\.qcow2$/i.test(image) ? "qcow2" : /\.vmdk$/i.test(image) ? "vmdk" : /\.vhdx$/i.test(image) ? "vhdx" : /\.vhd$/i.test(image) ? "vpc" : "raw");
    if (!write) return { source: { kind: "offline", image, format }, close: async () => {} };
    const session = await GuestfishSession.open(image, format, ctx.signal);
    return { source: { kind: "offline", image, format, session }, close: () => session.close() };
  }
  const target = ssh ? (ssh.startsWith("ssh://") ? ssh : `ssh://${ssh}`) : guest!;
  const { transport } = await openTransport(target, {
    ...(str(ctx, "identity") ? { identityFile: str(ctx, "identity")! } : {}),
    ...(str(ctx, "known-hosts") ? { knownHostsFile: str(ctx, "known-hosts")! } : {}),
    ...(process.env.TIOSA_SSH_PASSWORD ? { password: process.env.TIOSA_SSH_PASSWORD } : {}),
    acceptNew: ctx.options["accept-new"] === true,
    connectTimeoutMs: 30_000,
  }, { signal: ctx.signal });
  const t: GuestTransport = transport;
  return { source: { kind: "online", transport: t }, close: () => t.close() };
}

function str(ctx: CommandContext, k: string): string | undefined {
  const v = ctx.options[k];
  return typeof v === "string" ? v : undefined;
}

function macs(ctx: CommandContext): Record<string, string> {
  const v = ctx.options.mac;
  const out: Record<string, string> = {};
  for (const s of Array.isArray(v) ? v : typeof v === "string" ? [v] : []) {
    const m = /^([A-Za-z0-9_.:-]{1,15})=([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})$/.exec(s);
    if (!m) throw new UserError(`--mac '${s}': expected NAME=MAC, e.g. enp0s3=52:54:00:12:34:56`);
    out[m[1]!] = m[2]!.toLowerCase();
  }
  return out;
}
