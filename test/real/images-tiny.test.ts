import { test } from "node:test";
import { spawn } from "node:child_process";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { existsSync } from "node:fs";
import { buildImage, findRecipe, recipeHash, cachedImageDir, type TinyRecipe, type BuildProgress } from "../../src/images/index.js";
import { bootImage, sshRun } from "../../src/qemu/index.js";
import { sweepStaleBootDirs } from "../../src/qemu/boot.js";
import { haveCommand, run } from "../../src/util/exec.js";
import { mountsUnder, loopDevicesUnder } from "../../src/images/cache.js";

const noQemu = !(await haveCommand("qemu-system-x86_64")) && "qemu-system-x86_64 is not installed: no virtualization on this machine";
if (noQemu) console.log(`# skipping images-tiny: ${noQemu}`);

test("tiny boots on virtio hardware and answers SSH with its key (time to SSH: see bench/boot.ts)", { skip: noQemu, timeout: 1_800_000 }, async () => {
  const img = await buildImage("tiny", { onProgress: (p) => console.log(`# ${p.message}`) });
  assert.equal(img.format, "qcow2");
  assert.equal(img.metadata.buildMethod, "loop");
  assert.equal(img.metadata.recipeHash, recipeHash(findRecipe("tiny")));
  const guest = await bootImage({ disk: img.diskPath, hardware: "virtio", memoryMiB: 512, timeoutMs: 300_000 });
  try {
    console.log(`# tiny: SSH answered after ${guest.sshReadyMs} ms (${guest.accel})`);
    const r = await sshRun({ port: guest.sshPort, privateKeyPath: img.sshPrivateKeyPath, command: ["uname", "-r"] });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), img.metadata.kernelRelease);
  } finally {
    await guest.stop();
  }
});

test("a second build of tiny reuses the cache", { skip: noQemu, timeout: 1_800_000 }, async () => {
  const first = await buildImage("tiny");
  const t0 = Date.now();
  const second = await buildImage("tiny");
  assert.equal(second.cached, true);
  assert.equal(second.diskPath, first.diskPath);
  assert.equal(second.metadata.builtAt, first.metadata.builtAt);
  assert.ok(Date.now() - t0 < 2000, "a cache hit must not rebuild");
});

