import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readDescriptor } from "../../src/descriptors/index.js";
import { parseManifest, sha256Hex } from "../../src/descriptors/manifest.js";
import { createHash } from "node:crypto";
import { isUserError } from "../../src/errors.js";

/**
 * Values read by hand from each real descriptor in the shared corpus (CPU, memory,
 * disk capacities and controllers, NIC count/model/network, OS type, firmware).
 */
const CORPUS = process.env.TIOSA_DESCRIPTOR_CORPUS ?? join(process.cwd(), "..", "shared", "corpus", "descriptors");
const MiB = 2 ** 20, GiB = 2 ** 30;

interface Expect {
  file: string;
  vm?: number;
  name: string;
  cpu: number;
  memory: number;
  /** device "disk" entries only: [capacity, bus, controller, format] */
  disks: Array<[number | null, string | null, string | null, string | null]>;
  cdroms?: number;
  nics: Array<[string | null, string | null]>;
  os: string | null;
  firmware?: "bios" | "uefi" | null;
  hv?: string | null;
  note?: RegExp;
}

const OVF: Expect[] = [
  { file: "cisco__csr1000v.ovf", name: "Cisco CSR 1000V Cloud Services Router", cpu: 1, memory: 4096 * MiB,
    disks: [[1 * GiB, "scsi", "virtio-scsi", "vmdk"]], cdroms: 2,
    nics: [["vmxnet3", "GigabitEthernet1"], ["vmxnet3", "GigabitEthernet2"], ["vmxnet3", "GigabitEthernet3"]],
    os: "other26xLinux64Guest", hv: "vmware", note: /deployment options: using 1CPU-4GB \(the default\); others: 2CPU-4GB, 4CPU-4GB, 4CPU-8GB/ },
  { file: "virtualbox__CentOS-6.4-i386-Gnome.ovf", name: "CentOS-6.4-i386-Gnome", cpu: 1, memory: 512 * MiB,
    disks: [[19327352832, "sata", "ahci", "vmdk"]], cdroms: 1, nics: [["e1000", "NAT"]], os: "RedHat", firmware: "bios", hv: "vbox" },
  { file: "virtualbox__nxos-vagrant__box.ovf", name: "edev", cpu: 2, memory: 8196 * MiB,
    disks: [[4 * GiB, "sata", "ahci", "vmdk"]], cdroms: 1, nics: [["e1000", "NAT"]], os: "Linux_64", firmware: "uefi" },
  { file: "virtualbox__testserver.ovf", name: "testserver", cpu: 1, memory: 512 * MiB,
    disks: [[8 * GiB, "sata", "ahci", "vmdk"]], cdroms: 1, nics: [["e1000", "NAT"]], os: "Ubuntu_64", firmware: "bios" },
  { file: "virtualbox__ubuntu.2.0.ovf", name: "ubuntu", cpu: 1, memory: 512 * MiB,
    disks: [[8 * GiB, "sata", "ahci", "vmdk"]], cdroms: 1, nics: [["e1000", "NAT"]], os: "Ubuntu_64", firmware: "bios" },
  { file: "virtualbox__vagrant-smartos-gas__box.ovf", name: "vagrant-smartos-cpp", cpu: 1, memory: 1024 * MiB,
    disks: [[8388608000, "ide", "piix4", "vmdk"]], cdroms: 1, nics: [["e1000", "NAT"]], os: "OpenSolaris_64" },
  { file: "virtualbox__vbox10.ovf", name: "vbox10", cpu: 1, memory: 192 * MiB, disks: [],
    nics: [["pcnet", "NAT"], ["pcnet", "Bridged"], ["e1000", "Internal"], ["e1000", "HostOnly"]], os: "WindowsXP" },
  { file: "virtualbox__vbox5.ovf", name: "vbox5", cpu: 1, memory: 384 * MiB,
    disks: [[4 * MiB, "ide", "ich6", "vmdk"], [10 * GiB, "sata", "ahci", "vmdk"]], nics: [["pcnet", "NAT"]], os: "Ubuntu",
    note: /vmdk monolithicSparse/ },
  { file: "virtualbox__wad-practicle__box.ovf", name: "ubuntu-16.04-amd64", cpu: 1, memory: 1024 * MiB,
    disks: [[64 * GiB, "sata", "ahci", "vmdk"]], nics: [["e1000", "NAT"]], os: "Ubuntu_64" },
  { file: "vmware-edited__virtconv-test1.ovf", name: "test.ovf", cpu: 3, memory: 777 * MiB,
    disks: [[8 * GiB, "scsi", "lsilogic", "vmdk"], [null, "ide", "ide", null]], cdroms: 1, nics: [["e1000", "VM Network"]], os: "rhel5_64Guest" },
  { file: "vmware__111390-Ubuntu-16.04-64-Desktop-Open-VM-Tools.ovf", name: "111390-Ubuntu-16.04-64-Desktop-Open-VM-Tools", cpu: 1, memory: 1024 * MiB,
    disks: [[16 * GiB, "scsi", "lsilogic", "vmdk"]], cdroms: 1, nics: [["vmxnet3", "VM Network"]], os: "ubuntu64Guest", firmware: "bios" },
  { file: "vmware__SLES11_SP2_64.ovf", name: "SLES11_SP2_64_Venkat", cpu: 2, memory: 1024 * MiB,
    disks: [[16 * GiB, "scsi", "lsilogic", "vmdk"]], cdroms: 1, nics: [["e1000", "VM network 1"]], os: "sles11_64Guest",
    note: /no default namespace/ },
  { file: "vmware__TinyCoreLinux.ovf", name: "TinyCoreLinux", cpu: 1, memory: 256 * MiB,
    disks: [[2 * GiB, "ide", "ide", "vmdk"]], cdroms: 1, nics: [["pcnet", "nat"]], os: "ubuntuGuest" },
  { file: "vmware__Windows_Server_2008_R2_x64.ovf", name: "Windows Server 2008 R2 x64", cpu: 2, memory: 2048 * MiB,
    disks: [[40 * GiB, "scsi", "lsisas1068", "vmdk"]], cdroms: 1, nics: [["e1000", "bridged"]], os: "windows7Server64Guest" },
  { file: "vmware__converter_winxp.ovf", name: "converter_winxp", cpu: 2, memory: 256 * MiB,
    disks: [[7 * GiB, "scsi", "buslogic", "vmdk"]], cdroms: 1, nics: [["pcnet", "dvportgroup-4574"]], os: "winXPProGuest" },
  { file: "vmware__efi-nvram.ovf", name: "efi-nvram", cpu: 1, memory: 1024 * MiB,
    disks: [[4294967296, "scsi", "lsisas1068", "vmdk"]], cdroms: 1, nics: [["e1000", "VM Network"]], os: "windows7Server64Guest", firmware: "uefi" },
  { file: "vmware__multi-core-vm.ovf", name: "multi-core-vm", cpu: 4, memory: 4 * MiB,
    disks: [[2 * MiB, "scsi", "lsisas1068", "vmdk"]], cdroms: 1, nics: [["e1000", "Automation"]], os: "windows7Guest" },
  { file: "vmware__photon.ovf", name: "111378-Photon-1.0-Rev2-64-Open-VM-Tools-HW13", cpu: 1, memory: 2048 * MiB,
    disks: [[16 * GiB, "scsi", "lsilogic", "vmdk"]], cdroms: 1, nics: [["e1000e", "VM Network"]], os: "vmwarePhoton64Guest" },
  { file: "vmware__test-i-ova-two-disks.ovf", name: "2K8R2EESP1_2_Medium", cpu: 1, memory: 1024 * MiB,
    disks: [[50 * GiB, "scsi", "lsisas1068", "vmdk"], [450 * GiB, "scsi", "lsisas1068", "vmdk"]], cdroms: 1, nics: [["e1000", "PG-VLAN60"]], os: "windows7Server64Guest" },
  { file: "vmware__test-i-ova.ovf", name: "TestOva", cpu: 1, memory: 2048 * MiB,
    disks: [[32 * GiB, "scsi", "lsisas1068", "vmdk"]], cdroms: 1, nics: [["e1000", "VM Network"]], os: "windows7_64Guest", firmware: "bios", hv: "vmware" },
  { file: "vmware__ttylinux-pc_i486-16.1.ovf", name: "ttylinux-pc_i486-16.1", cpu: 1, memory: 32 * MiB,
    disks: [[30 * MiB, "ide", "ide", "vmdk"]], nics: [["e1000", "nat"]], os: "otherLinuxGuest", firmware: "uefi" },
  { file: "vmware__two-vms-vapp.ovf", vm: 0, name: "vm2", cpu: 1, memory: 4 * MiB,
    disks: [[4 * MiB, "scsi", "lsilogic", "vmdk"]], cdroms: 1, nics: [["e1000", "VM Network"]], os: "winNetEnterpriseGuest" },
  { file: "vmware__two-vms-vapp.ovf", vm: 1, name: "vm1", cpu: 1, memory: 4 * MiB,
    disks: [[4 * MiB, "scsi", "lsilogic", "vmdk"]], cdroms: 1, nics: [["e1000", "VM Network"]], os: "winNetEnterpriseGuest" },
  { file: "vmware__virtconv-test2.ovf", name: "w2k3 32bit", cpu: 1, memory: 1024 * MiB,
    disks: [[8 * GiB, "scsi", "lsilogic", "vmdk"]], cdroms: 1, nics: [["e1000", "VM Network"]], os: "winNetEnterpriseGuest", note: /CRLF/ },
  { file: "vmware__vmware.ovf", name: "vmw", cpu: 2, memory: 1536 * MiB,
    disks: [[1 * GiB, "scsi", "virtio-scsi", "vmdk"]],
    nics: [["e1000", "lanethernet0"], ["e1000", "lanethernet0"], ["e1000", "lanethernet0"], ["e1000", "lanethernet0"]], os: "rhel6_64Guest",
    note: /offers models virtio lsilogic; took virtio/ },
  { file: "vmwarestudio__Zimbra_606_Ubuntu_8041_i386_OVF10.ovf", name: "Zimbra_Appliance_6.0.6", cpu: 1, memory: 2048 * MiB,
    disks: [[6 * GiB, "scsi", "lsilogic", "vmdk"], [12 * GiB, "scsi", "lsilogic", "vmdk"]], nics: [["pcnet", "Network 1"]], os: "ubuntuGuest",
    note: /byte-order mark/ },
  { file: "xenserver__sample_app.ovf", name: "Web server", cpu: 1, memory: 64 * MiB,
    disks: [[10485760, null, null, "vpc"]], nics: [], os: "XenOVF Created Export", hv: "xen",
    note: /declares encoding "utf-16" but the bytes are UTF-8/ },
  { file: "ovirt__vmOvfData.xml", name: "exporttedVM", cpu: 1, memory: 1024 * MiB,
    disks: [[1 * GiB, "virtio", null, "raw"]], nics: [], os: "Unassigned", hv: "kvm", note: /oVirt\/RHV OVF dialect/ },
  { file: "virtv2v-rhv__vmOvfData2.xml", name: "sevenofnine", cpu: 8, memory: 16384 * MiB,
    disks: [[214748364800, "ide", null, "raw"]], nics: [["rtl8139", "DPG_VMNetwork"]], os: "windows_2019x64", firmware: "bios", hv: "kvm" },
];

