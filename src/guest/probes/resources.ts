import type { Probe } from "../probe.js";
import { subsections, nonEmptyLines } from "../probe.js";

/** 2.2.a and 2.2.b: CPUs the guest can use and its total memory. */
export const resourcesProbe: Probe = {
  name: "resources",
  fields: ["cpu", "memory"],
  script: () => [
    "echo '### nproc'; nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null",
    "echo '### cpuinfo'; grep -E '^(processor|model name|cpu model|Processor)[[:space:]]*:' /proc/cpuinfo",
    "echo '### meminfo'; grep -E '^MemTotal:' /proc/meminfo",
  ].join("\n"),
  parse(out) {
    const s = subsections(out.stdout);
    const cpuinfo = nonEmptyLines(s.get("cpuinfo"));
    let count = Number(nonEmptyLines(s.get("nproc"))[0]);
    if (!Number.isInteger(count) || count <= 0) count = cpuinfo.filter((l) => /^processor\s*:/.test(l)).length;
    if (!(count > 0)) throw new Error("found no CPU count (nproc, getconf and /proc/cpuinfo all failed)");
    const model = cpuinfo.map((l) => /^(?:model name|cpu model)\s*:\s*(.*)$/.exec(l)?.[1]).find((m) => m) ?? null;
    const mem = /^MemTotal:\s+(\d+)\s*kB/m.exec(s.get("meminfo") ?? "");
    if (!mem) throw new Error(`no MemTotal in /proc/meminfo: ${JSON.stringify(s.get("meminfo") ?? out.stderr)}`);
    return { cpu: { count, model: model?.trim() ?? null }, memory: { totalBytes: Number(mem[1]) * 1024 } };
  },
};
