/**
 * ResourceQuota and LimitRange of tenant namespaces: what bounds the share of the cluster one
 * tenant can take from the others, which no network policy does.
 */
import { LABELS } from "./names";
import { NamespaceIndex, byNamespace, describe, type K8sObject, type Violation } from "./objects";

export function checkQuotaAndLimits(objects: readonly K8sObject[]): Violation[] {
  const index = new NamespaceIndex(objects);
  const quotasByNs = byNamespace(objects, "ResourceQuota");
  const limitRangesByNs = byNamespace(objects, "LimitRange");
  const violations: Violation[] = [];
  for (const ns of index.tenantNamespaces()) {
    const name = ns.metadata.name;
    const tenant = ns.metadata.labels[LABELS.tenant];
    const quotas = quotasByNs.get(name) ?? [];
    const limitRanges = limitRangesByNs.get(name) ?? [];
    // A scoped quota counts only some pods (e.g. BestEffort); an empty one limits nothing.
    const effective = quotas.filter((q) => Object.keys(q.spec?.hard ?? {}).length > 0 && (q.spec?.scopes ?? []).length === 0 && !q.spec?.scopeSelector);
    if (effective.length === 0) {
      violations.push({
        urn: ns.urn,
        message:
          `${describe(ns)} (tenant "${tenant}") has no ResourceQuota with hard limits for every pod` +
          (quotas.length ? ` (${quotas.map(describe).join(", ")} is empty or scoped)` : "") +
          ": every tenant namespace must be bounded by a quota",
      });
    }
    const withContainerLimits = limitRanges.filter((l) => ((l.spec?.limits ?? []) as any[]).some((item) => item?.type === "Container"));
    if (withContainerLimits.length === 0) {
      violations.push({
        urn: ns.urn,
        message:
          `${describe(ns)} (tenant "${tenant}") has no LimitRange with Container limits` +
          (limitRanges.length ? ` (${limitRanges.map(describe).join(", ")} has none)` : "") +
          ": every tenant namespace must give containers default requests/limits and a maximum",
      });
    }
  }
  return violations;
}