const VMX: Expect[] = [
  { file: "vmware__esx-in-the-wild-12.vmx", name: "Auto-esx8.0-rhell9.3-efi-with-empty-cdrom", cpu: 1, memory: 2048 * MiB,
    disks: [[null, "scsi", "pvscsi", "vmdk"]], cdroms: 1, nics: [["vmxnet3", "VM Network"]], os: "rhel9-64", firmware: "uefi" },
  { file: "vmware__esx-in-the-wild-17.vmx", name: "esx8.0-win11-with-second-disk-in-subfolder", cpu: 2, memory: 4096 * MiB,
    disks: [[null, "scsi", "lsisas1068", "vmdk"], [null, "scsi", "lsisas1068", "vmdk"]], cdroms: 1, nics: [["e1000e", "Mgmt Network"]], os: "windows2019srvNext-64", firmware: "bios" },
  { file: "vmware__test-i-vmx-1.vmx", name: "BZ1308535_21disks", cpu: 1, memory: 2048 * MiB,
    disks: Array.from({ length: 21 }, () => [null, "scsi", "pvscsi", "vmdk"] as [null, string, string, string]), cdroms: 1,
    nics: [["vmxnet3", "VM Network"]], os: "rhel6-64" },
  { file: "vmware__test-i-vmx-2.vmx", name: "Fedora 20", cpu: 1, memory: 2048 * MiB,
    disks: [[null, "scsi", "pvscsi", "vmdk"]], cdroms: 1, nics: [["vmxnet3", "VM Network"]], os: "rhel7-64" },
  { file: "vmware__test-i-vmx-3.vmx", name: "RHEL 7.1 UEFI", cpu: 1, memory: 2048 * MiB,
    disks: [[null, "scsi", "pvscsi", "vmdk"]], cdroms: 1, nics: [["vmxnet3", "VM Network"]], os: "rhel6-64", firmware: "uefi" },
  { file: "vmware__test-i-vmx-4.vmx", name: "Windows 7 x64", cpu: 1, memory: 2048 * MiB,
    disks: [[null, "scsi", "lsisas1068", "vmdk"]], cdroms: 1, nics: [["e1000", "VM Network"]], os: "windows7-64" },
  { file: "vmware__test-i-vmx-5.vmx", name: "MSEdge - Win10_preview", cpu: 1, memory: 2048 * MiB,
    disks: [[null, "scsi", "lsisas1068", "vmdk"]], nics: [["e1000e", "bridged"]], os: "windows9-64", note: /lower-case keys \(memsize\)/ },
  { file: "vmware__test-i-vmx-6.vmx", name: "esx6.7-rhel8.6-nvme-disk", cpu: 1, memory: 2048 * MiB,
    disks: [[null, "nvme", "nvme", "vmdk"]], cdroms: 1, nics: [["vmxnet3", "VM Network"]], os: "rhel8-64" },
  { file: "vmware__test-i-vmx-7.vmx", name: "win2019", cpu: 2, memory: 4096 * MiB,
    disks: [[null, "sata", "ahci", "vmdk"], [null, "scsi", "lsisas1068", "vmdk"]], cdroms: 1, nics: [["vmxnet3", "VM Network"]], os: "windows2019srv-64", firmware: "uefi" },
  { file: "vmware__test-vmdk-desc.vmx", name: "esx4.0-rhel4.8-i386", cpu: 2, memory: 512 * MiB,
    disks: [[null, "scsi", "lsilogic", "vmdk"]], cdroms: 1, nics: [[null, "VM Network"]], os: "rhel4", note: /ethernet0: no virtualDev/ },
  { file: "vmware__vmx2xml-esx-in-the-wild-2.vmx", name: "virtDebian1", cpu: 4, memory: 1000 * MiB,
    disks: [[null, "ide", "piix4", "vmdk"], [null, "scsi", "lsilogic", "vmdk"]], cdroms: 3, nics: [["pcnet", "VM Network"]], os: "ubuntu-64" },
  { file: "vmware__vmx2xml-esx-in-the-wild-5.vmx", name: "vmtest.local", cpu: 2, memory: 2048 * MiB,
    disks: [[null, "scsi", "lsilogic", "vmdk"]], cdroms: 2, nics: [["e1000", "VM-LAN"]], os: "centos-64" },
  { file: "vmware__vmx2xml-esx-in-the-wild-7.vmx", name: "esx-rhel6-mini-with-scsi-device", cpu: 1, memory: 2048 * MiB,
    disks: [[null, "scsi", "pvscsi", "vmdk"]], cdroms: 1, nics: [["vmxnet3", "VM Network"]], os: "rhel6-64", note: /not present \(ignored\): scsi0:3/ },
  { file: "vmware__vmx2xml-fusion-in-the-wild-1.vmx", name: "ATTM_VM", cpu: 2, memory: 3572 * MiB,
    disks: [[null, "scsi", "buslogic", "vmdk"]], cdroms: 1, nics: [[null, "bridged"], [null, "bridged"]], os: "winxppro" },
  { file: "vmware__vmx2xml-gsx-in-the-wild-4.vmx", name: "Client", cpu: 1, memory: 264 * MiB,
    disks: [[null, "ide", "piix4", "vmdk"]], nics: [[null, "net2"]], os: "other26xlinux", note: /not present \(ignored\): ide1:0/ },
  { file: "vmware__vmx2xml-ws-in-the-wild-1.vmx", name: "debian6", cpu: 1, memory: 512 * MiB,
    disks: [[null, "scsi", "lsilogic", "vmdk"]], cdroms: 1, nics: [["e1000", "nat"]], os: "debian6-64" },
];

