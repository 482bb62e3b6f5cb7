/**
 * The plans file: its schema, and that every plan works for a tenant with only its root namespace
 * (tenants with organizations or an edge are checked against their plan on their own).
 */
import type { ValidateFunction } from "ajv";
import { DEFAULT_HUB_RULES, limitProblems, mergeLimits, type HubRules } from "./limits";
import { pathOf, type Problem } from "./problems";
import { PlansFileSchema, type Plan, type PlansFile } from "./schema";
import { compileSchema, schemaProblems } from "./schema-check";
import { parseYaml, type SourceFile } from "./yaml";

let plansValidator: ValidateFunction | undefined;

/** Validates the plans file; returns the plans by name, or undefined when the file is bad. */
export function validatePlans(source: SourceFile, problems: Problem[], hub: HubRules = DEFAULT_HUB_RULES): Record<string, Plan> | undefined {
  const before = problems.length;
  const data = parseYaml(source, problems);
  if (data === undefined) return undefined;
  plansValidator ??= compileSchema(PlansFileSchema);
  if (!plansValidator(data)) {
    problems.push(...schemaProblems(source.file, plansValidator.errors ?? []));
    return undefined;
  }
  const plans = (data as PlansFile).plans;
  for (const [name, plan] of Object.entries(plans)) {
    for (const p of limitProblems(mergeLimits(plan, undefined), 1, {}, hub)) {
      problems.push({ file: source.file, path: pathOf(["plans", name, ...p.path]), rule: p.rule });
    }
  }
  return problems.length === before ? plans : undefined;
}
