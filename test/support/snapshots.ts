import type { Snapshot } from "../../src/snapshot/schema.js";
import { HYPERVISOR_TEST_IDS } from "../../src/method/catalogue.js";

/**
 * A complete snapshot as a Debian 12 guest on the kvm family produces it; tests copy it
 * and change one value to exercise one rule.
 */
export function baseSnapshot(): Snapshot {
  return {
    schemaVersion: "snapshot/v1",
    capturedAt: "2026-11-23T00:00:00.000Z",
    subject: { vm: "tiosa-debian-12", hypervisor: "qemu:///system", family: "kvm", accel: "tcg" },
    hypervisorTests: Object.fromEntries(HYPERVISOR_TEST_IDS.map((id) => [id, { result: "ok" as const, detail: "observed" }])),
    inventory: null,
    guest: {
      transport: "ssh",
      kernel: { release: "6.1.0-50-amd64", arch: "x86_64" },
      cpu: { count: 2 },
      memory: { totalBytes: 1_000_000_000 },
      filesystems: [{ mountpoint: "/", sizeBytes: 2_040_373_248, device: "/dev/vda1", fstype: "ext4" }],
      interfaces: [{ name: "enp0s3", mac: "52:54:00:12:34:56", driver: "virtio_net", addresses: ["10.0.2.15/24", "fe80::5054:ff:fe12:3456/64"] }],
      firewall: { backend: "nftables", rules: ["inet filter input: ct state established,related accept", "inet filter input: tcp dport 22 accept", "inet filter input: icmp type echo-request accept"] },
      routes: [{ destination: "default", gateway: "10.0.2.2", device: "enp0s3" }, { destination: "10.0.2.0/24", gateway: null, device: "enp0s3" }],
      icmp: { private: { target: "10.0.2.2", sent: 3, received: 3, maxRttMs: 1.2 }, public: null },
      reverseDns: { private: { address: "10.0.2.2", name: "gateway.lan" }, public: null },
      remoteShell: { process: "sshd", running: true, port: 22, listening: true },
      userOps: { addUser: true, writeFile: true, readFile: true, deleteFile: true, changePassword: true, deleteUser: true },
      apps: [{ name: "web", ok: true, detail: "HTTP 200" }],
    },
    notRequested: { "2.3.f": "no public ICMP target configured", "2.3.h": "no public reverse-DNS address configured" },
  };
}

/** A deep copy with `edit` applied. */
export function variant(edit: (s: Snapshot) => void, from: Snapshot = baseSnapshot()): Snapshot {
  const copy = structuredClone(from);
  edit(copy);
  return copy;
}
