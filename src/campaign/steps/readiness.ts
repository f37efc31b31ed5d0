import { runOk } from "../../util/exec.js";
import { getFamily } from "../../hypervisor/families/index.js";
import type { HypervisorDriver } from "../../hypervisor/driver.js";
import { formatBytes } from "../../util/bytes.js";
import type { ReadinessJob } from "../plan.js";

/** Memory a campaign guest is given (the driver's default). */
export const GUEST_MEMORY_BYTES = 1024 * 2 ** 20;

/**
 * Sequence 1 for one hypervisor: it answers, it exposes the information about its VMs
 * (count, memory, CPU, NICs, disks), and a VM of the campaign can be met there: the family's
 * image format is one the local qemu-img writes, and the hypervisor has the memory for it.
 * Throws with what is missing; returns the detail line of the step.
 */
export async function checkReadiness(driver: HypervisorDriver, job: ReadinessJob, signal: AbortSignal): Promise<string> {
  const info = await driver.connect(signal);
  // Other users' VMs may vanish between the listing and their description: ask again.
  let inv;
  for (let attempt = 1; ; attempt++) {
    try {
      inv = await driver.inventory({ signal });
      break;
    } catch (e) {
      if (attempt >= 3 || signal.aborted) throw e;
    }
  }
  const problems: string[] = [];
  const exposed = inv.vms.filter((v) => v.memoryBytes !== null && v.cpu.count !== null).length;
  if (inv.vms.length > 0 && exposed < inv.vms.length) problems.push(`${inv.vms.length - exposed} of ${inv.vms.length} VMs do not expose memory and CPU`);
  const family = getFamily(job.family);
  const formats = (await runOk("qemu-img", ["--help"], { timeoutMs: 20_000, signal })).stdout;
  const supported = /Supported formats:(.*)/.exec(formats)?.[1]?.trim().split(/\s+/) ?? [];
  if (!supported.includes(family.disk.format)) problems.push(`qemu-img here cannot write ${family.disk.format} (the ${family.name} family's image format)`);
  const available = driver.capabilities.hostResources ? (await driver.capabilities.hostResources.memory(signal)).availableBytes : null;
  if (available !== null && available < GUEST_MEMORY_BYTES) problems.push(`only ${formatBytes(available)} of memory available; a guest needs ${formatBytes(GUEST_MEMORY_BYTES)}`);
  if (problems.length) throw new Error(problems.join("; "));
  return `${info.type ?? "?"} ${info.version ?? ""} (${info.accel ?? "?"}) on ${info.hostname ?? "?"}: ${inv.vmCount} VM(s), all exposing memory, CPU, NICs and disks; `
    + `family ${family.name}: ${family.machine}, ${family.disk.bus}${family.disk.controller ? `/${family.disk.controller}` : ""} disk as ${family.disk.format}, ${family.nic.model} NIC; `
    + `memory ${available === null ? "unknown" : `${formatBytes(available)} available`}`;
}
