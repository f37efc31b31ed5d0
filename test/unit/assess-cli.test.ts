import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.js";

const CORPUS = "/work/shared/corpus/descriptors";

async function cli(args: string[]) {
  let out = "", err = "";
  const code = await main(args, { out: (s) => { out += s + "\n"; }, err: (s) => { err += s + "\n"; } });
  return { code, out, err };
}

test("tiosa assess VMX --format json: concerns with ids, severities, families and predictions; exit 20 for a critical one", async () => {
  const r = await cli(["assess", join(CORPUS, "vmware__test-i-vmx-7.vmx"), "--to", "kvm,hyperv", "--format", "json"]);
  assert.equal(r.code, 20, r.err);
  const a = JSON.parse(r.out) as { ruleset: string; targets: string[]; concerns: { id: string; severity: string; families: string[]; predicts: unknown[] }[]; guest: { read: string } };
  assert.equal(a.ruleset, "tiosa-assess/1");
  assert.deepEqual(a.targets, ["kvm", "hyperv"]);
  assert.equal(a.guest.read, "no");
  const fm = a.concerns.find((c) => c.id === "firmware-mismatch")!;
  assert.deepEqual([fm.severity, fm.families], ["critical", ["kvm", "hyperv"]]);
  assert.ok(a.concerns.some((c) => c.id === "guest-unreadable"));
});

test("tiosa assess prints a table then each concern's evidence and remedy; a warning-only VM exits 10", async () => {
  const r = await cli(["assess", join(CORPUS, "vmware__vmx2xml-esx-in-the-wild-5.vmx"), "--to", "vmware"]);
  assert.equal(r.code, 10, r.err);
  assert.match(r.out, /warning\s+snapshots\s+vmware/);
  assert.match(r.out, /evidence: .*scsi0:0 runs on snapshot delta vmtest-000001\.vmdk/);
  assert.match(r.out, /remedy: delete or consolidate the snapshots/);
});

test("tiosa assess: bad input is exit 2 naming it (unknown family, missing file, broken descriptor, a multi-VM file without --vm)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tiosa-assess-cli-"));
  try {
    const broken = join(dir, "broken.ovf");
    writeFileSync(broken, "<Envelope><VirtualSystem");
    const cases: [string[], RegExp][] = [
      [["assess", join(CORPUS, "vmware__test-i-vmx-7.vmx"), "--to", "vmwre"], /vmwre/],
      [["assess", join(dir, "nope.vmx")], /nope\.vmx.*neither a libvirt URI nor an existing file/],
      [["assess", broken], /broken\.ovf/],
      [["assess", join(CORPUS, "vmware__two-vms-vapp.ovf")], /describes 2 VMs .*--vm/],
      [["assess", "qemu:///system"], /--vm NAME/],
    ];
    for (const [args, re] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
      assert.match(r.err, re, args.join(" "));
      assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tiosa inspect prints what makes a VM hard to move (snapshots here), as tiosa assess reads it", async () => {
  const r = await cli(["inspect", join(CORPUS, "vmware__vmx2xml-esx-in-the-wild-5.vmx")]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Mobility \(see tiosa assess\):\n\s+.*: snapshots: scsi0:0 runs on snapshot delta vmtest-000001\.vmdk/);
});

test("tiosa assess --waive drops a rule's concerns from the output and the exit status; an unknown id is exit 2", async () => {
  const file = join(CORPUS, "vmware__vmx2xml-esx-in-the-wild-5.vmx");
  const r = await cli(["assess", file, "--to", "vmware", "--waive", "snapshots,nic-identity-changes,emulated-suspend", "--format", "json"]);
  assert.equal(r.code, 0, r.err);
  assert.ok(!(JSON.parse(r.out) as { concerns: { id: string }[] }).concerns.some((c) => c.id === "snapshots"));
  const bad = await cli(["assess", file, "--waive", "snapshot"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--waive names no rule: snapshot \(rules: .*snapshots/);
});
