export { detectAccel, decideAccel, type Accel, type AccelDecision } from "./accel.js";
export { HARDWARE, isHardwareName, type HardwareName, type HardwareProfile } from "./hardware.js";
export { bootImage, sshBanner, freePort, qemuArgs, type BootOptions, type BootedGuest } from "./boot.js";
export { sshRun, type SshResult } from "./ssh.js";