for (const x of [...OVF, ...VMX]) {
  test(`reads ${x.file}${x.vm !== undefined ? ` VM ${x.vm}` : ""}: ${x.cpu} vCPU, ${x.memory / MiB} MiB, ${x.disks.length} disk(s), ${x.nics.length} NIC(s)`, async () => {
    const inv = await readDescriptor(join(CORPUS, x.file));
    const vm = inv.vms[x.vm ?? 0]!;
    assert.ok(vm, "VM present");
    assert.equal(vm.name, x.name);
    assert.equal(vm.cpu.count, x.cpu);
    assert.equal(vm.memoryBytes, x.memory);
    const disks = vm.disks.filter((d) => d.device === "disk");
    assert.deepEqual(disks.map((d) => [d.capacityBytes, d.bus, d.controller, d.format]), x.disks);
    if (x.cdroms !== undefined) assert.equal(vm.disks.filter((d) => d.device === "cdrom").length, x.cdroms);
    assert.deepEqual(vm.nics.map((n) => [n.model, n.network]), x.nics);
    assert.equal(vm.osType, x.os);
    if (x.firmware !== undefined) assert.equal(vm.firmware, x.firmware);
    if (x.hv !== undefined) assert.equal(vm.hypervisorType, x.hv);
    if (x.note) assert.ok(vm.notes.some((n) => x.note!.test(n)), `a note matching ${x.note} in ${JSON.stringify(vm.notes)}`);
  });
}

