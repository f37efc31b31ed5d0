import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../../errors.js";
import type { FixedGuestNetwork } from "../../images/recipe.js";
import { TIOSA_PREFIX } from "../driver.js";
import { buildFixedSubnetNetworkXml, buildNetworkXml } from "./domain-xml.js";
import { parseNames } from "./parse.js";
import type { RunStorage } from "./storage.js";
import { VirshError, type Virsh } from "./virsh.js";

/**
 * The network a run's VMs join on one libvirt host: the run's own NAT network with DHCP
 * (created on first use, removed by the driver's cleanup), or a shared network of the fixed
 * subnet a guest's image is configured for (`useFixed`).
 */
export class RunNetwork {
  private fixed: { name: string; net: FixedGuestNetwork } | undefined;

  constructor(private readonly virsh: Virsh, private readonly uri: string, private readonly runId: string, private readonly storage: RunStorage) {}

  get name(): string { return this.fixed?.name ?? `${TIOSA_PREFIX}${this.runId}`; }

  /**
   * VMs defined from now on join `name`, a network of the subnet the guest's image is
   * configured for (a static address), instead of the run's DHCP network. The network is
   * shared by every driver given the same name (libvirt allows one network per subnet on a
   * host) and is not this run's to remove: whoever chose the name removes it (a campaign, at
   * its end, through a driver whose run id is the name's marker).
   */
  useFixed(name: string, net: FixedGuestNetwork): void {
    if (!name.startsWith(TIOSA_PREFIX)) throw new Error(`network '${name}' must carry the tiosa prefix`);
    this.fixed = { name, net };
  }

  /** The bridge device a libvirt network puts its guests on (`virsh net-info`), or null. */
  async bridgeOf(network: string, signal?: AbortSignal): Promise<string | null> {
    const r = await this.virsh.raw(["net-info", network], { signal });
    return r.code === 0 ? /^Bridge:\s+(\S+)/m.exec(r.stdout)?.[1] ?? null : null;
  }

  /** Creates the network on first use; returns its name. */
  async ensure(signal?: AbortSignal): Promise<string> {
    if ((await this.virsh.raw(["net-info", this.name], { signal })).code === 0) return this.name;
    if (this.fixed) return this.createFixed(this.fixed.name, this.fixed.net, signal);
    const used = new Set<number>();
    for (const n of parseNames(await this.virsh.ok(["net-list", "--all", "--name"], { signal }))) {
      const x = await this.virsh.raw(["net-dumpxml", n], { signal });
      const m = /address=['"]192\.168\.(\d+)\./.exec(x.stdout);
      if (m) used.add(Number(m[1]));
    }
    const dir = await this.storage.staging();
    let lastError = "";
    for (let attempt = 0; attempt < 8; attempt++) {
      const octet = 100 + ((parseInt(this.runId.slice(0, 4), 16) + attempt * 17) % 150);
      if (used.has(octet)) continue;
      const file = join(dir, "network.xml");
      await writeFile(file, buildNetworkXml(this.name, octet));
      const r = await this.virsh.raw(["net-create", file], { signal });
      if (r.code === 0) return this.name;
      lastError = r.stderr.trim();
      // Another subnet if this one collides with a host route; any other error is final.
      if (!/in use|overlap|already/i.test(lastError)) break;
    }
    throw new VirshError(`could not create libvirt network '${this.name}' on '${this.uri}': ${lastError}`, { code: 1, signal: null, stdout: "", stderr: lastError, timedOut: false, durationMs: 0 });
  }

  private async createFixed(name: string, net: FixedGuestNetwork, signal?: AbortSignal): Promise<string> {
    const file = join(await this.storage.staging(), `${name}.xml`);
    await writeFile(file, buildFixedSubnetNetworkXml(name, `tbs${name.slice(-8)}`, net));
    const r = await this.virsh.raw(["net-create", file], { signal });
    if (r.code === 0) return name;
    // Two jobs may race to create it: the other one's is as good.
    if ((await this.virsh.raw(["net-info", name], { signal })).code === 0) return name;
    const why = r.stderr.trim().replace(/^error: /gm, "").split("\n").join(" ");
    throw new UserError(`the guest's address ${net.address}/${net.prefix} (gateway ${net.gateway}) is written into its image, so it needs a network of that subnet, and libvirt on '${this.uri}' could not create one: ${why}${/in use|overlap/i.test(why) ? " (another network or interface on that host has this subnet: remove it, or give the guest an address elsewhere)" : ""}`);
  }
}
