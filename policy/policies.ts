/**
 * The pack's policies: each turns the engine's resources into plain objects (checks/ `toObject`)
 * and reports what the pure checks find, naming the offending resource and the rule.
 *
 * Resource policies run on a resource's inputs before it is created or updated, so they block the
 * change itself; stack policies need several resources at once (a namespace and its policies) and
 * run on the stack's outputs at the end of a preview or update. An unknown value (preview) read by
 * a check throws the engine's UnknownValueError, which the engine reports as "can't run during
 * preview" (advisory); the check then runs for real on `pulumi up`.
 */
import type { Policies, PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import * as checks from "./checks";
import type { K8sObject, ObjectField } from "./checks";

/** Called with what each policy looked at, so tests can prove a policy did not pass vacuously. */
export type InspectionObserver = (policy: string, counts: Record<string, number>) => void;
let observer: InspectionObserver | undefined;
export function observeInspections(fn: InspectionObserver | undefined): void {
  observer = fn;
}
const inspected = (policy: string, counts: Record<string, number>) => observer?.(policy, counts);

const platformNamespaceConfig = {
  properties: {
    platformNamespace: {
      type: "string" as const,
      default: checks.DEFAULT_PLATFORM_NAMESPACE,
      description: "The platform namespace (stack config tenancy:platformNamespace): the only place CA keys and NATS signing keys may live.",
    },
  },
};

function platformNamespace(args: { getConfig<T extends object>(): T }): string {
  return args.getConfig<{ platformNamespace?: string }>().platformNamespace || checks.DEFAULT_PLATFORM_NAMESPACE;
}

/** A cell's stack of a fleet with cells (docs/cells.md): it declares a CellIdentity component. */
const isCellStack = (resources: readonly PolicyResource[]) => resources.some((r) => r.type === "tenancy:index:CellIdentity");

/** The stack's Kubernetes objects of the given kinds, each with only the fields its checks read. */
function objectsOf(resources: readonly PolicyResource[], want: Record<string, readonly ObjectField[]>): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const r of resources) {
    const kind = checks.k8sKind(r.type);
    if (kind === undefined || !(kind in want)) continue;
    const o = checks.toObject(r.type, r.urn, r.props, want[kind]);
    if (o) objects.push(o);
  }
  return objects;
}

function resourceOf(args: ResourceValidationArgs, kind: string, fields: readonly ObjectField[]): K8sObject | undefined {
  return checks.k8sKind(args.type) === kind ? checks.toObject(args.type, args.urn, args.props, fields) : undefined;
}

function report(violations: checks.Violation[], reportViolation: ReportViolation): void {
  for (const v of violations) reportViolation(v.message, v.urn);
}

const tenantNamespaceCount = (objects: readonly K8sObject[]) => new checks.NamespaceIndex(objects).tenantNamespaces().length;

// ---------------------------------------------------------------------------------------------

export const tenantNamespacePodSecurity: ResourceValidationPolicy = {
  name: "tenant-namespace-pod-security",
  description: "Tenant namespaces enforce, warn and audit Pod Security Admission 'restricted'.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: (args, reportViolation) => {
    const ns = resourceOf(args, "Namespace", []);
    if (!ns) return;
    inspected("tenant-namespace-pod-security", { Namespace: 1, tenantNamespaces: ns.metadata.labels[checks.LABELS.tenant] !== undefined ? 1 : 0 });
    for (const message of checks.podSecurityProblems(ns)) reportViolation(message);
  },
};

export const tenantNamespaceDefaultDeny: StackValidationPolicy = {
  name: "tenant-namespace-default-deny",
  description: "Every tenant namespace has NetworkPolicy 'tenant-isolation': all pods, Ingress and Egress (a default deny), admitting only pods of the tenant's own namespaces.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, reportViolation) => {
    const objects = objectsOf(args.resources, { Namespace: [], NetworkPolicy: ["spec"] });
    inspected("tenant-namespace-default-deny", { ...checks.countKinds(objects), tenantNamespaces: tenantNamespaceCount(objects) });
    report(checks.checkDefaultDeny(objects), reportViolation);
  },
};

