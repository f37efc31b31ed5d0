import type { DiskInventory, VmInventory } from "../inventory/model.js";

/**
 * OVF 1.0 writer. 1.0 is what every importer we target accepts (VMware ovftool/vSphere,
 * VirtualBox, virt-v2v -i ova); 2.0 is still refused by several. Disks are written as
 * streamOptimized VMDK, the only disk format an OVA is expected to carry.
 */

export interface OvfDiskFile {
  /** File name inside the package (e.g. "vm-disk1.vmdk"). */
  href: string;
  /** File size in bytes (References ovf:size; OVA readers compare it with the tar entry). */
  fileBytes: number;
  /** Virtual size in bytes (DiskSection ovf:capacity). */
  capacityBytes: number;
  /** Bytes actually used, if known (ovf:populatedSize). */
  populatedBytes?: number | null;
}

export const STREAM_OPTIMIZED_VMDK = "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized";

interface BuiltOvf {
  xml: string;
  /** Where the VM's hardware had to be expressed differently (virtio has no OVF word...). */
  notes: string[];
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");

const SCSI_SUBTYPE: Record<string, string> = { pvscsi: "VirtualSCSI", lsilogic: "lsilogic", lsisas1068: "lsilogicsas", buslogic: "buslogic" };
const NIC_SUBTYPE: Record<string, string> = { e1000: "E1000", e1000e: "E1000e", vmxnet3: "VmxNet3", pcnet: "PCNet32", vmxnet: "VmxNet", vmxnet2: "VmxNet2" };

/** CIM operating-system ids (DSP0243 / CIM_OperatingSystem.OsType) for the families we move. */
function cimOsId(osType: string | null): number {
  const s = (osType ?? "").toLowerCase();
  if (s.includes("debian")) return 96;
  if (s.includes("ubuntu")) return 94;
  if (/rhel|centos|redhat|rocky|alma/.test(s)) return 80;
  if (s.includes("sles") || s.includes("suse")) return 85;
  if (s.includes("win")) return 1;
  if (s.includes("linux") || s === "") return 101;
  return 1;
}

export function writeOvf(vm: VmInventory, files: OvfDiskFile[]): string {
  return buildOvf(vm, files).xml;
}

/** `files[i]` is the image of the i-th disk of `vm` whose device is "disk". */
export function buildOvf(vm: VmInventory, files: OvfDiskFile[]): BuiltOvf {
  const notes: string[] = [];
  const disks = vm.disks.filter((d) => d.device === "disk");
  if (files.length !== disks.length) throw new Error(`writeOvf: ${disks.length} disk(s) in the inventory but ${files.length} disk file(s) given`);
  const skipped = vm.disks.length - disks.length;
  if (skipped) notes.push(`${skipped} removable device(s) (cdrom/floppy) not written`);
  const vsId = vm.name.replace(/[^A-Za-z0-9_.-]/g, "_") || "vm";

  let instance = 1;
  const items: string[] = [];
  const item = (fields: Array<[string, string | number | null | undefined]>) => {
    const body = fields.filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `        <rasd:${k}>${esc(String(v))}</rasd:${k}>`).join("\n");
    items.push(`      <Item>\n${body}\n      </Item>`);
  };
  const cpus = vm.cpu.count ?? 1;
  item([["AllocationUnits", "hertz * 10^6"], ["Description", "Number of Virtual CPUs"], ["ElementName", `${cpus} virtual CPU(s)`], ["InstanceID", instance++], ["ResourceType", 3], ["VirtualQuantity", cpus]]);
  const memMiB = Math.ceil((vm.memoryBytes ?? 512 * 2 ** 20) / 2 ** 20);
  if (vm.memoryBytes === null) notes.push("memory unknown: wrote 512 MiB");
  item([["AllocationUnits", "byte * 2^20"], ["Description", "Memory Size"], ["ElementName", `${memMiB}MB of memory`], ["InstanceID", instance++], ["ResourceType", 4], ["VirtualQuantity", memMiB]]);

