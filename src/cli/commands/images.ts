import type { Command } from "../command.js";
import { UserError } from "../../errors.js";
import { renderTable } from "../../util/table.js";
import { buildImage, cachedImage, cachedImageDir, listRecipes, findRecipe } from "../../images/index.js";
import { recipeHash } from "../../images/recipe.js";
import { resolveRecipe } from "../../images/builder.js";
import { dependsOnFamily } from "../../images/installed-on.js";
import { getFamily, knownFamilies } from "../../hypervisor/families/index.js";

const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;

export const imagesCommand: Command = {
  name: "images",
  summary: "Build guest images from Debian packages (cached) or list the recipes",
  usage: "list | build NAME [--family FAMILY] [--out DIR]",
  options: { out: { type: "string" }, family: { type: "string" } },
  async run(ctx) {
    const [sub, name, ...extra] = ctx.positionals;
    if (sub === "list") {
      if (name) throw new UserError(`'images list' takes no argument (got '${name}')`);
      // A recipe that depends on the hardware is one image per family it is installed on.
      const variants = listRecipes().flatMap((base) => dependsOnFamily(base)
        ? knownFamilies().map((f) => ({ base, r: resolveRecipe(base, f) }))
        : [{ base, r: base }]);
      const rows = await Promise.all(variants.map(async ({ base, r }) => {
        const hit = await cachedImage(r);
        return {
          name: base.name, builtFor: r.builtFor ?? null, description: base.description, portabilityTrait: base.portabilityTrait, recipeHash: recipeHash(r),
          cached: !!hit, path: hit ? hit.diskPath : null, cacheDir: cachedImageDir(r),
          virtualBytes: hit?.metadata.disk.virtualBytes ?? null, allocatedBytes: hit?.metadata.disk.allocatedBytes ?? null,
          buildDurationMs: hit?.metadata.buildDurationMs ?? null,
        };
      }));
      if (ctx.format === "json") ctx.out(JSON.stringify(rows, null, 2));
      else {
        ctx.out(renderTable(["NAME", "FOR", "CACHED", "VIRTUAL", "ALLOCATED", "BUILD", "DESCRIPTION"], rows.map((r) => [
          r.name, r.builtFor ?? "any", r.cached ? "yes" : "no", r.virtualBytes ? mib(r.virtualBytes) : "-", r.allocatedBytes ? mib(r.allocatedBytes) : "-",
          r.buildDurationMs ? `${Math.round(r.buildDurationMs / 1000)} s` : "-", r.description,
        ]), { maxWidth: [20, 7, 6, 9, 9, 6, 64] }));
      }
      return 0;
    }
    if (sub === "build") {
      if (!name) throw new UserError(`'images build' needs a recipe name; known: ${listRecipes().map((r) => r.name).join(", ")}`);
      if (extra.length) throw new UserError(`'images build' takes one recipe name (extra: ${extra.join(" ")})`);
      findRecipe(name);
      const family = ctx.options.family;
      if (family !== undefined && (typeof family !== "string" || family === "")) throw new UserError("--family needs a hardware family name");
      if (typeof family === "string") getFamily(family);
      const out = ctx.options.out;
      if (out !== undefined && (typeof out !== "string" || out === "")) throw new UserError("--out needs a directory");
      const img = await buildImage(name, {
        ...(typeof out === "string" ? { outDir: out } : {}),
        ...(typeof family === "string" ? { family } : {}),
        signal: ctx.signal,
        onProgress: (p) => ctx.err(`[${(p.elapsedMs / 1000).toFixed(0).padStart(4)} s] ${p.image}: ${p.message}`),
      });
      if (ctx.format === "json") ctx.out(JSON.stringify(img, null, 2));
      else {
        const m = img.metadata;
        ctx.out([
          `image:      ${img.name}${m.builtFor ? `, installed on ${m.builtFor} hardware` : ""}${img.cached ? " (from cache)" : ""}`,
          `disk:       ${img.diskPath} (qcow2, ${mib(m.disk.virtualBytes)} virtual, ${mib(m.disk.allocatedBytes)} allocated)`,
          `ssh key:    ${img.sshPrivateKeyPath} (user root)`,
          `metadata:   ${img.metadataPath}`,
          `os/kernel:  ${m.os.prettyName} / ${m.kernelRelease}`,
          `built with: ${m.buildMethod} in ${(m.buildDurationMs / 1000).toFixed(0)} s (recipe hash ${m.recipeHash})`,
        ].join("\n"));
      }
      return 0;
    }
    throw new UserError(`'images ${sub ?? ""}': expected 'list' or 'build NAME'`);
  },
};
