import type { Command } from "../command.js";
import { UserError } from "../../errors.js";
import { openDriver } from "../../hypervisor/open.js";
import { readDescriptor } from "../../descriptors/index.js";
import { isHypervisorUri, optString, renderInventory } from "../hypervisor-support.js";

export const inspectCommand: Command = {
  name: "inspect",
  summary: "Sequence 1 inventory of a hypervisor (libvirt URI) or a descriptor file (libvirt XML, OVF, OVA, VMX)",
  usage: "URI|FILE [--vm NAME] [--format table|json]",
  options: { vm: { type: "string" } },
  async run(ctx) {
    const [target, ...extra] = ctx.positionals;
    if (!target) throw new UserError("inspect: give a hypervisor URI (qemu:///system, qemu+ssh://root@host/system) or a descriptor file");
    if (extra.length) throw new UserError(`inspect: unexpected argument '${extra[0]}' (one URI or FILE)`);
    const vm = optString(ctx, "vm");
    let inv;
    if (isHypervisorUri(target)) {
      const driver = openDriver(target);
      inv = await driver.inventory({ vm, signal: ctx.signal });
    } else {
      inv = await readDescriptor(target);
      if (vm) {
        const vms = inv.vms.filter((v) => v.name === vm);
        if (!vms.length) throw new UserError(`inspect: '${target}' describes no VM named '${vm}' (it has: ${inv.vms.map((v) => v.name).join(", ") || "none"})`);
        inv = { ...inv, vms };
      }
    }
    ctx.out(ctx.format === "json" ? JSON.stringify(inv, null, 2) : renderInventory(inv));
    return 0;
  },
};
