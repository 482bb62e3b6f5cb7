/**
 * Declares one tenant namespace and what isolates it, as planned (plan/tenant.ts): the Namespace
 * (protected while the tenant holds data in it), its NetworkPolicies, its share of the quota, the
 * LimitRange, and a RoleBinding per access level to the platform's ClusterRole of that level (it
 * grants in this namespace only) — never a cluster-wide grant.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { NamespaceResourcesPlan } from "../plan/tenant";

/** Parent and, for an edge in its own cluster, that cluster's provider: the options every child gets. */
export interface ChildOptions {
  parent: pulumi.Resource;
  provider?: pulumi.ProviderResource;
}

/**
 * Deleting or renaming the tenant file (or an organization) fails the update on a protected
 * namespace instead of deleting it and its data. `labels` go on the namespace's isolation objects.
 * `stopping` collects what a suspension Job must wait for (the quota, the suspender's binding).
 */
export function declareNamespace(opts: ChildOptions, plan: NamespaceResourcesPlan, labels: Record<string, string>, stopping: pulumi.Resource[] = []): k8s.core.v1.Namespace {
  const namespace = new k8s.core.v1.Namespace(plan.logicalName, { metadata: { name: plan.name, labels: plan.labels } }, { ...opts, protect: plan.protect });
  const metadata = (name: string) => ({ name, namespace: namespace.metadata.name, labels });
  for (const policy of plan.networkPolicies) {
    new k8s.networking.v1.NetworkPolicy(policy.logicalName, { metadata: metadata(policy.name), spec: policy.spec }, opts);
  }
  stopping.push(new k8s.core.v1.ResourceQuota(plan.quota.logicalName, { metadata: metadata(plan.quota.name), spec: plan.quota.spec }, opts));
  if (plan.priorityQuota) new k8s.core.v1.ResourceQuota(plan.priorityQuota.logicalName, { metadata: metadata(plan.priorityQuota.name), spec: plan.priorityQuota.spec }, opts);
  new k8s.core.v1.LimitRange(plan.limitRange.logicalName, { metadata: metadata(plan.limitRange.name), spec: plan.limitRange.spec }, opts);
  for (const access of plan.access) {
    new k8s.rbac.v1.RoleBinding(
      access.binding.logicalName,
      {
        metadata: metadata(access.binding.name),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: access.binding.clusterRole },
        subjects: access.binding.groups.map((group) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: group })),
      },
      opts,
    );
  }
  if (plan.suspender) {
    const { role, binding } = plan.suspender;
    const r = new k8s.rbac.v1.Role(role.logicalName, { metadata: metadata(role.name), rules: role.rules }, opts);
    const b = new k8s.rbac.v1.RoleBinding(
      binding.logicalName,
      {
        metadata: metadata(binding.name),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: r.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: binding.serviceAccount.name, namespace: binding.serviceAccount.namespace }],
      },
      opts,
    );
    stopping.push(b);
  }
  return namespace;
}