test("the image's key is the only way in: another key is refused", { skip: noQemu, timeout: 600_000 }, async () => {
  const img = await buildImage("tiny");
  const dir = await mkdtemp(join(tmpdir(), "tiosa-test-key-"));
  const guest = await bootImage({ disk: img.diskPath, memoryMiB: 512, timeoutMs: 300_000 });
  try {
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "other")]);
    const r = await sshRun({ port: guest.sshPort, privateKeyPath: join(dir, "other"), command: ["true"] });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Permission denied/);
  } finally {
    await guest.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test("a changed recipe gets another cache entry, and an interrupted build leaves nothing in the cache", { skip: noQemu, timeout: 600_000 }, async () => {
  const variant: TinyRecipe = { ...(findRecipe("tiny") as TinyRecipe), hostname: "tiosa-tiny-variant" };
  assert.notEqual(recipeHash(variant), recipeHash(findRecipe("tiny")));
  const cacheDir = await mkdtemp(join(tmpdir(), "tiosa-test-images-"));
  try {
    assert.notEqual(cachedImageDir(variant, cacheDir), cachedImageDir(findRecipe("tiny"), cacheDir));
    const ac = new AbortController();
    const seen: BuildProgress[] = [];
    const build = buildImage(variant, {
      cacheDir, signal: ac.signal,
      onProgress: (p) => {
        seen.push(p);
        // Interrupt while mmdebstrap is downloading: the worst moment, with a child process running.
        if (p.phase === "start" && /mmdebstrap/.test(p.step)) setTimeout(() => ac.abort(new Error("interrupted by test")), 3000);
      },
    });
    await assert.rejects(build, /image 'tiny': step 'mmdebstrap.*' failed: interrupted/);
    assert.ok(seen.some((p) => /mmdebstrap/.test(p.step)));
    assert.deepEqual(await readdir(cacheDir), [], "no half-image and no build dir may remain");
    assert.deepEqual(await mountsUnder(cacheDir), []);
    assert.deepEqual(await loopDevicesUnder(cacheDir), []);
    const ps = await run("ps", ["-eo", "args"]);
    assert.ok(!ps.stdout.split("\n").some((l) => l.includes(cacheDir)), `a process still works in ${cacheDir}`);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
});

test("the metadata file next to the disk describes the image", { skip: noQemu, timeout: 1_800_000 }, async () => {
  const img = await buildImage("tiny");
  const m = JSON.parse(await readFile(img.metadataPath, "utf8"));
  assert.equal(m.name, "tiny");
  assert.match(m.kernelRelease, /^\d+\.\d+\.\d+-\d+-amd64$/);
  assert.equal(m.disk.virtualBytes, 64 * 2 ** 20);
  assert.ok(m.disk.allocatedBytes > 1e6 && m.disk.allocatedBytes < m.disk.virtualBytes);
  assert.ok(m.buildDurationMs > 0);
  assert.ok(Number(m.details.initramfsModuleCount) >= 32);
});

test("the leftovers of a build killed with SIGKILL are removed by the next build", { skip: noQemu, timeout: 600_000 }, async () => {
  const { spawn } = await import("node:child_process");
  const { removeDeadBuilds, processesUnder } = await import("../../src/images/cache.js");
  const cacheDir = await mkdtemp(join(tmpdir(), "tiosa-test-images-"));
  const builder = new URL("../../src/images/index.js", import.meta.url).href;
  // A separate process builds a variant; it is killed outright once mmdebstrap runs, so it
  // cannot clean up, and its mmdebstrap/apt children are left running as orphans.
  const child = spawn(process.execPath, ["--input-type=module", "-e",
    `const m = await import(${JSON.stringify(builder)}); const r = m.findRecipe("tiny");
     await m.buildImage({ ...r, hostname: "tiosa-tiny-killed" }, { cacheDir: ${JSON.stringify(cacheDir)} });`], { stdio: "ignore" });
  try {
    const deadline = Date.now() + 120_000;
    let buildDir: string | undefined;
    while (Date.now() < deadline) {
      buildDir = (await readdir(cacheDir)).find((n) => n.startsWith(".build-"));
      if (buildDir && (await processesUnder(join(cacheDir, buildDir))).some((p) => p !== child.pid)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(buildDir, "the killed build never started");
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    assert.ok((await readdir(cacheDir)).includes(buildDir!), "a killed build cannot clean up after itself");
    assert.deepEqual(await removeDeadBuilds(cacheDir), [buildDir]);
    assert.deepEqual(await readdir(cacheDir), []);
    assert.deepEqual(await processesUnder(cacheDir), []);
    assert.deepEqual(await mountsUnder(cacheDir), []);
    assert.deepEqual(await loopDevicesUnder(cacheDir), []);
  } finally {
    child.kill("SIGKILL");
    await removeDeadBuilds(cacheDir).catch(() => undefined);
    await rm(cacheDir, { recursive: true, force: true });
  }
});

test("without loop devices (TIOSA_DISK_METHOD=libguestfs) tiny is made in libguestfs' appliance, says so, and boots", { skip: noQemu, timeout: 1_800_000 }, async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), "tiosa-test-images-gfs-"));
  const saved = process.env.TIOSA_DISK_METHOD;
  process.env.TIOSA_DISK_METHOD = "libguestfs";
  try {
    const said: string[] = [];
    const img = await buildImage("tiny", { cacheDir, onProgress: (p) => { said.push(p.message); console.log(`# ${p.message}`); } });
    assert.equal(img.metadata.buildMethod, "libguestfs");
    assert.ok(said.some((m) => /building with libguestfs/.test(m)), "the build says which method it used");
    // No host mount or loop device was used for it.
    assert.ok(!said.some((m) => /loop devices:/.test(m)));
    assert.deepEqual(await readdir(cacheDir), [cachedImageDir(findRecipe("tiny"), cacheDir).split("/").pop()], "only the finished image");
    const guest = await bootImage({ disk: img.diskPath, hardware: "virtio", memoryMiB: 512, timeoutMs: 300_000 });
    try {
      console.log(`# tiny (libguestfs-made): SSH answered after ${guest.sshReadyMs} ms (${guest.accel})`);
      const r = await sshRun({ port: guest.sshPort, privateKeyPath: img.sshPrivateKeyPath, command: ["cat", "/proc/cmdline"] });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`vmlinuz-${img.metadata.kernelRelease.replace(/\./g, "\\.")}`));
    } finally {
      await guest.stop();
    }
  } finally {
    if (saved === undefined) delete process.env.TIOSA_DISK_METHOD; else process.env.TIOSA_DISK_METHOD = saved;
    await rm(cacheDir, { recursive: true, force: true });
  }
});

test("a guest started by bootImage dies with its process, even when that process is SIGKILLed", { skip: noQemu, timeout: 600_000 }, async () => {
  const img = await buildImage("tiny");
  const boot = new URL("../../src/qemu/index.js", import.meta.url).href;
  const script = `const { bootImage } = await import(${JSON.stringify(boot)});
const g = await bootImage({ disk: ${JSON.stringify(img.diskPath)}, memoryMiB: 256, waitForSsh: false });
console.log(g.pid + " " + g.consoleLog); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const [pid, consoleLog] = await new Promise<[number, string]>((res, rej) => {
    child.stdout!.once("data", (b: Buffer) => { const [p, log] = b.toString().trim().split(" "); res([Number(p), log!]); });
    child.once("exit", (c) => rej(new Error(`the booting process exited (${c}) before printing QEMU's pid`)));
  });
  const exited = new Promise((res) => child.once("exit", res));
  const alive = (p: number) => { try { process.kill(p, 0); return true; } catch { return false; } };
  assert.ok(alive(pid), "QEMU runs");
  child.kill("SIGKILL");
  const t0 = Date.now();
  while (alive(pid) && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 200));
  const left = alive(pid);
  if (left) process.kill(pid, "SIGKILL");
  assert.equal(left, false, `QEMU ${pid} outlived its SIGKILLed parent`);
  // Its boot directory stayed (nobody ran stop()); the next boot sweeps it.
  await exited;
  const bootDir = dirname(consoleLog);
  assert.ok(existsSync(bootDir), `the dead process's boot directory ${bootDir} is there before the sweep`);
  assert.ok((await sweepStaleBootDirs(dirname(bootDir))).includes(basename(bootDir)));
  assert.equal(existsSync(bootDir), false);
});
