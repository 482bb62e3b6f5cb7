import * as k8s from "@pulumi/kubernetes";
import type { NetworkPolicySpec } from "../plan/network";
import type { ChildOptions } from "./namespaces";

/** Declares the given policies in `namespace`; logical names are `<namespace>-<policy>`. */
export function declareNetworkPolicies(
  opts: ChildOptions,
  namespace: k8s.core.v1.Namespace,
  namespaceName: string,
  policies: NetworkPolicySpec[],
  labels: Record<string, string>,
): k8s.networking.v1.NetworkPolicy[] {
  return policies.map(
    (policy) =>
      new k8s.networking.v1.NetworkPolicy(
        `${namespaceName}-${policy.name}`,
        { metadata: { name: policy.name, namespace: namespace.metadata.name, labels }, spec: policy.spec },
        opts,
      ),
  );
}
