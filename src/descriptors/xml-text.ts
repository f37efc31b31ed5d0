import { XMLParser, XMLValidator } from "fast-xml-parser";
import { UserError, errorMessage } from "../errors.js";

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

/**
 * How far tiosa's XML parsers go. These are fast-xml-parser's own defaults, stated here so
 * that messages can name them: real descriptors nest about 10 deep, declare no entities
 * (OVF refuses a DOCTYPE internal subset outright; libvirt XML from virsh has none), and
 * stop a hostile file from costing more than a moment (billion laughs, 100 000-deep nesting).
 */
export const XML_LIMITS = { maxNestedTags: 100, maxEntityCount: 1000, maxEntitySize: 10_000, maxExpandedLength: 100_000 } as const;

export const XML_ENTITY_OPTIONS = {
  enabled: true,
  maxEntityCount: XML_LIMITS.maxEntityCount,
  maxEntitySize: XML_LIMITS.maxEntitySize,
  maxExpandedLength: XML_LIMITS.maxExpandedLength,
};

const LIMIT_WORDS: Array<[RegExp, string]> = [
  [/Maximum nested tags exceeded/i, `elements nested more than ${XML_LIMITS.maxNestedTags} deep`],
  [/Entity count .* exceeds maximum/i, `more than ${XML_LIMITS.maxEntityCount} entity declarations`],
  [/Entity .* size .* exceeds maximum/i, `an entity value over ${XML_LIMITS.maxEntitySize} characters`],
  [/Expanded content length limit exceeded/i, `entities expanding to more than ${XML_LIMITS.maxExpandedLength} characters`],
  [/expansion count limit exceeded|expansion depth/i, "entity expansion past the parser's limit"],
];

/**
 * The UserError for an XML parser failure: a limit of XML_LIMITS is the file going beyond
 * what tiosa reads (not a syntax error, and never an internal error); anything else is
 * malformed XML.
 */
export function xmlParseError(origin: string, e: unknown): UserError {
  const msg = errorMessage(e).replace(/^\[EntityReplacer\]\s*/, "");
  for (const [re, words] of LIMIT_WORDS) {
    if (re.test(msg)) return new UserError(`${origin}: the file's XML goes beyond what tiosa reads (${words}: ${msg})`);
  }
  return new UserError(`${origin}: not well-formed XML (${msg})`);
}

interface XmlProlog {
  /** The root element's name as its start tag spells it; null when no element starts where XML puts the root. */
  root: { prefix: string | null; name: string } | null;
  /** The DOCTYPE declaration before the root, if any; internalSubset when it has [...] (where entities are declared). */
  doctype: { internalSubset: boolean } | null;
}

/**
 * Walks the prolog (XML declaration, processing instructions, comments, DOCTYPE with its
 * internal subset) to the root element with indexOf, in time linear in the text: the
 * regexes this replaces (`<!DOCTYPE[^>]*\[` over the whole file) were quadratic on a file
 * full of unterminated declarations.
 */
export function xmlProlog(text: string): XmlProlog {
  let i = 0, doctype: XmlProlog["doctype"] = null;
  const none = (): XmlProlog => ({ root: null, doctype });
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text.startsWith("<?", i)) {
      const end = text.indexOf("?>", i + 2);
      if (end < 0) return none();
      i = end + 2;
    } else if (text.startsWith("<!--", i)) {
      const end = text.indexOf("-->", i + 4);
      if (end < 0) return none();
      i = end + 3;
    } else if (text.slice(i, i + 9).toUpperCase() === "<!DOCTYPE") {
      let j = i + 9, internalSubset = false;
      // Up to the closing '>', stepping over the internal subset [...] and quoted strings in it.
      while (j < text.length && text[j] !== ">") {
        if (text[j] === "[") {
          internalSubset = true;
          j++;
          while (j < text.length && text[j] !== "]") {
            const q = text[j];
            if (q === '"' || q === "'") { const close = text.indexOf(q, j + 1); if (close < 0) return none(); j = close; }
            j++;
          }
        }
        j++;
      }
      if (j >= text.length) return none();
      doctype = { internalSubset };
      i = j + 1;
    } else break;
  }
  const m = /^<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)/.exec(text.slice(i, i + 256));
  return { root: m ? { prefix: m[1] ?? null, name: m[2]! } : null, doctype };
}

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
  // Entities: only the five XML ones; a descriptor has no business declaring its own
  // (parseXml refuses an internal subset before the parser sees it).
  processEntities: XML_ENTITY_OPTIONS,
  htmlEntities: false,
  maxNestedTags: XML_LIMITS.maxNestedTags,
});

/** Parses XML into a prefix-free tree; malformed XML is the user's input problem. */
export function parseXml(text: string, origin: string): XNode {
  // The XML declaration (possibly lying about the encoding) is not needed once decoded.
  const body = text.replace(/^\s*<\?xml[^>]*\?>/, "");
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    throw new UserError(`${origin}: not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`);
  }
  if (xmlProlog(body).doctype?.internalSubset) {
    throw new UserError(`${origin}: the XML declares a DOCTYPE with an internal subset (entity definitions); refusing to expand it`);
  }
  try {
    return parser.parse(body) as XNode;
  } catch (e) {
    throw xmlParseError(origin, e);
  }
}

function asArray(v: unknown): XNode[] {
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