  // One controller per (bus, model) the disks use, in first-use order.
  const controllers = new Map<string, { id: number; next: number }>();
  const controllerFor = (d: DiskInventory): { id: number; unit: number } => {
    let kind: "ide" | "sata" | "scsi" = d.bus === "ide" ? "ide" : d.bus === "sata" ? "sata" : "scsi";
    let subtype = kind === "scsi" ? SCSI_SUBTYPE[d.controller ?? ""] : undefined;
    if (kind === "scsi" && !subtype) {
      subtype = "lsilogic";
      notes.push(`disk ${d.target ?? "?"} on ${d.bus ?? "unknown bus"}${d.controller ? `/${d.controller}` : ""} written as SCSI lsilogic (OVF importers know no ${d.controller ?? d.bus ?? "such"} controller)`);
    }
    const key = `${kind}:${subtype ?? ""}`;
    let c = controllers.get(key);
    if (!c) {
      const id = instance++;
      const nth = [...controllers.keys()].filter((k) => k.startsWith(`${kind}:`)).length;
      if (kind === "ide") item([["Address", nth], ["Description", "IDE Controller"], ["ElementName", `IDE Controller ${nth}`], ["InstanceID", id], ["ResourceSubType", "PIIX4"], ["ResourceType", 5]]);
      else if (kind === "sata") item([["Address", nth], ["Description", "SATA Controller"], ["ElementName", `SATA Controller ${nth}`], ["InstanceID", id], ["ResourceSubType", "AHCI"], ["ResourceType", 20]]);
      else item([["Address", nth], ["Description", "SCSI Controller"], ["ElementName", `SCSI Controller ${nth}`], ["InstanceID", id], ["ResourceSubType", subtype], ["ResourceType", 6]]);
      c = { id, next: 0 };
      controllers.set(key, c);
    }
    let unit = c.next++;
    if (kind === "scsi" && unit === 7) unit = c.next++; // unit 7 is the SCSI initiator
    if (kind === "ide" && unit > 1) notes.push(`more than 2 disks on one IDE controller`);
    return { id: c.id, unit };
  };

  const diskLines: string[] = [];
  const refLines: string[] = [];
  disks.forEach((d, i) => {
    const f = files[i]!;
    const { id, unit } = controllerFor(d);
    const gib = f.capacityBytes % 2 ** 30 === 0;
    refLines.push(`    <File ovf:href="${esc(f.href)}" ovf:id="file${i + 1}" ovf:size="${f.fileBytes}"/>`);
    diskLines.push(`    <Disk ovf:capacity="${gib ? f.capacityBytes / 2 ** 30 : f.capacityBytes}" ovf:capacityAllocationUnits="${gib ? "byte * 2^30" : "byte"}" ovf:diskId="vmdisk${i + 1}" ovf:fileRef="file${i + 1}" ovf:format="${STREAM_OPTIMIZED_VMDK}"${f.populatedBytes ? ` ovf:populatedSize="${f.populatedBytes}"` : ""}/>`);
    item([["AddressOnParent", unit], ["ElementName", `Hard Disk ${i + 1}`], ["HostResource", `ovf:/disk/vmdisk${i + 1}`], ["InstanceID", instance++], ["Parent", id], ["ResourceType", 17]]);
  });

  const networks: string[] = [];
  vm.nics.forEach((n, i) => {
    const net = n.network ?? "VM Network";
    if (!networks.includes(net)) networks.push(net);
    let sub = NIC_SUBTYPE[n.model ?? ""];
    if (!sub) { sub = "E1000"; notes.push(`NIC ${i + 1} model ${n.model ?? "unknown"} written as E1000 (no OVF word for it)`); }
    item([["AddressOnParent", 7 + i], ["AutomaticAllocation", "true"], ["Connection", net], ["Description", `${sub} ethernet adapter on "${net}"`], ["ElementName", `Network adapter ${i + 1}`], ["InstanceID", instance++], ["ResourceSubType", sub], ["ResourceType", 10]]);
    if (n.mac) items[items.length - 1] = items[items.length - 1]!.replace("        <rasd:AddressOnParent>", `        <rasd:Address>${esc(n.mac)}</rasd:Address>\n        <rasd:AddressOnParent>`);
  });

  // The schema wants at least one Network in a NetworkSection, so a VM without NICs has none.
  const networkSection = networks.length === 0 ? "" : `  <NetworkSection>
    <Info>The list of logical networks</Info>
${networks.map((n) => `    <Network ovf:name="${esc(n)}">\n      <Description>The ${esc(n)} network</Description>\n    </Network>`).join("\n")}
  </NetworkSection>
`;
  const osType = vm.osType ?? "otherLinux64Guest";
  const vmwOs = /Guest$/.test(osType) ? ` vmw:osType="${esc(osType)}"` : "";
  const firmware = vm.firmware === "uefi" ? "efi" : "bios";

  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by tiosa -->
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <References>
${refLines.join("\n")}
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
${diskLines.join("\n")}
  </DiskSection>
${networkSection}  <VirtualSystem ovf:id="${esc(vsId)}">
    <Info>A virtual machine</Info>
    <Name>${esc(vm.name)}</Name>
    <OperatingSystemSection ovf:id="${cimOsId(vm.osType)}"${vmwOs}>
      <Info>The kind of installed guest operating system</Info>
      <Description>${esc(osType)}</Description>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>${esc(vsId)}</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-08</vssd:VirtualSystemType>
      </System>
${items.join("\n")}
      <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="${firmware}"/>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`;
  return { xml, notes };
}
