/** The validated, resolved view of a tenant that the components declare resources from. */
import type { Limits, QuotaKey } from "./limits";
import { reservationQuota, splitQuota } from "./limits";
import { edgeQuotaNeeds } from "../plan/edge";
import { LABELS, MANAGED_BY, PART_OF, edgeNamespaceName, orgNamespaceName, rootNamespaceName } from "./names";
import type { Collector, TenantStatus } from "./schema";
import type { EdgeServiceType } from "../config/settings";

export interface OrganizationModel {
  id: string;
  displayName: string;
  /** Organizations this one may talk to, in both directions (the file's `sharesWith`, made symmetric). */
  sharesWith: string[];
  admins: string[];
  viewers: string[];
}

export interface TenantModel {
  /** Path of the tenant file, as given to the loader (used in messages). */
  file: string;
  slug: string;
  displayName: string;
  plan: string;
  status: TenantStatus;
  admins: string[];
  viewers: string[];
  organizations: OrganizationModel[];
  collectors: Required<Collector>[];
  /** The plan's limits with the tenant's overrides applied. */
  limits: Limits;
  /** Rotation counters from the tenant file (0 when absent). */
  certificates: { rotation: number; caRotation: number };
  /** NATS credentials generation from the tenant file (0 when absent). */
  credentialsRotation: number;
  /** Where the leaf node and collectors run: the platform cluster unless `cluster` names an edge cluster. */
  edge: { cluster?: string; serviceType: EdgeServiceType };
}

export interface NamespacePlan {
  name: string;
  role: "root" | "org" | "edge";
  org?: string;
  /** The edge cluster holding this namespace (absent: the platform cluster). */
  cluster?: string;
  labels: Record<string, string>;
  /** Other namespaces of the same tenant whose pods may talk to this one's, both ways. */
  peers: string[];
  admins: string[];
  viewers: string[];
  quota: Record<QuotaKey, string>;
}

/**
 * The tenant's namespaces: the root namespace and one per organization. The root talks to every
 * organization; organizations talk to each other only where they share.
 */
export function namespacePlans(tenant: TenantModel): NamespacePlan[] {
  const root = rootNamespaceName(tenant.slug);
  const count = 1 + tenant.organizations.length;
  const edgeNeeds = edgeQuotaNeeds(tenant.collectors, tenant.limits, tenant.edge.serviceType);
  // An edge in the platform cluster is paid from the tenant's quota; one in its own cluster is not.
  const quota = splitQuota(tenant.limits.kubernetes.quota, count, tenant.edge.cluster === undefined ? edgeNeeds : {});
  // A suspended (or decommissioned) tenant keeps everything, but no new pod is admitted (its edge
  // Deployments are scaled to zero or gone; other workloads are the tenant's own lifecycle to stop).
  if (tenant.status !== "active") quota.pods = "0";
  const baseLabels = {
    [LABELS.tenant]: tenant.slug,
    [LABELS.plan]: tenant.plan,
    [LABELS.status]: tenant.status,
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.partOf]: PART_OF,
  };
  const psa = podSecurityLabels();
  const rootPlan: NamespacePlan = {
    name: root,
    role: "root",
    labels: { ...baseLabels, [LABELS.role]: "root", ...psa },
    peers: tenant.organizations.map((o) => orgNamespaceName(tenant.slug, o.id)),
    admins: tenant.admins,
    viewers: tenant.viewers,
    quota,
  };
  const orgPlans = tenant.organizations.map(
    (org): NamespacePlan => ({
      name: orgNamespaceName(tenant.slug, org.id),
      role: "org",
      org: org.id,
      labels: { ...baseLabels, [LABELS.org]: org.id, [LABELS.role]: "org", ...psa },
      peers: [root, ...org.sharesWith.map((other) => orgNamespaceName(tenant.slug, other))],
      admins: unique([...tenant.admins, ...org.admins]),
      viewers: unique([...tenant.viewers, ...org.viewers]),
      quota,
    }),
  );
  if (tenant.collectors.length === 0) return [rootPlan, ...orgPlans];
  const edgeQuota = reservationQuota(tenant.limits.kubernetes.quota, edgeNeeds);
  if (tenant.status !== "active") edgeQuota.pods = "0";
  const edgePlan: NamespacePlan = {
    name: edgeNamespaceName(tenant.slug),
    role: "edge",
    ...(tenant.edge.cluster !== undefined ? { cluster: tenant.edge.cluster } : {}),
    labels: { ...baseLabels, [LABELS.role]: "edge", ...psa },
    // The edge talks to no other namespace of the tenant: only through NATS (lib/edge.ts policies).
    peers: [],
    admins: tenant.admins,
    viewers: tenant.viewers,
    quota: edgeQuota,
  };
  return [rootPlan, ...orgPlans, edgePlan];
}

/** Pod Security Admission `restricted`, enforced, warned and audited, pinned to the latest policy. */
export function podSecurityLabels(): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const mode of ["enforce", "warn", "audit"]) {
    labels[`pod-security.kubernetes.io/${mode}`] = "restricted";
    labels[`pod-security.kubernetes.io/${mode}-version`] = "latest";
  }
  return labels;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
