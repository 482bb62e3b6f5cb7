/**
 * Cluster-scoped RBAC: a tenant's rights must end at its own namespaces, and cluster-wide roles and
 * bindings are the way past them, so they are checked against every subject the tenants'
 * RoleBindings bind.
 */
import { LABELS, TENANT_CLUSTER_ROLES } from "./names";
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
 * NetworkPolicies); such a ClusterRole — and the platform's access levels wherever they are
 * declared, bound here or not — has no aggregationRule (aggregation would widen it later, unseen),
 * feeds no aggregated role, and no ClusterRoleBinding binds it: it grants only where a tenant
 * namespace binds it.
 */
export interface ClusterRbacOptions {
  /**
   * A cell's stack: the platform stack declares the access levels (TENANT_CLUSTER_ROLES) and the
   * cell only binds them, so a tenant RoleBinding may bind exactly those two ClusterRoles, and the
   * cell may not declare them (two stacks would own one object). That the platform declares them
   * with sound rules is checked on the platform's stack and proven over the stacks together.
   */
  clusterRolesDeclaredElsewhere?: boolean;
}

export function checkClusterRbac(objects: readonly K8sObject[], options: ClusterRbacOptions = {}): Violation[] {
  const index = new NamespaceIndex(objects);
  const violations: Violation[] = [];
  const tenantSubjects = new Map<string, Set<string>>();
  const clusterRoles = new Map(objects.filter((o) => o.kind === "ClusterRole").map((o) => [o.metadata.name, o]));
  const elsewhere = options.clusterRolesDeclaredElsewhere === true;
  const platformRoles: readonly string[] = TENANT_CLUSTER_ROLES;
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
      if (elsewhere && !platformRoles.includes(name)) {
        violations.push({
          urn: rb.urn,
          message: `${describe(rb)} binds ClusterRole ${name} in tenant "${tenant}"'s namespace, which is not one of the platform stack's access levels (${platformRoles.join(", ")}): in a cell's stack a tenant RoleBinding binds a Role of its namespace or one of those, whose rules the pack checks on the platform's stack`,
        });
      } else if (!elsewhere && !clusterRoles.has(name)) {
        violations.push({
          urn: rb.urn,
          message: `${describe(rb)} binds ClusterRole ${name} in tenant "${tenant}"'s namespace, which this stack does not declare: a tenant RoleBinding binds a Role of its namespace or a ClusterRole of the stack, whose rules the pack checks (the built-in ones may write NetworkPolicies)`,
        });
      } else boundByTenants.set(name, (boundByTenants.get(name) ?? new Set()).add(tenant));
    }
  }
  if (elsewhere) {
    for (const name of platformRoles) {
      const role = clusterRoles.get(name);
      if (role) violations.push({ urn: role.urn, message: `${describe(role)} is declared in a cell's stack: the tenants' access levels are the platform stack's, declared once; a second owner would replace their rules for every cell` });
    }
  }
  // The platform's access levels are checked where they are declared, also where no tenant binds them (a platform stack of cells).
  const checked = new Map(boundByTenants);
  for (const name of platformRoles) if (clusterRoles.has(name) && !checked.has(name)) checked.set(name, new Set());
  for (const [name, tenants] of checked) {
    const role = clusterRoles.get(name);
    if (!role) continue; // the platform stack's, in a cell's stack
    const what =
      tenants.size === 0
        ? `${describe(role)}, a tenants' access level that cells' tenant namespaces bind`
        : `${describe(role)}, bound in tenant ${[...tenants].sort().slice(0, 3).map((t) => `"${t}"`).join(", ")}${tenants.size > 3 ? ` and ${tenants.size - 3} more` : ""}'s namespaces`;
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
    if (o.roleRef?.kind === "ClusterRole" && (checked.has(o.roleRef.name ?? "") || platformRoles.includes(o.roleRef.name ?? ""))) {
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