test("a vApp (VirtualSystemCollection) yields one inventory entry per VirtualSystem", async () => {
  const inv = await readDescriptor(join(CORPUS, "vmware__two-vms-vapp.ovf"));
  assert.equal(inv.vmCount, 2);
  assert.deepEqual(inv.vms.map((v) => v.name).sort(), ["vm1", "vm2"]);
});

test("deployment options: the default configuration's items are used, the others only named", async () => {
  const vm = (await readDescriptor(join(CORPUS, "cisco__csr1000v.ovf"))).vms[0]!;
  assert.equal(vm.cpu.count, 1, "1CPU-4GB is the default, not 2CPU/4CPU");
  assert.equal(vm.memoryBytes, 4096 * MiB, "not the 8192 MiB of 4CPU-8GB");
});

test("OVF 2.0 StorageItem/EthernetPortItem elements are read like 1.x Items", async () => {
  const vm = (await readDescriptor(join(CORPUS, "virtualbox__ubuntu.2.0.ovf"))).vms[0]!;
  assert.equal(vm.disks.filter((d) => d.device === "disk")[0]!.target, "sata0:0");
  assert.equal(vm.nics.length, 1);
});

test("ignored hardware is listed in notes, not silently dropped", async () => {
  const vm = (await readDescriptor(join(CORPUS, "vmware__TinyCoreLinux.ovf"))).vms[0]!;
  assert.ok(vm.notes.some((n) => /ignored .*USB controller.*serial port/.test(n)), JSON.stringify(vm.notes));
});

