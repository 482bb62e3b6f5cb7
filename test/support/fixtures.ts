/**
 * Test helpers: example inputs and one offline render of the example tenants. Only
 * {@link renderExamples} loads the engine (and Pulumi's runtime), when it is called: the unit tests
 * use the rest without it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import type { OfflineRun } from "../../engine/offline";
import type { RenderedManifest } from "../../engine/render";

export const REPO = path.resolve(__dirname, "../..");
export const PLANS_FILE = path.join(REPO, "plans/plans.yaml");
export const CELLS_FILE = path.join(REPO, "cells/cells.yaml");
export const EXAMPLES_DIR = path.join(REPO, "tenants");

/** A valid tenant document to derive bad ones from. */
export function goodTenant(slug = "acme"): Record<string, any> {
  return {
    slug,
    displayName: "Acme",
    plan: "pro",
    status: "active",
    access: { admins: [`${slug}:admins`], viewers: [`${slug}:viewers`] },
    organizations: [{ id: "netops" }, { id: "secops", sharesWith: ["netops"] }],
    collectors: [{ type: "flowgger", partition: "hq", replicas: 1 }],
  };
}

export const yamlOf = (doc: unknown) => `# yaml-language-server: $schema=../schema/tenant.schema.json\n${stringify(doc)}`;

/** Writes tenant files into a fresh temporary directory. */
export function tenantsDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-test-"));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** A directory in `parent` laid out like the repository: tenants/ (a copy of the examples), plans/, cells/, schema/, node_modules. */
export function repositoryCopy(parent: string): string {
  const root = fs.mkdtempSync(path.join(parent, "repo-"));
  fs.cpSync(EXAMPLES_DIR, path.join(root, "tenants"), { recursive: true });
  fs.cpSync(path.join(REPO, "plans"), path.join(root, "plans"), { recursive: true });
  fs.cpSync(path.join(REPO, "cells"), path.join(root, "cells"), { recursive: true });
  fs.cpSync(path.join(REPO, "schema"), path.join(root, "schema"), { recursive: true });
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(root, "node_modules"), "dir");
  return root;
}

export interface ExampleRender {
  run: OfflineRun;
  manifests: RenderedManifest[];
}

/** Evaluates the program over the example tenants (once per test file: the runtime is global). */
export async function renderExamples(options: { revealSecrets?: boolean } = {}): Promise<ExampleRender> {
  const [{ runOffline }, { renderManifests }] = await Promise.all([import("../../engine/offline"), import("../../engine/render")]);
  const run = await runOffline();
  return { run, manifests: renderManifests(run, options) };
}

export const ofKind = (manifests: RenderedManifest[], kind: string) => manifests.filter((m) => m.object.kind === kind).map((m) => m.object);

/** Every file under `dir`, by path relative to it (a render's output, for byte comparisons). */
export function readTree(dir: string): Map<string, Buffer>;
export function readTree(dir: string, encoding: "utf8"): Map<string, string>;
export function readTree(dir: string, encoding?: "utf8"): Map<string, Buffer | string> {
  const files = new Map<string, Buffer | string>();
  const walk = (current: string) => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(dir, full), encoding ? fs.readFileSync(full, encoding) : fs.readFileSync(full));
    }
  };
  walk(dir);
  return files;
}
