import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { NamespacePlan } from "../model/model";

/** Parent and, for an edge in its own cluster, that cluster's provider: the options every child gets. */
export interface ChildOptions {
  parent: pulumi.Resource;
  provider?: pulumi.ProviderResource;
}

/**
 * A tenant namespace. Protected while the tenant is not decommissioned: deleting or renaming the
 * tenant file (or an organization) then fails the update instead of deleting the namespace and its data.
 */
export function declareNamespace(opts: ChildOptions, ns: NamespacePlan, protect: boolean): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(
    ns.name,
    { metadata: { name: ns.name, labels: ns.labels } },
    { ...opts, protect },
  );
}
