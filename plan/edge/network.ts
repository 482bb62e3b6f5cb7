/**
 * The edge namespace's NetworkPolicies: nothing in the edge talks to the tenant's other
 * namespaces; collectors reach only the leaf (and DNS), the leaf only the hub's leaf port (and
 * DNS), and only the collectors' ingest ports are open, to addresses outside the pod network.
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import type { EdgeSettings } from "../../config/settings";
import { LABELS, LEAF_COMPONENT, POLICY_NAMES } from "../../model/names";
import { dnsEgress, type NetworkPolicySpec, type PlatformNetwork } from "../network";
import { LEAF_CLIENT_PORT } from "./paths";
import { COLLECTOR_SELECTOR, LEAF_SELECTOR, type EdgeWorkloadPlan } from "./workloads";

export type LeafHubTarget = { kind: "platform" } | { kind: "external"; cidrs: string[] };

/** `podCidrs`: the pod network of the cluster the edge runs in; none of its pods is a device. */
export function edgeNetworkPolicies(workloads: EdgeWorkloadPlan[], platform: PlatformNetwork, edge: EdgeSettings, hub: LeafHubTarget, podCidrs: readonly string[]): NetworkPolicySpec[] {
  const podsOf = (labels: Record<string, string>) => ({ podSelector: { matchLabels: labels } });
  const ingestFrom = edge.ingestCidrs.map((cidr) => ({ ipBlock: { cidr, ...(podCidrs.length ? { except: [...podCidrs] } : {}) } }));
  const hubPeers: k8s.networking.v1.NetworkPolicyPeer[] =
    hub.kind === "platform"
      ? [{ namespaceSelector: { matchLabels: { [LABELS.namespaceName]: platform.platformNamespace } }, podSelector: { matchLabels: platform.natsHub.podLabels } }]
      : hub.cidrs.map((cidr) => ({ ipBlock: { cidr } }));
  // One policy per group of pods (rules of policies selecting the same pods add up, so grouping
  // them by selector is the same isolation): every pod, the leaf, each collector.
  const policies: NetworkPolicySpec[] = [
    { name: POLICY_NAMES.isolation, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], egress: [dnsEgress(platform)] } },
    {
      name: POLICY_NAMES.leaf,
      spec: {
        podSelector: { matchLabels: LEAF_SELECTOR },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [podsOf(COLLECTOR_SELECTOR)], ports: [{ protocol: "TCP", port: LEAF_CLIENT_PORT }] }],
        egress: [{ to: hubPeers, ports: [{ protocol: "TCP", port: platform.natsHub.leafPort }] }],
      },
    },
  ];
  for (const w of workloads) {
    if (w.component === LEAF_COMPONENT) continue;
    policies.push({
      name: POLICY_NAMES.collector(w.name),
      spec: {
        podSelector: { matchLabels: { [LABELS.instance]: w.name } },
        policyTypes: w.ingest.length > 0 ? ["Ingress", "Egress"] : ["Egress"],
        // A policy matches pods by container port, after the Service has mapped the well-known one.
        ...(w.ingest.length > 0 ? { ingress: [{ from: ingestFrom, ports: w.ingest.map((p) => ({ protocol: p.protocol, port: p.containerPort })) }] } : {}),
        egress: [{ to: [podsOf(LEAF_SELECTOR)], ports: [{ protocol: "TCP", port: LEAF_CLIENT_PORT }] }],
      },
    });
  }
  return policies;
}

