/**
 * The lab every pure campaign test plans against: the demo's three hypervisor families on the
 * local libvirt and its two guests. Tests append their own pairs, routes and cycles.
 */
export const LAB_HYPERVISORS_AND_GUESTS = `hypervisors:
  - { name: kvm, uri: "qemu:///system", family: kvm }
  - { name: vmware, uri: "qemu:///system", family: vmware }
  - { name: hyperv, uri: "qemu:///system", family: hyperv }
guests:
  - { name: debian-12, image: debian-12 }
  - { name: debian-12-hostonly, image: debian-12-hostonly }
`;

/** The smallest real campaign: `tiny` kvm -> vmware, one plain route, one cycle (resume test, orchestration bench). */
export function tinyKvmToVmwareCampaign(name: string, output: string): string {
  return `name: ${name}
hypervisors:
  - { name: kvm, uri: "qemu:///system", family: kvm }
  - { name: vmware, uri: "qemu:///system", family: vmware }
guests:
  - { name: tiny, image: tiny }
pairs:
  - { from: kvm, to: vmware }
routes: { use: all, onePerPair: true }
cycles: 1
timeouts: { boot: 420, stop: 40 }
output: ${output}
`;
}
