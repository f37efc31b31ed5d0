import { TIOSA_XMLNS } from "../../descriptors/libvirt-xml.js";
import type { HardwareFamily } from "../families/family.js";

/** Escapes a value for an XML attribute or text node. */
export function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

export interface DomainXmlSpec {
  name: string;
  runId: string;
  family: HardwareFamily;
  /** kvm: libvirt <domain type='kvm'>; tcg: <domain type='qemu'>. */
  accel: "kvm" | "tcg";
  memoryMiB: number;
  vcpus: number;
  /** Disk files as the hypervisor host sees them, in boot order. */
  disks: { path: string; format: string }[];
  network: string;
  /** Host file the first serial port is logged to (virtlogd), besides its pty. */
  serialLogPath: string;
}

/** The guest target of the n-th disk on a bus: vda, vdb / sda / hda, hdb. */
export function targetName(prefix: string, n: number): string {
  return prefix + String.fromCharCode("a".charCodeAt(0) + n);
}

/**
 * The domain XML of a VM with a family's virtual hardware, carrying the tiosa run marker.
 * The guest agent channel is tiosa's instrumentation (observations from outside the
 * network), not part of a family's hardware; guests without virtio-console just ignore it.
 */
export function buildDomainXml(s: DomainXmlSpec): string {
  const f = s.family;
  const e = xmlEscape;
  const disks = s.disks.map((d, i) => {
    const address = f.disk.bus === "scsi" ? `\n      <address type='drive' controller='0' bus='0' target='${i}' unit='0'/>` : "";
    return `    <disk type='file' device='disk'>
      <driver name='qemu' type='${e(d.format)}'/>
      <source file='${e(d.path)}'/>
      <target dev='${targetName(f.disk.targetPrefix, i)}' bus='${e(f.disk.bus)}'/>${address}
    </disk>`;
  });
  const controller = f.disk.bus === "scsi" && f.disk.controller ? [`    <controller type='scsi' index='0' model='${e(f.disk.controller)}'/>`] : [];
  const hyperv = f.hyperv.length
    ? `\n    <hyperv mode='custom'>\n${f.hyperv.map((h) => `      <${h} state='on'${h === "spinlocks" ? " retries='8191'" : ""}/>`).join("\n")}\n    </hyperv>`
    : "";
  return `<domain type='${s.accel === "kvm" ? "kvm" : "qemu"}'>
  <name>${e(s.name)}</name>
  <metadata>
    <tiosa:run xmlns:tiosa="${TIOSA_XMLNS}" id="${e(s.runId)}" family="${e(f.name)}"/>
  </metadata>
  <description>tiosa test VM, hardware family '${e(f.name)}': ${e(f.description)}</description>
  <memory unit='MiB'>${s.memoryMiB}</memory>
  <vcpu placement='static'>${s.vcpus}</vcpu>
  <os${f.firmware === "uefi" ? " firmware='efi'" : ""}>
    <type arch='x86_64' machine='${e(f.machine)}'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>${hyperv}
  </features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
${[...disks, ...controller].join("\n")}
    <interface type='network'>
      <source network='${e(s.network)}'/>
      <model type='${e(f.nic.model)}'/>
    </interface>
    <serial type='pty'>
      <log file='${e(s.serialLogPath)}' append='off'/>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    <video>
      <model type='${e(f.video.model)}'/>
    </video>
  </devices>
</domain>
`;
}

/** A blank volume hot-plugged for the disk tests, on the family's bus. */
export function buildAttachDiskXml(opts: { path: string; format: string; target: string; bus: string; scsiUnitTarget?: number }): string {
  const e = xmlEscape;
  // pvscsi rejects virsh attach-disk's automatic address ("bad scsi device lun: 1"):
  // an explicit drive address on a free target works (lab notes).
  const address = opts.bus === "scsi" ? `\n  <address type='drive' controller='0' bus='0' target='${opts.scsiUnitTarget ?? 1}' unit='0'/>` : "";
  return `<disk type='file' device='disk'>
  <driver name='qemu' type='${e(opts.format)}'/>
  <source file='${e(opts.path)}'/>
  <target dev='${e(opts.target)}' bus='${e(opts.bus)}'/>${address}
</disk>
`;
}

/** A NAT network with DHCP for tiosa's guests, named with the tiosa prefix. */
export function buildNetworkXml(name: string, thirdOctet: number): string {
  const n = `192.168.${thirdOctet}`;
  return `<network>
  <name>${xmlEscape(name)}</name>
  <forward mode='nat'/>
  <bridge name='tbr${thirdOctet}' stp='off' delay='0'/>
  <ip address='${n}.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='${n}.10' end='${n}.250'/>
    </dhcp>
  </ip>
</network>
`;
}

