import * as k8s from "@pulumi/kubernetes";
import type { Limits } from "../model/limits";
import type { NamespacePlan } from "../model/model";
import { limitRangeSpec, resourceQuotaSpec } from "../plan/quota";
import type { ChildOptions } from "./namespaces";

/** The namespace's share of the tenant quota, and the per-container limit range. */
export function declareQuota(
  opts: ChildOptions,
  namespace: k8s.core.v1.Namespace,
  ns: NamespacePlan,
  limits: Limits,
  labels: Record<string, string>,
): void {
  const metadata = (name: string) => ({ name, namespace: namespace.metadata.name, labels });
  new k8s.core.v1.ResourceQuota(`${ns.name}-quota`, { metadata: metadata("tenant-quota"), spec: resourceQuotaSpec(ns) }, opts);
  new k8s.core.v1.LimitRange(`${ns.name}-limits`, { metadata: metadata("tenant-limits"), spec: limitRangeSpec(limits) }, opts);
}