for (const mf of ["virtualbox__ubuntu.2.0.mf", "vmware__ttylinux-pc_i486-16.1.mf"]) {
  test(`${mf} is refused as a descriptor with a reason: it is a manifest`, async () => {
    await assert.rejects(readDescriptor(join(CORPUS, mf)), (e: Error) => isUserError(e) && /manifest/.test(e.message) && e.message.includes(mf));
  });
}

test("the real manifests' digests match the real descriptors they list (both SHA256 and SHA1 line styles)", () => {
  const check = (mf: string, ovf: string, prefix: string) => {
    const { lines, bad } = parseManifest(readFileSync(join(CORPUS, mf), "utf8"));
    assert.equal(bad.length, 0);
    const line = lines.find((l) => l.name.endsWith(".ovf"))!;
    assert.equal(`${prefix}${line.name}`, ovf);
    const data = readFileSync(join(CORPUS, ovf));
    const actual = line.algorithm === "sha256" ? sha256Hex(data) : createHash("sha1").update(data).digest("hex");
    assert.equal(actual, line.digest);
  };
  check("virtualbox__ubuntu.2.0.mf", "virtualbox__ubuntu.2.0.ovf", "virtualbox__");
  check("vmware__ttylinux-pc_i486-16.1.mf", "vmware__ttylinux-pc_i486-16.1.ovf", "vmware__");
});
