/** Stack configuration (Pulumi config namespace `tenancy`), with defaults, as plain data. */
import type { CollectorType } from "../model/schema";

export interface StackSettings {
  /** Directory holding tenants/<slug>.yaml. */
  tenantsDir: string;
  /** The plans file. */
  plansFile: string;
  /** Namespace of the shared platform (NATS hub, platform services, CA keys). */
  platformNamespace: string;
  natsHub: {
    /** Labels of the NATS hub pods in the platform namespace. */
    podLabels: Record<string, string>;
    clientPort: number;
    leafPort: number;
  };
  dns: {
    namespace: string;
    podLabels: Record<string, string>;
  };
  /** Certificate lifetimes, key curves and stack-wide rotation counters. */
  pki: PkiSettings;
  /** NATS operator and hub wiring. */
  nats: NatsSettings;
  /** Leaf nodes and collectors: images, where they may be reached from, how they reach the hub. */
  edge: EdgeSettings;
  /** When set, the Kubernetes provider writes YAML here instead of talking to a cluster. */
  renderYamlToDirectory?: string;
  /** Refuse an update that drops a tenant (or organization) not decommissioned in the last one. */
  guardRemovedTenants: boolean;
  /**
   * How this stack names itself in a StackReference (the guard reads its own previous outputs):
   * `<organization>/<project>/<stack>` unless set (legacy DIY backends take the bare stack name).
   */
  guardStackName?: string;
}

export interface NatsSettings {
  operatorName: string;
  /**
   * `iat` of every JWT, in Unix seconds. Fixed so unchanged claims give identical tokens (no
   * spurious diffs); it never goes backwards. Any claim change still gets a new `jti`.
   */
  claimsIssuedAt: number;
  /** URL NACK and the platform's readers use to reach the hub's client port. */
  hubUrl: string;
  /** Deploy the official NATS Helm chart wired to the generated hub config. */
  deployHub: boolean;
  /** Chart version when `deployHub` is on. */
  hubChartVersion: string;
  /** JetStream replicas of every tenant stream (3 for a clustered hub). */
  streamReplicas: number;
}

export interface EdgeSettings {
  /** nats-server image of every tenant's leaf node (pin a digest in production). */
  leafImage: string;
  /** Image of each collector type. */
  collectorImages: Record<CollectorType, string>;
  /** Where devices send from: sources admitted on the collectors' ingest ports (IPv4 CIDRs). */
  ingestCidrs: string[];
  /**
   * The platform cluster's pod network, excluded from `ingestCidrs` (another tenant's pod is never
   * a device) and from the hub's outside leaf sources. Required: there is no safe default.
   */
  clusterPodCidrs?: string[];
  /** The same for each edge cluster, by name (`tenancy:edgeClusterPodCidrs`). */
  edgeClusterPodCidrs: Record<string, string[]>;
  /** The hub's leaf port as seen from inside the platform cluster. */
  hubLeafUrl: string;
  /** The hub's leaf port as seen from a customer's network (bundles, edges in their own cluster). */
  publicHubLeafUrl?: string;
  /** Addresses of the public hub: what a leaf in another cluster may dial (its NetworkPolicy). */
  publicHubCidrs: string[];
  /** Where leaf nodes outside the cluster dial the hub from (the hub's ingress on the leaf port). */
  leafSourceCidrs: string[];
  /** Edge clusters with a kubeconfig in secret stack config `tenancy:edgeKubeconfig-<name>`. */
  clusters: string[];
  /**
   * Type of the collectors' Services: ClusterIP (devices reach them through your ingress or a
   * route into the cluster) or LoadBalancer (one per collector, counted in the tenant's quota).
   */
  serviceType: EdgeServiceType;
}

export type EdgeServiceType = "ClusterIP" | "LoadBalancer";
export const EDGE_SERVICE_TYPES: readonly EdgeServiceType[] = ["ClusterIP", "LoadBalancer"];

export const EDGE_KUBECONFIG_PREFIX = "edgeKubeconfig-";
/** Logical-name prefix of an edge cluster's Kubernetes provider (index.ts; the render files its objects apart). */
export const EDGE_PROVIDER_PREFIX = "edge-cluster-";

export type EcdsaCurve = "P256" | "P384";

/** One class of certificate: how long it lives and when it is due for re-issue. */
export interface CertificateClass {
  validityHours: number;
  /** `readyForRenewal` turns true this many hours before expiry; the rotation job acts on it. */
  earlyRenewalHours: number;
  curve: EcdsaCurve;
}

export interface PkiSettings {
  root: CertificateClass;
  tenantCa: CertificateClass;
  component: CertificateClass;
  /** Stack-wide counters: bumping one re-issues that class (and what it signs) for every tenant. */
  rotation: { root: number; tenantCa: number; component: number; hub: number };
  /** Name of the NATS hub's Service in the platform namespace (the hub certificate's DNS names). */
  hubServiceName: string;
  /** Extra DNS names for the hub certificate: the public name remote leaf nodes dial. */
  hubPublicDnsNames: string[];
}

/**
 * Pulumi hands every config value to the program as a string; structured values (label maps,
 * numbers) arrive JSON-encoded.
 */
