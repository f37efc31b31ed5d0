import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../../errors.js";
import { makeOwnedTempDir, sweepStaleOwnedDirs } from "../../util/owned-dir.js";
import { libguestfsEnv } from "../../libguestfs/env.js";
import { run } from "../../util/exec.js";
import { allocatedBytes, totalAllocated } from "../measure.js";
import type { Artifact, StepContext, StepRunner } from "../types.js";
import { packageDisks } from "./take-disks.js";

const V2V_TIMEOUT_MS = 90 * 60_000;

/**
 * virt-v2v rewrites the guest for KVM (virtio drivers in the initramfs, bootloader,
 * guest agent) from `-i disk|libvirtxml|ova` to `-o local` (libvirt XML + qcow2 in the
 * step's directory) or `-o libvirt` (a domain defined on the target, in this run's pool,
 * then marked with the run id so `tiosa cleanup` finds it).
 */
export const runVirtV2v: StepRunner = async (input, step, ctx) => {
  const m = /^v2v:(disk|libvirtxml|ova)>(local|libvirt)$/.exec(step.tool.id);
  if (!m) throw new Error(`unknown virt-v2v tool ${step.tool.id}`);
  const [, inMode, outMode] = m as unknown as [string, "disk" | "libvirtxml" | "ova", "local" | "libvirt"];
  const env = await libguestfsEnv(ctx.signal);
  // Its large overlays go in the work directory (removed with it); the appliance cache stays shared.
  const overlays = join(ctx.stepDir, "tmp");
  await mkdir(overlays, { recursive: true });
  env.VIRT_V2V_TMPDIR = overlays;
  env.LIBGUESTFS_CACHEDIR ??= "/var/tmp";
  // Its NBD sockets go under TMPDIR, and a UNIX socket's path must fit in 108 bytes: a run's
  // work directory is often deeper than that allows (the full campaign's was), so they get
  // a short directory of their own, which the next run sweeps if this process is killed.
  await sweepStaleOwnedDirs(V2V_SOCKET_DIR_PREFIX);
  const sockets = await makeOwnedTempDir(V2V_SOCKET_DIR_PREFIX);
  try {
    const tooLong = socketDirProblem(sockets);
    if (tooLong) throw new UserError(tooLong, "set TMPDIR to a shorter directory, e.g. TMPDIR=/tmp");
    env.TMPDIR = sockets;
    return await convert(inMode, outMode, input, step, ctx, env);
  } finally {
    await rm(sockets, { recursive: true, force: true });
  }
};

const V2V_SOCKET_DIR_PREFIX = "tiosa-v2v-";
/** virt-v2v's longest socket path below TMPDIR: `/v2v.XXXXXX/out0` (16 bytes), with room to spare. */
const V2V_SOCKET_SUFFIX_BYTES = 32;
const SUN_PATH_MAX = 107;

/** Why virt-v2v's sockets cannot live under `dir` (null: they can). */
export function socketDirProblem(dir: string): string | null {
  const room = SUN_PATH_MAX - V2V_SOCKET_SUFFIX_BYTES;
  const len = Buffer.byteLength(dir);
  return len <= room ? null
    : `virt-v2v's temporary directory '${dir}' is ${len} bytes long; its UNIX sockets below it need the path to be at most ${room} bytes (a socket path must be under 108 bytes)`;
}

