import { errorMessage } from "../../errors.js";
import type { AttachedDisk } from "../driver.js";
import { failed, guestRun, ok, sleep, unsupported, type HypervisorTestContext, type Results } from "./context.js";

const MiB = 1024 * 1024;
export const ATTACH_BYTES = 64 * MiB;
export const RESIZED_BYTES = 96 * MiB;

/** Whole disks the guest kernel sees: name and size in bytes, from /sys/block. */
const LIST_DISKS = `for d in /sys/block/*; do n=\${d##*/}; case $n in loop*|ram*|sr*|fd*|zram*|dm-*) continue;; esac; echo "$n $(( $(cat $d/size) * 512 ))"; done`;
/** SCSI disks learn a new capacity only on a rescan (lab notes); other buses notice by themselves. */
const RESCAN_SCSI = `for f in /sys/class/block/*/device/rescan; do [ -e "$f" ] && echo 1 > "$f" 2>/dev/null; done; true`;

export async function guestDisks(ctx: HypervisorTestContext): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const line of (await guestRun(ctx, LIST_DISKS)).split("\n")) {
    const [n, s] = line.trim().split(/\s+/);
    if (n && s && /^\d+$/.test(s)) m.set(n, Number(s));
  }
  return m;
}

async function poll<T>(ctx: HypervisorTestContext, what: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await what();
    if (v !== undefined || Date.now() > end) return v;
    await sleep(1000, ctx.signal);
  }
}

/**
 * 1.2.b Attach, 1.2.a Resize, 1.2.c Detach on a blank test volume (never the VM's own
 * disks): the guest must see the disk appear with its size, see the new size after the
 * resize, and see it go after the detach.
 */
export async function testDisks(ctx: HypervisorTestContext): Promise<Results> {
  const res: Results = {};
  let t = Date.now();
  let disk: AttachedDisk | undefined;
  let guestName: string | undefined;
  try {
    const before = await guestDisks(ctx);
    disk = await ctx.driver.attachBlankDisk(ctx.vm, ATTACH_BYTES, ctx.signal);
    guestName = await poll(ctx, async () => {
      const now = await guestDisks(ctx);
      return [...now.keys()].find((n) => !before.has(n) && now.get(n) === ATTACH_BYTES);
    }, 30_000);
    res["1.2.b"] = guestName
      ? ok(`volume ${disk.volume} attached as ${disk.target} (${disk.bus}); the guest saw /dev/${guestName} appear with ${ATTACH_BYTES} bytes`, t)
      : failed(`volume ${disk.volume} attached as ${disk.target} (${disk.bus}) but no new ${ATTACH_BYTES}-byte disk appeared in the guest within 30 s`, t);
  } catch (e) {
    res["1.2.b"] = failed(`attach: ${errorMessage(e)}`, t);
  }
  if (!disk || !guestName) {
    const why = `not run: no attached test disk the guest sees (${res["1.2.b"]!.detail})`;
    res["1.2.a"] = unsupported(why);
    res["1.2.c"] = unsupported(why);
    if (disk) await cleanupDisk(ctx, disk);
    return res;
  }
  t = Date.now();
  try {
    await ctx.driver.resizeDisk(ctx.vm, disk, RESIZED_BYTES, ctx.signal);
    const name = guestName;
    const seen = await poll(ctx, async () => {
      await guestRun(ctx, RESCAN_SCSI);
      return (await guestDisks(ctx)).get(name) === RESIZED_BYTES ? true : undefined;
    }, 30_000);
    const size = (await guestDisks(ctx)).get(name);
    res["1.2.a"] = seen
      ? ok(`${disk.target} resized from ${ATTACH_BYTES} to ${RESIZED_BYTES} bytes; the guest's /dev/${name} now has ${size} bytes`, t)
      : failed(`${disk.target} resized to ${RESIZED_BYTES} bytes but the guest's /dev/${name} still has ${size ?? "no"} bytes after 30 s`, t);
  } catch (e) {
    res["1.2.a"] = failed(`resize: ${errorMessage(e)}`, t);
  }
  t = Date.now();
  try {
    await ctx.driver.detachDisk(ctx.vm, disk, ctx.signal);
    const name = guestName;
    const gone = await poll(ctx, async () => ((await guestDisks(ctx)).has(name) ? undefined : true), 30_000);
    res["1.2.c"] = gone
      ? ok(`${disk.target} detached; /dev/${name} disappeared from the guest`, t)
      : failed(`${disk.target} detached by the hypervisor but /dev/${name} is still in the guest after 30 s`, t);
    if (gone) disk = { ...disk, target: "" };
  } catch (e) {
    res["1.2.c"] = failed(`detach: ${errorMessage(e)}`, t);
  }
  await cleanupDisk(ctx, disk);
  return res;
}

async function cleanupDisk(ctx: HypervisorTestContext, disk: AttachedDisk): Promise<void> {
  if (disk.target) await ctx.driver.detachDisk(ctx.vm, disk).catch(() => undefined);
  // A volume still held by the emulator cannot go yet; the run's cleanup removes the pool.
  await ctx.driver.deleteVolume(disk.volume).catch((e) => ctx.log(`test volume ${disk.volume} kept for cleanup: ${errorMessage(e)}`));
}
