/**
 * Destination-dependent migration (issue 9) side by side, in one run, on the same guest and
 * the same pair: dead copy vs virt-v2v vs `adapt`.
 *
 * Pair: vmware -> kvm (virt-v2v only writes guests for KVM, so that is the pair all three can do).
 * Guest: debian-12-hostonly with its initramfs rebuilt for VMware only (MODULES=list vmw_pvscsi
 * sd_mod ext4), i.e. what a host-only initramfs looks like on a VM installed on ESXi: it boots
 * on pvscsi and has no virtio driver.
 * TIOSA_BENCH_V2V=0 leaves virt-v2v out (it takes minutes to tens of minutes under TCG);
 * TIOSA_BENCH_V2V_TIMEOUT_MIN bounds it (default 45). Figures: bytes transferred as a share of the source
 * image file, preparation time (adapt: facts + plan + apply; virt-v2v: everything before it
 * copies the disk), and whether the result boots on the kvm family's hardware (virtio).
 *
 * The target is assumed to hold the source image as of an earlier migration (or the golden
 * image the VM came from) for adapt's delta; the full compressed transfer is shown too.
 */
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage } from "../src/images/index.js";
import { bootImage, sshBanner, type HardwareName } from "../src/qemu/index.js";
import { haveCommand, run, runOk } from "../src/util/exec.js";
import { runScriptOffline } from "../src/adapt/guestfs.js";
import { libguestfsEnv } from "../src/libguestfs/env.js";
import { readGuestFacts } from "../src/adapt/apply.js";
import { adaptRoute } from "../src/adapt/route.js";
import { deadCopy, transferImage } from "../src/adapt/transfer.js";

