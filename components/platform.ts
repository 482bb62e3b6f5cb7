import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { LABELS, MANAGED_BY, PART_OF } from "../lib/names";
import { natsHubIngressPolicy, type PlatformNetwork } from "../lib/network-policies";

export interface PlatformArgs {
  /** Platform namespace, NATS hub pods and cluster DNS, from stack config. */
  network: PlatformNetwork;
}

/** What every tenant shares: the platform namespace and the hub's side of tenant traffic. */
export class Platform extends pulumi.ComponentResource {
  public readonly network: PlatformNetwork;
  public readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:index:Platform", name, {}, opts);
    this.network = args.network;
    const labels = { [LABELS.managedBy]: MANAGED_BY, [LABELS.partOf]: PART_OF };
    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: args.network.platformNamespace,
          labels: {
            ...labels,
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
    const hubPolicy = natsHubIngressPolicy(args.network);
    new k8s.networking.v1.NetworkPolicy(
      `${name}-${hubPolicy.name}`,
      { metadata: { name: hubPolicy.name, namespace: namespace.metadata.name, labels }, spec: hubPolicy.spec },
      { parent: this },
    );
    this.namespace = namespace.metadata.name;
    this.registerOutputs({ namespace: this.namespace });
  }
}
