/**
 * The tenant scaffold behind `npm run new-tenant`: builds a tenant file from a few options, writes
 * it and validates the whole tenants directory with the repository's own loader (model/load.ts),
 * so a scaffolded file is refused for exactly the reasons `npm run render` and `pulumi up` would
 * refuse it. Nothing is left behind when it is refused.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { loadTenants } from "../model/load";

export interface ScaffoldOptions {
  slug: string;
  plan: string;
  displayName?: string;
  /** Identity-provider groups; default `<slug>:admins`. */
  admins?: string[];
  viewers?: string[];
  /** Organization ids (one namespace each). */
  organizations?: string[];
  /** `type:partition[:replicas]`, e.g. `flowgger:hq:2`. */
  collectors?: string[];
  /** The tenants directory (default `tenants`, relative to `relativeTo`). */
  dir: string;
  plansFile: string;
  /** The cells file (cells/cells.yaml): a tenant's `cell:` must be one of its cells. */
  cellsFile?: string;
  /** The tenant JSON Schema the file's first line points editors at. */
  schemaFile: string;
  /** Replace an existing file of the same name. */
  force?: boolean;
  /** Base for file names in messages (default: the current directory), as the loader uses it. */
  relativeTo?: string;
}

/** Refusals that come before the loader is asked (bad arguments, an existing file). */
export class ScaffoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScaffoldError";
  }
}

/**
 * `type:partition[:replicas]` → a collector entry. Only the shape is checked here; whether the type
 * exists, the partition is a DNS label and the replica count is in range is the schema's to say.
 */
export function parseCollector(spec: string): { type: string; partition: string; replicas?: number | string } {
  const parts = spec.split(":");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === "")) {
    throw new ScaffoldError(`--collector ${JSON.stringify(spec)}: expected type:partition[:replicas], e.g. flowgger:hq:2`);
  }
  const [type, partition, replicas] = parts;
  if (replicas === undefined) return { type, partition };
  // A number when it reads as one; otherwise the text, for the schema to refuse with its own words.
  return { type, partition, replicas: /^-?[0-9]+$/.test(replicas) ? Number(replicas) : replicas };
}

/** "acme-corp" → "Acme Corp": a readable default until someone writes the real name. */
export function displayNameFor(slug: string): string {
  return slug
    .split("-")
    .filter(Boolean)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join(" ");
}

/** The tenant document the options describe, in the key order of the examples in tenants/. */
export function tenantDocument(options: Omit<ScaffoldOptions, "dir" | "plansFile" | "cellsFile" | "schemaFile">): Record<string, unknown> {
  const access: Record<string, string[]> = { admins: options.admins?.length ? options.admins : [`${options.slug}:admins`] };
  if (options.viewers?.length) access.viewers = options.viewers;
  return {
    slug: options.slug,
    displayName: options.displayName ?? displayNameFor(options.slug),
    plan: options.plan,
    status: "active",
    access,
    ...(options.organizations?.length ? { organizations: options.organizations.map((id) => ({ id })) } : {}),
    ...(options.collectors?.length ? { collectors: options.collectors.map(parseCollector) } : {}),
  };
}

/** The file text: the schema reference editors read, then the document. */
export function tenantFileText(document: Record<string, unknown>, schemaReference: string): string {
  return `# yaml-language-server: $schema=${schemaReference}\n${stringify(document, { lineWidth: 0 })}`;
}

/**
 * Writes `<dir>/<slug>.yaml` and validates the whole directory with `loadTenants` (schema, plan,
 * slug rules, collisions with every other tenant). Throws ScaffoldError when the file exists (and
 * `force` is not set) and the loader's ValidationError when anything is invalid; in both cases the
 * directory is as it was before (a replaced file gets its old content back).
 */
export function scaffoldTenant(options: ScaffoldOptions): { file: string; text: string } {
  const base = options.relativeTo ?? process.cwd();
  const dir = path.resolve(base, options.dir);
  // The slug becomes a file name before the loader sees it: keep it inside the directory. (Whether
  // it is a valid slug is the schema's rule, reported by the loader below.)
  if (!options.slug || options.slug !== path.basename(options.slug) || options.slug.startsWith(".")) {
    throw new ScaffoldError(`slug ${JSON.stringify(options.slug)} cannot be a file name in ${options.dir}`);
  }
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new ScaffoldError(`${options.dir} is not a directory`);
  const file = path.join(dir, `${options.slug}.yaml`);
  const schemaReference = path.relative(dir, path.resolve(base, options.schemaFile)).split(path.sep).join("/");
  const text = tenantFileText(tenantDocument(options), schemaReference);

  const previous = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
  if (previous !== undefined && !options.force) {
    throw new ScaffoldError(`${path.relative(base, file) || file} already exists; pass --force to replace it`);
  }
  // "wx" refuses a file that appeared since the check above.
  fs.writeFileSync(file, text, { flag: previous === undefined ? "wx" : "w" });
  let valid = false;
  try {
    loadTenants({ tenantsDir: dir, plansFile: path.resolve(base, options.plansFile), cellsFile: path.resolve(base, options.cellsFile ?? "cells/cells.yaml"), relativeTo: base });
    valid = true;
  } finally {
    if (!valid) {
      if (previous === undefined) fs.rmSync(file, { force: true });
      else fs.writeFileSync(file, previous);
    }
  }
  return { file, text };
}
