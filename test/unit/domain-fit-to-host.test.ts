import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fitDomainXmlToHost } from "../../src/hypervisor/libvirt/domain-xml.js";
import { parseXmlTree } from "../../src/descriptors/libvirt-xml.js";

/** As libvirt gives back a domain virt-v2v 2.x defined with -o libvirt (trimmed). */
const V2V_DEFINED = `<domain type='kvm'>
  <name>tiosa-d10e1560-tgt-debian-12</name>
  <memory unit='KiB'>1048576</memory>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/tiosa-d10e1560/tgt-debian-12-sda'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <source network='tiosa-d10e1560'/>
      <model type='virtio'/>
    </interface>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <vsock model='virtio'>
      <cid auto='yes'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x09' function='0x0'/>
    </vsock>
    <memballoon model='virtio'/>
  </devices>
</domain>
`;

const devicesOf = (xml: string): string[] => {
  const devices = (parseXmlTree(xml, "test")["domain"] as Record<string, Record<string, unknown>>)["devices"]!;
  return Object.keys(devices).filter((k) => !k.startsWith("@") && !k.startsWith("#")).sort();
};

test("a host without vhost-vsock loses only the vsock device of a domain virt-v2v defined, and says so", () => {
  const fit = fitDomainXmlToHost(V2V_DEFINED, { accel: "kvm", vhostVsock: false });
  assert.deepEqual(devicesOf(fit.xml), ["channel", "disk", "interface", "memballoon"]);
  assert.equal(fit.changes.length, 1);
  assert.match(fit.changes[0]!, /no \/dev\/vhost-vsock/);
  assert.match(fit.xml, /<domain type='kvm'>/);
  assert.equal(fit.xml, V2V_DEFINED.replace(/    <vsock[\s\S]*?<\/vsock>\n/, ""));
});

test("a TCG host turns a kvm domain into qemu; a host with vhost-vsock keeps the device", () => {
  const fit = fitDomainXmlToHost(V2V_DEFINED, { accel: "tcg", vhostVsock: true });
  assert.match(fit.xml, /^<domain type='qemu'>/);
  assert.deepEqual(devicesOf(fit.xml), ["channel", "disk", "interface", "memballoon", "vsock"]);
  assert.deepEqual(fit.changes.map((c) => c.split(":")[0]), ["domain type kvm -> qemu"]);
});

test("nothing is changed where the host can run the domain as defined, or where vhost-vsock cannot be seen (remote host)", () => {
  for (const vhostVsock of [true, null]) {
    assert.deepEqual(fitDomainXmlToHost(V2V_DEFINED, { accel: "kvm", vhostVsock }), { xml: V2V_DEFINED, changes: [] });
  }
});

test("a self-closing vsock and a real virt-install domain with many devices keep every other device", () => {
  const selfClosing = V2V_DEFINED.replace(/<vsock[\s\S]*?<\/vsock>/, "<vsock model='virtio'/>");
  assert.deepEqual(devicesOf(fitDomainXmlToHost(selfClosing, { accel: "kvm", vhostVsock: false }).xml), ["channel", "disk", "interface", "memballoon"]);

  const many = readFileSync("/work/shared/corpus/descriptors/virtinstall__virt-install-many-devices.xml", "utf8");
  const before = devicesOf(many);
  const fit = fitDomainXmlToHost(many, { accel: "kvm", vhostVsock: false });
  assert.ok(before.includes("vsock"));
  assert.deepEqual(devicesOf(fit.xml), before.filter((d) => d !== "vsock"));
  assert.equal(fit.changes.length, 1);
});

test("the first serial port of a foreign domain also logs where tiosa reads the console; one that logs already, or none at all, is left alone", () => {
  const withSerial = V2V_DEFINED.replace("    <memballoon", `    <serial type='pty'>
      <target type='isa-serial' port='0'>
        <model name='isa-serial'/>
      </target>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <memballoon`);
  const fit = fitDomainXmlToHost(withSerial, { accel: "kvm", vhostVsock: true }, "/var/log/libvirt/qemu/x-serial.log");
  const serial = (parseXmlTree(fit.xml, "test")["domain"] as any)["devices"]["serial"];
  assert.equal(serial["log"]["@file"], "/var/log/libvirt/qemu/x-serial.log");
  assert.equal(serial["target"]["@port"], "0");
  assert.equal(fit.changes.length, 1);
  assert.match(fit.changes[0]!, /serial port 0 also logged/);

  assert.deepEqual(fitDomainXmlToHost(fit.xml, { accel: "kvm", vhostVsock: true }, "/other.log").changes, []);
  assert.deepEqual(fitDomainXmlToHost(V2V_DEFINED, { accel: "kvm", vhostVsock: true }, "/x.log").changes, []);
  const selfClosing = fitDomainXmlToHost(V2V_DEFINED.replace("    <memballoon", "    <serial type='pty'/>\n    <memballoon"), { accel: "kvm", vhostVsock: true }, "/x.log");
  assert.equal((parseXmlTree(selfClosing.xml, "test")["domain"] as any)["devices"]["serial"]["log"]["@file"], "/x.log");
});
