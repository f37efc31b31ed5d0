import { test } from "node:test";
import assert from "node:assert/strict";
import { jobMarker, parseIpAddr, stepErrorMessage, stepSignal } from "../../src/campaign/steps/common.js";
import { planRoutes } from "../../src/campaign/routes.js";
import { vmShortName } from "../../src/campaign/steps/capture.js";
import { fixedNetworkOf, guestAccess } from "../../src/campaign/steps/guest-access.js";
import { parseCampaign } from "../../src/campaign/spec.js";
import type { RunContext } from "../../src/campaign/steps/common.js";
import type { BuiltImage } from "../../src/images/index.js";

test("a job's marker depends on the run and the job only, so a resumed run finds what a dead one left", () => {
  const a = jobMarker("20261123-031219-tiny", "case/tiny/kvm->vmware/r/c1");
  assert.match(a, /^[0-9a-f]{8}$/);
  assert.equal(jobMarker("20261123-031219-tiny", "case/tiny/kvm->vmware/r/c1"), a);
  assert.notEqual(jobMarker("20261123-031219-tiny", "capture/tiny/kvm/c1"), a);
  assert.notEqual(jobMarker("20261123-031220-tiny", "case/tiny/kvm->vmware/r/c1"), a);
});

test("guest-agent addresses: a NIC that is up without an IPv4 address is named as such", () => {
  const text = 'running\n[{"ifindex":1,"ifname":"lo","operstate":"UNKNOWN","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8}]},'
    + '{"ifindex":2,"ifname":"ens4","operstate":"DOWN","addr_info":[]},{"ifindex":3,"ifname":"ens5","operstate":"UP","addr_info":[{"family":"inet","local":"192.168.120.5","prefixlen":24}]}]';
  assert.equal(parseIpAddr(text), "ens4 DOWN no IPv4 address; ens5 UP 192.168.120.5/24");
  assert.equal(parseIpAddr("ip: command not found"), null);
  // Failed units listed first (a degraded guest) do not hide the addresses.
  assert.equal(parseIpAddr(text.replace("running\n", "degraded\ntiosa-firstboot-net.service loaded failed failed tiosa: bind the network [MAC]\n")), "ens4 DOWN no IPv4 address; ens5 UP 192.168.120.5/24");
});

test("route discovery in the planner's shape: built-in families get routes, a user's family none", () => {
  const r = planRoutes("kvm", "vmware");
  assert.ok(r.length >= 1);
  assert.ok(r[0]!.id.includes("+"));
  assert.equal(r[0]!.steps.length, r[0]!.id.split("+").length);
  assert.deepEqual(planRoutes("kvm", "oldhw"), []);
});

test("a step's timeout reads as a timeout, the run's abort as the abort's reason", async () => {
  const run = new AbortController();
  const s = stepSignal(run.signal, 0.05);
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(s.aborted, true);
  assert.match(stepErrorMessage(new Error("The operation was aborted"), s, run.signal, 0.05), /timed out after 0.05 s/);
  s.dispose();
  const s2 = stepSignal(run.signal, 60);
  run.abort(new Error("interrupted by SIGINT"));
  assert.equal(s2.aborted, true);
  assert.match(stepErrorMessage(new Error("interrupted by SIGINT"), s2, run.signal, 60), /SIGINT/);
  s2.dispose();
});

test("VM short names fit libvirt's and the driver's rules", () => {
  assert.equal(vmShortName("src", "debian-12-hostonly"), "src-debian-12-hostonly");
  assert.match(vmShortName("tgt", "A_very.long-Guest_name_that_goes_on_and_on"), /^[a-z0-9][a-z0-9-]{0,30}$/);
});

test("a static-address guest is reached at the address in its image and needs its subnet; a DHCP guest asks the hypervisor; the key is that of the image installed on the source family", () => {
  const campaign = parseCampaign([
    "name: t", "hypervisors:", "  - { name: kvm, uri: 'test:///default', family: kvm }", "  - { name: vmware, uri: 'test:///default', family: vmware }",
    "guests:", "  - { name: static, image: debian-13-static }", "  - { name: dhcp, image: debian-12 }", "cycles: 1", "",
  ].join("\n"), "/x/c.yaml");
  assert.deepEqual(fixedNetworkOf(campaign, "static"), { address: "10.0.2.15", prefix: 24, gateway: "10.0.2.2", dns: ["10.0.2.3"] });
  assert.equal(fixedNetworkOf(campaign, "dhcp"), null);
  const image = (key: string) => ({ user: "root", sshPrivateKeyPath: key }) as BuiltImage;
  const rc = { campaign, images: new Map([["static@kvm", image("/k")], ["static@vmware", image("/kv")], ["dhcp@kvm", image("/k")]]) } as unknown as RunContext;
  assert.deepEqual(guestAccess(rc, campaign.guests[0]!, "kvm"), { user: "root", identityFile: "/k", host: "10.0.2.15" });
  assert.deepEqual(guestAccess(rc, campaign.guests[0]!, "vmware"), { user: "root", identityFile: "/kv", host: "10.0.2.15" });
  assert.deepEqual(guestAccess(rc, campaign.guests[1]!, "kvm"), { user: "root", identityFile: "/k" });
  assert.throws(() => guestAccess(rc, campaign.guests[1]!, "xen"), /dhcp.*xen.*not built/);
});
