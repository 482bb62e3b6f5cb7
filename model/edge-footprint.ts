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

/**
 * ReplicaSets a Deployment may hold at once: its current one, `revisionHistoryLimit` old ones
 * (Kubernetes' apps/v1 default, 10; the edge's Deployments leave it at that) and the new one a
 * rollout creates before the controller prunes the oldest.
 */
export const REPLICASETS_PER_DEPLOYMENT = 10 + 2;

/** Object counts the edge namespace holds (besides pods), for its ResourceQuota. */
export function edgeObjectCounts(
  collectorCount: number,
  serviceType: EdgeServiceType = "ClusterIP",
): { services: number; loadBalancers: number; configmaps: number; secrets: number; deployments: number; replicaSets: number; serviceAccounts: number } {
  if (collectorCount === 0) return { services: 0, loadBalancers: 0, configmaps: 0, secrets: 0, deployments: 0, replicaSets: 0, serviceAccounts: 0 };
  return {
    // One per collector and the leaf.
    deployments: collectorCount + 1,
    replicaSets: (collectorCount + 1) * REPLICASETS_PER_DEPLOYMENT,
    // The namespace's `default` one, which Kubernetes creates and the quota counts; the edge's pods run as it.
    serviceAccounts: 1,
    services: collectorCount + 1,
    // One per collector; no node ports (`allocateLoadBalancerNodePorts: false`).
    loadBalancers: serviceType === "LoadBalancer" ? collectorCount : 0,
    // + kube-root-ca.crt, which Kubernetes puts in every namespace and counts against the quota.
    configmaps: collectorCount + 2,
    // Per collector: certificate, creds, onboarding bundle; the leaf: certificate, creds.
    secrets: 3 * collectorCount + 2,
  };
}

/**
 * The edge namespace's quota: exactly what its workloads use (pods at the LimitRange defaults,
 * `edgePodCount`, `edgeObjectCounts`).
 */
export function edgeQuotaNeeds(collectors: readonly { replicas?: number }[], limits: Limits, serviceType: EdgeServiceType = "ClusterIP"): QuotaReservation {
  const pods = BigInt(edgePodCount(collectors));
  if (pods === 0n) return {};
  const lr = limits.kubernetes.limitRange;
  const milli = (v: string | number) => parseQuantityMilli(v) ?? 0n;
  const counts = edgeObjectCounts(collectors.length, serviceType);
  return {
    "requests.cpu": milli(lr.defaultRequest.cpu) * pods,
    "requests.memory": milli(lr.defaultRequest.memory) * pods,
    "limits.cpu": milli(lr.default.cpu) * pods,
    "limits.memory": milli(lr.default.memory) * pods,
    // The edge's containers declare no ephemeral storage: the LimitRange gives each its defaults.
    "requests.ephemeral-storage": milli(lr.defaultRequest["ephemeral-storage"]) * pods,
    "limits.ephemeral-storage": milli(lr.default["ephemeral-storage"]) * pods,
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