export const networkPolicyNoEmptyNamespaceSelector: ResourceValidationPolicy = {
  name: "network-policy-no-empty-namespace-selector",
  description: "No NetworkPolicy peer uses an empty namespaceSelector (it selects every namespace, every tenant's included).",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateResource: (args, reportViolation) => {
    const np = resourceOf(args, "NetworkPolicy", ["spec"]);
    if (!np) return;
    inspected("network-policy-no-empty-namespace-selector", { NetworkPolicy: 1, peers: checks.peersOf(np).length });
    for (const message of checks.emptyNamespaceSelectorProblems(np)) reportViolation(message);
  },
};

export const networkPolicyNoCrossTenantPeers: StackValidationPolicy = {
  name: "network-policy-no-cross-tenant-peers",
  description:
    "A tenant namespace's NetworkPolicies select only namespaces of the same tenant (resolved against the stack's namespaces), plus egress to selected pods on listed ports of non-tenant namespaces (DNS, the NATS hub).",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, reportViolation) => {
    const objects = objectsOf(args.resources, { Namespace: [], NetworkPolicy: ["spec"] });
    const index = new checks.NamespaceIndex(objects);
    const tenantPolicies = objects.filter((o) => o.kind === "NetworkPolicy" && index.tenantOf(checks.namespaceOf(o)) !== undefined);
    inspected("network-policy-no-cross-tenant-peers", {
      ...checks.countKinds(objects),
      tenantNamespaces: tenantNamespaceCount(objects),
      tenantNetworkPolicies: tenantPolicies.length,
      namespaceSelectorPeers: tenantPolicies.flatMap(checks.peersOf).filter((s) => s.peer?.namespaceSelector !== undefined).length,
    });
    report(checks.checkCrossTenantPeers(objects), reportViolation);
  },
};

export const tenantNamespaceQuotaAndLimits: StackValidationPolicy = {
  name: "tenant-namespace-quota-and-limits",
  description: "Every tenant namespace has an unscoped ResourceQuota with hard limits and a LimitRange with Container limits.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, reportViolation) => {
    const objects = objectsOf(args.resources, { Namespace: [], ResourceQuota: ["spec"], LimitRange: ["spec"] });
    inspected("tenant-namespace-quota-and-limits", { ...checks.countKinds(objects), tenantNamespaces: tenantNamespaceCount(objects) });
    report(checks.checkQuotaAndLimits(objects), reportViolation);
  },
};

export const noClusterRbacForTenants: StackValidationPolicy = {
  name: "no-cluster-rbac-for-tenants",
  description:
    "No ClusterRoleBinding or ClusterRole for a tenant: none labelled for a tenant, none binding a subject of a tenant's RoleBindings, a tenant's service accounts or everyone, or a ClusterRole tenant RoleBindings bind; tenant RoleBindings bind Roles or ClusterRoles the stack declares (in a cell's stack exactly the platform stack's two access levels, which it may not declare), without aggregation either way.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, reportViolation) => {
    const objects = objectsOf(args.resources, {
      Namespace: [],
      RoleBinding: ["roleRef", "subjects"],
      ClusterRoleBinding: ["roleRef", "subjects"],
      ClusterRole: ["aggregationRule"],
    });
    const index = new checks.NamespaceIndex(objects);
    inspected("no-cluster-rbac-for-tenants", {
      ...checks.countKinds(objects),
      tenantRoleBindings: objects.filter((o) => o.kind === "RoleBinding" && index.tenantOf(checks.namespaceOf(o)) !== undefined).length,
      tenantGroups: new Set(objects.filter((o) => o.kind === "RoleBinding" && index.tenantOf(checks.namespaceOf(o)) !== undefined).flatMap((o) => (o.subjects ?? []).filter((s) => s.kind === "Group").map((s) => s.name))).size,
    });
    // A cell's tenant RoleBindings bind the platform stack's access levels (docs/policy.md, "With
    // cells"): exactly those names; their rules are checked on the platform's stack.
    report(checks.checkClusterRbac(objects, { clusterRolesDeclaredElsewhere: isCellStack(args.resources) }), reportViolation);
  },
};

