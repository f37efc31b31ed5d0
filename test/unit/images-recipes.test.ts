import { test } from "node:test";
import assert from "node:assert/strict";
import { listRecipes, findRecipe, recipeHash, configuredSummary, BUILDER_VERSION, type Recipe, type DebianRecipe } from "../../src/images/index.js";
import { UserError } from "../../src/errors.js";
import { resolveRecipe, cachedImageDir } from "../../src/images/builder.js";
import { compressedPartMagic, earlyFiles, lateFiles } from "../../src/images/debian.js";
import { dependsOnFamily, diskDriversOf, firstNicNameOf, recipeForFamily } from "../../src/images/installed-on.js";
import { BUILTIN_FAMILIES, getFamily, HardwareFamily } from "../../src/hypervisor/families/index.js";

test("the recipes are listed, each once: the three personalities and the single-trait guests", () => {
  const names = listRecipes().map((r) => r.name);
  assert.deepEqual([...names].sort(), ["debian-12", "debian-12-hostonly", "debian-12-like-rhel", "debian-13-like-ubuntu", "debian-13-static", "tiny"]);
});

function debianOf(name: string, family: string): DebianRecipe {
  const r = resolveRecipe(name, family);
  if (r.kind !== "debian") throw new Error(`${name} is not a Debian recipe`);
  return r;
}

test("the RHEL-like guest: dracut hostonly with exactly its family's disk drivers, root by UUID, NetworkManager bound to the first boot's MAC", () => {
  for (const f of BUILTIN_FAMILIES) {
    const r = debianOf("debian-12-like-rhel", f.name);
    assert.equal(r.initramfsTool, "dracut");
    const conf = earlyFiles(r)["etc/dracut.conf.d/10-tiosa.conf"] ?? "";
    assert.match(conf, /^hostonly="yes"$/m);
    assert.equal(/^drivers=" (.*) "$/m.exec(conf)?.[1], [...diskDriversOf(f), "ext4"].join(" "), f.name);
    assert.equal(earlyFiles(r)["etc/initramfs-tools/conf.d/tiosa.conf"], undefined, "no initramfs-tools configuration");
  }
  const r = debianOf("debian-12-like-rhel", "vmware");
  assert.ok(r.packages.includes("dracut") && !r.packages.includes("initramfs-tools"), "dracut replaces initramfs-tools");
  const late = lateFiles(r, "ssh-ed25519 AAAA test", "0f5c1f3e-1111-2222-3333-444455556666");
  assert.match(late["etc/fstab"] ?? "", /^UUID=0f5c1f3e-1111-2222-3333-444455556666 \/ ext4 /m);
  assert.match(late["etc/NetworkManager/conf.d/00-server.conf"] ?? "", /^no-auto-default=\*$/m);
  const script = late["usr/local/sbin/tiosa-firstboot-net"] ?? "";
  assert.match(script, /^mac-address=\$mac$/m);
  assert.match(script, /system-connections\/\$n\.nmconnection/);
  assert.doesNotMatch(script, /interface-name=/, "bound by MAC only, as HWADDR");
  // It waits for udev as long as the recipe says (half-second polls): 30 s failed on a busy host.
  assert.equal(r.network.kind === "dhcp-mac-bound" && r.network.waitForNicS, 300);
  assert.match(script, /while \[ \$i -lt 600 \]/);
  assert.match(late["etc/systemd/system/tiosa-firstboot-net.service"] ?? "", /^Before=.*NetworkManager\.service/m);
  assert.ok(r.enable.includes("tiosa-firstboot-net"));
  assert.match(configuredSummary(r).initramfs ?? "", /^dracut hostonly="yes", drivers=vmw_pvscsi, sd_mod, ext4/);
  assert.match(configuredSummary(r).network ?? "", /NetworkManager keyfile with mac-address=/);
});

