/**
 * Declares a tenant's edge planned in plan/edge/: per workload a ConfigMap, a Secret, a Deployment
 * and a Service in the edge namespace (the leaf's ConfigMap also its local stream definitions); per
 * collector of a site not revoked, an onboarding bundle Secret. Certificates and creds are issued
 * by components/pki.ts and components/nats.ts; this takes what they issued by the ids the plan
 * gives each workload and leaf, and puts each workload's in its one Secret.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { LEAF_COMPONENT, RESTART_ANNOTATION, STREAMS_USER_ID } from "../model/names";
import { onboardingBundle } from "../plan/edge/bundle";
import { leafNodeConfig, type LeafIdentity } from "../plan/edge/leaf";
import type { EdgeLeafPlan, EdgePlan } from "../plan/edge/plan";
import type { EdgeSecretValue } from "../plan/edge/workloads";
import { restartToken } from "../plan/edge/restart";
import type { ChildOptions } from "./namespaces";
import type { PlatformNats, TenantNats } from "./nats";
import type { TenantPki } from "./pki";

export type Bundles = pulumi.Output<Record<string, Record<string, string>>>;

/**
 * The leaves, the collectors and the sites' onboarding bundles;
 * returns the bundles (secret), per collector. `edge` is the edge namespace and, for an edge in its
 * own cluster, that cluster's provider.
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

  const accountOf = (location: string) => {
    const a = nats.edgeAccounts[location];
    if (!a) throw new Error(`edge location ${location} has no account`);
    return a;
  };
  /** A leaf's config, dialling `hubLeafUrl`: public JWTs only, so it is no secret. */
  const leafConfigOf = (l: EdgeLeafPlan, hubLeafUrl: string) =>
    pulumi.all([args.platformNats.operatorJwt, args.platformNats.systemAccount, accountOf(l.location).account]).apply(([operatorJwt, system, account]) => {
      const identity: LeafIdentity = { operatorJwt, system: { pub: system.pub, jwt: system.jwt }, account: { pub: account.pub, jwt: account.jwt } };
      return leafNodeConfig({ slug: leaf.slug, location: l.location, domain: l.domain, identity, hubLeafUrl, maxPayload: leaf.maxPayload, bufferBytes: l.bufferBytes });
    });
  const leafConfig = leafConfigOf(leaf.inCluster, leaf.hubLeafUrl);
  const inClusterUsers = accountOf(leaf.inCluster.location).users;

  for (const w of plan.workloads) {
    const { workload } = w;
    // The leaf's ConfigMap holds its config and its local streams' definitions (its second container's).
    const files: Record<string, pulumi.Input<string>> = w.configFiles ?? { [workload.configMap.keys[0]!]: leafConfig, ...(workload.sidecar ? plan.streams?.files : {}) };
    const labels = workload.labels;
    new k8s.core.v1.ConfigMap(w.names.configMap, { metadata: { name: workload.configMap.name, namespace: edge.namespace, labels }, data: files }, opts);
    const cert = pki.components[workload.certificateId];
    if (!cert) throw new Error(`edge workload ${workload.name}: no certificate ${workload.certificateId}`);
    // The leaf authenticates at the hub, in the tenant account; collectors at the leaf, in the location's own.
    const user = workload.component === LEAF_COMPONENT ? nats.users[workload.userId] : inClusterUsers[workload.userId];
    const streamsUser = inClusterUsers[STREAMS_USER_ID];
    if (!user || !streamsUser) throw new Error(`edge workload ${workload.name}: no creds for ${workload.userId} or ${STREAMS_USER_ID}`);
    const values: Record<EdgeSecretValue, pulumi.Output<string>> = {
      certChain: cert.certChainPem,
      key: cert.keyPem,
      tenantCa: pki.caCertPem,
      hubCa: pki.hubCaCertPem,
      creds: user.creds,
      streamsCreds: streamsUser.creds,
    };
    const secret = new k8s.core.v1.Secret(
      w.names.secret,
      {
        metadata: { name: workload.secret.name, namespace: edge.namespace, labels: workload.secret.labels },
        type: "kubernetes.io/tls",
        stringData: pulumi.secret(pulumi.all(Object.fromEntries(Object.entries(workload.secret.keys).map(([key, holds]) => [key, values[holds]])))),
      },
      opts,
    );
    const restartOn = pulumi
      // What its pod reads: a collector holds no hub CA, so a hub CA rotation restarts only leaves.
      .all([...Object.keys(files).sort().map((k) => files[k]!), cert.certChainPem, pki.caCertPem, ...(Object.values(workload.secret.keys).includes("hubCa") ? [pki.hubCaCertPem] : [])])
      .apply((parts) => restartToken([...parts, plan.restartGeneration]));
    const { template, ...deployment } = w.deployment;
    new k8s.apps.v1.Deployment(
      w.names.deployment,
      {
        metadata: { name: workload.name, namespace: edge.namespace, labels },
        spec: { ...deployment, template: { metadata: { ...template.metadata, annotations: { [RESTART_ANNOTATION]: restartOn } }, spec: template.spec } },
      },
      { ...opts, dependsOn: [secret] },
    );
    new k8s.core.v1.Service(w.names.service, { metadata: { name: workload.name, namespace: edge.namespace, labels }, spec: w.service }, opts);
  }

  const bundles: Record<string, pulumi.Output<Record<string, string>>> = {};
  const sites = new Map(leaf.sites.map((l) => [l.location, { plan: l, config: leafConfigOf(l, leaf.bundleHubLeafUrl) }]));
  for (const w of plan.workloads) {
    const bundle = w.bundle;
    if (!bundle) continue;
    const site = sites.get(bundle.site);
    if (!site) throw new Error(`bundle ${bundle.secretName}: site ${bundle.site} has no leaf`);
    const cert = pki.components[w.workload.certificateId]!;
    const siteCert = pki.components[site.plan.certificateId];
    const siteAccount = accountOf(site.plan.location);
    const collectorCreds = siteAccount.users[w.workload.userId];
    const leafCreds = nats.users[site.plan.userId];
    const streamsCreds = siteAccount.users[STREAMS_USER_ID];
    if (!siteCert || !collectorCreds || !leafCreds || !streamsCreds) throw new Error(`bundle ${bundle.secretName}: site ${bundle.site} lacks a certificate or creds`);
    const files = pulumi
      .all([cert.certChainPem, cert.keyPem, pki.caCertPem, collectorCreds.creds, site.config, siteCert.certChainPem, siteCert.keyPem, pki.hubCaCertPem, leafCreds.creds, streamsCreds.creds])
      .apply(([certChainPem, keyPem, tenantCaPem, creds, leafConfigText, leafCertChainPem, leafKeyPem, hubCaPem, leafCredsText, streamsCredsText]) =>
        onboardingBundle({ ...bundle.statics, certChainPem, keyPem, tenantCaPem, creds, leafConfig: leafConfigText, leafCertChainPem, leafKeyPem, hubCaPem, leafCreds: leafCredsText, streamsCreds: streamsCredsText }),
      );
    bundles[w.workload.name] = pulumi.secret(files);
    new k8s.core.v1.Secret(
      w.names.onboarding,
      { metadata: { name: bundle.secretName, namespace: edge.namespace, labels: bundle.labels, annotations: bundle.annotations }, type: "Opaque", stringData: pulumi.secret(files) },
      opts,
    );
  }
  return pulumi.secret(pulumi.all(bundles));
}
