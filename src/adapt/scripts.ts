import type { AdaptPlan, PlanItem } from "./plan.js";

/**
 * Shell scripts that change (and undo) a guest according to a plan. They run as root inside
 * the guest, or chrooted in the libguestfs appliance. Every value put into them comes from
 * the plan, and is checked against a strict pattern or carried base64-encoded, so nothing a
 * guest wrote into its own files can become a command.
 */

export const ADAPT_STATE_DIR = "/var/lib/tiosa/adapt";
export const OK_MARKER = "TIOSA-ADAPT-OK";
export const UNDO_OK_MARKER = "TIOSA-ADAPT-UNDONE";

const SAFE = {
  id: /^[a-z0-9-]{1,64}$/,
  release: /^[A-Za-z0-9._+~-]{1,100}$/,
  module: /^[A-Za-z0-9_-]{1,64}$/,
  iface: /^[A-Za-z0-9_.:-]{1,15}$/,
  mac: /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/,
  dev: /^\/dev\/[a-z0-9]{2,20}$/,
  uuidSpec: /^UUID=[0-9A-Fa-f-]{4,64}$/,
  unit: /^[A-Za-z0-9@_.-]{1,100}\.service$/,
};

function check(kind: keyof typeof SAFE, v: string): string {
  if (!SAFE[kind].test(v)) throw new Error(`adapt: refusing to put ${kind} '${v}' into a guest script (unexpected characters)`);
  return v;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
/** Writes `content` to `path` without the shell ever parsing the content. */
const writeFile = (path: string, content: string) => `printf '%s' '${b64(content)}' | base64 -d > ${path.startsWith("$") ? `"${path}"` : `'${path}'`}`;

/** The .link files for one pinned name: by MAC first, then by driver (first match wins, lexical order). */
export function linkFiles(item: Extract<PlanItem, { action: "pin-nic-name" }>, id: string): { path: string; content: string }[] {
  const name = check("iface", item.name);
  const head = `# Written by tiosa adapt ${id}: keeps the name '${name}' that ${item.configFile} configures,\n# whatever name the target's NIC model would get. Undo: tiosa adapt undo.\n`;
  const out: { path: string; content: string }[] = [];
  if (item.mac) {
    out.push({ path: `/etc/systemd/network/70-tiosa-adapt-${name}-mac.link`, content: `${head}[Match]\nMACAddress=${check("mac", item.mac)}\n\n[Link]\nName=${name}\n` });
  }
  if (item.drivers.length > 0) {
    out.push({ path: `/etc/systemd/network/71-tiosa-adapt-${name}-driver.link`, content: `${head}[Match]\nType=ether\nDriver=${item.drivers.map((d) => check("module", d)).join(" ")}\n\n[Link]\nName=${name}\n` });
  }
  return out;
}

/** Every guest file the plan may change (saved before, restored by undo). */
export function touchedFiles(plan: AdaptPlan, id: string): string[] {
  const files = new Set<string>();
  for (const it of plan.items) {
    if (it.action === "initramfs-add-modules") files.add("/etc/initramfs-tools/modules");
    if (it.action === "root-by-uuid") {
      if (it.file === "/etc/fstab") files.add("/etc/fstab");
      else ["/etc/default/grub", "/boot/grub/grub.cfg", "/boot/extlinux/extlinux.conf"].forEach((f) => files.add(f));
    }
    if (it.action === "pin-nic-name") for (const l of linkFiles(it, id)) files.add(l.path);
  }
  return [...files];
}

/** The undo script, written into the guest at apply time so the guest carries its own way back. */
export function undoScript(plan: AdaptPlan, id: string): string {
  const rel = check("release", plan.kernelRelease);
  const files = touchedFiles(plan, id);
  return `#!/bin/sh
# tiosa adapt ${check("id", id)}: puts back what the adaptation changed.
set -eu
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH
D='${ADAPT_STATE_DIR}/${id}'
INITRD='/boot/initrd.img-${rel}'
for P in ${files.map((f) => `'${f}'`).join(" ")}; do
  if [ -e "$D/files$P" ]; then cp -a "$D/files$P" "$P.tiosa-undo" && mv -f "$P.tiosa-undo" "$P"
  elif [ -e "$D/absent$P" ]; then rm -f "$P"; fi
done
if [ -f "$D/units-disabled" ]; then
  while read -r U; do [ -n "$U" ] && systemctl enable "$U" >/dev/null 2>&1 || true; done < "$D/units-disabled"
fi
if [ -e "$D/initrd.img" ]; then cp -a "$D/initrd.img" "$INITRD.tiosa-undo" && mv -f "$INITRD.tiosa-undo" "$INITRD"; fi
if [ -f "$D/initrd.size" ]; then
  SIZE=$(cat "$D/initrd.size")
  if [ "$(head -c "$SIZE" "$INITRD" | sha256sum | cut -d' ' -f1)" = "$(cat "$D/initrd.sha256")" ]; then truncate -s "$SIZE" "$INITRD"
  else echo "$INITRD changed since the adaptation (rebuilt?): left as it is" >&2; fi
fi
rm -rf "$D"
sync
echo ${UNDO_OK_MARKER}
`;
}

/** The apply script: saves, changes, rebuilds the initramfs, verifies; on any failure it undoes itself. */
/**
 * How the initramfs gets the new drivers:
 * - "append": a small cpio archive with the requisite files (the modules, their modules.*
 *   tables, the .link files) is appended to the existing initramfs; the kernel unpacks
 *   concatenated archives in order. Seconds instead of minutes (no recompression), and the
 *   old blocks stay as they are, so the transferred difference is that archive. Undo
 *   truncates the file back (after checking its hash).
 * - "rebuild": update-initramfs -u (the distribution's own way; minutes under emulation).
 * Both also add the modules to /etc/initramfs-tools/modules, so later rebuilds keep them.
 */
export type InitramfsStrategy = "append" | "rebuild";

export function applyScript(plan: AdaptPlan, id: string, changesJson: string, strategy: InitramfsStrategy = "append"): string {
  check("id", id);
  const rel = check("release", plan.kernelRelease);
  const lines: string[] = [
    "set -eu",
    "umask 022",
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH",
    `D='${ADAPT_STATE_DIR}/${id}'`,
    `REL='${rel}'`,
    'INITRD="/boot/initrd.img-$REL"',
    `if [ -d '${ADAPT_STATE_DIR}' ] && [ -n "$(ls -A '${ADAPT_STATE_DIR}' 2>/dev/null)" ]; then echo "an earlier adaptation is still applied ($(ls '${ADAPT_STATE_DIR}')): undo it first" >&2; exit 3; fi`,
    '[ -e "$INITRD" ] || { echo "no initramfs $INITRD for kernel $REL" >&2; exit 3; }',
    'mkdir -p "$D/files" "$D/absent"',
    'DONE=0',
    `trap 'if [ "$DONE" != 1 ] && [ -f "$D/undo.sh" ]; then echo "adaptation failed: undoing" >&2; sh "$D/undo.sh" >&2 || true; fi' EXIT`,
    writeFile("$D/undo.sh", undoScript(plan, id)),
    'chmod 700 "$D/undo.sh"',
    // A hard link keeps the previous initramfs without copying it: update-initramfs writes a new
    // file and renames it over the old name, so the old blocks stay as they are (and add nothing
    // to the transferred difference).
    ...(strategy === "rebuild"
      ? ['ln "$INITRD" "$D/initrd.img" 2>/dev/null || cp -a "$INITRD" "$D/initrd.img"']
      : ['stat -c %s "$INITRD" > "$D/initrd.size"', 'sha256sum < "$INITRD" | cut -d" " -f1 > "$D/initrd.sha256"']),
    'save() { if [ -e "$1" ]; then mkdir -p "$D/files$(dirname "$1")"; cp -a "$1" "$D/files$1"; else mkdir -p "$D/absent$(dirname "$1")"; : > "$D/absent$1"; fi; }',
  ];
  for (const f of touchedFiles(plan, id)) lines.push(`save '${f}'`);
  let rebuildInitramfs = false;
  const verifyModules: string[] = [];
  for (const it of plan.items) {
    switch (it.action) {
      case "initramfs-add-modules": {
        const mods = it.modules.map((m) => check("module", m));
        lines.push(`printf '%s\\n' '# tiosa adapt ${id}: drivers for the ${check("module", it.device)} of the target family' ${mods.map((m) => `'${m}'`).join(" ")} >> /etc/initramfs-tools/modules`);
        verifyModules.push(...mods);
        rebuildInitramfs = true;
        break;
      }
      case "root-by-uuid": {
        const from = check("dev", it.from), to = check("uuidSpec", it.to);
        if (it.file === "/etc/fstab") {
          lines.push(`sed -i -E 's#^([[:space:]]*)${from}([[:space:]])#\\1${to}\\2#' /etc/fstab`);
        } else {
          for (const f of ["/etc/default/grub", "/boot/grub/grub.cfg", "/boot/extlinux/extlinux.conf"]) {
            lines.push(`[ ! -f '${f}' ] || sed -i -E 's#root=${from}([[:space:]"]|$)#root=${to}\\1#g' '${f}'`);
          }
          lines.push(`if [ -f /etc/default/grub ]; then if grep -q '^GRUB_DISABLE_LINUX_UUID=' /etc/default/grub; then sed -i 's/^GRUB_DISABLE_LINUX_UUID=.*/GRUB_DISABLE_LINUX_UUID=false/' /etc/default/grub; fi; fi`);
        }
        break;
      }
      case "pin-nic-name":
        lines.push("mkdir -p /etc/systemd/network");
        for (const l of linkFiles(it, id)) lines.push(writeFile(l.path, l.content));
        rebuildInitramfs = true; // the initramfs' udev carries .link files too
        break;
      case "disable-guest-tools":
        for (const u of it.units.map((x) => check("unit", x))) {
          lines.push(`if systemctl is-enabled --quiet '${u}' 2>/dev/null; then systemctl disable '${u}' >/dev/null 2>&1 && echo '${u}' >> "$D/units-disabled"; fi`);
        }
        break;
      case "check":
        break;
    }
  }
  const links = plan.items.flatMap((it) => (it.action === "pin-nic-name" ? linkFiles(it, id).map((l) => l.path) : []));
  if (rebuildInitramfs && strategy === "rebuild") {
    lines.push('update-initramfs -u -k "$REL" >&2');
    lines.push('[ -s "$INITRD" ] || { echo "update-initramfs left no $INITRD" >&2; exit 4; }');
    if (verifyModules.length > 0) {
      lines.push('T=$(mktemp -d /var/tmp/tiosa-adapt.XXXXXX); LIST="$T/list"');
      lines.push('TMPDIR="$T" lsinitramfs "$INITRD" > "$LIST"');
      lines.push(`for M in ${[...new Set(verifyModules)].map((m) => `'${m}'`).join(" ")}; do`);
      lines.push(`  P=$(printf '%s' "$M" | sed 's/[-_]/[-_]/g')`);
      lines.push(`  grep -Eq "/$P\\.ko(\\.(xz|zst|gz))?\\$" "$LIST" || { echo "module $M is not in the rebuilt initramfs" >&2; rm -rf "$T"; exit 4; }`);
      lines.push("done");
      lines.push('rm -rf "$T"');
    }
  } else if (rebuildInitramfs) {
    lines.push(
      'command -v cpio >/dev/null || { echo "cpio is not installed in the guest: use the rebuild strategy" >&2; exit 4; }',
      'T=$(mktemp -d /var/tmp/tiosa-adapt.XXXXXX)',
      // The initramfs mirrors the root's layout: with merged /usr, lib is a symlink there too,
      // and an archive entry "lib/" would replace that symlink with a directory.
      'if [ -L /lib ]; then L=usr/lib; else L=lib; fi',
      'MD="/lib/modules/$REL"; R="$T/root"; mkdir -p "$R/$L/modules/$REL"',
      `for M in ${[...new Set(verifyModules)].map((m) => `'${m}'`).join(" ")}; do`,
      `  PAT=$(printf '%s' "$M" | sed 's/[-_]/[-_]/g')`,
      '  P=$(sed -n -E "s#^([^:]*/$PAT\\.ko(\\.(xz|zst|gz))?):.*#\\1#p" "$MD/modules.dep" | head -n 1)',
      '  [ -n "$P" ] && [ -f "$MD/$P" ] || { echo "module $M of kernel $REL not found in $MD" >&2; rm -rf "$T"; exit 4; }',
      '  mkdir -p "$R/$L/modules/$REL/$(dirname "$P")"; cp "$MD/$P" "$R/$L/modules/$REL/$P"',
      '  echo "$M" >> "$D/initramfs-appended"',
      "done",
      // modprobe's tables (symbols and devname are not needed to load by alias).
      'for F in "$MD"/modules.*; do case "$F" in *modules.symbols*|*modules.devname) continue;; esac; [ -f "$F" ] && cp "$F" "$R/$L/modules/$REL/"; done',
    );
    if (links.length > 0) {
      lines.push('mkdir -p "$R/$L/systemd/network"');
      for (const l of links) lines.push(`cp '${l}' "$R/$L/systemd/network/"`);
    }
    lines.push(
      // gzip: every Debian kernel unpacks gzip archives (CONFIG_RD_GZIP=y).
      '(cd "$R" && find . -mindepth 1 | sed "s|^\\./||" | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$T/append.cpio"',
      'gzip -9 -n -c "$T/append.cpio" > "$T/append.cpio.gz"',
      // The kernel looks for the next archive's magic at a 4-byte boundary.
      'SIZE=$(cat "$D/initrd.size"); PAD=$(( (4 - SIZE % 4) % 4 ))',
      '[ "$PAD" -eq 0 ] || head -c "$PAD" /dev/zero >> "$INITRD"',
      'cat "$T/append.cpio.gz" >> "$INITRD"',
      'EXPECT=$(( SIZE + PAD + $(stat -c %s "$T/append.cpio.gz") ))',
      '[ "$(stat -c %s "$INITRD")" -eq "$EXPECT" ] || { echo "appending to $INITRD failed" >&2; rm -rf "$T"; exit 4; }',
      'cpio -it --quiet < "$T/append.cpio" > "$T/list"',
      `for M in ${[...new Set(verifyModules)].map((m) => `'${m}'`).join(" ")}; do`,
      `  PAT=$(printf '%s' "$M" | sed 's/[-_]/[-_]/g')`,
      '  grep -Eq "/$PAT\\.ko(\\.(xz|zst|gz))?\\$" "$T/list" || { echo "module $M is not in the appended archive" >&2; rm -rf "$T"; exit 4; }',
      "done",
      'rm -rf "$T"',
    );
  }
  lines.push(writeFile("$D/changes.json", changesJson));
  lines.push("sync", "DONE=1", `echo ${OK_MARKER}`);
  return lines.join("\n") + "\n";
}

/** Lists the adaptations applied in a guest (their ids) and prints their change lists. */
export function listScript(): string {
  return `for d in '${ADAPT_STATE_DIR}'/*/; do [ -f "$d/changes.json" ] || continue; printf '@@%s@@\\n' "$(basename "$d")"; cat "$d/changes.json"; printf '\\n'; done; true\n`;
}

/** Runs a guest's own undo script. */
export function runUndoScript(id: string): string {
  check("id", id);
  return `set -eu\n[ -x '${ADAPT_STATE_DIR}/${id}/undo.sh' ] || { echo 'no adaptation ${id} in this guest' >&2; exit 3; }\nsh '${ADAPT_STATE_DIR}/${id}/undo.sh'\n`;
}
