/**
 * The loader every entry point uses (the program, the render, the scaffold): reads the plans file
 * and every tenant file from disk and returns the resolved tenants, or throws one ValidationError
 * listing every problem (stack config problems included).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { hubCapacityProblems } from "./hub-capacity";
import type { HubRules } from "./limits";
import type { DatabaseOptions, EdgeOptions, TenantModel, TenantRules } from "./model";
import { validatePlans } from "./plans";
import { ValidationError, type Problem } from "./problems";
import type { Plan } from "./schema";
import { validateTenants } from "./tenants";
import type { SourceFile } from "./yaml";

export interface LoadOptions {
  /** Directory with tenants/<slug>.yaml. */
  tenantsDir: string;
  plansFile: string;
  /** Base for the file names in messages (default: the current directory). */
  relativeTo?: string;
  /** The stack's edge clusters and public hub address (tenants' `edge.cluster` refers to them). */
  edge?: EdgeOptions;
  /** What the stack's hub allows (replicas, unlimited values) and holds (connections, storage). */
  hub?: HubRules;
  /** How stack config is named in problems (config/validate.ts CONFIG_SOURCE). */
  configSource?: string;
  /** The stack's PostgreSQL (tenants' database levels need it); unset, the files are checked on their own (tools, tests). */
  database?: DatabaseOptions;
  /** Whose groups a file may grant and what the cluster offers (default: `<slug>:` groups, nothing offered). */
  tenantRules?: TenantRules;
}

/** Reads the plans and every tenant file; throws a ValidationError listing every problem. */
export function loadTenants(options: LoadOptions, settingsProblems: Problem[] = []): { tenants: TenantModel[]; plans: Record<string, Plan> } {
  const rel = (p: string) => path.relative(options.relativeTo ?? process.cwd(), p) || p;
  // Stack config problems are reported with the files' problems, all at once.
  const problems: Problem[] = [...settingsProblems];
  const plans = validatePlans({ file: rel(options.plansFile), text: fs.readFileSync(options.plansFile, "utf8") }, problems, options.hub);
  const sources: SourceFile[] = [];
  for (const entry of fs.readdirSync(options.tenantsDir).sort()) {
    const full = path.join(options.tenantsDir, entry);
    if (entry.endsWith(".yaml")) sources.push({ file: rel(full), text: fs.readFileSync(full, "utf8") });
    else if (entry.endsWith(".yml") || entry.endsWith(".json")) {
      problems.push({ file: rel(full), path: "", rule: "tenant files are named <slug>.yaml" });
    }
  }
  const tenants = validateTenants(sources, plans, problems, { edge: options.edge, hub: options.hub, database: options.database, tenantRules: options.tenantRules });
  if (options.hub) problems.push(...hubCapacityProblems(tenants, options.hub, options.configSource ?? "stack config"));
  // A bad plans file is always among the problems.
  if (problems.length > 0 || plans === undefined) throw new ValidationError(problems);
  return { tenants, plans };
}
