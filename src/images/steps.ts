import { statfs } from "node:fs/promises";
import { UserError, errorMessage } from "../errors.js";
import { ExecError } from "../util/exec.js";

export interface BuildProgress {
  image: string;
  /** Step name, e.g. "mmdebstrap (download + install packages)". */
  step: string;
  /** "start" | "done" per step; "info" for facts such as the disk method chosen. */
  phase: "start" | "done" | "info";
  message: string;
  /** Since the build started. */
  elapsedMs: number;
}

/** A build failed at a named step; the CLI prints it and exits 2. */
export class ImageBuildError extends UserError {
  constructor(readonly image: string, readonly step: string, detail: string, hint?: string) {
    super(`image '${image}': step '${step}' failed: ${detail}`, hint);
    this.name = "ImageBuildError";
  }
}

const HEARTBEAT_MS = 30_000;
const DISK_FULL = /No space left on device|ENOSPC|Disk quota exceeded|EDQUOT/i;
const APT_FAILED = /Failed to fetch|Unable to locate package|Temporary failure resolving|Could not resolve|Unable to connect|404\s+Not Found|Hash Sum mismatch|apt-get .*download failed|failed to download|E: Unable to fetch|Connection failed/i;

/** Runs build steps, reporting progress and turning failures into errors naming the step. */
export class StepRunner {
  readonly started = Date.now();
  readonly timings: { step: string; ms: number }[] = [];

  constructor(
    readonly image: string,
    readonly workDir: string,
    private readonly onProgress?: (p: BuildProgress) => void,
    readonly signal?: AbortSignal,
  ) {}

  info(step: string, message: string): void {
    this.onProgress?.({ image: this.image, step, phase: "info", message, elapsedMs: Date.now() - this.started });
  }

  async step<T>(step: string, fn: () => Promise<T>): Promise<T> {
    this.signal?.throwIfAborted();
    const t0 = Date.now();
    this.onProgress?.({ image: this.image, step, phase: "start", message: `${step} ...`, elapsedMs: t0 - this.started });
    // Some steps take minutes: a heartbeat shows the build is alive.
    const beat = setInterval(() => {
      this.onProgress?.({ image: this.image, step, phase: "info", message: `${step}: still running (${Math.round((Date.now() - t0) / 1000)} s)`, elapsedMs: Date.now() - this.started });
    }, HEARTBEAT_MS);
    beat.unref();
    try {
      const v = await fn();
      const ms = Date.now() - t0;
      this.timings.push({ step, ms });
      this.onProgress?.({ image: this.image, step, phase: "done", message: `${step}: ${(ms / 1000).toFixed(1)} s`, elapsedMs: Date.now() - this.started });
      return v;
    } catch (e) {
      if (this.signal?.aborted) throw new ImageBuildError(this.image, step, `interrupted (${errorMessage(this.signal.reason)})`);
      if (e instanceof ImageBuildError) throw e;
      throw await this.explain(step, e);
    } finally {
      clearInterval(beat);
    }
  }

  private async explain(step: string, e: unknown): Promise<ImageBuildError> {
    const text = e instanceof ExecError ? `${e.result.stderr}\n${e.result.stdout}` : errorMessage(e);
    const short = errorMessage(e).split("\n").slice(0, 6).join(" ");
    if (DISK_FULL.test(text) || DISK_FULL.test(short)) {
      const free = await statfs(this.workDir).then((s) => `${Math.round((s.bavail * s.bsize) / 2 ** 20)} MiB free`).catch(() => "free space unknown");
      return new ImageBuildError(this.image, step, `disk full in ${this.workDir} (${free})`, "free some space or set XDG_CACHE_HOME to a bigger file system");
    }
    if (APT_FAILED.test(text)) {
      const line = text.split("\n").find((l) => APT_FAILED.test(l))?.trim() ?? short;
      return new ImageBuildError(this.image, step, `package download failed: ${line}`, "check that the Debian mirror is reachable (see the recipe's mirror)");
    }
    return new ImageBuildError(this.image, step, short);
  }
}

/** Refuses to start a build that cannot fit, rather than failing half-way. */
export async function requireFreeSpace(image: string, dir: string, bytes: number): Promise<void> {
  const s = await statfs(dir);
  const free = s.bavail * s.bsize;
  if (free < bytes) {
    throw new ImageBuildError(image, "check free space", `${Math.round(free / 2 ** 20)} MiB free in ${dir}, the build needs about ${Math.round(bytes / 2 ** 20)} MiB`,
      "free some space or set XDG_CACHE_HOME to a bigger file system");
  }
}
