/**
 * Tenant files → validated tenants: each file against the tenant schema and its plan, every
 * derived name checked for length and collisions across files, overrides merged into limits. Every
 * problem of every file is collected; nothing resolves unless all files are good.
 */
import * as path from "node:path";
import type { ValidateFunction } from "ajv";
import { ceilingProblems } from "./ceilings";
import { edgeQuotaNeeds } from "./edge-footprint";
import { cellOf } from "./cells";
import { DEFAULT_GROUP_PREFIX, GroupPrefixes, groupRule } from "./groups";
import { derivedNamesAt, fleetFiles } from "./fleet-index";
import { NO_CLUSTER_OFFER, connectionCapProblems, hubConnectionCaps, limitProblems, mergeLimits } from "./limits";
import type { DatabaseOptions, OrganizationModel, SiteModel, StackRules, TenantModel, TenantRules } from "./model";
import { tenantQuota } from "./quota-share";
import { EDGE_KUBECONFIG_PREFIX, EDGE_SUFFIX, IN_CLUSTER_LOCATION, POSTGRES_IDENTIFIER_BYTES, POSTGRES_UNQUOTED_IDENTIFIER, RESERVED_SLUGS, derivedNames, type DerivedName } from "./names";
import { pathOf, type Problem } from "./problems";
import { buildTenantSchema, type Plan, type TenantFile } from "./schema";
import { compileSchema, schemaProblems } from "./schema-check";
import { parseYaml, type SourceFile } from "./yaml";

const tenantValidators = new Map<string, ValidateFunction>();
/** Files in the order problems are reported (localeCompare's, with one collator for the fleet's thousands of comparisons). */
const byFile = new Intl.Collator();

/**
 * Validates all tenant files against the plans and each other. Returns the resolved tenants, sorted
 * by slug, when there is no problem at all. With `plans` undefined (the plans file is bad) the
 * files are still checked for everything that does not depend on a plan.
 *
 * `others` are the rest of the fleet (a cell's stack: every other cell's files): not validated or
 * resolved here, but held to the rules between files with these (fleet-index.ts), so two tenants
 * of different cells can no more collide than two of one. A collision is reported, as between two
 * files of one stack, on the later file naming the earlier, whenever one of the two is in `sources`:
 * both cells' stacks then refuse it with the same problem.
 */
