/**
 * A tenant namespace's quota bounds everything its tenant can create: compute (cpu, memory,
 * ephemeral storage), every namespaced kind the roles granted there (its Roles, the ClusterRoles its
 * RoleBindings bind) let someone create (each object
 * lives in etcd, which all tenants share). Which kinds are writable is read from the roles
 * themselves, so a new grant without a bound fails here. Pods of a priority class outside the plan
 * are the pod-scheduling admission policy's to refuse (every tenant namespace under it: admission.ts).
 */
import { NamespaceIndex, byNamespace, describe, type K8sObject, type Violation } from "./objects";
import { rolesGrantedIn } from "./tenant-roles";

/** Compute every tenant namespace bounds (with a LimitRange giving every container defaults). */
export const REQUIRED_COMPUTE_KEYS = ["requests.cpu", "limits.cpu", "requests.memory", "limits.memory", "requests.ephemeral-storage", "limits.ephemeral-storage", "pods"] as const;

/** Core kinds Kubernetes counts under their own quota names, not count/…. */
const CORE_COUNTS = new Set(["pods", "services", "configmaps", "secrets", "persistentvolumeclaims", "replicationcontrollers", "resourcequotas"]);

/** The quota key that bounds objects of `resource` in `group` (Kubernetes' object-count names). */
export function countKey(group: string, resource: string): string {
  if (group === "" && CORE_COUNTS.has(resource)) return resource;
  return group === "" ? `count/${resource}` : `count/${resource}.${group}`;
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
}

const isScoped = (q: K8sObject) => (q.spec?.scopes ?? []).length > 0 || q.spec?.scopeSelector !== undefined;

export function checkQuotaKeys(objects: readonly K8sObject[]): Violation[] {
  const index = new NamespaceIndex(objects);
  const quotas = byNamespace(objects, "ResourceQuota");
  const roles = rolesGrantedIn(objects);
  const violations: Violation[] = [];
  for (const ns of index.tenantNamespaces()) {
    const name = ns.metadata.name;
    const tenant = ns.metadata.labels["tenancy.serviceradar.io/tenant"];
    const mine = quotas.get(name) ?? [];
    const hard = new Set(mine.filter((q) => !isScoped(q)).flatMap((q) => Object.keys(q.spec?.hard ?? {})));
    const required = new Map<string, string>(REQUIRED_COMPUTE_KEYS.map((k) => [k, "every pod"]));
    for (const role of roles.get(name) ?? []) {
      for (const r of ((role as K8sObject & { rules?: Rule[] }).rules ?? []) as Rule[]) {
        if (!(r.verbs ?? []).some((v) => v === "create" || v === "*")) continue;
        for (const group of r.apiGroups ?? []) {
          for (const resource of r.resources ?? []) {
            if (resource.includes("/")) continue; // subresources (pods/exec) create no object
            if (!required.has(countKey(group, resource))) required.set(countKey(group, resource), `${describe(role)} lets it be created`);
          }
        }
      }
    }
    const missing = [...required].filter(([key]) => !hard.has(key));
    if (missing.length > 0) {
      violations.push({
        urn: ns.urn,
        message: `${describe(ns)} (tenant "${tenant}") has no quota on ${missing.map(([k, why]) => `${k} (${why})`).join(", ")}: whatever a tenant can create must be bounded, or it can exhaust what every tenant shares (etcd, nodes)`,
      });
    }
  }
  return violations;
}
