/**
 * The single source of truth for the shape of plans and tenant files: TypeBox schemas give both the
 * JSON Schema (written to schema/*.json for editors, and used by the validator) and the TypeScript
 * types, so the two cannot drift.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { DURATION_PATTERN, QUANTITY_PATTERN } from "../lib/quantity";

/** Longest slug: `tenant-<slug>-org-<org>` and every other derived name must stay within 63 characters. */
export const MAX_SLUG_LENGTH = 40;
export const MAX_ORG_ID_LENGTH = 30;
export const MAX_PARTITION_LENGTH = 30;
/** A cell's name is a DNS label of its own (it names the cell's CA and its stack's outputs). */
export const MAX_CELL_LENGTH = 30;

const DNS_LABEL = "^[a-z]([-a-z0-9]*[a-z0-9])?$";

const Quantity = (description: string) => Type.String({ pattern: QUANTITY_PATTERN, description });
const Duration = (description: string) =>
  Type.String({ pattern: DURATION_PATTERN, description: `${description} (Go duration: "72h", "90m"; no "d")` });
/** NATS semantics: -1 is unlimited, 0 is zero. */
const NatsCount = (description: string) =>
  Type.Integer({ minimum: -1, maximum: 1_000_000_000, description: `${description}; -1 = unlimited, 0 = none` });
/** Object counts in a ResourceQuota; far above any real cluster, below float precision loss. */
const Count = (description: string) => Type.Integer({ minimum: 0, maximum: 1_000_000, description });
const NatsBytes = (description: string) =>
  Type.Union([Type.Integer({ minimum: -1, maximum: Number.MAX_SAFE_INTEGER }), Quantity("")], {
    description: `${description}: bytes or a quantity such as "1Gi"; -1 = unlimited, 0 = none`,
  });

/** Seed 003's tiered isolation: what the tenant's data gets in PostgreSQL. */
export const DATABASE_ISOLATION_LEVELS = ["attribute", "schema", "database"] as const;
const DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/** `<domain>/<name>`, as Kubernetes requires of extended resources (never `kubernetes.io/…`). */
const EXTENDED_RESOURCE = "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$";
const HUGEPAGE_SIZE = "^[1-9][0-9]*(Ki|Mi|Gi)$";
const LABEL_KEY = "^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$";

/**
 * What the plan lets a tenant's objects ask of the cluster, checked at admission (plan/admission.ts):
 * everything not listed here is refused in the tenant's namespaces.
 */
export const AdmissionSchema = Type.Object(
  {
    priorityClasses: Type.Array(Type.String({ pattern: DNS_SUBDOMAIN }), {
      uniqueItems: true,
      description: "PriorityClasses a pod may name (a pod without one is always admitted); never system-node-critical or system-cluster-critical",
    }),
    tolerations: Type.Array(
      Type.Object(
        {
          key: Type.String({ pattern: LABEL_KEY }),
          operator: Type.Union([Type.Literal("Equal"), Type.Literal("Exists")]),
          value: Type.Optional(Type.String({ maxLength: 63 })),
          effect: Type.Union([Type.Literal("NoSchedule"), Type.Literal("PreferNoSchedule"), Type.Literal("NoExecute")]),
        },
        { additionalProperties: false },
      ),
      { description: "Tolerations a pod may carry (exactly these key/operator/value/effect); the not-ready/unreachable ones Kubernetes adds itself are always admitted" },
    ),
    nodeSelector: Type.Record(Type.String({ pattern: LABEL_KEY }), Type.Array(Type.String({ maxLength: 63 }), { uniqueItems: true }), {
      description: "Node labels a pod may select on, with the values it may ask for",
    }),
    loadBalancerAnnotations: Type.Array(Type.String({ pattern: LABEL_KEY }), {
      uniqueItems: true,
      description: "Service annotations of load-balancer and DNS controllers a tenant may set (every other one is refused)",
    }),
  },
  { additionalProperties: false, description: "What the tenant's objects may ask of the cluster; refused at admission otherwise" },
);
export type Admission = Static<typeof AdmissionSchema>;

const Group = Type.String({ pattern: "^[A-Za-z0-9][-A-Za-z0-9._:@/]*$", maxLength: 253 });

/**
 * Builds every limit group twice: complete (a plan must state every value) and partial (a tenant's
 * overrides state only what differs), from the same field list.
 */
