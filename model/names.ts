/**
 * Every name the program derives, in one place: labels, Kubernetes object names, certificate
 * subjects, NATS account, user and stream names, edge file and site names, and the Pulumi logical
 * names of every resource. Validation checks the derived Kubernetes names against Kubernetes'
 * limits and against each other; planning and the components only ever take names from here.
 *
 * Logical names follow the schemes the stack's state already holds (renaming one would replace
 * the resource): children of a Tenant are `<tenant>/…`, except namespace-scoped objects, which are
 * `<namespace>-…` (the namespace name carries the tenant); children of the Platform and the hub
 * configuration are `<component>-…`.
 */

// ---------------------------------------------------------------------------------------------
// Labels

export const LABEL_PREFIX = "tenancy.serviceradar.io";
export const LABELS = {
  tenant: `${LABEL_PREFIX}/tenant`,
  org: `${LABEL_PREFIX}/org`,
  plan: `${LABEL_PREFIX}/plan`,
  status: `${LABEL_PREFIX}/status`,
  role: `${LABEL_PREFIX}/namespace-role`,
  natsUser: `${LABEL_PREFIX}/nats-user`,
  component: "app.kubernetes.io/component",
  name: "app.kubernetes.io/name",
  instance: "app.kubernetes.io/instance",
  managedBy: "app.kubernetes.io/managed-by",
  partOf: "app.kubernetes.io/part-of",
  /** Set by the API server on every namespace (Kubernetes ≥ 1.21); nobody can forge it. */
  namespaceName: "kubernetes.io/metadata.name",
} as const;

export const MANAGED_BY = "pulumi";
export const PART_OF = "tenancy";

/** Labels of everything this program declares. */
export const managedLabels = (): Record<string, string> => ({ [LABELS.managedBy]: MANAGED_BY, [LABELS.partOf]: PART_OF });

/** Labels of a tenant's namespace-scoped objects (policies, quotas, roles). */
export const tenantLabels = (slug: string): Record<string, string> => ({ [LABELS.tenant]: slug, ...managedLabels() });

/** Labels of a platform-managed object (certificates, credentials, streams), by tenant when it has one. */
export function componentLabels(slug: string | undefined, component: string): Record<string, string> {
  return { ...(slug ? { [LABELS.tenant]: slug } : {}), [LABELS.component]: component, ...managedLabels() };
}

/** Pod template annotation that changes whenever what the pods read at start changes. */
export const RESTART_ANNOTATION = `${LABEL_PREFIX}/restart-on`;
/** Annotation on bundle Secrets: `<slug>/<collector>`, where a revealed render writes the files. */
export const BUNDLE_ANNOTATION = `${LABEL_PREFIX}/onboarding-bundle`;

// ---------------------------------------------------------------------------------------------
// Tenant namespaces

/** Slugs that would read as, or collide with, platform or Kubernetes system names. */
export const RESERVED_SLUGS = new Set([
  "platform",
  "system",
  "default",
  "kube-system",
  "kube-public",
  "kube-node-lease",
  "kube",
  "admin",
  "nats",
  "serviceradar",
  "tenant",
  "tenants",
  "shared",
  "global",
  "all",
]);

export const rootNamespaceName = (slug: string) => `tenant-${slug}`;
export const orgNamespaceName = (slug: string, org: string) => `tenant-${slug}-org-${org}`;
/** Where the tenant's leaf node and collectors run (only when its file lists collectors). */
export const edgeNamespaceName = (slug: string) => `tenant-${slug}-edge`;
/** Slugs may not end in it: `tenant-<a>-edge` would be tenant a's edge and tenant "a-edge"'s root. */
export const EDGE_SUFFIX = "-edge";
/** Slugs may not contain it: it separates organization namespaces. */
export const ORG_SEPARATOR = "-org-";

/** The longest names a tenant produces; each must be a DNS-1123 label (≤ 63 characters). */
export function derivedNames(slug: string, orgIds: readonly string[]): { what: string; name: string; org?: string }[] {
  return [
    { what: "root namespace", name: rootNamespaceName(slug) },
    { what: "edge namespace", name: edgeNamespaceName(slug) },
    ...orgIds.map((org) => ({ what: `namespace of organization "${org}"`, name: orgNamespaceName(slug, org), org })),
  ];
}

