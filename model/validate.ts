/**
 * Reads every tenant file and the plans, and reports every problem at once — each naming the file,
 * the field path and the rule — or returns the resolved tenants. Nothing is declared unless all
 * files are good.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { LineCounter, parseDocument } from "yaml";
import { limitProblems, mergeLimits } from "./limits";
import type { OrganizationModel, TenantModel } from "./model";
import { EDGE_SUFFIX, RESERVED_SLUGS, derivedNames } from "./names";
import { edgeQuotaNeeds } from "../plan/edge";
import { EDGE_KUBECONFIG_PREFIX, type EdgeSettings } from "../config/settings";
import { DURATION_PATTERN, QUANTITY_PATTERN } from "../lib/quantity";
import { PlansFileSchema, buildTenantSchema, type Plan, type PlansFile, type TenantFile } from "./schema";

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

export interface SourceFile {
  /** Path used in messages (relative to the repository, e.g. `tenants/acme.yaml`). */
  file: string;
  text: string;
}

const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
let plansValidator: ValidateFunction | undefined;
const tenantValidators = new Map<string, ValidateFunction>();

/** Parses YAML; syntax errors and duplicate keys become problems with their line. */
function parseYaml(source: SourceFile, problems: Problem[]): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, { uniqueKeys: true, prettyErrors: false, lineCounter });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const line = lineCounter.linePos(e.pos[0]).line;
      problems.push({ file: source.file, path: "", rule: `YAML${line ? ` line ${line}` : ""}: ${e.message.split("\n")[0]}` });
    }
    return undefined;
  }
  return doc.toJS();
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

