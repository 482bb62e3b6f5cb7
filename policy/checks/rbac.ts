/**
 * Cluster-scoped RBAC: a tenant's rights must end at its own namespaces, and cluster-wide roles and
 * bindings are the way past them, so they are checked against every subject the tenants'
 * RoleBindings bind.
 */
import { LABELS } from "./names";
import { NamespaceIndex, describe, namespaceOf, type K8sObject, type Violation } from "./objects";

/** Groups every tenant's identities belong to: binding one cluster-wide binds every tenant. */
export const EVERYONE_GROUPS = ["system:authenticated", "system:unauthenticated", "system:serviceaccounts"] as const;

const subjectKey = (s: { kind?: string; name?: string; namespace?: string }) => `${s.kind}:${s.kind === "ServiceAccount" ? `${s.namespace ?? ""}/` : ""}${s.name}`;

/**
 * Tenants' rights must end at their own namespaces: no ClusterRoleBinding (or ClusterRole) for a
 * tenant, none that binds a subject a tenant's RoleBindings bind, a tenant namespace's service
 * accounts, or the groups every tenant belongs to; and tenant RoleBindings bind Roles, never
 * ClusterRoles (aggregation can widen a ClusterRole later, and the built-in admin/edit roles may
 * write NetworkPolicies).
 */
export function checkClusterRbac(objects: readonly K8sObject[]): Violation[] {
  const index = new NamespaceIndex(objects);
  const violations: Violation[] = [];
  const tenantSubjects = new Map<string, Set<string>>();
  for (const rb of objects) {
    if (rb.kind !== "RoleBinding") continue;
    const tenant = index.tenantOf(namespaceOf(rb)) ?? rb.metadata.labels[LABELS.tenant];
    if (tenant === undefined) continue;
    for (const s of rb.subjects ?? []) {
      const key = subjectKey({ ...s, namespace: s.namespace ?? namespaceOf(rb) });
      if (!tenantSubjects.has(key)) tenantSubjects.set(key, new Set());
      tenantSubjects.get(key)!.add(tenant);
    }
    if (rb.roleRef?.kind === "ClusterRole" && index.tenantOf(namespaceOf(rb)) !== undefined) {
      violations.push({
        urn: rb.urn,
        message: `${describe(rb)} binds ClusterRole ${rb.roleRef.name} in tenant "${tenant}"'s namespace: tenant RoleBindings must bind a Role of their namespace (a ClusterRole can be widened by aggregation, and the built-in ones may write NetworkPolicies)`,
      });
    }
  }
  const rule = "no cluster-scoped RBAC may grant anything to a tenant";
  for (const o of objects) {
    if (o.kind !== "ClusterRoleBinding" && o.kind !== "ClusterRole") continue;
    const labelled = o.metadata.labels[LABELS.tenant];
    if (labelled !== undefined) violations.push({ urn: o.urn, message: `${describe(o)} carries ${LABELS.tenant}="${labelled}": ${rule}` });
    if (o.kind !== "ClusterRoleBinding") continue;
    (o.subjects ?? []).forEach((s, i) => {
      const what = `${describe(o)}: subjects[${i}] (${s.kind} ${s.kind === "ServiceAccount" ? `${s.namespace}/` : ""}${s.name})`;
      const tenants = tenantSubjects.get(subjectKey(s));
      if (tenants) violations.push({ urn: o.urn, message: `${what} is bound by tenant ${[...tenants].sort().map((t) => `"${t}"`).join(", ")}'s RoleBindings: ${rule}` });
      else if (s.kind === "Group" && (EVERYONE_GROUPS as readonly string[]).includes(s.name ?? "")) violations.push({ urn: o.urn, message: `${what} contains every tenant's identities: ${rule}` });
      else if (s.kind === "Group" && s.name?.startsWith("system:serviceaccounts:") && index.tenantOf(s.name.slice("system:serviceaccounts:".length)) !== undefined)
        violations.push({ urn: o.urn, message: `${what} is the service accounts of tenant "${index.tenantOf(s.name.slice("system:serviceaccounts:".length))}": ${rule}` });
      else if (s.kind === "ServiceAccount" && index.tenantOf(s.namespace ?? "") !== undefined)
        violations.push({ urn: o.urn, message: `${what} is a service account of tenant "${index.tenantOf(s.namespace ?? "")}": ${rule}` });
    });
  }
  return violations;
}