test("the Ubuntu-like guest: netplan matching the first boot's MAC with set-name on networkd, initramfs-tools MODULES=dep", () => {
  for (const f of BUILTIN_FAMILIES) {
    const r = debianOf("debian-13-like-ubuntu", f.name);
    assert.equal(r.initramfsTool, undefined, "initramfs-tools");
    assert.equal(earlyFiles(r)["usr/share/initramfs-tools/modules.d/tiosa"], [...diskDriversOf(f), "ext4"].join("\n") + "\n");
  }
  const r = debianOf("debian-13-like-ubuntu", "kvm");
  assert.equal(r.os.codename, "trixie");
  assert.ok(r.packages.includes("netplan.io"));
  assert.ok(r.enable.includes("systemd-networkd") && r.enable.includes("tiosa-firstboot-net"));
  const script = lateFiles(r, "ssh-ed25519 AAAA test", "0f5c1f3e-1111-2222-3333-444455556666")["usr/local/sbin/tiosa-firstboot-net"] ?? "";
  assert.match(script, /match:\n\s+macaddress: "\$mac"\n\s+set-name: \$n\n\s+dhcp4: true/);
  assert.match(script, /^netplan generate$/m);
  // The name is taken once udev has renamed the NIC (its database entry exists), never eth0.
  assert.match(script, /\/run\/udev\/data\/n/);
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
  assert.equal(b.initramfs.modules, "dep");
  assert.deepEqual(b.packages, a.packages);
  assert.deepEqual(b.network, a.network);
});

test("a host-only initramfs installed on each family holds that family's disk driver and no other family's", () => {
  const want: Record<string, string[]> = {
    kvm: ["virtio_pci", "virtio_blk", "ext4"],
    vmware: ["vmw_pvscsi", "sd_mod", "ext4"],
    hyperv: ["ata_piix", "sd_mod", "ext4"],
    xen: ["ata_piix", "sd_mod", "ext4"],
  };
  for (const f of BUILTIN_FAMILIES) {
    const r = resolveRecipe("debian-12-hostonly", f.name);
    if (r.kind !== "debian" || r.initramfs.modules !== "list") return assert.fail(`${f.name}: not resolved to a list`);
    assert.deepEqual(r.initramfs.list, want[f.name], f.name);
    assert.equal(r.builtFor, f.name);
    assert.match(r.initramfs.reproduces, new RegExp(`installed on ${f.name} hardware`));
  }
});

test("a static address bound to the first NIC takes the name that NIC has on the family it is installed on", () => {
  const names = Object.fromEntries(BUILTIN_FAMILIES.map((f) => {
    const r = resolveRecipe("debian-13-static", f.name);
    return [f.name, r.kind === "debian" && r.network.kind === "static" ? r.network.interface : null];
  }));
  assert.deepEqual(names, { kvm: "enp1s0", vmware: "ens3", hyperv: "ens3", xen: "ens3" });
  assert.match(configuredSummary(resolveRecipe("debian-13-static", "vmware")).network ?? "", /on ens3 /);
  assert.match(configuredSummary(resolveRecipe("debian-13-static", "vmware"))["installed on"] ?? "", /vmware/);
});

test("recipes that depend on the hardware get one hash and cache entry per family; the others one for all", () => {
  for (const name of ["debian-12-hostonly", "debian-13-static", "debian-12-like-rhel", "debian-13-like-ubuntu"]) {
    assert.ok(dependsOnFamily(findRecipe(name)), name);
    const hashes = BUILTIN_FAMILIES.map((f) => recipeHash(resolveRecipe(name, f.name)));
    assert.equal(new Set(hashes).size, 4, `${name}: one hash per family`);
    assert.match(cachedImageDir(resolveRecipe(name, "vmware"), "/c"), new RegExp(`^/c/${name}\\.vmware-[0-9a-f]{16}$`));
  }
  for (const name of ["debian-12", "tiny"]) {
    assert.ok(!dependsOnFamily(findRecipe(name)), name);
    const hashes = BUILTIN_FAMILIES.map((f) => recipeHash(resolveRecipe(name, f.name)));
    assert.equal(new Set(hashes).size, 1, `${name}: the same image on every family`);
    assert.equal(resolveRecipe(name, "xen"), findRecipe(name));
  }
  // Without a family, images are installed on kvm, as they always were.
  assert.equal(recipeHash(resolveRecipe("debian-12-hostonly")), recipeHash(resolveRecipe("debian-12-hostonly", "kvm")));
});

