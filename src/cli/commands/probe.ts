import type { Command, CommandContext } from "../command.js";
import { UserError } from "../../errors.js";
import { renderTable } from "../../util/table.js";
import type { GuestState } from "../../snapshot/schema.js";
import { captureGuest } from "../../guest/capture.js";
import { openTransport } from "../../guest/connect.js";
import { parseSshTarget } from "../../guest/transports/ssh.js";
import { resolveCaptureOptions, notRequestedTests, type AppCheckSpec, type CaptureOptions } from "../../guest/options.js";
import { OS_TEST_REGISTRY } from "../../os-tests/index.js";

export const probeCommand: Command = {
  name: "probe",
  summary: "Run the OS tests (Table III 2.1-2.4) and application checks inside a running guest",
  usage: "TARGET (ssh://user@host[:port] | qga:SOCKET | qga+libvirt://DOMAIN[?uri=URI] | local) [options]",
  options: {
    identity: { type: "string" },
    "password-file": { type: "string" },
    "known-hosts": { type: "string" },
    "accept-new": { type: "boolean" },
    "fallback-qga": { type: "string" },
    "icmp-private": { type: "string" },
    "icmp-public": { type: "string" },
    "rdns-private": { type: "string" },
    "rdns-public": { type: "string" },
    "shell-process": { type: "string" },
    "shell-port": { type: "string" },
    "app-command": { type: "string", multiple: true },
    "app-exit": { type: "string", multiple: true },
    "app-output": { type: "string", multiple: true },
    "app-port": { type: "string", multiple: true },
    "app-http": { type: "string", multiple: true },
    "app-status": { type: "string", multiple: true },
    "no-user-ops": { type: "boolean" },
    timeout: { type: "string" },
  },
  async run(ctx) {
    const [target, ...extra] = ctx.positionals;
    if (!target) throw new UserError("probe: give a TARGET, e.g. ssh://root@10.0.0.5 or qga+libvirt://vm1");
    if (extra.length) throw new UserError(`probe: unexpected argument '${extra[0]}' (one TARGET only)`);
    // 2.3.j checks the remote shell on the port tiosa reached it on (ssh://host:2222), unless --shell-port says otherwise.
    const opts = captureOptionsFromCli(ctx, target.startsWith("ssh://") ? parseSshTarget(target).port : 22);
    const timeoutS = opts.timeoutMs / 1000;
    const { transport, fellBack } = await openTransport(target, {
      identityFile: str(ctx, "identity"),
      passwordFile: str(ctx, "password-file"),
      password: process.env.TIOSA_SSH_PASSWORD,
      knownHostsFile: str(ctx, "known-hosts"),
      acceptNew: ctx.options["accept-new"] === true,
      connectTimeoutMs: Math.min(timeoutS, 30) * 1000,
    }, { fallbackQga: str(ctx, "fallback-qga"), signal: ctx.signal });
    if (fellBack) ctx.err(`probe: ${fellBack}; captured through the guest agent ${transport.label} instead`);
    let guest: GuestState;
    try {
      guest = await captureGuest(transport, { ...opts, signal: ctx.signal });
    } finally {
      await transport.close();
    }
    if (ctx.format === "json") {
      ctx.out(JSON.stringify(guest, null, 2));
    } else {
      ctx.out(renderGuest(guest, notRequestedTests(opts)));
    }
    for (const e of guest.errors ?? []) ctx.err(`probe: ${e.probe}: ${e.message}`);
    return 0;
  },
};

function str(ctx: CommandContext, k: string): string | undefined {
  const v = ctx.options[k];
  return typeof v === "string" ? v : undefined;
}
function list(ctx: CommandContext, k: string): string[] {
  const v = ctx.options[k];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}
/** NAME=VALUE, split at the first '='. */
function pair(s: string, opt: string): [string, string] {
  const i = s.indexOf("=");
  if (i <= 0) throw new UserError(`--${opt} '${s}': expected NAME=VALUE`);
  return [s.slice(0, i), s.slice(i + 1)];
}
function int(s: string, what: string): number {
  if (!/^\d+$/.test(s)) throw new UserError(`${what}: '${s}' is not a whole number`);
  return Number(s);
}

