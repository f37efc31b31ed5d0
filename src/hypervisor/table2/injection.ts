import { randomBytes, createHash } from "node:crypto";
import { errorMessage } from "../../errors.js";
import type { HypervisorTestResult } from "../../snapshot/schema.js";
import type { NicSpec, OfflineDiskAccess, OfflineFile } from "../capabilities.js";
import { ifName } from "../../netns/cleanup.js";
import { guestPing, ms, openAgent, waitForNicAddress } from "./guest-view.js";
import { ensureGuest, ensureStopped, startAndReconnect, timed, unplugNics } from "./vm-config.js";
import { unsupported, type HypervisorTestContext, type Results } from "./context.js";
import { hostRoutes, injectSubnet, pickSlot } from "./subnets.js";

/**
 * Table II 1.3 Injection on libvirt.
 *  1.3.a Inject network: the VM is stopped, given a NIC on an isolated tiosa network with
 *    no DHCP, and a static address for that NIC (matched by MAC) is written into its disk
 *    with libguestfs, the way Nova injected network configuration into Debian-derived
 *    guests. After the start the guest must carry that address and reach the host over it.
 *  1.3.b Inject file: a file with unique content is written offline (libguestfs, in the
 *    same pass) and online (guest agent guest-file-open/write/close); the guest reads both.
 * Everything injected is removed afterwards, the test NIC unplugged and the network gone.
 */

export const INJECTION_TEST_IDS = ["1.3.a", "1.3.b"] as const;

const NETWORKD_FILE = "/etc/systemd/network/10-tiosa-injected.network";
const LINK_FILE = "/etc/systemd/network/10-tiosa-injected.link";
const IFUPDOWN_FILE = "/etc/network/interfaces.d/tiosa-injected";
const IFUPDOWN_NAME = "tiosainj0";

export type GuestNetworkTool = "systemd-networkd" | "ifupdown";

/** The files that give the NIC `mac` a static address, in the guest's own network tool. */
export function injectedNetworkFiles(tool: GuestNetworkTool, mac: string, address: string, runId: string): Record<string, string> {
  const head = `# injected by tiosa run ${runId} (Table II 1.3.a): static address for the NIC with MAC ${mac}\n`;
  if (tool === "systemd-networkd") {
    return { [NETWORKD_FILE]: `${head}[Match]\nMACAddress=${mac}\n\n[Network]\nAddress=${address}\n` };
  }
  // ifupdown names interfaces, not MACs: a udev .link file gives the NIC a fixed name first.
  return {
    [LINK_FILE]: `${head}[Match]\nMACAddress=${mac}\n\n[Link]\nName=${IFUPDOWN_NAME}\n`,
    [IFUPDOWN_FILE]: `${head}allow-hotplug ${IFUPDOWN_NAME}\niface ${IFUPDOWN_NAME} inet static\n    address ${address}\n`,
  };
}

async function detectNetworkTool(disks: OfflineDiskAccess, vm: string, signal?: AbortSignal): Promise<GuestNetworkTool | null> {
  const [networkd, interfaces, ifup] = await disks.exists(vm, [
    "/etc/systemd/system/multi-user.target.wants/systemd-networkd.service",
    "/etc/network/interfaces",
    "/sbin/ifup",
  ], signal);
  if (networkd) return "systemd-networkd";
  if (interfaces && ifup) return "ifupdown";
  return null;
}

