import type { AssessRule } from "../concern.js";
import { deviceNameInFstab } from "./device-name-in-fstab.js";
import { emulatedSuspend } from "./emulated-suspend.js";
import { firmwareMismatch } from "./firmware-mismatch.js";
import { freeSpace } from "./free-space.js";
import { guestTools } from "./guest-tools.js";
import { guestUnreadable } from "./guest-unreadable.js";
import { initramfsLacksDiskDriver } from "./initramfs-lacks-disk-driver.js";
import { kernelLacksDriver } from "./kernel-lacks-driver.js";
import { networkBoundToMac } from "./network-bound-to-mac.js";
import { networkBoundToName } from "./network-bound-to-name.js";
import { nicIdentityChanges } from "./nic-identity-changes.js";
import { passthroughDevice } from "./passthrough-device.js";
import { resourcesBeyondTarget } from "./resources-beyond-target.js";
import { secureBootAndTpm } from "./secure-boot-and-tpm.js";
import { sharedDisk } from "./shared-disk.js";
import { snapshots } from "./snapshots.js";

/** The rule set (RULESET_VERSION): a new rule is one file here and one line in this list. */
export const ASSESS_RULES: readonly AssessRule[] = [
  firmwareMismatch, kernelLacksDriver, initramfsLacksDiskDriver, deviceNameInFstab,
  networkBoundToName, networkBoundToMac, nicIdentityChanges, resourcesBeyondTarget,
  passthroughDevice, sharedDisk, snapshots, secureBootAndTpm, freeSpace, guestTools, emulatedSuspend, guestUnreadable,
];
