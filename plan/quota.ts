/** ResourceQuota and LimitRange specs of one tenant namespace, as plain objects. */
import type * as k8s from "@pulumi/kubernetes/types/input";
import type { Limits } from "../model/limits";
import type { NamespacePlan } from "./namespaces";

export function resourceQuotaSpec(ns: NamespacePlan): k8s.core.v1.ResourceQuotaSpec {
  return { hard: { ...ns.quota } };
}

export function limitRangeSpec(limits: Limits): k8s.core.v1.LimitRangeSpec {
  const lr = limits.kubernetes.limitRange;
  const cpuMemory = (v: { cpu: string; memory: string }) => ({ cpu: String(v.cpu), memory: String(v.memory) });
  return {
    limits: [
      {
        type: "Container",
        defaultRequest: cpuMemory(lr.defaultRequest),
        default: cpuMemory(lr.default),
        max: cpuMemory(lr.max),
      },
    ],
  };
}
