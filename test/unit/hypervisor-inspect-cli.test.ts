import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../src/cli/main.js";
import { HypervisorInventory } from "../../src/inventory/model.js";

const CORPUS = "/work/shared/corpus/descriptors";

async function cli(args: string[]) {
  let out = "", err = "";
  const code = await main(args, { out: (s) => { out += s + "\n"; }, err: (s) => { err += s + "\n"; } });
  return { code, out, err };
}

test("tiosa inspect FILE --format json reads every libvirt domain XML of the corpus", async () => {
  for (const f of readdirSync(CORPUS).filter((x) => /^(libvirt|virtinstall)__/.test(x))) {
    const r = await cli(["inspect", join(CORPUS, f), "--format", "json"]);
    assert.equal(r.code, 0, `${f}: ${r.err}`);
    const inv = HypervisorInventory.parse(JSON.parse(r.out));
    assert.equal(inv.vmCount, 1, f);
    assert.equal(inv.vms[0]!.origin, "libvirt-xml", f);
  }
});

test("tiosa inspect FILE prints the VM's hardware as a table", async () => {
  const r = await cli(["inspect", join(CORPUS, "libvirt__vmx2xml-esx-in-the-wild-5.xml")]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /vmtest\.local/);
  assert.match(r.out, /2048 MiB/);
  assert.match(r.out, /e1000@VM-LAN/);
  assert.match(r.out, /sda scsi\/lsilogic/);
});

test("tiosa inspect with a missing file, a VM the file lacks, or no argument exits 2 with a message", async () => {
  const missing = await cli(["inspect", "/nonexistent/dom.xml"]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /\/nonexistent\/dom\.xml/);
  const novm = await cli(["inspect", join(CORPUS, "libvirt__lxc-systemd.xml"), "--vm", "other"]);
  assert.equal(novm.code, 2);
  assert.match(novm.err, /describes no VM named 'other' \(it has: demo\)/);
  assert.equal((await cli(["inspect"])).code, 2);
});

test("hypervisor commands refuse bad arguments before touching a hypervisor", async () => {
  const noVm = await cli(["hypervisor-tests", "qemu:///system", "--ssh", "root", "--identity", "/k"]);
  assert.equal(noVm.code, 2);
  assert.match(noVm.err, /--vm NAME is required/);
  const badGroup = await cli(["hypervisor-tests", "qemu:///system", "--vm", "x", "--ssh", "root", "--identity", "/k", "--only", "1.9"]);
  assert.equal(badGroup.code, 2);
  assert.match(badGroup.err, /--only '1\.9'/);
  const noOut = await cli(["capture", "qemu:///system", "--vm", "x", "--ssh", "root", "--identity", "/k"]);
  assert.equal(noOut.code, 2);
  assert.match(noOut.err, /-o SNAPSHOT\.json is required/);
  const notUri = await cli(["cleanup", "system"]);
  assert.equal(notUri.code, 2);
  assert.match(notUri.err, /'system' is not a hypervisor URI/);
});
