/**
 * The TIOSA test catalogue: Tables II, III and IV of Lenk et al., "TIOSA: Testing VM
 * Interoperability at an OS and Application Level", as data. Reports and `tiosa tests`
 * print it; the evaluator looks up each Table II test's `rule` here. Table III rows come from
 * their test modules (src/os-tests/), so a new OS test needs no line in this file.
 */

import { OS_TEST_REGISTRY, catalogueOf } from "../os-tests/index.js";
import type { HypervisorRuleKind, TestDefinition } from "./test-definition.js";

export type { Level, HypervisorRuleKind, TestDefinition } from "./test-definition.js";

/** A Table II row: decided by one of the two hypervisor rules. */
export type HypervisorTestDefinition = TestDefinition & { level: "hypervisor"; rule: HypervisorRuleKind };

const eqOk = (id: string, name: string, group: string): HypervisorTestDefinition => ({
  id, name, group, level: "hypervisor", rule: "equivalent-or-ok",
  success: "equivalent to source or successful", warning: "-", failure: "otherwise",
});
const G11 = "1.1 VM Lifecycle", G12 = "1.2 VM Disk Management", G13 = "1.3 Injection",
  G14 = "1.4 VM Access", G15 = "1.5 VM Network Management";

/** Table II. */
export const HYPERVISOR_TESTS: readonly HypervisorTestDefinition[] = [
  { id: "1.1.a", name: "Launch", group: G11, level: "hypervisor", rule: "must-succeed", success: "successful", warning: "-", failure: "otherwise" },
  eqOk("1.1.b", "Reboot", G11),
  eqOk("1.1.c", "Pause", G11),
  eqOk("1.1.d", "Un-Pause", G11),
  eqOk("1.1.e", "Suspend", G11),
  eqOk("1.1.f", "Resume", G11),
  { id: "1.1.g", name: "Terminate", group: G11, level: "hypervisor", rule: "must-succeed", success: "Successful", warning: "-", failure: "otherwise" },
  eqOk("1.2.a", "Resize Volume", G12),
  eqOk("1.2.b", "Attach Volume", G12),
  eqOk("1.2.c", "Detach Volume", G12),
  eqOk("1.3.a", "Inject network", G13),
  eqOk("1.3.b", "Inject file", G13),
  eqOk("1.4.a", "Serial Console", G14),
  eqOk("1.4.b", "Graphical Console", G14),
  eqOk("1.5.a", "VLAN Networking", G15),
  eqOk("1.5.b", "Flat Networking", G15),
  eqOk("1.5.c", "Hypervisor Firewall Rules", G15),
  eqOk("1.5.d", "Routing", G15),
];

/** Table III: each row is declared by its test module (src/os-tests/), listed in the registry. */
export const OS_TESTS: readonly TestDefinition[] = catalogueOf(OS_TEST_REGISTRY);

/** Table IV. */
export const AGGREGATION_RULES: readonly TestDefinition[] = [
  { id: "3.1.a", name: "Hypervisor Aggregation rule", group: "3.1 Hypervisor", level: "overall", rule: "aggregate",
    success: 'For all tests (1.x) the result is "Successful"', warning: "otherwise",
    failure: 'Test 1.1.a (Launch) result is "Failed" or Test 1.1.g (Terminate) result is "Failed"' },
  { id: "3.2.a", name: "OS Aggregation rule", group: "3.2 OS", level: "overall", rule: "aggregate",
    success: 'For all tests (2.x) the result is "Successful"', warning: "otherwise",
    failure: 'For at least one test (2.x) the result is "Failed" or at least one test could not be performed' },
  { id: "3.3.a", name: "Overall Aggregation rule", group: "3.3 Overall", level: "overall", rule: "aggregate",
    success: 'For all results (3.1-3.2) the value is "Successful"', warning: 'For at least one result (3.1-3.2) the value is "Warning"',
    failure: 'For at least one result (3.1-3.2) the value is "Failed"' },
];

/** Application checks are declared by the user; their ids are `app:NAME`. */
export const APP_TEST: Omit<TestDefinition, "id" | "name"> = {
  group: "Application checks", level: "application", rule: "app",
  success: "check passes on the target", warning: "check fails on the target and failed on the source too",
  failure: "check fails on the target (or could not run) while it passed on the source",
};

export const CATALOGUE: readonly TestDefinition[] = [...HYPERVISOR_TESTS, ...OS_TESTS, ...AGGREGATION_RULES];

const BY_ID = new Map(CATALOGUE.map((t) => [t.id, t]));

export function testById(id: string): TestDefinition | undefined {
  if (id.startsWith("app:")) return { ...APP_TEST, id, name: id.slice(4) };
  return BY_ID.get(id);
}

export const HYPERVISOR_TEST_IDS = HYPERVISOR_TESTS.map((t) => t.id);
export const OS_TEST_IDS = OS_TESTS.map((t) => t.id);