const SECRET_VALUES: ObjectField[] = ["data", "stringData", "type"];

export const signingKeysInPlatformNamespace: ResourceValidationPolicy = {
  name: "signing-keys-in-platform-namespace",
  description:
    "No Secret outside the platform namespace holds a CA's private key (matched to the CA certificate in the Secret, or tls.key next to a CA tls.crt) or a NATS operator/account seed.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: platformNamespaceConfig,
  validateResource: (args, reportViolation) => {
    const secret = resourceOf(args, "Secret", SECRET_VALUES);
    if (!secret) return;
    const values = checks.valuesOf(secret);
    inspected("signing-keys-in-platform-namespace", {
      Secret: 1,
      withPrivateKey: [...values.values()].some((v) => v.includes("PRIVATE KEY")) ? 1 : 0,
      withCaCertificate: checks.caPublicKeysIn(secret).size > 0 ? 1 : 0,
    });
    for (const message of checks.signingKeyProblems(secret, platformNamespace(args))) reportViolation(message);
  },
};

export const signingKeysInPlatformNamespaceStack: StackValidationPolicy = {
  name: "signing-keys-in-platform-namespace-stack",
  description:
    "No Secret outside the platform namespace holds the private key of any CA certificate declared anywhere in the stack (a CA key copied without its certificate).",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: platformNamespaceConfig,
  validateStack: (args, reportViolation) => {
    const objects = objectsOf(args.resources, { Secret: SECRET_VALUES, ConfigMap: ["data", "binaryData"] });
    inspected("signing-keys-in-platform-namespace-stack", {
      ...checks.countKinds(objects),
      caCertificates: checks.stackCaPublicKeys(objects).size,
      secretsWithPrivateKey: objects.filter((o) => o.kind === "Secret" && [...checks.valuesOf(o).values()].some((v) => v.includes("PRIVATE KEY"))).length,
    });
    report(checks.checkSigningKeysAcrossStack(objects, platformNamespace(args)), reportViolation);
  },
};

export const natsUserPermissionsWithinTenant: ResourceValidationPolicy = {
  name: "nats-user-permissions-within-tenant",
  description:
    "Every tenant NATS user (Secret key nats.creds, and every other Secret value holding a creds file) has non-empty publish and subscribe allow lists within '<slug>.', '_INBOX.', '_INBOX_PLATFORM.', its account's '$JS.API/ACK/FC.' and what sourcing its edge leaves takes ('$JS.<slug>-<location>.API.', '$JSC.R.', '_EDGE.'), and a name starting with '<slug>-'.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateResource: (args, reportViolation) => {
    const secret = resourceOf(args, "Secret", SECRET_VALUES);
    if (!secret) return;
    const creds = checks.keysOf(secret).includes(checks.CREDS_KEY);
    inspected("nats-user-permissions-within-tenant", {
      Secret: 1,
      credsSecrets: creds ? 1 : 0,
      tenantCredsSecrets: creds && secret.metadata.labels[checks.LABELS.tenant] !== undefined ? 1 : 0,
    });
    for (const message of checks.natsCredsProblems(secret)) reportViolation(message);
  },
};

