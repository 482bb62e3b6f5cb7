/** Every name derived from a tenant, in one place, so validation can check them all against Kubernetes' limits. */

export const LABEL_PREFIX = "tenancy.serviceradar.io";
export const LABELS = {
  tenant: `${LABEL_PREFIX}/tenant`,
  org: `${LABEL_PREFIX}/org`,
  plan: `${LABEL_PREFIX}/plan`,
  status: `${LABEL_PREFIX}/status`,
  role: `${LABEL_PREFIX}/namespace-role`,
  managedBy: "app.kubernetes.io/managed-by",
  partOf: "app.kubernetes.io/part-of",
  /** Set by the API server on every namespace (Kubernetes ≥ 1.21); nobody can forge it. */
  namespaceName: "kubernetes.io/metadata.name",
} as const;

export const MANAGED_BY = "pulumi";
export const PART_OF = "tenancy";

/** Slugs that would read as, or collide with, platform or Kubernetes system names. */
export const RESERVED_SLUGS = new Set([
  "platform",
  "system",
  "default",
  "kube-system",
  "kube-public",
  "kube-node-lease",
  "kube",
  "admin",
  "nats",
  "serviceradar",
  "tenant",
  "tenants",
  "shared",
  "global",
  "all",
]);

/** Labels of a platform-managed object (certificates, credentials, streams), by tenant when it has one. */
export function componentLabels(slug: string | undefined, component: string): Record<string, string> {
  return { ...(slug ? { [LABELS.tenant]: slug } : {}), "app.kubernetes.io/component": component, [LABELS.managedBy]: MANAGED_BY, [LABELS.partOf]: PART_OF };
}

export const rootNamespaceName = (slug: string) => `tenant-${slug}`;
export const orgNamespaceName = (slug: string, org: string) => `tenant-${slug}-org-${org}`;
/** Where the tenant's leaf node and collectors run (only when its file lists collectors). */
export const edgeNamespaceName = (slug: string) => `tenant-${slug}-edge`;
/** Slugs may not end in it: `tenant-<a>-edge` would be tenant a's edge and tenant "a-edge"'s root. */
export const EDGE_SUFFIX = "-edge";

/** The longest names a tenant produces; each must be a DNS-1123 label (≤ 63 characters). */
export function derivedNames(slug: string, orgIds: readonly string[]): { what: string; name: string; org?: string }[] {
  return [
    { what: "root namespace", name: rootNamespaceName(slug) },
    { what: "edge namespace", name: edgeNamespaceName(slug) },
    ...orgIds.map((org) => ({ what: `namespace of organization "${org}"`, name: orgNamespaceName(slug, org), org })),
  ];
}
