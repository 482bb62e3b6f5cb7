/**
 * Every tenant namespace is under the program's admission policies: each ValidatingAdmissionPolicy
 * declared, failing closed, and bound with Deny by a binding whose namespace selector selects the
 * namespace (its labels as the API server sees them), with params that exist in the stack when
 * the policy takes params. Without them the quotas and RBAC leave externalIPs, node names, foreign
 * images and the rest open.
 *
 * In a cell's stack (docs/cells.md) the policies, their bindings and the plans' params are the
 * platform stack's: their absence is not a hole there, but what the cell does declare is checked as
 * the platform's would be, and its tenant namespaces must carry what the platform's bindings select
 * on (the tenant label, which makes them tenant namespaces, and the plan label). That the platform's
 * bindings do select every cell's namespaces is proven over the stacks together
 * (test/e2e/cells-isolation.test.ts).
 */
import { ADMISSION_POLICIES, LABELS } from "./names";
import { NamespaceIndex, describe, type K8sObject, type Violation } from "./objects";
import { selectorMatches } from "./selectors";

export interface AdmissionCheckOptions {
  /** The policies, bindings and params live in another stack (a cell's stack: the platform's). */
  declaredElsewhere?: boolean;
}

export function checkAdmissionPolicies(objects: readonly K8sObject[], options: AdmissionCheckOptions = {}): Violation[] {
  if (options.declaredElsewhere) return checkCellSide(objects);
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
    violations.push(...failingOpen(policy));
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

/** A policy that cannot be evaluated must refuse. */
function failingOpen(policy: K8sObject): Violation[] {
  if (policy.spec?.failurePolicy === "Fail") return [];
  return [{ urn: policy.urn, message: `${describe(policy)} has failurePolicy ${JSON.stringify(policy.spec?.failurePolicy)}: a policy that cannot be evaluated must refuse, not admit` }];
}

/**
 * What a cell's stack can answer for: a tenancy policy or binding it declares anyway would replace
 * the platform's object of that name (cluster-scoped, one per cluster), so it must be as strict —
 * failing closed, denying; and the per-plan bindings select a namespace by its plan label
 * (plan/admission.ts), so a tenant namespace without one would be under none of them.
 */
function checkCellSide(objects: readonly K8sObject[]): Violation[] {
  const ours = new Set<string>(ADMISSION_POLICIES);
  const violations: Violation[] = [];
  for (const policy of objects.filter((o) => o.kind === "ValidatingAdmissionPolicy" && ours.has(o.metadata.name))) violations.push(...failingOpen(policy));
  for (const binding of objects.filter((o) => o.kind === "ValidatingAdmissionPolicyBinding" && ours.has(o.spec?.policyName))) {
    if ((binding.spec?.validationActions ?? []).includes("Deny")) continue;
    violations.push({ urn: binding.urn, message: `${describe(binding)} binds ${binding.spec.policyName} without validationActions Deny: a binding declared in a cell's stack replaces the platform's and must deny as it does` });
  }
  const index = new NamespaceIndex(objects);
  for (const ns of index.tenantNamespaces()) {
    const labels = index.labelsOf(ns.metadata.name);
    if (labels[LABELS.plan]) continue;
    violations.push({
      urn: ns.urn,
      message: `${describe(ns)} (tenant "${labels[LABELS.tenant]}") has no ${LABELS.plan} label: the platform stack's admission bindings for a plan select namespaces by it, so this one would be under none of them`,
    });
  }
  return violations;
}
