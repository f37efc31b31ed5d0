import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Route, RouteStep } from "../routes/discover.js";
import { runnerFor } from "./runners/index.js";
import type { Artifact, StepContext, StepReport } from "./types.js";

/**
 * Carries a VM along a route, one tool at a time (export, convert, import): each step gets its
 * own directory in the work directory, its output becomes the next step's input, and the
 * hardware description a step reads from a package travels on. `tiosa migrate` runs a route
 * whole; a campaign case runs it in two parts (Sequence 2 step 5: all but the last tool, step 7:
 * the last one, the import), with the room check between them.
 */
export class RouteExecution {
  private current: Artifact;
  private readonly ctx: Omit<StepContext, "stepDir" | "signal">;

  constructor(readonly route: Route, ctx: Omit<StepContext, "stepDir" | "signal">, start: Artifact) {
    this.ctx = { ...ctx };
    this.current = start;
  }

  /** What the steps run so far produced (the start artifact before any). */
  get artifact(): Artifact { return this.current; }
  get hardware(): StepContext["hardware"] { return this.ctx.hardware; }
  get lastIndex(): number { return this.route.steps.length - 1; }

  /**
   * Runs steps `from`..`to` (0-based, inclusive). An abort before a step stops there;
   * `onStart` and `onStep` see each step as it begins and ends.
   */
  async run(from: number, to: number, o: {
    signal?: AbortSignal;
    onStart?: (index: number, step: RouteStep) => void;
    onStep?: (report: StepReport, index: number) => void;
  } = {}): Promise<{ reports: StepReport[]; bytesRead: number; bytesWritten: number }> {
    const reports: StepReport[] = [];
    let bytesRead = 0, bytesWritten = 0;
    for (let i = from; i <= to; i++) {
      o.signal?.throwIfAborted();
      const step = this.route.steps[i]!;
      const stepDir = join(this.ctx.workDir, `${String(i + 1).padStart(2, "0")}-${step.tool.id.replace(/[^A-Za-z0-9_-]+/g, "_")}`);
      await mkdir(stepDir, { recursive: true });
      o.onStart?.(i, step);
      const t0 = Date.now();
      const outcome = await runnerFor(step.tool)(this.current, step, { ...this.ctx, stepDir, signal: o.signal });
      const report: StepReport = {
        tool: step.tool.id, name: step.tool.name, input: step.input, output: step.output,
        seconds: (Date.now() - t0) / 1000, bytesRead: outcome.bytesRead, bytesWritten: outcome.bytesWritten,
        notes: outcome.notes ?? [],
        ...(outcome.adapt ? { adapt: outcome.adapt } : {}),
      };
      reports.push(report);
      bytesRead += outcome.bytesRead;
      bytesWritten += outcome.bytesWritten;
      if (outcome.hardware) this.ctx.hardware = outcome.hardware;
      this.current = outcome.output;
      o.onStep?.(report, i);
    }
    return { reports, bytesRead, bytesWritten };
  }

  /** The VM the route defined on the target; throws when it ended with something else. */
  targetVm(): string {
    if (!this.current.vmName || !this.current.kind.startsWith("vm:")) throw new Error(`route ${this.route.id} ended with ${this.current.kind}, not a VM`);
    return this.current.vmName;
  }
}

/** One line per step for a case's step detail: "qemu-img vmdk->qcow2 3.2 s (note; note)". */
export function describeSteps(reports: StepReport[]): string {
  return reports.map((r) => `${r.name} ${r.seconds.toFixed(1)} s${r.notes.length ? ` (${r.notes.join("; ")})` : ""}`).join("; ");
}
