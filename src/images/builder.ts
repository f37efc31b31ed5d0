import { mkdir, rename, rm, readFile, writeFile, stat, copyFile, chmod } from "node:fs/promises";
import { join, resolve } from "node:path";
import { runOk } from "../util/exec.js";
import { UserError, errorMessage } from "../errors.js";
import { RECIPES } from "./recipes/index.js";
import { BUILDER_VERSION, configuredSummary, recipeHash, type Recipe } from "./recipe.js";
import { buildDirName, imageCacheDir, imageDirName, releaseDir, removeDeadBuilds, allocatedBytes } from "./cache.js";
import { detectDiskMethod, type DiskMethod } from "./disk.js";
import { ImageBuildError, StepRunner, requireFreeSpace, type BuildProgress } from "./steps.js";
import { buildDebian } from "./debian.js";
import { buildTiny, type BuiltDisk } from "./tiny.js";
import { recipeForFamily } from "./installed-on.js";
import { getFamily } from "../hypervisor/families/index.js";
import type { HardwareFamily } from "../hypervisor/families/family.js";

const DISK_FILE = "disk.qcow2";
const KEY_FILE = "id_ed25519";
const METADATA_FILE = "metadata.json";

interface ImageMetadata {
  schema: "tiosa-image/v1";
  name: string;
  description: string;
  portabilityTrait: string;
  os: { id: string; version: string; codename: string; prettyName: string };
  kernelRelease: string;
  configured: Record<string, string>;
  details: Record<string, string>;
  recipeHash: string;
  /** The hardware family it was installed on (recipes whose content depends on it), else null. */
  builtFor: string | null;
  builderVersion: string;
  buildMethod: DiskMethod;
  bootloader: "grub-i386-pc-mbr";
  rootFsUuid: string;
  buildDurationMs: number;
  steps: { step: string; ms: number }[];
  builtAt: string;
  disk: { file: string; format: "qcow2"; virtualBytes: number; allocatedBytes: number };
  ssh: { user: "root"; privateKey: string; publicKey: string; port: 22 };
}

export interface BuiltImage {
  name: string;
  /** The qcow2 disk (boot it with -snapshot or copy it: the cached file is shared). */
  diskPath: string;
  format: "qcow2";
  sshPrivateKeyPath: string;
  sshPublicKeyPath: string;
  user: "root";
  metadata: ImageMetadata;
  metadataPath: string;
  /** True when the image came from the cache without building. */
  cached: boolean;
}

interface BuildOptions {
  /** Also copy the image's files into this directory (the cache keeps its copy). */
  outDir?: string;
  onProgress?: (p: BuildProgress) => void;
  signal?: AbortSignal;
  /** Default imageCacheDir(). */
  cacheDir?: string;
  /**
   * The hardware family to install it on (name or family), for recipes whose content depends
   * on the hardware (src/images/installed-on.ts). Default: kvm.
   */
  family?: string | HardwareFamily;
}

/** The family builds default to: tiosa's images were always installed on kvm hardware. */
export const DEFAULT_BUILD_FAMILY = "kvm";

/** A recipe (by name or as is) resolved for the family it is installed on. */
export function resolveRecipe(nameOrRecipe: string | Recipe, family: string | HardwareFamily = DEFAULT_BUILD_FAMILY): Recipe {
  const recipe = typeof nameOrRecipe === "string" ? findRecipe(nameOrRecipe) : nameOrRecipe;
  return recipeForFamily(recipe, typeof family === "string" ? getFamily(family) : family);
}

export function listRecipes(): readonly Recipe[] {
  return RECIPES;
}

export function findRecipe(name: string): Recipe {
  const r = RECIPES.find((x) => x.name === name);
  if (!r) throw new UserError(`image recipe '${name}' is unknown; known: ${RECIPES.map((x) => x.name).join(", ")}`);
  return r;
}

/** Cache entries are `<name>-<hash>`, or `<name>.<family>-<hash>` for an image installed on one family. */
function entryName(recipe: Recipe): string {
  return recipe.builtFor ? `${recipe.name}.${recipe.builtFor}` : recipe.name;
}

export function cachedImageDir(recipe: Recipe, cacheDir = imageCacheDir()): string {
  return join(cacheDir, imageDirName(entryName(recipe), recipeHash(recipe)));
}

/** The cached image of a recipe, or undefined when it has not been built (with this hash). */
export async function cachedImage(recipe: Recipe, cacheDir = imageCacheDir()): Promise<BuiltImage | undefined> {
  const dir = cachedImageDir(recipe, cacheDir);
  try {
    const metadata = JSON.parse(await readFile(join(dir, METADATA_FILE), "utf8")) as ImageMetadata;
    await stat(join(dir, DISK_FILE));
    return imageFromDir(dir, metadata, true);
  } catch {
    return undefined;
  }
}

function imageFromDir(dir: string, metadata: ImageMetadata, cached: boolean): BuiltImage {
  return {
    name: metadata.name, diskPath: join(dir, DISK_FILE), format: "qcow2",
    sshPrivateKeyPath: join(dir, KEY_FILE), sshPublicKeyPath: join(dir, KEY_FILE + ".pub"),
    user: "root", metadata, metadataPath: join(dir, METADATA_FILE), cached,
  };
}

/** Rough bytes a build needs while it runs: the raw disk, its qcow2 copy and package downloads. */
function spaceNeeded(r: Recipe): number {
  return (r.diskSizeMiB * 2 + (r.kind === "tiny" ? 600 : 400)) * 2 ** 20;
}

/**
 * Builds a recipe (by name, or a Recipe object for variants) unless the cache already has it
 * with the same hash. The build runs in a temp dir next to the cache entry and is renamed into
 * place at the end, so an interrupted or failed build leaves nothing that looks like an image.
 */