export const natsUserInTenantAccount: StackValidationPolicy = {
  name: "nats-user-in-tenant-account",
  description:
    "Every tenant NATS user is issued and signed by its tenant's account (TENANT_<slug>, as the stack's account pushes give it to the hub, or as the hub configuration holds it) or by one of its edge locations' own accounts (EDGE_<slug>_<location>, operator-signed, in its own edge namespace and never given to the hub), and neither kind of account declares imports or exports.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, reportViolation) => {
    const objects = objectsOf(args.resources, { Namespace: [], Secret: SECRET_VALUES, ConfigMap: ["data", "binaryData"] });
    const pushes = accountPushesOf(args.resources);
    inspected("nats-user-in-tenant-account", {
      ...checks.countKinds(objects),
      tenantCredsSecrets: objects.filter((o) => o.kind === "Secret" && o.metadata.labels[checks.LABELS.tenant] !== undefined && checks.keysOf(o).includes(checks.CREDS_KEY)).length,
      accountPushes: pushes.length,
      tenantAccounts: checks.tenantAccountKeys(objects, pushes).size,
    });
    report(checks.checkNatsAccounts(objects, pushes), reportViolation);
  },
};

/** The stack's account pushes (dynamic resources with account JWT inputs), only those inputs read. */
function accountPushesOf(resources: readonly PolicyResource[]): checks.AccountPush[] {
  const pushes: checks.AccountPush[] = [];
  for (const r of resources) {
    const p = checks.toAccountPush(r.type, r.urn, r.name, r.props);
    if (p) pushes.push(p);
  }
  return pushes;
}

export const tenantSecretsInTenantNamespaces: StackValidationPolicy = {
  name: "tenant-secrets-in-tenant-namespaces",
  description:
    "A tenant's collector, leaf, onboarding and collector/leaf creds Secrets are in a namespace labelled for that tenant; no tenant's Secret is in another tenant's namespace; the platform's reader/manager creds and tenant CA Secret stay out of tenant namespaces.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: platformNamespaceConfig,
  validateStack: (args, reportViolation) => {
    // Labels and keys only: a Secret's values may be unknown during preview; where it lives is not.
    const objects = objectsOf(args.resources, { Namespace: [], Secret: [] });
    const props = new Map(args.resources.map((r) => [r.urn, r.props]));
    const keyed = objects.map((o) => (o.kind === "Secret" ? withKeys(o, props.get(o.urn) ?? {}) : o));
    inspected("tenant-secrets-in-tenant-namespaces", {
      ...checks.countKinds(keyed),
      tenantSecrets: keyed.filter((o) => o.kind === "Secret" && o.metadata.labels[checks.LABELS.tenant] !== undefined).length,
      tenantSideSecrets: keyed.filter((o) => o.kind === "Secret" && checks.secretSide(o) === "tenant").length,
      platformSideSecrets: keyed.filter((o) => o.kind === "Secret" && checks.secretSide(o) === "platform").length,
    });
    // A cell's stack puts the platform's Secrets for its tenants in the platform namespace that the
    // platform stack declares (docs/cells.md): that one namespace, by its configured name.
    report(checks.checkTenantSecretPlacement(keyed, isCellStack(args.resources) ? platformNamespace(args) : undefined), reportViolation);
  },
};

/** A Secret with the names of its keys (values left out: they may be unknown during preview). */
function withKeys(secret: K8sObject, props: Record<string, any>): K8sObject {
  const keys = (field: "data" | "stringData") => {
    const value = checks.reveal(props[field]);
    return value && typeof value === "object" ? Object.fromEntries(Object.keys(value).map((k) => [k, ""])) : undefined;
  };
  return { ...secret, data: keys("data"), stringData: keys("stringData") };
}

