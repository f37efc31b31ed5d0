import { test } from "node:test";
import assert from "node:assert/strict";
import { bootKernelProbe, findProbeKernel, probeAccel } from "../../src/qemu/accel.js";
import { haveCommand } from "../../src/util/exec.js";

const noQemu = !(await haveCommand("qemu-system-x86_64")) && "qemu-system-x86_64 is not installed: no virtualization on this machine";
if (noQemu) console.log(`# skipping accel-probe: ${noQemu}`);

test("the accelerator probe boots a real Linux kernel to its marker and prints its decision", { skip: noQemu, timeout: 300_000 }, async (t) => {
  const kernel = await findProbeKernel();
  assert.ok(kernel, "a kernel in /boot (scripts/setup.sh installs linux-image-amd64)");
  // The real path, uncached: what tiosa run and tiosa doctor decide on this machine.
  const d = await probeAccel();
  t.diagnostic(`accelerator: ${d.accel.toUpperCase()}: ${d.reason}`);
  for (const p of d.probes) t.diagnostic(`  ${p.accel}: ${p.ok ? "ok" : "failed"} in ${p.seconds} s (${p.detail})`);
  console.log(`# accelerator decision: ${d.accel.toUpperCase()}: ${d.reason}`);
  assert.equal(d.kernel, kernel);
  assert.ok(d.probes.length >= 1, "at least one kernel was booted");
  // Whatever KVM did, the kernel boots under one of the two: the probe itself works.
  const winner = d.probes.find((p) => p.accel === d.accel);
  assert.ok(winner?.ok, `the chosen accelerator (${d.accel}) booted the kernel: ${JSON.stringify(d.probes)}`);
});

test("a kernel that has not reached userspace by the deadline counts as not booted (how a stalled KVM is seen)", { skip: noQemu, timeout: 60_000 }, async () => {
  const kernel = (await findProbeKernel())!;
  const p = await bootKernelProbe("tcg", kernel, 300);
  assert.equal(p.ok, false);
  assert.match(p.detail, /^no marker within 0\.3 s/);
});
