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
