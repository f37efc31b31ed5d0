import { test } from "node:test";
import assert from "node:assert/strict";
import { buildImage, type BuiltImage } from "../../src/images/index.js";
import { bootImage, sshRun, type BootedGuest } from "../../src/qemu/index.js";
import { haveCommand } from "../../src/util/exec.js";

const noQemu = !(await haveCommand("qemu-system-x86_64")) && "qemu-system-x86_64 is not installed: no virtualization on this machine";
if (noQemu) console.log(`# skipping images-debian: ${noQemu}`);

async function withGuest(img: BuiltImage, fn: (g: BootedGuest, sh: (cmd: string) => Promise<string>) => Promise<void>, hardware: "virtio" | "sata" = "virtio") {
  const guest = await bootImage({ disk: img.diskPath, hardware, memoryMiB: 1024, timeoutMs: 300_000, guestAgent: true });
  try {
    console.log(`# ${img.name}: SSH answered after ${guest.sshReadyMs} ms on ${hardware} (${guest.accel})`);
    const sh = async (cmd: string) => {
      const r = await sshRun({ port: guest.sshPort, privateKeyPath: img.sshPrivateKeyPath, command: ["sh", "-c", `'${cmd}'`] });
      assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
      return r.stdout.trim();
    };
    await fn(guest, sh);
  } finally {
    await guest.stop();
  }
}

test("debian-12 boots with GRUB on virtio hardware and answers SSH with its key", { skip: noQemu, timeout: 3_600_000 }, async () => {
  const img = await buildImage("debian-12", { onProgress: (p) => console.log(`# ${p.message}`) });
  assert.equal(img.metadata.bootloader, "grub-i386-pc-mbr");
  await withGuest(img, async (_g, sh) => {
    assert.equal(await sh("uname -r"), img.metadata.kernelRelease);
    const cmdline = await sh("cat /proc/cmdline");
    assert.match(cmdline, new RegExp(`root=UUID=${img.metadata.rootFsUuid}`));
    assert.match(cmdline, /console=ttyS0,115200/);
    assert.match(await sh("cat /etc/fstab"), /^LABEL=root\s+\/\s+ext4/m);
    assert.match(await sh("nft list ruleset"), /tcp dport 22 accept/);
    assert.match(await sh("ip -o -4 addr show"), /10\.0\.2\.15\/24/);
    assert.equal(await sh("systemctl is-active qemu-guest-agent"), "active");
    assert.match(await sh("passwd -S root"), /^root L /);
  });
});

test("debian-12-hostonly boots on virtio hardware", { skip: noQemu, timeout: 3_600_000 }, async () => {
  const img = await buildImage("debian-12-hostonly", { onProgress: (p) => console.log(`# ${p.message}`) });
  assert.equal(img.metadata.details.initramfs, "list");
  await withGuest(img, async (_g, sh) => {
    assert.equal(await sh("uname -r"), img.metadata.kernelRelease);
    const mods = await sh(`lsinitramfs /boot/initrd.img-$(uname -r) | grep -c "\\.ko" || true`);
    assert.ok(Number(mods) < 20, `host-only initramfs has ${mods} modules`);
  });
});

test("debian-13-static boots on virtio hardware with its static address on enp1s0 (NIC behind a PCIe root port, as libvirt places it)", { skip: noQemu, timeout: 3_600_000 }, async () => {
  const img = await buildImage("debian-13-static", { onProgress: (p) => console.log(`# ${p.message}`) });
  assert.equal(img.metadata.os.codename, "trixie");
  await withGuest(img, async (_g, sh) => {
    assert.equal(await sh("uname -r"), img.metadata.kernelRelease);
    assert.match(await sh("ip -o -4 addr show dev enp1s0"), /10\.0\.2\.15\/24/);
    assert.match(await sh("cat /etc/os-release"), /trixie/);
  });
});

test("debian-12-hostonly cannot find its root disk behind an IDE controller", { skip: noQemu, timeout: 3_600_000 }, async () => {
  const img = await buildImage("debian-12-hostonly");
  const guest = await bootImage({ disk: img.diskPath, hardware: "ide", memoryMiB: 1024, waitForSsh: false });
  try {
    const deadline = Date.now() + 300_000;
    let text = "";
    while (Date.now() < deadline) {
      text = await guest.console();
      if (/ALERT!|Gave up waiting for root/.test(text)) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    assert.match(text, /Gave up waiting for root file system device|ALERT! .* does not exist/);
  } finally {
    await guest.stop();
  }
});