export function validateTenants(sources: SourceFile[], plans: Record<string, Plan> | undefined, problems: Problem[], rules: StackRules = {}, others: readonly SourceFile[] = []): TenantModel[] {
  const planNames = Object.keys(plans ?? {}).sort();
  const key = planNames.join(",");
  let validate = tenantValidators.get(key);
  if (!validate) {
    // One validator per set of plan names.
    validate = compileSchema(buildTenantSchema(planNames.length > 0 ? planNames : undefined));
    tenantValidators.set(key, validate);
  }
  const before = problems.length;
  // Every tenant's slug, from its file name: a group of one of them is never another's to grant.
  const groupPrefixes = new GroupPrefixes((rules.tenantRules ?? { groupPrefix: DEFAULT_GROUP_PREFIX }).groupPrefix, [...sources, ...others].map((s) => slugOfFile(s.file)));
  const own = [...sources].sort((a, b) => byFile.compare(a.file, b.file)).map((source) => {
    const fileProblems: Problem[] = [];
    const data = parseYaml(source, fileProblems);
    let tenant: TenantModel | undefined;
    if (data !== undefined) {
      if (!validate(data)) fileProblems.push(...schemaProblems(source.file, validate.errors ?? []));
      else tenant = resolveTenant(source.file, data as TenantFile, plans, fileProblems, rules, groupPrefixes);
    }
    // Only a tenant with no problem of its own is held to the rules between files.
    return { file: source.file, fileProblems, tenant: fileProblems.length === 0 ? tenant : undefined };
  });
  const ownNames = new Map(own.flatMap((o) => (o.tenant ? [[o.file, derivedNamesAt(o.tenant.slug, o.tenant.organizations.map((org, index) => ({ id: org.id, index })))] as const] : [])));
  const fleet = fleetFiles(others, slugOfFile, { ownNames: [...ownNames.values()].flatMap((names) => names.map((d) => d.name)), edgeClusters: rules.edge?.clusters ?? [] });

  /** Who took a name or an edge cluster first: `own` when it is one of `sources`. */
  interface Taken { label: string; file: string; own: boolean }
  const namesSeen = new Map<string, Taken>(); // derived name → its first holder
  // The platform's own names on the PostgreSQL server are taken before any tenant's (another
  // cell's file that takes one is that cell's to refuse). The admin role may differ per cell
  // stack, so stack config also refuses any platform name of a tenant's shape (tenant_…,
  // config/validate.ts): another cell's tenant can never be this cell's admin.
  for (const { what, name } of rules.database?.reservedNames ?? []) namesSeen.set(name, { label: `the stack's ${what}`, file: "", own: false });
  const clustersSeen = new Map<string, Taken>(); // edge cluster → file of the tenant it serves
  const entries = [
    ...own.map((o) => ({ file: o.file, own: true, fileProblems: o.fileProblems, names: ownNames.get(o.file), edgeCluster: o.tenant?.edge.cluster, tenant: o.tenant })),
    ...fleet.map((f) => ({ file: f.file, own: false, fileProblems: [] as Problem[], names: f.names, edgeCluster: f.edgeCluster, tenant: undefined })),
  ].sort((a, b) => byFile.compare(a.file, b.file));
  const tenants: TenantModel[] = [];
  for (const entry of entries) {
    const { file, fileProblems } = entry;
    // A problem between two files is this stack's when either file is one of its own.
    const clash = (owner: Taken | undefined) => owner !== undefined && owner.file !== file && (entry.own || owner.own);
    for (const { what, name, at } of entry.names ?? []) {
      const owner = namesSeen.get(name);
      if (clash(owner)) fileProblems.push({ file, path: at, rule: `${what} "${name}" collides with ${owner!.label}` });
      else if (!owner) namesSeen.set(name, { label: `${what} of ${file}`, file, own: entry.own });
    }
    // An edge cluster is one customer's: another tenant's keys, creds and bundles there would
    // be readable by that customer's administrators.
    if (entry.edgeCluster !== undefined) {
      const owner = clustersSeen.get(entry.edgeCluster);
      if (clash(owner)) fileProblems.push({ file, path: "edge.cluster", rule: `edge cluster "${entry.edgeCluster}" already serves ${owner!.file}; an edge cluster serves one tenant` });
      else if (!owner) clustersSeen.set(entry.edgeCluster, { label: file, file, own: entry.own });
    }
    if (entry.tenant && fileProblems.length === 0) tenants.push(entry.tenant);
    problems.push(...fileProblems);
  }
  return problems.length === before ? tenants.sort((a, b) => a.slug.localeCompare(b.slug)) : [];
}

const slugOfFile = (file: string) => path.basename(file).replace(/\.yaml$/, "");