async function convert(
  inMode: "disk" | "libvirtxml" | "ova", outMode: "local" | "libvirt", input: Artifact,
  step: Parameters<StepRunner>[1], ctx: StepContext, env: NodeJS.ProcessEnv,
): ReturnType<StepRunner> {
  const inArgs = inputArgs(inMode, input);
  const bytesRead = input.packagePath && inMode !== "libvirtxml"
    ? await allocatedBytes(input.packagePath)
    : await totalAllocated(input.disks.map((d) => d.path));

  if (outMode === "local") {
    const outDir = join(ctx.stepDir, "out");
    await mkdir(outDir);
    await v2v([...inArgs, "-o", "local", "-os", outDir, "-of", "qcow2", "-on", ctx.targetName], env, ctx);
    const xmlPath = join(outDir, `${ctx.targetName}.xml`);
    const { disks, hardware } = await packageDisks(xmlPath, ctx.workDir, ctx.signal);
    const output: Artifact = { kind: "pkg:libvirt-xml", disks, packagePath: xmlPath, vmName: null };
    return { output, bytesRead, bytesWritten: await totalAllocated([xmlPath, ...disks.map((d) => d.path)]), hardware };
  }

  const driver = ctx.target.driver;
  const lv = driver.capabilities.libvirt;
  if (!lv) throw new UserError(`virt-v2v -o libvirt: the target ${driver.uri} is not a libvirt host (its driver has no libvirt definitions); use a route ending in an import`);
  // The run's storage pool and NAT network (the driver's cleanup removes both): -o libvirt
  // puts its disks into the pool and the guest's NICs are mapped onto the network.
  const pool = await lv.ensurePool(ctx.signal);
  const network = await lv.ensureNetwork(ctx.signal);
  const name = driver.vmName(ctx.targetName);
  const bridge = network ? await lv.networkBridge(network, ctx.signal) : null;
  const macs = ctx.hardware.nics.map((n) => n.mac).filter((m): m is string => !!m);
  await v2v([...inArgs, "-o", "libvirt", "-oc", ctx.target.uri, "-os", pool, "-of", "qcow2", "-on", name,
    ...(network ? networkMapArgs(network, bridge, macs) : [])], env, ctx);
  // virt-v2v knows nothing of tiosa's marker: add it before anything else can fail.
  await lv.markAsRun(name, ctx.target.family.name, ctx.signal);
  // What this host cannot give (KVM, vhost-vsock) would stop the VM from starting at all;
  // the changes are the step's evidence, so a report says what tiosa altered.
  const changes = await lv.fitToHost(name, ctx.signal);
  for (const c of changes) ctx.log(`${name}: ${c}`);
  const volumes = await driver.diskSources(name, ctx.signal);
  return {
    output: { kind: step.output, disks: [], packagePath: null, vmName: name },
    bytesRead,
    bytesWritten: driver.local ? await totalAllocated(volumes) : 0,
    notes: changes,
  };
};

/**
 * virt-v2v's NIC mapping onto the target's run network. `-i ova` reads every OVF Connection
 * as a *bridge* of that name (the source's network, which the target does not have: libvirt
 * then cannot start the VM, "Cannot get interface MTU"), so `--network` alone maps nothing.
 * Each NIC whose MAC is known goes to the network by MAC; any other network goes to the
 * network, any other bridge to the network's own bridge device.
 */
export function networkMapArgs(network: string, bridge: string | null, macs: string[]): string[] {
  return [
    ...[...new Set(macs.map((m) => m.toLowerCase()))].flatMap((m) => ["--mac", `${m}:network:${network}`]),
    "--network", network,
    ...(bridge ? ["--bridge", bridge] : []),
  ];
}

function inputArgs(mode: "disk" | "libvirtxml" | "ova", input: Artifact): string[] {
  if (mode === "disk") {
    if (input.disks.length !== 1) throw new Error(`virt-v2v -i disk takes one disk; the route has ${input.disks.length}`);
    return ["-i", "disk", "-if", input.disks[0]!.format, input.disks[0]!.path];
  }
  if (!input.packagePath) throw new Error(`virt-v2v -i ${mode}: no package in the input`);
  return ["-i", mode, input.packagePath];
}

async function v2v(args: string[], env: NodeJS.ProcessEnv, ctx: StepContext): Promise<void> {
  ctx.log(`virt-v2v ${args.join(" ")}`);
  // Its own process group: stopping it (timeout, Ctrl-C) also stops the qemu-nbd and nbdkit it
  // started, and it gets time to clean up; a helper it left running is killed when it exits.
  const r = await run("virt-v2v", args, { env, timeoutMs: V2V_TIMEOUT_MS, signal: ctx.signal, ownProcessGroup: true, killGraceMs: 30_000 });
  if (r.code === 0) return;
  const tail = `${r.stdout}\n${r.stderr}`.trim().split("\n").filter((l) => l.trim()).slice(-6).join("\n");
  throw new Error(`virt-v2v ${r.timedOut ? `timed out after ${V2V_TIMEOUT_MS / 60_000} min` : `failed (exit ${r.code})`}:\n${tail}`);
}
