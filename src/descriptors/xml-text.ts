import { XMLParser, XMLValidator } from "fast-xml-parser";
import { UserError } from "../errors.js";

/**
 * Descriptor files come from many producers and lie about themselves: XenServer writes
 * UTF-8 bytes under `encoding="utf-16"`, VMware Studio prepends a UTF-8 BOM. We decode
 * by looking at the bytes, never by trusting the declaration, and say what we saw.
 */
export function decodeDescriptorText(bytes: Buffer): { text: string; quirks: string[] } {
  const quirks: string[] = [];
  let text: string;
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    text = bytes.subarray(2).toString("utf16le");
    quirks.push("UTF-16LE with BOM");
  } else if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    const swapped = Buffer.from(bytes.subarray(2));
    swapped.swap16();
    text = swapped.toString("utf16le");
    quirks.push("UTF-16BE with BOM");
  } else if (bytes.length >= 4 && bytes[0] === 0x3c && bytes[1] === 0x00 && bytes[2] === 0x3f && bytes[3] === 0x00) {
    text = bytes.toString("utf16le");
    quirks.push("UTF-16LE without BOM");
  } else {
    if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      bytes = bytes.subarray(3);
      quirks.push("UTF-8 byte-order mark");
    }
    text = bytes.toString("utf8");
  }
  const declared = /^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/i.exec(text)?.[1];
  if (declared) {
    const d = declared.toLowerCase().replace(/[^a-z0-9]/g, "");
    const actual = quirks.some((q) => q.startsWith("UTF-16")) ? "utf16" : "utf8";
    const compatible = actual === "utf8" ? ["utf8", "usascii", "ascii", "iso88591", "latin1"].includes(d) : d.startsWith("utf16");
    if (!compatible) quirks.push(`declares encoding "${declared}" but the bytes are ${actual === "utf8" ? "UTF-8" : "UTF-16"}; read as ${actual === "utf8" ? "UTF-8" : "UTF-16"}`);
  }
  if (text.includes("\r\n")) quirks.push("CRLF line endings");
  return { text, quirks };
}

/** A parsed element: attributes as "@_name" (namespace prefix removed), children by local name, text as "#text". */
export type XNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  textNodeName: "#text",
  // Entities: only the five XML ones; a descriptor has no business declaring its own.
  processEntities: true,
  htmlEntities: false,
});

/** Parses XML into a prefix-free tree; malformed XML is the user's input problem. */
export function parseXml(text: string, origin: string): XNode {
  // The XML declaration (possibly lying about the encoding) is not needed once decoded.
  const body = text.replace(/^\s*<\?xml[^>]*\?>/, "");
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    throw new UserError(`${origin}: not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`);
  }
  if (/<!DOCTYPE[^>]*\[/i.test(body)) {
    throw new UserError(`${origin}: the XML declares a DOCTYPE with an internal subset (entity definitions); refusing to expand it`);
  }
  return parser.parse(body) as XNode;
}

export function asArray(v: unknown): XNode[] {
  if (v === undefined || v === null) return [];
  const a = Array.isArray(v) ? v : [v];
  return a.map((x) => (typeof x === "object" && x !== null ? (x as XNode) : { "#text": String(x) }));
}

export function child(n: XNode | undefined, name: string): XNode | undefined {
  if (!n) return undefined;
  return asArray(n[name])[0];
}

export function children(n: XNode | undefined, name: string): XNode[] {
  return n ? asArray(n[name]) : [];
}

/** Text of a child element (or of the node itself with name undefined), trimmed; null when absent or empty. */
export function text(n: XNode | undefined, name?: string): string | null {
  if (!n) return null;
  const v = name === undefined ? n : n[name];
  if (v === undefined || v === null) return null;
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined || first === null) return null;
  if (typeof first === "object") {
    const t = (first as XNode)["#text"];
    return t === undefined || t === null || String(t).trim() === "" ? null : String(t).trim();
  }
  const s = String(first).trim();
  return s === "" ? null : s;
}

export function attr(n: XNode | undefined, name: string): string | null {
  if (!n) return null;
  const v = n[`@_${name}`];
  return v === undefined || v === null ? null : String(v);
}

/** The local name of the document's root element. */
export function rootName(tree: XNode): string | null {
  for (const k of Object.keys(tree)) if (!k.startsWith("@_") && !k.startsWith("#") && !k.startsWith("?")) return k;
  return null;
}