function resolveTenant(file: string, t: TenantFile, plans: Record<string, Plan> | undefined, problems: Problem[], rules: StackRules, groupPrefixes: GroupPrefixes): TenantModel | undefined {
  const edgeOptions = rules.edge;
  const databaseOptions: DatabaseOptions | undefined = rules.database;
  const tenantRules: TenantRules = rules.tenantRules ?? { groupPrefix: DEFAULT_GROUP_PREFIX, offer: NO_CLUSTER_OFFER };
  const expectedSlug = slugOfFile(file);
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
  problems.push(...cellProblems(file, t.cell, t.movedFrom, rules));
  const grants: [string, string[] | undefined][] = [
    ["access.admins", t.access.admins],
    ["access.viewers", t.access.viewers],
    ...(t.organizations ?? []).flatMap((o, i): [string, string[] | undefined][] => [
      [`organizations[${i}].access.admins`, o.access?.admins],
      [`organizations[${i}].access.viewers`, o.access?.viewers],
    ]),
  ];
  for (const [at, groups] of grants) {
    (groups ?? []).forEach((group, i) => {
      const rule = groupRule(group, t.slug, groupPrefixes);
      if (rule) problems.push({ file, path: `${at}[${i}]`, rule });
    });
  }

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

  for (const derived of derivedNames(t.slug, orgs.map((o) => o.id))) {
    const orgIndex = orgs.findIndex((o) => o.id === derived.org);
    for (const rule of derivedNameProblems(derived)) problems.push({ file, path: orgIndex >= 0 ? `organizations[${orgIndex}].id` : "slug", rule });
  }

  const collectors = t.collectors ?? [];
  const seen = new Map<string, number>();
  collectors.forEach((c, i) => {
    const key = `${c.type}/${c.partition}`;
    if (seen.has(key)) problems.push({ file, path: `collectors[${i}]`, rule: `duplicate ${c.type} collector for partition "${c.partition}" (also collectors[${seen.get(key)}])` });
    else seen.set(key, i);
    // The in-cluster edge is a location of its own (its leaf's certificate is leaf.edge.<slug>).
    if (c.partition === IN_CLUSTER_LOCATION) problems.push({ file, path: `collectors[${i}].partition`, rule: `"${IN_CLUSTER_LOCATION}" is reserved for the in-cluster edge; name the site otherwise` });
    if (c.syslogFormat !== undefined && c.type !== "flowgger") problems.push({ file, path: `collectors[${i}].syslogFormat`, rule: `only a flowgger collector reads syslog (this one is ${c.type})` });
    if (c.otlpClientCertificates !== undefined && c.type !== "otel") problems.push({ file, path: `collectors[${i}].otlpClientCertificates`, rule: `only an otel collector serves OTLP (this one is ${c.type})` });
  });
  const partitions = [...new Set(collectors.map((c) => c.partition))].sort();
  for (const site of Object.keys(t.edge?.sites ?? {}).sort()) {
    if (!partitions.includes(site)) problems.push({ file, path: `edge.sites.${site}`, rule: `no collector has partition "${site}" (sites: ${partitions.join(", ") || "none"})` });
  }
  const sites: SiteModel[] = partitions.map((name) => ({ name, revoked: t.edge?.sites?.[name]?.revoked ?? false, generation: t.edge?.sites?.[name]?.generation ?? 0 }));

  if (!plans) return undefined;
  const plan = plans[t.plan];
  if (!plan) {
    problems.push({ file, path: "plan", rule: `unknown plan "${t.plan}" (known: ${Object.keys(plans).sort().join(", ")})` });
    return undefined;
  }
  for (const p of ceilingProblems(t.overrides, plan.ceilings, t.plan, plan)) problems.push({ file, path: pathOf(["overrides", ...p.path]), rule: p.rule });
  const limits = mergeLimits(plan, t.overrides);
  const collectorsOf = t.collectors ?? [];
  // The edge's needs come out of the tenant's quota only when the edge runs in the platform cluster.
  const serviceType = edgeOptions?.serviceType ?? "ClusterIP";
  const pullSecret = edgeOptions?.imagePullSecret !== undefined;
  const reserved = t.edge?.cluster === undefined ? edgeQuotaNeeds(collectorsOf, limits, { serviceType, revokedSites: sites.filter((s) => s.revoked).map((s) => s.name), pullSecret }) : {};
  const caps = plans ? hubConnectionCaps(plans) : undefined;
  for (const p of [...limitProblems(limits, 1 + orgs.length, reserved, rules.hub, tenantRules.offer), ...(caps ? connectionCapProblems(limits, caps) : [])]) {
    // Blame what the tenant changed, if it changed any of the values involved; else its plan.
    const involved = [p.path, ...(p.related ?? [])];
    const overridden = involved.find((segments) => getPath(t.overrides, segments) !== undefined);
    if (overridden) problems.push({ file, path: pathOf(["overrides", ...overridden]), rule: p.rule });
    else problems.push({ file, path: "plan", rule: `${pathOf(p.path)}: ${p.rule} (plan "${t.plan}"; override it at ${pathOf(["overrides", ...p.path])})` });
  }
  problems.push(...databaseProblems(file, t, limits.database, databaseOptions));
  // Every leaf node holds one leaf connection on the hub: the in-cluster edge's and each site's.
  const leafNodes = collectorsOf.length === 0 ? 0 : 1 + sites.filter((s) => !s.revoked).length;
  const leafLimit = limits.nats.leafNodeConnections;
  if (leafNodes > 0 && leafLimit >= 0 && leafLimit < leafNodes) {
    const rule = `${leafLimit} leaf node connection(s) cannot hold the in-cluster edge's leaf and ${leafNodes - 1} site(s) (${sites.filter((s) => !s.revoked).map((s) => s.name).join(", ")}): ${leafNodes} needed`;
    if (t.overrides?.nats?.leafNodeConnections !== undefined) problems.push({ file, path: "overrides.nats.leafNodeConnections", rule });
    else problems.push({ file, path: "plan", rule: `nats.leafNodeConnections: ${rule} (plan "${t.plan}"; override it at overrides.nats.leafNodeConnections)` });
  }
  // nats-server (2.9.10, accounts.go MaxTotalConnectionsReached) counts leaf connections in the
  // account's `conn` too: it must hold every leaf and the platform's reader and manager, or a
  // site connecting could lock the platform out of the tenant.
  const connLimit = limits.nats.connections;
  const needed = leafNodes + 2;
  if (connLimit >= 0 && connLimit < needed) {
    const rule = `${connLimit} connection(s) cannot hold ${leafNodes} leaf node(s) (nats-server counts them in conn) and the platform's reader and manager: ${needed} needed`;
    if (t.overrides?.nats?.connections !== undefined) problems.push({ file, path: "overrides.nats.connections", rule });
    else problems.push({ file, path: "plan", rule: `nats.connections: ${rule} (plan "${t.plan}"; override it at overrides.nats.connections)` });
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
    collectors: collectors.map((c) => ({
      type: c.type,
      partition: c.partition,
      replicas: c.replicas ?? 1,
      // What devices send (most network gear: BSD syslog), not flowgger's own default (rfc5424).
      ...(c.type === "flowgger" ? { syslogFormat: c.syslogFormat ?? "rfc3164" } : {}),
      ...(c.type === "otel" ? { otlpClientCertificates: c.otlpClientCertificates ?? true } : {}),
    })),
    limits,
    quota: tenantQuota(limits.kubernetes, tenantRules.offer),
    certificates: { rotation: t.certificates?.rotation ?? 0, caRotation: t.certificates?.caRotation ?? 0 },
    credentialsRotation: t.credentials?.rotation ?? 0,
    edge: { ...(t.edge?.cluster !== undefined ? { cluster: t.edge.cluster } : {}), serviceType, sites, pullSecret },
    ...(rules.cells ? { cell: cellOf(rules.cells, t.cell) } : {}),
    ...(t.movedFrom !== undefined ? { movedFrom: t.movedFrom } : {}),
    ...(t.database?.moveFrom !== undefined ? { databaseMoveFrom: t.database.moveFrom } : {}),
  };
}

