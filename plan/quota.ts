/**
 * ResourceQuota and LimitRange specs of one tenant namespace, as plain objects: the namespace's
 * share of every quota key, the scoped quota that admits no pod of a priority class outside the
 * plan's (where no admission policy does: an edge cluster), and the per-container defaults that
 * make every container declare cpu, memory and ephemeral storage (so the quota on each can be
 * enforced: Kubernetes refuses a pod that leaves a quota'd resource unset).
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import type { Limits } from "../model/limits";
import type { NamespacePlan } from "./namespaces";

export function resourceQuotaSpec(ns: NamespacePlan): k8s.core.v1.ResourceQuotaSpec {
  return { hard: { ...ns.quota } };
}

/**
 * `pods: 0` for pods that name a priority class outside `allowed`. Kubernetes matches a
 * `PriorityClass` scope requirement against the pod's class as a label (`Exists` means "has a
 * class"; `NotIn` also matches a pod without one), and a scope selector's requirements all have to
 * match: so "has a class, and it is not one of these" — a pod without a class is not this quota's.
 */
export function priorityClassQuotaSpec(allowed: readonly string[]): k8s.core.v1.ResourceQuotaSpec {
  return {
    hard: { pods: "0" },
    scopeSelector: {
      matchExpressions: [
        { scopeName: "PriorityClass", operator: "Exists" },
        ...(allowed.length > 0 ? [{ scopeName: "PriorityClass", operator: "NotIn", values: [...allowed].sort() }] : []),
      ],
    },
  };
}

export function limitRangeSpec(limits: Limits): k8s.core.v1.LimitRangeSpec {
  const lr = limits.kubernetes.limitRange;
  const resources = (v: { cpu: string; memory: string; "ephemeral-storage": string }) => ({
    cpu: String(v.cpu),
    memory: String(v.memory),
    "ephemeral-storage": String(v["ephemeral-storage"]),
  });
  return {
    limits: [
      {
        type: "Container",
        defaultRequest: resources(lr.defaultRequest),
        default: resources(lr.default),
        max: resources(lr.max),
      },
    ],
  };
}
