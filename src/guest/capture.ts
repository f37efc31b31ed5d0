import type { GuestState } from "../snapshot/schema.js";
import { errorMessage } from "../errors.js";
import type { GuestTransport } from "./transport.js";
import { resolveCaptureOptions, type CaptureOptions } from "./options.js";
import { PROBES } from "./probes/index.js";
import type { Probe } from "./probe.js";
import { buildCombinedScript, splitSections } from "./script.js";
import { newDummyUser, userOpsScript, leftoverCheckScript, parseUserOps } from "./probes/user-ops.js";

type ProbeError = { probe: string; message: string };

/**
 * Captures the `guest` part of a snapshot: all of Table III 2.1-2.3 and the application
 * checks in one guest script, then 2.4 in a second one. A failed probe leaves its fields
 * null and says why in `errors`; only a bad option throws.
 */
export async function captureGuest(transport: GuestTransport, partial: Partial<CaptureOptions> = {}, probes: readonly Probe[] = PROBES): Promise<GuestState> {
  const opts = resolveCaptureOptions(partial);
  const errors: ProbeError[] = [];
  const state: GuestState = { transport: transport.kind };
  for (const p of probes) for (const f of p.fields) (state as Record<string, unknown>)[f] = null;

  const combined = buildCombinedScript(probes, opts);
  let sections = new Map<string, import("./probe.js").SectionOutput>();
  let lost = false;
  try {
    const r = await transport.exec(combined.text, { timeoutMs: opts.timeoutMs, signal: opts.signal });
    sections = splitSections(r.stdout, combined.nonce);
    if (r.code !== 0) errors.push({ probe: "capture", message: `guest script exit ${r.code}: ${r.stderr.trim().slice(0, 300)}` });
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    lost = true;
    errors.push({ probe: "capture", message: errorMessage(e) });
  }
  for (const p of probes) {
    if (!combined.sections.includes(p.name)) continue;
    const out = sections.get(p.name);
    if (!out) {
      if (!lost) errors.push({ probe: p.name, message: "the section never reported (script cut short)" });
      continue;
    }
    try {
      const { errors: own, ...fields } = p.parse(out, opts);
      Object.assign(state, fields);
      if (own) errors.push(...own);
    } catch (e) {
      errors.push({ probe: p.name, message: `${errorMessage(e)}${out.code ? ` (section exit ${out.code})` : ""}${out.stderr.trim() ? `; stderr: ${out.stderr.trim().slice(0, 300)}` : ""}` });
    }
  }

  if (opts.userOps && !lost) state.userOps = await runUserOps(transport, opts, errors);
  else if (opts.userOps) state.userOps = null;
  if (errors.length) state.errors = errors;
  return state;
}

async function runUserOps(transport: GuestTransport, opts: CaptureOptions, errors: ProbeError[]): Promise<GuestState["userOps"]> {
  const user = newDummyUser();
  let result: GuestState["userOps"] = null;
  let connectionOk = true;
  try {
    const r = await transport.exec(userOpsScript(user, { holdMs: opts.holdUserOpsMs }), { timeoutMs: opts.timeoutMs, signal: opts.signal });
    result = parseUserOps(r.stdout);
    if (r.code !== 0 && r.stderr.trim()) result.detail = [result.detail, `stderr: ${r.stderr.trim().slice(0, 300)}`].filter(Boolean).join("; ");
  } catch (e) {
    connectionOk = false;
    errors.push({ probe: "user-ops", message: errorMessage(e) });
  } finally {
    if (!opts.skipLeftoverCheck) {
      const leftover = await removeLeftoverUser(transport, user, connectionOk);
      if (leftover) errors.push({ probe: "user-ops", message: leftover });
    }
  }
  if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("aborted");
  return result;
}

/**
 * Checks from the host that the dummy user is gone and removes it if not, on the same
 * connection or a new one (the first may have died mid-way). Never throws: it runs in a
 * finally; returns a message when something was left or could not be checked.
 */
export async function removeLeftoverUser(transport: GuestTransport, user: string, sameConnection: boolean): Promise<string | null> {
  let t: GuestTransport = transport;
  let fresh: GuestTransport | null = null;
  try {
    if (!sameConnection) {
      if (!transport.reconnect) return `dummy user ${user}: connection lost and ${transport.kind} cannot reconnect to check it was removed`;
      fresh = await transport.reconnect();
      t = fresh;
    }
    let r = await t.exec(leftoverCheckScript(user), { timeoutMs: 30_000 }).catch(async (e) => {
      // the old connection died between the ops and this check: one more try on a new one
      if (fresh || !transport.reconnect) throw e;
      fresh = await transport.reconnect();
      return fresh.exec(leftoverCheckScript(user), { timeoutMs: 30_000 });
    });
    if (/still-present/.test(r.stdout)) return `dummy user ${user} could not be removed: ${r.stderr.trim().slice(0, 200)}`;
    if (/leftover-removed/.test(r.stdout)) return `dummy user ${user} was left behind by the user-ops script and has been removed from the host side`;
    return null;
  } catch (e) {
    return `dummy user ${user}: could not check it was removed: ${errorMessage(e)}`;
  } finally {
    await fresh?.close().catch(() => undefined);
  }
}
