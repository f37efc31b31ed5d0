import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { parseCampaign, loadCampaign, CampaignFile, DEFAULT_TIMEOUTS } from "../../src/campaign/spec.js";
import { UserError } from "../../src/errors.js";
import { SCHEMAS } from "../../src/schemas.js";

const BASE = `name: lab
hypervisors:
  - name: kvm
    uri: qemu:///system
    family: kvm
  - name: vmware
    uri: qemu:///system
    family: vmware
guests:
  - name: debian-12
    image: debian-12
`;

/** Asserts that parsing fails with a UserError naming the file, the line and the message. */
function failsAt(text: string, line: number, message: RegExp) {
  assert.throws(() => parseCampaign(text, "/x/c.yaml"), (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, new RegExp(`campaign file '/x/c.yaml', line ${line}:`), e.message);
    assert.match(e.message, message);
    return true;
  });
}

describe("campaign file", () => {
  it("applies the documented defaults", () => {
    const c = parseCampaign(BASE, "/x/c.yaml");
    assert.equal(c.cycles, 3);
    assert.equal(c.concurrency, 1);
    assert.equal(c.output, "./tiosa-runs");
    assert.deepEqual(c.routes, { use: "all", onePerPair: false });
    assert.deepEqual(c.pairs, [{ from: "kvm", to: "vmware" }, { from: "vmware", to: "kvm" }]);
    assert.deepEqual(c.timeouts, DEFAULT_TIMEOUTS);
    assert.equal(c.timeouts.boot, 300);
    assert.equal(c.timeouts.convert, 1800);
    assert.equal(c.rulesFile, null);
    assert.equal(c.probe.icmpPrivate, "gateway");
    assert.equal(c.probe.userOps, true);
    assert.deepEqual(c.warnings, []);
    assert.match(c.hash, /^[0-9a-f]{64}$/);
  });

  it("every ordered pair of distinct hypervisors is planned by default", () => {
    const c = parseCampaign(BASE + "", "/x/c.yaml");
    const three = parseCampaign(BASE.replace("guests:", "  - name: hv\n    uri: qemu:///system\n    family: hyperv\nguests:"), "/x/c.yaml");
    assert.equal(c.pairs.length, 2);
    assert.equal(three.pairs.length, 6);
    assert.ok(three.pairs.every((p) => p.from !== p.to));
  });

  it("reads explicit pairs, route lists, onePerPair, probe options and timeouts", () => {
    const c = parseCampaign(BASE + `pairs:
  - { from: kvm, to: vmware }
routes:
  use: [qemu-img]
  onePerPair: true
cycles: 5
rules: rules/strict.yaml
concurrency: 2
timeouts: { boot: 120 }
output: /var/tmp/runs
probe:
  icmp: { private: 10.0.2.2, public: 9.9.9.9 }
  reverseDns:
    public: { address: 194.25.2.129, expected: dns.isp.t-ipnet.de }
  apps:
    - { name: sshd, command: "systemctl is-active ssh", expectOutput: "^active" }
    - { name: ssh-port, tcpPort: 22 }
    - { name: web, httpUrl: "http://127.0.0.1/", expectStatus: 200 }
`, "/x/campaigns/c.yaml");
    assert.deepEqual(c.pairs, [{ from: "kvm", to: "vmware" }]);
    assert.deepEqual(c.routes, { use: ["qemu-img"], onePerPair: true });
    assert.equal(c.cycles, 5);
    assert.equal(c.rulesFile, "/x/campaigns/rules/strict.yaml", "rules are relative to the campaign file");
    assert.equal(c.timeouts.boot, 120);
    assert.equal(c.timeouts.capture, DEFAULT_TIMEOUTS.capture);
    assert.equal(c.probe.icmpPublic, "9.9.9.9");
    assert.deepEqual(c.probe.rdnsPublic, { address: "194.25.2.129", expected: "dns.isp.t-ipnet.de" });
    assert.deepEqual(c.probe.apps.map((a) => a.kind), ["command", "tcp", "http"]);
    assert.equal(c.probe.apps[0]!.kind === "command" && c.probe.apps[0]!.expectExit, 0);
  });

  it("accepts an existing VM with credentials by reference", () => {
    const c = parseCampaign(BASE + `  - name: legacy
    vm: crm-prod-clone
    hypervisor: vmware
    ssh: { user: admin, identityFile: keys/id_ed25519 }
`, "/x/c.yaml");
    assert.deepEqual(c.guests[1], { name: "legacy", kind: "vm", vm: "crm-prod-clone", hypervisor: "vmware", ssh: { user: "admin", identityFile: "/x/keys/id_ed25519" } });
  });

  it("warns below the paper's three cycles but accepts one", () => {
    const c = parseCampaign(BASE + "cycles: 1\n", "/x/c.yaml");
    assert.equal(c.cycles, 1);
    assert.equal(c.warnings.length, 1);
    assert.match(c.warnings[0]!, /line 12: cycles: 1 is below the paper's minimum of 3/);
  });

  it("names the line of each mistake", () => {
    failsAt(BASE + "cycles: 0\n", 12, /cycles must be at least 1/);
    failsAt(BASE + "pairs:\n  - { from: kvm, to: esx }\n", 13, /pairs\.0\.to: unknown hypervisor 'esx' \(declared: kvm, vmware\)/);
    failsAt(BASE + "pairs:\n  - { from: kvm, to: kvm }\n", 13, /two different hypervisors/);
    failsAt(BASE.replace("name: vmware", "name: kvm"), 6, /hypervisors\.1\.name: 'kvm' is declared twice/);
    failsAt(BASE + "  - name: debian-12\n    image: debian-12\n", 12, /guests\.1\.name: 'debian-12' is declared twice/);
    failsAt(BASE + "  - name: old\n    vm: crm\n    hypervisor: esxi-7\n    ssh: { user: a, passwordEnv: PW }\n", 14, /unknown hypervisor 'esxi-7'/);
    failsAt(BASE.replace("family: vmware", "family: virtualbox"), 8, /unknown family 'virtualbox'/);
    failsAt(BASE.replace("image: debian-12", "image: centos-6"), 11, /unknown image recipe 'centos-6'/);
    failsAt(BASE + "colour: blue\n", 1, /Unrecognized key/);
    failsAt(BASE + "  - name: old\n    vm: crm\n    hypervisor: kvm\n    ssh: { user: a }\n", 15, /exactly one of `identityFile` or `passwordEnv`/);
    failsAt(BASE + "probe:\n  apps:\n    - { name: x, command: 'true', expectOutput: '(' }\n", 14, /not a valid regular expression/);
    failsAt("name: lab\nhypervisors: [ { name: a, uri: x, family: kvm } ]\nguests: [ { name: g, image: debian-12 } ]\n", 2, /one hypervisor there is nowhere to move/);
    failsAt("name: lab\nhypervisors: [\n", 3, /invalid YAML/);
  });

  it("loadCampaign checks the files it names and loads a user family", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tiosa-test-"));
    try {
      await writeFile(join(dir, "c.yaml"), BASE + "rules: missing.yaml\n");
      await assert.rejects(loadCampaign(join(dir, "c.yaml")), /line 12: rules: rules file '.*missing\.yaml': no such file/);
      await writeFile(join(dir, "oldhw.yaml"), "name: oldhw\nstandsFor: an old cluster\ndescription: IDE and rtl8139, emulated on QEMU\nmachine: pc\ndisk: { bus: ide, format: qcow2, targetPrefix: hd }\nnic: { model: rtl8139 }\nvideo: { model: cirrus }\n");
      await writeFile(join(dir, "c.yaml"), BASE.replace("family: vmware", "family: ./oldhw.yaml"));
      const c = await loadCampaign(join(dir, "c.yaml"));
      assert.deepEqual(c.hypervisors[1]!.family, { kind: "file", path: join(dir, "oldhw.yaml"), name: "oldhw" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("has a JSON Schema for editors through `tiosa schema campaign`", () => {
    assert.equal(SCHEMAS.campaign!.schema, CampaignFile);
    const js = z.toJSONSchema(CampaignFile, { io: "input", unrepresentable: "any" }) as { properties: Record<string, unknown>; required: string[] };
    assert.ok(js.properties.hypervisors && js.properties.cycles && js.properties.probe);
    assert.deepEqual(js.required.sort(), ["guests", "hypervisors", "name"]);
  });
});
