import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBlkInfo, parseDhcpLeases, parseDomIfAddr, parseStatLines, parseVersion, parseNames } from "../../src/hypervisor/libvirt/parse.js";
import { classify } from "../../src/hypervisor/libvirt/virsh.js";
import { isLocalUri, LibvirtDriver } from "../../src/hypervisor/libvirt/driver.js";
import { hostHasVirtExtensions } from "../../src/hypervisor/libvirt/accel.js";
import { parseSshEndpoint } from "../../src/hypervisor/guest-ssh.js";
import { consoleTail } from "../../src/hypervisor/launch.js";
import { consoleBootFailure as fatalConsoleLine } from "../../src/guest/boot-failure.js";
import { UserError } from "../../src/errors.js";

// Output of virsh 9.0 on this machine (virsh -q).
test("virsh version gives the hypervisor type and version", () => {
  const v = parseVersion("Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\nUsing API: QEMU 9.0.0\nRunning hypervisor: QEMU 7.2.22\n");
  assert.deepEqual(v, { library: "9.0.0", hypervisorType: "QEMU", hypervisorVersion: "7.2.22" });
});

test("domblkinfo, domblkstat and domifstat become numbers", () => {
  assert.deepEqual(parseBlkInfo("Capacity:       67108864\nAllocation:     204800\nPhysical:       204800\n"), { capacityBytes: 67108864, allocationBytes: 204800, physicalBytes: 204800 });
  const s = parseStatLines("vda rd_req 31\nvda rd_bytes 1052672\nvda wr_req 0\nvda wr_bytes 0\nvda errs 0\n");
  assert.equal(s.get("rd_bytes"), 1052672);
  assert.equal(s.get("rd_req"), 31);
  assert.equal(parseStatLines("vnet0 rx_bytes 90\nvnet0 rx_packets 1\n").get("rx_bytes"), 90);
});

test("domifaddr and DHCP leases give the guest's IPv4 address by MAC", () => {
  assert.deepEqual(parseDomIfAddr(" vnet0      52:54:00:0a:d0:eb    ipv4         192.168.154.177/24\n"), [{ name: "vnet0", mac: "52:54:00:0a:d0:eb", protocol: "ipv4", address: "192.168.154.177/24" }]);
  assert.deepEqual(parseDomIfAddr(" lo         00:00:00:00:00:00    ipv4         127.0.0.1/8\n -          -                    ipv6         ::1/128\n").length, 1);
  assert.deepEqual(parseDhcpLeases(" 2026-11-23 03:41:02   52:54:00:0a:d0:eb   ipv4       192.168.154.177/24   tiny       01:52:54:00:0a:d0:eb\n"),
    [{ mac: "52:54:00:0a:d0:eb", protocol: "ipv4", address: "192.168.154.177/24", hostname: "tiny" }]);
  assert.deepEqual(parseNames("a\n\n b \n"), ["a", "b"]);
});

test("virsh failures that are the user's become UserErrors naming the URI or VM", () => {
  const r = (stderr: string) => ({ code: 1, signal: null, stdout: "", stderr, timedOut: false, durationMs: 1 });
  const unreachable = classify("qemu+ssh://root@10.9.9.9/system", ["version"], r("error: failed to connect to the hypervisor\nerror: Cannot recv data: ssh: connect to host 10.9.9.9 port 22: No route to host: Connection reset by peer\n"));
  assert.ok(unreachable instanceof UserError);
  assert.match(unreachable.message, /hypervisor 'qemu\+ssh:\/\/root@10\.9\.9\.9\/system' is unreachable/);
  const missing = classify("qemu:///system", ["dumpxml", "nope"], r("error: failed to get domain 'nope'\n"));
  assert.ok(missing instanceof UserError);
  assert.equal(missing.message, "VM 'nope' does not exist on 'qemu:///system'");
  const other = classify("qemu:///system", ["start", "x"], r("error: internal error: qemu unexpectedly closed the monitor\n"));
  assert.ok(!(other instanceof UserError));
});