export function captureOptionsFromCli(ctx: CommandContext, defaultShellPort = 22): CaptureOptions {
  const apps: AppCheckSpec[] = [];
  const byName = (name: string, opt: string) => {
    const a = apps.find((x) => x.name === name);
    if (!a) throw new UserError(`--${opt}: no application check named '${name}' (declare it first with --app-command, --app-port or --app-http)`);
    return a;
  };
  for (const s of list(ctx, "app-command")) { const [name, command] = pair(s, "app-command"); apps.push({ name, kind: "command", command, expectExit: 0 }); }
  for (const s of list(ctx, "app-port")) {
    const [name, v] = pair(s, "app-port");
    const m = /^(?:(.+):)?(\d+)$/.exec(v);
    if (!m) throw new UserError(`--app-port '${s}': expected NAME=[HOST:]PORT`);
    apps.push({ name, kind: "tcp", host: (m[1] ?? "127.0.0.1").replace(/^\[|\]$/g, ""), port: Number(m[2]) });
  }
  for (const s of list(ctx, "app-http")) { const [name, url] = pair(s, "app-http"); apps.push({ name, kind: "http", url, expectStatus: 200 }); }
  for (const s of list(ctx, "app-exit")) {
    const [name, v] = pair(s, "app-exit");
    const a = byName(name, "app-exit");
    if (a.kind !== "command") throw new UserError(`--app-exit '${s}': '${name}' is not an --app-command check`);
    a.expectExit = int(v, `--app-exit ${name}`);
  }
  for (const s of list(ctx, "app-output")) {
    const [name, v] = pair(s, "app-output");
    const a = byName(name, "app-output");
    if (a.kind !== "command") throw new UserError(`--app-output '${s}': '${name}' is not an --app-command check`);
    a.expectOutput = v;
  }
  for (const s of list(ctx, "app-status")) {
    const [name, v] = pair(s, "app-status");
    const a = byName(name, "app-status");
    if (a.kind !== "http") throw new UserError(`--app-status '${s}': '${name}' is not an --app-http check`);
    a.expectStatus = int(v, `--app-status ${name}`);
  }
  const rdns = (k: string) => {
    const v = str(ctx, k);
    if (v === undefined) return null;
    const i = v.indexOf("=");
    return i < 0 ? { address: v, expected: null } : { address: v.slice(0, i), expected: v.slice(i + 1) || null };
  };
  const icmpPrivate = str(ctx, "icmp-private");
  const timeout = str(ctx, "timeout");
  const shellPort = str(ctx, "shell-port");
  return resolveCaptureOptions({
    icmpPrivate: icmpPrivate === undefined || icmpPrivate === "gateway" ? "gateway" : icmpPrivate === "none" ? null : icmpPrivate,
    icmpPublic: str(ctx, "icmp-public") ?? null,
    rdnsPrivate: rdns("rdns-private"),
    rdnsPublic: rdns("rdns-public"),
    shellProcess: str(ctx, "shell-process") ?? "sshd",
    shellPort: shellPort === undefined ? defaultShellPort : int(shellPort, "--shell-port"),
    apps,
    userOps: ctx.options["no-user-ops"] !== true,
    timeoutMs: timeout === undefined ? 60_000 : Math.round(positive(timeout) * 1000),
  });
}

function positive(s: string): number {
  const n = Number(s);
  if (!(n > 0) || !Number.isFinite(n)) throw new UserError(`--timeout '${s}': expected a positive number of seconds`);
  return n;
}

const na = "not performed";

export function renderGuest(g: GuestState, notRequested: Record<string, string>): string {
  const rows: string[][] = [];
  const add = (id: string, test: string, value: string) => rows.push([id, test, value]);
  const skip = (id: string) => notRequested[id] ? `not requested (${notRequested[id]})` : na;
  add("", "transport", g.transport ?? "?");
  add("", "host / OS", `${g.hostname ?? "?"} / ${g.os?.prettyName ?? "?"}`);
  // one row per Table III test, written the way its module says (src/os-tests/)
  for (const t of OS_TEST_REGISTRY) add(t.definition.id, t.definition.name, t.observed(g) ?? skip(t.definition.id));
  for (const a of g.apps ?? []) add(`app:${a.name}`, "Application check", `${a.ok ? "ok" : "FAILED"}: ${a.detail}`);
  let text = renderTable(["ID", "Test", "Value"], rows, { maxWidth: [10, 30, 100] });
  if (g.firewall?.rules.length) text += "\n\nFirewall rules:\n" + g.firewall.rules.map((r) => `  ${r}`).join("\n");
  if (g.userOps?.detail) text += `\n\nUser operations: ${g.userOps.detail}`;
  return text;
}