/** Why a derived name breaks its system's rules: Kubernetes' DNS-1123 label length, PostgreSQL's identifiers. */
export function derivedNameProblems({ what, name, system }: DerivedName): string[] {
  if (system === "kubernetes") return name.length > 63 ? [`${what} "${name}" is ${name.length} characters; Kubernetes allows 63`] : [];
  const problems: string[] = [];
  const bytes = Buffer.byteLength(name);
  // PostgreSQL would truncate it with a NOTICE, and the provider would then not find what it created.
  if (bytes > POSTGRES_IDENTIFIER_BYTES) problems.push(`${what} "${name}" is ${bytes} bytes; PostgreSQL allows ${POSTGRES_IDENTIFIER_BYTES}`);
  if (!POSTGRES_UNQUOTED_IDENTIFIER.test(name)) problems.push(`${what} "${name}" is not a lower-case PostgreSQL identifier (a letter or _, then letters, digits, _ or $)`);
  // PostgreSQL reserves the prefix for its own roles and schemas and refuses to create them.
  if (name.startsWith("pg_")) problems.push(`${what} "${name}" starts with "pg_", which PostgreSQL reserves`);
  return problems;
}

/**
 * A tenant's database level against the stack: schema and database levels need a PostgreSQL in
 * the stack config, its connection limit must leave the platform its reserve, and a move names
 * the level the tenant leaves. Blamed on the override when the tenant set the value, else on the plan.
 */
