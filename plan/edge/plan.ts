/**
 * A tenant's edge, joined: each workload with its configuration files, its Deployment and Service,
 * the certificate and NATS user it uses (by their plan ids), the in-cluster leaf's local stream
 * definitions, each site's leaf and the onboarding bundles of its collectors, and where
 * every leaf dials the hub. components/edge.ts turns this into resources and nothing else.
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import type { EdgeSettings } from "../../config/settings";
import type { TenantModel } from "../../model/model";
import {
  BUNDLE_ANNOTATION,
  LEAF_COMPONENT,
  bundleLocation,
  componentLabels,
  edgeNamespaceName,
  onboardingSecretName,
  streamDefinitionFile,
  tenantResourceNames,
} from "../../model/names";
import { MAX_SERVER_PAYLOAD } from "../hub-server";
import { tenantAccountLimits } from "../nats";
import { componentCertificateId } from "../pki";
import type { NetworkPolicySpec, PlatformNetwork } from "../network";
import type { BundleInputs } from "./bundle";
import { collectorConfigFiles, streamOf } from "./collectors";
import { localStreamDefinition } from "./leaf";
import { edgeLocations, type EdgeLocation } from "./locations";
import { edgeNetworkPolicies } from "./network";
import { edgePodSpec } from "./pod-spec";
import { credentialsGeneration } from "./restart";
import { edgeWorkloads, workloadSelector, type EdgeWorkloadPlan } from "./workloads";

/** The parts of a bundle known before anything is issued; certificates, keys and creds come from state. */
export type BundleStatics = Pick<BundleInputs, "slug" | "type" | "partition" | "collectorImage" | "leafImage" | "streamsImage" | "config" | "streams" | "publicHubLeafUrl">;

export interface EdgeWorkloadResources {
  workload: EdgeWorkloadPlan;
  /** Logical names; `secret` is the workload's one Secret's (its certificate's Secret's from before, kept). */
  names: { configMap: string; deployment: string; service: string; onboarding: string; secret: string };
  /** A collector's configuration files; undefined for the leaf, whose config carries the NATS JWTs (`leafNodeConfig`). */
  configFiles?: Record<string, string>;
  /** The Deployment's spec; its pod template's restart annotation comes from what the pods read (`restartToken`). */
  deployment: k8s.apps.v1.DeploymentSpec & { template: { metadata: { labels: Record<string, string> }; spec: k8s.core.v1.PodSpec } };
  service: k8s.core.v1.ServiceSpec;
  /** A collector's onboarding bundle Secret, unless its site is revoked. */
  bundle?: { secretName: string; labels: Record<string, string>; annotations: Record<string, string>; site: string; statics: BundleStatics };
}

/** Where a leaf runs and what it needs besides the identities in state. */
export interface EdgeLeafPlan {
  location: string;
  domain: string;
  bufferBytes: number;
  certificateId: string;
  userId: string;
}

export interface EdgePlan {
  namespace: string;
  /** The edge cluster it runs in (absent: the platform cluster). */
  cluster?: string;
  /** Collectors first, then the leaf; empty when the tenant is decommissioned. */
  workloads: EdgeWorkloadResources[];
  /** The in-cluster leaf's local stream definitions, which its ConfigMap holds beside its config for its streams container. */
  streams?: { files: Record<string, string> };
  /** The edge namespace's NetworkPolicies. */
  networkPolicies: NetworkPolicySpec[];
  /** The leaves, when the edge runs anything: how they dial the hub from the cluster and from a site (bundles). */
  leaf?: { slug: string; maxPayload: number; hubLeafUrl: string; bundleHubLeafUrl: string; inCluster: EdgeLeafPlan; sites: EdgeLeafPlan[] };
  /** What pods read at start besides files (see `restartToken`). */
  restartGeneration: string;
}

