/**
 * Stack configuration as plain, typed data: every key of config/keys.ts read through a getter,
 * with the registry's defaults and the defaults computed from other keys.
 */
import type { DatabaseOptions, EdgeServiceType, TenantRules } from "../model/model";
import { EDGE_KUBECONFIG_PREFIX } from "../model/names";
import type { CollectorType } from "../model/schema";
import { parseQuantityMilli } from "../lib/quantity";
import type { HubRules } from "../model/limits";
import { CONFIG_KEYS, type ConfigKeyName } from "./keys";

export interface StackSettings {
  /** Directory holding tenants/<slug>.yaml. */
  tenantsDir: string;
  /** The plans file. */
  plansFile: string;
  cellsFile: string;
  /** What this stack declares (docs/cells.md). */
  stackRole: "all" | "platform" | "cell";
  /** With stackRole "cell": which. */
  cell?: string;
  /** What precedes a cells-file stack name in a StackReference; undefined: `<organization>/<project>/`. */
  stackReferencePrefix?: string;
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
  /** The platform's PostgreSQL, for tenants at schema or database isolation. */
  postgres: PostgresSettings;
  /** Whose groups a tenant file may grant, and what the cluster offers that plans may buy. */
  tenantRules: TenantRules;
  /** What every tenant container must satisfy at admission. */
  images: { registries: string[]; requireDigest: boolean };
  /** kubectl image of the suspension Job. */
  suspenderImage: string;
  /** Where the API server is, for the platform namespace's egress. */
  apiServerCidrs: string[];
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
  /** Servers of the hub cluster (each a full resolver that must acknowledge every push). */
  hubServers: number;
  /** Whether tenants may have unlimited (-1) limits on the shared hub. */
  allowUnlimited: boolean;
  /** Client connections each hub server admits. */
  maxConnections: number;
  /** Of those, the connections kept for the platform's own clients. */
  platformConnections: number;
  /** JetStream storage of each hub server (quantities, e.g. "2Ti"). */
  fileStore: string;
  memoryStore: string;
  /** The hub's full resolver. */
  resolver: { allowDelete: boolean; limit: number };
  /** How the deploy job pushes account JWTs to the hub. */
  push: { urls: string[]; tlsServerName: string; timeoutMs: number };
}

