import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { baseSnapshot } from "../support/snapshots.js";

const BIN = fileURLToPath(new URL("../../../bin/tiosa.js", import.meta.url));

/** Runs tiosa with a hard 10 s bound: a hang is a failure with what it printed, never a stuck test. */
function tiosa(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const c = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    c.stdout.on("data", (b) => { stdout += b; });
    c.stderr.on("data", (b) => { stderr += b; });
    const kill = setTimeout(() => c.kill("SIGKILL"), 10_000);
    c.on("close", (status) => { clearTimeout(kill); resolve({ status, stdout, stderr, ms: Date.now() - t0 }); });
  });
}

/** Exit 2, the file named with what is wrong, no stack trace, in time. */
function refused(r: { status: number | null; stderr: string; ms: number }, file: string, why: RegExp) {
  assert.equal(r.status, 2, `exit 2 expected; stderr: ${r.stderr}`);
  assert.ok(r.stderr.includes(file), `names ${file}: ${r.stderr}`);
  assert.match(r.stderr, why);
  assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
  assert.ok(r.ms < 5000, `answered in ${r.ms} ms`);
}

describe("hostile campaign, rules and snapshot files", () => {
  let dir: string;
  const f = (name: string) => join(dir, name);
  // Nine levels of aliases, each ten of the one before: 10^9 values if expanded.
  const bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    .concat(Array.from({ length: 9 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(", ")}]`)).join("\n") + "\n";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "tiosa-hostile-"));
    await writeFile(f("src.json"), JSON.stringify(baseSnapshot()));
    await writeFile(f("bomb-campaign.yaml"), `name: bomb\n${bomb}`);
    await writeFile(f("bomb-rules.yaml"), bomb);
    for (const n of ["campaign.fifo", "rules.fifo", "snapshot.fifo"]) {
      assert.equal(spawnSync("mkfifo", [f(n)]).status, 0, "mkfifo");
    }
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it("a YAML alias bomb in a campaign file is bad input: exit 2 naming the file and the alias limit", async () => {
    refused(await tiosa("run", f("bomb-campaign.yaml"), "--plan"), "bomb-campaign.yaml", /YAML aliases .* beyond tiosa's limit of 100 alias expansions/);
  });

  it("a YAML alias bomb in a rules file is bad input too", async () => {
    refused(await tiosa("compare", f("src.json"), f("src.json"), "--rules", f("bomb-rules.yaml")), "bomb-rules.yaml", /limit of 100 alias expansions/);
  });

  it("a FIFO given as a campaign, rules or snapshot file is refused at once instead of blocking", async () => {
    refused(await tiosa("run", f("campaign.fifo"), "--plan"), "campaign.fifo", /campaign file '[^']*campaign\.fifo': not a regular file \(a FIFO \(named pipe\)\); tiosa reads campaign files from regular files only/);
    refused(await tiosa("compare", f("src.json"), f("src.json"), "--rules", f("rules.fifo")), "rules.fifo", /a FIFO/);
    refused(await tiosa("compare", f("snapshot.fifo"), f("src.json")), "snapshot.fifo", /a FIFO/);
  });

  it("a directory or a device is refused the same way", async () => {
    refused(await tiosa("compare", dir, f("src.json")), dir, /a directory/);
    refused(await tiosa("run", "/dev/zero", "--plan"), "/dev/zero", /not a regular file \(a character device\)/);
  });
});
