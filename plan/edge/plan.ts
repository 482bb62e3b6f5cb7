/**
 * A tenant's edge, joined: each workload with its configuration text, its Deployment and Service,
 * the certificate and NATS user it uses (by their plan ids), its onboarding bundle, and where its
 * leaf dials the hub. components/edge.ts turns this into resources and nothing else.
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import type { EdgeSettings } from "../../config/settings";
import type { TenantModel } from "../../model/model";
import { BUNDLE_ANNOTATION, LEAF_COMPONENT, bundleLocation, componentLabels, edgeNamespaceName, onboardingSecretName, tenantResourceNames } from "../../model/names";
import { MAX_SERVER_PAYLOAD } from "../hub-server";
import { tenantAccountLimits } from "../nats";
import type { NetworkPolicySpec, PlatformNetwork } from "../network";
import type { BundleInputs } from "./bundle";
import { collectorConfigText } from "./collectors";
import { edgeNetworkPolicies } from "./network";
import { edgePodSpec } from "./pod-spec";
import { credentialsGeneration } from "./restart";
import { edgeWorkloads, workloadSelector, type EdgeWorkloadPlan } from "./workloads";

/** The parts of a bundle known before anything is issued; certificates, keys and creds come from state. */
export type BundleStatics = Pick<BundleInputs, "slug" | "type" | "partition" | "collectorImage" | "leafImage" | "config" | "publicHubLeafUrl">;

export interface EdgeWorkloadResources {
  workload: EdgeWorkloadPlan;
  names: { configMap: string; deployment: string; service: string; onboarding: string };
  /** A collector's configuration file; undefined for the leaf, whose config carries the NATS JWTs (`leafNodeConfig`). */
  configText?: string;
  /** The Deployment's spec; its pod template's restart annotation comes from what the pods read (`restartToken`). */
  deployment: k8s.apps.v1.DeploymentSpec & { template: { metadata: { labels: Record<string, string> }; spec: k8s.core.v1.PodSpec } };
  service: k8s.core.v1.ServiceSpec;
  /** A collector's onboarding bundle Secret. */
  bundle?: { secretName: string; labels: Record<string, string>; annotations: Record<string, string>; statics: BundleStatics };
}

export interface EdgePlan {
  namespace: string;
  /** The edge cluster it runs in (absent: the platform cluster). */
  cluster?: string;
  /** Collectors first, then the leaf; empty when the tenant is decommissioned. */
  workloads: EdgeWorkloadResources[];
  /** The edge namespace's NetworkPolicies. */
  networkPolicies: NetworkPolicySpec[];
  /** The leaf, when the edge runs anything: how it dials the hub from where it runs and from a customer's site (bundles). */
  leaf?: { slug: string; maxPayload: number; hubLeafUrl: string; bundleHubLeafUrl: string; certificateId: string; userId: string };
  /** What pods read at start besides files (see `restartToken`). */
  restartGeneration: string;
}

/** The edge of a tenant that lists collectors; `name` is the Tenant component's (its children's stem). */
export function edgePlan(name: string, tenant: TenantModel, edge: EdgeSettings, platform: PlatformNetwork): EdgePlan {
  const names = tenantResourceNames(name);
  const cluster = tenant.edge.cluster;
  const workloads = edgeWorkloads(tenant, edge);
  // Validation made sure an edge elsewhere has a public hub address and each cluster's pod network is known.
  const podCidrs = cluster === undefined ? edge.clusterPodCidrs : edge.edgeClusterPodCidrs[cluster];
  if (podCidrs === undefined) throw new Error(`${tenant.file}: the pod network of ${cluster === undefined ? "the platform cluster" : `edge cluster "${cluster}"`} is not configured`);
  const hub = cluster === undefined ? ({ kind: "platform" } as const) : ({ kind: "external", cidrs: edge.publicHubCidrs } as const);
  const inClusterHub = cluster === undefined ? edge.hubLeafUrl : edge.publicHubLeafUrl;
  if (inClusterHub === undefined) throw new Error(`${tenant.file}: an edge outside the platform cluster needs the hub's public address`);
  const payload = tenantAccountLimits(tenant).payload;
  const leaf = workloads.find((w) => w.component === LEAF_COMPONENT);
  return {
    namespace: edgeNamespaceName(tenant.slug),
    ...(cluster !== undefined ? { cluster } : {}),
    workloads: workloads.map((w) => workloadResources(names.edge(w.name), w, tenant, edge)),
    networkPolicies: edgeNetworkPolicies(workloads, platform, edge, hub, podCidrs),
    ...(leaf
      ? {
          leaf: {
            slug: tenant.slug,
            maxPayload: payload < 0 ? MAX_SERVER_PAYLOAD : Math.min(payload, MAX_SERVER_PAYLOAD),
            hubLeafUrl: inClusterHub,
            bundleHubLeafUrl: edge.publicHubLeafUrl ?? edge.hubLeafUrl,
            certificateId: leaf.certificateId,
            userId: leaf.userId,
          },
        }
      : {}),
    restartGeneration: credentialsGeneration(tenant.credentialsRotation),
  };
}

function workloadResources(names: EdgeWorkloadResources["names"], w: EdgeWorkloadPlan, tenant: TenantModel, edge: EdgeSettings): EdgeWorkloadResources {
  const type = w.component === LEAF_COMPONENT ? undefined : w.component;
  const configText = type === undefined ? undefined : collectorConfigText(type, tenant.slug);
  return {
    workload: w,
    names,
    ...(configText !== undefined ? { configText } : {}),
    deployment: {
      replicas: w.replicas,
      selector: { matchLabels: workloadSelector(w) },
      strategy: w.strategy,
      template: { metadata: { labels: w.labels }, spec: edgePodSpec(w, tenant) },
    },
    service: {
      type: w.serviceType,
      // A LoadBalancer keeps the devices' source addresses (the ingest policy matches them) and
      // takes no node ports (the plans give none).
      ...(w.serviceType === "LoadBalancer" ? { externalTrafficPolicy: "Local", allocateLoadBalancerNodePorts: false } : {}),
      selector: workloadSelector(w),
      ports: w.servicePorts.map((p) => ({ name: p.name, protocol: p.protocol, port: p.port, targetPort: p.targetPort })),
    },
    ...(type !== undefined && configText !== undefined
      ? {
          bundle: {
            secretName: onboardingSecretName(w.component, w.partition),
            labels: componentLabels(tenant.slug, "onboarding-bundle"),
            annotations: { [BUNDLE_ANNOTATION]: bundleLocation(tenant.slug, w.name) },
            statics: {
              slug: tenant.slug,
              type,
              partition: w.partition,
              collectorImage: w.image,
              leafImage: edge.leafImage,
              config: configText,
              publicHubLeafUrl: edge.publicHubLeafUrl,
            },
          },
        }
      : {}),
  };
}
