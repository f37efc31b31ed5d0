import { test } from "node:test";
import assert from "node:assert/strict";
import { run } from "../../src/util/exec.js";
import { buildImage, type BuiltImage } from "../../src/images/index.js";
import { fixedGuestNetwork } from "../../src/images/recipe.js";
import { resolveRecipe } from "../../src/images/builder.js";
import { diskDriversOf, firstNicNameOf } from "../../src/images/installed-on.js";
import { BUILTIN_FAMILIES, getFamily } from "../../src/hypervisor/families/index.js";
import { LibvirtDriver } from "../../src/hypervisor/libvirt/driver.js";
import { waitForGuest } from "../../src/hypervisor/launch.js";
import { captureGuest } from "../../src/guest/capture.js";
import { NIC_DRIVER_NAMES, targetHardwareOf } from "../../src/adapt/devices.js";

/**
 * Every guest as installed on each family (issue 20): the image built for family F, in F's
 * hardware, boots and passes the OS test set there. Without per-family builds a host-only
 * initramfs made on kvm could not find its disk behind PVSCSI or IDE, and a static address
 * bound to kvm's NIC name was lost on i440fx: a campaign had no source on those families.
 * Also checks what the guest's kernel drives (the family's disk controller and NIC) and the
 * VM's inventory (the family's disk format, bus and NIC model). Prints the recipe x family
 * table of boot times. Two VMs run at a time (one per core); the
 * static-address guests one after another (one network of their subnet at a time).
 */
const URI = "qemu:///system";
const haveQemu = (await run("sh", ["-c", "command -v qemu-system-x86_64"], { timeoutMs: 5000 })).code === 0;
const skip = haveQemu ? false : "no qemu-system-x86_64 on this machine: no virtualization at all";
/** The three guest personalities (docs/images.md). */
const RECIPES = ["debian-12", "debian-12-like-rhel", "debian-13-like-ubuntu"] as const;

interface Result {
  recipe: string; family: string; bootS: number; nic: string; address: string; probeErrors: string[];
  /** What the first boot bound the network to (MAC-bound guests), and the VM's MAC. */
  installNetwork: string; vmMac: string;
  /** Drivers bound along the disks' and NICs' device paths, up to the PCI root. */
  drivers: string;
  inventory: { diskFormat: string | null; diskBus: string | null; nicModel: string | null };
}



async function bootAndProbe(recipe: string, family: string): Promise<Result> {
  const image: BuiltImage = await buildImage(recipe, { family });
  const f = getFamily(family);
  const driver = new LibvirtDriver(URI);
  const fixed = fixedGuestNetwork(resolveRecipe(recipe, family));
  try {
    if (fixed) driver.capabilities.fixedGuestNetwork!.use(`tiosa-${driver.runId}`, fixed);
    const h = await driver.defineVm({ name: `inst-${recipe}-${family}`.slice(0, 31), family: f, disks: [{ path: image.diskPath, format: image.format }], memoryMiB: 1024, vcpus: 1 });
    const t0 = Date.now();
    await driver.lifecycle(h.name, "start");
    const wait = await waitForGuest({
      driver, vm: h.name, access: { user: image.user, identityFile: image.sshPrivateKeyPath, ...(fixed ? { host: fixed.address } : {}) },
      timeoutMs: 600_000, boot: "Launch",
    });
    const bootS = (Date.now() - t0) / 1000;
    try {
      const drivers = (await wait.transport.exec('for d in /sys/block/*/device /sys/class/net/*/device; do p=$(readlink -f "$d"); while [ "$p" != /sys/devices ] && [ "$p" != / ]; do [ -e "$p/driver" ] && basename "$(readlink -f "$p/driver")"; p=${p%/*}; done; done | sort -u | tr "\\n" " "', { timeoutMs: 30_000 })).stdout.trim();
      const installNetwork = (await wait.transport.exec("cat /etc/tiosa-install-network 2>/dev/null || true", { timeoutMs: 30_000 })).stdout.trim();
      const guest = await captureGuest(wait.transport);
      const inv = await driver.vmInventory(h.name);
      const nic = guest.interfaces?.find((i) => i.name !== "lo" && i.addresses.some((a) => /^\d+\./.test(a)));
      return {
        recipe, family, bootS, drivers, installNetwork, vmMac: inv.nics[0]?.mac ?? "-", nic: nic?.name ?? "-", address: nic?.addresses.find((a) => /^\d+\./.test(a)) ?? "-",
        probeErrors: (guest.errors ?? []).map((e) => `${e.probe}: ${e.message}`),
        inventory: { diskFormat: inv.disks[0]?.format ?? null, diskBus: inv.disks[0]?.bus ?? null, nicModel: inv.nics[0]?.model ?? null },
      };
    } finally {
      await wait.transport.close();
    }
  } finally {
    const r = await driver.cleanup();
    assert.deepEqual(r.failed, [], `${recipe}/${family}: cleanup`);
  }
}