export interface EdgeSettings {
  /** nats-server image of every tenant's leaf node (pin a digest in production). */
  leafImage: string;
  /** Image of each collector type. */
  collectorImages: Record<CollectorType, string>;
  /** A dockerconfigjson Secret every edge namespace holds, pulled with (`tenancy:edgeImagePullSecret`). */
  imagePullSecret?: string;
  /** The subject of each collector type, after `<slug>.` (`tenancy:edgeCollectorSubjects`). */
  collectorSubjects: Record<CollectorType, string>;
  /** nats CLI image that creates the leaf nodes' local streams. */
  streamsImage: string;
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

export interface PostgresSettings {
  /** The server's host; unset, the stack provisions nothing in PostgreSQL (and refuses tenants that need it). */
  host?: string;
  port: number;
  /** The platform's database: schema-level tenants' schemas live there; the provider connects to it. */
  database: string;
  /** The role the provider connects as; its password is the secret key postgresAdminPassword (or PGPASSWORD). */
  adminUser: string;
  /** Whether adminUser is a superuser (the provider's `superuser` setting). */
  superuser: boolean;
  sslMode: string;
  /** The platform's role that runs migrations: owner of every tenant schema and database. */
  migrationRole: string;
  /** The server's max_connections. */
  maxConnections: number;
  /** Connections no single tenant's role may take. */
  reservedConnections: number;
}

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
 * A config value as the program uses it. Pulumi hands every value over as a string; structured
 * values (lists, maps, numbers, booleans) arrive JSON-encoded, and string-typed keys are taken as
 * they are (a name like "123" stays a name). Getters that already hand decoded values (tests) pass
 * through unchanged.
 */
export function decodeConfigValue(key: ConfigKeyName, raw: unknown): unknown {
  if (typeof raw !== "string" || (CONFIG_KEYS[key].schema as { type?: unknown }).type === "string") return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** A getter of `tenancy:` config values by key (without the namespace), as Pulumi hands them. */
export type ConfigGetter = (key: string) => unknown;

/** The decoded value of `key`, or its registry default when the stack sets none. */
export function configValue(get: ConfigGetter, key: ConfigKeyName): unknown {
  const value = decodeConfigValue(key, get(key));
  return value === undefined ? (CONFIG_KEYS[key] as { default?: unknown }).default : value;
}

/**
 * Reads settings through a getter; missing keys get defaults. `configKeys` are the names of every
 * `tenancy:` key set (secret ones included, values unread): they name the edge clusters. Values are
 * taken as they are: config validation (config/validate.ts) reports the bad ones.
 */
export function readSettings(get: ConfigGetter, configKeys: readonly string[] = []): StackSettings {
  const value = <T>(key: ConfigKeyName) => configValue(get, key) as T;
  const platformNamespace = value<string>("platformNamespace");
  const hubServiceName = value<string>("natsHubServiceName");
  const clientPort = value<number>("natsClientPort");
  const leafPort = value<number>("natsLeafPort");
  const hubUrl = value<string | undefined>("natsHubUrl") ?? `tls://${hubServiceName}.${platformNamespace}.svc:${clientPort}`;
  const cls = (name: "Root" | "TenantCa" | "Component"): CertificateClass => ({
    validityHours: value(`pki${name}ValidityHours`),
    earlyRenewalHours: value(`pki${name}EarlyRenewalHours`),
    curve: value(`pki${name}Curve`),
  });
  const publicNames = value<string[]>("natsHubPublicDnsNames");
  const firstPublic = Array.isArray(publicNames) && typeof publicNames[0] === "string" ? publicNames[0] : undefined;
  const images = value<Partial<Record<CollectorType, string>>>("edgeCollectorImages") ?? {};
  const version = value<string>("edgeCollectorVersion");
  const collectorImage = (type: CollectorType) => images[type] ?? serviceRadarImage(type, version);
  const subjects = value<Partial<Record<CollectorType, string>>>("edgeCollectorSubjects") ?? {};
  return {
    tenantsDir: value("tenantsDir"),
    plansFile: value("plansFile"),
    cellsFile: value("cellsFile"),
    stackRole: value("stackRole"),
    cell: value<string | undefined>("cell"),
    stackReferencePrefix: value<string | undefined>("stackReferencePrefix"),
    platformNamespace,
    natsHub: { podLabels: value("natsHubPodLabels"), clientPort, leafPort },
    dns: { namespace: value("dnsNamespace"), podLabels: value("dnsPodLabels") },
    nats: {
      operatorName: value("natsOperatorName"),
      claimsIssuedAt: value("natsClaimsIssuedAt"),
      hubUrl,
      deployHub: value("natsDeployHub"),
      hubChartVersion: value("natsHubChartVersion"),
      hubServers: value("natsHubServers"),
      allowUnlimited: value("natsAllowUnlimited"),
      maxConnections: value("natsHubMaxConnections"),
      platformConnections: value("natsHubPlatformConnections"),
      fileStore: value("natsHubFileStore"),
      memoryStore: value("natsHubMemoryStore"),
      resolver: { allowDelete: value("natsResolverAllowDelete"), limit: value("natsResolverLimit") },
      push: {
        urls: value<string[] | undefined>("natsPushUrls") ?? [hubUrl],
        tlsServerName: value<string | undefined>("natsPushTlsServerName") ?? `${hubServiceName}.${platformNamespace}.svc`,
        timeoutMs: value("natsPushTimeoutMs"),
      },
    },
    pki: {
      root: cls("Root"),
      tenantCa: cls("TenantCa"),
      component: cls("Component"),
      rotation: { root: value("pkiRootRotation"), tenantCa: value("pkiTenantCaRotation"), component: value("pkiComponentRotation"), hub: value("pkiHubRotation") },
      hubServiceName,
      hubPublicDnsNames: publicNames,
    },
    edge: {
      leafImage: value("edgeLeafImage"),
      collectorImages: { flowgger: collectorImage("flowgger"), trapd: collectorImage("trapd"), netflow: collectorImage("netflow"), otel: collectorImage("otel") },
      ...(value<string | undefined>("edgeImagePullSecret") !== undefined ? { imagePullSecret: value<string>("edgeImagePullSecret") } : {}),
      collectorSubjects: { ...DEFAULT_COLLECTOR_SUBJECTS, ...subjects },
      streamsImage: value("edgeStreamsImage"),
      ingestCidrs: value("edgeIngestCidrs"),
      clusterPodCidrs: value("clusterPodCidrs"),
      edgeClusterPodCidrs: value("edgeClusterPodCidrs"),
      hubLeafUrl: `nats-leaf://${hubServiceName}.${platformNamespace}.svc.cluster.local:${leafPort}`,
      publicHubLeafUrl: value<string | undefined>("edgePublicHubLeafUrl") ?? (firstPublic ? `nats-leaf://${firstPublic}:${leafPort}` : undefined),
      publicHubCidrs: value("edgePublicHubCidrs"),
      leafSourceCidrs: value("edgeLeafSourceCidrs"),
      clusters: edgeClusters(configKeys),
      serviceType: value("edgeServiceType"),
    },
    postgres: {
      host: value("postgresHost"),
      port: value("postgresPort"),
      database: value("postgresDatabase"),
      adminUser: value("postgresAdminUser"),
      superuser: value("postgresSuperuser"),
      sslMode: value("postgresSslMode"),
      migrationRole: value("postgresMigrationRole"),
      maxConnections: value("postgresMaxConnections"),
      reservedConnections: value("postgresReservedConnections"),
    },
    tenantRules: {
      groupPrefix: value("tenantGroupPrefix"),
      offer: { storageClasses: value("clusterStorageClasses"), extendedResources: value("clusterExtendedResources"), hugepageSizes: value("clusterHugepageSizes") },
    },
    images: { registries: value("imageRegistries"), requireDigest: value("imageRequireDigest") },
    apiServerCidrs: value("platformApiServerCidrs"),
    suspenderImage: value("suspenderImage"),
    renderYamlToDirectory: value("renderYamlToDirectory"),
    guardRemovedTenants: value("guardRemovedTenants"),
    guardStackName: value("guardStackName"),
  };
}

/** What tenant files' database levels are checked against: the stack's PostgreSQL and the names the platform holds on it. */
export function databaseOptions(postgres: PostgresSettings): DatabaseOptions {
  return {
    configured: postgres.host !== undefined,
    maxTenantConnections: postgres.maxConnections - postgres.reservedConnections,
    reservedNames: [
      { what: "PostgreSQL admin (tenancy:postgresAdminUser)", name: postgres.adminUser },
      { what: "migration role (tenancy:postgresMigrationRole)", name: postgres.migrationRole },
      { what: "platform database (tenancy:postgresDatabase)", name: postgres.database },
    ],
  };
}

/**
 * The images the collectors ship in (docker/images/BUILD.bazel upstream): flowgger and otel run in
 * serviceradar-log-collector (merged in 1.2.0), netflow in serviceradar-flow-collector.
 */
export const SERVICERADAR_IMAGES: Record<CollectorType, string> = {
  flowgger: "serviceradar-log-collector",
  otel: "serviceradar-log-collector",
  trapd: "serviceradar-trapd",
  netflow: "serviceradar-flow-collector",
};
export const SERVICERADAR_REGISTRY = "registry.carverauto.dev/serviceradar";

/** A collector's image at a tag or a digest (`sha256:…`). */
export function serviceRadarImage(type: CollectorType, version: string): string {
  const repo = `${SERVICERADAR_REGISTRY}/${SERVICERADAR_IMAGES[type]}`;
  return version.startsWith("sha256:") ? `${repo}@${version}` : `${repo}:${version}`;
}

/** Seed 000's subjects, after the tenant's `<slug>.`; a stack may change them. */
export const DEFAULT_COLLECTOR_SUBJECTS: Record<CollectorType, string> = {
  flowgger: "events.syslog",
  trapd: "snmp.traps",
  netflow: "netflow.flows",
  otel: "otel",
};

/** Edge clusters: one per `tenancy:edgeKubeconfig-<cluster>` key the stack sets. */
export function edgeClusters(configKeys: readonly string[]): string[] {
  return configKeys
    .map((k) => k.replace(/^tenancy:/, ""))
    .filter((k) => k.startsWith(EDGE_KUBECONFIG_PREFIX))
    .map((k) => k.slice(EDGE_KUBECONFIG_PREFIX.length))
    .sort();
}

/** What tenant validation must know of the hub (a malformed size is NaN: config validation reports it). */
export function hubRules(nats: NatsSettings): HubRules {
  const size = (q: string) => {
    const milli = typeof q === "string" ? parseQuantityMilli(q) : undefined;
    return milli === undefined ? Number.NaN : Number(milli / 1000n);
  };
  return {
    servers: nats.hubServers,
    allowUnlimited: nats.allowUnlimited,
    maxConnections: nats.maxConnections,
    platformConnections: nats.platformConnections,
    fileStorePerServer: size(nats.fileStore),
    memoryStorePerServer: size(nats.memoryStore),
  };
}
