import * as k8s from "@pulumi/kubernetes";
import type { NamespacePlan } from "../model/model";
import { adminRules, viewerRules, type PolicyRule } from "../plan/rbac";
import type { ChildOptions } from "./namespaces";

/**
 * Namespaced Role + RoleBinding per access level. Never a ClusterRoleBinding: a tenant group's
 * rights end at its own namespaces.
 */
export function declareRbac(
  opts: ChildOptions,
  namespace: k8s.core.v1.Namespace,
  ns: NamespacePlan,
  labels: Record<string, string>,
): void {
  const levels: [string, string[], PolicyRule[]][] = [
    // The edge is the platform's to run: its admins may look, not change (collector configs,
    // certificates and creds are this program's).
    ["admin", ns.admins, ns.role === "edge" ? viewerRules() : adminRules()],
    ["viewer", ns.viewers, viewerRules()],
  ];
  for (const [level, groups, rules] of levels) {
    if (groups.length === 0) continue;
    const name = `tenant-${level}`;
    const metadata = { name, namespace: namespace.metadata.name, labels };
    const role = new k8s.rbac.v1.Role(`${ns.name}-${level}-role`, { metadata, rules }, opts);
    new k8s.rbac.v1.RoleBinding(
      `${ns.name}-${level}-binding`,
      {
        metadata,
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: groups.map((group) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: group })),
      },
      opts,
    );
  }
}
