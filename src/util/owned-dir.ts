import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processAlive } from "./process.js";

/**
 * Temporary directories that name the process owning them (an `owner.pid` file), so that
 * what a process killed outright (SIGKILL, a power cut) left in /tmp can be told apart
 * from what a living one still uses, and removed by the next run.
 */
export async function makeOwnedTempDir(prefix: string, parent: string = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(parent, prefix));
  await writeFile(join(dir, "owner.pid"), `${process.pid}\n`);
  return dir;
}

/**
 * Removes `<parent>/<prefix>XXXXXX` directories whose owner is dead. A directory without an
 * owner file, or whose owner lives, is kept; so is anything not named by mkdtemp(prefix).
 */
export async function sweepStaleOwnedDirs(prefix: string, parent: string = tmpdir(), alive: (pid: number) => boolean = processAlive): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (!name.startsWith(prefix) || !/^[A-Za-z0-9]{6}$/.test(name.slice(prefix.length))) continue;
    const pid = Number((await readFile(join(parent, name, "owner.pid"), "utf8").catch(() => "")).trim());
    if (!Number.isInteger(pid) || pid <= 0 || alive(pid)) continue;
    await rm(join(parent, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
