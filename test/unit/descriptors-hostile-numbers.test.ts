import { test, after } from "node:test";
import assert from "node:assert/strict";
import { assertRefused, domainWith, ovfWith, runInProcess, tempDir, vmxWith } from "../support/hostile-descriptors.js";

/**
 * Issue 23: numbers out of range in a descriptor are the user's input problem (exit 2,
 * naming the file, the element or key, the value and the range), never an internal error
 * with a schema dump. Inputs are generated here; every case runs the real CLI.
 */

const tmp = tempDir();
after(() => tmp.remove());

const file = tmp.file;

const TWO_TO_999 = (2n ** 999n).toString();

test("the generated descriptors are read when their numbers are sane, up to the documented limits", async () => {
  for (const [ext, content] of [
    ["ovf", ovfWith()], ["xml", domainWith()], ["vmx", vmxWith()],
    // The limits themselves are inside the range: 4096 vCPUs, 256 TiB of memory, an 8 PiB - 1 byte disk.
    ["ovf", ovfWith({ cpu: "4096", mem: "256", memUnits: "byte * 2^40", cap: String(Number.MAX_SAFE_INTEGER), capUnits: "byte" })],
    ["xml", domainWith({ vcpu: "4096", mem: "256", memUnit: "TiB", topology: `sockets="16" cores="128" threads="2"` })],
    ["vmx", vmxWith({ numvcpus: "4096", memsize: String(256 * 2 ** 20), cores: "64" })],
  ] as const) {
    const r = await runInProcess(["inspect", file(ext, content)]);
    assert.equal(r.code, 0, r.stderr);
  }
});

test("OVF: a disk capacity of 2^999 bytes or in units of byte * 2^9999 is refused with the disk, the value and the range", async () => {
  await assertRefused(file("ovf", ovfWith({ cap: TWO_TO_999, capUnits: "byte" })), [/disk d1 ovf:capacity/, new RegExp(`"${TWO_TO_999.slice(0, 24)}…" \\(${TWO_TO_999.length} characters\\)`), /more than 8 PiB/, /expected a whole number of bytes from 0 to 9007199254740991 \(8 PiB\)/]);
  await assertRefused(file("ovf", ovfWith({ capUnits: "byte * 2^9999" })), [/disk d1 ovf:capacity × ovf:capacityAllocationUnits is "3" × "byte \* 2\^9999"/, /the unit alone is more than 8 PiB/]);
  await assertRefused(file("ovf", ovfWith({ cap: "-3" })), [/ovf:capacity/, /"-3"/, /negative/]);
});

test("OVF: absurd, fractional and infinite CPU and memory quantities are refused with the item and the range", async () => {
  await assertRefused(file("ovf", ovfWith({ cpu: "100000" })), [/hostile: CPU VirtualQuantity \(Item 1\) is "100000" \(more than 4096\); expected a whole number from 1 to 4096/]);
  await assertRefused(file("ovf", ovfWith({ cpu: "1.5" })), [/CPU VirtualQuantity \(Item 1\) is "1\.5" \(not a whole number\)/]);
  await assertRefused(file("ovf", ovfWith({ cpu: "0" })), [/CPU VirtualQuantity/, /"0" \(zero\)/]);
  await assertRefused(file("ovf", ovfWith({ cores: "2.5" })), [/CoresPerSocket \(Item 1\) is "2\.5"/]);
  await assertRefused(file("ovf", ovfWith({ mem: "99999999999999999" })), [/memory VirtualQuantity × AllocationUnits \(Item 2\) is "99999999999999999" × "byte \* 2\^20"/, /more than 256 TiB/, /281474976710656 \(256 TiB\)/]);
  await assertRefused(file("ovf", ovfWith({ mem: "9".repeat(400) })), [/memory VirtualQuantity/, /\(400 characters\)/, /more than 256 TiB/]);
  await assertRefused(file("ovf", ovfWith({ memUnits: "inf" })), [/memory VirtualQuantity × AllocationUnits/, /"1024" × "inf"/, /the unit alone is more than 256 TiB/]);
  await assertRefused(file("ovf", ovfWith({ mem: "inf" })), [/memory VirtualQuantity/, /"inf" × "byte \* 2\^20"/]);
  await assertRefused(file("ovf", ovfWith({ memUnits: "byte * 2^2000" })), [/"byte \* 2\^2000"/, /the unit alone is more than 256 TiB/]);
});

test("libvirt XML: a negative or absurd <vcpu>, an overflowing <memory> and a zero topology are refused with the element and the range", async () => {
  await assertRefused(file("xml", domainWith({ vcpu: "-4" })), [/<vcpu> is "-4" \(negative\); expected a whole number from 1 to 4096/]);
  await assertRefused(file("xml", domainWith({ vcpu: "8", vcpuAttrs: ` current="99999"` })), [/<vcpu current> is "99999"/]);
  await assertRefused(file("xml", domainWith({ vcpu: "two" })), [/<vcpu> is "two" \(not a number\)/]);
  await assertRefused(file("xml", domainWith({ mem: "9".repeat(400) })), [/<memory> is "9{24}…" \(400 characters\) KiB \(more than 256 TiB\)/]);
  await assertRefused(file("xml", domainWith({ mem: "1e300", memUnit: "TiB" })), [/<memory> is "1e300" TiB/, /more than 256 TiB/]);
  await assertRefused(file("xml", domainWith({ mem: "99999999999999", memUnit: "TiB" })), [/<memory> is "99999999999999" TiB \(more than 256 TiB\)/]);
  await assertRefused(file("xml", domainWith({ topology: `sockets="1" cores="0" threads="1"` })), [/<cpu><topology cores> is "0" \(zero\)/]);
});

test("VMX: a huge memsize or numvcpus, and a numvcpus that is not a number, are refused with the key and the range", async () => {
  await assertRefused(file("vmx", vmxWith({ memsize: "9".repeat(400) })), [/memsize is "9{24}…" \(400 characters\) MiB \(more than 256 TiB\)/]);
  await assertRefused(file("vmx", vmxWith({ memsize: "999999999999" })), [/memsize is "999999999999" MiB/, /expected a whole number of bytes from 1 to 281474976710656 \(256 TiB\)/]);
  await assertRefused(file("vmx", vmxWith({ numvcpus: "99999999999" })), [/numvcpus is "99999999999" \(more than 4096\); expected a whole number from 1 to 4096/]);
  await assertRefused(file("vmx", vmxWith({ numvcpus: "four" })), [/numvcpus is "four" \(not a number\)/]);
  await assertRefused(file("vmx", vmxWith({ cores: "-1" })), [/cpuid\.coresPerSocket is "-1" \(negative\)/]);
});