const ipv4 = (a: string): number | null => {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  if (!m || m.slice(1).some((x) => Number(x) > 255)) return null;
  return m.slice(1).reduce((n, x) => n * 256 + Number(x), 0);
};
const dotted = (n: number) => [24, 16, 8, 0].map((b) => (n >>> b) & 255).join(".");

/**
 * A NAT network for a guest whose address is written into its image: the host takes the
 * guest's gateway and its DNS servers (those in the subnet) as addresses on the bridge, so
 * the guest finds its gateway, and libvirt's dnsmasq answers DNS on each; no DHCP. Throws
 * when the configuration cannot exist on one subnet.
 */
export function buildFixedSubnetNetworkXml(name: string, bridge: string, net: { address: string; prefix: number; gateway: string; dns: string[] }): string {
  const guest = ipv4(net.address);
  if (guest === null || !(net.prefix >= 8 && net.prefix <= 30)) throw new Error(`guest address ${net.address}/${net.prefix} is not an IPv4 address with a prefix of 8-30`);
  const mask = (0xffffffff << (32 - net.prefix)) >>> 0;
  const inSubnet = (a: string) => { const n = ipv4(a); return n !== null && ((n & mask) >>> 0) === ((guest & mask) >>> 0) && n !== guest; };
  if (!inSubnet(net.gateway)) throw new Error(`gateway ${net.gateway} is not another address in ${net.address}/${net.prefix}`);
  const hostAddresses = [net.gateway, ...net.dns.filter((d) => d !== net.gateway && inSubnet(d))];
  const netmask = dotted(mask);
  return `<network>
  <name>${xmlEscape(name)}</name>
  <forward mode='nat'/>
  <bridge name='${xmlEscape(bridge)}' stp='off' delay='0'/>
${hostAddresses.map((a) => `  <ip address='${a}' netmask='${netmask}'/>`).join("\n")}
</network>
`;
}


/** What this host can give a domain defined by someone else (virt-v2v -o libvirt). */
export interface HostAbilities {
  /** "tcg" when KVM cannot run guests here (these lab machines' /dev/kvm shim). */
  accel: "kvm" | "tcg";
  /** Whether /dev/vhost-vsock exists; null when unknown (a remote host). */
  vhostVsock: boolean | null;
}

/**
 * Fits a domain another tool defined to what this host can run, and says what changed.
 * Only host capabilities are touched, never the guest's hardware as the tool chose it: a
 * `kvm` domain becomes `qemu` (TCG) where KVM cannot run guests, and a virtio-vsock device
 * (virt-v2v >= 2.x adds one for the guest agent's vsock channel; the guest boots without it)
 * is dropped where the host has no vhost-vsock, because libvirt then refuses to start the
 * domain at all ("unable to open vhost-vsock device").
 */
export function fitDomainXmlToHost(xml: string, host: HostAbilities, serialLogPath?: string): { xml: string; changes: string[] } {
  const changes: string[] = [];
  let out = xml;
  if (host.accel === "tcg" && /<domain\s+type=(['"])kvm\1/.test(out)) {
    out = out.replace(/<domain(\s+)type=(['"])kvm\2/, "<domain$1type=$2qemu$2");
    changes.push("domain type kvm -> qemu: KVM cannot run guests on this host, QEMU runs it with TCG");
  }
  if (host.vhostVsock === false) {
    const vsock = /[ \t]*<vsock\b[^>]*?(?:\/>|>[\s\S]*?<\/vsock>)[ \t]*\r?\n?/g;
    const found = out.match(vsock)?.length ?? 0;
    if (found > 0) {
      out = out.replace(vsock, "");
      changes.push(`removed ${found === 1 ? "the virtio-vsock device" : `${found} virtio-vsock devices`} the tool defined: this host has no /dev/vhost-vsock (libvirt would refuse to start the VM); the guest does not need it to boot`);
    }
  }
  if (serialLogPath) {
    // Instrumentation, not hardware: the first serial port also logs to the file tiosa reads
    // for 1.4.a, as on the VMs tiosa defines itself; without it the test could not see a
    // console that works.
    const serial = /<serial\b([^>]*?)(\/>|>([\s\S]*?)<\/serial>)/.exec(out);
    if (serial && !/<log\b/.test(serial[3] ?? "")) {
      const log = `<log file='${xmlEscape(serialLogPath)}' append='off'/>`;
      const body = serial[2] === "/>" ? `>${log}</serial>` : `>${log}${serial[3]}</serial>`;
      out = out.slice(0, serial.index) + `<serial${serial[1]}${body}` + out.slice(serial.index + serial[0].length);
      changes.push(`serial port 0 also logged to ${serialLogPath} (how tiosa reads the console in 1.4.a; the guest's hardware is unchanged)`);
    }
  }
  return { xml: out, changes };
}