export async function buildImage(nameOrRecipe: string | Recipe, opts: BuildOptions = {}): Promise<BuiltImage> {
  const recipe = resolveRecipe(nameOrRecipe, opts.family);
  // What progress lines and errors call it: "debian-12-hostonly.vmware" for a family's build.
  const label = entryName(recipe);
  const cacheDir = opts.cacheDir ?? imageCacheDir();
  const hash = recipeHash(recipe);
  const hit = await cachedImage(recipe, cacheDir);
  if (hit) {
    opts.onProgress?.({ image: label, step: "cache", phase: "info", message: `using cached image ${cachedImageDir(recipe, cacheDir)}`, elapsedMs: 0 });
    return opts.outDir ? copyOut(hit, opts.outDir) : hit;
  }
  await mkdir(cacheDir, { recursive: true });
  const removed = await removeDeadBuilds(cacheDir);
  for (const n of removed) opts.onProgress?.({ image: label, step: "cache", phase: "info", message: `removed the leftovers of an interrupted build: ${n}`, elapsedMs: 0 });
  await requireFreeSpace(label, cacheDir, spaceNeeded(recipe));
  const method = await detectDiskMethod();
  const workDir = join(cacheDir, buildDirName(entryName(recipe), hash));
  await mkdir(workDir);
  const s = new StepRunner(label, workDir, opts.onProgress, opts.signal);
  s.info("disk method", `building with ${method === "loop" ? "loop devices (losetup at an offset) + chroot" : "libguestfs (file system made in its appliance VM; no loop devices)"}`);
  try {
    await s.step("generate SSH key pair (ed25519)", async () => {
      await runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `root@tiosa-${recipe.name}`, "-f", join(workDir, KEY_FILE)], { timeoutMs: 30_000 });
    });
    const publicKey = await readFile(join(workDir, KEY_FILE + ".pub"), "utf8");
    const built: BuiltDisk = recipe.kind === "tiny"
      ? await buildTiny(recipe, s, publicKey, method)
      : await buildDebian(recipe, s, publicKey, method);
    await s.step("convert to qcow2", async () => {
      await runOk("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", built.rawPath, join(workDir, DISK_FILE)], { timeoutMs: 600_000, ...(opts.signal ? { signal: opts.signal } : {}) });
      await rm(built.rawPath, { force: true });
    });
    const info = JSON.parse((await runOk("qemu-img", ["info", "--output=json", join(workDir, DISK_FILE)], { timeoutMs: 30_000 })).stdout) as { "virtual-size": number };
    const metadata: ImageMetadata = {
      schema: "tiosa-image/v1",
      name: recipe.name,
      description: recipe.description,
      portabilityTrait: recipe.portabilityTrait,
      os: { ...recipe.os, prettyName: built.osPretty },
      kernelRelease: built.kernelRelease,
      configured: configuredSummary(recipe),
      details: built.details,
      recipeHash: hash,
      builtFor: recipe.builtFor ?? null,
      builderVersion: BUILDER_VERSION,
      buildMethod: method,
      bootloader: "grub-i386-pc-mbr",
      rootFsUuid: built.rootUuid,
      buildDurationMs: Date.now() - s.started,
      steps: s.timings,
      builtAt: new Date().toISOString(),
      disk: { file: DISK_FILE, format: "qcow2", virtualBytes: info["virtual-size"], allocatedBytes: await allocatedBytes(join(workDir, DISK_FILE)) },
      ssh: { user: "root", privateKey: KEY_FILE, publicKey: KEY_FILE + ".pub", port: 22 },
    };
    await writeFile(join(workDir, METADATA_FILE), JSON.stringify(metadata, null, 2) + "\n");
    // Only the image's files go into the cache entry.
    for (const leftover of ["root", "early", "tree", "initramfs", "mnt", "initrd.img", "bootfs", "bootfs.tar", "root.tar", "core.img", "grub-early.cfg"]) await rm(join(workDir, leftover), { recursive: true, force: true });
    opts.signal?.throwIfAborted();
    const finalDir = cachedImageDir(recipe, cacheDir);
    try {
      await rename(workDir, finalDir);
    } catch (e) {
      // Another build of the same recipe finished first: its image is as good as ours.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw e;
      await rm(workDir, { recursive: true, force: true });
    }
    s.info("done", `image ${label} ready in ${((Date.now() - s.started) / 1000).toFixed(1)} s: ${join(finalDir, DISK_FILE)}`);
    const img = (await cachedImage(recipe, cacheDir)) ?? imageFromDir(finalDir, metadata, false);
    const fresh = { ...img, cached: false };
    return opts.outDir ? copyOut(fresh, opts.outDir) : fresh;
  } catch (e) {
    await releaseDir(workDir);
    await rm(workDir, { recursive: true, force: true });
    if (e instanceof UserError) throw e;
    if (opts.signal?.aborted) throw new ImageBuildError(label, "build", `interrupted (${errorMessage(opts.signal.reason)})`);
    throw e;
  }
}

async function copyOut(img: BuiltImage, outDir: string): Promise<BuiltImage> {
  const dir = resolve(outDir);
  await mkdir(dir, { recursive: true });
  await runOk("cp", ["--sparse=always", "--reflink=auto", img.diskPath, join(dir, DISK_FILE)], { timeoutMs: 600_000 });
  await copyFile(img.sshPrivateKeyPath, join(dir, KEY_FILE));
  await chmod(join(dir, KEY_FILE), 0o600);
  await copyFile(img.sshPublicKeyPath, join(dir, KEY_FILE + ".pub"));
  await copyFile(img.metadataPath, join(dir, METADATA_FILE));
  return imageFromDir(dir, img.metadata, img.cached);
}