function limitGroups(complete: boolean) {
  const obj = <P extends Record<string, TSchema>>(props: P, description: string) =>
    Type.Object(
      complete ? props : (Object.fromEntries(Object.entries(props).map(([k, v]) => [k, Type.Optional(v)])) as P),
      { additionalProperties: false, description },
    );
  const quota = obj(
    {
      "requests.cpu": Quantity("CPU requested by all pods together"),
      "requests.memory": Quantity("memory requested by all pods together"),
      "limits.cpu": Quantity("CPU limit of all pods together"),
      "limits.memory": Quantity("memory limit of all pods together"),
      "requests.storage": Quantity("storage requested by all persistent volume claims together"),
      persistentvolumeclaims: Count("persistent volume claims"),
      pods: Count("pods"),
      services: Count("services"),
      "services.loadbalancers": Count("LoadBalancer services"),
      "services.nodeports": Count("NodePort services"),
      configmaps: Count("config maps"),
      secrets: Count("secrets"),
      "requests.ephemeral-storage": Quantity("node-local scratch storage requested by all containers together"),
      "limits.ephemeral-storage": Quantity("node-local scratch storage limit of all containers together"),
      // Every other namespaced kind the tenant's Roles may write (plan/rbac.ts): each object lives in
      // etcd, which all tenants share, so none is unbounded.
      "count/serviceaccounts": Count("service accounts (each namespace's `default` one included)"),
      "count/deployments.apps": Count("Deployments"),
      "count/replicasets.apps": Count("ReplicaSets (a Deployment keeps up to revisionHistoryLimit + 2)"),
      "count/statefulsets.apps": Count("StatefulSets"),
      "count/daemonsets.apps": Count("DaemonSets"),
      "count/jobs.batch": Count("Jobs"),
      "count/cronjobs.batch": Count("CronJobs"),
      "count/horizontalpodautoscalers.autoscaling": Count("HorizontalPodAutoscalers"),
      "count/poddisruptionbudgets.policy": Count("PodDisruptionBudgets"),
    },
    "ResourceQuota for the whole tenant; it is split evenly over the tenant's namespaces",
  );
  const cpuMemory = (description: string) =>
    obj(
      {
        cpu: Quantity(`${description} CPU`),
        memory: Quantity(`${description} memory`),
        "ephemeral-storage": Quantity(`${description} node-local scratch storage`),
      },
      description,
    );
  const limitRange = obj(
    {
      defaultRequest: cpuMemory("per-container default request"),
      default: cpuMemory("per-container default limit"),
      max: cpuMemory("per-container maximum"),
    },
    "LimitRange applied to every container in every tenant namespace",
  );
  const jetstream = obj(
    {
      diskStorage: NatsBytes("JetStream file storage for the account, every replica counted (4 streams × maxBytes × replicas must fit)"),
      memoryStorage: NatsBytes("JetStream memory storage for the account, every replica counted"),
      streams: NatsCount("JetStream streams"),
      consumers: NatsCount("JetStream consumers"),
      replicas: Type.Integer({ minimum: 1, maximum: 5, description: "replicas of each of the tenant's streams (its JetStream tier: R1, R3); at most the hub's servers" }),
    },
    "JetStream limits of the tenant's NATS account",
  );
  const userLimits = (who: string) =>
    obj(
      {
        subscriptions: NatsCount(`subscriptions of one ${who} connection`),
        data: NatsBytes(`bytes in flight of one ${who} connection`),
        payload: NatsBytes(`largest message one ${who} may publish`),
      },
      `Limits of each ${who} user (at most the account's)`,
    );
  const nats = obj(
    {
      connections: NatsCount("client connections to the tenant's account"),
      leafNodeConnections: NatsCount("leaf node connections"),
      subscriptions: NatsCount("subscriptions of one connection (nats-server applies the account's limit per connection)"),
      data: NatsBytes("bytes in flight for the account"),
      payload: NatsBytes("largest message payload"),
      userLimits: obj({ collector: userLimits("collector"), leaf: userLimits("leaf node") }, "Per-user limits of the edge's users"),
      jetstream,
    },
    "NATS account limits",
  );
  const retention = obj(
    {
      maxAge: Duration("how long a message is kept in each tenant stream"),
      maxBytes: Quantity("size cap of each tenant stream"),
      edgeBuffer: Quantity(
        "JetStream storage of each edge leaf node (the in-cluster edge and every site), shared by its local streams: what a site keeps while it cannot reach the hub",
      ),
    },
    "Retention of each of the tenant's JetStream streams",
  );
  const kubernetes = obj({ quota, limitRange }, "Kubernetes quota and limit ranges");
  const database = obj(
    {
      isolation: Type.Union(
        DATABASE_ISOLATION_LEVELS.map((l) => Type.Literal(l)),
        {
          description:
            "attribute: shared tables, rows filtered by the application (nothing provisioned); schema: a schema tenant_<slug> and a role of its own in the platform's database; database: a database of its own in the platform's PostgreSQL",
        },
      ),
      connectionLimit: Type.Integer({ minimum: 1, maximum: 10_000, description: "concurrent connections of the tenant's role (CONNECTION LIMIT)" }),
      statementTimeout: Duration("statement_timeout the tenant's sessions start with"),
      idleInTransactionTimeout: Duration("idle_in_transaction_session_timeout the tenant's sessions start with (an open transaction holds back vacuum for everyone)"),
    },
    "The tenant's PostgreSQL isolation (seed 003 option E) and the bounds of its role",
  );
  return { kubernetes, nats, retention, database };
}

