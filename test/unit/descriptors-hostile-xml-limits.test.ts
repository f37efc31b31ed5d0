import { test, after } from "node:test";
import assert from "node:assert/strict";
import { xmlProlog } from "../../src/descriptors/xml-text.js";
import { assertRefused, domainWith, runInProcess, tempDir } from "../support/hostile-descriptors.js";

/**
 * Issue 23: XML that goes past the parser's limits (nesting depth, entity count, entity
 * expansion) is refused as the file going beyond what tiosa reads, exit 2, and the limits
 * still hold (no blow-up). Generated inputs; every case runs the real CLI.
 */

const tmp = tempDir();
after(() => tmp.remove());

const file = tmp.file;

const BEYOND = /the file's XML goes beyond what tiosa reads/;
const nested = (depth: number) => "<a>".repeat(depth) + "</a>".repeat(depth);

test("elements nested deeper than 100 are refused, in OVF and libvirt XML, even 100 000 deep", async () => {
  const ovf = (inner: string) => `<?xml version="1.0"?><Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"><VirtualSystem ovf:id="x" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">${inner}</VirtualSystem></Envelope>`;
  await assertRefused(file("ovf", ovf(nested(200))), [BEYOND, /elements nested more than 100 deep/]);
  await assertRefused(file("ovf", ovf(nested(100_000))), [BEYOND, /nested more than 100 deep/]);
  await assertRefused(file("xml", domainWith({ extra: `<metadata>${nested(200)}</metadata>` })), [BEYOND, /elements nested more than 100 deep/]);
  await assertRefused(file("xml", domainWith({ extra: `<metadata>${nested(100_000)}</metadata>` })), [BEYOND, /nested more than 100 deep/]);
  // Control: the same shape 50 deep is read.
  const shallow = await runInProcess(["inspect", file("xml", domainWith({ extra: `<metadata>${nested(50)}</metadata>` }))]);
  assert.equal(shallow.code, 0, shallow.stderr);
});

test("a libvirt XML declaring more than 1000 entities is refused with the limit", async () => {
  const decls = Array.from({ length: 1100 }, (_, i) => `<!ENTITY e${i} "x">`).join("");
  await assertRefused(file("xml", domainWith({ doctype: `<?xml version="1.0"?><!DOCTYPE domain [${decls}]>`, body: "&e1;" })), [BEYOND, /more than 1000 entity declarations/]);
});

test("a libvirt XML whose entities expand past 100 000 characters is refused with the limit", async () => {
  const doctype = `<?xml version="1.0"?><!DOCTYPE domain [<!ENTITY a "${"a".repeat(9000)}">]>`;
  await assertRefused(file("xml", domainWith({ doctype, body: "&a;".repeat(20) })), [BEYOND, /entities expanding to more than 100000 characters/]);
  // An entity value over the size limit is refused too.
  await assertRefused(file("xml", domainWith({ doctype: `<!DOCTYPE domain [<!ENTITY big "${"b".repeat(20_000)}">]>`, body: "&big;" })), [BEYOND, /an entity value over 10000 characters/]);
  // Control: a small expansion is read.
  const small = await runInProcess(["inspect", file("xml", domainWith({ doctype: `<!DOCTYPE domain [<!ENTITY a "vm">]>`, body: "&a;&a;" }))]);
  assert.equal(small.code, 0, small.stderr);
});

test("an OVF declaring entities is refused before any expansion, even past a prolog of comments", async () => {
  const doctype = `<!-- a comment with <!DOCTYPE inside --><!DOCTYPE Envelope [<!ENTITY a "a"><!ENTITY b "&a;&a;&a;&a;">]>`;
  await assertRefused(file("ovf", `<?xml version="1.0"?>${doctype}<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"><VirtualSystem>&b;</VirtualSystem></Envelope>`), [/DOCTYPE with an internal subset/]);
});

test("the prolog is read to the root element past comments, PIs and a DOCTYPE whose subset quotes ] and >, in linear time", () => {
  assert.deepEqual(xmlProlog(`<?xml version="1.0"?>\n<!-- <!DOCTYPE x [ --><!DOCTYPE d [<!ENTITY a "]>"><!ENTITY b '>]'>]>\n<ovf:Envelope/>`),
    { root: { prefix: "ovf:", name: "Envelope" }, doctype: { internalSubset: true } });
  assert.deepEqual(xmlProlog(`<!DOCTYPE domain SYSTEM "d.dtd"><domain/>`), { root: { prefix: null, name: "domain" }, doctype: { internalSubset: false } });
  assert.equal(xmlProlog(`<!DOCTYPE d [<!ENTITY a "never closed`).root, null);
  // Unterminated declarations by the hundred thousand: the regexes this replaced were quadratic here.
  const t = performance.now();
  for (const hostile of ["<!DOCTYPE".repeat(200_000), "<!--".repeat(200_000), "<?".repeat(200_000), `<!DOCTYPE d [${"'".repeat(200_000)}`]) assert.equal(xmlProlog(hostile).root, null);
  assert.ok(performance.now() - t < 2000, `${(performance.now() - t).toFixed(0)} ms`);
});