const MiB = 2 ** 20;
const fmt = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Boots, and returns as soon as SSH answers or the initramfs gives up (console), or at the timeout. */
async function bootResult(disk: string, format: "qcow2", hardware: HardwareName, dir: string, label: string): Promise<{ ok: boolean; detail: string; ms: number }> {
  const log = join(dir, `${label}.console.log`);
  const g = await bootImage({ disk, format, hardware, consoleLogPath: log, waitForSsh: false, snapshot: true });
  const start = Date.now();
  try {
    for (;;) {
      if (await sshBanner(g.sshPort)) return { ok: true, detail: "SSH answered", ms: Date.now() - start };
      const c = await readFile(log, "utf8").catch(() => "");
      const alert = /ALERT!.*/.exec(c);
      if (alert) return { ok: false, detail: `initramfs: ${alert[0].trim().slice(0, 80)}`, ms: Date.now() - start };
      if (Date.now() - start > 240_000) return { ok: false, detail: "no SSH within 240 s", ms: Date.now() - start };
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await g.stop();
  }
}

async function main(): Promise<void> {
  if (!(await haveCommand("qemu-system-x86_64")) || !(await haveCommand("guestfish"))) {
    console.log("adapt benchmark not run: needs qemu-system-x86_64 and libguestfs-tools (guestfish)");
    return;
  }
  const img = await buildImage("debian-12-hostonly", { onProgress: (p) => { if (p.phase !== "info") process.stderr.write(`[image] ${p.step} ${p.phase}\n`); } });
  const dir = await mkdtemp(join(tmpdir(), "tiosa-adapt-bench-"));
  try {
    // TIOSA_BENCH_PAIR=kvm-vmware: the hostonly guest as built (virtio-only initramfs) moved to
    // vmware hardware; virt-v2v cannot write VMware guests, so it is left out of that pair.
    const pair = process.env.TIOSA_BENCH_PAIR === "kvm-vmware" ? "kvm-vmware" : "vmware-kvm";
    const targetFamily = pair === "kvm-vmware" ? "vmware" : "kvm";
    const sourceHw: HardwareName = pair === "kvm-vmware" ? "virtio" : "pvscsi";
    const targetHw: HardwareName = pair === "kvm-vmware" ? "pvscsi" : "virtio";
    const source = join(dir, "source.qcow2");
    await runOk("qemu-img", ["convert", "-O", "qcow2", img.diskPath, source], { timeoutMs: 600_000 });
    if (pair === "vmware-kvm") {
      // The source VM: a VMware guest with a VMware-only initramfs.
      process.stderr.write("deriving the VMware-only source guest (initramfs: vmw_pvscsi sd_mod ext4)...\n");
      await runScriptOffline(source, "qcow2", "set -eu\nprintf 'vmw_pvscsi\\nsd_mod\\next4\\n' > /etc/initramfs-tools/modules\n# the image's own MODULES=list (src/images/debian.ts) names the virtio drivers: drop it\nrm -f /usr/share/initramfs-tools/modules.d/tiosa\nREL=$(ls /lib/modules | sort -V | tail -n 1)\nupdate-initramfs -u -k \"$REL\" >&2\n");
      const facts = await readGuestFacts({ kind: "offline", image: source, format: "qcow2" });
      if (facts.initramfsModules.includes("virtio_blk") || !facts.initramfsModules.includes("vmw_pvscsi")) throw new Error(`source initramfs is not VMware-only: ${facts.initramfsModules.join(" ")}`);
    }
    const sourceBytes = (await stat(source)).size;
    const onSource = await bootResult(source, "qcow2", sourceHw, dir, "source");
    console.log(`pair ${pair.replace("-", " -> ")}; source guest: ${img.name}${pair === "vmware-kvm" ? " with a VMware-only initramfs" : ""}, ${fmt(sourceBytes)} image file; on its own hardware (${sourceHw}): ${onSource.ok ? "boots" : "does NOT boot: " + onSource.detail}`);

    const rows: string[][] = [];
    console.log(`load average at start: ${(await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ")} (2 cores, shared with other work)`);
    // 1. Dead copy.
    const dc = await deadCopy(source, join(dir, "dead-copy.qcow2"));
    const dcBoot = await bootResult(join(dir, "dead-copy.qcow2"), "qcow2", targetHw, dir, "dead-copy");
    rows.push(["dead copy (cp)", fmt(dc.transferredBytes), pct(dc.transferredBytes / sourceBytes), "0.0 s", dcBoot.ok ? `boots (${s(dcBoot.ms)})` : `no: ${dcBoot.detail}`]);
    await rm(join(dir, "dead-copy.qcow2"), { force: true });

    // 2. virt-v2v (conversion for KVM).
    const v2vTimeoutMin = Number(process.env.TIOSA_BENCH_V2V_TIMEOUT_MIN ?? "45");
    if (pair === "kvm-vmware") {
      rows.push(["virt-v2v", "-", "-", "-", "not run: virt-v2v writes guests for KVM only, not for vmware hardware"]);
    } else if (process.env.TIOSA_BENCH_V2V === "0") {
      rows.push(["virt-v2v", "-", "-", "-", "not run: TIOSA_BENCH_V2V=0"]);
    } else if (await haveCommand("virt-v2v")) {
      const out = join(dir, "v2v");
      await runOk("mkdir", ["-p", out]);
      const env = await libguestfsEnv();
      const r = await run("virt-v2v", ["-i", "disk", source, "-o", "local", "-os", out, "-of", "qcow2", "-on", "v2v"], { env, timeoutMs: v2vTimeoutMin * 60_000 });
      const log = r.stdout + r.stderr;
      const at = (re: RegExp) => { const m = new RegExp(`\\[\\s*([0-9.]+)\\]\\s*${re.source}`).exec(log); return m ? Number(m[1]) * 1000 : NaN; };
      if (r.timedOut) {
        rows.push(["virt-v2v", "-", "-", `> ${v2vTimeoutMin} min`, `did not finish within ${v2vTimeoutMin} min (last step: ${(log.match(/\[\s*[0-9.]+\][^\n]*/g) ?? []).slice(-1)[0] ?? "?"})`]);
      } else if (r.code !== 0) {
        rows.push(["virt-v2v", "-", "-", s(r.durationMs), `failed: ${log.trim().split("\n").slice(-2).join(" | ")}`]);
      } else {
        const disk = (await readdir(out)).find((f) => f.startsWith("v2v-sd")) ?? "v2v-sda";
        const bytes = (await stat(join(out, disk))).size;
        const prep = at(/Copying disk/);
        const conv = at(/Mapping filesystem data/) - at(/Converting/);
        const b = await bootResult(join(out, disk), "qcow2", "virtio", dir, "virt-v2v");
        rows.push(["virt-v2v -i disk -o local", fmt(bytes), pct(bytes / sourceBytes), `${s(prep)} (converting ${s(conv)}; total ${s(r.durationMs)})`, b.ok ? `boots (${s(b.ms)})` : `no: ${b.detail}`]);
      }
      await rm(out, { recursive: true, force: true });
    } else {
      rows.push(["virt-v2v", "-", "-", "-", "not run: virt-v2v is not installed (apt-get install virt-v2v nbdkit libnbd-bin)"]);
    }

    // 3. adapt, with the target holding the source image from an earlier migration: delta only.
    const work = join(dir, "adapt");
    const res = await adaptRoute.run({ source: { image: source, format: "qcow2" }, targetFamily, workDir: work, base: { path: source, format: "qcow2" }, onProgress: (m) => process.stderr.write(`[adapt] ${m}\n`) });
    const ab = await bootResult(res.image, "qcow2", targetHw, dir, "adapt");
    rows.push(["adapt (delta on a base the target holds)", fmt(res.transfer.transferredBytes), pct(res.transfer.transferredBytes / sourceBytes), `${s(res.timingsMs.preparation)} (facts ${s(res.timingsMs.facts)}, apply ${s(res.timingsMs.apply)})`, ab.ok ? `boots (${s(ab.ms)})` : `no: ${ab.detail}`]);
    // The same adapted image without a base: every allocated block, compressed.
    const full = await transferImage({ source: res.image, sourceFormat: "qcow2", output: join(dir, "adapt-full.qcow2") });
    rows.push(["adapt (no base: compressed allocated blocks)", fmt(full.transferredBytes), pct(full.transferredBytes / sourceBytes), "(same preparation)", "(same image content, verified by qemu-img compare)"]);
    console.log(`adapt plan for ${targetFamily}: ${res.plan.items.filter((i) => i.change).map((i) => i.action === "initramfs-add-modules" ? `add ${i.modules.join(",")}` : i.action).join("; ") || "nothing to change"}`);
    console.log(`verification: qemu-img compare of the transferred image against the adapted source: identical (${s(res.transfer.timingsMs.verify)})`);

    const head = ["method", "transferred", "of source image", "preparation", `boots on ${targetFamily} (${targetHw})`];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join(" | ");
    console.log(line(head));
    console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
    for (const r of rows) console.log(line(r));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
