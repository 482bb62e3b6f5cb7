/**
 * Every stack config key the program reads (namespace `tenancy`), declared once: its JSON Schema
 * (TypeBox, checked with ajv like the tenant files), its default, its description, and the rule a
 * bad value breaks. The settings reader takes defaults from here, config validation checks values
 * against these schemas, and Pulumi.yaml's `config:` block and docs/configuration.md are generated
 * from this table (`npm run schema`; a test fails when either is stale).
 */
import { Type, type TSchema } from "@sinclair/typebox";
import { QUANTITY_PATTERN } from "../lib/quantity";
import { DEFAULT_HUB_RULES } from "../model/limits";
import { EDGE_SERVICE_TYPES } from "../model/model";
import { EDGE_KUBECONFIG_PREFIX } from "../model/names";

/** The PostgreSQL admin's password: a secret key (see {@link DYNAMIC_KEYS}). */
export const POSTGRES_ADMIN_PASSWORD_KEY = "postgresAdminPassword";

export interface ConfigKey {
  schema: TSchema;
  /** The value when the stack sets none; absent for keys that are required or have a computed default. */
  default?: unknown;
  /** The stack must set it (there is no safe default). */
  required?: true;
  /** What a missing required key is told. */
  requiredRule?: string;
  /** How the default is computed, for keys whose default depends on other keys. */
  computedDefault?: string;
  description: string;
  /** Heading in docs/configuration.md. */
  group: string;
  /**
   * A value each stack of a fleet with cells sets for itself. Every other key is the fleet's: a cell's
   * stack refuses to go on when its value differs from the platform stack's (config/fleet.ts), so
   * one cell cannot, say, promise the shared hub more than the platform sized it for.
   */
  perStack?: true;
}

const DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
const DNS_NAME = "^(?=.{1,253}$)(\\*\\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$";
const IPV4_CIDR = "^((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\/(3[0-2]|[12]?\\d)$";
const IMAGE = "^[a-z0-9][\\w./:@-]*$";

const port = (what: string) => Type.Integer({ minimum: 1, maximum: 65535, rule: `must be a TCP port (1–65535) for ${what}` });
const labels = () => Type.Record(Type.String({ minLength: 1 }), Type.String(), { rule: 'must be a map of label names to values, e.g. {"app.kubernetes.io/name": "nats"}' });
const cidrs = () =>
  Type.Array(Type.String({ pattern: IPV4_CIDR, rule: "{value} is not an IPv4 CIDR" }), { rule: 'must be a list of IPv4 CIDRs, e.g. ["10.244.0.0/16"]' });
const hours = (rule: string) => Type.Integer({ minimum: 1, rule });
const earlyRenewal = () => Type.Integer({ minimum: 0, rule: "must be a whole number of hours, at least 0 and less than the validity" });
const curve = () => Type.Union([Type.Literal("P256"), Type.Literal("P384")], { rule: "must be one of P256, P384" });
const counter = () => Type.Integer({ minimum: 0, rule: "must be a whole number, at least 0" });
const image = () => Type.String({ pattern: IMAGE, rule: "must be a container image reference" });
const identifier = (what: string) =>
  Type.String({ pattern: "^[a-z_][a-z0-9_$]*$", maxLength: 63, rule: `must be the ${what}: a lower-case PostgreSQL identifier of at most 63 bytes` });
/** libpq's sslmode values the provider's driver (lib/pq) understands. */
export const POSTGRES_SSL_MODES = ["disable", "require", "verify-ca", "verify-full"] as const;

const FILES = "Files";
const PLATFORM = "Platform and cluster";
const NATS = "NATS hub";
const PKI = "Certificates";
const EDGE = "Edge (leaf nodes and collectors)";
const POSTGRES = "PostgreSQL (tenants at schema or database isolation)";
const LIFECYCLE = "Lifecycle guard";
const TENANTS = "What tenants may have";
const OUTPUT = "Output";