const planLimits = limitGroups(true);
const overrideLimits = limitGroups(false);

/**
 * What a plan buys of the cluster besides the quota: stated by the plan only (a tenant's overrides
 * cannot widen them), each a quota key or an admission allowance.
 */
const PlanKubernetesSchema = Type.Object(
  {
    quota: planLimits.kubernetes.properties.quota,
    limitRange: planLimits.kubernetes.properties.limitRange,
    storageClasses: Type.Record(
      Type.String({ pattern: DNS_SUBDOMAIN }),
      Type.Object(
        { "requests.storage": Quantity("storage of this class, all claims together"), persistentvolumeclaims: Count("claims of this class") },
        { additionalProperties: false },
      ),
      { description: "StorageClasses the tenant may use, each with its own bound; every other class of the stack (tenancy:clusterStorageClasses) gets 0" },
    ),
    extendedResources: Type.Record(Type.String({ pattern: EXTENDED_RESOURCE }), Count("devices"), {
      description: "Extended resources bought (e.g. nvidia.com/gpu: 2); every other one of the stack (tenancy:clusterExtendedResources) gets 0",
    }),
    hugepages: Type.Record(Type.String({ pattern: HUGEPAGE_SIZE }), Quantity("huge pages of this size"), {
      description: "Huge pages bought, by page size (e.g. 2Mi: 1Gi); every other size of the stack (tenancy:clusterHugepageSizes) gets 0",
    }),
    admission: AdmissionSchema,
  },
  { additionalProperties: false, description: "Kubernetes quota, limit ranges and what the tenant's objects may ask of the cluster" },
);

export const PlanSchema = Type.Object(
  {
    description: Type.String({ minLength: 1, description: "What the plan is for" }),
    kubernetes: PlanKubernetesSchema,
    nats: planLimits.nats,
    retention: planLimits.retention,
    database: planLimits.database,
    ceilings: Type.Object(
      {
        kubernetes: Type.Optional(overrideLimits.kubernetes),
        nats: Type.Optional(overrideLimits.nats),
        retention: Type.Optional(overrideLimits.retention),
        database: Type.Optional(overrideLimits.database),
      },
      {
        additionalProperties: false,
        description:
          "The most a tenant's overrides may raise each value to (NATS: -1, unlimited, is the most); a value without a ceiling here can only be lowered",
      },
    ),
  },
  { additionalProperties: false },
);
export type Plan = Static<typeof PlanSchema>;
export type Ceilings = Plan["ceilings"];

export const PlansFileSchema = Type.Object(
  {
    plans: Type.Record(Type.String({ pattern: DNS_LABEL }), PlanSchema, {
      description: "Plans by name; tenant files refer to them by name",
    }),
  },
  { additionalProperties: false, $id: "https://tenancy.serviceradar.dev/plans.schema.json", title: "Tenant plans" },
);
export type PlansFile = Static<typeof PlansFileSchema>;

export const OverridesSchema = Type.Object(
  {
    kubernetes: Type.Optional(overrideLimits.kubernetes),
    nats: Type.Optional(overrideLimits.nats),
    retention: Type.Optional(overrideLimits.retention),
    database: Type.Optional(overrideLimits.database),
  },
  { additionalProperties: false, description: "Values that replace the plan's for this tenant only" },
);
export type Overrides = Static<typeof OverridesSchema>;

const AccessSchema = Type.Object(
  {
    admins: Type.Array(Group, { uniqueItems: true, description: "Groups that manage workloads" }),
    viewers: Type.Optional(Type.Array(Group, { uniqueItems: true, description: "Groups with read-only access" })),
  },
  { additionalProperties: false },
);

