import { UserError } from "../errors.js";
import { APP_NAME_RE, HOST_RE, PROCESS_RE, DNS_NAME_RE, checkName } from "./shell.js";

/** A user's application check (Table IV's "application level"), run inside the guest. */
export type AppCheckSpec =
  | { name: string; kind: "command"; command: string; expectExit: number; expectOutput?: string }
  | { name: string; kind: "tcp"; host: string; port: number }
  | { name: string; kind: "http"; url: string; expectStatus: number };

export interface RdnsTarget {
  address: string;
  /** Name the lookup must return (2.3.h: `194.25.2.129 -> dns.isp.t-ipnet.de`). */
  expected?: string | null;
}

export interface CaptureOptions {
  /** 2.3.e target; "gateway" = the guest's default gateway (default); null = not requested. */
  icmpPrivate: string | null;
  /** 2.3.f target; null = not requested (default). */
  icmpPublic: string | null;
  rdnsPrivate: RdnsTarget | null;
  rdnsPublic: RdnsTarget | null;
  /** 2.3.i/j: the remote shell's process name and port. */
  shellProcess: string;
  shellPort: number;
  apps: AppCheckSpec[];
  /** 2.4 changes the guest (adds and removes a user); it can be turned off. */
  userOps: boolean;
  /** Budget of each guest script. */
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Test hook: the user-ops script waits this long after adding the user, so a test can
   * kill the connection at a known point. Not reachable from the command line.
   */
  holdUserOpsMs?: number;
  /** Test hook: skip the host-side leftover check after 2.4 (to test the guest-side trap alone). */
  skipLeftoverCheck?: boolean;
}

export const DEFAULT_CAPTURE_OPTIONS: CaptureOptions = {
  icmpPrivate: "gateway",
  icmpPublic: null,
  rdnsPrivate: null,
  rdnsPublic: null,
  shellProcess: "sshd",
  shellPort: 22,
  apps: [],
  userOps: true,
  timeoutMs: 60_000,
};

/** Fills defaults and validates every value that will reach a guest shell. */
export function resolveCaptureOptions(partial: Partial<CaptureOptions> = {}): CaptureOptions {
  const o: CaptureOptions = { ...DEFAULT_CAPTURE_OPTIONS, ...partial };
  if (o.icmpPrivate !== null && o.icmpPrivate !== "gateway") checkName(HOST_RE, o.icmpPrivate, "ICMP private target");
  if (o.icmpPublic !== null) checkName(HOST_RE, o.icmpPublic, "ICMP public target");
  for (const [t, what] of [[o.rdnsPrivate, "reverse DNS private address"], [o.rdnsPublic, "reverse DNS public address"]] as const) {
    if (!t) continue;
    checkName(HOST_RE, t.address, what);
    if (t.expected) checkName(DNS_NAME_RE, t.expected, `${what}'s expected name`);
  }
  checkName(PROCESS_RE, o.shellProcess, "remote shell process name");
  checkPort(o.shellPort, "remote shell port");
  const seen = new Set<string>();
  for (const a of o.apps) {
    checkName(APP_NAME_RE, a.name, "application check name");
    if (seen.has(a.name)) throw new UserError(`application check '${a.name}' is declared twice`);
    seen.add(a.name);
    if (a.kind === "command") {
      if (!a.command.trim()) throw new UserError(`application check '${a.name}': the command is empty`);
      if (!Number.isInteger(a.expectExit) || a.expectExit < 0 || a.expectExit > 255) {
        throw new UserError(`application check '${a.name}': expected exit status must be 0-255 (got ${a.expectExit})`);
      }
      if (a.expectOutput !== undefined) {
        try { new RegExp(a.expectOutput); } catch (e) {
          throw new UserError(`application check '${a.name}': expected output '${a.expectOutput}' is not a valid regular expression`);
        }
      }
    } else if (a.kind === "tcp") {
      checkName(HOST_RE, a.host, `application check '${a.name}' host`);
      checkPort(a.port, `application check '${a.name}' port`);
    } else {
      let u: URL;
      try { u = new URL(a.url); } catch {
        throw new UserError(`application check '${a.name}': '${a.url}' is not a URL`);
      }
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new UserError(`application check '${a.name}': URL '${a.url}' must be http or https`);
      if (!Number.isInteger(a.expectStatus) || a.expectStatus < 100 || a.expectStatus > 599) {
        throw new UserError(`application check '${a.name}': expected HTTP status must be 100-599 (got ${a.expectStatus})`);
      }
    }
  }
  if (!(o.timeoutMs > 0)) throw new UserError(`timeout must be positive (got ${o.timeoutMs} ms)`);
  return o;
}

function checkPort(p: number, what: string): void {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new UserError(`${what} must be 1-65535 (got ${p})`);
}

/** Test ids of Table III this capture deliberately does not perform, with why (snapshot `notRequested`). */
export function notRequestedTests(o: CaptureOptions): Record<string, string> {
  const r: Record<string, string> = {};
  if (o.icmpPrivate === null) r["2.3.e"] = "no private ICMP target given";
  if (o.icmpPublic === null) r["2.3.f"] = "no public ICMP target given (--icmp-public)";
  if (!o.rdnsPrivate) r["2.3.g"] = "no private address given for reverse DNS (--rdns-private)";
  if (!o.rdnsPublic) r["2.3.h"] = "no public address given for reverse DNS (--rdns-public)";
  if (!o.userOps) for (const id of ["2.4.a", "2.4.b", "2.4.c", "2.4.d", "2.4.e", "2.4.f"]) r[id] = "user operations turned off (--no-user-ops)";
  return r;
}
