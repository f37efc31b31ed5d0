import { UserError } from "../errors.js";

/**
 * Single-quotes a string for POSIX sh: nothing inside single quotes is special, and a
 * single quote is closed, escaped and reopened. Every name or value from a user or a
 * guest that reaches a guest script goes through this.
 */
export function shQuote(s: string): string {
  if (s.includes("\0")) throw new UserError(`value contains a NUL byte: ${JSON.stringify(s)}`);
  return "'" + s.replace(/'/g, `'\\''`) + "'";
}

/** Dummy user names of 2.4: fixed prefix so leftovers are recognisable, random tail per run. */
export const DUMMY_USER_RE = /^tiosa_[a-z0-9]{8}$/;
/** App check names become test ids `app:NAME`. */
export const APP_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** A host name or an IPv4/IPv6 address, nothing a shell or ping could read as an option. */
export const HOST_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|[0-9A-Fa-f:.]{2,45}(?:%[A-Za-z0-9_.-]{1,15})?)$/;
/** A process name as the kernel shows it in /proc/PID/comm (max 15 characters). */
export const PROCESS_RE = /^[A-Za-z0-9_.:+@-]{1,15}$/;

export function checkName(re: RegExp, value: string, what: string): string {
  if (!re.test(value)) throw new UserError(`${what} '${value}' is not valid (must match ${re.source})`);
  return value;
}

/** A DNS name as a reverse lookup returns it; no trailing dot. */
export const DNS_NAME_RE = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})\.?$/;
