/**
 * The libvirt driver's accelerator choice uses the one boot probe in src/qemu/accel.ts
 * (a boot sector that leaves protected mode and calls the BIOS, as GRUB does).
 */
export { accelProbeSector, acceleratorRunsBootloaders, PROBE_MARKER, detectAccel as detectGuestAccel } from "../qemu/accel.js";
