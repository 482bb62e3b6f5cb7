/**
 * A render's manifests as the diff reads them: the files under `manifests/`, and the tenant each
 * object belongs to (its own label, else its namespace's), so that changes are counted per tenant.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { LABELS } from "../../model/names";

/**
 * Every file under `<renderDir>/manifests`, keyed `manifests/<namespace>/<file>`, and the accounts
 * pushed to the hub, `hub/accounts/<slug>.yaml` (renders before the full resolver have none).
 */
export function readManifests(renderDir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(renderDir, full).split(path.sep).join("/"), fs.readFileSync(full, "utf8"));
    }
  };
  const manifests = path.join(renderDir, "manifests");
  if (!fs.existsSync(manifests)) throw new Error(`${manifests} was not written by the render`);
  walk(manifests);
  const hub = path.join(renderDir, "hub");
  if (fs.existsSync(hub)) walk(hub);
  return files;
}

/** The bucket for objects that belong to no tenant (platform namespace, hub configuration). */
export const PLATFORM = "(platform)";

function parseManifest(text: string): Record<string, any> | undefined {
  try {
    const doc = parseYaml(text);
    return doc && typeof doc === "object" ? doc : undefined;
  } catch {
    return undefined;
  }
}

/** Namespace name → tenant, from the rendered Namespace objects' tenant label. */
export function namespaceTenants(trees: Map<string, string>[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const tree of trees) {
    for (const [file, text] of tree) {
      if (!file.startsWith("manifests/_cluster/namespace-")) continue;
      const object = parseManifest(text);
      const tenant = object?.metadata?.labels?.[LABELS.tenant];
      if (object?.metadata?.name && typeof tenant === "string") owners.set(object.metadata.name, tenant);
    }
  }
  return owners;
}

/** The tenant of one rendered object: its tenant label, else its namespace's, else PLATFORM. */
export function tenantOfManifest(text: string, namespaces: Map<string, string>): string {
  const object = parseManifest(text);
  const label = object?.metadata?.labels?.[LABELS.tenant] ?? object?.tenant;
  if (typeof label === "string") return label;
  const namespace = object?.metadata?.namespace;
  return (typeof namespace === "string" && namespaces.get(namespace)) || PLATFORM;
}
