/**
 * The loader every entry point uses (the program, the render, the scaffold): reads the plans file
 * and every tenant file from disk and returns the resolved tenants, or throws one ValidationError
 * listing every problem (stack config problems included).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { cellLine, validateCells, type CellsModel } from "./cells";
import { cellHubRules, hubCapacityProblems } from "./hub-capacity";
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
  /** The cells file (cells/cells.yaml); none there means the fleet has no cells. */
  cellsFile?: string;
  /** Read only this cell's tenant files (a cell's stack). */
  cell?: string;
  /** Read no tenant file at all (the platform stack of a fleet with cells declares none). */
  skipTenants?: boolean;
  /** The stack's PostgreSQL (tenants' database levels need it); unset, the files are checked on their own (tools, tests). */
  database?: DatabaseOptions;
  /** Whose groups a file may grant and what the cluster offers (default: `<slug>:` groups, nothing offered). */
  tenantRules?: TenantRules;
}

/** What the loader found: the tenants (of `cell`, when given), the plans and the cells. */
export interface Loaded {
  tenants: TenantModel[];
  plans: Record<string, Plan>;
  cells?: CellsModel;
}

/** Reads the plans, the cells file and every tenant file (of one cell); throws a ValidationError listing every problem. */
export function loadTenants(options: LoadOptions, settingsProblems: Problem[] = []): Loaded {
  const rel = (p: string) => path.relative(options.relativeTo ?? process.cwd(), p) || p;
  // Stack config problems are reported with the files' problems, all at once.
  const problems: Problem[] = [...settingsProblems];
  const plans = validatePlans({ file: rel(options.plansFile), text: fs.readFileSync(options.plansFile, "utf8") }, problems, options.hub);
  const cells = options.cellsFile && fs.existsSync(options.cellsFile) ? validateCells({ file: rel(options.cellsFile), text: fs.readFileSync(options.cellsFile, "utf8") }, problems) : undefined;
  if (options.cell !== undefined && cells && !cells.cells.some((c) => c.name === options.cell)) {
    problems.push({ file: options.configSource ?? "stack config", path: "tenancy:cell", rule: `no cell "${options.cell}" in ${cells.file} (known: ${cells.cells.map((c) => c.name).join(", ")})` });
  }
  const sources: SourceFile[] = [];
  // A cell's stack: every other cell's files, held to the rules between files (fleet-index.ts) but not resolved.
  const others: SourceFile[] = [];
  const known = new Set(cells?.cells.map((c) => c.name));
  for (const entry of options.skipTenants ? [] : fs.readdirSync(options.tenantsDir).sort()) {
    const full = path.join(options.tenantsDir, entry);
    if (entry.endsWith(".yaml")) {
      const source = { file: rel(full), text: fs.readFileSync(full, "utf8") };
      if (options.cell === undefined || !cells) {
        sources.push(source);
        continue;
      }
      // A cell's stack validates its own files only, picked by their `cell:` line without parsing
      // the fleet (validation then checks the parsed file agrees). A file naming a cell the cells
      // file does not know is no cell's: the default cell reads it, and refuses it.
      const named = cellLine(source.text) ?? cells.defaultCell;
      const cell = known.has(named) ? named : cells.defaultCell;
      (cell === options.cell ? sources : others).push(source);
    } else if (entry.endsWith(".yml") || entry.endsWith(".json")) {
      problems.push({ file: rel(full), path: "", rule: "tenant files are named <slug>.yaml" });
    }
  }
  const tenants = validateTenants(sources, plans, problems, { edge: options.edge, hub: options.hub, database: options.database, tenantRules: options.tenantRules, cells, cell: options.cell }, others);
  if (options.hub) {
    const rules = cells && options.cell !== undefined ? cellHubRules(options.hub, cells.cells.length) : options.hub;
    problems.push(...hubCapacityProblems(tenants, rules, options.configSource ?? "stack config", cells && options.cell !== undefined ? `cell ${options.cell}'s share (1/${cells.cells.length}) of ` : ""));
  }
  // A bad plans file is always among the problems.
  if (problems.length > 0 || plans === undefined) throw new ValidationError(problems);
  return { tenants, plans, ...(cells ? { cells } : {}) };
}
