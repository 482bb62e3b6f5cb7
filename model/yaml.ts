/**
 * YAML text → data, with everything the parser objects to (syntax, tabs, duplicate keys, several
 * documents, unknown tags, aliases) turned into problems that name the file and line, so a broken
 * file is reported like any other bad input and never throws.
 */
import { LineCounter, isAlias, parseDocument, visit } from "yaml";
import type { Problem } from "./problems";

export interface SourceFile {
  /** Path used in messages (relative to the repository, e.g. `tenants/acme.yaml`). */
  file: string;
  text: string;
}

/**
 * Parses YAML; every parser error and warning becomes a problem with its line (undefined is
 * returned). Aliases are refused outright: a tenant file is a short list of grants that a reviewer
 * must read as written, and an alias bomb (a billion laughs) would otherwise be expanded here.
 */
export function parseYaml(source: SourceFile, problems: Problem[]): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, { uniqueKeys: true, prettyErrors: false, lineCounter });
  const at = (pos: number | undefined) => {
    const line = pos === undefined ? 0 : lineCounter.linePos(pos).line;
    return `YAML${line ? ` line ${line}` : ""}`;
  };
  const found: Problem[] = [];
  for (const e of [...doc.errors, ...doc.warnings]) found.push({ file: source.file, path: "", rule: `${at(e.pos[0])}: ${e.message.split("\n")[0]}` });
  visit(doc, {
    Alias(_key, node) {
      if (isAlias(node)) found.push({ file: source.file, path: "", rule: `${at(node.range?.[0])}: aliases (*${node.source}) are not allowed: write the value out` });
    },
  });
  if (found.length > 0) {
    // One problem per line and rule (a line of nine aliases is one refusal).
    const seen = new Set<string>();
    problems.push(...found.filter((p) => !seen.has(p.rule) && seen.add(p.rule)));
    return undefined;
  }
  try {
    return doc.toJS({ maxAliasCount: 0 });
  } catch (e) {
    problems.push({ file: source.file, path: "", rule: `YAML: ${(e instanceof Error ? e.message : String(e)).split("\n")[0]}` });
    return undefined;
  }
}
