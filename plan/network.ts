/**
 * The NetworkPolicies of a tenant's root and organization namespaces, and the hub's side of tenant
 * traffic, as plain objects. Peers are always named by the
 * `kubernetes.io/metadata.name` label, which the API server sets and nobody can forge, and never by
 * an empty `namespaceSelector: {}` (which would mean every namespace).
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import { LABELS, POLICY_NAMES } from "../model/names";
import type { NamespacePlan } from "./namespaces";
import type { StackSettings } from "../config/settings";

export type PlatformNetwork = Pick<StackSettings, "platformNamespace" | "natsHub" | "dns">;

export interface NetworkPolicySpec {
  name: string;
  spec: k8s.networking.v1.NetworkPolicySpec;
}

const byName = (names: string[]) =>
  names.length === 1
    ? { matchLabels: { [LABELS.namespaceName]: names[0] } }
    : { matchExpressions: [{ key: LABELS.namespaceName, operator: "In", values: [...names].sort() }] };

export function tenantNetworkPolicies(ns: NamespacePlan, platform: PlatformNetwork): NetworkPolicySpec[] {
  // Pods of this namespace, plus pods of the tenant's namespaces it is allowed to talk to.
  const peers: k8s.networking.v1.NetworkPolicyPeer[] = [{ podSelector: {} }];
  if (ns.peers.length > 0) peers.push({ namespaceSelector: byName(ns.peers) });
  return [
    {
      // Isolates every pod in both directions; the policies below are the only ways out and in.
      name: POLICY_NAMES.defaultDeny,
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    },
    {
      name: POLICY_NAMES.allowTenant,
      spec: {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: peers }],
        egress: [{ to: peers }],
      },
    },
    {
      name: POLICY_NAMES.allowPlatformEgress,
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          {
            to: [{ namespaceSelector: byName([platform.dns.namespace]), podSelector: { matchLabels: platform.dns.podLabels } }],
            ports: [
              { protocol: "UDP", port: 53 },
              { protocol: "TCP", port: 53 },
            ],
          },
          {
            to: [
              { namespaceSelector: byName([platform.platformNamespace]), podSelector: { matchLabels: platform.natsHub.podLabels } },
            ],
            // The client port only: leaf connections come from the edge namespace's leaf node.
            ports: [{ protocol: "TCP", port: platform.natsHub.clientPort }],
          },
        ],
      },
    },
  ];
}

/**
 * The platform side of the hub: NATS pods accept tenant namespaces on the client and leaf ports
 * only, and anything from the platform namespace itself. When leaf nodes run outside the cluster
 * (onboarding bundles, edges in tenants' own clusters), the leaf port also accepts `externalLeaves`
 * addresses — never the cluster's pod network, which reaches the hub only as the rules above say.
 */
export function natsHubIngressPolicy(platform: PlatformNetwork, externalLeaves?: { cidrs: string[]; except: string[] }): NetworkPolicySpec {
  return {
    name: POLICY_NAMES.hubIngress,
    spec: {
      podSelector: { matchLabels: platform.natsHub.podLabels },
      policyTypes: ["Ingress"],
      ingress: [
        { from: [{ podSelector: {} }] },
        {
          from: [{ namespaceSelector: { matchExpressions: [{ key: LABELS.tenant, operator: "Exists" }] } }],
          ports: [
            { protocol: "TCP", port: platform.natsHub.clientPort },
            { protocol: "TCP", port: platform.natsHub.leafPort },
          ],
        },
        ...(externalLeaves && externalLeaves.cidrs.length > 0
          ? [
              {
                from: externalLeaves.cidrs.map((cidr) => ({ ipBlock: { cidr, ...(externalLeaves.except.length ? { except: [...externalLeaves.except] } : {}) } })),
                ports: [{ protocol: "TCP", port: platform.natsHub.leafPort }],
              },
            ]
          : []),
      ],
    },
  };
}
