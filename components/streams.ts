/**
 * The tenant's JetStream streams as NACK resources. They live in the platform namespace, with the
 * NACK Account that holds the tenant's management creds: tenant admins cannot edit retention or
 * delete a stream, and the management creds never enter a tenant namespace.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { CREDS_KEY, nackAccountName, tenantStreams, type StreamPlan } from "../plan/nats";
import type { TenantModel } from "../model/model";
import { HUB_CA_SECRET } from "../plan/pki";
import { componentLabels } from "../model/names";
import type { NatsSettings } from "../config/settings";

export const NACK_API_VERSION = "jetstream.nats.io/v1beta2";

export function declareTenantStreams(
  parent: pulumi.Resource,
  tenant: TenantModel,
  args: { namespace: pulumi.Input<string>; managerCredsSecret: k8s.core.v1.Secret; settings: NatsSettings; protect: boolean },
): { plan: StreamPlan; stream: k8s.apiextensions.CustomResource }[] {
  const labels = componentLabels(tenant.slug, "jetstream");
  const account = new k8s.apiextensions.CustomResource(
    `${tenant.slug}/nack-account`,
    {
      apiVersion: NACK_API_VERSION,
      kind: "Account",
      metadata: { name: nackAccountName(tenant.slug), namespace: args.namespace, labels },
      spec: {
        name: nackAccountName(tenant.slug),
        servers: [args.settings.hubUrl],
        creds: { secret: { name: args.managerCredsSecret.metadata.name }, file: CREDS_KEY },
        // The hub's certificate is signed by the hub CA.
        tls: { secret: { name: HUB_CA_SECRET }, ca: "ca.crt" },
      },
    },
    { parent },
  );
  return tenantStreams(tenant).map((plan) => ({
    plan,
    stream: new k8s.apiextensions.CustomResource(
      `${tenant.slug}/stream-${plan.kind}`,
      {
        apiVersion: NACK_API_VERSION,
        kind: "Stream",
        metadata: { name: plan.name, namespace: args.namespace, labels },
        spec: {
          name: plan.name,
          subjects: plan.subjects,
          storage: plan.storage,
          retention: plan.retention,
          discard: plan.discard,
          maxAge: plan.maxAge,
          maxBytes: plan.maxBytes,
          replicas: args.settings.streamReplicas,
          account: account.metadata.name,
          // Deleting the resource must never delete the tenant's messages (README, "Lifecycle").
          preventDelete: true,
        },
      },
      // A stream holds the tenant's data: protected until the tenant is decommissioned.
      { parent, protect: args.protect, dependsOn: [account] },
    ),
  }));
}
