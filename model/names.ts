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

/** A name a tenant produces, and whose rules it must follow. */
export interface DerivedName {
  what: string;
  name: string;
  org?: string;
  /** kubernetes: a DNS-1123 label of at most 63 characters; postgresql: an unquoted identifier of at most 63 bytes. */
  system: "kubernetes" | "postgresql";
}

/** The longest names a tenant produces, checked for length, form and collisions by validation. */
export function derivedNames(slug: string, orgIds: readonly string[]): DerivedName[] {
  return [
    { what: "root namespace", name: rootNamespaceName(slug), system: "kubernetes" },
    { what: "edge namespace", name: edgeNamespaceName(slug), system: "kubernetes" },
    ...orgIds.map((org) => ({ what: `namespace of organization "${org}"`, name: orgNamespaceName(slug, org), org, system: "kubernetes" as const })),
    { what: "PostgreSQL role, schema and database", name: postgresTenantIdentifier(slug), system: "postgresql" },
  ];
}

/** Names of the isolation objects in every tenant namespace. */
export const NAMESPACE_OBJECTS = {
  quota: "tenant-quota",
  /** The scoped quota that admits no pod of a priority class outside the plan's (edge clusters only: see plan/tenant.ts). */
  priorityQuota: "tenant-unlisted-priority-classes",
  limitRange: "tenant-limits",
  /**
   * The RoleBinding of an access level, named after the platform's ClusterRole it binds
   * (TENANT_CLUSTER_ROLES): the ClusterRole is declared once per stack, and grants only where a
   * tenant namespace's RoleBinding binds it.
   */
  access: (level: "admin" | "viewer") => TENANT_CLUSTER_ROLES[level],
  /** Role and RoleBinding that let the platform's suspender stop a suspended tenant's pods. */
  suspender: "tenancy-suspender",
} as const;

/** The ClusterRoles of the tenants' access levels, declared once by the platform, bound only by RoleBindings in tenant namespaces. */
export const TENANT_CLUSTER_ROLES = { admin: "tenancy-tenant-admin", viewer: "tenancy-tenant-viewer" } as const;

/** NetworkPolicy names. */
export const POLICY_NAMES = {
  /**
   * The policy that selects every pod of a tenant namespace for ingress and egress (so nothing is
   * allowed that no rule allows), with what every pod there may do: in a root or organization
   * namespace the namespace itself, the tenant's namespaces it shares with, and DNS; in the edge, DNS.
   * One policy, not a default deny plus allows: the rules of policies that select the same pods add
   * up (Kubernetes' documented semantics), so one policy with every rule is the same isolation.
   */
  isolation: "tenant-isolation",
  /** The edge's leaf node: from its collectors, to the hub's leaf port. */
  leaf: "nats-leaf",
  /** One edge collector: its ingest ports from outside the pod network, and out to the leaf only. */
  collector: (workload: string) => `collector-${workload}`,
  /** The platform namespace's default deny (no rules: its allows are the policies below). */
  defaultDeny: "default-deny",
  hubIngress: "nats-hub-ingress",
  /** The platform namespace: its pods with each other; and out to DNS and the API server. */
  allowPlatform: "allow-platform",
  allowPlatformOut: "allow-dns-and-api-server",
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

/**
 * An edge component's one Secret (`kubernetes.io/tls`, which admits keys besides tls.crt and
 * tls.key): its certificate chain, key, the tenant CA, the hub CA for the leaf, and its NATS creds
 * (the leaf's also its streams user's), each mounted by key. It keeps the name (and logical name)
 * it had when it held the certificate alone, so stacks from before update it in place.
 */
export const componentSecretName = (component: string, partition: string) => `${component}-${partition}-tls`;
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
/** The hub's resolver and limits, for a hub not run by the chart. */
export const HUB_SERVER_KEY = "hub.conf";
/** The key of the hub CA's certificate in the hub's TLS Secret (its routes verify each other with it). */
export const HUB_TLS_HUB_CA_KEY = "hub-ca.crt";
/** The headless Service of the hub's StatefulSet (the chart names it after the Service). */
export const hubHeadlessServiceName = (hubService: string) => `${hubService}-headless`;
/** The hub's i-th server pod (the chart's StatefulSet is named after the Service). */
export const hubPodName = (hubService: string, index: number) => `${hubService}-${index}`;
/** The Helm release of the optional hub chart. */
export const HUB_RELEASE_NAME = "nats";

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/**
 * The tenant's role, its schema, and (at level `database`) its database: one identifier, seed
 * 003's `tenant_<slug>` with `-` as `_`. Slugs are DNS labels, so the mapping is one to one and two
 * tenants never share it. The role's name equals its schema's, so `"$user"` would find it too.
 */
/** What every tenant's PostgreSQL identifier starts with: no platform role or database may. */
export const POSTGRES_TENANT_PREFIX = "tenant_";
export const postgresTenantIdentifier = (slug: string) => `${POSTGRES_TENANT_PREFIX}${slug.replace(/-/g, "_")}`;
/** NAMEDATALEN - 1: PostgreSQL truncates longer identifiers (with only a NOTICE). */
export const POSTGRES_IDENTIFIER_BYTES = 63;
/** An identifier that needs no quoting (lower case, so `psql` and `pg_dump --schema` patterns match it as typed). */
export const POSTGRES_UNQUOTED_IDENTIFIER = /^[a-z_][a-z0-9_$]*$/;
/** The provider's name for the PUBLIC pseudo-role (every role, present and future). */
export const POSTGRES_PUBLIC_ROLE = "public";
/** The schema every database starts with. */
export const POSTGRES_PUBLIC_SCHEMA = "public";
/** Where the platform's per-tenant workers find the tenant's database credentials (platform namespace). */
export const postgresCredsSecretName = (slug: string) => `postgres-${slug}-creds`;
/** Keys of the credentials Secret: libpq's environment variables, which every PostgreSQL client reads. */
export const POSTGRES_CREDS_KEYS = { host: "PGHOST", port: "PGPORT", database: "PGDATABASE", user: "PGUSER", password: "PGPASSWORD", sslmode: "PGSSLMODE" } as const;

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
/** What keeps the in-cluster leaf's local streams: its creds' key in the leaf's Secret (its definitions are keys of the leaf's ConfigMap). */
export const STREAMS_CREDS_KEY = "streams.creds";
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
  // What keeps the site leaf's local streams (the name the in-cluster ConfigMap of its definitions had).
  streamsContainer: `nats-leaf-streams-${slug}-${site}`,
  collectorContainer: `${workload}-${slug}`,
});

