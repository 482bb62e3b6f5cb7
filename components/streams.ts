/**
 * Declares the tenant's JetStream streams planned in plan/streams.ts as NACK resources in the
 * platform namespace, with the NACK Account that holds the tenant's manager creds: tenant admins
 * cannot edit retention or delete a stream, and the manager creds never enter a tenant namespace.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { NACK_API_VERSION, type TenantStreamsPlan } from "../plan/streams";

export function declareTenantStreams(
  parent: pulumi.Resource,
  plan: TenantStreamsPlan,
  args: { namespace: pulumi.Input<string>; managerCredsSecret: k8s.core.v1.Secret; accountPush: pulumi.Resource },
): k8s.apiextensions.CustomResource[] {
  const { labels } = plan;
  const account = new k8s.apiextensions.CustomResource(
    plan.account.logicalName,
    {
      apiVersion: NACK_API_VERSION,
      kind: "Account",
      metadata: { name: plan.account.name, namespace: args.namespace, labels },
      spec: { ...plan.account.spec, creds: { secret: { name: args.managerCredsSecret.metadata.name }, file: plan.account.credsKey } },
    },
    { parent, dependsOn: [args.accountPush] },
  );
  return plan.streams.map(
    (stream) =>
      new k8s.apiextensions.CustomResource(
        stream.logicalName,
        {
          apiVersion: NACK_API_VERSION,
          kind: "Stream",
          metadata: { name: stream.plan.name, namespace: args.namespace, labels },
          spec: { ...stream.spec, account: account.metadata.name },
        },
        { parent, protect: stream.protect, dependsOn: [account] },
      ),
  );
}
