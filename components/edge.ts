/**
 * Declares a tenant's edge planned in plan/edge/: per workload a ConfigMap, a Deployment and a
 * Service in the edge namespace; per collector an onboarding bundle Secret. Certificates and creds
 * Secrets are declared by components/pki.ts and components/nats.ts in the same namespace; this
 * takes what they issued by the ids the plan gives each workload.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { RESTART_ANNOTATION } from "../model/names";
import { onboardingBundle } from "../plan/edge/bundle";
import { leafNodeConfig } from "../plan/edge/leaf";
import type { EdgePlan } from "../plan/edge/plan";
import { restartToken } from "../plan/edge/restart";
import type { ChildOptions } from "./namespaces";
import type { PlatformNats, TenantNats } from "./nats";
import type { TenantPki } from "./pki";

export type Bundles = pulumi.Output<Record<string, Record<string, string>>>;

/**
 * The leaf node, the collectors and their onboarding bundles; returns the bundles (secret), per
 * collector. `edge` is the edge namespace and, for an edge in its own cluster, that cluster's provider.
 */
export function declareTenantEdge(
  parent: pulumi.Resource,
  plan: EdgePlan,
  args: { edge: ChildOptions & { namespace: pulumi.Input<string> }; pki: TenantPki; nats: TenantNats; platformNats: PlatformNats },
): Bundles {
  const { edge, pki, nats } = args;
  const leaf = plan.leaf;
  if (!leaf) return pulumi.output<Record<string, Record<string, string>>>({});
  const opts: pulumi.CustomResourceOptions = { parent, provider: edge.provider };

  const identity = pulumi.all([args.platformNats.operatorJwt, args.platformNats.systemAccount, nats.account]).apply(([operatorJwt, system, account]) => ({
    operatorJwt,
    system: { pub: system.pub, jwt: system.jwt },
    account: { pub: account.pub, jwt: account.jwt },
  }));
  const leafConfig = identity.apply((id) => leafNodeConfig({ slug: leaf.slug, identity: id, hubLeafUrl: leaf.hubLeafUrl, maxPayload: leaf.maxPayload }));
  const bundleLeafConfig = identity.apply((id) => leafNodeConfig({ slug: leaf.slug, identity: id, hubLeafUrl: leaf.bundleHubLeafUrl, maxPayload: leaf.maxPayload }));
  const leafCert = pki.components[leaf.certificateId];
  const leafCreds = nats.users[leaf.userId].creds;

  const bundles: Record<string, pulumi.Output<Record<string, string>>> = {};
  for (const w of plan.workloads) {
    const { workload } = w;
    const configText: pulumi.Input<string> = w.configText ?? leafConfig;
    const labels = workload.labels;
    new k8s.core.v1.ConfigMap(
      w.names.configMap,
      { metadata: { name: workload.configMap.name, namespace: edge.namespace, labels }, data: { [workload.configMap.key]: configText } },
      opts,
    );
    const cert = pki.components[workload.certificateId];
    const restartOn = pulumi.all([configText, cert.certChainPem, pki.caCertPem, pki.hubCaCertPem]).apply((parts) => restartToken([...parts, plan.restartGeneration]));
    const { template, ...deployment } = w.deployment;
    new k8s.apps.v1.Deployment(
      w.names.deployment,
      {
        metadata: { name: workload.name, namespace: edge.namespace, labels },
        spec: { ...deployment, template: { metadata: { ...template.metadata, annotations: { [RESTART_ANNOTATION]: restartOn } }, spec: template.spec } },
      },
      opts,
    );
    new k8s.core.v1.Service(w.names.service, { metadata: { name: workload.name, namespace: edge.namespace, labels }, spec: w.service }, opts);

    const bundle = w.bundle;
    if (!bundle) continue;
    const files = pulumi
      .all([cert.certChainPem, cert.keyPem, pki.caCertPem, nats.users[workload.userId].creds, bundleLeafConfig, leafCert.certChainPem, leafCert.keyPem, pki.hubCaCertPem, leafCreds])
      .apply(([certChainPem, keyPem, tenantCaPem, creds, leafConfigText, leafCertChainPem, leafKeyPem, hubCaPem, leafCredsText]) =>
        onboardingBundle({ ...bundle.statics, certChainPem, keyPem, tenantCaPem, creds, leafConfig: leafConfigText, leafCertChainPem, leafKeyPem, hubCaPem, leafCreds: leafCredsText }),
      );
    bundles[workload.name] = pulumi.secret(files);
    new k8s.core.v1.Secret(
      w.names.onboarding,
      {
        metadata: { name: bundle.secretName, namespace: edge.namespace, labels: bundle.labels, annotations: bundle.annotations },
        type: "Opaque",
        stringData: pulumi.secret(files),
      },
      opts,
    );
  }
  return pulumi.secret(pulumi.all(bundles));
}