/** The edge of a tenant that lists collectors; `name` is the Tenant component's (its children's stem). */
export function edgePlan(name: string, tenant: TenantModel, edge: EdgeSettings, platform: PlatformNetwork): EdgePlan {
  const names = tenantResourceNames(name);
  const cluster = tenant.edge.cluster;
  const locations = edgeLocations(tenant, edge.collectorSubjects);
  const inCluster = locations.find((l) => l.kind === "cluster");
  const workloads = edgeWorkloads(tenant, edge, inCluster);
  // Validation made sure an edge elsewhere has a public hub address and each cluster's pod network is known.
  const podCidrs = cluster === undefined ? edge.clusterPodCidrs : edge.edgeClusterPodCidrs[cluster];
  if (podCidrs === undefined) throw new Error(`${tenant.file}: the pod network of ${cluster === undefined ? "the platform cluster" : `edge cluster "${cluster}"`} is not configured`);
  const hub = cluster === undefined ? ({ kind: "platform" } as const) : ({ kind: "external", cidrs: edge.publicHubCidrs } as const);
  const inClusterHub = cluster === undefined ? edge.hubLeafUrl : edge.publicHubLeafUrl;
  if (inClusterHub === undefined) throw new Error(`${tenant.file}: an edge outside the platform cluster needs the hub's public address`);
  const payload = tenantAccountLimits(tenant).payload;
  const leafPlan = (l: EdgeLocation): EdgeLeafPlan => ({ location: l.name, domain: l.domain, bufferBytes: l.bufferBytes, certificateId: componentCertificateId(LEAF_COMPONENT, l.name), userId: l.leafUserId });
  const sites = new Map(locations.filter((l) => l.kind === "site").map((l) => [l.name, l]));
  const leafWorkload = workloads.find((w) => w.component === LEAF_COMPONENT);
  return {
    namespace: edgeNamespaceName(tenant.slug),
    ...(cluster !== undefined ? { cluster } : {}),
    workloads: workloads.map((w) => workloadResources({ ...names.edge(w.name), secret: names.componentSecret(w.component, w.partition) }, w, tenant, edge, inCluster, sites.get(w.partition))),
    ...(leafWorkload?.sidecar && inCluster ? { streams: { files: streamDefinitions(inCluster) } } : {}),
    networkPolicies: edgeNetworkPolicies(workloads, platform, edge, hub, podCidrs),
    ...(inCluster && workloads.length > 0
      ? {
          leaf: {
            slug: tenant.slug,
            maxPayload: payload < 0 ? MAX_SERVER_PAYLOAD : Math.min(payload, MAX_SERVER_PAYLOAD),
            hubLeafUrl: inClusterHub,
            bundleHubLeafUrl: edge.publicHubLeafUrl ?? edge.hubLeafUrl,
            inCluster: leafPlan(inCluster),
            sites: [...sites.values()].filter((l) => !l.revoked).map(leafPlan),
          },
        }
      : {}),
    restartGeneration: credentialsGeneration(tenant.credentialsRotation),
  };
}

/** A location's local stream definitions, by file name. */
export function streamDefinitions(location: EdgeLocation): Record<string, string> {
  return Object.fromEntries(location.streams.map((s) => [streamDefinitionFile(s.name), localStreamDefinition(s)]));
}

function workloadResources(
  names: EdgeWorkloadResources["names"],
  w: EdgeWorkloadPlan,
  tenant: TenantModel,
  edge: EdgeSettings,
  inCluster: EdgeLocation | undefined,
  site: EdgeLocation | undefined,
): EdgeWorkloadResources {
  const collector = w.component === LEAF_COMPONENT ? undefined : tenant.collectors.find((c) => c.type === w.component && c.partition === w.partition);
  // Every location splits its buffer over the same four kinds: the config is the same text in the
  // cluster and in the bundle.
  const configFiles = collector && inCluster ? collectorConfigFiles(collector, tenant.slug, edge.collectorSubjects, streamOf(collector, inCluster.streams)) : undefined;
  return {
    workload: w,
    names,
    ...(configFiles !== undefined ? { configFiles } : {}),
    deployment: {
      replicas: w.replicas,
      selector: { matchLabels: workloadSelector(w) },
      strategy: w.strategy,
      template: { metadata: { labels: w.labels }, spec: edgePodSpec(w, tenant, edge.imagePullSecret) },
    },
    service: {
      type: w.serviceType,
      // A LoadBalancer keeps the devices' source addresses (the ingest policy matches them) and
      // takes no node ports (the plans give none).
      ...(w.serviceType === "LoadBalancer" ? { externalTrafficPolicy: "Local", allocateLoadBalancerNodePorts: false } : {}),
      selector: workloadSelector(w),
      ports: w.servicePorts.map((p) => ({ name: p.name, protocol: p.protocol, port: p.port, targetPort: p.targetPort })),
    },
    ...(collector && configFiles && site && !site.revoked
      ? {
          bundle: {
            secretName: onboardingSecretName(w.component, w.partition),
            labels: componentLabels(tenant.slug, "onboarding-bundle"),
            annotations: { [BUNDLE_ANNOTATION]: bundleLocation(tenant.slug, w.name) },
            site: site.name,
            statics: {
              slug: tenant.slug,
              type: collector.type,
              partition: w.partition,
              collectorImage: w.image,
              leafImage: edge.leafImage,
              streamsImage: edge.streamsImage,
              config: configFiles,
              streams: streamDefinitions(site),
              publicHubLeafUrl: edge.publicHubLeafUrl,
            },
          },
        }
      : {}),
  };
}
