export { HARDWARE, isHardwareName, type HardwareName } from "./hardware.js";
export { bootImage, sshBanner, freePort, qemuArgs, type BootedGuest } from "./boot.js";
export { sshRun } from "./ssh.js";