export async function testInjection(ctx: HypervisorTestContext): Promise<Results> {
  const results: Results = {};
  const { driver, vm, signal } = ctx;
  const disks = driver.capabilities.offlineDisks;
  const labs = driver.capabilities.networkLab;
  if (!disks || !labs) {
    for (const id of INJECTION_TEST_IDS) results[id] = unsupported(`the ${ctx.driver.uri} driver has no offline disk access: tiosa implements 1.3 on libvirt only`);
    return results;
  }
  const runId = driver.runId;
  const slot = pickSlot(runId, await hostRoutes(), (k) => [injectSubnet(k)]);
  if (slot === null) {
    for (const id of INJECTION_TEST_IDS) results[id] = { result: "failed", detail: "no free /24 left in 10.253.0.0-10.253.31.0 on this host for the injection network" };
    return results;
  }
  const INJECT = { host: `${injectSubnet(slot)}1`, guest: `${injectSubnet(slot)}10`, prefix: 24 } as const;
  const gfs = await disks.check(signal);

  const nets = labs.open(runId);
  const mac = nets.mac(4);
  const offlineFile = `/root/tiosa-injected-${runId}-offline.txt`;
  const offlineContent = `tiosa ${runId} 1.3.b offline ${randomBytes(12).toString("hex")}\n`;
  let injected: string[] = [];
  let injectNic: NicSpec | null = null;
  let tool: GuestNetworkTool | null = null;
  let injectMs = 0;
  try {
    results["1.3.a"] = await timed(async (): Promise<HypervisorTestResult> => {
      if (!gfs.ok) return unsupported(`offline injection impossible: ${gfs.reason}`);
      const netName = nets.name("inject");
      await nets.createIsolatedNetwork(netName, ifName(runId, "inj"), { address: INJECT.host, netmask: "255.255.255.0" }, signal);
      ctx.log(`1.3.a: stopping ${vm} to inject a static address for a NIC on ${netName}`);
      await ensureStopped(ctx, 60_000, signal);
      const nic: NicSpec = { mac, network: netName, model: await nets.nicModelOf(vm, signal) };
      await nets.plugNic(vm, nic, false, signal);
      injectNic = nic;
      const t0 = Date.now();
      tool = await detectNetworkTool(disks, vm, signal);
      if (!tool) return unsupported("the guest uses neither systemd-networkd nor ifupdown: tiosa knows no network configuration to inject into it");
      const files = injectedNetworkFiles(tool, mac, `${INJECT.guest}/${INJECT.prefix}`, runId);
      const writes: OfflineFile[] = Object.entries(files).map(([path, content]) => ({ path, content, mode: "0644", makeParents: true }));
      // 1.3.b's offline half rides on the same appliance launch.
      writes.push({ path: offlineFile, content: offlineContent, mode: "0600" });
      injected = [...Object.keys(files), offlineFile];
      await disks.writeFiles(vm, writes, signal);
      injectMs = Date.now() - t0;
      ctx.log(`1.3.a: injected ${Object.keys(files).join(", ")} with ${disks.tool} in ${ms(injectMs)} (${gfs.how}); starting ${vm}`);
      const bootS = await startAndReconnect(ctx, signal);
      const addr = await waitForNicAddress(ctx.guest, mac, INJECT.guest.replace(/\d+$/, ""), 60_000, signal).catch((e: unknown) => e as Error);
      if (addr instanceof Error) return { result: "failed", detail: `injected ${tool} config for ${mac} (${INJECT.guest}/${INJECT.prefix}) with libguestfs, but the guest did not carry the address: ${addr.message}` };
      const status = tool === "systemd-networkd"
        ? (await ctx.guest.exec(`networkctl status ${addr.nic.name} 2>&1 | grep -E 'Network File|State' | tr -s ' '`, { timeoutMs: 15_000, signal })).stdout.trim().replace(/\n/g, "; ")
        : (await ctx.guest.exec(`ifquery ${IFUPDOWN_NAME} 2>&1`, { timeoutMs: 15_000, signal })).stdout.trim().replace(/\n/g, "; ");
      const ping = await guestPing(ctx.guest, INJECT.host, { signal });
      const fromFile = tool === "systemd-networkd" ? status.includes(NETWORKD_FILE) : status.includes(INJECT.guest);
      const ok = addr.address === `${INJECT.guest}/${INJECT.prefix}` && ping.received > 0 && fromFile;
      return {
        result: ok ? "ok" : "failed",
        detail: `static ${tool} configuration for the NIC with MAC ${mac} written offline with libguestfs (${ms(injectMs)}) into the stopped VM; after start (guest answered in ${bootS.toFixed(1)} s) `
          + `guest NIC ${addr.nic.name} has ${addr.address} on isolated network ${netName} (no DHCP there); ${status}; guest ping ${INJECT.host} (host side): ${ping.summary}`,
        evidence: [status, ping.output.trim()],
      };
    });

    results["1.3.b"] = await timed(async (): Promise<HypervisorTestResult> => {
      await ensureGuest(ctx);
      const parts: string[] = [];
      const evidence: string[] = [];
      let offlineOk: boolean | null = null, onlineOk: boolean | null = null;
      if (injected.includes(offlineFile)) {
        const r = await ctx.guest.exec(`cat ${offlineFile}`, { timeoutMs: 15_000, signal });
        offlineOk = r.code === 0 && r.stdout === offlineContent;
        parts.push(`offline (libguestfs, with 1.3.a): the guest read ${offlineFile} ${offlineOk ? "with the injected content" : `as '${r.stdout.trim().slice(0, 80)}' (exit ${r.code}, expected '${offlineContent.trim()}')`}`);
        evidence.push(`${offlineFile}: ${r.stdout.trim()}`);
      } else {
        parts.push(`offline: not tried (${gfs.ok ? "1.3.a did not reach the injection" : gfs.reason})`);
      }
      const onlinePath = `/root/tiosa-injected-${runId}-online.txt`;
      const onlineContent = `tiosa ${runId} 1.3.b online ${randomBytes(12).toString("hex")}\n`;
      try {
        const agent = await openAgent(driver, vm, 60_000, signal);
        try {
          const h = await agent.call("guest-file-open", { path: onlinePath, mode: "w" }, 10_000, signal) as number;
          try {
            await agent.call("guest-file-write", { handle: h, "buf-b64": Buffer.from(onlineContent).toString("base64") }, 10_000, signal);
          } finally {
            await agent.call("guest-file-close", { handle: h }, 10_000, signal);
          }
        } finally {
          await agent.close();
        }
        const r = await ctx.guest.exec(`cat ${onlinePath}; sha256sum ${onlinePath} | cut -d' ' -f1; rm -f ${onlinePath}; test ! -e ${onlinePath} && echo removed`, { timeoutMs: 15_000, signal });
        const lines = r.stdout.split("\n");
        const want = createHash("sha256").update(onlineContent).digest("hex");
        onlineOk = lines[0] + "\n" === onlineContent && lines[1] === want;
        parts.push(`online (guest agent guest-file-open/write/close): the guest read ${onlinePath} ${onlineOk ? `with the written content (sha256 ${want.slice(0, 16)}...)` : `differently: '${lines[0]?.slice(0, 80)}'`}; ${lines.includes("removed") ? "removed" : "NOT removed"}`);
        evidence.push(`${onlinePath}: ${lines[0] ?? ""}`);
      } catch (e) {
        parts.push(`online: ${errorMessage(e)}`);
      }
      const detail = parts.join("; ");
      if (offlineOk === null && onlineOk === null) return unsupported(detail);
      return { result: offlineOk || onlineOk ? "ok" : "failed", detail, evidence };
    });
  } catch (e) {
    for (const id of INJECTION_TEST_IDS) results[id] ??= { result: "failed", detail: `injection test: ${errorMessage(e)}` };
  } finally {
    const problems: string[] = [];
    if (injected.length) {
      // Undo in the running guest where possible; otherwise offline, the way it came in.
      const q = injected.map((p) => `'${p}'`).join(" ");
      await ensureGuest(ctx).catch(() => undefined);
      const online = await ctx.guest.exec(`rm -f ${q} && sync && for f in ${q}; do test ! -e "$f" || exit 1; done && echo undone`, { timeoutMs: 20_000 })
        .then((r) => r.stdout.includes("undone"), () => false);
      if (!online && gfs.ok) {
        let wasRunning = false;
        try {
          wasRunning = (await driver.state(vm)) === "running";
          await ensureStopped(ctx, 60_000, undefined);
          await disks.removeFiles(vm, injected);
        } catch (e) {
          problems.push(`could not remove injected files ${injected.join(", ")}: ${errorMessage(e)}`);
        }
        if (wasRunning) await startAndReconnect(ctx, undefined).catch((e: unknown) => problems.push(`restart after removing the injected files offline: ${errorMessage(e)}`));
      } else if (!online) {
        problems.push(`injected files ${injected.join(", ")} could not be removed`);
      }
    }
    if (injectNic) problems.push(...await unplugNics(ctx, nets, [injectNic]));
    await ensureGuest(ctx).catch((e: unknown) => problems.push(`guest after the tests: ${errorMessage(e)}`));
    for (const f of await nets.teardown()) problems.push(`${f.object}: ${f.error}`);
    if (problems.length) ctx.log(`injection tests cleanup: ${problems.join("; ")}`);
  }
  return results;
}
