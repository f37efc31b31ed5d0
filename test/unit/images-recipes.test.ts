import { test } from "node:test";
import assert from "node:assert/strict";
import { listRecipes, findRecipe, recipeHash, configuredSummary, BUILDER_VERSION, type Recipe, type DebianRecipe } from "../../src/images/index.js";
import { UserError } from "../../src/errors.js";

test("the four recipes of the issue are listed, each once", () => {
  const names = listRecipes().map((r) => r.name);
  assert.deepEqual([...names].sort(), ["debian-12", "debian-12-hostonly", "debian-13-static", "tiny"]);
});

test("an unknown recipe name is a user error naming it and the known ones", () => {
  assert.throws(() => findRecipe("windows-95"), (e: unknown) => e instanceof UserError && /windows-95/.test(e.message) && /debian-12/.test(e.message));
});

test("the recipe hash does not depend on key order", () => {
  const r = findRecipe("tiny");
  const reordered = Object.fromEntries(Object.entries(r).reverse()) as unknown as Recipe;
  assert.equal(recipeHash(reordered), recipeHash(r));
});

test("changing any field of a recipe changes its hash", () => {
  const r = findRecipe("debian-12") as DebianRecipe;
  const base = recipeHash(r);
  assert.notEqual(recipeHash({ ...r, hostname: "other" }), base);
  assert.notEqual(recipeHash({ ...r, packages: [...r.packages, "vim-tiny"] }), base);
  assert.notEqual(recipeHash({ ...r, initramfs: { modules: "list", list: ["virtio_blk"], reproduces: "x" } }), base);
  assert.match(base, /^[0-9a-f]{16}$/);
});

test("every recipe has a distinct hash", () => {
  const hashes = listRecipes().map(recipeHash);
  assert.equal(new Set(hashes).size, hashes.length);
});

test("the builder version is part of the hash input", () => {
  assert.match(BUILDER_VERSION, /^tiosa-images\/\d+$/);
});

test("the host-only recipe differs from debian-12 only where the issue says", () => {
  const a = findRecipe("debian-12"), b = findRecipe("debian-12-hostonly");
  assert.equal(a.kind, "debian");
  assert.equal(b.kind, "debian");
  if (a.kind !== "debian" || b.kind !== "debian") return;
  assert.equal(a.initramfs.modules, "most");
  assert.equal(b.initramfs.modules, "list");
  assert.deepEqual(b.packages, a.packages);
  assert.deepEqual(b.network, a.network);
  if (b.initramfs.modules === "list") assert.ok(b.initramfs.list.includes("virtio_blk") && !b.initramfs.list.includes("ahci"));
});

test("debian-13-static binds a static address in QEMU user-net's subnet to enp1s0 (the name KVM on q35 gives its NIC)", () => {
  const r = findRecipe("debian-13-static");
  assert.equal(r.kind === "debian" && r.os.codename, "trixie");
  if (r.kind !== "debian" || r.network.kind !== "static") return assert.fail("not a static debian recipe");
  assert.equal(r.network.interface, "enp1s0");
  assert.equal(r.network.address, "10.0.2.15/24");
  assert.equal(r.network.gateway, "10.0.2.2");
});

test("every Debian recipe puts the serial console last so /dev/console is ttyS0", () => {
  for (const r of listRecipes()) {
    assert.match(r.kernelCmdline, /console=tty0 console=ttyS0,115200/, r.name);
  }
});

test("the configured summary says what the network does", () => {
  assert.match(configuredSummary(findRecipe("debian-12")).network ?? "", /any Ethernet NIC/);
  assert.match(configuredSummary(findRecipe("debian-13-static")).network ?? "", /enp1s0/);
});

test("Debian recipes mask only units they say a test guest does without, and never what the tests exercise", () => {
  const exercised = /ssh|networkd|networking|nftables|qemu-guest-agent|journald|logind|udev/;
  for (const r of listRecipes()) {
    if (r.kind !== "debian") continue;
    assert.ok(r.mask.some((m) => m.unit === "e2scrub_reap.service"), `${r.name} masks e2scrub_reap`);
    for (const m of r.mask) {
      assert.ok(m.why.length > 10, `${r.name}: ${m.unit} says why`);
      assert.doesNotMatch(m.unit, exercised, `${r.name} must not mask ${m.unit}`);
      assert.ok(!r.enable.includes(m.unit.replace(/\.service$/, "")), `${r.name} both enables and masks ${m.unit}`);
    }
    assert.match(configuredSummary(r).masked ?? "", /e2scrub_reap/, r.name);
  }
});