/** Names of the isolation objects in every tenant namespace. */
export const NAMESPACE_OBJECTS = {
  quota: "tenant-quota",
  limitRange: "tenant-limits",
  /** Role and RoleBinding of an access level. */
  access: (level: "admin" | "viewer") => `tenant-${level}`,
} as const;

/** NetworkPolicy names. */
export const POLICY_NAMES = {
  defaultDeny: "default-deny",
  allowTenant: "allow-tenant",
  allowPlatformEgress: "allow-platform-egress",
  allowDns: "allow-dns",
  collectorsToLeaf: "collectors-to-leaf",
  leafFromCollectors: "leaf-from-collectors",
  leafToHub: "leaf-to-hub",
  ingest: (workload: string) => `ingest-${workload}`,
  hubIngress: "nats-hub-ingress",
} as const;

// ---------------------------------------------------------------------------------------------
// PKI

/** Trust domain suffix of every component CN (seed 001 task 1.4). */
export const TRUST_DOMAIN = "serviceradar";
/** The tenant's leaf NATS node is a component like the collectors; it serves its edge site. */
export const LEAF_COMPONENT = "leaf";
/**
 * The in-cluster edge is a location like a site: its leaf's certificate is `leaf.edge.<slug>`, so
 * no collector partition may be called "edge".
 */
export const IN_CLUSTER_LOCATION = "edge";
export const LEAF_PARTITION = IN_CLUSTER_LOCATION;

export const componentCommonName = (component: string, partition: string, slug: string) => `${component}.${partition}.${slug}.${TRUST_DOMAIN}`;
/** The O of every certificate of a tenant. */
export const tenantOrganization = (slug: string) => `${slug}.${TRUST_DOMAIN}`;
export const tenantCaCommonName = (slug: string) => `${slug} tenant CA`;
export const ROOT_CA_COMMON_NAME = `${TRUST_DOMAIN} platform root CA`;
export const HUB_CA_COMMON_NAME = `${TRUST_DOMAIN} NATS hub CA`;
export const hubCommonName = (platformNamespace: string) => `nats.${platformNamespace}.${TRUST_DOMAIN}`;

/** A component's `kubernetes.io/tls` Secret. */
export const componentSecretName = (component: string, partition: string) => `${component}-${partition}-tls`;
/** The tenant CA's key: in the platform namespace only, named after the tenant. */
export const tenantCaSecretName = (slug: string) => `tenant-ca-${slug}`;
/** Published in the tenant's root namespace: the CA certificates, never a key. */
export const TENANT_CA_CONFIGMAP = "tenant-ca";
export const HUB_TLS_SECRET = "nats-hub-tls";
export const ROOT_CA_CONFIGMAP = "platform-root-ca";
/** The hub CA's certificate, as a Secret for consumers that read CAs only from Secrets (NACK). */
export const HUB_CA_SECRET = "nats-hub-ca";

/** The DNS names a Service answers to inside the cluster. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

// ---------------------------------------------------------------------------------------------
// NATS

export const accountName = (slug: string) => `TENANT_${slug}`;
export const accountTag = (slug: string) => `tenant:${slug}`;
/** Name of the NACK Account (and its creds Secret stem) in the platform namespace. */
export const nackAccountName = (slug: string) => `tenant-${slug}`;
export const SYSTEM_ACCOUNT_NAME = "SYS";
export const PLATFORM_ACCOUNT_NAME = "PLATFORM";
/** The key of a creds file in every creds Secret (and the file name it is mounted as). */
export const CREDS_KEY = "nats.creds";
export const LEAF_USER_ID = "leaf";
/** The leaf user of an edge location in the tenant account: `leaf` in the cluster, `leaf-<site>` for a site. */
export const leafUserId = (location: string) => (location === IN_CLUSTER_LOCATION ? LEAF_USER_ID : `${LEAF_USER_ID}-${location}`);
/**
 * An edge location's own account, which only its leaf node knows (the hub never loads it): its
 * collectors authenticate there, so their creds are worthless on the hub's client port.
 */
