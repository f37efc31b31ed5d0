import type { OsTest } from "./os-test.js";
import { kernelVersion } from "./kernel.js";
import { cpu } from "./cpu.js";
import { memory } from "./memory.js";
import { disk } from "./disk.js";
import { networkInterfaces } from "./interfaces.js";
import { ipAddress } from "./ip-address.js";
import { firewallRules } from "./firewall.js";
import { routing } from "./routing.js";
import { icmpPrivateIp, icmpPublicIp } from "./icmp.js";
import { rdnsPrivateIp, rdnsPublicIp } from "./reverse-dns.js";
import { remoteShellProcess, remoteShellPort } from "./remote-shell.js";
import { userManagement } from "./user-ops.js";

/**
 * The registry of Table III: one entry per OS test, in the paper's order. The catalogue
 * (OS_TESTS), the evaluator's rules, the guest script's probes and `tiosa probe`'s rows are
 * derived from it; a new OS test is one module in this directory plus one line here.
 */
export const OS_TEST_REGISTRY: readonly OsTest[] = [
  kernelVersion, //          2.1.a
  cpu, //                    2.2.a
  memory, //                 2.2.b
  disk, //                   2.2.c
  networkInterfaces, //      2.3.a
  ipAddress, //              2.3.b
  firewallRules, //          2.3.c
  routing, //                2.3.d
  icmpPrivateIp, //          2.3.e
  icmpPublicIp, //           2.3.f
  rdnsPrivateIp, //          2.3.g
  rdnsPublicIp, //           2.3.h
  remoteShellProcess, //     2.3.i
  remoteShellPort, //        2.3.j
  ...userManagement, //      2.4.a-f
];

export type { OsTest } from "./os-test.js";
export { catalogueOf, probesOf, ruleOf } from "./os-test.js";
