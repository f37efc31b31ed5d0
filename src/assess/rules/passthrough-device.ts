import type { AssessRule } from "../concern.js";

export const passthroughDevice: AssessRule = {
  id: "passthrough-device",
  severity: "critical",
  title: "A host device is passed through to the VM",
  origin: "Forklift (passthrough devices); libvirt marks host devices as not migratable",
  needs: "inventory",
  predicts: [],
  remedy: "detach the device before the move and attach the target host's own after it (the guest needs that device's driver); a USB device can be re-plugged",
  check({ subject, target }) {
    const p = [...new Set(subject.inventory?.features.passthrough ?? [])];
    // USB devices can be plugged into the target host; PCI, SCSI and host capabilities are that host's hardware.
    const usb = p.filter((d) => d.startsWith("usb ")), other = p.filter((d) => !d.startsWith("usb "));
    const finding = (list: string[], severity: "critical" | "warning") => ({
      severity,
      detail: `${list.length} host device(s) of the source host (${list.join(", ")}): '${target.name}' has none of them, so the VM is defined without them and whatever used them in the guest stops working`,
      evidence: list.map((d) => `${subject.source}: ${d}`),
    });
    return [...(other.length ? [finding(other, "critical")] : []), ...(usb.length ? [finding(usb, "warning")] : [])];
  },
};
