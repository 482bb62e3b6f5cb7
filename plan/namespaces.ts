/**
 * A tenant's namespaces: the root namespace, one per organization and, when it runs collectors,
 * the edge namespace; with their labels (Pod Security `restricted`), who may talk to whom, who has
 * access, and each one's share of the tenant's quota. The root talks to every organization;
 * organizations talk to each other only where they share; the edge talks to none of them.
 */
import { edgeQuotaNeeds } from "../model/edge-footprint";
import type { TenantModel } from "../model/model";
import { LABELS, edgeNamespaceName, managedLabels, orgNamespaceName, rootNamespaceName } from "../model/names";
import { reservationQuota, splitQuota, type QuotaKey } from "../model/quota-share";

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

export function namespacePlans(tenant: TenantModel): NamespacePlan[] {
  const root = rootNamespaceName(tenant.slug);
  const count = 1 + tenant.organizations.length;
  const edgeNeeds = edgeQuotaNeeds(tenant.collectors, tenant.limits, {
    serviceType: tenant.edge.serviceType,
    revokedSites: tenant.edge.sites.filter((s) => s.revoked).map((s) => s.name),
    pullSecret: tenant.edge.pullSecret,
  });
  // An edge in the platform cluster is paid from the tenant's quota; one in its own cluster is not.
  const quota = splitQuota(tenant.quota, count, tenant.edge.cluster === undefined ? edgeNeeds : {});
  // A suspended (or decommissioned) tenant keeps everything it has, and gets nothing new: every key
  // at zero, so no pod, object or byte more is admitted (running pods are stopped by plan/suspension.ts;
  // with pods at zero their controllers cannot start them again).
  if (tenant.status !== "active") zero(quota);
  const baseLabels = { [LABELS.tenant]: tenant.slug, [LABELS.plan]: tenant.plan, [LABELS.status]: tenant.status, ...managedLabels() };
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
  const edgeQuota = reservationQuota(tenant.quota, edgeNeeds);
  if (tenant.status !== "active") zero(edgeQuota);
  const edgePlan: NamespacePlan = {
    name: edgeNamespaceName(tenant.slug),
    role: "edge",
    ...(tenant.edge.cluster !== undefined ? { cluster: tenant.edge.cluster } : {}),
    labels: { ...baseLabels, [LABELS.role]: "edge", ...psa },
    // The edge talks to no other namespace of the tenant: only through NATS (plan/edge/network.ts).
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

/** Every key at zero; the values stay quantities Kubernetes reads ("0"). */
function zero(quota: Record<QuotaKey, string>): void {
  for (const key of Object.keys(quota)) quota[key] = "0";
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
