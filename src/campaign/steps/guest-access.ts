import { join } from "node:path";
import { timedTransport, type GuestTransport } from "../../guest/transport.js";
import { UserError } from "../../errors.js";
import type { GuestAccess } from "../../hypervisor/launch.js";
import { OpenSshTransport } from "../../hypervisor/guest-ssh.js";
import type { HypervisorDriver } from "../../hypervisor/driver.js";
import type { HypervisorTestContext } from "../../hypervisor/table2/index.js";
import { SshTransport } from "../../guest/transports/ssh.js";
import { findRecipe } from "../../images/builder.js";
import { fixedGuestNetwork, type FixedGuestNetwork } from "../../images/recipe.js";
import type { Campaign, CampaignGuest } from "../spec.js";
import { imageOf, type RunContext } from "./common.js";

/**
 * The subnet an image guest's static address needs (its VMs join a network of exactly that
 * subnet, and only one of them may run at a time); null for DHCP guests and existing VMs.
 */
export function fixedNetworkOf(c: Campaign, guest: string): FixedGuestNetwork | null {
  const g = c.guests.find((x) => x.name === guest);
  return g?.kind === "image" ? fixedGuestNetwork(findRecipe(g.recipe)) : null;
}

/**
 * How the runner reaches a campaign guest over SSH (image guests: the key of the image
 * installed on `sourceFamily`, the family the guest was captured on and moved from, and the
 * image's own address when it has a static one: that guest has no DHCP lease to ask for).
 */
export function guestAccess(rc: RunContext, g: CampaignGuest, sourceFamily: string): GuestAccess {
  if (g.kind === "image") {
    const img = imageOf(rc, g.name, sourceFamily);
    const fixed = fixedNetworkOf(rc.campaign, g.name);
    return { user: img.user, identityFile: img.sshPrivateKeyPath, ...(fixed ? { host: fixed.address } : {}) };
  }
  if (!g.ssh.identityFile) throw new UserError(`guest '${g.name}': the campaign runner reaches existing VMs with an identity file; passwordEnv is not supported by \`tiosa run\` yet`);
  return { user: g.ssh.user, identityFile: g.ssh.identityFile, ...(g.ssh.host ? { host: g.ssh.host } : {}), ...(g.ssh.port ? { port: g.ssh.port } : {}) };
}

export function testContext(o: { driver: HypervisorDriver; vm: string; access: GuestAccess; evidenceDir: string; bootSeconds: number; signal: AbortSignal; log: (m: string) => void }): HypervisorTestContext {
  return {
    driver: o.driver, vm: o.vm, access: o.access, evidenceDir: o.evidenceDir, allowTerminate: false,
    // A placeholder until Launch starts the guest and learns its address.
    guest: new OpenSshTransport({ user: o.access.user, host: o.access.host ?? "0.0.0.0", port: o.access.port ?? 22, identityFile: o.access.identityFile }),
    bootTimeoutMs: o.bootSeconds * 1000, log: o.log, signal: o.signal,
  };
}

/** One ssh2 connection for the guest probe (Table III in one script). */
export async function probeTransport(driver: HypervisorDriver, vm: string, access: GuestAccess, workDir: string, signal: AbortSignal): Promise<GuestTransport> {
  const host = access.host ?? (await driver.guestAddress(vm, signal));
  if (!host) throw new Error(`no address for VM '${vm}' (no DHCP lease, no guest agent answer)`);
  if (driver.capabilities.guestShell) return timedTransport(driver.capabilities.guestShell.open(vm, host));
  return SshTransport.connect({ user: access.user, host, port: access.port ?? 22 }, {
    identityFile: access.identityFile, knownHostsFile: join(workDir, "known_hosts"), acceptNew: true,
  }, signal);
}
