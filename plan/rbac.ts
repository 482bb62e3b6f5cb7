/**
 * What a tenant's admin and viewer groups may do inside their namespaces. Isolation objects
 * (NetworkPolicies, quotas, limit ranges, RBAC) are read-only to them: only this program changes
 * those. Verbs are listed, never "*", so a new Kubernetes verb grants nothing by surprise.
 */

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const READ = ["get", "list", "watch"];
const WRITE = [...READ, "create", "update", "patch", "delete", "deletecollection"];

const WORKLOADS: [string, string[]][] = [
  ["", ["pods", "services", "configmaps", "persistentvolumeclaims", "serviceaccounts"]],
  ["apps", ["deployments", "statefulsets", "replicasets", "daemonsets"]],
  ["batch", ["jobs", "cronjobs"]],
  ["autoscaling", ["horizontalpodautoscalers"]],
  ["policy", ["poddisruptionbudgets"]],
];
const ISOLATION: [string, string[]][] = [
  ["", ["resourcequotas", "limitranges"]],
  ["networking.k8s.io", ["networkpolicies"]],
  ["rbac.authorization.k8s.io", ["roles", "rolebindings"]],
];

export function adminRules(): PolicyRule[] {
  return [
    ...WORKLOADS.map(([group, resources]) => ({ apiGroups: [group], resources, verbs: WRITE })),
    { apiGroups: [""], resources: ["secrets"], verbs: WRITE },
    // Endpoints are the Service controller's to write; hand-written ones can point anywhere (CVE-2021-25740).
    { apiGroups: [""], resources: ["pods/log", "events", "endpoints"], verbs: READ },
    { apiGroups: [""], resources: ["pods/exec", "pods/portforward"], verbs: ["create", "get"] },
    ...ISOLATION.map(([group, resources]) => ({ apiGroups: [group], resources, verbs: READ })),
  ];
}

/** Viewers read everything the admins manage except Secrets and exec/port-forward. */
export function viewerRules(): PolicyRule[] {
  return [
    ...WORKLOADS.map(([group, resources]) => ({ apiGroups: [group], resources, verbs: READ })),
    { apiGroups: [""], resources: ["pods/log", "events", "endpoints"], verbs: READ },
    ...ISOLATION.map(([group, resources]) => ({ apiGroups: [group], resources, verbs: READ })),
  ];
}