/**
 * The keys, in the order problems are reported and the documentation lists them. Edge clusters'
 * kubeconfigs are secret keys of their own, `tenancy:edgeKubeconfig-<cluster>` (see
 * {@link DYNAMIC_KEYS}).
 */
export const CONFIG_KEYS = {
  tenantsDir: { schema: Type.String({ minLength: 1 }), default: "tenants", description: "Directory holding tenants/<slug>.yaml", group: FILES, perStack: true },
  plansFile: { schema: Type.String({ minLength: 1 }), default: "plans/plans.yaml", description: "The plans file", group: FILES, perStack: true },
  cellsFile: { schema: Type.String({ minLength: 1 }), default: "cells/cells.yaml", description: "The cells file: which stacks hold the fleet (docs/cells.md); none there, no cells", group: FILES, perStack: true },
  stackRole: {
    schema: Type.Union([Type.Literal("all"), Type.Literal("platform"), Type.Literal("cell")], { rule: 'must be "all", "platform" or "cell"' }),
    default: "all",
    description: 'What this stack declares: "all" (the platform and every tenant), "platform" (what the cells share), or "cell" (the tenants of tenancy:cell)',
    group: FILES,
    perStack: true,
  },
  cell: {
    schema: Type.String({ pattern: "^[a-z]([-a-z0-9]*[a-z0-9])?$", maxLength: 30, rule: "must be a cell name from the cells file" }),
    description: 'The cell this stack declares (with stackRole "cell")',
    group: FILES,
    perStack: true,
  },
  stackReferencePrefix: {
    schema: Type.String({ maxLength: 200, rule: "must be a string, e.g. \"acme/tenancy/\"" }),
    computedDefault: "<organization>/<project>/",
    description: "What precedes a stack's name from the cells file in a StackReference (empty on a DIY backend, which takes bare names)",
    group: FILES,
  },

  platformNamespace: {
    schema: Type.String({ pattern: DNS_LABEL, maxLength: 63, rule: "must be a namespace name (DNS label)" }),
    default: "platform",
    description: "Namespace of the shared platform (NATS hub, platform services)",
    group: PLATFORM,
  },
  dnsNamespace: { schema: Type.String({ pattern: DNS_LABEL, maxLength: 63, rule: "must be a namespace name (DNS label)" }), default: "kube-system", description: "Namespace of the cluster DNS, the only egress every tenant pod has besides the hub", group: PLATFORM },
  dnsPodLabels: { schema: labels(), default: { "k8s-app": "kube-dns" }, description: "Labels of the cluster DNS pods", group: PLATFORM },
  natsHubServiceName: {
    schema: Type.String({ pattern: DNS_LABEL, maxLength: 63, rule: "must be a Service name (DNS label)" }),
    default: "nats",
    description: "Name of the NATS hub's Service in the platform namespace (DNS names of the hub certificate)",
    group: PLATFORM,
  },
  natsHubPodLabels: { schema: labels(), default: { "app.kubernetes.io/name": "nats", "app.kubernetes.io/component": "nats" }, description: "Labels of the NATS hub pods in the platform namespace", group: PLATFORM },
  natsClientPort: { schema: port("the hub's clients"), default: 4222, description: "The hub's client port", group: PLATFORM },
  natsLeafPort: { schema: port("the hub's leaf nodes"), default: 7422, description: "The hub's leaf node port", group: PLATFORM },

  natsHubPublicDnsNames: {
    schema: Type.Array(Type.String({ pattern: DNS_NAME, rule: "{value} is not a DNS name" }), { rule: 'must be a list of DNS names, e.g. ["nats.example.com"]' }),
    default: [],
    description: "Public DNS names remote leaf nodes dial; added to the hub certificate",
    group: NATS,
  },
  natsHubUrl: {
    schema: Type.String({ pattern: "^(nats|tls)://", rule: "must be a nats:// or tls:// URL" }),
    computedDefault: "tls://<natsHubServiceName>.<platformNamespace>.svc:<natsClientPort>",
    description: "URL NACK and the platform's readers use to reach the hub's client port",
    group: NATS,
  },
  natsHubServers: {
    schema: Type.Integer({ minimum: 1, maximum: 9, rule: "must be a whole number from 1 to 9 (servers of the hub cluster)" }),
    default: DEFAULT_HUB_RULES.servers,
    description: "Servers of the hub cluster: each runs a full account resolver that must acknowledge every account push, and no stream has more replicas",
    group: NATS,
  },
  natsAllowUnlimited: {
    schema: Type.Boolean({ rule: "must be true or false" }),
    default: DEFAULT_HUB_RULES.allowUnlimited,
    description: "Let plans and overrides give a tenant unlimited (-1) connections, subscriptions, data, payload, leaf nodes or storage on the shared hub",
    group: NATS,
  },
  natsHubMaxConnections: {
    schema: Type.Integer({ minimum: 1, rule: "must be a positive whole number" }),
    default: DEFAULT_HUB_RULES.maxConnections,
    description: "Client connections each hub server admits (max_connections); every tenant's connections together, plus the platform's, must fit, since all of them may land on one server",
    group: NATS,
  },
  natsHubPlatformConnections: {
    schema: Type.Integer({ minimum: 0, rule: "must be a whole number, at least 0" }),
    default: DEFAULT_HUB_RULES.platformConnections,
    description: "Of natsHubMaxConnections, the connections kept for the platform's own clients (readers, NACK, pushes): tenants may not promise them away",
    group: NATS,
  },
  natsHubFileStore: {
    schema: Type.String({ pattern: QUANTITY_PATTERN, rule: 'must be a byte quantity, e.g. "2Ti"' }),
    default: "2Ti",
    description: "JetStream file storage of each hub server (max_file_store); every tenant's reservation on one server (R1 whole, R3 a third) together must fit",
    group: NATS,
  },
  natsHubMemoryStore: {
    schema: Type.String({ pattern: QUANTITY_PATTERN, rule: 'must be a byte quantity, e.g. "64Gi"' }),
    default: "64Gi",
    description: "JetStream memory storage of each hub server (max_memory_store), filled the same way",
    group: NATS,
  },
  natsResolverAllowDelete: {
    schema: Type.Boolean({ rule: "must be true or false" }),
    default: true,
    description: "Let a removed tenant's account be deleted from the hub's resolvers (after a disabling JWT), not only disabled",
    group: NATS,
  },
  natsResolverLimit: {
    schema: Type.Integer({ minimum: 1, rule: "must be a positive whole number" }),
    default: 100000,
    description: "Most account JWTs each hub resolver stores (a hard cap, so pushes cannot fill its disk)",
    group: NATS,
  },
  natsPushUrls: {
    schema: Type.Array(Type.String({ pattern: "^(nats|tls)://", rule: "{value} is not a nats:// or tls:// URL" }), { minItems: 1, rule: 'must be a list of nats:// or tls:// URLs, e.g. ["tls://127.0.0.1:4222"]' }),
    computedDefault: "[natsHubUrl]",
    description: "Where the deploy job reaches the hub's client port to push account JWTs (e.g. through kubectl port-forward; docs/nats.md)",
    group: NATS,
  },
  natsPushTlsServerName: {
    schema: Type.String({ pattern: DNS_NAME, rule: "must be a DNS name the hub certificate carries" }),
    computedDefault: "<natsHubServiceName>.<platformNamespace>.svc",
    description: "The name the push client verifies the hub's certificate against (the URL's host when it is a port-forward)",
    group: NATS,
  },
  natsPushTimeoutMs: {
    schema: Type.Integer({ minimum: 100, maximum: 600000, rule: "must be a whole number of milliseconds from 100 to 600000" }),
    default: 10000,
    description: "How long a push waits for every resolver to answer",
    group: NATS,
    perStack: true,
  },
  natsOperatorName: {
    schema: Type.String({ pattern: "^[A-Za-z0-9][-A-Za-z0-9_.]{0,63}$", rule: "must be a name of letters, digits, '-', '_' or '.' (at most 64)" }),
    default: "serviceradar",
    description: "Name of the NATS operator",
    group: NATS,
  },
  natsClaimsIssuedAt: {
    schema: Type.Integer({ minimum: 1, rule: "must be a positive whole number of Unix seconds" }),
    default: 1767225600,
    description: "iat of every NATS JWT (Unix seconds); fixed so unchanged claims give identical tokens",
    group: NATS,
  },
  natsDeployHub: { schema: Type.Boolean({ rule: "must be true or false" }), default: false, description: "Deploy the official NATS Helm chart (1.x) wired to the generated accounts fragment", group: NATS },
  natsHubChartVersion: { schema: Type.String({ minLength: 1 }), default: "1.3.16", description: "Version of the NATS Helm chart when natsDeployHub is on", group: NATS },

  pkiRootValidityHours: { schema: hours("must be a positive whole number of hours"), default: 87600, description: "Lifetime of the platform root CA (and the hub CA)", group: PKI },
  pkiRootEarlyRenewalHours: { schema: earlyRenewal(), default: 8760, description: "How long before expiry the root CA is due for renewal", group: PKI },
  pkiRootCurve: { schema: curve(), default: "P384", description: "ECDSA curve of the root and hub CA keys", group: PKI },
  pkiTenantCaValidityHours: { schema: hours("must be a positive whole number of hours"), default: 43800, description: "Lifetime of each tenant's intermediate CA", group: PKI },
  pkiTenantCaEarlyRenewalHours: { schema: earlyRenewal(), default: 4380, description: "How long before expiry a tenant CA is due for renewal", group: PKI },
  pkiTenantCaCurve: { schema: curve(), default: "P256", description: "ECDSA curve of tenant CA keys", group: PKI },
  pkiComponentValidityHours: { schema: hours("must be a positive whole number of hours"), default: 8760, description: "Lifetime of component certificates (collectors, leaf nodes, the hub)", group: PKI },
  pkiComponentEarlyRenewalHours: { schema: earlyRenewal(), default: 720, description: "How long before expiry a component certificate is due for renewal", group: PKI },
  pkiComponentCurve: { schema: curve(), default: "P256", description: "ECDSA curve of component keys", group: PKI },
  pkiRootRotation: { schema: counter(), default: 0, description: "Bump to replace the platform root CA (and re-issue everything)", group: PKI },
  pkiTenantCaRotation: { schema: counter(), default: 0, description: "Bump to replace every tenant's intermediate CA", group: PKI, perStack: true },
  pkiComponentRotation: { schema: counter(), default: 0, description: "Bump to re-issue every component certificate", group: PKI, perStack: true },
  pkiHubRotation: { schema: counter(), default: 0, description: "Bump to re-issue the NATS hub's server certificate", group: PKI },

  edgeServiceType: {
    schema: Type.Union(EDGE_SERVICE_TYPES.map((t) => Type.Literal(t)), { rule: `must be one of ${EDGE_SERVICE_TYPES.join(", ")}` }),
    default: "ClusterIP",
    description: "Type of the collectors' Services: ClusterIP (devices reach them through your ingress or a route into the cluster) or LoadBalancer (one per collector, counted in the tenant's quota)",
    group: EDGE,
  },
  edgeIngestCidrs: { schema: cidrs(), default: ["0.0.0.0/0"], description: "Where devices send from: sources admitted on the collectors' ingest ports", group: EDGE },
  clusterPodCidrs: {
    schema: cidrs(),
    required: true,
    requiredRule: 'is required: the platform cluster\'s pod network (e.g. ["10.244.0.0/16"]), which no ingest port and no outside leaf source may include',
    description: "The platform cluster's pod network, excluded from edgeIngestCidrs (another tenant's pod is never a device) and from the hub's outside leaf sources",
    group: EDGE,
  },
  edgeClusterPodCidrs: {
    schema: Type.Record(Type.String({ pattern: DNS_LABEL }), cidrs(), { rule: 'must be a map of edge cluster names to lists of IPv4 CIDRs, e.g. {"site-a": ["10.42.0.0/16"]}' }),
    default: {},
    description: "The pod network of each edge cluster, by name",
    group: EDGE,
  },
  edgePublicHubLeafUrl: {
    schema: Type.String({ pattern: "^nats-leaf://", rule: "must be a nats-leaf:// URL" }),
    computedDefault: "nats-leaf://<first of natsHubPublicDnsNames>:<natsLeafPort>, or none",
    description: "The hub's leaf port as seen from a customer's network (bundles, edges in their own clusters)",
    group: EDGE,
  },
  edgePublicHubCidrs: { schema: cidrs(), default: ["0.0.0.0/0"], description: "Addresses of the public hub: what a leaf in another cluster may dial (its NetworkPolicy)", group: EDGE },
  edgeLeafSourceCidrs: { schema: cidrs(), default: ["0.0.0.0/0"], description: "Where leaf nodes outside the cluster dial the hub from (the hub's ingress on the leaf port)", group: EDGE },
  edgeLeafImage: { schema: image(), default: "nats:2.10.29-alpine", description: "nats-server image of every tenant's leaf node (pin a digest in production)", group: EDGE },
  edgeCollectorVersion: {
    schema: Type.String({ pattern: "^([\\w][\\w.-]{0,127}|sha256:[a-f0-9]{64})$", rule: "must be an image tag (e.g. 1.2.27) or a digest (sha256:<64 hex>)" }),
    default: "1.2.27",
    description: "Tag or digest of the ServiceRadar collector images registry.carverauto.dev/serviceradar/serviceradar-{log-collector,trapd,flow-collector} (the configs are written for 1.2.x)",
    group: EDGE,
  },
  edgeCollectorImages: {
    schema: Type.Object(
      { flowgger: Type.Optional(image()), trapd: Type.Optional(image()), netflow: Type.Optional(image()), otel: Type.Optional(image()) },
      { additionalProperties: false, rule: 'must be a map of collector types to images, e.g. {"trapd": "registry.example.com/trapd:1.2"}' },
    ),
    default: {},
    description: "Image of a collector type, replacing the ServiceRadar image at edgeCollectorVersion (flowgger and otel run in serviceradar-log-collector, netflow in serviceradar-flow-collector)",
    group: EDGE,
  },
  edgeImagePullSecret: {
    schema: Type.String({ pattern: DNS_LABEL, maxLength: 253, rule: "must be a Secret name (DNS label)" }),
    computedDefault: "none",
    description: "Name of a kubernetes.io/dockerconfigjson Secret, present in every edge namespace, that the collector and leaf pods pull with (counted in the edge's quota)",
    group: EDGE,
  },
  edgeCollectorSubjects: {
    schema: Type.Object(
      Object.fromEntries(["flowgger", "trapd", "netflow", "otel"].map((t) => [t, Type.Optional(Type.String({ pattern: "^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$", rule: "{value} must be a NATS subject without wildcards" }))])),
      { additionalProperties: false, rule: 'must be a map of collector types to subjects, e.g. {"flowgger": "events.syslog"}' },
    ),
    default: {},
    description: "Subject each collector type publishes, after the tenant's `<slug>.` (defaults: events.syslog, snmp.traps, netflow.flows, otel; otel appends .traces.raw, .metrics.raw, .metrics.derived, .logs)",
    group: EDGE,
  },
  edgeStreamsImage: {
    schema: image(),
    default: "natsio/nats-box:0.14.5",
    description: "Image with the nats CLI that keeps each edge leaf's local streams (the leaf pod's second container, install.sh at a site)",
    group: EDGE,
  },

  postgresHost: {
    schema: Type.String({ pattern: DNS_NAME, rule: "must be a DNS name or IPv4 address" }),
    computedDefault: "none: the stack provisions nothing in PostgreSQL, and refuses tenants at schema or database isolation",
    description: "Host of the platform's PostgreSQL, as the provider (at `pulumi up`) and the platform's workers reach it",
    group: POSTGRES,
  },
  postgresPort: { schema: port("PostgreSQL"), default: 5432, description: "Port of the platform's PostgreSQL", group: POSTGRES },
  postgresDatabase: { schema: identifier("platform's database"), default: "serviceradar", description: "The platform's database: where schema-level tenants get their schema, and where the provider connects", group: POSTGRES },
  postgresAdminUser: {
    schema: Type.String({ minLength: 1, maxLength: 63, rule: "must be a role name of at most 63 bytes" }),
    default: "postgres",
    description: "The role the provider connects as: creates roles, schemas and databases (its password: the secret key postgresAdminPassword, else PGPASSWORD in pulumi's environment)",
    group: POSTGRES,
    perStack: true,
  },
  postgresSuperuser: { schema: Type.Boolean({ rule: "must be true or false" }), default: true, description: "Whether postgresAdminUser is a superuser (false on managed servers such as RDS: the provider then grants itself role memberships as it needs them)", group: POSTGRES, perStack: true },
  postgresSslMode: {
    schema: Type.Union(POSTGRES_SSL_MODES.map((m) => Type.Literal(m)), { rule: `must be one of ${POSTGRES_SSL_MODES.join(", ")}` }),
    default: "verify-full",
    description: "sslmode of the provider's connections and of the workers' credentials",
    group: POSTGRES,
  },
  postgresMigrationRole: {
    schema: identifier("platform's migration role"),
    default: "serviceradar",
    description: "The platform's existing role that runs migrations: owns every tenant schema and database (creates their tables); never a tenant's",
    group: POSTGRES,
  },
  postgresMaxConnections: { schema: Type.Integer({ minimum: 1, rule: "must be a whole number, at least 1" }), default: 100, description: "The server's max_connections, shared by every tenant and the platform", group: POSTGRES },
  postgresReservedConnections: {
    schema: Type.Integer({ minimum: 0, rule: "must be a whole number, at least 0 and less than postgresMaxConnections" }),
    default: 20,
    description: "Connections no single tenant's role may take: its connection limit is at most postgresMaxConnections less these",
    group: POSTGRES,
  },
  tenantGroupPrefix: {
    schema: Type.String({ pattern: "^[^{}]*\\{slug\\}[^{}]*$", maxLength: 100, rule: 'must contain {slug} once, e.g. "{slug}:" or "oidc:tenant-{slug}-"' }),
    default: "{slug}:",
    description: "Prefix of every identity-provider group a tenant file may grant, {slug} standing for the tenant's slug; system: groups and other tenants' groups are always refused",
    group: TENANTS,
  },
  clusterStorageClasses: {
    schema: Type.Array(Type.String({ pattern: "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", rule: "{value} is not a StorageClass name" }), { uniqueItems: true, rule: 'must be a list of StorageClass names, e.g. ["standard", "fast"]' }),
    default: ["standard"],
    description: "The cluster's StorageClasses: each gets a quota of 0 in every tenant namespace unless the tenant's plan buys it (a claim of any other class is refused at admission)",
    group: TENANTS,
  },
  clusterExtendedResources: {
    schema: Type.Array(Type.String({ pattern: "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", rule: "{value} is not an extended resource name (<domain>/<name>)" }), { uniqueItems: true, rule: 'must be a list of extended resource names, e.g. ["nvidia.com/gpu"]' }),
    default: ["nvidia.com/gpu", "amd.com/gpu", "gpu.intel.com/i915"],
    description: "Extended resources the cluster's nodes advertise (GPUs and other devices): each gets a quota of 0 unless the tenant's plan buys it",
    group: TENANTS,
  },
  clusterHugepageSizes: {
    schema: Type.Array(Type.String({ pattern: "^[1-9][0-9]*(Ki|Mi|Gi)$", rule: '{value} is not a huge page size such as "2Mi"' }), { uniqueItems: true, rule: 'must be a list of huge page sizes, e.g. ["2Mi", "1Gi"]' }),
    default: ["2Mi", "1Gi"],
    description: "Huge page sizes the cluster's nodes offer: each gets a quota of 0 unless the tenant's plan buys it",
    group: TENANTS,
  },
  imageRegistries: {
    schema: Type.Array(Type.String({ pattern: "^[a-z0-9][\\w./:@-]*$", rule: "{value} is not an image reference prefix" }), { minItems: 1, uniqueItems: true, rule: 'must be a non-empty list of image prefixes, e.g. ["registry.example.com/", "ghcr.io/carverauto/"]' }),
    default: ["registry.carverauto.dev/serviceradar/", "ghcr.io/carverauto/", "nats:", "docker.io/library/nats:", "natsio/nats-box:"],
    description: "Image prefixes a container in a tenant namespace may use (refused at admission otherwise); the edge's images must match too",
    group: TENANTS,
  },
  imageRequireDigest: {
    schema: Type.Boolean({ rule: "must be true or false" }),
    default: false,
    description: "Refuse tenant containers whose image is not pinned by digest (@sha256:…); the edge's images must then be pinned too",
    group: TENANTS,
  },
  suspenderImage: {
    schema: image(),
    default: "registry.k8s.io/kubectl:v1.31.0",
    description: "kubectl image of the Job that stops a suspended tenant's running pods (its entrypoint is kubectl)",
    group: TENANTS,
  },
  platformApiServerCidrs: {
    schema: cidrs(),
    default: ["0.0.0.0/0"],
    description: "Where the Kubernetes API server is, for the platform namespace's egress (NACK, the suspender) on ports 443 and 6443; narrow it to your control plane",
    group: PLATFORM,
  },

  guardRemovedTenants: { schema: Type.Boolean({ rule: "must be true or false" }), default: true, description: "Refuse an update that drops a tenant (or organization) not decommissioned in the last one", group: LIFECYCLE, perStack: true },
  guardStackName: {
    schema: Type.String({ minLength: 1 }),
    computedDefault: "<organization>/<project>/<stack>",
    description: "How this stack names itself in a StackReference (the guard reads its own previous outputs); legacy DIY backends take the bare stack name",
    group: LIFECYCLE,
    perStack: true,
  },

  renderYamlToDirectory: { schema: Type.String({ minLength: 1 }), computedDefault: "none: apply to the cluster", description: "When set, the Kubernetes provider writes YAML here instead of talking to a cluster", group: OUTPUT, perStack: true },
} satisfies Record<string, ConfigKey>;

export type ConfigKeyName = keyof typeof CONFIG_KEYS;

/**
 * Keys the program reads only as secrets (`config.getSecret`, never `get`, so their values are
 * never validated or logged as plain text): one per edge cluster, whose name carries a value, and
 * the PostgreSQL admin's password.
 */
export const DYNAMIC_KEYS = [
  {
    pattern: `${EDGE_KUBECONFIG_PREFIX}<cluster>`,
    secret: true,
    note: "one per edge cluster, secret",
    description: "Kubeconfig of an edge cluster that a tenant file names in edge.cluster (set with `pulumi config set --secret`)",
    group: EDGE,
  },
  {
    pattern: POSTGRES_ADMIN_PASSWORD_KEY,
    secret: true,
    note: "secret",
    description: "Password of postgresAdminUser (set with `pulumi config set --secret`); unset, the provider reads PGPASSWORD from pulumi's environment",
    group: POSTGRES,
  },
] as const;