// ---------------------------------------------------------------------------------------------
// Admission (cluster-wide ValidatingAdmissionPolicies for tenant namespaces)

/** Every ValidatingAdmissionPolicy (and binding) of the program starts with it. */
export const ADMISSION_PREFIX = "tenancy-";
/** The policies, by what they guard. */
export const ADMISSION_POLICIES = {
  serviceExposure: `${ADMISSION_PREFIX}service-exposure`,
  podScheduling: `${ADMISSION_PREFIX}pod-scheduling`,
  volumeClaims: `${ADMISSION_PREFIX}volume-claims`,
  images: `${ADMISSION_PREFIX}images`,
  serviceAccountTokens: `${ADMISSION_PREFIX}service-account-tokens`,
  disruptionBudgets: `${ADMISSION_PREFIX}disruption-budgets`,
  managedObjects: `${ADMISSION_PREFIX}managed-objects`,
} as const;
/** A policy's binding: one for the whole stack, or one per plan for the policies that read the plan's allowances. */
export const admissionBindingName = (policy: string, plan?: string) => (plan === undefined ? policy : `${policy}-${plan}`);
/** The ConfigMap (platform namespace) holding a plan's admission allowances: the policies' params. */
export const admissionParamsName = (plan: string) => `${ADMISSION_PREFIX}admission-${plan}`;

