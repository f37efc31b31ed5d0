import { createHash } from "node:crypto";
import { FIRSTBOOT_NET_UNIT, firstbootNetScript } from "./firstboot.js";

/**
 * A recipe is pure data: everything that decides what ends up in the image. Its canonical
 * JSON, together with BUILDER_VERSION, is hashed into the cache key, so changing either
 * rebuilds the image and nothing else does.
 */
export const BUILDER_VERSION = "tiosa-images/4";

export const DEFAULT_MIRROR = "http://deb.debian.org/debian";

/** Kernel command line shared by the images: ttyS0 last, so /dev/console (and initramfs errors) go to the serial log. */
export const CONSOLE_CMDLINE = "console=tty0 console=ttyS0,115200";

type NetworkConfig =
  | { kind: "dhcp-any-ethernet" }
  /**
   * DHCP on the NIC whose MAC address the guest saw when it was installed: the configuration
   * is written at the first boot (as Anaconda writes the NIC it installed over, or cloud-init
   * the NIC of its first boot), so it names the source VM's MAC. A NIC with another MAC
   * (a moved VM usually gets a new one) is left unconfigured.
   */
  | {
    kind: "dhcp-mac-bound";
    /**
     * How long the first boot waits for udev to name the NIC before it gives up (seconds):
     * seconds on an idle host; a campaign's host runs several TCG guests at once, where 30 s
     * were measured to be too few (the unit failed and the guest came up without a network).
     */
    waitForNicS: number;
  }
  /** `interface: null`: the name the first NIC has on the family the image is built for. */
  | { kind: "static"; interface: string | null; address: string; gateway: string; dns: string[] };

/**
 * The network a guest needs when its address is written into the image (a static address):
 * a subnet where that address, its gateway and its DNS servers exist. DHCP guests need none.
 */
export interface FixedGuestNetwork {
  /** The guest's own address, without prefix. */
  address: string;
  prefix: number;
  gateway: string;
  dns: string[];
}

export function fixedGuestNetwork(r: Recipe): FixedGuestNetwork | null {
  if (r.kind !== "debian" || r.network.kind !== "static") return null;
  const [address, prefix] = r.network.address.split("/");
  return { address: address!, prefix: Number(prefix ?? 24), gateway: r.network.gateway, dns: [...r.network.dns] };
}

/** What every recipe kind has. */
interface RecipeBase {
  name: string;
  description: string;
  /** Why this image behaves differently when moved (the point of having it). */
  portabilityTrait: string;
  os: { id: "debian"; version: string; codename: string };
  mirror: string;
  packages: string[];
  diskSizeMiB: number;
  hostname: string;
  kernelCmdline: string;
  /**
   * The hardware family the image was installed on, set by recipeForFamily
   * (src/images/installed-on.ts) for recipes whose content depends on it; part of the hash.
   */
  builtFor?: string;
}

export interface DebianRecipe extends RecipeBase {
  kind: "debian";
  /**
   * initramfs-tools MODULES= policy. `most`: drivers for any controller. `dep`: host-only, the
   * drivers of the hardware it is installed on (resolved per family into `list`, because in a
   * build chroot MODULES=dep would look at the build host's devices). `list`: only `list`.
   */
  initramfs: { modules: "most" } | { modules: "list"; list: string[]; reproduces: string } | { modules: "dep"; reproduces: string };
  network: NetworkConfig & { tool: "systemd-networkd" | "ifupdown" | "networkmanager" | "netplan" };
  /**
   * What makes the initramfs: Debian's initramfs-tools (absent: the default), or dracut as
   * RHEL and its rebuilds ship it. For dracut, MODULES=dep/list means `hostonly="yes"` with
   * exactly the listed drivers (dracut's `drivers=`, resolved per family like MODULES=dep).
   */
  initramfsTool?: "dracut";
  /** How /etc/fstab names the root file system: LABEL=root (absent), or UUID= as Anaconda writes it. */
  fstabRoot?: "uuid";
  nftablesRuleset: string;
  /** systemd units enabled at build time. */
  enable: string[];
  /**
   * systemd units masked at build time, each with why a test guest can do without it: only
   * work that tests nothing and that a 1-vCPU TCG boot pays for in seconds (docs/images.md).
   */
  mask: { unit: string; why: string }[];
}

