import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { LABELS, MANAGED_BY, PART_OF } from "../model/names";
import { natsHubIngressPolicy, type PlatformNetwork } from "../plan/network";
import type { EdgeSettings, NatsSettings, PkiSettings } from "../config/settings";
import { declarePlatformNats, type PlatformNats } from "./nats";
import { declarePlatformPki, type PlatformCa } from "./pki";

export interface PlatformArgs {
  /** Platform namespace, NATS hub pods and cluster DNS, from stack config. */
  network: PlatformNetwork;
  /** Certificate lifetimes, curves and rotation counters, from stack config. */
  pki: PkiSettings;
  /** NATS operator name, claims epoch and hub wiring, from stack config. */
  nats: NatsSettings;
  /** Where leaf nodes outside the cluster dial from (hub ingress on the leaf port), from stack config. */
  edge?: Pick<EdgeSettings, "publicHubLeafUrl" | "leafSourceCidrs" | "clusterPodCidrs">;
}

/** What a tenant needs from the platform. */
export interface PlatformContext {
  network: PlatformNetwork;
  pki: PkiSettings;
  namespace: pulumi.Output<string>;
  ca: PlatformCa;
  nats: PlatformNats;
}

/** What every tenant shares: the platform namespace and the hub's side of tenant traffic. */
export class Platform extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  /** Handed to every Tenant. */
  public readonly context: PlatformContext;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:index:Platform", name, {}, opts);
    const labels = { [LABELS.managedBy]: MANAGED_BY, [LABELS.partOf]: PART_OF };
    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: args.network.platformNamespace,
          labels: {
            ...labels,
            // Lets policies (policy/) find the platform namespace from the stack itself.
            [LABELS.role]: "platform",
            // Platform workloads (the NATS chart among them) are not all `restricted`-ready:
            // enforce baseline, and report what `restricted` would refuse.
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
          },
        },
      },
      { parent: this, protect: true },
    );
    // Leaves outside the cluster exist once the hub has a public address (bundles use it).
    const external = args.edge?.publicHubLeafUrl !== undefined ? { cidrs: args.edge.leafSourceCidrs, except: args.edge.clusterPodCidrs ?? [] } : undefined;
    const hubPolicy = natsHubIngressPolicy(args.network, external);
    new k8s.networking.v1.NetworkPolicy(
      `${name}-${hubPolicy.name}`,
      { metadata: { name: hubPolicy.name, namespace: namespace.metadata.name, labels }, spec: hubPolicy.spec },
      { parent: this },
    );
    this.namespace = namespace.metadata.name;
    const ca = declarePlatformPki(this, name, args.pki, this.namespace, args.network.platformNamespace);
    const nats = declarePlatformNats(this, name, args.nats);
    this.context = { network: args.network, pki: args.pki, namespace: this.namespace, ca, nats };
    this.registerOutputs({ namespace: this.namespace, rootCaCertPem: ca.certPem });
  }
}
