import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildCombinedScript, splitSections } from "../../src/guest/script.js";
import { PROBES } from "../../src/guest/probes/index.js";
import { resolveCaptureOptions, notRequestedTests } from "../../src/guest/options.js";
import { shQuote } from "../../src/guest/shell.js";
import { newDummyUser, userOpsScript, leftoverCheckScript } from "../../src/guest/probes/user-ops.js";
import { parseKnownHosts, hostPattern } from "../../src/guest/transports/known-hosts.js";
import { parseSshTarget } from "../../src/guest/transports/ssh.js";
import { parseQgaTarget } from "../../src/guest/transports/qga.js";
import { UserError } from "../../src/errors.js";

test("one combined script: every requested probe once, slow ones backgrounded, unrequested ones absent", () => {
  const s = buildCombinedScript(PROBES, resolveCaptureOptions({ icmpPrivate: null }), "abc");
  assert.deepEqual(s.sections, ["os", "resources", "filesystems", "interfaces", "firewall", "routes", "remote-shell"]);
  const s2 = buildCombinedScript(PROBES, resolveCaptureOptions({ icmpPublic: "9.9.9.9" }), "abc");
  assert.ok(s2.sections.includes("icmp"));
  assert.match(s2.text, /^\{ \(\n[\s\S]*?\) >"\$T\/icmp\.out"[^\n]*; \} &$/m);
});

test("sections split back on the nonce markers; a marker with another nonce is just output", () => {
  const out = [
    "@@TIOSA:n1:OUT:os", "line1", "@@TIOSA:n0:RC:os:0", "", "@@TIOSA:n1:ERR:os", "warn", "", "@@TIOSA:n1:RC:os:3",
    "@@TIOSA:n1:OUT:routes", "", "@@TIOSA:n1:ERR:routes", "", "@@TIOSA:n1:RC:routes:0", "",
  ].join("\n");
  const m = splitSections(out, "n1");
  assert.deepEqual(m.get("os"), { stdout: "line1\n@@TIOSA:n0:RC:os:0\n", stderr: "warn\n", code: 3 });
  assert.deepEqual(m.get("routes"), { stdout: "", stderr: "", code: 0 });
});

test("a section cut short (no RC marker) has code null", () => {
  const m = splitSections("@@TIOSA:z:OUT:os\npartial", "z");
  assert.equal(m.get("os")?.code, null);
});

test("shQuote makes any string one literal sh word", () => {
  assert.equal(shQuote("a'b"), `'a'\\''b'`);
  assert.equal(shQuote("$(reboot)"), "'$(reboot)'");
  assert.throws(() => shQuote("a\0b"), UserError);
});

test("hostile targets, names and process names are refused before any script is built", () => {
  for (const bad of [{ icmpPublic: "-f 10.0.0.1" }, { icmpPublic: "$(reboot)" }, { icmpPrivate: "a b" },
    { rdnsPublic: { address: "1.2.3.4", expected: "x;reboot" } }, { shellProcess: "sshd'; reboot '" }, { shellPort: 70000 },
    { apps: [{ name: "../x", kind: "command" as const, command: "true", expectExit: 0 }] },
    { apps: [{ name: "t", kind: "tcp" as const, host: "-e/bin/sh", port: 1 }] },
    { apps: [{ name: "h", kind: "http" as const, url: "file:///etc/shadow", expectStatus: 200 }] },
    { apps: [{ name: "r", kind: "command" as const, command: "true", expectExit: 0, expectOutput: "(" }] }]) {
    assert.throws(() => resolveCaptureOptions(bad as never), UserError, JSON.stringify(bad));
  }
});

test("dummy user names are unique per run and match tiosa_[a-z0-9]{8}; anything else is refused", () => {
  const names = new Set(Array.from({ length: 50 }, newDummyUser));
  assert.equal(names.size, 50);
  for (const n of names) assert.match(n, /^tiosa_[a-z0-9]{8}$/);
  for (const bad of ["root", "tiosa_x; rm -rf /", "tiosa_ABCDEFGH", "tiosa_abc"]) {
    assert.throws(() => userOpsScript(bad), UserError);
    assert.throws(() => leftoverCheckScript(bad), UserError);
  }
});

test("the 2.4 script removes the user on every way out: EXIT trap plus HUP, INT, TERM, PIPE", () => {
  const s = userOpsScript("tiosa_abcd1234");
  assert.match(s, /^u='tiosa_abcd1234';/);
  assert.match(s, /trap tiosa_cleanup EXIT/);
  for (const sig of ["HUP", "INT", "TERM", "PIPE"]) assert.match(s, new RegExp(`trap 'exit \\d+' ${sig}`));
});

test("notRequested lists the tests the options leave out, with why", () => {
  assert.deepEqual(Object.keys(notRequestedTests(resolveCaptureOptions())), ["2.3.f", "2.3.g", "2.3.h"]);
  const none = notRequestedTests(resolveCaptureOptions({ icmpPrivate: null, userOps: false }));
  assert.ok("2.3.e" in none && "2.4.a" in none && "2.4.f" in none);
  assert.deepEqual(notRequestedTests(resolveCaptureOptions({ icmpPublic: "1.1.1.1", rdnsPrivate: { address: "10.0.0.1" }, rdnsPublic: { address: "1.1.1.1", expected: "one.one.one.one" } })), {});
});

const FIX = fileURLToPath(new URL("../../../test/fixtures/guest/", import.meta.url));
test("known_hosts made by ssh-keygen: plain, hashed (-H), [host]:port, wildcard and @revoked entries", () => {
  const a = readFileSync(`${FIX}key-a.pub`, "utf8").trim().split(" ");
  const b = readFileSync(`${FIX}key-b.pub`, "utf8").trim().split(" ");
  for (const file of ["known_hosts.plain", "known_hosts.hashed"]) {
    const text = readFileSync(`${FIX}${file}`, "utf8");
    const k1 = parseKnownHosts(text, "127.0.0.1", 2222);
    assert.deepEqual(k1.map((k) => [k.keyType, k.blob.toString("base64"), k.revoked]), [[a[0], a[1], false]], file);
    assert.equal(parseKnownHosts(text, "127.0.0.1", 22).length, 0, `${file}: port 22 is another host entry`);
    assert.deepEqual(parseKnownHosts(text, "10.0.0.5", 22).map((k) => k.keyType), [b[0]], file);
    assert.equal(parseKnownHosts(text, "vm1.lab.internal", 22).length, 1, `${file}: wildcard`);
    assert.equal(parseKnownHosts(text, "old.example.org", 22)[0]?.revoked, true, file);
  }
  assert.equal(hostPattern("::1", 2222), "[::1]:2222");
});

test("targets: ssh:// with user, port and IPv6; qga socket and libvirt domain; passwords in URLs refused", () => {
  assert.deepEqual(parseSshTarget("ssh://admin@10.0.0.5:2222"), { user: "admin", host: "10.0.0.5", port: 2222 });
  assert.deepEqual(parseSshTarget("ssh://[fd00::5]"), { user: "root", host: "fd00::5", port: 22 });
  assert.throws(() => parseSshTarget("ssh://root:pw@h"), /never on the command line/);
  assert.deepEqual(parseQgaTarget("qga:/run/vm1.sock"), { via: "socket", path: "/run/vm1.sock" });
  assert.deepEqual(parseQgaTarget("qga+libvirt://vm1?uri=qemu:///system"), { via: "libvirt", domain: "vm1", uri: "qemu:///system" });
  assert.throws(() => parseQgaTarget("qga+libvirt://vm1;reboot"), UserError);
});
