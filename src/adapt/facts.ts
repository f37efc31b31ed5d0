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
  /** /boot/initrd.img-REL (Debian, either tool) or /boot/initramfs-REL.img (RHEL's dracut). */
  initramfsPath: string;
  /** What builds the initramfs: initramfs-tools (mkinitramfs) or dracut; null when neither is installed. */
  initramfsTool: "initramfs-tools" | "dracut" | null;
  /** Free space (free blocks, as root sees them; virt-v2v's check) of / and /boot: mount point -> bytes. */
  freeSpace: { mount: string; bytes: number }[];
  fstab: string;
  /** The kernel command line the guest boots with (/proc/cmdline, or grub.cfg offline). */
  cmdline: string;
  /** `blkid -o export` of the guest's block devices. */
  blkid: string;
  /**
   * Network configuration files: ifupdown, systemd-networkd .network, netplan, NetworkManager
   * keyfiles, ifcfg (secrets such as psk= and password= lines are left out when read).
   */
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
IMG=/boot/initrd.img-$REL
[ -r "$IMG" ] || [ ! -r "/boot/initramfs-$REL.img" ] || IMG=/boot/initramfs-$REL.img
sec initramfs.path; printf '%s\\n' "$IMG"
sec initramfs.tool
if command -v dracut >/dev/null 2>&1; then echo dracut; elif command -v mkinitramfs >/dev/null 2>&1; then echo initramfs-tools; fi
sec initramfs.modules
KO='\\.ko(\\.(xz|zst|gz))?$'
if [ -r "$IMG" ] && { command -v lsinitramfs >/dev/null 2>&1 || command -v lsinitrd >/dev/null 2>&1; }; then
  TMPDIR=$(mktemp -d /var/tmp/tiosa-adapt-facts.XXXXXX) && export TMPDIR
  if command -v lsinitramfs >/dev/null 2>&1; then lsinitramfs "$IMG" 2>/dev/null
  else lsinitrd "$IMG" 2>/dev/null | awk '{print $NF}'; fi | grep -E "$KO" | sed -E "s|.*/||; s/$KO//"
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
for f in /etc/network/interfaces /etc/network/interfaces.d/* /etc/systemd/network/*.network /run/systemd/network/*.network /etc/netplan/*.yaml \\
  /etc/NetworkManager/system-connections/* /etc/sysconfig/network-scripts/ifcfg-*; do
  [ -f "$f" ] || continue
  # Secrets (Wi-Fi keys, 802.1X and VPN passwords) never leave the guest.
  sec "file $f"; grep -viE '^[[:space:]]*[A-Za-z0-9_-]*(psk|password|passwd|secret|wep-key[0-9]*|private-key)[A-Za-z0-9_-]*[[:space:]]*=' "$f"
done
TOOLS="open-vm-tools hyperv-daemons xe-guest-utilities qemu-guest-agent"
sec packages
if command -v dpkg-query >/dev/null 2>&1; then dpkg-query -W -f '\${db:Status-Abbrev} \${Package}\\n' $TOOLS 2>/dev/null | awk '$1 ~ /^ii/ {print $2}'
elif command -v rpm >/dev/null 2>&1; then for p in $TOOLS; do rpm -q --qf '%{NAME}\\n' "$p" 2>/dev/null | grep -v 'not installed'; done; fi
sec freespace; for m in / /boot; do [ -d "$m" ] && printf '%s %s\\n' "$m" "$(stat -f -c '%f %S' "$m" 2>/dev/null)"; done
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
    initramfsTool: get("initramfs.tool") === "dracut" ? "dracut" : get("initramfs.tool") === "initramfs-tools" ? "initramfs-tools" : null,
    freeSpace: lines("freespace").map((l) => l.split(/\s+/)).filter((p) => p.length === 3 && /^\d+$/.test(p[1]!) && /^\d+$/.test(p[2]!))
      .map((p) => ({ mount: p[0]!, bytes: Number(p[1]) * Number(p[2]) })),
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
