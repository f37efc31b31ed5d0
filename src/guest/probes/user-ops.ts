import { randomBytes } from "node:crypto";
import { shQuote, DUMMY_USER_RE, checkName } from "../shell.js";

/**
 * 2.4: add a dummy user, write, read and delete a file in its home as that user, change
 * its password, delete the user. It changes the guest, so:
 *  - the name is unique per run (`tiosa_` + 8 random characters) and checked against a
 *    strict pattern before it reaches a shell, where it is single-quoted anyway;
 *  - the script traps EXIT, HUP, INT, TERM and PIPE (a dropped SSH connection shows up as
 *    SIGPIPE or SIGHUP) and removes the user and its home on any way out;
 *  - the capture checks from the host afterwards (leftoverCheckScript), on a new connection
 *    if the old one died, in case the script itself was killed with SIGKILL.
 */
/**
 * 2.4 as the OS tests name their probe: it is no section of the combined script's probe
 * list but runs after them, apart, with its own leftover check (src/guest/capture.ts).
 */
export interface UserOpsProbe { name: "user-ops"; fields: readonly ["userOps"]; apart: true }
export const userOpsProbe: UserOpsProbe = { name: "user-ops", fields: ["userOps"], apart: true };

export type UserOpName = "addUser" | "writeFile" | "readFile" | "deleteFile" | "changePassword" | "deleteUser";
export const USER_OPS: readonly UserOpName[] = ["addUser", "writeFile", "readFile", "deleteFile", "changePassword", "deleteUser"];

export function newDummyUser(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const tail = [...randomBytes(8)].map((b) => alphabet[b % alphabet.length]).join("");
  return checkName(DUMMY_USER_RE, `tiosa_${tail}`, "dummy user name");
}

function randomToken(n: number): string {
  return randomBytes(n).toString("base64url").replace(/[^A-Za-z0-9]/g, "x");
}

/** Removes the user `u` (as found in /etc/passwd), its group and home: shared by both scripts. */
const REMOVE_USER = [
  "tiosa_remove() {",
  '  h=$(awk -F: -v u="$u" \'$1==u{print $6}\' /etc/passwd)',
  '  if grep -q "^$u:" /etc/passwd; then',
  '    userdel -r "$u" >/dev/null 2>&1 || deluser --remove-home "$u" >/dev/null 2>&1 || deluser "$u" >/dev/null 2>&1',
  "  fi",
  '  if grep -q "^$u:" /etc/group; then groupdel "$u" >/dev/null 2>&1 || delgroup "$u" >/dev/null 2>&1; fi',
  // only ever a home named after this very user
  '  case "$h" in */"$u") rm -rf -- "$h" ;; esac',
  '  rm -f -- "/var/mail/$u" "/var/spool/mail/$u"',
  "}",
].join("\n");

export function userOpsScript(user: string, opts: { holdMs?: number } = {}): string {
  checkName(DUMMY_USER_RE, user, "dummy user name");
  const content = randomToken(12), password = randomToken(18);
  const hold = opts.holdMs && opts.holdMs > 0 ? (opts.holdMs / 1000).toFixed(3) : "";
  return [
    `u=${shQuote(user)}; pw=${shQuote(password)}; content=${shQuote(content)}`,
    REMOVE_USER,
    "tiosa_cleanup() { trap '' PIPE HUP INT TERM; tiosa_remove; }",
    "trap tiosa_cleanup EXIT",
    "trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 141' PIPE",
    "op() { printf 'op %s %s %s\\n' \"$1\" \"$2\" \"$3\"; }",
    // as the dummy user when su exists (that is what 2.4 is about), else as root
    'asuser() { if command -v su >/dev/null 2>&1; then su -s /bin/sh -c "$1" "$u"; else sh -c "$1"; fi; }',
    "if command -v useradd >/dev/null 2>&1; then out=$(useradd -m -s /bin/sh \"$u\" 2>&1); else out=$(adduser -D -s /bin/sh \"$u\" 2>&1); fi",
    'if grep -q "^$u:" /etc/passwd; then op addUser ok "$u"; else op addUser failed "$out"; exit 1; fi',
    ...(hold ? [`sleep ${hold}`] : []),
    'h=$(awk -F: -v u="$u" \'$1==u{print $6}\' /etc/passwd)',
    'case "$h" in */"$u") ;; *) op writeFile failed "unexpected home directory $h"; exit 1 ;; esac',
    'f="$h/tiosa-probe.txt"',
    // $f and $content are made of [A-Za-z0-9/_-] only: safe inside the su command string
    'out=$(asuser "echo $content > $f" 2>&1) && [ -f "$f" ] && op writeFile ok "$f" || { op writeFile failed "$out"; exit 1; }',
    'got=$(asuser "cat $f" 2>&1); if [ "$got" = "$content" ]; then op readFile ok "$f"; else op readFile failed "read back: $got"; fi',
    'out=$(asuser "rm -f $f" 2>&1); if [ ! -e "$f" ]; then op deleteFile ok "$f"; else op deleteFile failed "$out"; fi',
    'before=$(grep "^$u:" /etc/shadow 2>/dev/null || grep "^$u:" /etc/passwd)',
    "out=$(printf '%s:%s\\n' \"$u\" \"$pw\" | chpasswd 2>&1); rc=$?",
    'after=$(grep "^$u:" /etc/shadow 2>/dev/null || grep "^$u:" /etc/passwd)',
    'if [ $rc -eq 0 ] && [ "$before" != "$after" ]; then op changePassword ok ""; else op changePassword failed "chpasswd exit $rc: $out"; fi',
    "tiosa_remove",
    'if grep -q "^$u:" /etc/passwd || [ -e "$h" ]; then op deleteUser failed "user or home still present"; else op deleteUser ok "$u"; fi',
  ].join("\n");
}

/** Host-side check after 2.4: removes the user if still there and says whether it was. */
export function leftoverCheckScript(user: string): string {
  checkName(DUMMY_USER_RE, user, "dummy user name");
  return [
    `u=${shQuote(user)}`,
    REMOVE_USER,
    'if grep -q "^$u:" /etc/passwd || [ -e "/home/$u" ]; then tiosa_remove; echo leftover-removed; else echo clean; fi',
    'if grep -q "^$u:" /etc/passwd; then echo still-present; fi',
  ].join("\n");
}

export type UserOpsResult = Record<UserOpName, boolean | null> & { detail?: string };

/** Parses the `op NAME ok|failed DETAIL` lines; ops never reached stay null. */
export function parseUserOps(stdout: string): UserOpsResult {
  const r: UserOpsResult = { addUser: null, writeFile: null, readFile: null, deleteFile: null, changePassword: null, deleteUser: null };
  const failures: string[] = [];
  for (const line of stdout.split("\n")) {
    const m = /^op (\w+) (ok|failed) ?(.*)$/.exec(line);
    if (!m || !(USER_OPS as readonly string[]).includes(m[1]!)) continue;
    r[m[1] as UserOpName] = m[2] === "ok";
    if (m[2] === "failed") failures.push(`${m[1]}: ${m[3]!.slice(0, 200)}`);
  }
  if (failures.length) r.detail = failures.join("; ");
  return r;
}
