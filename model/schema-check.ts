/**
 * JSON Schema checking with ajv, shared by tenant files, the plans file and stack config: one
 * compiled validator per schema, and ajv's errors turned into one readable rule per field. A
 * schema node may carry its own wording in `rule` (`{value}` stands for the offending value),
 * which then replaces ajv's message for that node.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { fieldPath, type Problem } from "./problems";
import { DURATION_PATTERN, QUANTITY_PATTERN } from "../lib/quantity";

const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });

/** Compiles a schema (its `$id`, if any, stays with the published file only). */
export function compileSchema(schema: object): ValidateFunction {
  const { $id: _id, ...rest } = schema as Record<string, unknown>;
  return ajv.compile(rest);
}

/** The wording a schema node asks for, with its value filled in. */
function ownRule(schema: unknown, data: unknown): string | undefined {
  const rule = (schema as { rule?: unknown } | undefined)?.rule;
  return typeof rule === "string" ? rule.replace("{value}", JSON.stringify(data)) : undefined;
}

/**
 * ajv's errors as problems. `prefix` is put before every field path (stack config keys);
 * `pathOfField` formats a path (default: the tenant file form `a.b[1]`).
 */
export function schemaProblems(file: string, errors: ErrorObject[], pathOfField: (instancePath: string, extra?: string) => string = fieldPath): Problem[] {
  const problems: Problem[] = [];
  // A failed union reports each branch and then the union itself; keep only the union's message.
  const unionPaths = new Set(errors.filter((e) => e.keyword === "anyOf").map((e) => e.instancePath));
  // One problem per field: a node with its own rule says everything once, however many keywords failed.
  const ruled = new Set<string>();
  for (const e of errors) {
    if (unionPaths.has(e.instancePath) && e.keyword !== "anyOf") continue;
    const own = e.keyword === "required" || e.keyword === "additionalProperties" ? undefined : ownRule(e.parentSchema, e.data);
    if (own !== undefined) {
      if (!ruled.has(e.instancePath)) problems.push({ file, path: pathOfField(e.instancePath), rule: own });
      ruled.add(e.instancePath);
      continue;
    }
    const got = e.data === undefined ? "" : ` (got ${JSON.stringify(e.data)})`;
    switch (e.keyword) {
      case "additionalProperties": {
        const field = (e.params as { additionalProperty: string }).additionalProperty;
        const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
        problems.push({ file, path: pathOfField(e.instancePath, field), rule: `unknown field; known fields: ${known.join(", ")}` });
        break;
      }
      case "required":
        problems.push({ file, path: pathOfField(e.instancePath, (e.params as { missingProperty: string }).missingProperty), rule: "required field is missing" });
        break;
      case "pattern":
        problems.push({ file, path: pathOfField(e.instancePath), rule: patternRule(e.schema as string) + got });
        break;
      case "anyOf": {
        const branches = e.schema as { const?: unknown; description?: string }[];
        const consts = branches.map((b) => b.const);
        const rule = consts.every((c) => c !== undefined)
          ? `must be one of ${consts.map((c) => JSON.stringify(c)).join(", ")}`
          : `expected ${(e.parentSchema as { description?: string }).description ?? "a valid value"}`;
        problems.push({ file, path: pathOfField(e.instancePath), rule: rule + got });
        break;
      }
      case "uniqueItems": {
        const { i, j } = e.params as { i: number; j: number };
        problems.push({ file, path: pathOfField(e.instancePath, String(i)), rule: `duplicate of item ${j}${e.data ? ` (${JSON.stringify((e.data as unknown[])[i])})` : ""}` });
        break;
      }
      default:
        problems.push({ file, path: pathOfField(e.instancePath), rule: (e.message ?? e.keyword) + got });
    }
  }
  return problems;
}

function patternRule(pattern: string): string {
  if (pattern === QUANTITY_PATTERN) return 'must be a Kubernetes quantity such as "500m", "2", "1Gi"';
  if (pattern === DURATION_PATTERN) return 'must be a Go duration such as "72h" or "90m" (no "d": write 7 days as "168h")';
  if (pattern.includes("[-a-z0-9]")) return "must be a DNS label: lowercase letters, digits and '-', starting with a letter and not ending with '-'";
  return `must match ${pattern}`;
}
