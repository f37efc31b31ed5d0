import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, existsSync } from "node:fs";
import { join } from "node:path";
import { campaignFile, haveVirtualization, leftoversOnLibvirt, runCampaignToEnd, stopAll } from "../support/campaign-cli.js";

/**
 * The demo's outcomes come from what the guests did: one real run of the demo's guests over
 * the demo's first pair (kvm -> vmware hardware), one cycle. Nothing here is a fixture: the
 * cells, causes and evidence are read from the report of that run.
 */
const skip = await haveVirtualization();
if (skip) console.log(`skipping: ${skip}`);

test("demo guests kvm -> vmware: debian-12 moves with a WARNING for its renamed NIC, debian-12-hostonly does not boot (console ALERT!), nothing left behind", { skip: skip ?? false, timeout: 60 * 60_000 }, async () => {
  const { file, dir } = campaignFile(`
name: demo-test
hypervisors:
  - { name: kvm, uri: "qemu:///system", family: kvm }
  - { name: vmware, uri: "qemu:///system", family: vmware }
guests:
  - { name: debian-12, image: debian-12 }
  - { name: debian-12-hostonly, image: debian-12-hostonly }
pairs:
  - { from: kvm, to: vmware }
routes: { use: all, onePerPair: true }
rules: "${join(process.cwd(), "campaigns/emulated-families.rules.yaml")}"
cycles: 1
timeouts: { boot: 900 }
output: "@OUT@"
`);
  try {
    const { model, runDir } = await runCampaignToEnd(file, [10, 20]);

    const d12 = model.cells.find((c) => c.guest === "debian-12")!;
    assert.equal(d12.verdict, "WARNING", `debian-12 kvm -> vmware: ${JSON.stringify(d12.routes[0]?.tests.filter((t) => t.verdict !== "SUCCESS" && t.verdict !== "N/A"))}`);
    const warned = d12.routes[0]!.tests.filter((t) => t.verdict === "WARNING");
    // The NIC's name follows its PCI slot: enp1s0 on q35 (virtio behind a PCIe root port), ens3 on pc.
    // QEMU cannot save state with VMDK disks: shown, waived by the demo's rules, not counted.
    const suspend = d12.routes[0]!.tests.find((t) => t.id === "1.1.e");
    assert.ok(suspend?.waived, `1.1.e is waived on the emulated vmware family: ${JSON.stringify(suspend)}`);
    const nic = warned.find((t) => /enp\d+s\d+/.test(t.source) && /ens\d/.test(t.target));
    assert.ok(nic, `a WARNING for the renamed NIC among: ${warned.map((t) => `${t.id} ${t.source} -> ${t.target}`).join("; ")}`);

    const hostonly = model.cells.find((c) => c.guest === "debian-12-hostonly")!;
    assert.equal(hostonly.verdict, "FAILURE");
    assert.equal(hostonly.cause?.class, "os", `cause: ${JSON.stringify(hostonly.cause)}`);
    assert.match(hostonly.cause!.reason, /did not boot/);
    const consoleText = hostonly.routes[0]!.evidence.filter((e) => e.kind === "console").map((e) => e.text ?? "").join("\n");
    assert.match(consoleText, /ALERT!/);
    assert.match(consoleText, /does not exist/);
    // It did boot on its own hypervisor: the failure is the move's, not the source's.
    const steps = hostonly.routes[0]!.cycles[0]!.steps;
    assert.deepEqual(steps.filter((s) => s.no <= 8).map((s) => s.state), ["done", "done", "done", "done", "done", "done", "done", "done"]);
    assert.equal(steps.find((s) => s.no === 9)!.state, "failed");

    assert.deepEqual(await leftoversOnLibvirt(runDir), []);
    assert.equal(existsSync(join(runDir, "work")), false, "the run's work directory is gone");
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});
