/**
 * The plans file: its schema, and that every plan works for a tenant with only its root namespace
 * (tenants with organizations or an edge are checked against their plan on their own).
 */
import type { ValidateFunction } from "ajv";
import { ceilingsBelowPlan } from "./ceilings";
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
    const limits = mergeLimits(plan, undefined);
    for (const p of limitProblems(limits, 1, {}, hub)) {
      problems.push({ file: source.file, path: pathOf(["plans", name, ...p.path]), rule: p.rule });
    }
    for (const p of ceilingsBelowPlan(limits, plan.ceilings)) {
      problems.push({ file: source.file, path: pathOf(["plans", name, "ceilings", ...p.path]), rule: p.rule });
    }
    plan.kubernetes.admission.priorityClasses.forEach((cls, i) => {
      if (cls.startsWith("system-")) {
        problems.push({
          file: source.file,
          path: pathOf(["plans", name, "kubernetes", "admission", "priorityClasses", String(i)]),
          rule: `"${cls}" is a Kubernetes system class: its pods preempt every tenant's and the hub's`,
        });
      }
    });
  }
  return problems.length === before ? plans : undefined;
}
