/**
 * The shape of one row of the TIOSA tables (Lenk et al., Tables II, III and IV). Apart from
 * the catalogue so that a Table III test module (src/os-tests/) can declare its own row
 * without importing the catalogue that is derived from those modules.
 */

export type Level = "hypervisor" | "os" | "application" | "overall";

/** How a Table II row is decided (src/evaluate/rules-hypervisor.ts implements each). */
export type HypervisorRuleKind =
  | "must-succeed" //        Launch, Terminate: successful / - / otherwise
  | "equivalent-or-ok"; //   the rest of Table II: equivalent to source or successful / - / otherwise

/**
 * How a test's SUCCESS/WARNING/FAILURE is decided, as `tiosa tests` names it. Table III
 * rows name their test module's rule (kernel, resource-count, ..., op-succeeds: see
 * src/os-tests/); a new OS test brings its own name, hence the open string.
 */
export type RuleKind = HypervisorRuleKind | "app" | "aggregate" | (string & {});

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
