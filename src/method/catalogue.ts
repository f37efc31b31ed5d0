/**
 * The TIOSA test catalogue: Tables II, III and IV of Lenk et al., "TIOSA: Testing VM
 * Interoperability at an OS and Application Level", as data. Reports and `tiosa tests`
 * print it; the evaluator looks up each test's `rule` here.
 */

export type Level = "hypervisor" | "os" | "application" | "overall";

/** How a test's SUCCESS/WARNING/FAILURE is decided (src/evaluate/rules-*.ts implement each). */
export type RuleKind =
  | "must-succeed" //        Launch, Terminate: successful / - / otherwise
  | "equivalent-or-ok" //    the rest of Table II: equivalent to source or successful / - / otherwise
  | "kernel" //              2.1.a
  | "resource-count" //      2.2.a CPU
  | "resource-bytes" //      2.2.b MEM
  | "disks" //               2.2.c
  | "interfaces" //          2.3.a
  | "addresses" //           2.3.b
  | "firewall" //            2.3.c
  | "routes" //              2.3.d
  | "icmp" //                2.3.e, 2.3.f
  | "rdns-private" //        2.3.g
  | "rdns-public" //         2.3.h
  | "unchanged" //           2.3.i, 2.3.j: no change / - / changed
  | "op-succeeds" //         2.4.x: successful / - / failed
  | "app" //                 user-declared application checks
  | "aggregate"; //          Table IV

export interface TestDefinition {
  id: string;
  name: string;
  level: Level;
  /** Section of the table, e.g. "1.1 VM Lifecycle". */
  group: string;
  rule: RuleKind;
  /** The paper's condition for each outcome, verbatim ("-" where the class does not exist). */
  success: string;
  warning: string;
  failure: string;
}

const eqOk = (id: string, name: string, group: string): TestDefinition => ({
  id, name, group, level: "hypervisor", rule: "equivalent-or-ok",
  success: "equivalent to source or successful", warning: "-", failure: "otherwise",
});
const opOk = (id: string, name: string): TestDefinition => ({
  id, name, group: "2.4 Check file system and user management", level: "os", rule: "op-succeeds",
  success: "successful", warning: "-", failure: "failed",
});

const G11 = "1.1 VM Lifecycle", G12 = "1.2 VM Disk Management", G13 = "1.3 Injection",
  G14 = "1.4 VM Access", G15 = "1.5 VM Network Management";
const G21 = "2.1 OS metadata", G22 = "2.2 Check resources", G23 = "2.3 Connectivity";

/** Table II. */
export const HYPERVISOR_TESTS: readonly TestDefinition[] = [
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

/** Table III. */
export const OS_TESTS: readonly TestDefinition[] = [
  { id: "2.1.a", name: "Kernel Version", group: G21, level: "os", rule: "kernel", success: "no change", warning: "revision change", failure: "version change or arch change" },
  { id: "2.2.a", name: "CPU", group: G22, level: "os", rule: "resource-count", success: "no change", warning: "+10%", failure: "higher deviation" },
  { id: "2.2.b", name: "MEM", group: G22, level: "os", rule: "resource-bytes", success: "no change", warning: "+10%", failure: "higher deviation" },
  { id: "2.2.c", name: "Disk", group: G22, level: "os", rule: "disks", success: "same mount points, for all size not changed", warning: "different mount points, for all size not changed", failure: "further deviations" },
  { id: "2.3.a", name: "Network interfaces", group: G23, level: "os", rule: "interfaces", success: "no change", warning: "changed", failure: "missing" },
  { id: "2.3.b", name: "IP Address", group: G23, level: "os", rule: "addresses", success: "no change", warning: "changed", failure: "missing" },
  { id: "2.3.c", name: "Firewall Rules", group: G23, level: "os", rule: "firewall", success: "no change", warning: "rule is changed", failure: "rule is missing" },
  { id: "2.3.d", name: "Routing", group: G23, level: "os", rule: "routes", success: "no change", warning: "route is changed", failure: "route is missing" },
  { id: "2.3.e", name: "ICMP private IP", group: G23, level: "os", rule: "icmp", success: "3 packages sent, 0% loss, < 3000ms", warning: "3 packages sent, < 33% loss, < 6000ms", failure: "higher loss or latency" },
  { id: "2.3.f", name: "ICMP public IP", group: G23, level: "os", rule: "icmp", success: "3 packages sent, 0% loss, < 3000ms", warning: "3 packages sent, < 33% loss, < 6000ms", failure: "higher loss or latency" },
  { id: "2.3.g", name: "DNS reverse lookup private IP", group: G23, level: "os", rule: "rdns-private", success: "successful", warning: "-", failure: "not successful" },
  { id: "2.3.h", name: "DNS reverse lookup public IP", group: G23, level: "os", rule: "rdns-public", success: "194.25.2.129 -> dns.isp.t-ipnet.de", warning: "-", failure: "otherwise" },
  { id: "2.3.i", name: "Remote Shell Process running", group: G23, level: "os", rule: "unchanged", success: "no change", warning: "-", failure: "changed" },
  { id: "2.3.j", name: "Remote Shell Port available", group: G23, level: "os", rule: "unchanged", success: "no change", warning: "-", failure: "changed" },
  opOk("2.4.a", "Add dummy user"),
  opOk("2.4.b", "Write test file to home dir"),
  opOk("2.4.c", "Read test file from home dir"),
  opOk("2.4.d", "Delete test file from home dir"),
  opOk("2.4.e", "Change dummy user password"),
  opOk("2.4.f", "Delete dummy user"),
];

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
