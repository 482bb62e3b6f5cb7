/**
 * The validated, resolved view of a tenant (what `loadTenants` returns): its file's content with
 * the plan applied and every default filled in. Planning (plan/) starts from here.
 */
import type { Limits } from "./limits";
import type { ClusterOffer, QuotaTotal } from "./quota-share";
import type { Collector, TenantStatus } from "./schema";

export interface OrganizationModel {
  id: string;
  displayName: string;
  /** Organizations this one may talk to, in both directions (the file's `sharesWith`, made symmetric). */
  sharesWith: string[];
  admins: string[];
  viewers: string[];
}

/** How collector Services are exposed (stack config `tenancy:edgeServiceType`). */
export type EdgeServiceType = "ClusterIP" | "LoadBalancer";
export const EDGE_SERVICE_TYPES: readonly EdgeServiceType[] = ["ClusterIP", "LoadBalancer"];

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
  /** The tenant's whole ResourceQuota total: `limits.kubernetes.quota` plus every StorageClass, extended resource and huge page size. */
  quota: QuotaTotal;
  /** Rotation counters from the tenant file (0 when absent). */
  certificates: { rotation: number; caRotation: number };
  /** NATS credentials generation from the tenant file (0 when absent). */
  credentialsRotation: number;
  /** Where the leaf node and collectors run: the platform cluster unless `cluster` names an edge cluster. */
  edge: { cluster?: string; serviceType: EdgeServiceType };
}

/** What tenant files may refer to in the stack's edge settings (edge clusters, the hub's public address). */
export interface EdgeOptions {
  /** Edge clusters with a kubeconfig in secret stack config. */
  clusters: string[];
  /** The hub's leaf port as seen from outside the platform cluster, if it has one. */
  publicHubLeafUrl?: string;
  serviceType: EdgeServiceType;
  /** The pod network of each edge cluster, by name. */
  edgeClusterPodCidrs?: Record<string, string[]>;
}

/** What the stack decides about every tenant file: whose groups it may grant, what the cluster offers. */
export interface TenantRules {
  /** Prefix every group of a tenant starts with; `{slug}` stands for its slug (`tenancy:tenantGroupPrefix`). */
  groupPrefix: string;
  /** StorageClasses, extended resources and huge page sizes of the cluster: each gets a quota key, 0 unless the plan buys it. */
  offer: ClusterOffer;
}
