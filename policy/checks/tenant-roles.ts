/**
 * What a Role in a tenant namespace may grant: named verbs on named resources (never `*`), never
 * the verbs that escape RBAC (bind, escalate, impersonate), never a write on what isolates the
 * tenant (its quotas, limit ranges, network policies, roles and bindings), never a non-resource URL.
 * A Role can only grant within its namespace, but inside it these are the ways past every other
 * control.
 */
import { NamespaceIndex, describe, namespaceOf, type K8sObject, type Violation } from "./objects";

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

export function checkTenantRoles(objects: readonly K8sObject[]): Violation[] {
  const index = new NamespaceIndex(objects);
  const violations: Violation[] = [];
  for (const role of objects) {
    if (role.kind !== "Role") continue;
    const tenant = index.tenantOf(namespaceOf(role));
    if (tenant === undefined) continue;
    const rules = ((role as K8sObject & { rules?: Rule[] }).rules ?? []) as Rule[];
    rules.forEach((r, i) => {
      const at = `${describe(role)} (tenant "${tenant}"): rules[${i}]`;
      for (const field of ["apiGroups", "resources", "verbs"] as const) {
        if ((r[field] ?? []).includes("*")) violations.push({ urn: role.urn, message: `${at}.${field} has "*": a tenant Role lists what it grants, so a new kind or verb grants nothing by surprise` });
      }
      for (const verb of ESCAPE_VERBS) if ((r.verbs ?? []).includes(verb)) violations.push({ urn: role.urn, message: `${at} grants "${verb}": it lets the holder grant or assume rights it does not have` });
      if ((r.nonResourceURLs ?? []).length > 0) violations.push({ urn: role.urn, message: `${at} has nonResourceURLs: they mean nothing in a Role, and hint at a ClusterRole's rules copied` });
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
