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
import { LEAF_SELECTOR } from "./edge/workloads";

export type PlatformNetwork = Pick<StackSettings, "platformNamespace" | "natsHub" | "dns">;

/** The DNS egress every namespace of the stack has: kube-dns pods on 53, UDP and TCP. */
export const dnsEgress = (platform: PlatformNetwork): k8s.networking.v1.NetworkPolicyEgressRule => ({
  to: [{ namespaceSelector: byName([platform.dns.namespace]), podSelector: { matchLabels: platform.dns.podLabels } }],
  ports: [
    { protocol: "UDP", port: 53 },
    { protocol: "TCP", port: 53 },
  ],
});

/** Isolates every pod of the platform namespace in both directions: its other policies are the only ways out and in. */
const DEFAULT_DENY: NetworkPolicySpec = { name: POLICY_NAMES.defaultDeny, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } };

export interface NetworkPolicySpec {
  name: string;
  spec: k8s.networking.v1.NetworkPolicySpec;
}

const byName = (names: string[]) =>
  names.length === 1
    ? { matchLabels: { [LABELS.namespaceName]: names[0] } }
    : { matchExpressions: [{ key: LABELS.namespaceName, operator: "In", values: [...names].sort() }] };

/**
 * One policy: every pod of the namespace isolated both ways, then allowed the namespace itself and
 * the tenant's namespaces it may talk to (both directions), and DNS. Nothing of the platform: no
 * creds for the hub are in a tenant's root or organization namespaces (the edge's are in its edge
 * namespace, whose leaf alone dials the hub, on the leaf port: plan/edge/network.ts).
 */
export function tenantNetworkPolicies(ns: NamespacePlan, platform: PlatformNetwork): NetworkPolicySpec[] {
  // Pods of this namespace, plus pods of the tenant's namespaces it is allowed to talk to.
  const peers: k8s.networking.v1.NetworkPolicyPeer[] = [{ podSelector: {} }];
  if (ns.peers.length > 0) peers.push({ namespaceSelector: byName(ns.peers) });
  return [
    {
      name: POLICY_NAMES.isolation,
      spec: {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: peers }],
        egress: [{ to: peers }, dnsEgress(platform)],
      },
    },
  ];
}

/**
 * The platform side of the hub: NATS pods accept the platform namespace itself (the EventWriter's
 * reader and NACK's manager hold the only creds for the client port; the toolbox and the
 * monitoring port are the platform's), and tenants' edge namespaces on the leaf port only (their
 * leaf nodes; a tenant's other namespaces hold no creds for the hub). When leaf nodes run outside
 * the cluster (onboarding bundles, edges in tenants' own clusters), the leaf port also accepts
 * `externalLeaves` addresses — never the cluster's pod network, which reaches the hub only as the
 * rules above say.
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
          from: [
            {
              namespaceSelector: {
                matchExpressions: [
                  { key: LABELS.tenant, operator: "Exists" },
                  { key: LABELS.role, operator: "In", values: ["edge"] },
                ],
              },
              // The leaf node of the edge namespace, not its collectors.
              podSelector: { matchLabels: LEAF_SELECTOR },
            },
          ],
          ports: [{ protocol: "TCP", port: platform.natsHub.leafPort }],
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

/**
 * The platform namespace's own policies: default deny both ways, then its pods with each other,
 * DNS, and the API server (NACK and the suspender talk to it) on 443 and 6443 at `apiServerCidrs`.
 * The hub's ingress policy (above) adds the edges' leaf nodes. Anything else a platform service
 * needs (a database, an object store) is the operator's to allow, explicitly.
 */
export function platformNetworkPolicies(platform: PlatformNetwork, apiServerCidrs: readonly string[], podCidrs: readonly string[]): NetworkPolicySpec[] {
  return [
    DEFAULT_DENY,
    {
      name: POLICY_NAMES.allowPlatform,
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{ from: [{ podSelector: {} }] }], egress: [{ to: [{ podSelector: {} }] }] },
    },
    {
      name: POLICY_NAMES.allowPlatformOut,
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          dnsEgress(platform),
          {
            // Never the pod network: an address range that holds pods would open 443 of every pod.
            to: apiServerCidrs.map((cidr) => {
              const except = podCidrs.filter((pods) => strictlyInside(pods, cidr));
              return { ipBlock: { cidr, ...(except.length ? { except } : {}) } };
            }),
            ports: [
              { protocol: "TCP", port: 443 },
              { protocol: "TCP", port: 6443 },
            ],
          },
        ],
      },
    },
  ];
}

/** `inner` is a strictly smaller IPv4 range inside `outer` (what NetworkPolicy requires of an `except`). */
export function strictlyInside(inner: string, outer: string): boolean {
  const parse = (cidr: string) => {
    const [ip, bits] = cidr.split("/");
    const value = ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
    return { value, prefix: Number(bits) };
  };
  const a = parse(inner);
  const b = parse(outer);
  if (a.prefix <= b.prefix) return false;
  const size = 2 ** (32 - b.prefix);
  return Math.floor(a.value / size) === Math.floor(b.value / size);
}