export const edgeAccountName = (slug: string, location: string) => `EDGE_${slug}_${location}`;
/** Who creates an edge location's local streams (and nothing else), in its own account. */
export const STREAMS_USER_ID = "streams";
/** An edge location's JetStream domain: the hub reaches its local streams as `$JS.<domain>.API`. */
export const edgeDomain = (slug: string, location: string) => `${slug}-${location}`;
/** Where an edge location's local streams deliver what the hub's streams source from them. */
export const edgeDeliverPrefix = (location: string) => `_EDGE.${location}`;
/** The platform's EventWriter and NACK in every tenant account. */
export const READER_USER_ID = "reader";
export const MANAGER_USER_ID = "manager";
export const collectorUserId = (c: { type: string; partition: string }) => `collector-${collectorServiceName(c.type, c.partition)}`;
/** A user's JWT `name`. */
export const natsUserName = (slug: string, userId: string) => `${slug}-${userId}`;
export const collectorCredsSecretName = (type: string, partition: string) => `${collectorServiceName(type, partition)}-nats-creds`;
export const LEAF_CREDS_SECRET = "nats-leaf-creds";
/** The platform's own users of a tenant account keep their creds in the platform namespace. */
export const platformUserCredsSecretName = (slug: string, role: "reader" | "manager") => `nats-${slug}-${role}-creds`;
/** A JetStream stream (and its NACK Stream object). */
export const streamName = (slug: string, kind: string) => `${slug}-${kind}`;
/**
 * Reply subjects of the platform's reader (its clients set it as their inbox prefix). NACK, the
 * manager, cannot change nats.go's `_INBOX.`; no leaf node is ever forwarded either.
 */
export const PLATFORM_INBOX_PREFIX = "_INBOX_PLATFORM";
/** async-nats's inbox, which no collector can change: their acks and API replies come back on it. */
export const COLLECTOR_INBOX_PREFIX = "_INBOX";
/** Everything a tenant publishes starts with it. */
export const tenantSubjectPrefix = (slug: string) => `${slug}.>`;
export const HUB_ACCOUNTS_CONFIGMAP = "nats-hub-accounts";
export const HUB_ACCOUNTS_KEY = "accounts.conf";
/** The Helm release of the optional hub chart. */
export const HUB_RELEASE_NAME = "nats";

// ---------------------------------------------------------------------------------------------
// Edge

export const LEAF_SERVICE_NAME = "nats-leaf";
/** A collector's Deployment, Service and ConfigMap stem. */
export const collectorServiceName = (type: string, partition: string) => `${type}-${partition}`;
export const collectorConfigMapName = (workload: string) => `${workload}-config`;
export const LEAF_CONFIGMAP = "nats-leaf-config";
export const LEAF_CONFIG_KEY = "nats-leaf.conf";
/** A leaf's `server_name`: `leaf-<slug>` in the cluster, `leaf-<slug>-<site>` at a site. */
export const leafServerName = (slug: string, location: string = IN_CLUSTER_LOCATION) => (location === IN_CLUSTER_LOCATION ? `leaf-${slug}` : `leaf-${slug}-${location}`);
/** What keeps the in-cluster leaf's local streams: its definitions' ConfigMap and its creds Secret. */
export const LEAF_STREAMS_CONFIGMAP = "nats-leaf-streams";
export const LEAF_STREAMS_CREDS_SECRET = "nats-leaf-streams-creds";
/** A local stream's definition file (`nats stream add --config`). */
export const streamDefinitionFile = (stream: string) => `${stream}.json`;
export const onboardingSecretName = (type: string, partition: string) => `onboarding-${collectorServiceName(type, partition)}`;
/** Where a revealed render (and the bundle annotation) files a bundle: `<slug>/<collector>`. */
export const bundleLocation = (slug: string, workload: string) => `${slug}/${workload}`;
/** Names at a customer's site, as install.sh creates them (one network and one leaf per site). */
export const siteNames = (slug: string, site: string, workload: string) => ({
  network: `serviceradar-${slug}-${site}`,
  prefix: `/etc/serviceradar-edge/${slug}/${site}`,
  leafContainer: `${LEAF_SERVICE_NAME}-${slug}-${site}`,
  streamsContainer: `${LEAF_STREAMS_CONFIGMAP}-${slug}-${site}`,
  collectorContainer: `${workload}-${slug}`,
});

// ---------------------------------------------------------------------------------------------
// Stack config keys with a name in them

/** Secret stack config holding an edge cluster's kubeconfig: `tenancy:edgeKubeconfig-<cluster>`. */
export const EDGE_KUBECONFIG_PREFIX = "edgeKubeconfig-";
/** Logical-name prefix of an edge cluster's Kubernetes provider (the render files its objects apart). */
export const EDGE_PROVIDER_PREFIX = "edge-cluster-";

