import { test } from "node:test";
import assert from "node:assert/strict";
import { haveCommand } from "../../src/util/exec.js";
import { buildImage } from "../../src/images/index.js";
import { main } from "../../src/cli/main.js";

/**
 * `tiosa assess` on tiosa's own images, read offline through libguestfs (one appliance per
 * image, read-only overlay): the concerns that the campaigns' failures explain must come out
 * of the disks themselves.
 */
const haveQemu = await haveCommand("qemu-system-x86_64");
const skip = haveQemu ? false : "no qemu-system-x86_64 on this machine (no virtualization at all)";

interface A { concerns: { id: string; severity: string; families: string[]; detail: string; evidence: string[] }[]; guest: { read: string; initramfsTool: string | null }; worst: Record<string, string | null> }

async function assessImage(recipe: string, family: string | undefined, to: string, from?: string): Promise<{ code: number; a: A }> {
  const image = await buildImage(recipe, family ? { family } : {});
  let out = "", err = "";
  const code = await main(["assess", image.diskPath, "--to", to, ...(from ? ["--from", from] : []), "--format", "json"], { out: (s) => { out += s; }, err: (s) => { err += s + "\n"; } });
  assert.ok(out, `assess ${recipe}: ${err}`);
  return { code, a: JSON.parse(out) as A };
}

test("debian-12-hostonly (built for kvm) assessed for vmware: a critical 'initramfs lacks vmw_pvscsi' concern, read from its disk", { skip, timeout: 20 * 60_000 }, async () => {
  const { code, a } = await assessImage("debian-12-hostonly", "kvm", "kvm,vmware", "kvm");
  assert.equal(a.guest.read, "offline");
  assert.equal(a.guest.initramfsTool, "initramfs-tools");
  const c = a.concerns.find((x) => x.id === "initramfs-lacks-disk-driver" && x.families.includes("vmware"))!;
  assert.equal(c.severity, "critical");
  assert.match(c.detail, /vmw_pvscsi/);
  assert.ok(!a.concerns.some((x) => x.id === "initramfs-lacks-disk-driver" && x.families.includes("kvm")), "its own family's driver is in it");
  assert.equal(code, 20);
});

test("debian-12 (portable) assessed for vmware: nothing critical", { skip, timeout: 20 * 60_000 }, async () => {
  const { a } = await assessImage("debian-12", undefined, "vmware", "kvm");
  assert.deepEqual(a.concerns.filter((x) => x.severity === "critical").map((x) => `${x.id}: ${x.detail}`), []);
  assert.equal(a.worst.vmware, "warning", "the NIC's name and MAC change");
});

test("debian-13-static (built for kvm): a critical network concern off its family, none on it", { skip, timeout: 20 * 60_000 }, async () => {
  const { a } = await assessImage("debian-13-static", "kvm", "kvm,vmware,hyperv,xen", "kvm");
  const net = a.concerns.filter((x) => x.id === "network-bound-to-name");
  assert.deepEqual(net.flatMap((x) => x.families).sort(), ["hyperv", "vmware", "xen"]);
  assert.ok(net.every((x) => x.severity === "critical" && x.evidence.some((e) => /\/etc\/network\/interfaces: .*enp1s0/.test(e))), JSON.stringify(net));
  assert.ok(!a.concerns.some((x) => x.severity === "critical" && x.families.includes("kvm")), JSON.stringify(a.concerns.filter((x) => x.families.includes("kvm"))));
});
