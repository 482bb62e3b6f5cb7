/**
 * The tenant isolation invariants as pure functions over plain Kubernetes objects, so they are
 * tested without the policy engine. policies.ts turns the engine's resources into these objects
 * (`toObject`) and reports what the checks return.
 *
 * Self-contained on purpose: the pack runs in its own directory with its own dependencies, so it
 * imports nothing from the program (lib/); the tests check that the names below match lib/.
 */
import { X509Certificate, createPrivateKey, createPublicKey, verify as verifySignature } from "node:crypto";

export const LABELS = {
  tenant: "tenancy.serviceradar.io/tenant",
  role: "tenancy.serviceradar.io/namespace-role",
  natsUser: "tenancy.serviceradar.io/nats-user",
  component: "app.kubernetes.io/component",
  /** Set by the API server on every namespace (Kubernetes ≥ 1.21) to its name; nobody can forge it. */
  namespaceName: "kubernetes.io/metadata.name",
} as const;

export const PSA_MODES = ["enforce", "warn", "audit"] as const;
export const PSA_LEVEL = "restricted";
export const DEFAULT_DENY = "default-deny";
export const DEFAULT_PLATFORM_NAMESPACE = "platform";
export const CREDS_KEY = "nats.creds";
export const COLLECTOR_TYPES = ["flowgger", "trapd", "netflow", "otel"] as const;
/** Component labels of Secrets that belong in the tenant's own namespaces (what runs at its edge). */
export const TENANT_SIDE_COMPONENTS = [...COLLECTOR_TYPES, "leaf", "onboarding-bundle"] as const;
export const NATS_CREDENTIALS_COMPONENT = "nats-credentials";
/** NATS users whose creds the tenant's own workloads hold. */
export const TENANT_SIDE_NATS_USERS = ["collector", "leaf"] as const;
/** NATS users whose creds only the platform holds (the EventWriter's reader, NACK's manager). */
export const PLATFORM_SIDE_NATS_USERS = ["reader", "manager"] as const;
/** Groups every tenant's identities belong to: binding one cluster-wide binds every tenant. */
export const EVERYONE_GROUPS = ["system:authenticated", "system:unauthenticated", "system:serviceaccounts"] as const;
export const tenantAccountName = (slug: string) => `TENANT_${slug}`;

// ---------------------------------------------------------------------------------------------
// The object model
// ---------------------------------------------------------------------------------------------

export interface K8sObject {
  /** Identity for reporting: the Pulumi URN (or any unique string in tests). */
  urn: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels: Record<string, string> };
  spec?: any;
  /** Secret: base64 values; ConfigMap: plain values. */
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  binaryData?: Record<string, string>;
  type?: string;
  roleRef?: { kind?: string; name?: string; apiGroup?: string };
  subjects?: { kind?: string; name?: string; namespace?: string; apiGroup?: string }[];
  aggregationRule?: unknown;
}

export interface Violation {
  /** The offending resource. */
  urn: string;
  message: string;
}

/** The serialized form of a Pulumi secret (`rpc.specialSigKey` / `rpc.specialSecretSig`). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/**
 * A secret's plain value. The policy engine already presents secrets unwrapped; this also accepts
 * the wire form `{ [SIG_KEY]: SECRET_SIG, value }` (and a policy `Secret`'s `{ value }` is never
 * produced for validations), so a value is read the same whichever way it arrives.
 */
export function reveal(v: unknown): unknown {
  let current = v;
  while (current !== null && typeof current === "object" && (current as Record<string, unknown>)[SIG_KEY] === SECRET_SIG) {
    current = (current as Record<string, unknown>).value;
  }
  return current;
}

/**
 * A deep plain copy. Every property is read through the engine's proxy, so an unknown value
 * (preview) throws the engine's UnknownValueError here, at one place, for the caller to handle.
 */