// ---------------------------------------------------------------------------------------------
// Pulumi logical names

/**
 * Rotation is a rename: the key and certificate resources carry the generation in their logical
 * name, so bumping a counter creates a new key and certificate and deletes the old ones, while the
 * Kubernetes Secret (fixed name) is updated in place and workloads see new files. Generation 0 of
 * both counters has no suffix, so a stack that never rotated has plain names.
 */
export function generationSuffix(stackCounter: number, tenantCounter: number): string {
  return stackCounter === 0 && tenantCounter === 0 ? "" : `-g${stackCounter}.${tenantCounter}`;
}

/** A certificate's key, request and certificate, named after the certificate's stem. */
export const issuedNames = (stem: string) => ({ key: `${stem}/key`, request: `${stem}/csr`, certificate: `${stem}/cert` });

/**
 * Children of a Tenant named `tenant`. A component certificate's stem uses "/" between its parts:
 * no slug or partition can contain it, so two tenants' names never collide (URNs carry the
 * parent's type, not its name).
 */
export const tenantResourceNames = (tenant: string) => ({
  caCertificate: (generation: string) => `${tenant}/tenant-ca${generation}`,
  caSecret: `${tenant}/tenant-ca-secret`,
  caConfigMap: `${tenant}/tenant-ca-configmap`,
  componentCertificate: (component: string, partition: string, generation: string) => `${tenant}/${component}/${partition}${generation}`,
  componentSecret: (component: string, partition: string) => `${tenant}/${component}/${partition}/tls-secret`,
  accountKey: `${tenant}/nats-account-key`,
  userKeys: `${tenant}/nats-user-keys`,
  credsSecret: (secretName: string) => `${tenant}/${secretName}`,
  nackAccount: `${tenant}/nack-account`,
  stream: (kind: string) => `${tenant}/stream-${kind}`,
  edge: (workload: string) => ({
    configMap: `${tenant}/edge/${workload}/config`,
    deployment: `${tenant}/edge/${workload}/deployment`,
    service: `${tenant}/edge/${workload}/service`,
    onboarding: `${tenant}/edge/${workload}/onboarding`,
  }),
});

/** Children of a Tenant that live in one of its namespaces, named after the namespace. */
export const namespaceResourceNames = (namespace: string) => ({
  namespace,
  networkPolicy: (policy: string) => `${namespace}-${policy}`,
  quota: `${namespace}-quota`,
  limitRange: `${namespace}-limits`,
  role: (level: string) => `${namespace}-${level}-role`,
  roleBinding: (level: string) => `${namespace}-${level}-binding`,
});

/** Children of the Platform component named `platform`. */
export const platformResourceNames = (platform: string) => ({
  namespace: `${platform}-namespace`,
  hubIngressPolicy: `${platform}-${POLICY_NAMES.hubIngress}`,
  rootCaKey: (generation: string) => `${platform}-root-ca-key${generation}`,
  rootCa: (generation: string) => `${platform}-root-ca${generation}`,
  rootCaConfigMap: `${platform}-${ROOT_CA_CONFIGMAP}`,
  hubCaKey: (generation: string) => `${platform}-hub-ca-key${generation}`,
  hubCa: (generation: string) => `${platform}-hub-ca${generation}`,
  hubCaSecret: `${platform}-${HUB_CA_SECRET}`,
  hubCertificate: (generation: string) => `${platform}-nats-hub${generation}`,
  hubTlsSecret: `${platform}-${HUB_TLS_SECRET}`,
  operatorKey: `${platform}-nats-operator-key`,
  systemAccountKey: `${platform}-nats-system-account-key`,
  platformAccountKey: `${platform}-nats-platform-account-key`,
});

/** Children of the hub configuration component named `hub`. */
export const hubResourceNames = (hub: string) => ({ accountsConfigMap: `${hub}-accounts`, chart: `${hub}-chart` });

/** Top-level resources of the stack. */
export const STACK_RESOURCE_NAMES = {
  provider: "kubernetes",
  platform: "platform",
  hub: "nats-hub",
  previousUpdate: "previous-update",
  edgeProvider: (cluster: string) => `${EDGE_PROVIDER_PREFIX}${cluster}`,
} as const;
