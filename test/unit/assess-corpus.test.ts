import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { readDescriptor } from "../../src/descriptors/index.js";
import { BUILTIN_FAMILIES } from "../../src/hypervisor/families/index.js";
import { assess } from "../../src/assess/assess.js";

/**
 * The descriptor-side rules on real files written by other tools (../shared/corpus): a
 * concern comes out for what a file really holds, none for what it does not. The expected
 * lists come from reading the files (SOURCES.md says where each is from).
 */
const CORPUS = "/work/shared/corpus/descriptors";
const RULES = ["snapshots", "passthrough-device", "shared-disk", "secure-boot-and-tpm"] as const;

const EXPECTED: Record<string, string[]> = {
  // uefi.secureBoot.enabled = "TRUE"
  "vmware__esx-in-the-wild-12.vmx": ["secure-boot-and-tpm"],
  "vmware__test-i-vmx-7.vmx": ["secure-boot-and-tpm"],
  "libvirt__esx-in-the-wild-12.xml": ["secure-boot-and-tpm"],
  // scsi0:0.fileName = "vmtest-000001.vmdk": the VM runs on a snapshot's delta disk
  "vmware__vmx2xml-esx-in-the-wild-5.vmx": ["snapshots"],
  "libvirt__vmx2xml-esx-in-the-wild-5.xml": ["snapshots"],
  // oVirt SnapshotsSection: "Active VM" and one snapshot "snap"
  "ovirt__vmOvfData.xml": ["snapshots"],
  // scsi0:1.deviceType = "scsi-passthru" (the host's CD-ROM)
  "vmware__vmx2xml-esx-in-the-wild-7.vmx": ["passthrough-device"],
  // <tpm>
  "virtinstall__virt-install-aarch64-kvm-import.xml": ["secure-boot-and-tpm"],
  "virtinstall__virt-install-boot-uefi-secure-boot.xml": ["secure-boot-and-tpm"],
  // PCI, USB and SCSI host devices, a <shareable/> disk, secure-boot feature, two TPMs
  "virtinstall__virt-install-many-devices.xml": ["passthrough-device", "secure-boot-and-tpm", "shared-disk"],
};

const files = readdirSync(CORPUS).filter((f) => f !== "SOURCES.md" && !f.endsWith(".mf")).sort();

test("descriptor corpus: snapshots, passthrough, shared disks, Secure Boot and TPM concerns exactly where the files hold them", async () => {
  let read = 0;
  const got: Record<string, string[]> = {};
  for (const f of files) {
    let inv;
    try { inv = await readDescriptor(join(CORPUS, f)); } catch { continue; } // the hostile and broken ones are other tests' matter
    read++;
    const ids = new Set<string>();
    for (const vm of inv.vms) {
      const a = assess({ source: f, inventory: vm, facts: null, sourceFamily: null }, BUILTIN_FAMILIES);
      for (const c of a.concerns) if ((RULES as readonly string[]).includes(c.id)) ids.add(c.id);
    }
    got[f] = [...ids].sort();
  }
  assert.ok(read >= 40, `read ${read} corpus files`);
  for (const f of Object.keys(got)) assert.deepEqual(got[f], EXPECTED[f] ?? [], f);
  for (const f of Object.keys(EXPECTED)) assert.ok(f in got, `${f} was read`);
});

test("descriptor corpus: the many-devices domain lists PCI and SCSI passthrough as critical, USB as a warning, and the shared disk by target", async () => {
  const inv = await readDescriptor(join(CORPUS, "virtinstall__virt-install-many-devices.xml"));
  const a = assess({ source: "many-devices", inventory: inv.vms[0]!, facts: null, sourceFamily: null }, BUILTIN_FAMILIES.filter((f) => f.name === "kvm"));
  const pt = a.concerns.filter((c) => c.id === "passthrough-device");
  assert.deepEqual(pt.map((c) => c.severity), ["critical", "warning"]);
  assert.ok(pt[0]!.evidence.some((e) => e.endsWith("pci 0000:00:19.0")) && pt[0]!.evidence.some((e) => e.endsWith("scsi scsi_host0")));
  assert.ok(pt[1]!.evidence.every((e) => / usb 0x/.test(e)));
  assert.deepEqual(a.concerns.find((c) => c.id === "shared-disk")!.evidence, ["many-devices: disk vda shared"]);
});

test("descriptor corpus: a UEFI VMX is critical on tiosa's BIOS families (firmware-mismatch), a BIOS one is not", async () => {
  const efi = (await readDescriptor(join(CORPUS, "vmware__test-i-vmx-7.vmx"))).vms[0]!;
  const bios = (await readDescriptor(join(CORPUS, "vmware__vmx2xml-esx-in-the-wild-7.vmx"))).vms[0]!;
  const fm = (vm: typeof efi) => assess({ source: "x", inventory: vm, facts: null, sourceFamily: null }, BUILTIN_FAMILIES).concerns.filter((c) => c.id === "firmware-mismatch");
  assert.deepEqual(fm(efi).flatMap((c) => c.families).sort(), ["hyperv", "kvm", "vmware", "xen"]);
  assert.deepEqual(fm(bios), []);
});

test("a descriptor whose disks are not all at hand: the guest is not read, and every missing disk is named", async () => {
  const { readSubject } = await import("../../src/assess/subject.js");
  const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "tiosa-assess-disks-"));
  try {
    const xml = join(dir, "two-disks.xml");
    writeFileSync(xml, `<domain type="kvm"><name>two</name><memory unit="MiB">512</memory><vcpu>1</vcpu><os><type arch="x86_64">hvm</type></os><devices>
      <disk type="file" device="disk"><driver name="qemu" type="qcow2"/><source file="root.qcow2"/><target dev="vda" bus="virtio"/></disk>
      <disk type="file" device="disk"><driver name="qemu" type="raw"/><source file="${dir}/var.img"/><target dev="vdb" bus="virtio"/></disk>
    </devices></domain>`);
    const s = await readSubject(xml);
    assert.equal(s.facts, null);
    assert.match(s.factsMissing ?? "", /its disks root\.qcow2 \(looked for .*\/root\.qcow2\), .*var\.img .* are not at hand/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
