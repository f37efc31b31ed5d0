import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.js";

async function cli(args: string[]) {
  const out: string[] = [], err: string[] = [];
  const code = await main(args, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

test("images build without a name is bad input and lists the recipes", async () => {
  const r = await cli(["images", "build"]);
  assert.equal(r.code, 2);
  assert.match(r.err, /needs a recipe name; known: .*tiny/);
});

test("images build of an unknown recipe is bad input naming it", async () => {
  const r = await cli(["images", "build", "centos-7"]);
  assert.equal(r.code, 2);
  assert.match(r.err, /'centos-7' is unknown/);
});

test("an unknown images subcommand is bad input", async () => {
  const r = await cli(["images", "frobnicate"]);
  assert.equal(r.code, 2);
  assert.match(r.err, /expected 'list' or 'build NAME'/);
});

test("images list --format json lists every recipe (per family where it depends on the hardware) with its hash and cache state", async () => {
  const saved = process.env.XDG_CACHE_HOME;
  const dir = await mkdtemp(join(tmpdir(), "tiosa-test-xdg-"));
  process.env.XDG_CACHE_HOME = dir;
  try {
    const r = await cli(["images", "list", "--format", "json"]);
    assert.equal(r.code, 0, r.err);
    const rows = JSON.parse(r.out) as { name: string; builtFor: string | null; cached: boolean; recipeHash: string; cacheDir: string }[];
    assert.deepEqual([...new Set(rows.map((x) => x.name))].sort(), ["debian-12", "debian-12-hostonly", "debian-12-like-rhel", "debian-13-like-ubuntu", "debian-13-static", "tiny"]);
    const families = ["hyperv", "kvm", "vmware", "xen"];
    for (const name of ["debian-12-hostonly", "debian-13-static", "debian-12-like-rhel", "debian-13-like-ubuntu"]) {
      assert.deepEqual(rows.filter((x) => x.name === name).map((x) => x.builtFor).sort(), families, name);
    }
    for (const name of ["debian-12", "tiny"]) assert.deepEqual(rows.filter((x) => x.name === name).map((x) => x.builtFor), [null], name);
    for (const row of rows) {
      assert.equal(row.cached, false);
      assert.match(row.recipeHash, /^[0-9a-f]{16}$/);
      assert.equal(row.cacheDir, join(dir, "tiosa", "images", `${row.builtFor ? `${row.name}.${row.builtFor}` : row.name}-${row.recipeHash}`));
    }
    assert.equal(new Set(rows.map((x) => x.recipeHash)).size, rows.length, "every row is its own image");
  } finally {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    await rm(dir, { recursive: true, force: true });
  }
});
