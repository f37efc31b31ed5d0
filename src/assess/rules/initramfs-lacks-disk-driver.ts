import { builtinModules, depClosure, driversFor, modulesForAlias, parseModulesDep } from "../../adapt/plan.js";
import type { AssessRule } from "../concern.js";

/** The root disk must be found by the initramfs: the target controller's driver has to be in it. */
export const initramfsLacksDiskDriver: AssessRule = {
  id: "initramfs-lacks-disk-driver",
  severity: "critical",
  title: "The initramfs has no driver for the target's disk controller",
  origin: "measured: debian-12-hostonly (initramfs-tools MODULES=dep) stops at \"ALERT! root does not exist\" and debian-12-like-rhel (dracut hostonly) waits for its root disk without end on every other family's controller; the paper's CentOS 6.3 on KVM; virt-v2v rebuilds the initramfs for the same reason",
  needs: "facts",
  predicts: [{ test: "1.1.a", verdict: "FAILURE" }],
  remedy: "the adapt route (campaign `routes.use: [adapt]`) or `tiosa adapt apply --family F`, which add the drivers; or in the guest: initramfs-tools MODULES=most, dracut `add_drivers+=\" DRIVER \"` or hostonly=\"no\", then rebuild the initramfs",
  check({ subject, hardware }) {
    const f = subject.facts;
    if (!f) return [];
    if (f.initramfsModules.length === 0) {
      return [{ severity: "info", detail: `the initramfs ${f.initramfsPath} could not be listed (no lsinitramfs or lsinitrd in the guest, or no such file): whether it drives the ${hardware.disk.label} is unknown`, evidence: [f.initramfsPath], predicts: [] }];
    }
    let disk;
    try { disk = driversFor(hardware.disk, f); } catch { return []; } // kernel-lacks-driver says it
    const builtin = builtinModules(f.modulesBuiltin);
    const deps = parseModulesDep(f.modulesDep);
    const inInitramfs = new Set(f.initramfsModules);
    // Several drivers may match one device (PIIX IDE: ata_piix and ata_generic); one whose
    // dependencies are all there is enough. The device works when, for one alternative id set,
    // every modalias has such a driver (or a built-in one).
    const usable = (m: string) => depClosure([m], deps).every((x) => builtin.has(x) || inInitramfs.has(x));
    const works = hardware.disk.modaliases.some((alt) => alt.every((a) => {
      const found = modulesForAlias(a, f);
      return found.builtin.length > 0 || found.loadable.some(usable);
    }));
    if (works) return [];
    const needed = depClosure(disk.loadable, deps).filter((m) => !builtin.has(m));
    const missing = needed.filter((m) => !inInitramfs.has(m));
    if (missing.length === 0) return [];
    const direct = disk.loadable.filter((m) => missing.includes(m));
    const tool = f.initramfsTool ?? "initramfs tool unknown";
    return [{
      detail: `the root disk sits behind the ${hardware.disk.label} on '${hardware.family}'; kernel ${f.kernelRelease} drives it with ${direct.join(", ") || disk.loadable.join(", ")}, which ${f.initramfsPath} (${tool}) lacks${missing.length > direct.length ? ` (with ${missing.filter((m) => !direct.includes(m)).join(", ")} from modules.dep)` : ""}: the boot will not find its root file system`,
      evidence: [`${f.initramfsPath}: ${f.initramfsModules.length} modules, none of ${missing.join(", ")}`, ...(f.initramfsTool === "dracut" ? ["dracut: host-only initramfs"] : [])],
    }];
  },
};
