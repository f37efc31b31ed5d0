import { detectAccel } from "../../qemu/accel.js";
import type { Virsh } from "./virsh.js";

/** True when libvirt's host CPU (virsh capabilities) lists Intel VT-x or AMD-V. */
export function hostHasVirtExtensions(capabilitiesXml: string): boolean {
  const host = /<host>[\s\S]*?<\/cpu>/.exec(capabilitiesXml)?.[0] ?? "";
  return /<feature name=['"](vmx|svm)['"]/.test(host);
}

/**
 * kvm only where it really runs guests. Local: a kernel-boot probe (src/qemu/accel.ts) plus a
 * fallback to TCG when a kvm domain stalls (waitForGuest, ../stall.ts). Remote: KVM if the remote
 * libvirt offers it, with the same fallback. `TIOSA_ACCEL` wins.
 */
export async function chooseAccel(virsh: Virsh, uri: string, local: boolean, signal?: AbortSignal): Promise<"kvm" | "tcg"> {
  const forced = process.env.TIOSA_ACCEL;
  if (forced === "kvm" || forced === "tcg") return forced;
  if (local && uri.startsWith("qemu")) return detectAccel(signal);
  // Remote: no emulator to boot a probe with, so ask libvirt. A /dev/kvm without the
  // CPU's virtualization extensions (vmx/svm) is the kind of shim that cannot run guests.
  const dom = await virsh.raw(["domcapabilities", "--virttype", "kvm", "--arch", "x86_64"], { signal });
  const caps = await virsh.raw(["capabilities"], { signal });
  return dom.code === 0 && hostHasVirtExtensions(caps.stdout) ? "kvm" : "tcg";
}
