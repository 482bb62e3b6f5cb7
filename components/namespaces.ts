import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { NamespacePlan } from "../lib/model";

/**
 * A tenant namespace. Protected while the tenant is not decommissioned: deleting or renaming the
 * tenant file (or an organization) then fails the update instead of deleting the namespace and its data.
 */
export function declareNamespace(parent: pulumi.Resource, ns: NamespacePlan, protect: boolean): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(
    ns.name,
    { metadata: { name: ns.name, labels: ns.labels } },
    { parent, protect },
  );
}
