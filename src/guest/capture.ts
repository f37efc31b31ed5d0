import type { GuestState } from "../snapshot/schema.js";
import { errorMessage } from "../errors.js";
import type { GuestTransport } from "./transport.js";
import { resolveCaptureOptions, type CaptureOptions } from "./options.js";
import { PROBES } from "./probes/index.js";
import type { Probe, SectionOutput } from "./probe.js";
import { buildCombinedScript, splitSections } from "./script.js";
import { newDummyUser, userOpsScript, leftoverCheckScript, parseUserOps } from "./probes/user-ops.js";

type ProbeError = { probe: string; message: string };

/**
 * Captures the `guest` part of a snapshot: all of Table III 2.1-2.4 and the application
 * checks in ONE guest script (one session on one connection). A failed probe leaves its
 * fields null and says why in `errors`; only a bad option (UserError) or an abort throws.
 */
export async function captureGuest(transport: GuestTransport, partial: Partial<CaptureOptions> = {}, probes: readonly Probe[] = PROBES): Promise<GuestState> {
  const opts = resolveCaptureOptions(partial);
  const errors: ProbeError[] = [];
  const state: GuestState = { transport: transport.kind };
  for (const p of probes) for (const f of p.fields) (state as Record<string, unknown>)[f] = null;

  // 2.4 rides in the same script (one session: on this machine each SSH session costs
  // ~0.5 s of root's .bashrc alone), followed by its own leftover check in a separate subshell
  const user = opts.userOps ? newDummyUser() : null;
  const tail = user ? [
    { name: "user-ops", snippet: userOpsScript(user, { holdMs: opts.holdUserOpsMs }) },
    ...(opts.skipLeftoverCheck ? [] : [{ name: "user-ops-check", snippet: leftoverCheckScript(user) }]),
  ] : [];
  const combined = buildCombinedScript(probes, opts, undefined, tail);
  let sections = new Map<string, SectionOutput>();
  let lost = false;
  try {
    const r = await transport.exec(combined.text, { timeoutMs: opts.timeoutMs, signal: opts.signal });
    sections = splitSections(r.stdout, combined.nonce);
    if (r.code !== 0) errors.push({ probe: "capture", message: `guest script exit ${r.code}: ${r.stderr.trim().slice(0, 300)}` });
  } catch (e) {
    lost = true;
    errors.push({ probe: "capture", message: errorMessage(e) });
    if (opts.signal?.aborted && user && !opts.skipLeftoverCheck) {
      const m = await removeLeftoverUser(transport, user, false);
      if (m) errors.push({ probe: "user-ops", message: m });
    }
    if (opts.signal?.aborted) throw e;
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
  if (user) {
    const ops = sections.get("user-ops");
    if (ops) {
      const r = parseUserOps(ops.stdout);
      if (ops.code !== 0 && ops.stderr.trim()) r.detail = [r.detail, `stderr: ${ops.stderr.trim().slice(0, 300)}`].filter(Boolean).join("; ");
      state.userOps = r;
    } else {
      state.userOps = null;
      errors.push({ probe: "user-ops", message: "2.4 did not report (connection lost or script cut short)" });
    }
    if (!opts.skipLeftoverCheck) {
      const check = sections.get("user-ops-check")?.stdout ?? "";
      if (/leftover-removed/.test(check)) errors.push({ probe: "user-ops", message: `dummy user ${user} was left behind by 2.4 and removed by the check that follows it` });
      if (/still-present/.test(check) || !/clean|leftover-removed/.test(check)) {
        // the in-guest check did not report or failed: check again from here, on a new connection if need be
        const m = await removeLeftoverUser(transport, user, !lost);
        if (m) errors.push({ probe: "user-ops", message: m });
      }
    }
  } else {
    state.userOps = null;
  }
  if (errors.length) state.errors = errors;
  return state;
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
    const r = await t.exec(leftoverCheckScript(user), { timeoutMs: 30_000 }).catch(async (e) => {
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
