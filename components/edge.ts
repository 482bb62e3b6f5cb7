/**
 * Declares a tenant's edge planned in lib/edge.ts: per workload a ConfigMap, a Deployment and a
 * Service in the edge namespace; per collector an onboarding bundle Secret. Certificates and creds
 * Secrets are declared by components/pki.ts and components/nats.ts in the same namespace.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import {
  collectorConfigText,
  edgePodSpec,
  edgeWorkloads,
  leafNodeConfig,
  onboardingBundle,
  onboardingSecretName,
  BUNDLE_ANNOTATION,
  type EdgeWorkloadPlan,
} from "../plan/edge";
import type { TenantModel } from "../model/model";
import { componentLabels } from "../model/names";
import { MAX_SERVER_PAYLOAD } from "../plan/hub-chart";
import { tenantAccountLimits } from "../plan/nats";
import { LEAF_COMPONENT } from "../plan/pki";
import type { CollectorType } from "../model/schema";
import type { EdgeSettings } from "../config/settings";
import type { ChildOptions } from "./namespaces";
import type { PlatformNats, TenantNats } from "./nats";
import type { TenantPki } from "./pki";

/** Pod template annotation that changes whenever what the pods read at start changes. */
export const RESTART_ANNOTATION = "tenancy.serviceradar.io/restart-on";

export interface TenantEdge {
  workloads: EdgeWorkloadPlan[];
  /** Secret: per collector (`<type>-<partition>`), its bundle's files. */
  bundles: pulumi.Output<Record<string, Record<string, string>>>;
}

/**
 * The leaf node, the collectors and their onboarding bundles. `edge` is the edge namespace and,
 * for an edge in its own cluster, that cluster's provider.
 */