export const COLLECTOR_TYPES = ["flowgger", "trapd", "netflow", "otel"] as const;
/** flowgger's syslog decoders (rust/flowgger/src/flowgger/mod.rs `start`). */
export const SYSLOG_FORMATS = ["rfc3164", "rfc5424"] as const;
export const TENANT_STATUSES = ["active", "suspended", "decommissioned"] as const;

export const OrganizationSchema = Type.Object(
  {
    id: Type.String({ pattern: DNS_LABEL, maxLength: MAX_ORG_ID_LENGTH, description: "Organization id (DNS label)" }),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    sharesWith: Type.Optional(
      Type.Array(Type.String({ pattern: DNS_LABEL }), {
        uniqueItems: true,
        description: "Organizations of this tenant whose namespaces may talk to this one (both ways)",
      }),
    ),
    access: Type.Optional(
      Type.Object(
        {
          admins: Type.Optional(Type.Array(Group, { uniqueItems: true })),
          viewers: Type.Optional(Type.Array(Group, { uniqueItems: true })),
        },
        { additionalProperties: false, description: "Extra groups for this organization's namespace only" },
      ),
    ),
  },
  { additionalProperties: false },
);

export const CollectorSchema = Type.Object(
  {
    type: Type.Union(
      COLLECTOR_TYPES.map((t) => Type.Literal(t)),
      { description: "flowgger (syslog), trapd (SNMP traps), netflow, otel" },
    ),
    partition: Type.String({
      pattern: DNS_LABEL,
      maxLength: MAX_PARTITION_LENGTH,
      description: "Network partition the collector serves; part of its certificate CN",
    }),
    replicas: Type.Optional(Type.Integer({ minimum: 0, maximum: 50, default: 1 })),
    syslogFormat: Type.Optional(
      Type.Union(
        SYSLOG_FORMATS.map((f) => Type.Literal(f)),
        { default: "rfc3164", description: "flowgger only: the syslog format devices send (BSD rfc3164, what most network gear sends, or rfc5424)" },
      ),
    ),
    otlpClientCertificates: Type.Optional(
      Type.Boolean({ default: true, description: "otel only: require OTLP clients to present a certificate of the tenant CA (false: server TLS only)" }),
    ),
  },
  { additionalProperties: false },
);

export const CertificatesSchema = Type.Object(
  {
    rotation: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 1000000,
        default: 0,
        description: "Bump to re-issue this tenant's component certificates (new keys) on the next update",
      }),
    ),
    caRotation: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 1000000,
        default: 0,
        description: "Bump to replace this tenant's intermediate CA (new key) and re-issue every certificate under it",
      }),
    ),
  },
  { additionalProperties: false, description: "Explicit certificate rotation (certificates are not renewed by themselves)" },
);

export const CredentialsSchema = Type.Object(
  {
    rotation: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 1000000,
        default: 0,
        description:
          "Bump to re-key every NATS user of this tenant and revoke all earlier credentials (after removing a collector, or a leaked creds file)",
      }),
    ),
  },
  { additionalProperties: false, description: "NATS credentials rotation (a user JWT stays valid until revoked)" },
);

export const DatabaseMoveSchema = Type.Object(
  {
    moveFrom: Type.Optional(
      Type.Union(
        (["schema", "database"] as const).map((l) => Type.Literal(l)),
        {
          description:
            "Keep the tenant's previous isolation level (its schema or database, with its data) while it moves to the one its plan now gives: copy the data over, then remove this field (docs/database.md, \"Moving between levels\")",
        },
      ),
    ),
  },
  { additionalProperties: false, description: "The tenant's PostgreSQL data during a move between isolation levels" },
);

export const SiteSchema = Type.Object(
  {
    revoked: Type.Optional(
      Type.Boolean({
        default: false,
        description: "Revoke this site: the hub refuses its leaf node, its bundles are withdrawn; the tenant's other sites stay connected",
      }),
    ),
    generation: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 1000000,
        default: 0,
        description: "Bump to re-onboard a site with new credentials and certificates (after a revocation): every earlier generation stays revoked",
      }),
    ),
  },
  { additionalProperties: false },
);

