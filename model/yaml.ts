/**
 * YAML text → data, with the parser's own errors (syntax, duplicate keys) turned into problems
 * that name the file and line, so a broken file is reported like any other bad input.
 */
import { LineCounter, parseDocument } from "yaml";
import type { Problem } from "./problems";

export interface SourceFile {
  /** Path used in messages (relative to the repository, e.g. `tenants/acme.yaml`). */
  file: string;
  text: string;
}

/** Parses YAML; syntax errors and duplicate keys become problems with their line (undefined is returned). */
export function parseYaml(source: SourceFile, problems: Problem[]): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, { uniqueKeys: true, prettyErrors: false, lineCounter });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const line = lineCounter.linePos(e.pos[0]).line;
      problems.push({ file: source.file, path: "", rule: `YAML${line ? ` line ${line}` : ""}: ${e.message.split("\n")[0]}` });
    }
    return undefined;
  }
  return doc.toJS();
}
