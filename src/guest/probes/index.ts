import type { Probe } from "../probe.js";
import { appsProbe } from "./apps.js";
import { OS_TEST_REGISTRY, probesOf } from "../../os-tests/index.js";

/**
 * The probes of the one guest script: those the Table III tests name (src/os-tests/, each
 * once, in registry order) plus the application checks; 2.4 runs apart (it changes the guest).
 */
export const PROBES: readonly Probe[] = [...probesOf(OS_TEST_REGISTRY), appsProbe];