test("a user's family gets its drivers and NIC name from its hardware, or says which it needs", () => {
  const base = { description: "d", standsFor: "s", video: { model: "vga" } };
  const lsi = HardwareFamily.parse({ ...base, name: "lsi", machine: "pc", disk: { bus: "scsi", controller: "lsilogic", format: "vmdk", targetPrefix: "sd" }, nic: { model: "e1000" } });
  // QEMU's lsilogic is an LSI 53C895A: sym53c8xx, as adapt's device table has it.
  assert.deepEqual(diskDriversOf(lsi), ["sym53c8xx", "sd_mod"]);
  assert.equal(firstNicNameOf(lsi), "ens3");
  const sata = HardwareFamily.parse({ ...base, name: "sata", machine: "q35", disk: { bus: "sata", format: "qcow2", targetPrefix: "sd" }, nic: { model: "e1000e", guestName: "enp2s0" } });
  assert.deepEqual(diskDriversOf(sata), ["ahci", "sd_mod"]);
  assert.equal(firstNicNameOf(sata), "enp2s0");
  const odd = HardwareFamily.parse({ ...base, name: "odd", machine: "pc", disk: { bus: "scsi", controller: "ncr53c90", format: "raw", targetPrefix: "sd" }, nic: { model: "e1000" } });
  assert.throws(() => diskDriversOf(odd), (e: unknown) => e instanceof UserError && /odd/.test(e.message) && /ncr53c90/.test(e.message) && /disk\.drivers/.test(e.message));
  const given = HardwareFamily.parse({ ...base, name: "given", machine: "pc", disk: { bus: "scsi", controller: "ncr53c90", format: "raw", targetPrefix: "sd", drivers: ["esp_scsi", "sd_mod"] }, nic: { model: "e1000" } });
  const r = recipeForFamily(findRecipe("debian-12-hostonly"), given);
  assert.ok(r.kind === "debian" && r.initramfs.modules === "list" && r.initramfs.list.join() === "esp_scsi,sd_mod,ext4");
  assert.equal(getFamily("vmware").nic.guestName, undefined, "built-in families derive the name");
});

test("debian-13-static binds a static address in QEMU user-net's subnet to the first NIC's name", () => {
  const r = findRecipe("debian-13-static");
  assert.equal(r.kind === "debian" && r.os.codename, "trixie");
  if (r.kind !== "debian" || r.network.kind !== "static") return assert.fail("not a static debian recipe");
  assert.equal(r.network.interface, null);
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
  assert.match(configuredSummary(findRecipe("debian-13-static")).network ?? "", /first NIC's name/);
  assert.match(configuredSummary(resolveRecipe("debian-13-static", "kvm")).network ?? "", /enp1s0/);
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

test("the initramfs compression check looks past an uncompressed early cpio (trixie's) to the main archive", () => {
  const zstd = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2]);
  assert.equal(compressedPartMagic(zstd), "28b52ffd");
  const early = Buffer.concat([Buffer.from("070701" + "0".repeat(104) + "TRAILER!!!", "latin1"), Buffer.alloc(7), zstd]);
  assert.equal(compressedPartMagic(early), "28b52ffd");
  const gzipAfterEarly = Buffer.concat([Buffer.from("070701xTRAILER!!!", "latin1"), Buffer.alloc(3), Buffer.from([0x1f, 0x8b, 8, 0])]);
  assert.equal(compressedPartMagic(gzipAfterEarly), "1f8b0800");
});
