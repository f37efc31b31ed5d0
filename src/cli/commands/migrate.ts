import type { Command } from "../command.js";
import { UserError } from "../../errors.js";
import { isHypervisorUri, oneUri, optString } from "../hypervisor-support.js";
import { migrate } from "../../migrate/migrate.js";
import { formatBytes } from "../../util/bytes.js";
import { parseFamily } from "../../routes/discover.js";
import { renderTable } from "../../util/table.js";

export const migrateCommand: Command = {
  name: "migrate",
  summary: "Move a stopped VM to another hypervisor over one conversion route (Sequence 2), printing each step's time and bytes",
  usage: "URI --vm NAME --to URI --family FAMILY [--from FAMILY] [--route ID] [--keep-work] [--work-dir DIR] [--format table|json]",
  options: {
    vm: { type: "string" },
    to: { type: "string" },
    family: { type: "string" },
    from: { type: "string" },
    route: { type: "string" },
    "keep-work": { type: "boolean" },
    "work-dir": { type: "string" },
  },
  async run(ctx) {
    const sourceUri = oneUri(ctx, "migrate");
    const vm = optString(ctx, "vm");
    if (!vm) throw new UserError("migrate: --vm NAME is required (the VM to move)");
    const targetUri = optString(ctx, "to");
    if (!targetUri) throw new UserError("migrate: --to URI is required (the target hypervisor, e.g. qemu:///system)");
    if (!isHypervisorUri(targetUri)) throw new UserError(`migrate: --to '${targetUri}' is not a hypervisor URI (e.g. qemu:///system)`);
    const family = parseFamily(optString(ctx, "family"), "--family");
    const from = optString(ctx, "from");
    const sourceFamily = from === undefined ? undefined : parseFamily(from, "--from");
    const result = await migrate({
      sourceUri, vm, targetUri, family, sourceFamily,
      routeId: optString(ctx, "route"),
      workDir: optString(ctx, "work-dir"),
      keepWork: ctx.options["keep-work"] === true,
      signal: ctx.signal,
      onMessage: (m) => ctx.err(m),
      onStep: (s, i, route) => ctx.err(`  ${i + 1}/${route.steps.length} ${s.name}: ${s.seconds.toFixed(1)} s, read ${formatBytes(s.bytesRead)}, wrote ${formatBytes(s.bytesWritten)}`),
    });
    if (ctx.format === "json") {
      ctx.out(JSON.stringify({
        route: { id: result.route.id, name: result.route.name, default: result.routeWasDefault, of: result.routeCount },
        from: { uri: sourceUri, vm, family: result.sourceFamily, stop: result.stop },
        to: { uri: targetUri, vm: result.targetVm, family: result.targetFamily, runId: result.targetRunId },
        room: result.room,
        steps: result.steps,
        adapt: result.adapt,
        seconds: result.seconds,
        workDir: result.workDir,
      }, null, 2));
      return 0;
    }
    ctx.out(`Route: ${result.route.name}${result.routeWasDefault ? `  (first of ${result.routeCount}; choose one with --route)` : ""}\nId:    ${result.route.id}\n`);
    ctx.out(renderTable(["#", "Step", "Time s", "Read", "Written/sent"], result.steps.map((s, i) => [
      String(i + 1), s.name, s.seconds.toFixed(1), formatBytes(s.bytesRead), formatBytes(s.bytesWritten),
    ])));
    if (result.adapt) {
      const a = result.adapt, t = a.transfer;
      ctx.out(`\nAdapted for ${a.targetFamily} (kernel ${a.kernelRelease}): ${a.changes.length ? a.changes.map((c) => `\n  - ${c}`).join("") : "no change needed"}`);
      ctx.out(`Transferred: ${formatBytes(t.transferredBytes)} (${t.mode}${t.verified ? ", verified" : ""}), ${(t.shareOfSource * 100).toFixed(1)} % of the ${formatBytes(t.sourceFileBytes)} source image, ${(t.shareOfVirtual * 100).toFixed(1)} % of ${formatBytes(t.sourceVirtualBytes)} virtual`);
    }
    const room = result.room;
    ctx.out(`\nStopped: ${result.stop.was === "shut off" ? "was already off" : `${result.stop.how} in ${result.stop.seconds.toFixed(1)} s`}`);
    ctx.out(`Target room: ${room.freeDiskBytes === null ? "disk unknown" : `${formatBytes(room.freeDiskBytes)} free in ${room.imageDir}`} for ${formatBytes(room.neededDiskBytes.actual)} of data (${formatBytes(room.neededDiskBytes.virtual)} virtual); memory ${room.availableMemoryBytes === null ? "unknown" : formatBytes(room.availableMemoryBytes)} available for ${formatBytes(room.neededMemoryBytes)}`);
    ctx.out(`Defined on ${targetUri}: ${result.targetVm} (${result.targetFamily}; remove with \`tiosa cleanup ${targetUri}\`), ${result.seconds.toFixed(1)} s in all`);
    if (result.workDir) ctx.out(`Work directory kept: ${result.workDir}`);
    return 0;
  },
};
