import { mkdir } from "node:fs/promises";
import { UserError } from "../errors.js";
import type { CommandContext } from "./command.js";
import type { HypervisorInventory, VmInventory } from "../inventory/model.js";
import { renderTable } from "../util/table.js";
import type { HypervisorTestResult } from "../snapshot/schema.js";
import { CATALOGUE } from "../method/catalogue.js";
import { HYPERVISOR_GROUPS, DEFAULT_HYPERVISOR_GROUPS } from "../hypervisor/table2/index.js";
import { parseSshEndpoint, type SshEndpoint } from "../hypervisor/guest-ssh.js";
import type { GuestAccess } from "../hypervisor/launch.js";

export function optString(ctx: CommandContext, k: string): string | undefined {
  const v = ctx.options[k];
  return typeof v === "string" ? v : undefined;
}

export function isHypervisorUri(s: string): boolean {
  return /^[a-z][a-z0-9+]*:\/\//i.test(s);
}

export function oneUri(ctx: CommandContext, command: string): string {
  const [uri, ...extra] = ctx.positionals;
  if (!uri) throw new UserError(`${command}: give a hypervisor URI, e.g. qemu:///system or qemu+ssh://root@host/system`);
  if (extra.length) throw new UserError(`${command}: unexpected argument '${extra[0]}'`);
  if (!isHypervisorUri(uri)) throw new UserError(`${command}: '${uri}' is not a hypervisor URI (e.g. qemu:///system)`);
  return uri;
}

export function requiredVm(ctx: CommandContext, command: string): string {
  const vm = optString(ctx, "vm");
  if (!vm) throw new UserError(`${command}: --vm NAME is required`);
  return vm;
}

export function groupsOption(ctx: CommandContext): string[] {
  const only = optString(ctx, "only");
  if (!only) return [...DEFAULT_HYPERVISOR_GROUPS];
  const groups = only.split(",").map((s) => s.trim()).filter(Boolean);
  for (const g of groups) {
    if (!(HYPERVISOR_GROUPS as readonly string[]).includes(g)) throw new UserError(`--only '${g}': tiosa runs Table II groups ${HYPERVISOR_GROUPS.join(", ")}`);
  }
  return groups;
}

/** `--ssh user@host[:port]` or `--ssh user` (address from the hypervisor), plus `--identity KEY`. */
export function guestAccessOption(ctx: CommandContext): { access: GuestAccess; endpoint: SshEndpoint | null } {
  const ssh = optString(ctx, "ssh");
  const identity = optString(ctx, "identity");
  if (!ssh) throw new UserError("--ssh user@host[:port] (or --ssh user to take the address from the hypervisor) is required: the tests observe the guest from inside");
  if (!identity) throw new UserError("--identity KEY (SSH private key file) is required");
  if (/^[A-Za-z0-9._-]+$/.test(ssh)) return { access: { user: ssh, identityFile: identity }, endpoint: null };
  const e = parseSshEndpoint(ssh, identity);
  return { access: { user: e.user, host: e.host, port: e.port, identityFile: identity }, endpoint: e };
}

/** `--boot-timeout SECONDS`: how long a reboot or restore may take before the test fails. */
export function bootTimeoutOption(ctx: CommandContext): number {
  const v = optString(ctx, "boot-timeout");
  if (v === undefined) return 300_000;
  if (!/^\d{1,5}$/.test(v) || Number(v) < 10) throw new UserError(`--boot-timeout '${v}': give whole seconds, at least 10`);
  return Number(v) * 1000;
}

export async function ensureDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}

const mib = (b: number | null) => (b === null ? "?" : `${Math.round(b / 1048576)} MiB`);

export function renderVms(vms: VmInventory[]): string {
  return renderTable(
    ["VM", "State", "Memory", "vCPU", "CPU model", "Disks", "NICs", "I/O"],
    vms.map((v) => [
      v.name,
      v.state ?? "-",
      mib(v.memoryBytes),
      String(v.cpu.count ?? "?"),
      v.cpu.model ?? "-",
      v.disks.map((d) => `${d.target ?? "?"} ${d.device !== "disk" ? d.device + " " : ""}${d.bus ?? "?"}${d.controller ? "/" + d.controller : ""} ${d.format ?? "?"} ${d.capacityBytes !== null ? mib(d.capacityBytes) : ""}${d.allocationBytes !== null ? ` (${mib(d.allocationBytes)} used)` : ""}`.trim()).join("; ") || "-",
      v.nics.map((n) => `${n.model ?? "default"}@${n.network ?? "?"}${n.filter ? ` filter=${n.filter}` : ""}`).join("; ") || "-",
      v.io ? [...v.io.block.map((b) => `${b.target} r${b.readBytes}/w${b.writeBytes}`), ...v.io.interfaces.map((i) => `${i.target} rx${i.rxBytes}/tx${i.txBytes}`)].join("; ") : "-",
    ]),
    { maxWidth: [32, 10, 10, 5, 16, 60, 40, 40] },
  );
}

export function renderInventory(inv: HypervisorInventory): string {
  const h = inv.hypervisor;
  const lines = [
    `Target: ${inv.target}`,
    `Hypervisor: ${h.type ?? "?"} ${h.version ?? ""} (vendor ${h.vendor ?? "?"})${h.accel ? `, accel ${h.accel}` : ""}${h.hostname ? `, host ${h.hostname}` : ""}`,
    `VMs: ${inv.vmCount}`,
    "",
    renderVms(inv.vms),
  ];
  // What makes a VM hard to move (tiosa assess reads the same fields).
  const features = inv.vms.flatMap((v) => {
    const f = v.features;
    return [
      f.secureBoot ? "Secure Boot on" : "", f.tpm ? `TPM ${f.tpm}` : "",
      f.snapshots.length ? `snapshots: ${f.snapshots.join("; ")}` : "", f.passthrough.length ? `host devices passed through: ${f.passthrough.join(", ")}` : "",
      f.sharedDisks.length ? `shared disks: ${f.sharedDisks.join(", ")}` : "",
    ].filter(Boolean).map((x) => `  ${v.name}: ${x}`);
  });
  if (features.length) lines.push("", "Mobility (see tiosa assess):", ...features);
  const notes = inv.vms.flatMap((v) => v.notes.map((n) => `  ${v.name}: ${n}`));
  if (notes.length) lines.push("", "Notes:", ...notes);
  return lines.join("\n");
}

export function renderResults(results: Record<string, HypervisorTestResult>, notRequested: Record<string, string>): string {
  const rows = CATALOGUE.filter((t) => t.level === "hypervisor" && (results[t.id] || notRequested[t.id])).map((t) => {
    const r = results[t.id];
    return [t.id, t.name, r ? r.result : "not requested", r ? r.detail + (r.evidence?.length ? ` [evidence: ${r.evidence.join(", ")}]` : "") : notRequested[t.id]!];
  });
  return renderTable(["ID", "Test", "Result", "Observation"], rows, { maxWidth: [6, 18, 13, 140] });
}
