import { createHash, createHmac } from "node:crypto";
import { readFile, appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * OpenSSH known_hosts, enough to check a host key the way `ssh` does: plain and hashed
 * (`|1|salt|hash`) host patterns, `[host]:port` for ports other than 22, wildcards,
 * `@revoked` markers. `@cert-authority` lines are ignored (no certificate support).
 */
export interface KnownKey { keyType: string; blob: Buffer; revoked: boolean }

export function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp("^" + pattern.replace(/[.+^${}()|\\[\]]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$", "i");
  return re.test(s);
}

function hostMatches(field: string, name: string): boolean {
  if (field.startsWith("|1|")) {
    const [, , salt, hash] = field.split("|");
    if (!salt || !hash) return false;
    return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
  }
  let matched = false;
  for (const p of field.split(",")) {
    if (p.startsWith("!")) { if (globMatch(p.slice(1), name)) return false; }
    else if (globMatch(p, name)) matched = true;
  }
  return matched;
}

export function parseKnownHosts(text: string, host: string, port: number): KnownKey[] {
  const name = hostPattern(host, port);
  const keys: KnownKey[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const w = line.split(/\s+/);
    let revoked = false;
    if (w[0]!.startsWith("@")) {
      if (w[0] === "@revoked") revoked = true;
      else continue;
      w.shift();
    }
    const [hosts, keyType, b64] = w;
    if (!hosts || !keyType || !b64 || !hostMatches(hosts, name)) continue;
    keys.push({ keyType, blob: Buffer.from(b64, "base64"), revoked });
  }
  return keys;
}

export async function readKnownHosts(file: string, host: string, port: number): Promise<KnownKey[]> {
  try {
    return parseKnownHosts(await readFile(file, "utf8"), host, port);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
}

/** The key type named inside an SSH public key blob (string length + name). */
export function blobKeyType(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString("latin1");
}

export function fingerprint(blob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

export async function pinHostKey(file: string, host: string, port: number, blob: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await appendFile(file, `${hostPattern(host, port)} ${blobKeyType(blob)} ${blob.toString("base64")}\n`, { mode: 0o600 });
}

/** Host key algorithms ssh2 should offer so the server presents a key type we already know. */
export function hostKeyAlgorithmsFor(types: string[]): string[] {
  const r: string[] = [];
  for (const t of types) {
    if (t === "ssh-rsa") r.push("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa");
    else r.push(t);
  }
  return [...new Set(r)];
}
