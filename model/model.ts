/**
 * The validated, resolved view of a tenant (what `loadTenants` returns): its file's content with
 * the plan applied and every default filled in. Planning (plan/) starts from here.
 */
import type { CellsModel } from "./cells";
import type { HubRules, Limits } from "./limits";
import type { ClusterOffer, QuotaTotal } from "./quota-share";
import type { CollectorType, DatabaseIsolation, SyslogFormat, TenantStatus } from "./schema";

export interface OrganizationModel {
  id: string;
  displayName: string;
  /** Organizations this one may talk to, in both directions (the file's `sharesWith`, made symmetric). */
  sharesWith: string[];
  admins: string[];
  viewers: string[];
}

/** How collector Services are exposed (stack config `tenancy:edgeServiceType`). */
export type EdgeServiceType = "ClusterIP" | "LoadBalancer";
export const EDGE_SERVICE_TYPES: readonly EdgeServiceType[] = ["ClusterIP", "LoadBalancer"];

/** A collector with every default filled in. */
export interface CollectorModel {
  type: CollectorType;
  partition: string;
  replicas: number;
  /** flowgger only: its input format. */
  syslogFormat?: SyslogFormat;
  /** otel only: OTLP clients must present a certificate of the tenant CA. */
  otlpClientCertificates?: boolean;
}

/** A site: one collector partition, run at the customer's from its onboarding bundles. */
export interface SiteModel {
  /** The partition's name. */
  name: string;
  revoked: boolean;
  /** Credentials and certificate generation; every earlier one is revoked. */
  generation: number;
}

export interface TenantModel {
  /** Path of the tenant file, as given to the loader (used in messages). */
  file: string;
  slug: string;
  displayName: string;
  plan: string;
  status: TenantStatus;
  admins: string[];
  viewers: string[];
  organizations: OrganizationModel[];
  collectors: CollectorModel[];
  /** The plan's limits with the tenant's overrides applied. */
  limits: Limits;
  /** The tenant's whole ResourceQuota total: `limits.kubernetes.quota` plus every StorageClass, extended resource and huge page size. */
  quota: QuotaTotal;
  /** Rotation counters from the tenant file (0 when absent). */
  certificates: { rotation: number; caRotation: number };
  /** NATS credentials generation from the tenant file (0 when absent). */
  credentialsRotation: number;
  /** Where the leaf node and collectors run: the platform cluster unless `cluster` names an edge cluster. */
  edge: {
    cluster?: string;
    serviceType: EdgeServiceType;
    /** One per partition, sorted by name. */
    sites: SiteModel[];
    /** The stack names an image pull Secret that the edge namespace holds (it counts in the quota). */
    pullSecret: boolean;
  };
  /** The cell whose stack declares the tenant (cells configured only). */
  cell?: string;
  /** The cell its state was moved from, as the file acknowledges. */
  movedFrom?: string;
  /** The level the tenant is moving away from, kept with its data until the file drops it (`database.moveFrom`). */
  databaseMoveFrom?: Exclude<DatabaseIsolation, "attribute">;
}

/** What tenant files' database levels depend on in the stack (its PostgreSQL settings). */
export interface DatabaseOptions {
  /** The stack names a PostgreSQL server (`tenancy:postgresHost`): schema and database levels need one. */
  configured: boolean;
  /** The largest connection limit a tenant's role may have: the server's max_connections less the platform's reserve. */
  maxTenantConnections: number;
  /** Names the platform already holds on the server (admin, migration role, platform database): no tenant's may equal one. */
  reservedNames: { what: string; name: string }[];
}

/** What tenant files may refer to in the stack's edge settings (edge clusters, the hub's public address). */
export interface EdgeOptions {
  /** Edge clusters with a kubeconfig in secret stack config. */
  clusters: string[];
  /** The hub's leaf port as seen from outside the platform cluster, if it has one. */
  publicHubLeafUrl?: string;
  serviceType: EdgeServiceType;
  /** The image pull Secret every edge namespace holds, if the stack names one. */
  imagePullSecret?: string;
  /** The pod network of each edge cluster, by name. */
  edgeClusterPodCidrs?: Record<string, string[]>;
}

/** What the stack's settings decide about tenant files (validation takes them from stack config). */
export interface StackRules {
  /** Edge clusters and the hub's public address, which `edge.cluster` refers to. */
  edge?: EdgeOptions;
  /** What the shared hub allows (default: three servers, nothing unlimited). */
  hub?: HubRules;
  /** The fleet's cells (cells/cells.yaml), when it has them. */
  cells?: CellsModel;
  /** Read for this cell's stack: every file must be this cell's. */
  cell?: string;
  /** The stack's PostgreSQL (tenants' database levels need it); unset, the files are checked on their own. */
  database?: DatabaseOptions;
  /** Whose groups a file may grant and what the cluster offers (default: `<slug>:` groups, nothing offered). */
  tenantRules?: TenantRules;
}

/** What the stack decides about every tenant file: whose groups it may grant, what the cluster offers. */
export interface TenantRules {
  /** Prefix every group of a tenant starts with; `{slug}` stands for its slug (`tenancy:tenantGroupPrefix`). */
  groupPrefix: string;
  /** StorageClasses, extended resources and huge page sizes of the cluster: each gets a quota key, 0 unless the plan buys it. */
  offer: ClusterOffer;
}
