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

/** The label prefix that makes a ClusterRole part of another (aggregated) one, such as the built-in admin, edit and view. */
export const AGGREGATE_LABEL_PREFIX = "rbac.authorization.k8s.io/aggregate-to-";

/**
 * Tenants' rights must end at their own namespaces: no ClusterRoleBinding (or ClusterRole) for a
 * tenant, none that binds a subject a tenant's RoleBindings bind, a tenant namespace's service
 * accounts, or the groups every tenant belongs to. A tenant RoleBinding binds a Role of its
 * namespace or a ClusterRole this stack declares (the platform's access levels, whose rules
 * tenant-roles-allow-list checks), never one it does not (the built-in admin and edit may write
 * NetworkPolicies); such a ClusterRole has no aggregationRule (aggregation would widen it later,
 * unseen), feeds no aggregated role, and no ClusterRoleBinding binds it: it grants only where a
 * tenant namespace binds it.
 */
export function checkClusterRbac(objects: readonly K8sObject[]): Violation[] {
  const index = new NamespaceIndex(objects);
  const violations: Violation[] = [];
  const tenantSubjects = new Map<string, Set<string>>();
  const clusterRoles = new Map(objects.filter((o) => o.kind === "ClusterRole").map((o) => [o.metadata.name, o]));
  /** ClusterRoles tenant RoleBindings bind → the tenants whose namespaces bind them. */
  const boundByTenants = new Map<string, Set<string>>();
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
      const name = rb.roleRef.name ?? "";
      if (!clusterRoles.has(name)) {
        violations.push({
          urn: rb.urn,
          message: `${describe(rb)} binds ClusterRole ${name} in tenant "${tenant}"'s namespace, which this stack does not declare: a tenant RoleBinding binds a Role of its namespace or a ClusterRole of the stack, whose rules the pack checks (the built-in ones may write NetworkPolicies)`,
        });
      } else boundByTenants.set(name, (boundByTenants.get(name) ?? new Set()).add(tenant));
    }
  }
  for (const [name, tenants] of boundByTenants) {
    const role = clusterRoles.get(name)!;
    const what = `${describe(role)}, bound in tenant ${[...tenants].sort().slice(0, 3).map((t) => `"${t}"`).join(", ")}${tenants.size > 3 ? ` and ${tenants.size - 3} more` : ""}'s namespaces`;
    if (role.aggregationRule !== undefined && role.aggregationRule !== null) {
      violations.push({ urn: role.urn, message: `${what}, has an aggregationRule: any ClusterRole labelled to match would widen what every tenant namespace binding it grants` });
    }
    const feeds = Object.keys(role.metadata.labels).filter((l) => l.startsWith(AGGREGATE_LABEL_PREFIX));
    if (feeds.length > 0) violations.push({ urn: role.urn, message: `${what}, carries ${feeds.join(", ")}: its rules would be added to an aggregated ClusterRole bound elsewhere` });
  }
  const rule = "no cluster-scoped RBAC may grant anything to a tenant";
  for (const o of objects) {
    if (o.kind !== "ClusterRoleBinding" && o.kind !== "ClusterRole") continue;
    const labelled = o.metadata.labels[LABELS.tenant];
    if (labelled !== undefined) violations.push({ urn: o.urn, message: `${describe(o)} carries ${LABELS.tenant}="${labelled}": ${rule}` });
    if (o.kind !== "ClusterRoleBinding") continue;
    if (o.roleRef?.kind === "ClusterRole" && boundByTenants.has(o.roleRef.name ?? "")) {
      violations.push({ urn: o.urn, message: `${describe(o)} binds ClusterRole ${o.roleRef.name}, which tenant namespaces bind: it would grant a tenant's access level in every namespace; ${rule}` });
    }
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
