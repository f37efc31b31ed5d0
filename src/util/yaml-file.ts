import { parseDocument, LineCounter, isMap, isSeq, type Node as YamlNode, type Document } from "yaml";
import type { z } from "zod";
import { UserError } from "../errors.js";

/** Alias expansions a campaign or rules file may make (the yaml package's resource-exhaustion guard). */
const MAX_ALIAS_COUNT = 100;

/**
 * A YAML document that remembers where each value came from, so that every error about
 * a campaign or rules file names the file and the line.
 */
export class YamlSource {
  private constructor(readonly file: string, readonly what: string, private doc: Document, private counter: LineCounter) {}

  static parse(text: string, file: string, what: string): YamlSource {
    const counter = new LineCounter();
    const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
    const src = new YamlSource(file, what, doc, counter);
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      throw src.error(e.pos ? counter.linePos(e.pos[0]).line : undefined, `invalid YAML: ${e.message.split("\n")[0]}`);
    }
    return src;
  }

  toJS(): unknown {
    try {
      return this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
    } catch (e) {
      // The yaml package stops an alias "bomb" (aliases of aliases expanding exponentially): bad input, not a fault.
      if (e instanceof ReferenceError && /alias/i.test(e.message)) {
        throw this.error(undefined, `its YAML aliases (*name) expand beyond tiosa's limit of ${MAX_ALIAS_COUNT} alias expansions per document; write the values out, or use fewer aliases`);
      }
      throw e;
    }
  }

  /** The line of the value at `path` (or of the nearest enclosing value that exists). */
  lineOf(path: readonly PropertyKey[]): number | undefined {
    let node: unknown = this.doc.contents;
    const lineFor = (n: unknown) => {
      const r = (n as YamlNode | undefined)?.range;
      return r ? this.counter.linePos(r[0]).line : undefined;
    };
    let last = lineFor(node);
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
        if (!pair) break;
        last = lineFor(pair.key) ?? last;
        node = pair.value;
      } else if (isSeq(node) && typeof key === "number") {
        node = node.items[key];
      } else break;
      last = lineFor(node) ?? last;
    }
    return last;
  }

  error(line: number | undefined, message: string): UserError {
    return new UserError(`${this.what} '${this.file}'${line ? `, line ${line}` : ""}: ${message}`);
  }

  errorAt(path: readonly PropertyKey[], message: string): UserError {
    return this.error(this.lineOf(path), `${path.length ? path.join(".") : "(top level)"}: ${message}`);
  }

  /** Validates the document against a schema; the first problem is reported with its line. */
  validate<S extends z.ZodTypeAny>(schema: S): z.infer<S> {
    const r = schema.safeParse(this.toJS());
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw this.errorAt(issue.path, issue.message);
    }
    return r.data;
  }
}
