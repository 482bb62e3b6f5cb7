/**
 * How every refusal is reported: one problem per broken rule, naming the file, the field path and
 * the rule, all collected before anything is declared. Tenant files, the plans file and stack
 * config all report this way.
 */

export interface Problem {
  file: string;
  /** Field path inside the file, like `organizations[1].id`; empty for the whole file. */
  path: string;
  rule: string;
}

export const formatProblem = (p: Problem) => `${p.file}: ${p.path || "(file)"}: ${p.rule}`;

/** Thrown when any input is bad; its message lists every problem, one per line. */
export class ValidationError extends Error {
  constructor(readonly problems: Problem[]) {
    super(
      `${problems.length} problem(s) in the tenant configuration; nothing was declared:\n` +
        problems.map((p) => `  ${formatProblem(p)}`).join("\n"),
    );
    this.name = "ValidationError";
  }
}

/** `["organizations", "1", "id"]` → `organizations[1].id`; keys with dots are quoted: `quota["requests.cpu"]`. */
export function pathOf(segments: readonly string[]): string {
  let out = "";
  for (const part of segments) {
    if (/^[0-9]+$/.test(part)) out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** An ajv instance path (JSON Pointer, `/organizations/1/id`), plus an optional child key, as a field path. */
export function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (extra !== undefined) parts.push(extra);
  return pathOf(parts);
}
