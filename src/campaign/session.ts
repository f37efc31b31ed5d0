import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { UserError, errorMessage } from "../errors.js";
import { buildImage, type BuiltImage } from "../images/index.js";
import { DEFAULT_BUILD_FAMILY } from "../images/builder.js";
import { imageKey } from "./steps/common.js";
import type { Plan } from "./plan.js";
import { DEFAULT_PROFILE, loadRulesProfile } from "../evaluate/profile.js";
import { loadCampaign, parseCampaign, type Campaign } from "./spec.js";
import { planCampaign } from "./plan.js";
import { planRoutes } from "./routes.js";
import { RunStore } from "./store.js";
import { executeRun, recoverRun } from "./runner.js";
import { ProgressView, progressFromStore } from "./progress.js";
import type { RedisTarget } from "./queue/redis.js";

/** Beside run.sqlite: where the campaign file was, so `--resume` finds the files it names. */
export const CAMPAIGN_PATH_FILE = "campaign-path.txt";
import { TIOSA_VERSION } from "../version.js";

export interface SessionOptions {
  /** A new run of this campaign file... */
  campaignFile?: string;
  /** ...or a run to resume (id in `outputDir`, or a directory). */
  resume?: string;
  /** Where runs go (default: the campaign's `output`). */
  outputDir?: string;
  signal: AbortSignal;
  err: (text: string) => void;
  progress?: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  /** Concurrency instead of the campaign's. */
  concurrency?: number;
  /** Put the jobs on this Redis's BullMQ queues for `tiosa worker`s instead of running them here (issue 22). */
  queue?: RedisTarget;
}

export interface SessionResult { store: RunStore; state: "finished" | "aborted"; campaign: Campaign; seconds: number }

/**
 * Builds each image guest as installed on each family it is captured on (the families of the
 * plan's capture jobs); a recipe that does not depend on the hardware is one cached image.
 */
async function buildImages(c: Campaign, plan: Plan, signal: AbortSignal, err: (t: string) => void): Promise<Map<string, BuiltImage>> {
  const images = new Map<string, BuiltImage>();
  const familyOfHs = new Map(plan.hypervisors.map((h) => [h.name, h.family]));
  const said = new Set<string>();
  for (const g of c.guests) {
    if (g.kind !== "image") continue;
    const families = [...new Set(plan.jobs.flatMap((j) => (j.kind === "capture" && j.guest === g.name ? [familyOfHs.get(j.hs) ?? DEFAULT_BUILD_FAMILY] : [])))];
    for (const family of families) {
      const t0 = Date.now();
      const img = await buildImage(g.recipe, {
        signal, family,
        onProgress: (p) => {
          // One image can serve several families: say so once.
          if (p.step === "cache" && said.has(p.message)) return;
          said.add(p.message);
          if (p.phase !== "info" || p.step === "done" || p.step === "cache") err(`images: ${p.image}: ${p.message}`);
        },
      });
      if (!img.cached) err(`images: built ${g.recipe}${img.metadata.builtFor ? ` for ${family}` : ""} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      images.set(imageKey(g.name, family), img);
    }
  }
  return images;
}

/** Opens (resume) or creates the run, builds the images, runs every job left, and closes nothing: the caller reports and closes. */
export async function runSession(o: SessionOptions): Promise<SessionResult> {
  const started = Date.now();
  let campaign: Campaign;
  let store: RunStore;
  let campaignPath: string | null = o.campaignFile ? resolve(o.campaignFile) : null;
  // A wrong queue URL or password is said before anything is created (exit 2).
  if (o.queue) await (await import("./queue/redis.js")).checkRedis(o.queue);
  if (o.resume) {
    const probe = RunStore.open(o.resume, { outputDir: o.outputDir ?? "./tiosa-runs", readonly: true });
    const run = probe.run();
    probe.close();
    const pathFile = join(run.dir, CAMPAIGN_PATH_FILE);
    const file = existsSync(pathFile) ? readFileSync(pathFile, "utf8").trim() : join(run.dir, "campaign.yaml");
    campaignPath = file;
    // The stored text is the campaign; the file's place resolves the paths it names.
    campaign = existsSync(file) && readFileSync(file, "utf8") === run.specText ? await loadCampaign(file) : parseCampaign(run.specText, file);
    store = RunStore.openForResume(run.dir, { specHash: campaign.hash });
    store.markResumed();
    const r = await recoverRun(store, o.err);
    o.err(`tiosa run: resuming ${run.id} (attempt ${run.attempts + 1}): ${r.removed} leftover(s) removed, ${r.reset.length} interrupted job(s) to run again`);
  } else {
    if (!o.campaignFile) throw new UserError("give a campaign file, or --resume RUN");
    campaign = await loadCampaign(o.campaignFile);
    for (const w of campaign.warnings) o.err(`warning: ${w}`);
    const plan = planCampaign(campaign, planRoutes);
    store = RunStore.create(o.outputDir ?? campaign.output, { campaign: campaign.name, specText: campaign.text, specHash: campaign.hash, plan, tiosaVersion: TIOSA_VERSION });
    writeFileSync(join(store.dir, CAMPAIGN_PATH_FILE), resolve(o.campaignFile) + "\n");
    o.err(`tiosa run: run ${store.id} in ${store.dir}: ${plan.jobs.length} jobs (${plan.cells.length} cells, ${campaign.cycles} cycle(s))`);
  }
  try {
    // Over a queue, each worker builds the images its jobs need, on its own machine.
    const images = o.queue ? new Map<string, BuiltImage>() : await buildImages(campaign, store.plan(), o.signal, o.err);
    let profile = DEFAULT_PROFILE;
    if (campaign.rulesFile) {
      try { profile = await loadRulesProfile(campaign.rulesFile); } catch (e) { throw e instanceof UserError ? e : new UserError(`rules file '${campaign.rulesFile}': ${errorMessage(e)}`); }
    }
    const concurrency = o.concurrency ?? campaign.concurrency;
    const view = o.progress ? new ProgressView(o.progress) : null;
    let last = 0;
    const changed = () => {
      const now = Date.now();
      if (!view || (o.progress?.isTTY && now - last < 500)) return;
      last = now;
      view.update(progressFromStore(store, concurrency), now);
    };
    const tick = view && o.progress?.isTTY ? setInterval(() => view.update(progressFromStore(store, concurrency)), 1000) : null;
    let state: "finished" | "aborted";
    try {
      const runner = { campaign, plan: store.plan(), store, images, profile, signal: o.signal, concurrency, log: (m: string) => o.err(m), changed };
      state = o.queue
        ? await (await import("./queue/coordinator.js")).executeQueuedRun({ ...runner, redis: o.queue, campaignFile: campaignPath })
        : await executeRun(runner);
    } finally {
      if (tick) clearInterval(tick);
      view?.update(progressFromStore(store, concurrency));
      view?.finish();
    }
    store.finishRun(state);
    return { store, state, campaign, seconds: (Date.now() - started) / 1000 };
  } catch (e) {
    store.finishRun("aborted");
    store.close();
    throw e;
  }
}