export interface TinyRecipe extends RecipeBase {
  kind: "tiny";
  /** Kernel modules put into the initramfs (their dependencies are added). Its `packages`
   * are Debian packages whose files are taken (extracted, not installed). */
  modules: string[];
}

export type Recipe = DebianRecipe | TinyRecipe;

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/**
 * Content hash of a recipe: 16 hex digits of SHA-256 over its canonical JSON, the builder
 * version and the programs the builder puts into the guest for it (the first-boot network
 * step of a MAC-bound recipe), so that a change to any of them gets a new image.
 */
export function recipeHash(recipe: Recipe): string {
  const h = createHash("sha256").update(BUILDER_VERSION + "\n" + JSON.stringify(canonical(recipe)));
  const n = recipe.kind === "debian" ? recipe.network : null;
  if (n?.kind === "dhcp-mac-bound" && (n.tool === "networkmanager" || n.tool === "netplan")) {
    h.update("\n" + FIRSTBOOT_NET_UNIT + firstbootNetScript(n.tool, n.waitForNicS));
  }
  return h.digest("hex").slice(0, 16);
}

/** What the recipe configured, in a few words per item, for the metadata file and `images list`. */
export function configuredSummary(r: Recipe): Record<string, string> {
  if (r.kind === "tiny") {
    return {
      init: "busybox sh /init, runs from RAM (no root file system on disk)",
      network: "DHCP (busybox udhcpc) on every ethN",
      ssh: "dropbear, root by key only (password logins disabled)",
      bootloader: "GRUB i386-pc on MBR",
      modules: `${r.modules.length} NIC/HBA modules + dependencies in the initramfs`,
    };
  }
  const net = r.network.kind === "static"
    ? `static ${r.network.address} gw ${r.network.gateway} on ${r.network.interface ?? "the first NIC's name on the family it is built for"} (${r.network.tool}): lost when the NIC name changes`
    : r.network.kind === "dhcp-mac-bound"
      ? `DHCP on the NIC with the MAC address seen at the first boot (${r.network.tool === "netplan" ? "netplan match: macaddress + set-name, rendered by systemd-networkd" : "NetworkManager keyfile with mac-address=, no-auto-default=*"}): lost when the MAC changes`
      : `DHCP on any Ethernet NIC, matched by type (${r.network.tool})`;
  const tool = r.initramfsTool === "dracut" ? "dracut" : "initramfs-tools";
  return {
    ...(r.builtFor ? { "installed on": `${r.builtFor} hardware` } : {}),
    bootloader: "GRUB i386-pc on MBR",
    root: `ext4 LABEL=root, found by UUID on the kernel command line, ${r.fstabRoot === "uuid" ? "UUID=" : "LABEL=root"} in fstab`,
    initramfs: r.initramfs.modules === "most"
      ? `${tool} MODULES=most (drivers for any controller)`
      : r.initramfs.modules === "dep"
        ? `${tool} host-only (${r.initramfs.reproduces}): the disk drivers of the family it is built for`
        : `${tool} ${tool === "dracut" ? 'hostonly="yes", drivers=' : "MODULES=list: "}${r.initramfs.list.join(", ")} (${r.initramfs.reproduces})`,
    network: net,
    firewall: "nftables: accept established, loopback, icmp, tcp/22; drop other input",
    ssh: "openssh-server, root by key only; host keys generated at build time (test images)",
    agent: "qemu-guest-agent (started by udev when the virtio-serial port exists)",
    console: r.kernelCmdline,
    services: r.enable.join(", "),
    ...(r.mask.length ? { masked: r.mask.map((m) => m.unit).join(", ") } : {}),
    boot: "GRUB menu timeout 0; kernel command line 'quiet' as Debian's installer writes it; initramfs compressed with zstd, Debian's default (zstd installed)",
  };
}