test("each guest built for each family boots there and passes the OS test set (3 x 4 table of boot times)", { skip, timeout: 60 * 60_000 }, async () => {
  const families = BUILTIN_FAMILIES.map((f) => f.name);
  // Build (or find cached) every image first, so the table times boots only.
  for (const r of RECIPES) for (const f of families) await buildImage(r, { family: f });
  const isStatic = (r: string) => fixedGuestNetwork(resolveRecipe(r, "kvm")) !== null;
  const statics = RECIPES.filter(isStatic).flatMap((r) => families.map((f) => [r, f] as const));
  const others = RECIPES.filter((r) => !isStatic(r)).flatMap((r) => families.map((f) => [r, f] as const));
  // Lane A: the static guests (if any), then a half of the others; lane B: the other half.
  const half = Math.ceil((others.length - statics.length) / 2);
  const laneA = [...statics, ...others.slice(0, Math.max(0, half))];
  const laneB = others.slice(Math.max(0, half));
  const results: Result[] = [];
  const errors: string[] = [];
  const lane = async (jobs: (readonly [string, string])[]) => {
    for (const [r, f] of jobs) {
      try { results.push(await bootAndProbe(r, f)); } catch (e) { errors.push(`${r}/${f}: ${(e as Error).message}`); }
    }
  };
  await Promise.all([lane(laneA), lane(laneB)]);

  const cell = (r: string, f: string) => results.find((x) => x.recipe === r && x.family === f);
  const lines = [`SSH after start, seconds (TCG where /dev/kvm cannot run a kernel; two VMs at a time):`,
    `  ${"".padEnd(20)}${families.map((f) => f.padStart(9)).join("")}`,
    ...RECIPES.map((r) => `  ${r.padEnd(20)}${families.map((f) => (cell(r, f) ? cell(r, f)!.bootS.toFixed(1) : "fail").padStart(9)).join("")}`),
    ...results.map((x) => `  ${x.recipe}/${x.family}: ${x.nic} ${x.address}; disk drivers: ${x.drivers}`)];
  process.stderr.write(lines.join("\n") + "\n");
  assert.deepEqual(errors, [], "every guest boots on the family it was built for");
  for (const x of results) {
    const f = getFamily(x.family);
    assert.deepEqual(x.probeErrors, [], `${x.recipe}/${x.family}: every OS test probe answered`);
    // The guest's kernel drives its disk through the family's controller...
    assert.ok(diskDriversOf(f).some((d) => x.drivers.split(" ").includes(d)), `${x.recipe}/${x.family}: disk drivers ${x.drivers}`);
    // (the driver names of the family's NIC as adapt's device table has them)
    const nicDrivers = NIC_DRIVER_NAMES[targetHardwareOf(f).nic.model] ?? [];
    assert.ok(nicDrivers.some((d) => x.drivers.split(" ").includes(d)), `${x.recipe}/${x.family}: NIC driver, one of ${nicDrivers.join("/")} in ${x.drivers}`);
    // ...in the family's hardware and disk format, as libvirt defined it.
    assert.deepEqual(x.inventory, { diskFormat: f.disk.format, diskBus: f.disk.bus, nicModel: f.nic.model }, `${x.recipe}/${x.family}: inventory`);
    // ...and has its network on the NIC name that family gives (the static one on its own address).
    assert.equal(x.nic, firstNicNameOf(f), `${x.recipe}/${x.family}: NIC`);
    const fixed = fixedGuestNetwork(resolveRecipe(x.recipe, x.family));
    if (fixed) assert.equal(x.address, `${fixed.address}/${fixed.prefix}`);
    // A MAC-bound guest's first boot bound its network to this VM's NIC, by name and MAC.
    const rr = resolveRecipe(x.recipe, x.family);
    if (rr.kind === "debian" && rr.network.kind === "dhcp-mac-bound") assert.equal(x.installNetwork, `${x.nic} ${x.vmMac}`, `${x.recipe}/${x.family}: first-boot network binding`);
  }
  assert.equal(results.length, RECIPES.length * families.length);
});
