import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { NamespacePlan } from "../lib/model";
import { adminRules, viewerRules, type PolicyRule } from "../lib/rbac-rules";

/**
 * Namespaced Role + RoleBinding per access level. Never a ClusterRoleBinding: a tenant group's
 * rights end at its own namespaces.
 */
export function declareRbac(
  parent: pulumi.Resource,
  namespace: k8s.core.v1.Namespace,
  ns: NamespacePlan,
  labels: Record<string, string>,
): void {
  const levels: [string, string[], PolicyRule[]][] = [
    ["admin", ns.admins, adminRules()],
    ["viewer", ns.viewers, viewerRules()],
  ];
  for (const [level, groups, rules] of levels) {
    if (groups.length === 0) continue;
    const name = `tenant-${level}`;
    const metadata = { name, namespace: namespace.metadata.name, labels };
    const role = new k8s.rbac.v1.Role(`${ns.name}-${level}-role`, { metadata, rules }, { parent });
    new k8s.rbac.v1.RoleBinding(
      `${ns.name}-${level}-binding`,
      {
        metadata,
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: groups.map((group) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: group })),
      },
      { parent },
    );
  }
}
