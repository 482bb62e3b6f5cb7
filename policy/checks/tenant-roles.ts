/**
 * What a role granted in a tenant namespace may grant — a Role of the namespace, or a ClusterRole a
 * RoleBinding of the namespace binds (it grants its rules in that namespace): named verbs on named
 * resources (never `*`), never the verbs that escape RBAC (bind, escalate, impersonate), never a
 * write on what isolates the tenant (its quotas, limit ranges, network policies, roles and
 * bindings), never a non-resource URL. Inside a namespace these are the ways past every other control.
 */
import { TENANT_CLUSTER_ROLES } from "./names";
import { NamespaceIndex, byNamespace, describe, namespaceOf, type K8sObject, type Violation } from "./objects";

/** Verbs that grant rights beyond the Role's own: binding, escalating, impersonating. */
export const ESCAPE_VERBS = ["bind", "escalate", "impersonate"] as const;
export const WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection"] as const;
/** group/resource of what isolates a tenant namespace: read-only to everyone but the program. */
export const ISOLATION_RESOURCES = [
  "/resourcequotas",
  "/limitranges",
  "networking.k8s.io/networkpolicies",
  "rbac.authorization.k8s.io/roles",
  "rbac.authorization.k8s.io/rolebindings",
] as const;

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  nonResourceURLs?: string[];
}

/**
 * The roles that grant in each tenant namespace: its Roles, and the ClusterRoles its RoleBindings
 * bind (those the stack declares; an undeclared one is reported by checkClusterRbac).
 */
export function rolesGrantedIn(objects: readonly K8sObject[]): Map<string, K8sObject[]> {
  const index = new NamespaceIndex(objects);
  const clusterRoles = new Map(objects.filter((o) => o.kind === "ClusterRole").map((o) => [o.metadata.name, o]));
  const granted = new Map<string, K8sObject[]>();
  const add = (ns: string, role: K8sObject) => {
    const list = granted.get(ns) ?? [];
    if (!list.includes(role)) list.push(role);
    granted.set(ns, list);
  };
  for (const [ns, roles] of byNamespace(objects, "Role")) if (index.tenantOf(ns) !== undefined) for (const r of roles) add(ns, r);
  for (const [ns, bindings] of byNamespace(objects, "RoleBinding")) {
    if (index.tenantOf(ns) === undefined) continue;
    for (const b of bindings) {
      const role = b.roleRef?.kind === "ClusterRole" ? clusterRoles.get(b.roleRef.name ?? "") : undefined;
      if (role) add(ns, role);
    }
  }
  return granted;
}

export function checkTenantRoles(objects: readonly K8sObject[]): Violation[] {
  const index = new NamespaceIndex(objects);
  const violations: Violation[] = [];
  // A ClusterRole bound in several tenants' namespaces is checked once, naming the tenants.
  const grantedBy = new Map<K8sObject, Set<string>>();
  for (const [ns, roles] of rolesGrantedIn(objects)) for (const r of roles) grantedBy.set(r, (grantedBy.get(r) ?? new Set()).add(index.tenantOf(ns)!));
  // The tenants' access levels are checked where they are declared, bound there or not (a platform stack of cells).
  for (const o of objects) if (o.kind === "ClusterRole" && (TENANT_CLUSTER_ROLES as readonly string[]).includes(o.metadata.name) && !grantedBy.has(o)) grantedBy.set(o, new Set());
  for (const [role, tenants] of grantedBy) {
    const sorted = [...tenants].sort();
    const named = sorted.slice(0, 3).map((t) => `"${t}"`).join(", ") + (sorted.length > 3 ? ` and ${sorted.length - 3} more` : "");
    const whose = role.kind === "Role" ? `tenant ${named}` : sorted.length === 0 ? "a tenants' access level, bound by cells' tenant namespaces" : `bound in the namespaces of tenant ${named}`;
    const rules = ((role as K8sObject & { rules?: Rule[] }).rules ?? []) as Rule[];
    rules.forEach((r, i) => {
      const at = `${describe(role)} (${whose}): rules[${i}]`;
      for (const field of ["apiGroups", "resources", "verbs"] as const) {
        if ((r[field] ?? []).includes("*")) violations.push({ urn: role.urn, message: `${at}.${field} has "*": a role granted in a tenant namespace lists what it grants, so a new kind or verb grants nothing by surprise` });
      }
      for (const verb of ESCAPE_VERBS) if ((r.verbs ?? []).includes(verb)) violations.push({ urn: role.urn, message: `${at} grants "${verb}": it lets the holder grant or assume rights it does not have` });
      if ((r.nonResourceURLs ?? []).length > 0) violations.push({ urn: role.urn, message: `${at} has nonResourceURLs: they grant outside every namespace wherever this role is bound cluster-wide, and mean nothing where a tenant namespace binds it` });
      const writes = (r.verbs ?? []).filter((v) => (WRITE_VERBS as readonly string[]).includes(v) || v === "*");
      if (writes.length === 0) return;
      for (const group of r.apiGroups ?? []) {
        for (const resource of r.resources ?? []) {
          const key = `${group}/${resource.split("/")[0]}`;
          if ((ISOLATION_RESOURCES as readonly string[]).includes(key) || (resource === "*" && ISOLATION_RESOURCES.some((x) => x.startsWith(`${group}/`)))) {
            violations.push({ urn: role.urn, message: `${at} may ${writes.join(", ")} ${resource}${group ? `.${group}` : ""}: what isolates a tenant is the program's to change, read-only to the tenant` });
          }
        }
      }
    });
  }
  return violations;
}