function databaseProblems(file: string, t: TenantFile, database: Plan["database"], options: DatabaseOptions | undefined): Problem[] {
  const problems: Problem[] = [];
  const blame = (key: keyof Plan["database"], rule: string): Problem =>
    t.overrides?.database?.[key] !== undefined
      ? { file, path: `overrides.database.${key}`, rule }
      : { file, path: "plan", rule: `database.${key}: ${rule} (plan "${t.plan}"; override it at overrides.database.${key})` };
  const provisioned = database.isolation !== "attribute";
  if (options && provisioned && !options.configured) {
    problems.push(blame("isolation", `${database.isolation} isolation needs the platform's PostgreSQL, and the stack configures none: set tenancy:postgresHost (docs/database.md)`));
  }
  if (options && provisioned && options.configured && database.connectionLimit > options.maxTenantConnections) {
    problems.push(
      blame(
        "connectionLimit",
        `${database.connectionLimit} connections would leave the platform less than its reserve: at most ${options.maxTenantConnections} (tenancy:postgresMaxConnections less tenancy:postgresReservedConnections)`,
      ),
    );
  }
  const moveFrom = t.database?.moveFrom;
  if (moveFrom !== undefined && moveFrom === database.isolation) {
    problems.push({ file, path: "database.moveFrom", rule: `the tenant is at ${moveFrom} isolation already (plan "${t.plan}"${t.overrides?.database?.isolation ? ", overridden" : ""}): moveFrom names the level it leaves` });
  }
  return problems;
}

function getPath(obj: unknown, segments: string[]): unknown {
  let cur = obj;
  for (const segment of segments) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[segment];
  }
  return cur;
}

/**
 * A tenant's cell must be one the cells file lists; read for one cell's stack, the file must be that
 * cell's as parsed (the stack picked it by its `cell:` line, `cellLine`).
 */
function cellProblems(file: string, named: string | undefined, movedFrom: string | undefined, rules: StackRules): Problem[] {
  const cells = rules.cells;
  if (!cells) {
    const none = (path: string, what: string) => ({ file, path, rule: `${what} but the stack has no cells file (cells/cells.yaml)` });
    return [...(named !== undefined ? [none("cell", `names cell "${named}"`)] : []), ...(movedFrom !== undefined ? [none("movedFrom", `names cell "${movedFrom}"`)] : [])];
  }
  if (movedFrom !== undefined && movedFrom === cellOf(cells, named)) return [{ file, path: "movedFrom", rule: `is the tenant's own cell "${movedFrom}": a move is from another cell` }];
  if (movedFrom !== undefined && !cells.cells.some((c) => c.name === movedFrom)) return [{ file, path: "movedFrom", rule: `no cell "${movedFrom}" in ${cells.file}` }];
  const cell = cellOf(cells, named);
  if (!cells.cells.some((c) => c.name === cell)) return [{ file, path: "cell", rule: `no cell "${cell}" in ${cells.file} (known: ${cells.cells.map((c) => c.name).join(", ")})` }];
  if (rules.cell !== undefined && cell !== rules.cell) return [{ file, path: "cell", rule: `is cell "${cell}"'s, yet was read as cell "${rules.cell}"'s: write the cell as one top-level line \`cell: ${cell}\`` }];
  return [];
}