test("local and remote URIs are told apart; a non-URI is refused", () => {
  assert.equal(isLocalUri("qemu:///system"), true);
  assert.equal(isLocalUri("test:///default"), true);
  assert.equal(isLocalUri("qemu+ssh://root@10.250.0.2/system?keyfile=/k"), false);
  assert.throws(() => new LibvirtDriver("/etc/passwd"), UserError);
  assert.match(new LibvirtDriver("qemu:///system", "0123abcd").vmName("vm"), /^tiosa-0123abcd-vm$/);
});

test("--ssh user@host[:port] is parsed strictly", () => {
  assert.deepEqual(parseSshEndpoint("root@10.0.0.5:2222", "/k"), { user: "root", host: "10.0.0.5", port: 2222, identityFile: "/k" });
  assert.deepEqual(parseSshEndpoint("me@[fd00::2]", "/k"), { user: "me", host: "fd00::2", port: 22, identityFile: "/k" });
  assert.throws(() => parseSshEndpoint("root@host;rm -rf /", "/k"), UserError);
  assert.throws(() => parseSshEndpoint("-oProxyCommand=x@h", "/k"), UserError);
  assert.throws(() => parseSshEndpoint("root@h:70000", "/k"), /out of range/);
});

test("a console that shows the root disk missing is recognised as a guest that will not boot", () => {
  const text = "Begin: Running /scripts/local-block ... done.\r\n\x1b[0mGave up waiting for root file system device.\r\nALERT!  LABEL=root does not exist.  Dropping to a shell!\r\n";
  assert.equal(fatalConsoleLine(text), "ALERT!  LABEL=root does not exist.  Dropping to a shell!");
  assert.equal(fatalConsoleLine("Debian GNU/Linux 12 debian ttyS0\nlogin:"), null);
  assert.equal(consoleTail(text, 1), "ALERT!  LABEL=root does not exist.  Dropping to a shell!");
});

test("systemd in a dracut initramfs waiting two minutes for the root disk, with no limit, is a guest that will not boot; seconds are not", () => {
  // Recorded from debian-12-like-rhel (built for kvm) on vmware hardware: the status line
  // redrawn with \r and ANSI escapes, the unit name cut with an ellipsis.
  const line = (t: string) => `\x1bM\r\x1b[K[\x1b[0;1;31m*** \x1b[0m] Job dev-disk-by\\x2duuid-b6c56b06\\x2\u2026tart running (${t} / no limit)`;
  assert.equal(fatalConsoleLine(`Loading initial ramdisk ...\n${line("10s")}${line("1min 59s")}`), null);
  assert.equal(fatalConsoleLine(`Loading initial ramdisk ...\n${line("1min 59s")}${line("2min 0s")}`), "[*** ] Job dev-disk-by\\x2duuid-b6c56b06\\x2\u2026tart running (2min 0s / no limit)");
  assert.match(fatalConsoleLine("[ TIME ] A start job is running for /dev/disk/by-uuid/0f5c (12min 3s / no limit)") ?? "", /12min 3s/);
  // A job with a limit times out by itself (and says so); other units are not the root disk.
  assert.equal(fatalConsoleLine("A start job is running for /dev/disk/by-uuid/0f5c (2min 3s / 3min)"), null);
  assert.equal(fatalConsoleLine("A start job is running for Wait for network (5min 3s / no limit)"), null);
  // dracut's own words when its initqueue gives up.
  assert.ok(fatalConsoleLine("[  190.1] dracut-initqueue[301]: Warning: dracut-initqueue: timeout, starting timeout scripts"));
  assert.ok(fatalConsoleLine("Entering emergency mode. Exit the shell to continue."));
});

test("KVM counts on a remote host only when its CPU has VT-x or AMD-V", () => {
  const caps = (f: string) => `<capabilities><host><cpu><arch>x86_64</arch><feature name='hypervisor'/>${f}</cpu></host><guest><cpu><feature name='vmx'/></cpu></guest></capabilities>`;
  assert.equal(hostHasVirtExtensions(caps("")), false);
  assert.equal(hostHasVirtExtensions(caps("<feature name='svm'/>")), true);
  assert.equal(hostHasVirtExtensions(caps("<feature name='vmx'/>")), true);
});
