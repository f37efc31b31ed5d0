import { readFile, statfs, mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { run, haveCommand } from "../util/exec.js";

/** One thing `tiosa doctor` looks at: what it found, and how to fix it when it is wrong. */
interface CheckResult {
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  fix?: string;
}

type Check = (signal?: AbortSignal) => Promise<CheckResult | CheckResult[]>;

const REPO = new URL("../../../", import.meta.url);

async function aptPackages(): Promise<CheckResult[]> {
  let list: string;
  try {
    list = await readFile(new URL("deps/apt-packages.txt", REPO), "utf8");
  } catch {
    return [{ name: "Debian packages", status: "warn", detail: "deps/apt-packages.txt not found next to this tiosa" }];
  }
  const pkgs = list.split("\n").map((l) => l.replace(/#.*/, "").trim().split(/\s+/)[0]).filter((p): p is string => !!p);
  const r = await run("dpkg-query", ["-W", "-f=${Package} ${Status}\\n", ...pkgs], { timeoutMs: 20_000 }).catch(() => null);
  if (!r) return [{ name: "Debian packages", status: "warn", detail: "dpkg-query is not available: not a Debian machine?" }];
  const installed = new Set(r.stdout.split("\n").filter((l) => l.endsWith("install ok installed")).map((l) => l.split(" ")[0]));
  const missing = pkgs.filter((p) => !installed.has(p));
  return [missing.length
    ? { name: "Debian packages", status: "fail", detail: `missing: ${missing.join(" ")}`, fix: "run scripts/setup.sh (or apt-get install the packages above)" }
    : { name: "Debian packages", status: "ok", detail: `all ${pkgs.length} installed` }];
}

async function libvirt(signal?: AbortSignal): Promise<CheckResult> {
  if (!(await haveCommand("virsh"))) return { name: "libvirt", status: "fail", detail: "virsh not installed", fix: "scripts/setup.sh" };
  const r = await run("virsh", ["-c", "qemu:///system", "version"], { timeoutMs: 10_000, signal });
  if (r.code !== 0) {
    return { name: "libvirt", status: "fail", detail: `qemu:///system does not answer: ${(r.stderr || r.stdout).trim().split("\n")[0]}`, fix: "bash scripts/setup.d/50-libvirt.sh (starts virtlogd and libvirtd; there is no systemd here)" };
  }
  const lib = /Using library: libvirt ([\d.]+)/.exec(r.stdout)?.[1], hv = /Running hypervisor: (.+)/.exec(r.stdout)?.[1];
  return { name: "libvirt", status: "ok", detail: `qemu:///system answers (libvirt ${lib ?? "?"}, ${hv ?? "?"})` };
}

async function accel(signal?: AbortSignal): Promise<CheckResult> {
  try {
    const { decideAccel } = await import("../qemu/accel.js");
    const d = await decideAccel(signal);
    const booted = d.probes.map((p) => `${p.accel.toUpperCase()} ${p.ok ? "ok" : "failed"} in ${p.seconds} s`).join(", ");
    const how = d.source === "forced" ? "" : ` [${d.source === "cache" ? `probed ${d.decidedAt}, cached` : d.source === "stall" ? `since ${d.decidedAt}` : "probed now"}${booted ? `; ${booted}` : ""}]`;
    return d.accel === "kvm"
      ? { name: "accelerator", status: "ok", detail: `KVM: ${d.reason}${how}` }
      : { name: "accelerator", status: "warn", detail: `TCG (guests run several times slower): ${d.reason}${how}`, fix: "on a machine with VT-x/AMD-V, load kvm_intel/kvm_amd and give access to /dev/kvm" };
  } catch (e) {
    return { name: "accelerator", status: "fail", detail: `could not try QEMU: ${(e as Error).message}`, fix: "scripts/setup.sh installs qemu-system-x86" };
  }
}

async function tools(): Promise<CheckResult[]> {
  const wanted: [string, string, "fail" | "warn"][] = [
    ["qemu-img", "disk conversion and checks", "fail"],
    ["qemu-system-x86_64", "running guests", "fail"],
    ["ssh", "guest access in tests", "warn"],
    ["mmdebstrap", "building guest images", "warn"],
    ["virt-v2v", "virt-v2v conversion routes", "warn"],
    ["virt-customize", "offline injection and adaptation", "warn"],
  ];
  const out: CheckResult[] = [];
  for (const [cmd, why, severity] of wanted) {
    out.push((await haveCommand(cmd))
      ? { name: cmd, status: "ok", detail: `found (${why})` }
      : { name: cmd, status: severity, detail: `not found: needed for ${why}`, fix: "scripts/setup.sh" });
  }
  return out;
}

async function disk(): Promise<CheckResult> {
  const dir = join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "tiosa");
  await mkdir(dir, { recursive: true }).catch(() => {});
  try {
    const s = await statfs(dir);
    const free = s.bavail * s.bsize;
    const gib = (free / 2 ** 30).toFixed(1);
    return free < 10 * 2 ** 30
      ? { name: "disk space", status: "warn", detail: `${gib} GiB free under ${dir}; images and conversions want 10 GiB or more`, fix: "free space or set XDG_CACHE_HOME to a larger disk" }
      : { name: "disk space", status: "ok", detail: `${gib} GiB free under ${dir}` };
  } catch (e) {
    return { name: "disk space", status: "warn", detail: `cannot stat ${dir}: ${(e as Error).message}` };
  }
}

async function node(): Promise<CheckResult> {
  const major = Number(process.versions.node.split(".")[0]);
  return major >= 20
    ? { name: "node", status: "ok", detail: `v${process.versions.node}` }
    : { name: "node", status: "fail", detail: `v${process.versions.node}: tiosa needs Node 20 or later`, fix: "apt-get install nodejs from a newer release, or use nvm" };
}

/** The checks, in the order they are printed. A new check is one function here. */
const CHECKS: Check[] = [node, aptPackages, tools, libvirt, accel, disk];

export async function runChecks(signal?: AbortSignal): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const c of CHECKS) {
    const r = await c(signal).catch((e: Error): CheckResult => ({ name: c.name, status: "fail", detail: `check crashed: ${e.message}` }));
    results.push(...(Array.isArray(r) ? r : [r]));
  }
  return results;
}