export function plain(v: unknown): any {
  const value = reveal(v);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(plain(value[i]));
    return out;
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = plain((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** `kubernetes:core/v1:Secret` → `Secret`; undefined for anything that is not a Kubernetes object. */
export function k8sKind(type: string): string | undefined {
  const m = /^kubernetes:([^:]+):([A-Za-z0-9]+)$/.exec(type);
  if (!m || m[1].startsWith("helm.sh") || m[1] === "yaml" || m[1].startsWith("yaml/") || m[1].startsWith("kustomize")) return undefined;
  return m[2];
}

export type ObjectField = "spec" | "data" | "stringData" | "binaryData" | "type" | "roleRef" | "subjects" | "aggregationRule";
const ALL_FIELDS: ObjectField[] = ["spec", "data", "stringData", "binaryData", "type", "roleRef", "subjects", "aggregationRule"];

/**
 * The plain object a check sees, from a resource's type and properties (inputs or outputs).
 * Only `metadata.{name,namespace,labels}` and the requested fields are read: an unknown value
 * elsewhere (a Secret's data during preview) does not keep a check that needs only labels from running.
 */
export function toObject(type: string, urn: string, props: Record<string, any>, fields: readonly ObjectField[] = ALL_FIELDS): K8sObject | undefined {
  const kind = k8sKind(type);
  if (!kind) return undefined;
  const metadata = reveal(props.metadata) as Record<string, unknown> | undefined;
  const labels = metadata ? plain(metadata.labels) : undefined;
  const obj: K8sObject = {
    urn,
    kind,
    metadata: {
      name: metadata ? String(plain(metadata.name) ?? "") : "",
      namespace: metadata && plain(metadata.namespace) ? String(plain(metadata.namespace)) : undefined,
      labels: labels && typeof labels === "object" ? (labels as Record<string, string>) : {},
    },
  };
  for (const field of fields) {
    if (props[field] !== undefined) (obj as unknown as Record<string, unknown>)[field] = plain(props[field]);
  }
  return obj;
}

/** `Kind namespace/name` (or `Kind name` for cluster-scoped kinds), for messages. */
export function describe(o: K8sObject): string {
  return o.metadata.namespace ? `${o.kind} ${o.metadata.namespace}/${o.metadata.name}` : `${o.kind} ${o.metadata.name}`;
}

/** Namespaced objects without a namespace land in `default`. */
export const namespaceOf = (o: K8sObject) => o.metadata.namespace ?? "default";

/** Objects of one kind by the namespace they are in. */
export function byNamespace(objects: readonly K8sObject[], kind: string): Map<string, K8sObject[]> {
  const map = new Map<string, K8sObject[]>();
  for (const o of objects) {
    if (o.kind !== kind) continue;
    const ns = namespaceOf(o);
    if (!map.has(ns)) map.set(ns, []);
    map.get(ns)!.push(o);
  }
  return map;
}

/** The stack's Namespace objects by name, and which tenant each belongs to. */
export class NamespaceIndex {
  readonly byName = new Map<string, K8sObject>();
  constructor(objects: readonly K8sObject[]) {
    for (const o of objects) if (o.kind === "Namespace") this.byName.set(o.metadata.name, o);
  }
  /** The tenant a namespace of this stack belongs to, by its label (never by its name). */
  tenantOf(name: string): string | undefined {
    return this.byName.get(name)?.metadata.labels[LABELS.tenant];
  }
  tenantNamespaces(): K8sObject[] {
    return [...this.byName.values()].filter((ns) => ns.metadata.labels[LABELS.tenant] !== undefined);
  }
  /** A namespace's labels as selectors see them: declared ones plus the one the API server sets. */
  labelsOf(name: string): Record<string, string> {
    return { ...(this.byName.get(name)?.metadata.labels ?? {}), [LABELS.namespaceName]: name };
  }
}

// ---------------------------------------------------------------------------------------------
// Label selectors (Kubernetes semantics)
// ---------------------------------------------------------------------------------------------

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** True for a selector with no requirement at all: it selects everything. */
export function isEmptySelector(sel: LabelSelector | undefined | null): boolean {
  if (!sel) return true;
  return Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}

export function selectorMatches(sel: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case "In":
        if (!has || !values.includes(labels[e.key])) return false;
        break;
      case "NotIn":
        if (has && values.includes(labels[e.key])) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        // The API server refuses unknown operators; never treat one as matching nothing.
        return false;
    }
  }
  return true;
}

/** The finite set of values a selector allows for `key` (matchLabels, `In`), if it pins one. */
export function pinnedValues(sel: LabelSelector, key: string): Set<string> | undefined {
  let pinned: Set<string> | undefined;
  const narrow = (values: string[]) => {
    pinned = pinned ? new Set(values.filter((v) => pinned!.has(v))) : new Set(values);
  };
  const label = sel.matchLabels?.[key];
  if (label !== undefined) narrow([label]);
  for (const e of sel.matchExpressions ?? []) if (e.key === key && e.operator === "In") narrow(e.values ?? []);
  return pinned;
}

// ---------------------------------------------------------------------------------------------
// 1. Pod Security Admission labels and the default-deny policy
// ---------------------------------------------------------------------------------------------

/** Problems with a tenant namespace's Pod Security Admission labels (none for other namespaces). */
export function podSecurityProblems(ns: K8sObject): string[] {
  if (ns.kind !== "Namespace" || ns.metadata.labels[LABELS.tenant] === undefined) return [];
  const problems: string[] = [];
  for (const mode of PSA_MODES) {
    const key = `pod-security.kubernetes.io/${mode}`;
    const value = ns.metadata.labels[key];
    if (value !== PSA_LEVEL) {
      problems.push(
        `${describe(ns)} (tenant "${ns.metadata.labels[LABELS.tenant]}"): label ${key} is ${value === undefined ? "missing" : JSON.stringify(value)}; ` +
          `tenant namespaces must enforce, warn and audit Pod Security "${PSA_LEVEL}"`,
      );
    }
  }
  return problems;
}

/** Why a NetworkPolicy is not a default deny of every pod in both directions (empty: it is one). */
export function defaultDenyProblems(np: K8sObject): string[] {
  const spec = np.spec ?? {};
  const problems: string[] = [];
  if (!isEmptySelector(spec.podSelector)) problems.push("its podSelector must be {} (every pod)");
  const types = new Set<string>(spec.policyTypes ?? []);
  if (!(types.size === 2 && types.has("Ingress") && types.has("Egress"))) {
    problems.push(`its policyTypes must be [Ingress, Egress], not ${JSON.stringify(spec.policyTypes ?? [])}`);
  }
  if ((spec.ingress ?? []).length > 0) problems.push("it must have no ingress rules");
  if ((spec.egress ?? []).length > 0) problems.push("it must have no egress rules");
  return problems;
}

export function checkDefaultDeny(objects: readonly K8sObject[]): Violation[] {
  const index = new NamespaceIndex(objects);
  const policies = byNamespace(objects, "NetworkPolicy");
  const violations: Violation[] = [];
  for (const ns of index.tenantNamespaces()) {
    const name = ns.metadata.name;
    const denies = (policies.get(name) ?? []).filter((o) => o.metadata.name === DEFAULT_DENY);
    if (denies.length === 0) {
      violations.push({
        urn: ns.urn,
        message: `${describe(ns)} (tenant "${ns.metadata.labels[LABELS.tenant]}") has no NetworkPolicy "${DEFAULT_DENY}": every tenant namespace must isolate all its pods for ingress and egress`,
      });
    }
    for (const np of denies) {
      const problems = defaultDenyProblems(np);
      if (problems.length > 0) {
        violations.push({ urn: np.urn, message: `${describe(np)} is not a default deny: ${problems.join("; ")} (every tenant namespace must isolate all its pods for ingress and egress)` });
      }
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------
// 2. NetworkPolicy peers
// ---------------------------------------------------------------------------------------------

interface PeerSite {
  direction: "ingress" | "egress";
  ruleIndex: number;
  rule: any;
  peerIndex: number;
  peer: any;
  /** e.g. `ingress[0].from[1]`. */
  path: string;
}

/** Every peer of every rule, with where it is. */
export function peersOf(np: K8sObject): PeerSite[] {
  const sites: PeerSite[] = [];
  for (const direction of ["ingress", "egress"] as const) {
    const rules: any[] = np.spec?.[direction] ?? [];
    const field = direction === "ingress" ? "from" : "to";
    rules.forEach((rule, ruleIndex) => {
      ((rule?.[field] ?? []) as any[]).forEach((peer, peerIndex) =>
        sites.push({ direction, ruleIndex, rule, peerIndex, peer, path: `${direction}[${ruleIndex}].${field}[${peerIndex}]` }),
      );
    });
  }
  return sites;
}

/** Peers with a `namespaceSelector` that has no requirement (`{}`): every namespace of the cluster. */
export function emptyNamespaceSelectorProblems(np: K8sObject): string[] {
  if (np.kind !== "NetworkPolicy") return [];
  return peersOf(np)
    .filter((s) => s.peer && s.peer.namespaceSelector !== undefined && s.peer.namespaceSelector !== null && isEmptySelector(s.peer.namespaceSelector))
    .map(
      (s) =>
        `${describe(np)}: ${s.path} has an empty namespaceSelector (no matchLabels or matchExpressions), which selects every namespace — every tenant's included; ` +
        `name the namespaces with ${LABELS.namespaceName}`,
    );
}

/**
 * Peers of NetworkPolicies in tenant namespaces that could reach beyond their tenant. Namespace
 * selectors are resolved against the stack's Namespace objects and their labels. A tenant
 * namespace's peers may be: its own pods (podSelector only), ipBlocks (not namespaces), namespaces
 * of the same tenant, and — as egress to selected pods on listed ports only (DNS, the NATS hub) —
 * namespaces that belong to no tenant. A rule without peers admits everything and is refused.
 */
export function checkCrossTenantPeers(objects: readonly K8sObject[]): Violation[] {
  const index = new NamespaceIndex(objects);
  const violations: Violation[] = [];
  for (const np of objects) {
    if (np.kind !== "NetworkPolicy") continue;
    const own = index.tenantOf(namespaceOf(np));
    if (own === undefined) continue; // not a tenant namespace: only the empty-selector rule applies
    const rule = `a tenant namespace's policies may select only namespaces of its own tenant ("${own}"), plus egress to selected pods on listed ports of non-tenant namespaces (DNS, the NATS hub)`;
    for (const direction of ["ingress", "egress"] as const) {
      const field = direction === "ingress" ? "from" : "to";
      ((np.spec?.[direction] ?? []) as any[]).forEach((r, i) => {
        if (((r?.[field] ?? []) as any[]).length === 0) {
          violations.push({
            urn: np.urn,
            message: `${describe(np)}: ${direction}[${i}] has no ${field} peers, so it admits every ${direction === "ingress" ? "source" : "destination"} — every other tenant's pods included; ${rule}`,
          });
        }
      });
    }
    for (const site of peersOf(np)) {
      const sel: LabelSelector | undefined = site.peer?.namespaceSelector ?? undefined;
      if (sel === undefined || site.peer?.ipBlock) continue; // own namespace's pods, or addresses
      const issues: string[] = [];
      if (isEmptySelector(sel)) {
        issues.push("its empty namespaceSelector selects every namespace");
      } else {
        const names = pinnedValues(sel, LABELS.namespaceName);
        const tenants = pinnedValues(sel, LABELS.tenant);
        if (names === undefined && !(tenants !== undefined && tenants.size === 1 && tenants.has(own))) {
          issues.push(`its namespaceSelector ${JSON.stringify(sel)} selects namespaces by labels any namespace may carry; name them with ${LABELS.namespaceName} (or pin ${LABELS.tenant} to "${own}")`);
        }
        const nonTenant: string[] = [];
        // A name-pinned selector can match only those names: no need to try every namespace.
        const candidates = names !== undefined ? [...names].filter((n) => index.byName.has(n)) : [...index.byName.keys()];
        for (const name of candidates) {
          if (!selectorMatches(sel, index.labelsOf(name))) continue;
          const tenant = index.tenantOf(name);
          if (tenant === undefined) nonTenant.push(name);
          else if (tenant !== own) issues.push(`it selects namespace ${name} of tenant "${tenant}"`);
        }
        for (const name of names ?? []) {
          if (index.byName.has(name)) continue;
          // Not declared in this stack, so its tenant cannot be known: only non-tenant names pass.
          if (name.startsWith("tenant-")) issues.push(`it selects namespace ${name}, which this stack does not declare, so its tenant cannot be checked`);
          else nonTenant.push(name);
        }
        if (nonTenant.length > 0) {
          const podSelected = site.peer?.podSelector !== undefined && !isEmptySelector(site.peer.podSelector);
          const ported = (site.rule?.ports ?? []).length > 0;
          if (site.direction !== "egress" || !podSelected || !ported) {
            issues.push(
              `it selects non-tenant namespace(s) ${nonTenant.sort().join(", ")}, allowed only as egress to selected pods (non-empty podSelector) on listed ports` +
                ` (this is ${site.direction}${podSelected ? "" : ", without a podSelector"}${ported ? "" : ", on every port"})`,
            );
          }
        }
      }
      if (issues.length > 0) violations.push({ urn: np.urn, message: `${describe(np)}: ${site.path}: ${issues.join("; ")}; ${rule}` });
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------
// 3. ResourceQuota and LimitRange
// ---------------------------------------------------------------------------------------------

export function checkQuotaAndLimits(objects: readonly K8sObject[]): Violation[] {
  const index = new NamespaceIndex(objects);
  const quotasByNs = byNamespace(objects, "ResourceQuota");
  const limitRangesByNs = byNamespace(objects, "LimitRange");
  const violations: Violation[] = [];
  for (const ns of index.tenantNamespaces()) {
    const name = ns.metadata.name;
    const tenant = ns.metadata.labels[LABELS.tenant];
    const quotas = quotasByNs.get(name) ?? [];
    const limitRanges = limitRangesByNs.get(name) ?? [];
    // A scoped quota counts only some pods (e.g. BestEffort); an empty one limits nothing.
    const effective = quotas.filter((q) => Object.keys(q.spec?.hard ?? {}).length > 0 && (q.spec?.scopes ?? []).length === 0 && !q.spec?.scopeSelector);
    if (effective.length === 0) {
      violations.push({
        urn: ns.urn,
        message:
          `${describe(ns)} (tenant "${tenant}") has no ResourceQuota with hard limits for every pod` +
          (quotas.length ? ` (${quotas.map(describe).join(", ")} is empty or scoped)` : "") +
          ": every tenant namespace must be bounded by a quota",
      });
    }
    const withContainerLimits = limitRanges.filter((l) => ((l.spec?.limits ?? []) as any[]).some((item) => item?.type === "Container"));
    if (withContainerLimits.length === 0) {
      violations.push({
        urn: ns.urn,
        message:
          `${describe(ns)} (tenant "${tenant}") has no LimitRange with Container limits` +
          (limitRanges.length ? ` (${limitRanges.map(describe).join(", ")} has none)` : "") +
          ": every tenant namespace must give containers default requests/limits and a maximum",
      });
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------
// 4. Cluster-scoped RBAC
// ---------------------------------------------------------------------------------------------

const subjectKey = (s: { kind?: string; name?: string; namespace?: string }) => `${s.kind}:${s.kind === "ServiceAccount" ? `${s.namespace ?? ""}/` : ""}${s.name}`;

/**
 * Tenants' rights must end at their own namespaces: no ClusterRoleBinding (or ClusterRole) for a
 * tenant, none that binds a subject a tenant's RoleBindings bind, a tenant namespace's service
 * accounts, or the groups every tenant belongs to; and tenant RoleBindings bind Roles, never
 * ClusterRoles (aggregation can widen a ClusterRole later, and the built-in admin/edit roles may
 * write NetworkPolicies).
 */
export function checkClusterRbac(objects: readonly K8sObject[]): Violation[] {
  const index = new NamespaceIndex(objects);
  const violations: Violation[] = [];
  const tenantSubjects = new Map<string, Set<string>>();
  for (const rb of objects) {
    if (rb.kind !== "RoleBinding") continue;
    const tenant = index.tenantOf(namespaceOf(rb)) ?? rb.metadata.labels[LABELS.tenant];
    if (tenant === undefined) continue;
    for (const s of rb.subjects ?? []) {
      const key = subjectKey({ ...s, namespace: s.namespace ?? namespaceOf(rb) });
      if (!tenantSubjects.has(key)) tenantSubjects.set(key, new Set());
      tenantSubjects.get(key)!.add(tenant);
    }
    if (rb.roleRef?.kind === "ClusterRole" && index.tenantOf(namespaceOf(rb)) !== undefined) {
      violations.push({
        urn: rb.urn,
        message: `${describe(rb)} binds ClusterRole ${rb.roleRef.name} in tenant "${tenant}"'s namespace: tenant RoleBindings must bind a Role of their namespace (a ClusterRole can be widened by aggregation, and the built-in ones may write NetworkPolicies)`,
      });
    }
  }
  const rule = "no cluster-scoped RBAC may grant anything to a tenant";
  for (const o of objects) {
    if (o.kind !== "ClusterRoleBinding" && o.kind !== "ClusterRole") continue;
    const labelled = o.metadata.labels[LABELS.tenant];
    if (labelled !== undefined) violations.push({ urn: o.urn, message: `${describe(o)} carries ${LABELS.tenant}="${labelled}": ${rule}` });
    if (o.kind !== "ClusterRoleBinding") continue;
    (o.subjects ?? []).forEach((s, i) => {
      const what = `${describe(o)}: subjects[${i}] (${s.kind} ${s.kind === "ServiceAccount" ? `${s.namespace}/` : ""}${s.name})`;
      const tenants = tenantSubjects.get(subjectKey(s));
      if (tenants) violations.push({ urn: o.urn, message: `${what} is bound by tenant ${[...tenants].sort().map((t) => `"${t}"`).join(", ")}'s RoleBindings: ${rule}` });
      else if (s.kind === "Group" && (EVERYONE_GROUPS as readonly string[]).includes(s.name ?? "")) violations.push({ urn: o.urn, message: `${what} contains every tenant's identities: ${rule}` });
      else if (s.kind === "Group" && s.name?.startsWith("system:serviceaccounts:") && index.tenantOf(s.name.slice("system:serviceaccounts:".length)) !== undefined)
        violations.push({ urn: o.urn, message: `${what} is the service accounts of tenant "${index.tenantOf(s.name.slice("system:serviceaccounts:".length))}": ${rule}` });
      else if (s.kind === "ServiceAccount" && index.tenantOf(s.namespace ?? "") !== undefined)
        violations.push({ urn: o.urn, message: `${what} is a service account of tenant "${index.tenantOf(s.namespace ?? "")}": ${rule}` });
    });
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------
// Secrets: values, PEM, NATS
// ---------------------------------------------------------------------------------------------

/** A Secret's or ConfigMap's values as text: `data` base64-decoded for Secrets, `stringData` winning as the API server does. */
export function valuesOf(o: K8sObject): Map<string, string> {
  const values = new Map<string, string>();
  const isSecret = o.kind === "Secret";
  for (const [k, v] of Object.entries(o.data ?? {})) {
    const value = reveal(v);
    if (typeof value === "string") values.set(k, isSecret ? Buffer.from(value, "base64").toString("utf8") : value);
  }
  for (const [k, v] of Object.entries(o.binaryData ?? {})) {
    const value = reveal(v);
    if (typeof value === "string") values.set(k, Buffer.from(value, "base64").toString("utf8"));
  }
  if (isSecret) {
    for (const [k, v] of Object.entries(o.stringData ?? {})) {
      const value = reveal(v);
      if (typeof value === "string") values.set(k, value);
    }
  }
  return values;
}

/** The keys a Secret or ConfigMap declares (without reading values, which may be unknown in preview). */
export function keysOf(o: K8sObject): string[] {
  return [...new Set([...Object.keys(o.data ?? {}), ...Object.keys(o.stringData ?? {}), ...Object.keys(o.binaryData ?? {})])];
}

export function pemBlocks(text: string): { label: string; pem: string }[] {
  const blocks: { label: string; pem: string }[] = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)) blocks.push({ label: m[1], pem: m[0] });
  return blocks;
}

const spkiOf = (key: ReturnType<typeof createPublicKey>) => key.export({ type: "spki", format: "der" }).toString("base64");

/** A parsed certificate: what the checks need of it. */
export interface CertInfo {
  ca: boolean;
  /** Public key, SPKI DER in base64: equal exactly when two certificates share a key. */
  spki: string;
  subject: string;
}

// The same CA certificates appear in many Secrets (every component's ca.crt): parse each PEM once.
const certCache = new Map<string, CertInfo | null>();

function parseCertificate(pem: string): CertInfo | undefined {
  if (!certCache.has(pem)) {
    if (certCache.size > 20_000) certCache.clear();
    let info: CertInfo | null = null;
    try {
      const cert = new X509Certificate(pem);
      info = { ca: cert.ca, spki: spkiOf(cert.publicKey), subject: cert.subject.replace(/\n/g, ", ") };
    } catch {
      info = null; // not a certificate after all
    }
    certCache.set(pem, info);
  }
  return certCache.get(pem) ?? undefined;
}

/** Every certificate in the text (PEM), parsed; unparseable blocks are skipped. */
export function certificatesIn(text: string): CertInfo[] {
  const certs: CertInfo[] = [];
  for (const b of pemBlocks(text)) {
    if (b.label !== "CERTIFICATE") continue;
    const info = parseCertificate(b.pem);
    if (info) certs.push(info);
  }
  return certs;
}

/** SPKIs (base64 DER) of the CA certificates in a Secret's or ConfigMap's values. */
export function caPublicKeysIn(o: K8sObject): Set<string> {
  const keys = new Set<string>();
  for (const value of valuesOf(o).values()) for (const c of certificatesIn(value)) if (c.ca) keys.add(c.spki);
  return keys;
}

const keyCache = new Map<string, string | null>();

/** The public key (SPKI, base64) of a PEM private key; undefined when it cannot be read. */
function privateKeySpki(pem: string): string | undefined {
  if (!keyCache.has(pem)) {
    if (keyCache.size > 20_000) keyCache.clear();
    let spki: string | null = null;
    try {
      spki = spkiOf(createPublicKey(createPrivateKey(pem)));
    } catch {
      spki = null;
    }
    keyCache.set(pem, spki);
  }
  return keyCache.get(pem) ?? undefined;
}

/** NATS operator (SO…) and account (SA…) seeds: keys that sign accounts or users. */
const NATS_SIGNING_SEED = /\bS[OA][A-Z2-7]{56}\b/;

/**
 * What signing key a Secret holds, if any: the private key of a CA certificate (found in the Secret
 * itself, or among `knownCaKeys` — the CA certificates declared anywhere in the stack), a private key
 * in `tls.key` next to a CA `tls.crt` that no other certificate in the Secret accounts for, or a
 * NATS operator/account seed.
 */
export function signingKeysIn(secret: K8sObject, knownCaKeys: ReadonlySet<string> = new Set()): string[] {
  const values = valuesOf(secret);
  const found: string[] = [];
  const certs: { key: string; cert: CertInfo }[] = [];
  for (const [k, value] of values) for (const cert of certificatesIn(value)) certs.push({ key: k, cert });
  const matchedToLeaf = new Set<string>();
  for (const [k, value] of values) {
    for (const b of pemBlocks(value)) {
      if (!b.label.includes("PRIVATE KEY")) continue;
      const spki = privateKeySpki(b.pem);
      if (spki === undefined) continue; // encrypted or malformed: judged by tls.crt below
      const own = certs.find((c) => c.cert.spki === spki);
      if (own?.cert.ca) found.push(`${k}: the private key of CA certificate "${own.cert.subject}" (${own.key})`);
      else if (!own && knownCaKeys.has(spki)) found.push(`${k}: the private key of a CA certificate declared elsewhere in the stack`);
      else if (own) matchedToLeaf.add(k);
    }
  }
  const tlsKey = values.get("tls.key");
  const tlsCrt = certificatesIn(values.get("tls.crt") ?? "")[0];
  if (tlsKey && tlsKey.trim() !== "" && tlsCrt?.ca && !matchedToLeaf.has("tls.key") && !found.some((f) => f.startsWith("tls.key:"))) {
    found.push(`tls.key next to CA certificate "${tlsCrt.subject}" in tls.crt`);
  }
  for (const [k, value] of values) {
    const seed = NATS_SIGNING_SEED.exec(value);
    if (seed) found.push(`${k}: a NATS ${seed[0][1] === "O" ? "operator" : "account"} seed`);
  }
  return found;
}

export function signingKeyProblems(secret: K8sObject, platformNamespace: string, knownCaKeys?: ReadonlySet<string>): string[] {
  if (secret.kind !== "Secret" || namespaceOf(secret) === platformNamespace) return [];
  return signingKeysIn(secret, knownCaKeys).map(
    (what) => `${describe(secret)} holds ${what}: CA keys and NATS signing keys may live only in the platform namespace "${platformNamespace}"`,
  );
}

/** Every CA certificate's public key (SPKI) in the stack's Secrets and ConfigMaps. */
export function stackCaPublicKeys(objects: readonly K8sObject[]): Set<string> {
  const keys = new Set<string>();
  for (const o of objects) if (o.kind === "Secret" || o.kind === "ConfigMap") for (const k of caPublicKeysIn(o)) keys.add(k);
  return keys;
}

export function checkSigningKeysAcrossStack(objects: readonly K8sObject[], platformNamespace: string): Violation[] {
  const known = stackCaPublicKeys(objects);
  const violations: Violation[] = [];
  for (const o of objects) for (const message of signingKeyProblems(o, platformNamespace, known)) violations.push({ urn: o.urn, message });
  return violations;
}

// --- NATS JWTs ---

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, any>;
  signingInput: string;
  signature: Buffer;
}

export function decodeJwt(token: string): DecodedJwt {
  const parts = token.trim().split(".");
  if (parts.length !== 3) throw new Error(`expected 3 dot-separated parts, got ${parts.length}`);
  return {
    header: JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8")),
    claims: JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")),
    signingInput: `${parts[0]}.${parts[1]}`,
    signature: Buffer.from(parts[2], "base64url"),
  };
}

/** The user JWT of a creds file (the block between the BEGIN/END NATS USER JWT lines). */
export function credsUserJwt(creds: string): string | undefined {
  const m = /-{3,}BEGIN NATS USER JWT-{3,}\r?\n([\s\S]*?)\r?\n\s*-{3,}END NATS USER JWT-{3,}/.exec(creds);
  const token = m?.[1].trim();
  return token ? token : undefined;
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** The raw Ed25519 public key of an nkey public key (`A…` account, `U…` user), checksum verified. */
export function nkeyRawPublic(pub: string): Buffer | undefined {
  let bits = 0;
  let acc = 0;
  const bytes: number[] = [];
  for (const ch of pub) {
    const v = BASE32.indexOf(ch);
    if (v < 0) return undefined;
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bytes.push((acc >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  if (bytes.length !== 35) return undefined;
  const body = bytes.slice(0, 33);
  const crc = bytes[33] | (bytes[34] << 8);
  if (crc16(body) !== crc) return undefined;
  return Buffer.from(body.slice(1));
}

function crc16(data: number[]): number {
  // CRC-16/XMODEM, as nkeys uses.
  let crc = 0;
  for (const b of data) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** True when the JWT is signed (ed25519-nkey) by the key `issuerPub`. */
export function jwtSignedBy(jwt: DecodedJwt, issuerPub: string): boolean {
  const raw = nkeyRawPublic(issuerPub);
  if (!raw || jwt.header.alg !== "ed25519-nkey") return false;
  try {
    const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
    return verifySignature(null, Buffer.from(jwt.signingInput), key, jwt.signature);
  } catch {
    return false;
  }
}

/** Subjects a tenant user may be allowed: its tenant's prefix, its inboxes, its account's JetStream API/acks/flow control. */
export function subjectWithinTenant(entry: string, slug: string): boolean {
  // A subscribe permission may carry a queue group after a space.
  const subject = entry.trim().split(/\s+/)[0] ?? "";
  const within = (prefix: string) => subject.startsWith(prefix) && subject.length > prefix.length;
  return within(`${slug}.`) || within("_INBOX.") || within("_INBOX_EDGE.") || within("$JS.API.") || within("$JS.ACK.") || within("$JS.FC.");
}

/** Problems with a creds Secret of a tenant user (none for other Secrets). */
export function natsCredsProblems(secret: K8sObject): string[] {
  if (secret.kind !== "Secret" || !keysOf(secret).includes(CREDS_KEY)) return [];
  const slug = secret.metadata.labels[LABELS.tenant];
  if (slug === undefined) return []; // not a tenant's user (placement is checked with the namespaces)
  const where = `${describe(secret)} (tenant "${slug}")`;
  const rule = `a tenant's NATS users may only be allowed "${slug}.…", "_INBOX.…", "_INBOX_EDGE.…" and their account's "$JS.API/ACK/FC.…" subjects`;
  const creds = valuesOf(secret).get(CREDS_KEY) ?? "";
  const token = credsUserJwt(creds);
  if (!token) return [`${where}: ${CREDS_KEY} holds no NATS user JWT; ${rule}`];
  let claims: Record<string, any>;
  try {
    claims = decodeJwt(token).claims;
  } catch (err) {
    return [`${where}: the user JWT in ${CREDS_KEY} cannot be decoded (${(err as Error).message}); ${rule}`];
  }
  const problems: string[] = [];
  const nats = claims.nats ?? {};
  if (nats.type !== "user") problems.push(`the JWT in ${CREDS_KEY} is a ${JSON.stringify(nats.type)} JWT, not a user JWT`);
  if (typeof claims.name !== "string" || !claims.name.startsWith(`${slug}-`)) problems.push(`its name ${JSON.stringify(claims.name)} does not start with "${slug}-"`);
  for (const dir of ["pub", "sub"] as const) {
    const allow = nats[dir]?.allow;
    if (!Array.isArray(allow) || allow.length === 0) {
      problems.push(`nats.${dir}.allow is ${Array.isArray(allow) ? "empty" : "absent"}, which NATS reads as every subject allowed`);
      continue;
    }
    const outside = allow.filter((s: unknown) => typeof s !== "string" || !subjectWithinTenant(s, slug));
    if (outside.length > 0) problems.push(`nats.${dir}.allow has ${outside.map((s: unknown) => JSON.stringify(s)).join(", ")} outside the tenant`);
  }
  return problems.map((p) => `${where}: user ${JSON.stringify(claims.name)}: ${p}; ${rule}`);
}

/** Account JWTs found in the values of Secrets and ConfigMaps (the hub's resolver preload). */
export function accountJwtsIn(o: K8sObject): DecodedJwt[] {
  const found: DecodedJwt[] = [];
  for (const value of valuesOf(o).values()) {
    for (const m of value.matchAll(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g)) {
      try {
        const jwt = decodeJwt(m[0]);
        if (jwt.claims.nats?.type === "account") found.push(jwt);
      } catch {
        // not a JWT
      }
    }
  }
  return found;
}

/**
 * Every tenant user is issued by its tenant's account — the account, not a permission, is what
 * separates tenants — and tenant accounts neither export nor import (no channel into another
 * account). Accounts are read from the hub configuration: Secrets and ConfigMaps outside tenant
 * namespaces holding account JWTs, matched by name (`TENANT_<slug>`).
 */
export function checkNatsAccounts(objects: readonly K8sObject[]): Violation[] {
  const index = new NamespaceIndex(objects);
  const violations: Violation[] = [];
  const accounts = new Map<string, { jwt: DecodedJwt; from: K8sObject }[]>();
  for (const o of objects) {
    if ((o.kind !== "ConfigMap" && o.kind !== "Secret") || index.tenantOf(namespaceOf(o)) !== undefined) continue;
    for (const jwt of accountJwtsIn(o)) {
      const name = String(jwt.claims.name ?? "");
      if (!accounts.has(name)) accounts.set(name, []);
      if (!accounts.get(name)!.some((a) => a.jwt.claims.sub === jwt.claims.sub)) accounts.get(name)!.push({ jwt, from: o });
    }
  }
  for (const [name, list] of accounts) {
    if (!name.startsWith("TENANT_")) continue;
    if (list.length > 1) {
      violations.push({ urn: list[1].from.urn, message: `Account name ${name} names ${list.length} different accounts (${list.map((a) => a.jwt.claims.sub).join(", ")}): a tenant has exactly one account` });
    }
    for (const { jwt, from } of list) {
      for (const field of ["imports", "exports"] as const) {
        const entries = jwt.claims.nats?.[field];
        if (Array.isArray(entries) && entries.length > 0) {
          violations.push({ urn: from.urn, message: `${describe(from)}: tenant account ${name} (${jwt.claims.sub}) declares ${entries.length} ${field}: tenant accounts exchange nothing with other accounts` });
        }
      }
    }
  }
  for (const secret of objects) {
    if (secret.kind !== "Secret" || !keysOf(secret).includes(CREDS_KEY)) continue;
    const slug = secret.metadata.labels[LABELS.tenant];
    if (slug === undefined) continue;
    const where = `${describe(secret)} (tenant "${slug}")`;
    const expected = accounts.get(tenantAccountName(slug)) ?? [];
    const token = credsUserJwt(valuesOf(secret).get(CREDS_KEY) ?? "");
    let jwt: DecodedJwt | undefined;
    try {
      jwt = token ? decodeJwt(token) : undefined;
    } catch {
      jwt = undefined;
    }
    if (!jwt) continue; // reported by the permissions policy
    if (expected.length === 0) {
      violations.push({ urn: secret.urn, message: `${where}: the stack's hub configuration has no account ${tenantAccountName(slug)} for this user; every tenant user must belong to its tenant's account` });
      continue;
    }
    const account = expected[0].jwt.claims;
    const issuerAccount: string = jwt.claims.nats?.issuer_account ?? jwt.claims.iss;
    const signingKeys: string[] = ((account.nats?.signing_keys ?? []) as unknown[]).map((k) => (typeof k === "string" ? k : String((k as { key?: string })?.key ?? "")));
    const signerOk = jwt.claims.iss === account.sub || (jwt.claims.nats?.issuer_account === account.sub && signingKeys.includes(jwt.claims.iss));
    if (issuerAccount !== account.sub || !signerOk) {
      violations.push({ urn: secret.urn, message: `${where}: user ${JSON.stringify(jwt.claims.name)} is issued by ${issuerAccount}, not by tenant account ${tenantAccountName(slug)} (${account.sub}); every tenant user must belong to its tenant's account` });
    } else if (!jwtSignedBy(jwt, jwt.claims.iss)) {
      violations.push({ urn: secret.urn, message: `${where}: user ${JSON.stringify(jwt.claims.name)} claims issuer ${jwt.claims.iss} but its signature does not verify; every tenant user must be signed by its tenant's account` });
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------
// 7. Where a tenant's Secrets live
// ---------------------------------------------------------------------------------------------

/** Whose side a Secret belongs on, from its labels: the tenant's own namespaces, or the platform's. */
export function secretSide(secret: K8sObject): "tenant" | "platform" | undefined {
  const component = secret.metadata.labels[LABELS.component];
  const user = secret.metadata.labels[LABELS.natsUser];
  if ((TENANT_SIDE_COMPONENTS as readonly string[]).includes(component ?? "")) return "tenant";
  if (component === NATS_CREDENTIALS_COMPONENT && (TENANT_SIDE_NATS_USERS as readonly string[]).includes(user ?? "")) return "tenant";
  if (component === NATS_CREDENTIALS_COMPONENT && (PLATFORM_SIDE_NATS_USERS as readonly string[]).includes(user ?? "")) return "platform";
  if (component === "tenant-ca") return "platform";
  return undefined;
}

/**
 * A tenant's Secrets are where they belong, by the namespaces' tenant labels (never by name
 * prefixes: `tenant-a-…` is also the prefix of tenant `a-b`'s namespaces): no Secret labelled for
 * one tenant in another tenant's namespace; certificates, creds and bundles of what runs at the
 * tenant's edge in a namespace of that tenant; the platform's creds for the tenant (reader,
 * manager) and its CA Secret in a namespace of no tenant; and no creds without a tenant label in a
 * tenant namespace.
 */
export function checkTenantSecretPlacement(objects: readonly K8sObject[]): Violation[] {
  const index = new NamespaceIndex(objects);
  const violations: Violation[] = [];
  for (const secret of objects) {
    if (secret.kind !== "Secret") continue;
    const ns = namespaceOf(secret);
    const nsTenant = index.tenantOf(ns);
    const declared = index.byName.has(ns);
    const slug = secret.metadata.labels[LABELS.tenant];
    const where = `${describe(secret)}`;
    if (slug === undefined) {
      if (nsTenant !== undefined && keysOf(secret).includes(CREDS_KEY)) {
        violations.push({ urn: secret.urn, message: `${where} holds ${CREDS_KEY} in tenant "${nsTenant}"'s namespace without a ${LABELS.tenant} label: a tenant's creds Secrets must say whose they are` });
      }
      continue;
    }
    if (nsTenant !== undefined && nsTenant !== slug) {
      violations.push({ urn: secret.urn, message: `${where} belongs to tenant "${slug}" but is in namespace ${ns} of tenant "${nsTenant}": a tenant's Secrets never enter another tenant's namespace` });
      continue;
    }
    const side = secretSide(secret);
    const what = `${secret.metadata.labels[LABELS.component]}${secret.metadata.labels[LABELS.natsUser] ? ` (${secret.metadata.labels[LABELS.natsUser]})` : ""}`;
    if (side === "tenant" && nsTenant !== slug) {
      violations.push({
        urn: secret.urn,
        message: `${where} (${what} of tenant "${slug}") is in namespace ${ns}, which ${declared ? "belongs to no tenant" : "this stack does not declare"}: collector, leaf and onboarding Secrets must be in a namespace labelled ${LABELS.tenant}="${slug}"`,
      });
    }
    if (side === "platform" && (nsTenant !== undefined || !declared)) {
      violations.push({
        urn: secret.urn,
        message: `${where} (${what} of tenant "${slug}") is in namespace ${ns}, which ${declared ? "is a tenant namespace" : "this stack does not declare"}: the platform's creds and CA Secrets for a tenant stay in the platform namespace`,
      });
    }
  }
  return violations;
}

/** Objects this module reads, by kind: used to say which resources a policy inspected. */
export const countKinds = (objects: readonly K8sObject[]) => {
  const counts: Record<string, number> = {};
  for (const o of objects) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
  return counts;
};
