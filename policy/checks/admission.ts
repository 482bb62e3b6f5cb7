/**
 * Every tenant namespace is under the program's admission policies: each ValidatingAdmissionPolicy
 * declared, failing closed, and bound with Deny by a binding whose namespace selector selects the
 * namespace (its labels as the API server sees them), with params that exist in the stack when
 * the policy takes params. Without them the quotas and RBAC leave externalIPs, node names, foreign
 * images and the rest open.
 */
import { ADMISSION_POLICIES } from "./names";
import { NamespaceIndex, describe, type K8sObject, type Violation } from "./objects";
import { selectorMatches } from "./selectors";

export function checkAdmissionPolicies(objects: readonly K8sObject[]): Violation[] {
  const index = new NamespaceIndex(objects);
  const policies = new Map(objects.filter((o) => o.kind === "ValidatingAdmissionPolicy").map((p) => [p.metadata.name, p]));
  const bindings = objects.filter((o) => o.kind === "ValidatingAdmissionPolicyBinding");
  const configMaps = new Set(objects.filter((o) => o.kind === "ConfigMap").map((c) => `${c.metadata.namespace ?? "default"}/${c.metadata.name}`));
  const violations: Violation[] = [];
  const namespaces = index.tenantNamespaces();
  for (const name of ADMISSION_POLICIES) {
    const policy = policies.get(name);
    if (!policy) {
      if (namespaces.length > 0) violations.push({ urn: namespaces[0].urn, message: `the stack has tenant namespaces but no ValidatingAdmissionPolicy ${name}` });
      continue;
    }
    if (policy.spec?.failurePolicy !== "Fail") violations.push({ urn: policy.urn, message: `${describe(policy)} has failurePolicy ${JSON.stringify(policy.spec?.failurePolicy)}: a policy that cannot be evaluated must refuse, not admit` });
    for (const ns of namespaces) {
      const labels = index.labelsOf(ns.metadata.name);
      const binding = bindings.find((b) => {
        const s = b.spec ?? {};
        if (s.policyName !== name || !(s.validationActions ?? []).includes("Deny")) return false;
        if (!selectorMatches(s.matchResources?.namespaceSelector ?? {}, labels)) return false;
        if (!policy.spec?.paramKind) return true;
        const ref = s.paramRef ?? {};
        return ref.name !== undefined && configMaps.has(`${ref.namespace ?? ns.metadata.name}/${ref.name}`) && ref.namespace !== undefined;
      });
      if (!binding) {
        violations.push({
          urn: ns.urn,
          message: `${describe(ns)} (tenant "${labels["tenancy.serviceradar.io/tenant"]}") is bound to ${name} by no binding with validationActions Deny${policy.spec?.paramKind ? " and params declared in the platform's namespace" : ""}: every tenant namespace is under every admission policy`,
        });
      }
    }
  }
  return violations;
}