export function decodeConfigValue(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Reads settings through a getter of decoded config values; missing keys get defaults.
 * `configKeys` are the names of every `tenancy:` key set (secret ones included, values unread):
 * they name the edge clusters.
 */
export function readSettings(get: (key: string) => unknown, configKeys: readonly string[] = []): StackSettings {
  const str = (key: string, fallback: string) => (get(key) as string | undefined) ?? fallback;
  const num = (key: string, fallback: number) => (get(key) as number | undefined) ?? fallback;
  const labels = (key: string, fallback: Record<string, string>) =>
    (get(key) as Record<string, string> | undefined) ?? fallback;
  const hubServiceName = str("natsHubServiceName", "nats");
  return {
    tenantsDir: str("tenantsDir", "tenants"),
    plansFile: str("plansFile", "plans/plans.yaml"),
    platformNamespace: str("platformNamespace", "platform"),
    natsHub: {
      podLabels: labels("natsHubPodLabels", { "app.kubernetes.io/name": "nats", "app.kubernetes.io/component": "nats" }),
      clientPort: num("natsClientPort", 4222),
      leafPort: num("natsLeafPort", 7422),
    },
    dns: {
      namespace: str("dnsNamespace", "kube-system"),
      podLabels: labels("dnsPodLabels", { "k8s-app": "kube-dns" }),
    },
    nats: {
      operatorName: str("natsOperatorName", "serviceradar"),
      claimsIssuedAt: num("natsClaimsIssuedAt", 1767225600),
      hubUrl: str("natsHubUrl", `tls://${hubServiceName}.${str("platformNamespace", "platform")}.svc:${num("natsClientPort", 4222)}`),
      deployHub: (get("natsDeployHub") as boolean | undefined) ?? false,
      hubChartVersion: str("natsHubChartVersion", "1.3.16"),
      streamReplicas: num("natsStreamReplicas", 1),
    },
    pki: {
      root: {
        validityHours: num("pkiRootValidityHours", 87600),
        earlyRenewalHours: num("pkiRootEarlyRenewalHours", 8760),
        curve: str("pkiRootCurve", "P384") as EcdsaCurve,
      },
      tenantCa: {
        validityHours: num("pkiTenantCaValidityHours", 43800),
        earlyRenewalHours: num("pkiTenantCaEarlyRenewalHours", 4380),
        curve: str("pkiTenantCaCurve", "P256") as EcdsaCurve,
      },
      component: {
        validityHours: num("pkiComponentValidityHours", 8760),
        earlyRenewalHours: num("pkiComponentEarlyRenewalHours", 720),
        curve: str("pkiComponentCurve", "P256") as EcdsaCurve,
      },
      rotation: {
        root: num("pkiRootRotation", 0),
        tenantCa: num("pkiTenantCaRotation", 0),
        component: num("pkiComponentRotation", 0),
        hub: num("pkiHubRotation", 0),
      },
      hubServiceName,
      hubPublicDnsNames: (get("natsHubPublicDnsNames") as string[] | undefined) ?? [],
    },
    edge: readEdgeSettings(get, configKeys, hubServiceName, str("platformNamespace", "platform"), num("natsLeafPort", 7422)),
    renderYamlToDirectory: get("renderYamlToDirectory") as string | undefined,
    guardRemovedTenants: (get("guardRemovedTenants") as boolean | undefined) ?? true,
    guardStackName: get("guardStackName") as string | undefined,
  };
}

function readEdgeSettings(get: (key: string) => unknown, configKeys: readonly string[], hubServiceName: string, platformNamespace: string, leafPort: number): EdgeSettings {
  const publicNames = (get("natsHubPublicDnsNames") as string[] | undefined) ?? [];
  const images = (get("edgeCollectorImages") as Partial<Record<CollectorType, string>> | undefined) ?? {};
  const collectorImage = (type: CollectorType) => images[type] ?? `ghcr.io/carverauto/serviceradar-${type}:1.0.0`;
  const firstPublic = Array.isArray(publicNames) && typeof publicNames[0] === "string" ? publicNames[0] : undefined;
  return {
    leafImage: (get("edgeLeafImage") as string | undefined) ?? "nats:2.10.29-alpine",
    collectorImages: { flowgger: collectorImage("flowgger"), trapd: collectorImage("trapd"), netflow: collectorImage("netflow"), otel: collectorImage("otel") },
    ingestCidrs: (get("edgeIngestCidrs") as string[] | undefined) ?? ["0.0.0.0/0"],
    clusterPodCidrs: get("clusterPodCidrs") as string[] | undefined,
    edgeClusterPodCidrs: (get("edgeClusterPodCidrs") as Record<string, string[]> | undefined) ?? {},
    hubLeafUrl: `nats-leaf://${hubServiceName}.${platformNamespace}.svc.cluster.local:${leafPort}`,
    publicHubLeafUrl: (get("edgePublicHubLeafUrl") as string | undefined) ?? (firstPublic ? `nats-leaf://${firstPublic}:${leafPort}` : undefined),
    publicHubCidrs: (get("edgePublicHubCidrs") as string[] | undefined) ?? ["0.0.0.0/0"],
    leafSourceCidrs: (get("edgeLeafSourceCidrs") as string[] | undefined) ?? ["0.0.0.0/0"],
    clusters: configKeys
      .map((k) => k.replace(/^tenancy:/, ""))
      .filter((k) => k.startsWith(EDGE_KUBECONFIG_PREFIX))
      .map((k) => k.slice(EDGE_KUBECONFIG_PREFIX.length))
      .sort(),
    serviceType: (get("edgeServiceType") as EdgeServiceType | undefined) ?? "ClusterIP",
  };
}