export function declareTenantEdge(
  parent: pulumi.Resource,
  tenant: TenantModel,
  args: {
    edge: ChildOptions & { namespace: pulumi.Input<string> };
    settings: EdgeSettings;
    pki: TenantPki;
    nats: TenantNats;
    platformNats: PlatformNats;
  },
): TenantEdge {
  const { edge, settings, pki, nats } = args;
  const workloads = edgeWorkloads(tenant, settings);
  if (workloads.length === 0) return { workloads, bundles: pulumi.output<Record<string, Record<string, string>>>({}) };
  const slug = tenant.slug;
  const opts: pulumi.CustomResourceOptions = { parent, provider: edge.provider };

  const account = nats.account;
  const identity = pulumi.all([args.platformNats.operatorJwt, args.platformNats.accounts, account]).apply(([operatorJwt, accounts, acct]) => {
    const system = accounts.find((a) => a.name === "SYS")!;
    return { operatorJwt, system: { pub: system.pub, jwt: system.jwt }, account: { pub: acct.pub, jwt: acct.jwt } };
  });
  const payload = tenantAccountLimits(tenant).payload;
  const maxPayload = payload < 0 ? MAX_SERVER_PAYLOAD : Math.min(payload, MAX_SERVER_PAYLOAD);
  // In the platform cluster the leaf dials the hub's Service; elsewhere, its public address.
  const inClusterUrl = tenant.edge.cluster === undefined ? settings.hubLeafUrl : settings.publicHubLeafUrl!;
  const leafConfig = identity.apply((id) => leafNodeConfig({ slug, identity: id, hubLeafUrl: inClusterUrl, maxPayload }));
  const bundleLeafConfig = identity.apply((id) => leafNodeConfig({ slug, identity: id, hubLeafUrl: settings.publicHubLeafUrl ?? settings.hubLeafUrl, maxPayload }));

  const certOf = (component: string, partition: string) => pki.components.find((c) => c.plan.component === component && c.plan.partition === partition)!;
  const credsOf = (secretName: string) => nats.users.find((u) => u.plan.secretName === secretName)!;
  // Restart pods when what they read only at start changes: their config, their certificate chain
  // and the CAs they trust (a renewal replaces a certificate under the same names, so only its
  // bytes show it), and the credentials generation (creds are secret: never hashed).
  const generation = `credentials${tenant.credentialsRotation}`;

  // Each collector's configuration file, for its ConfigMap and its bundle.
  const collectorConfigs = new Map(workloads.filter((w) => w.component !== LEAF_COMPONENT).map((w) => [w.name, collectorConfigText(w.component as CollectorType, slug)]));

  for (const w of workloads) {
    const configText: pulumi.Input<string> = w.component === LEAF_COMPONENT ? leafConfig : collectorConfigs.get(w.name)!;
    const labels = w.labels;
    new k8s.core.v1.ConfigMap(
      `${slug}/edge/${w.name}/config`,
      { metadata: { name: w.configMap.name, namespace: edge.namespace, labels }, data: { [w.configMap.key]: configText } },
      opts,
    );
    const cert = certOf(w.component, w.partition);
    const restartOn = pulumi
      .all([configText, cert.certChainPem, pki.caCertPem, pki.hubCaCertPem])
      .apply((parts) => createHash("sha256").update([...parts, generation].join("\n")).digest("hex").slice(0, 16));
    new k8s.apps.v1.Deployment(
      `${slug}/edge/${w.name}/deployment`,
      {
        metadata: { name: w.name, namespace: edge.namespace, labels },
        spec: {
          replicas: w.replicas,
          selector: { matchLabels: { "app.kubernetes.io/instance": w.name, "app.kubernetes.io/name": labels["app.kubernetes.io/name"] } },
          strategy: w.strategy,
          template: {
            metadata: { labels, annotations: { [RESTART_ANNOTATION]: restartOn } },
            spec: edgePodSpec(w, tenant),
          },
        },
      },
      opts,
    );
    new k8s.core.v1.Service(
      `${slug}/edge/${w.name}/service`,
      {
        metadata: { name: w.name, namespace: edge.namespace, labels },
        spec: {
          type: w.serviceType,
          // A LoadBalancer keeps the devices' source addresses (the ingest policy matches them) and
          // takes no node ports (the plans give none).
          ...(w.serviceType === "LoadBalancer" ? { externalTrafficPolicy: "Local", allocateLoadBalancerNodePorts: false } : {}),
          selector: { "app.kubernetes.io/instance": w.name, "app.kubernetes.io/name": labels["app.kubernetes.io/name"] },
          ports: w.servicePorts.map((p) => ({ name: p.name, protocol: p.protocol, port: p.port, targetPort: p.targetPort })),
        },
      },
      opts,
    );
  }

  const leaf = workloads.find((w) => w.component === LEAF_COMPONENT)!;
  const leafCert = certOf(LEAF_COMPONENT, leaf.partition);
  const leafCreds = credsOf(leaf.credsSecret);
  const bundles: Record<string, pulumi.Output<Record<string, string>>> = {};
  for (const w of workloads.filter((x) => x.component !== LEAF_COMPONENT)) {
    const type = w.component as CollectorType;
    const cert = certOf(type, w.partition);
    const files = pulumi
      .all([cert.certChainPem, cert.keyPem, pki.caCertPem, credsOf(w.credsSecret).creds, bundleLeafConfig, leafCert.certChainPem, leafCert.keyPem, pki.hubCaCertPem, leafCreds.creds])
      .apply(([certChainPem, keyPem, tenantCaPem, creds, leafConfigText, leafCertChainPem, leafKeyPem, hubCaPem, leafCredsText]) =>
        onboardingBundle({
          slug,
          type,
          partition: w.partition,
          collectorImage: w.image,
          leafImage: settings.leafImage,
          config: collectorConfigs.get(w.name)!,
          certChainPem,
          keyPem,
          tenantCaPem,
          creds,
          leafConfig: leafConfigText,
          leafCertChainPem,
          leafKeyPem,
          hubCaPem,
          leafCreds: leafCredsText,
          publicHubLeafUrl: settings.publicHubLeafUrl,
        }),
      );
    bundles[w.name] = pulumi.secret(files);
    new k8s.core.v1.Secret(
      `${slug}/edge/${w.name}/onboarding`,
      {
        metadata: {
          name: onboardingSecretName(type, w.partition),
          namespace: edge.namespace,
          labels: componentLabels(slug, "onboarding-bundle"),
          annotations: { [BUNDLE_ANNOTATION]: `${slug}/${w.name}` },
        },
        type: "Opaque",
        stringData: pulumi.secret(files),
      },
      opts,
    );
  }
  return { workloads, bundles: pulumi.secret(pulumi.all(bundles)) };
}
