import type { AssessRule } from "../concern.js";

/** A BIOS guest has no EFI boot loader for UEFI firmware, and a UEFI guest no MBR boot code for a BIOS. */
export const firmwareMismatch: AssessRule = {
  id: "firmware-mismatch",
  severity: "critical",
  title: "The guest boots by BIOS and the target by UEFI, or the other way round",
  origin: "virt-v2v's firmware check (\"This guest requires UEFI on the target to boot\"); Forklift's UEFI rules; VMware's default firmware is UEFI since vSphere 7",
  needs: "both",
  predicts: [{ test: "1.1.a", verdict: "FAILURE" }],
  remedy: "give the target VM the guest's firmware (most hypervisors offer both), or convert the boot loader (grub-efi-amd64 on an EFI system partition for UEFI; grub-pc for BIOS)",
  check({ subject, target }) {
    const inv = subject.inventory?.firmware ?? null;
    const guest = inv ?? (subject.facts ? (subject.facts.uefi ? "uefi" : "bios") : null);
    if (guest === null || guest === target.firmware) return [];
    return [{
      detail: `the guest boots by ${guest.toUpperCase()} and '${target.name}' starts its VMs with ${target.firmware.toUpperCase()} firmware: nothing boots`,
      evidence: [inv ? `${subject.source}: firmware ${inv}` : subject.facts!.uefi ? "grub-efi-amd64 installed or an EFI system partition" : "no grub-efi, no EFI system partition (BIOS boot only)"],
    }];
  },
};