/** Turns ajv's errors into one readable rule per field. */
function schemaProblems(file: string, errors: ErrorObject[]): Problem[] {
  const problems: Problem[] = [];
  // A failed union reports each branch and then the union itself; keep only the union's message.
  const unionPaths = new Set(errors.filter((e) => e.keyword === "anyOf").map((e) => e.instancePath));
  for (const e of errors) {
    if (unionPaths.has(e.instancePath) && e.keyword !== "anyOf") continue;
    const got = e.data === undefined ? "" : ` (got ${JSON.stringify(e.data)})`;
    switch (e.keyword) {
      case "additionalProperties": {
        const field = (e.params as { additionalProperty: string }).additionalProperty;
        const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
        problems.push({ file, path: fieldPath(e.instancePath, field), rule: `unknown field; known fields: ${known.join(", ")}` });
        break;
      }
      case "required":
        problems.push({ file, path: fieldPath(e.instancePath, (e.params as { missingProperty: string }).missingProperty), rule: "required field is missing" });
        break;
      case "pattern":
        problems.push({ file, path: fieldPath(e.instancePath), rule: patternRule(e.schema as string) + got });
        break;
      case "anyOf": {
        const branches = (e.schema as { const?: unknown; description?: string }[]);
        const consts = branches.map((b) => b.const);
        const rule = consts.every((c) => c !== undefined)
          ? `must be one of ${consts.map((c) => JSON.stringify(c)).join(", ")}`
          : `expected ${(e.parentSchema as { description?: string }).description ?? "a valid value"}`;
        problems.push({ file, path: fieldPath(e.instancePath), rule: rule + got });
        break;
      }
      case "uniqueItems": {
        const { i, j } = e.params as { i: number; j: number };
        problems.push({ file, path: fieldPath(e.instancePath, String(i)), rule: `duplicate of item ${j}${e.data ? ` (${JSON.stringify((e.data as unknown[])[i])})` : ""}` });
        break;
      }
      default:
        problems.push({ file, path: fieldPath(e.instancePath), rule: (e.message ?? e.keyword) + got });
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

/** Validates the plans file; returns the plans by name, or undefined when the file is bad. */
export function validatePlans(source: SourceFile, problems: Problem[]): Record<string, Plan> | undefined {
  const before = problems.length;
  const data = parseYaml(source, problems);
  if (data === undefined) return undefined;
  plansValidator ??= ajv.compile({ ...PlansFileSchema, $id: undefined });
  if (!plansValidator(data)) {
    problems.push(...schemaProblems(source.file, plansValidator.errors ?? []));
    return undefined;
  }
  const plans = (data as PlansFile).plans;
  for (const [name, plan] of Object.entries(plans)) {
    // A plan must work for a tenant with just its root namespace; tenants with organizations are checked on their own.
    for (const p of limitProblems(mergeLimits(plan, undefined), 1)) {
      problems.push({ file: source.file, path: pathOf(["plans", name, ...p.path]), rule: p.rule });
    }
  }
  return problems.length === before ? plans : undefined;
}

/**
 * Validates all tenant files against the plans and each other. Returns the resolved tenants, sorted
 * by slug, when there is no problem at all. With `plans` undefined (the plans file is bad) the
 * files are still checked for everything that does not depend on a plan.
 */
/** What tenant files may refer to in the stack's edge settings. */
export type EdgeOptions = Pick<EdgeSettings, "clusters" | "publicHubLeafUrl" | "serviceType"> & Partial<Pick<EdgeSettings, "edgeClusterPodCidrs">>;

export function validateTenants(sources: SourceFile[], plans: Record<string, Plan> | undefined, problems: Problem[], edgeOptions?: EdgeOptions): TenantModel[] {
  const planNames = Object.keys(plans ?? {}).sort();
  const key = planNames.join(",");
  let validate = tenantValidators.get(key);
  if (!validate) {
    // One validator per set of plan names; the $id stays with the published file only.
    const { $id: _id, ...schema } = buildTenantSchema(planNames.length > 0 ? planNames : undefined);
    validate = ajv.compile(schema);
    tenantValidators.set(key, validate);
  }
  const before = problems.length;
  const tenants: TenantModel[] = [];
  const namesSeen = new Map<string, string>(); // derived name → "file (what)"
  const clustersSeen = new Map<string, string>(); // edge cluster → file of the tenant it serves
  for (const source of [...sources].sort((a, b) => a.file.localeCompare(b.file))) {
    const fileProblems: Problem[] = [];
    const data = parseYaml(source, fileProblems);
    if (data !== undefined) {
      if (!validate(data)) fileProblems.push(...schemaProblems(source.file, validate.errors ?? []));
      else {
        const tenant = resolveTenant(source.file, data as TenantFile, plans, fileProblems, edgeOptions);
        if (tenant && fileProblems.length === 0) {
          for (const { what, name, org } of derivedNames(tenant.slug, tenant.organizations.map((o) => o.id))) {
            const owner = namesSeen.get(name);
            const at = org === undefined ? "slug" : `organizations[${tenant.organizations.findIndex((o) => o.id === org)}].id`;
            if (owner) fileProblems.push({ file: source.file, path: at, rule: `${what} "${name}" collides with ${owner}` });
            else namesSeen.set(name, `${what} of ${source.file}`);
          }
          // An edge cluster is one customer's: another tenant's keys, creds and bundles there would
          // be readable by that customer's administrators.
          if (tenant.edge.cluster !== undefined) {
            const owner = clustersSeen.get(tenant.edge.cluster);
            if (owner) fileProblems.push({ file: source.file, path: "edge.cluster", rule: `edge cluster "${tenant.edge.cluster}" already serves ${owner}; an edge cluster serves one tenant` });
            else clustersSeen.set(tenant.edge.cluster, source.file);
          }
          tenants.push(tenant);
        }
      }
    }
    problems.push(...fileProblems);
  }
  return problems.length === before ? tenants.sort((a, b) => a.slug.localeCompare(b.slug)) : [];
}

function resolveTenant(file: string, t: TenantFile, plans: Record<string, Plan> | undefined, problems: Problem[], edgeOptions?: EdgeOptions): TenantModel | undefined {
  const expectedSlug = path.basename(file).replace(/\.yaml$/, "");
  if (t.slug !== expectedSlug) problems.push({ file, path: "slug", rule: `must equal the file name "${expectedSlug}" (got "${t.slug}")` });
  if (RESERVED_SLUGS.has(t.slug)) problems.push({ file, path: "slug", rule: `"${t.slug}" is reserved` });
  if (t.slug.includes("-org-")) problems.push({ file, path: "slug", rule: `must not contain "-org-", which separates organization namespaces` });
  if (t.slug.endsWith(EDGE_SUFFIX)) problems.push({ file, path: "slug", rule: `must not end in "${EDGE_SUFFIX}", which names edge namespaces` });
  if (t.edge?.cluster !== undefined) {
    const edge = edgeOptions ?? { clusters: [], publicHubLeafUrl: undefined, serviceType: "ClusterIP" };
    if (!edge.clusters.includes(t.edge.cluster)) {
      problems.push({
        file,
        path: "edge.cluster",
        rule: `no edge cluster "${t.edge.cluster}" in the stack: set its kubeconfig with \`pulumi config set --secret tenancy:${EDGE_KUBECONFIG_PREFIX}${t.edge.cluster} …\` (known: ${edge.clusters.join(", ") || "none"})`,
      });
    }
    if (!edge.edgeClusterPodCidrs?.[t.edge.cluster]) {
      problems.push({ file, path: "edge.cluster", rule: `set the pod network of edge cluster "${t.edge.cluster}" in tenancy:edgeClusterPodCidrs (e.g. {"${t.edge.cluster}": ["10.42.0.0/16"]}): no pod there may count as a device` });
    }
    if (edge.publicHubLeafUrl === undefined) {
      problems.push({ file, path: "edge.cluster", rule: "an edge outside the platform cluster needs the hub's public address: set tenancy:natsHubPublicDnsNames or tenancy:edgePublicHubLeafUrl" });
    }
    if ((t.collectors ?? []).length === 0) problems.push({ file, path: "edge.cluster", rule: "names an edge cluster but the tenant lists no collectors" });
  }
  if (t.access.admins.length === 0) problems.push({ file, path: "access.admins", rule: "at least one admin group is required" });

  const orgs = t.organizations ?? [];
  const ids = new Map<string, number>();
  orgs.forEach((org, i) => {
    if (ids.has(org.id)) problems.push({ file, path: `organizations[${i}].id`, rule: `duplicate "${org.id}" (also organizations[${ids.get(org.id)}])` });
    else ids.set(org.id, i);
  });
  const shares = new Map<string, Set<string>>(orgs.map((o) => [o.id, new Set<string>()]));
  orgs.forEach((org, i) => {
    (org.sharesWith ?? []).forEach((other, j) => {
      const at = `organizations[${i}].sharesWith[${j}]`;
      if (other === org.id) problems.push({ file, path: at, rule: `an organization cannot share with itself` });
      else if (!ids.has(other)) problems.push({ file, path: at, rule: `no organization "${other}" in this tenant (known: ${[...ids.keys()].join(", ") || "none"})` });
      else {
        shares.get(org.id)!.add(other);
        shares.get(other)!.add(org.id);
      }
    });
  });

  for (const { what, name } of derivedNames(t.slug, orgs.map((o) => o.id))) {
    if (name.length > 63) {
      const orgIndex = orgs.findIndex((o) => name.endsWith(`-org-${o.id}`));
      problems.push({
        file,
        path: orgIndex >= 0 ? `organizations[${orgIndex}].id` : "slug",
        rule: `${what} "${name}" is ${name.length} characters; Kubernetes allows 63`,
      });
    }
  }

  const collectors = t.collectors ?? [];
  const seen = new Map<string, number>();
  collectors.forEach((c, i) => {
    const key = `${c.type}/${c.partition}`;
    if (seen.has(key)) problems.push({ file, path: `collectors[${i}]`, rule: `duplicate ${c.type} collector for partition "${c.partition}" (also collectors[${seen.get(key)}])` });
    else seen.set(key, i);
  });

  if (!plans) return undefined;
  const plan = plans[t.plan];
  if (!plan) {
    problems.push({ file, path: "plan", rule: `unknown plan "${t.plan}" (known: ${Object.keys(plans).sort().join(", ")})` });
    return undefined;
  }
  const limits = mergeLimits(plan, t.overrides);
  const collectorsOf = t.collectors ?? [];
  // The edge's needs come out of the tenant's quota only when the edge runs in the platform cluster.
  const serviceType = edgeOptions?.serviceType ?? "ClusterIP";
  const reserved = t.edge?.cluster === undefined ? edgeQuotaNeeds(collectorsOf, limits, serviceType) : {};
  for (const p of limitProblems(limits, 1 + orgs.length, reserved)) {
    // Blame what the tenant changed, if it changed any of the values involved; else its plan.
    const involved = [p.path, ...(p.related ?? [])];
    const overridden = involved.find((segments) => getPath(t.overrides, segments) !== undefined);
    if (overridden) problems.push({ file, path: pathOf(["overrides", ...overridden]), rule: p.rule });
    else problems.push({ file, path: "plan", rule: `${pathOf(p.path)}: ${p.rule} (plan "${t.plan}"; override it at ${pathOf(["overrides", ...p.path])})` });
  }
  const organizations: OrganizationModel[] = orgs.map((o) => ({
    id: o.id,
    displayName: o.displayName ?? o.id,
    sharesWith: [...shares.get(o.id)!].sort(),
    admins: o.access?.admins ?? [],
    viewers: o.access?.viewers ?? [],
  }));
  return {
    file,
    slug: t.slug,
    displayName: t.displayName,
    plan: t.plan,
    status: t.status,
    admins: t.access.admins,
    viewers: t.access.viewers ?? [],
    organizations,
    collectors: collectors.map((c) => ({ type: c.type, partition: c.partition, replicas: c.replicas ?? 1 })),
    limits,
    certificates: { rotation: t.certificates?.rotation ?? 0, caRotation: t.certificates?.caRotation ?? 0 },
    credentialsRotation: t.credentials?.rotation ?? 0,
    edge: { ...(t.edge?.cluster !== undefined ? { cluster: t.edge.cluster } : {}), serviceType },
  };
}

function getPath(obj: unknown, segments: string[]): unknown {
  let cur = obj;
  for (const segment of segments) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[segment];
  }
  return cur;
}

export interface LoadOptions {
  /** Directory with tenants/<slug>.yaml. */
  tenantsDir: string;
  plansFile: string;
  /** Base for the file names in messages (default: the current directory). */
  relativeTo?: string;
  /** The stack's edge clusters and public hub address (tenants' `edge.cluster` refers to them). */
  edge?: EdgeOptions;
}

/** Reads the plans and every tenant file; throws a ValidationError listing every problem. */
export function loadTenants(options: LoadOptions, settingsProblems: Problem[] = []): { tenants: TenantModel[]; plans: Record<string, Plan> } {
  const rel = (p: string) => path.relative(options.relativeTo ?? process.cwd(), p) || p;
  // Stack config problems are reported with the files' problems, all at once.
  const problems: Problem[] = [...settingsProblems];
  const plans = validatePlans({ file: rel(options.plansFile), text: fs.readFileSync(options.plansFile, "utf8") }, problems);
  const sources: SourceFile[] = [];
  for (const entry of fs.readdirSync(options.tenantsDir).sort()) {
    const full = path.join(options.tenantsDir, entry);
    if (entry.endsWith(".yaml")) sources.push({ file: rel(full), text: fs.readFileSync(full, "utf8") });
    else if (entry.endsWith(".yml") || entry.endsWith(".json")) {
      problems.push({ file: rel(full), path: "", rule: "tenant files are named <slug>.yaml" });
    }
  }
  const tenants = validateTenants(sources, plans, problems, options.edge);
  if (problems.length > 0) throw new ValidationError(problems);
  return { tenants, plans: plans! };
}
