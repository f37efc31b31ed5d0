import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage } from "../../errors.js";
import { pngStats } from "../png.js";
import { failed, guestRun, ok, sleep, unsupported, type HypervisorTestContext, type Results } from "./context.js";
import { consoleTail } from "../launch.js";

/** 1.4.a Serial Console: a marker the guest writes to its first serial port is read on the host side. */
export async function testSerialConsole(ctx: HypervisorTestContext): Promise<Results> {
  const t = Date.now();
  const marker = `tiosa-serial-${randomBytes(6).toString("hex")}`;
  try {
    await ctx.driver.readSerialConsole(ctx.vm, ctx.signal);
  } catch (e) {
    return { "1.4.a": unsupported(errorMessage(e)) };
  }
  try {
    await guestRun(ctx, `echo ${marker} > /dev/ttyS0`);
    for (let i = 0; i < 20; i++) {
      const text = await ctx.driver.readSerialConsole(ctx.vm, ctx.signal);
      if (text.includes(marker)) {
        const line = consoleTail(text, 400).split("\n").find((l) => l.includes(marker)) ?? marker;
        return { "1.4.a": ok(`marker ${marker} written to /dev/ttyS0 inside the guest was read from the host side of the serial console`, t, [`serial console: ${line.trim()}`]) };
      }
      await sleep(500, ctx.signal);
    }
    return { "1.4.a": failed(`marker ${marker} written to /dev/ttyS0 in the guest never reached the host side within 10 s`, t) };
  } catch (e) {
    return { "1.4.a": failed(`serial console: ${errorMessage(e)}`, t) };
  }
}

/** 1.4.b Graphical Console: a screenshot is taken and is not blank (its pixels vary); the file is kept. */
export async function testGraphicalConsole(ctx: HypervisorTestContext): Promise<Results> {
  const t = Date.now();
  const file = join(ctx.evidenceDir, `${ctx.vm}-screenshot-${Date.now()}.png`);
  try {
    const mime = await ctx.driver.screenshot(ctx.vm, file, ctx.signal);
    if (mime !== "image/png") return { "1.4.b": failed(`screenshot saved as ${mime}, tiosa checks PNG only`, t, [file]) };
    const s = pngStats(await readFile(file));
    const detail = `screenshot ${s.width}x${s.height}, ${s.distinctColours} distinct colours, luma standard deviation ${s.lumaStdDev.toFixed(1)}`;
    return { "1.4.b": s.distinctColours >= 2 && s.lumaStdDev >= 1 ? ok(`${detail}: not blank`, t, [file]) : failed(`${detail}: blank`, t, [file]) };
  } catch (e) {
    return { "1.4.b": failed(`screenshot: ${errorMessage(e)}`, t) };
  }
}
