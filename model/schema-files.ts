/** The JSON Schema files editors use, generated from model/schema.ts (plan names from plans/plans.yaml). */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CellsFileSchema, PlansFileSchema, buildTenantSchema } from "./schema";

export function schemaFiles(repoRoot: string): Record<string, string> {
  const plans = parse(fs.readFileSync(path.join(repoRoot, "plans/plans.yaml"), "utf8")) as { plans: Record<string, unknown> };
  const planNames = Object.keys(plans.plans).sort();
  const asJson = (schema: object) =>
    JSON.stringify({ $schema: "http://json-schema.org/draft-07/schema#", ...schema }, null, 2) + "\n";
  return {
    [path.join(repoRoot, "schema/tenant.schema.json")]: asJson(buildTenantSchema(planNames)),
    [path.join(repoRoot, "schema/plans.schema.json")]: asJson(PlansFileSchema),
    [path.join(repoRoot, "schema/cells.schema.json")]: asJson(CellsFileSchema),
  };
}
