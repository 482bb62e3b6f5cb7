/**
 * What a tenant's edge costs in quota, from its collectors alone: the pods it may run at once and
 * the objects its namespace holds, each pod at the plan's LimitRange defaults. The edge namespace's
 * quota is exactly this, set aside from the tenant's total before the split, so validation can
 * refuse an edge that does not fit and the edge can always be scheduled. plan/edge/ declares
 * exactly these objects (the tests count them in the render).
 */
import { parseQuantityMilli } from "../lib/quantity";
import type { Limits } from "./limits";
import type { EdgeServiceType } from "./model";
import type { QuotaReservation } from "./quota-share";

/**
 * Pods the edge may run at once: every collector replica plus one surge pod per collector
 * Deployment (rolling updates start the new pod before stopping the old), so an update never
 * waits on the quota; and the leaf, recreated (never two at once).
 */
export function edgePodCount(collectors: readonly { replicas?: number }[]): number {
  if (collectors.length === 0) return 0;
  return collectors.reduce((n, c) => n + (c.replicas ?? 1) + 1, 0) + 1;
}

/** Containers of those pods: the leaf's pod has two (the leaf and what keeps its local streams). */
export function edgeContainerCount(collectors: readonly { replicas?: number }[]): number {
  return collectors.length === 0 ? 0 : edgePodCount(collectors) + 1;
}

/**
 * ReplicaSets a Deployment may hold at once: its current one, `revisionHistoryLimit` old ones
 * (Kubernetes' apps/v1 default, 10; the edge's Deployments leave it at that) and the new one a
 * rollout creates before the controller prunes the oldest.
 */
export const REPLICASETS_PER_DEPLOYMENT = 10 + 2;

/** What besides its collectors decides the edge's objects. */
export interface EdgeFootprintOptions {
  serviceType?: EdgeServiceType;
  /** Collectors of these sites have no onboarding bundle. */
  revokedSites?: readonly string[];
  /** The stack's image pull Secret, which every edge namespace holds (`tenancy:edgeImagePullSecret`). */
  pullSecret?: boolean;
}

/** Object counts the edge namespace holds (besides pods), for its ResourceQuota. */
export function edgeObjectCounts(
  collectors: readonly { partition?: string }[],
  options: EdgeFootprintOptions = {},
): { services: number; loadBalancers: number; configmaps: number; secrets: number; deployments: number; replicaSets: number; serviceAccounts: number } {
  const n = collectors.length;
  if (n === 0) return { services: 0, loadBalancers: 0, configmaps: 0, secrets: 0, deployments: 0, replicaSets: 0, serviceAccounts: 0 };
  const bundles = collectors.filter((c) => !(options.revokedSites ?? []).includes(c.partition ?? "")).length;
  return {
    // One per collector and the leaf.
    deployments: n + 1,
    replicaSets: (n + 1) * REPLICASETS_PER_DEPLOYMENT,
    // The namespace's `default` one, which Kubernetes creates and the quota counts; the edge's pods run as it.
    serviceAccounts: 1,
    services: n + 1,
    // One per collector; no node ports (`allocateLoadBalancerNodePorts: false`).
    loadBalancers: options.serviceType === "LoadBalancer" ? n : 0,
    // Per collector its config; the leaf's (its config and its local streams' definitions), and
    // kube-root-ca.crt, which Kubernetes puts in every namespace and counts against the quota.
    configmaps: n + 2,
    // Per collector: its one Secret (certificate, key, CA, creds), its onboarding bundle (unless
    // its site is revoked); the leaf's one Secret (with its streams user's creds); the pull Secret
    // when the stack names one.
    secrets: n + bundles + 1 + (options.pullSecret ? 1 : 0),
  };
}

/**
 * The edge namespace's quota: exactly what its workloads use (every container at the LimitRange
 * defaults, `edgeContainerCount`; `edgePodCount`, `edgeObjectCounts`).
 */
export function edgeQuotaNeeds(collectors: readonly { replicas?: number; partition?: string }[], limits: Limits, options: EdgeFootprintOptions = {}): QuotaReservation {
  const pods = BigInt(edgePodCount(collectors));
  if (pods === 0n) return {};
  const containers = BigInt(edgeContainerCount(collectors));
  const lr = limits.kubernetes.limitRange;
  const milli = (v: string | number) => parseQuantityMilli(v) ?? 0n;
  const counts = edgeObjectCounts(collectors, options);
  return {
    "requests.cpu": milli(lr.defaultRequest.cpu) * containers,
    "requests.memory": milli(lr.defaultRequest.memory) * containers,
    "limits.cpu": milli(lr.default.cpu) * containers,
    "limits.memory": milli(lr.default.memory) * containers,
    // The edge's containers declare no ephemeral storage: the LimitRange gives each its defaults.
    "requests.ephemeral-storage": milli(lr.defaultRequest["ephemeral-storage"]) * containers,
    "limits.ephemeral-storage": milli(lr.default["ephemeral-storage"]) * containers,
    "requests.storage": 0n,
    persistentvolumeclaims: 0n,
    pods: pods * 1000n,
    services: BigInt(counts.services) * 1000n,
    "services.loadbalancers": BigInt(counts.loadBalancers) * 1000n,
    "services.nodeports": 0n,
    configmaps: BigInt(counts.configmaps) * 1000n,
    secrets: BigInt(counts.secrets) * 1000n,
    "count/serviceaccounts": BigInt(counts.serviceAccounts) * 1000n,
    "count/deployments.apps": BigInt(counts.deployments) * 1000n,
    "count/replicasets.apps": BigInt(counts.replicaSets) * 1000n,
  };
}