/** Children of the AdmissionPolicies component named `admission`. */
export const admissionResourceNames = (component: string) => ({
  policy: (policy: string) => `${component}-${policy}`,
  binding: (binding: string) => `${component}-${binding}-binding`,
  params: (plan: string) => `${component}-params-${plan}`,
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

/** A certificate's key and certificate, named after the certificate's stem (its request is computed, not declared). */
export const issuedNames = (stem: string) => ({ key: `${stem}/key`, certificate: `${stem}/cert` });

/**
 * Children of a Tenant named `tenant`. A component certificate's stem uses "/" between its parts:
 * no slug or partition can contain it, so two tenants' names never collide (URNs carry the
 * parent's type, not its name).
 */
export const tenantResourceNames = (tenant: string) => ({
  caCertificate: (generation: string) => `${tenant}/tenant-ca${generation}`,
  componentSecret: (component: string, partition: string) => `${tenant}/${component}/${partition}/tls-secret`,
  caConfigMap: `${tenant}/tenant-ca-configmap`,
  componentCertificate: (component: string, partition: string, generation: string) => `${tenant}/${component}/${partition}${generation}`,
  accountKey: `${tenant}/nats-account-key`,
  userKeys: `${tenant}/nats-user-keys`,
  accountPush: `${tenant}/nats-account-push`,
  credsSecret: (secretName: string) => `${tenant}/${secretName}`,
  nackAccount: `${tenant}/nack-account`,
  suspensionJob: `${tenant}/suspension-job`,
  stream: (kind: string) => `${tenant}/stream-${kind}`,
  postgres: {
    password: `${tenant}/postgres-password`,
    role: `${tenant}/postgres-role`,
    credsSecret: `${tenant}/postgres-creds`,
    /**
     * What a level declares carries the level in its name: during a move between levels both are
     * declared side by side, and the old level's schema is never replaced by the new one's.
     */
    at: (level: string) => ({
      database: `${tenant}/postgres-${level}/database`,
      schema: `${tenant}/postgres-${level}/schema`,
      grant: (what: string) => `${tenant}/postgres-${level}/grant-${what}`,
      defaultPrivileges: (what: string) => `${tenant}/postgres-${level}/default-${what}`,
    }),
  },
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
  priorityQuota: `${namespace}-quota-priority-classes`,
  limitRange: `${namespace}-limits`,
  suspenderRole: `${namespace}-suspender-role`,
  suspenderBinding: `${namespace}-suspender-binding`,
  roleBinding: (level: string) => `${namespace}-${level}-binding`,
});

/** The platform's ServiceAccount that stops suspended tenants' pods (platform namespace). */
export const SUSPENDER_SERVICE_ACCOUNT = "tenancy-suspender";
/** The Job (platform namespace) that stops a suspended tenant's running pods. */
export const suspensionJobName = (slug: string) => `suspend-${slug}`;

/** Children of the Platform component named `platform`. */
export const platformResourceNames = (platform: string) => ({
  namespace: `${platform}-namespace`,
  hubIngressPolicy: `${platform}-${POLICY_NAMES.hubIngress}`,
  networkPolicy: (policy: string) => `${platform}-${policy}`,
  suspender: `${platform}-${SUSPENDER_SERVICE_ACCOUNT}`,
  tenantClusterRole: (level: "admin" | "viewer") => `${platform}-${TENANT_CLUSTER_ROLES[level]}`,
  rootCaKey: (generation: string) => `${platform}-root-ca-key${generation}`,
  rootCa: (generation: string) => `${platform}-root-ca${generation}`,
  rootCaConfigMap: `${platform}-${ROOT_CA_CONFIGMAP}`,
  hubCaKey: (generation: string) => `${platform}-hub-ca-key${generation}`,
  hubCa: (generation: string) => `${platform}-hub-ca${generation}`,
  hubCaSecret: `${platform}-${HUB_CA_SECRET}`,
  hubCertificate: (generation: string) => `${platform}-nats-hub${generation}`,
  hubTlsSecret: `${platform}-${HUB_TLS_SECRET}`,
  operatorKey: `${platform}-nats-operator-key`,
  operatorSigningKey: `${platform}-nats-operator-signing-key`,
  claimsPusherKey: `${platform}-nats-claims-pusher-key`,
  systemAccountKey: `${platform}-nats-system-account-key`,
  platformAccountKey: `${platform}-nats-platform-account-key`,
  postgresGrant: (what: string) => `${platform}-postgres-grant-${what}`,
});

/** The platform stack's endorsement of cell `cell`: its intermediate CA certificate. */
export const cellEndorsementNames = (platform: string, cell: string) => ({ caCertificate: `${platform}-cell-${cell}-ca` });

/** Children of the CellIdentity component named `identity` (a cell stack's own keys). */
export const cellIdentityNames = (identity: string) => ({
  caKey: `${identity}-ca-key`,
  caRequest: `${identity}-ca-request`,
  operatorSigningKey: `${identity}-nats-operator-signing-key`,
  claimsPusherKey: `${identity}-nats-claims-pusher-key`,
});

export const cellCaCommonName = (cell: string) => `${TRUST_DOMAIN} cell ${cell} CA`;

/** Children of the hub configuration component named `hub`. */
export const hubResourceNames = (hub: string) => ({ accountsConfigMap: `${hub}-accounts`, chart: `${hub}-chart` });

/** Top-level resources of the stack. */
export const STACK_RESOURCE_NAMES = {
  provider: "kubernetes",
  platform: "platform",
  hub: "nats-hub",
  admission: "admission",
  previousUpdate: "previous-update",
  /** A cell stack's own keys, and its reference to the platform stack. */
  cellIdentity: "cell",
  platformStack: "platform-stack",
  /** Another cell's stack (moves between cells are checked against it). */
  cellStack: (cell: string) => `cell-${cell}-stack`,
  edgeProvider: (cluster: string) => `${EDGE_PROVIDER_PREFIX}${cluster}`,
  postgresProvider: "postgresql",
} as const;