export const EdgeSchema = Type.Object(
  {
    cluster: Type.Optional(
      Type.String({
        pattern: DNS_LABEL,
        maxLength: 40,
        description:
          "Run the leaf node and collectors in this cluster (e.g. in the customer's network) instead of the platform cluster. Its kubeconfig is the secret stack config tenancy:edgeKubeconfig-<cluster>, never this file",
      }),
    ),
    sites: Type.Optional(
      Type.Record(Type.String({ pattern: DNS_LABEL, maxLength: MAX_PARTITION_LENGTH }), SiteSchema, {
        description: "Per site (a collector partition run from its onboarding bundles): revocation and re-onboarding",
      }),
    ),
  },
  { additionalProperties: false, description: "Where the tenant's edge (leaf NATS node and collectors) runs, and its sites" },
);

/** The tenant file schema; `planNames` (when known) becomes an enum so editors can complete it. */
export function buildTenantSchema(planNames?: readonly string[]) {
  return Type.Object(
    {
      slug: Type.String({
        pattern: DNS_LABEL,
        maxLength: MAX_SLUG_LENGTH,
        description: "Tenant id: a DNS label equal to the file name (tenants/<slug>.yaml)",
      }),
      displayName: Type.String({ minLength: 1, maxLength: 100 }),
      plan: planNames
        ? Type.Union(
            planNames.map((p) => Type.Literal(p)),
            { description: "Plan name from plans/plans.yaml" },
          )
        : Type.String({ description: "Plan name from plans/plans.yaml" }),
      status: Type.Union(
        TENANT_STATUSES.map((s) => Type.Literal(s)),
        { description: "active; suspended (everything kept, no new pods admitted); decommissioned (the step before removal)" },
      ),
      access: AccessSchema,
      organizations: Type.Optional(Type.Array(OrganizationSchema, { description: "One namespace per organization" })),
      overrides: Type.Optional(OverridesSchema),
      collectors: Type.Optional(Type.Array(CollectorSchema, { description: "Edge collectors the tenant runs" })),
      certificates: Type.Optional(CertificatesSchema),
      credentials: Type.Optional(CredentialsSchema),
      edge: Type.Optional(EdgeSchema),
      cell: Type.Optional(
        Type.String({ pattern: DNS_LABEL, maxLength: MAX_CELL_LENGTH, description: "The cell (stack) that holds this tenant, from cells/cells.yaml; its defaultCell when absent" }),
      ),
      movedFrom: Type.Optional(
        Type.String({ pattern: DNS_LABEL, maxLength: MAX_CELL_LENGTH, description: "The cell this tenant's state was moved from (docs/cells.md, \"Moving a tenant between cells\")" }),
      ),
      database: Type.Optional(DatabaseMoveSchema),
    },
    {
      additionalProperties: false,
      $id: "https://tenancy.serviceradar.dev/tenant.schema.json",
      title: "Tenant",
    },
  );
}

export const TenantFileSchema = buildTenantSchema();
export type TenantFile = Static<typeof TenantFileSchema>;
export type Organization = Static<typeof OrganizationSchema>;
export type Collector = Static<typeof CollectorSchema>;
export type SyslogFormat = (typeof SYSLOG_FORMATS)[number];
export type CollectorType = (typeof COLLECTOR_TYPES)[number];
export type TenantStatus = (typeof TENANT_STATUSES)[number];

/** A stack's name: it becomes a CI job's matrix value and a command-line argument, so plain characters only. */
const STACK_NAME = "^[A-Za-z0-9][A-Za-z0-9_.-]*$";

/** cells/cells.yaml: which stacks hold the fleet (docs/cells.md). */
export const CellsFileSchema = Type.Object(
  {
    platform: Type.Object(
      { stack: Type.String({ pattern: STACK_NAME, maxLength: 100, description: "The platform stack's name (its StackReference is tenancy:stackReferencePrefix followed by it)" }) },
      { additionalProperties: false },
    ),
    defaultCell: Type.String({ pattern: DNS_LABEL, maxLength: MAX_CELL_LENGTH, description: "The cell of a tenant file that names none" }),
    cells: Type.Array(
      Type.Object(
        {
          name: Type.String({ pattern: DNS_LABEL, maxLength: MAX_CELL_LENGTH, description: "The cell's name, which tenant files give as `cell:`" }),
          stack: Type.String({ pattern: STACK_NAME, maxLength: 100, description: "The cell's stack's name (its StackReference is tenancy:stackReferencePrefix followed by it)" }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, description: "Every cell; a tenant file names one of them" },
    ),
  },
  { additionalProperties: false, $id: "https://tenancy.serviceradar.dev/cells.schema.json", title: "Cells" },
);
export type CellsFile = Static<typeof CellsFileSchema>;
export type DatabaseIsolation = (typeof DATABASE_ISOLATION_LEVELS)[number];
