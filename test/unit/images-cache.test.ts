import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { tmpdir, homedir } from "node:os";
import { join } from "node:path";
import { imageCacheDir, BUILD_DIR_PREFIX, buildDirName, pidOfBuildDir, removeDeadBuilds } from "../../src/images/cache.js";
import { cachedImage, findRecipe, buildImage } from "../../src/images/index.js";
import { UserError } from "../../src/errors.js";

test("the cache lives under XDG_CACHE_HOME when it is set to an absolute path", () => {
  const saved = process.env.XDG_CACHE_HOME;
  try {
    process.env.XDG_CACHE_HOME = "/var/tmp/xdg";
    assert.equal(imageCacheDir(), "/var/tmp/xdg/tiosa/images");
    process.env.XDG_CACHE_HOME = "relative/dir";
    assert.equal(imageCacheDir(), join(homedir(), ".cache", "tiosa", "images"));
    delete process.env.XDG_CACHE_HOME;
    assert.equal(imageCacheDir(), join(homedir(), ".cache", "tiosa", "images"));
  } finally {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
  }
});

test("a build dir name carries the building process id", () => {
  const n = buildDirName("tiny", "0123456789abcdef");
  assert.ok(n.startsWith(`${BUILD_DIR_PREFIX}tiny-0123456789abcdef-${process.pid}-`));
  assert.equal(pidOfBuildDir(n), process.pid);
});

test("leftovers of dead builds are removed, live builds and finished images are kept", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tiosa-test-cache-"));
  try {
    const dead = spawnSync("true").pid!; // exited: its pid is (almost surely) free
    const deadDir = `${BUILD_DIR_PREFIX}tiny-aaaaaaaaaaaaaaaa-${dead}-abc123`;
    const liveDir = `${BUILD_DIR_PREFIX}tiny-bbbbbbbbbbbbbbbb-${process.ppid}-def456`;
    await mkdir(join(dir, deadDir, "root"), { recursive: true });
    await writeFile(join(dir, deadDir, "disk.raw"), "half an image");
    await mkdir(join(dir, liveDir));
    await mkdir(join(dir, "tiny-cccccccccccccccc"));
    const removed = await removeDeadBuilds(dir);
    assert.deepEqual(removed, [deadDir]);
    assert.deepEqual((await readdir(dir)).sort(), [liveDir, "tiny-cccccccccccccccc"].sort());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a cache entry without its disk is not a cached image", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tiosa-test-cache-"));
  try {
    assert.equal(await cachedImage(findRecipe("tiny"), dir), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("building an unknown recipe is a user error before anything is created", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tiosa-test-cache-"));
  try {
    await assert.rejects(buildImage("nope", { cacheDir: dir }), (e: unknown) => e instanceof UserError && /'nope'/.test(e.message));
    assert.deepEqual(await readdir(dir), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
