import type { AssessRule, Finding } from "../concern.js";

/** Forklift warns on both: the target's firmware variables and TPM state are new. */
export const secureBootAndTpm: AssessRule = {
  id: "secure-boot-and-tpm",
  severity: "warning",
  title: "UEFI Secure Boot or a virtual TPM does not move with the disks",
  origin: "Forklift (UEFI secure boot, vTPM); virt-v2v does not carry NVRAM or TPM state",
  needs: "inventory",
  predicts: [],
  remedy: "enable Secure Boot on the target VM after the move (the guest's shim and kernel are signed or not, as before); anything sealed to the TPM (LUKS keys, BitLocker, measured boot) must be re-enrolled: keep its recovery key at hand",
  check({ subject, target }) {
    const ft = subject.inventory?.features;
    if (!ft) return [];
    const out: Finding[] = [];
    if (ft.secureBoot) out.push({ detail: `Secure Boot is on; '${target.name}' (${target.firmware.toUpperCase()}, no Secure Boot in its hardware family) starts the guest without it`, evidence: [`${subject.source}: secure boot enabled`] });
    if (ft.tpm) out.push({ detail: `a virtual TPM (${ft.tpm}) is attached; its state stays on the source: secrets sealed to it are not unsealed on '${target.name}'`, evidence: [`${subject.source}: TPM ${ft.tpm}`] });
    return out;
  },
};
