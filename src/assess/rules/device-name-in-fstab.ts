import type { AssessRule, Finding } from "../concern.js";
import { diskPrefixOn } from "../hardware-names.js";

const DEVICE = /^\/dev\/(sd|vd|hd|xvd)([a-z]+)(\d*)$/;

/** Mounts by device name or by-path follow the controller, not the file system. */
export const deviceNameInFstab: AssessRule = {
  id: "device-name-in-fstab",
  severity: "critical",
  title: "/etc/fstab or the kernel's root= names a disk by device name or by-path",
  origin: "Forklift (the guest's fstab by device name or /dev/disk/by-path); virt-v2v rewrites device names in fstab when the bus changes",
  needs: "facts",
  predicts: [{ test: "1.1.a", verdict: "FAILURE" }],
  remedy: "mount by UUID= or LABEL= (`tiosa adapt apply` rewrites fstab and root= by UUID)",
  check({ subject, target }) {
    const f = subject.facts;
    if (!f) return [];
    const out: Finding[] = [];
    const prefix = diskPrefixOn(target);
    const judge = (spec: string, where: string, isRoot: boolean, line: string) => {
      const m = DEVICE.exec(spec);
      if (spec.startsWith("/dev/disk/by-path/")) {
        out.push({ severity: isRoot ? "critical" : "warning", detail: `${where} names ${spec}: a by-path name holds the controller's PCI address, which changes on '${target.name}'`, evidence: [line], ...(isRoot ? {} : { predicts: [{ test: "2.2.c", verdict: "WARNING" as const }] }) });
      } else if (m) {
        const changes = m[1] !== prefix;
        out.push({
          severity: changes ? (isRoot ? "critical" : "warning") : "info",
          detail: changes
            ? `${where} names ${spec}; on '${target.name}' the disk is /dev/${prefix}${m[2]}${m[3]}${isRoot ? ": the root file system is not found" : ": the mount fails"}`
            : `${where} names ${spec}, which '${target.name}' keeps (${prefix}X) as long as the disk order does`,
          evidence: [line],
          ...(changes ? { predicts: isRoot ? [{ test: "1.1.a", verdict: "FAILURE" as const }] : [{ test: "2.2.c", verdict: "WARNING" as const }] } : { predicts: [] }),
        });
      }
    };
    for (const raw of f.fstab.split("\n")) {
      const t = raw.trim();
      if (!t || t.startsWith("#")) continue;
      const [spec, mp] = t.split(/\s+/);
      if (spec) judge(spec, `/etc/fstab (${mp ?? "?"})`, mp === "/", `/etc/fstab: ${t}`);
    }
    const root = /(?:^|\s)root=(\S+)/.exec(f.cmdline)?.[1];
    if (root) judge(root, "the kernel command line's root=", true, `${f.via === "offline" ? "/boot/grub/grub.cfg" : "/proc/cmdline"}: root=${root}`);
    return out;
  },
};