export const postgresTenantRolesAndGrants: ResourceValidationPolicy = {
  name: "postgres-tenant-roles-and-grants",
  description:
    "No PostgreSQL role with superuser, createdb, createrole, replication, bypassrls or role memberships; no grant or default privilege to PUBLIC, to a tenant's role on another tenant's schema or database, beyond CONNECT outside its own, or with grant option.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateResource: (args, reportViolation) => {
    const types = [checks.POSTGRES_ROLE_TYPE, checks.POSTGRES_GRANT_TYPE, checks.POSTGRES_DEFAULT_PRIVILEGES_TYPE];
    if (!types.includes(args.type)) return;
    inspected("postgres-tenant-roles-and-grants", { [args.type.split(":").pop()!]: 1 });
    for (const v of checks.checkPostgres([{ type: args.type, urn: args.urn, props: args.props as Record<string, any> }])) reportViolation(v.message);
  },
};

export const tenantRolesAllowList: StackValidationPolicy = {
  name: "tenant-roles-allow-list",
  description: "Roles in tenant namespaces, and ClusterRoles their RoleBindings bind, name their verbs, resources and groups (no '*'), grant no bind, escalate or impersonate, no nonResourceURLs, and no write on quotas, limit ranges, network policies, roles or role bindings.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, reportViolation) => {
    const objects = objectsOf(args.resources, { Namespace: [], Role: ["rules"], RoleBinding: ["roleRef"], ClusterRole: ["rules"] });
    const tenantRoles = [...new Set([...checks.rolesGrantedIn(objects).values()].flat())];
    inspected("tenant-roles-allow-list", { ...checks.countKinds(objects), tenantRoles: tenantRoles.length, rules: tenantRoles.flatMap((r) => r.rules ?? []).length });
    report(checks.checkTenantRoles(objects), reportViolation);
  },
};

export const tenantNamespaceQuotaKeys: StackValidationPolicy = {
  name: "tenant-namespace-quota-keys",
  description:
    "Every tenant namespace's quota bounds cpu, memory and ephemeral storage (requests and limits), pods, and the count of every kind the roles granted there let someone create (pods of a priority class outside the plan: tenant-admission-policies, tenancy-pod-scheduling).",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, reportViolation) => {
    const objects = objectsOf(args.resources, { Namespace: [], ResourceQuota: ["spec"], Role: ["rules"], RoleBinding: ["roleRef"], ClusterRole: ["rules"] });
    inspected("tenant-namespace-quota-keys", { ...checks.countKinds(objects), tenantNamespaces: tenantNamespaceCount(objects) });
    report(checks.checkQuotaKeys(objects), reportViolation);
  },
};

export const tenantAdmissionPolicies: StackValidationPolicy = {
  name: "tenant-admission-policies",
  description: `Every tenant namespace is bound, with Deny, to each of the program's ValidatingAdmissionPolicies (${checks.ADMISSION_POLICIES.join(", ")}), which fail closed; policies with params name a ConfigMap of the stack.`,
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, reportViolation) => {
    const objects = objectsOf(args.resources, { Namespace: [], ValidatingAdmissionPolicy: ["spec"], ValidatingAdmissionPolicyBinding: ["spec"], ConfigMap: [] });
    inspected("tenant-admission-policies", { ...checks.countKinds(objects), tenantNamespaces: tenantNamespaceCount(objects) });
    // A cell's tenant namespaces are bound by the platform stack's policies (they select namespaces
    // by labels, which are checked here): that the two stacks fit is proven over both together.
    report(checks.checkAdmissionPolicies(objects, { declaredElsewhere: isCellStack(args.resources) }), reportViolation);
  },
};

export const policies: Policies = [
  tenantNamespacePodSecurity,
  tenantNamespaceDefaultDeny,
  networkPolicyNoEmptyNamespaceSelector,
  networkPolicyNoCrossTenantPeers,
  tenantNamespaceQuotaAndLimits,
  noClusterRbacForTenants,
  signingKeysInPlatformNamespace,
  signingKeysInPlatformNamespaceStack,
  natsUserPermissionsWithinTenant,
  natsUserInTenantAccount,
  tenantSecretsInTenantNamespaces,
  postgresTenantRolesAndGrants,
  tenantRolesAllowList,
  tenantNamespaceQuotaKeys,
  tenantAdmissionPolicies,
];
