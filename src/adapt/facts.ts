/**
 * What the plan needs to know about a guest, read from the guest itself (online through its
 * transport, or offline from its image through libguestfs). Pure data: plan.ts never reads
 * anything else, so it is tested on real files kept as fixtures.
 */
export interface GuestFacts {
  /** `uname -r` of the kernel the guest boots (the newest under /boot when read offline). */
  kernelRelease: string;
  /** /lib/modules/REL/modules.alias, modules.dep, modules.builtin (text). */
  modulesAlias: string;
  modulesDep: string;
  modulesBuiltin: string;
  /** "module.alias=pattern" lines of modules.builtin.modinfo (builtin drivers' aliases). */
  builtinAliases: string;
  /** Module names (normalised: '-' -> '_') found in the current initramfs. */
  initramfsModules: string[];
  /** /boot/initrd.img-REL */
  initramfsPath: string;
  fstab: string;
  /** The kernel command line the guest boots with (/proc/cmdline, or grub.cfg offline). */
  cmdline: string;
  /** `blkid -o export` of the guest's block devices. */
  blkid: string;
  /** Network configuration files: ifupdown, systemd-networkd .network, netplan. */
  networkFiles: { path: string; content: string }[];
  /** Names of installed Debian packages among the known guest tools. */
  installedPackages: string[];
  /** Current NICs (online only): name, MAC, bound driver. */
  nics: { name: string; mac: string; driver: string }[];
  /** The guest boots through UEFI (an EFI system partition is mounted or grub-efi is installed). */
  uefi: boolean;
  /** How the facts were read. */
  via: "online" | "offline";
}

/** Section markers of the facts script's output: a line that no config file plausibly holds. */
export const SECTION = "@@tiosa-adapt-section@@";

/**
 * The read-only shell script that prints the facts. It runs as root in the guest (or chrooted
 * in the libguestfs appliance) and only reads, except a temp dir for lsinitramfs.
 */
export function factsScript(): string {
  return `set -u
S='${SECTION}'
sec() { printf '\\n%s %s\\n' "$S" "$1"; }
if [ -r /proc/cmdline ] && [ "\${TIOSA_OFFLINE:-0}" != 1 ]; then REL=$(uname -r); else REL=''; fi
if [ -z "$REL" ] || [ ! -d "/lib/modules/$REL" ]; then
  REL=$(ls -1 /lib/modules 2>/dev/null | sort -V | tail -n 1)
fi
sec release; printf '%s\\n' "$REL"
M=/lib/modules/$REL
sec modules.alias; grep -E '^alias (pci|virtio|scsi):' "$M/modules.alias" 2>/dev/null
sec modules.dep; cat "$M/modules.dep" 2>/dev/null
sec modules.builtin; cat "$M/modules.builtin" 2>/dev/null
sec builtin.aliases; [ -r "$M/modules.builtin.modinfo" ] && tr '\\000' '\\n' < "$M/modules.builtin.modinfo" | grep -E '^[^.]+\\.alias=(pci|virtio|scsi):'
sec initramfs.path; printf '%s\\n' "/boot/initrd.img-$REL"
sec initramfs.modules
if command -v lsinitramfs >/dev/null 2>&1 && [ -r "/boot/initrd.img-$REL" ]; then
  TMPDIR=$(mktemp -d /var/tmp/tiosa-adapt-facts.XXXXXX) && export TMPDIR
  lsinitramfs "/boot/initrd.img-$REL" 2>/dev/null | grep -E '\\.ko(\\.(xz|zst|gz))?$' | sed -E 's|.*/||; s/\\.ko(\\.(xz|zst|gz))?$//'
  rm -rf "$TMPDIR"
fi
# Archives tiosa appended (lsinitramfs lists only the first compressed one).
cat /var/lib/tiosa/adapt/*/initramfs-appended 2>/dev/null
sec fstab; cat /etc/fstab 2>/dev/null
sec cmdline
if [ "\${TIOSA_OFFLINE:-0}" = 1 ]; then
  grep -E "^[[:space:]]*linux[[:space:]].*vmlinuz-$REL" /boot/grub/grub.cfg 2>/dev/null | head -n 1 | sed -E 's/^[[:space:]]*linux[[:space:]]+[^[:space:]]+//'
else cat /proc/cmdline; fi
sec blkid; blkid -o export 2>/dev/null
for f in /etc/network/interfaces /etc/network/interfaces.d/* /etc/systemd/network/*.network /run/systemd/network/*.network /etc/netplan/*.yaml; do
  [ -f "$f" ] || continue
  sec "file $f"; cat "$f"
done
sec packages; dpkg-query -W -f '\${db:Status-Abbrev} \${Package}\\n' open-vm-tools hyperv-daemons xe-guest-utilities qemu-guest-agent 2>/dev/null | awk '$1 ~ /^ii/ {print $2}'
sec nics
if [ "\${TIOSA_OFFLINE:-0}" != 1 ]; then
  for n in /sys/class/net/*; do
    [ -e "$n/device" ] || continue
    d=$(basename "$(readlink -f "$n/device/driver")")
    printf '%s %s %s\\n' "$(basename "$n")" "$(cat "$n/address")" "$d"
  done
fi
sec uefi; if [ -d /sys/firmware/efi ] && [ "\${TIOSA_OFFLINE:-0}" != 1 ]; then echo yes
elif dpkg-query -W -f '\${db:Status-Abbrev}' grub-efi-amd64 2>/dev/null | grep -q '^ii'; then echo yes; else echo no; fi
sec end
`;
}

/** Parses the facts script's output. */
export function parseFacts(output: string, via: GuestFacts["via"]): GuestFacts {
  const sections = new Map<string, string>();
  const files: { path: string; content: string }[] = [];
  let name: string | undefined;
  let buf: string[] = [];
  const flush = () => {
    if (name === undefined) return;
    const text = buf.join("\n").replace(/^\n+/, "");
    if (name.startsWith("file ")) files.push({ path: name.slice(5), content: text });
    else sections.set(name, text);
  };
  for (const line of output.split("\n")) {
    if (line.startsWith(SECTION + " ")) {
      flush();
      name = line.slice(SECTION.length + 1).trim();
      buf = [];
    } else buf.push(line);
  }
  flush();
  if (!sections.has("end")) throw new Error("guest facts: the facts script did not finish (no end marker in its output)");
  const get = (k: string) => (sections.get(k) ?? "").trim();
  const lines = (k: string) => get(k).split("\n").map((l) => l.trim()).filter(Boolean);
  return {
    kernelRelease: get("release"),
    modulesAlias: get("modules.alias"),
    modulesDep: get("modules.dep"),
    modulesBuiltin: get("modules.builtin"),
    builtinAliases: get("builtin.aliases"),
    initramfsModules: [...new Set(lines("initramfs.modules").map(normaliseModule))].sort(),
    initramfsPath: get("initramfs.path"),
    fstab: get("fstab"),
    cmdline: get("cmdline"),
    blkid: get("blkid"),
    networkFiles: files,
    installedPackages: lines("packages"),
    nics: lines("nics").map((l) => l.split(/\s+/)).filter((p) => p.length >= 3).map((p) => ({ name: p[0]!, mac: p[1]!.toLowerCase(), driver: p[2]! })),
    uefi: get("uefi") === "yes",
    via,
  };
}

/** modprobe treats '-' and '_' in module names alike. */
export function normaliseModule(name: string): string {
  return name.replace(/-/g, "_");
}
