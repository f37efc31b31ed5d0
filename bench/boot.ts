/**
 * Boot to SSH under QEMU (KVM where it really runs guests, TCG otherwise), on virtio
 * hardware: the `tiny` image (target: under 20 s, issue 4) beside `debian-12`, measured in
 * the same run. Images come from the cache (built first if missing).
 * Usage: node dist/bench/boot.js [RUNS]   (median of RUNS boots of tiny, default 3; one debian-12 boot)
 */
import { buildImage } from "../src/images/index.js";
import { bootImage } from "../src/qemu/index.js";

const runs = Number(process.argv[2] ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function bootMs(name: string): Promise<{ ms: number; accel: string }> {
  const img = await buildImage(name);
  const guest = await bootImage({ disk: img.diskPath, hardware: "virtio", memoryMiB: name === "tiny" ? 512 : 1024, timeoutMs: 900_000 });
  try {
    return { ms: guest.sshReadyMs!, accel: guest.accel };
  } finally {
    await guest.stop();
  }
}

const tiny: number[] = [];
let accel = "?";
for (let i = 0; i < runs; i++) {
  const r = await bootMs("tiny");
  tiny.push(r.ms);
  accel = r.accel;
}
const deb = await bootMs("debian-12");
const t = median(tiny);
console.log(`boot to SSH (${accel}, virtio):`);
console.log(`  tiny:      median ${(t / 1000).toFixed(1)} s over ${runs} boots (${tiny.map((x) => (x / 1000).toFixed(1)).join(", ")} s); target < 20 s: ${t < 20_000 ? "met" : "NOT met"}`);
console.log(`  debian-12: ${(deb.ms / 1000).toFixed(1)} s; tiny/debian-12 ratio ${(t / deb.ms).toFixed(2)}`);
