/**
 * The names several checks use that are also the program's (label keys, the creds key, collector
 * types, the platform namespace's default, tenant account names). The pack cannot import them from
 * the program (it runs in its own directory with its own dependencies), so they are written again
 * here, in one place, and the tests check that they still match model/ and plan/.
 */

export const LABELS = {
  tenant: "tenancy.serviceradar.io/tenant",
  role: "tenancy.serviceradar.io/namespace-role",
  plan: "tenancy.serviceradar.io/plan",
  natsUser: "tenancy.serviceradar.io/nats-user",
  component: "app.kubernetes.io/component",
  /** Set by the API server on every namespace (Kubernetes ≥ 1.21) to its name; nobody can forge it. */
  namespaceName: "kubernetes.io/metadata.name",
} as const;

export const DEFAULT_PLATFORM_NAMESPACE = "platform";
export const CREDS_KEY = "nats.creds";
export const COLLECTOR_TYPES = ["flowgger", "trapd", "netflow", "otel"] as const;
export const tenantAccountName = (slug: string) => `TENANT_${slug}`;
/** A tenant's PostgreSQL role, schema and database: `tenant_<slug>` with `-` as `_` (model/names.ts `postgresTenantIdentifier`). */
export const POSTGRES_TENANT_PREFIX = "tenant_";
/** The provider's name for PostgreSQL's PUBLIC pseudo-role. */
export const POSTGRES_PUBLIC_ROLE = "public";

/**
 * The ClusterRoles of the tenants' access levels (model/names.ts TENANT_CLUSTER_ROLES): the platform
 * declares them once (the platform stack, or the stack that holds everything) and tenant
 * namespaces' RoleBindings bind them; a cell's stack binds them without declaring them.
 */
export const TENANT_CLUSTER_ROLES = ["tenancy-tenant-admin", "tenancy-tenant-viewer"] as const;

/** The admission policies every tenant namespace must be under (plan/admission.ts). */
export const ADMISSION_POLICIES = [
  "tenancy-service-exposure",
  "tenancy-pod-scheduling",
  "tenancy-volume-claims",
  "tenancy-images",
  "tenancy-service-account-tokens",
  "tenancy-disruption-budgets",
  "tenancy-managed-objects",
] as const;
