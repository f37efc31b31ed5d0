import type { Evaluation, TestRow } from "../evaluate/types.js";
import type { Snapshot } from "../snapshot/schema.js";
import { consoleBootFailure } from "../guest/boot-failure.js";

/**
 * Why a cell failed, in the paper's three classes (V: "8 were due to missing tool support
 * by KVM, 8 were due to CentOS related problems, and 3 due to commercial hypervisor related
 * issues"): `tool` (no route, or an export/convert/import step failed), `os` (the guest did
 * not boot, or booted and lost its network), `hypervisor` (a hypervisor operation failed).
 * Decided from the steps and the evaluation; the evidence that decided it is attached. Pure.
 */

export type CauseClass = "tool" | "os" | "hypervisor";

export const CAUSE_LABELS: Record<CauseClass, string> = {
  tool: "tool support",
  os: "OS related",
  hypervisor: "hypervisor related",
};

export interface CauseEvidence {
  kind: string;
  stepNo: number | null;
  /** Inline text (console tail, guest-agent facts) or the file's path (screenshot). */
  text?: string;
  path?: string;
}

export interface Cause {
  class: CauseClass;
  reason: string;
  evidence: CauseEvidence[];
}

export interface FailureInput {
  noRoute?: { fromFamily: string; toFamily: string };
  /** Steps 1-11 of the case (the capture's 1-3 included), in order. */
  steps: { no: number; name: string; state: string; detail: string | null }[];
  evaluation: Evaluation | null;
  target: Snapshot | null;
  /** Evidence recorded for the case; console text already read from its file. */
  evidence: CauseEvidence[];
  /** Sequence 1 found a hypervisor of the case not ready (unreachable, resources not exposed). */
  notReady?: { hypervisor: string; detail: string | null };
  /** Why the runner gave the case up when no step failed (e.g. aborted, timed out between steps). */
  jobDetail?: string | null;
}

const NETWORK_TESTS = new Set(["2.3.a", "2.3.b", "2.3.e", "2.3.i", "2.3.j"]);
const list = (rows: TestRow[]) => rows.map((r) => `${r.id} ${r.name}`).join(", ");

export function classifyFailure(f: FailureInput): Cause {
  if (f.noRoute) {
    return { class: "tool", reason: `no route moves a VM from ${f.noRoute.fromFamily} to ${f.noRoute.toFamily}`, evidence: [] };
  }
  const consoles = f.evidence.filter((e) => e.kind === "console" && e.text);
  const agent = f.evidence.filter((e) => e.kind === "guest-agent");
  const shots = f.evidence.filter((e) => e.kind === "screenshot");
  const consoleText = consoles.map((e) => e.text!).join("\n");
  const bootLine = consoleBootFailure(consoleText);
  const agentAnswered = agent.length > 0 || f.target?.guest?.transport === "qga";
  const didNotBoot = (why: string): Cause => ({
    class: "os", reason: `the guest did not boot: ${bootLine ?? why}`, evidence: [...consoles, ...shots],
  });
  const lostNetwork = (why: string): Cause => ({
    class: "os", reason: `the guest booted but lost its network: ${why}`, evidence: [...agent, ...consoles, ...shots],
  });

  const failed = f.steps.find((s) => s.state === "failed");
  if (!failed && !f.evaluation && f.notReady) {
    return { class: "hypervisor", reason: `Sequence 1: hypervisor '${f.notReady.hypervisor}' is not ready${f.notReady.detail ? `: ${f.notReady.detail}` : ""}`, evidence: [] };
  }
  if (failed && !f.evaluation) {
    const what = `step ${failed.no} (${failed.name}) failed${failed.detail ? `: ${failed.detail}` : ""}`;
    const stepEvidence = f.evidence.filter((e) => e.stepNo === failed.no);
    switch (failed.no) {
      case 1: case 2: case 4:
        return { class: "hypervisor", reason: `source hypervisor: ${what}`, evidence: stepEvidence };
      case 3:
        return { class: "os", reason: `the guest does not pass the OS test set on its own hypervisor: ${what}`, evidence: stepEvidence };
      case 5: case 6: case 7: case 11:
        return { class: "tool", reason: what, evidence: stepEvidence };
      default: // 8, 9, 10: on the target
        if (bootLine) return didNotBoot(what);
        if (agentAnswered) return lostNetwork(`SSH unreachable while the guest agent answers (${what})`);
        if (failed.no === 9 && consoleText.trim() === "") return { class: "hypervisor", reason: `the target hypervisor did not start the VM: ${what}`, evidence: stepEvidence };
        return { class: "os", reason: `the guest did not come up: ${what}`, evidence: [...consoles, ...shots, ...stepEvidence] };
    }
  }

  const e = f.evaluation;
  const failures = e ? e.tests.filter((t) => t.verdict === "FAILURE") : [];
  const launch = failures.find((t) => t.id === "1.1.a");
  if (launch) {
    if (bootLine) return didNotBoot(launch.target);
    if (consoleText.trim() !== "") return { class: "os", reason: `the guest did not come up: ${launch.reason}`, evidence: [...consoles, ...shots] };
    return { class: "hypervisor", reason: `the target hypervisor could not launch the VM: ${launch.reason}`, evidence: shots };
  }
  if (bootLine) return didNotBoot("its console shows the boot stopping");
  if (e && f.target?.guest === null) {
    return agentAnswered ? lostNetwork("no test could reach the guest while its agent answers") : { class: "os", reason: "the guest launched but could not be reached", evidence: [...consoles, ...shots] };
  }
  const net = failures.filter((t) => NETWORK_TESTS.has(t.id));
  if (agentAnswered && f.target?.guest?.transport === "qga") return lostNetwork(`SSH unreachable while the guest agent answers${net.length ? ` (${list(net)})` : ""}`);
  if (net.length) return lostNetwork(list(net));
  const hv = failures.filter((t) => t.level === "hypervisor");
  if (hv.length) return { class: "hypervisor", reason: `hypervisor operation failed: ${hv.map((t) => `${t.id} ${t.name}: ${t.target}`).join("; ")}`, evidence: shots };
  const os = failures.filter((t) => t.level !== "hypervisor");
  if (os.length) return { class: "os", reason: `${os.map((t) => `${t.id} ${t.name} (${t.reason})`).join("; ")}`, evidence: [] };
  if (e && e.os.verdict === "FAILURE") return { class: "os", reason: e.os.reason, evidence: [] };
  if (!e && !failed) return { class: "tool", reason: `the case did not complete: ${f.jobDetail ?? "no step failed and no evaluation was made"}`, evidence: [] };
  return { class: "os", reason: failed ? `step ${failed.no} (${failed.name}) failed` : "FAILURE without a failed test", evidence: [] };
}
