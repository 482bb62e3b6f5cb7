/**
 * Where a tenant's collectors run, as data: the in-cluster edge and each site (a collector
 * partition run from its onboarding bundles). Every location has its own leaf node with its own
 * identity — certificate, leaf user in the tenant account, an account of its own that only that
 * leaf knows (its collectors authenticate there) — and local JetStream in a domain of its own:
 * collectors get their acks from their leaf, and the tenant's hub streams source from every
 * location, so what a site keeps while it cannot reach the hub arrives once the link is back.
 *
 * The subjects and the streams a collector checks at start are computed here from the collector's
 * own rules (what it publishes, what it looks up), once, for its config, its permissions and its
 * location's local streams alike.
 */
import type { TenantModel, CollectorModel } from "../../model/model";
import { IN_CLUSTER_LOCATION, edgeAccountName, edgeDeliverPrefix, edgeDomain, leafUserId, streamName } from "../../model/names";
import type { CollectorType } from "../../model/schema";
import { bytes, parseDurationNs } from "../../lib/quantity";

/** The hub stream (and local stream) each collector type publishes into. */
export const COLLECTOR_STREAM_KIND = { flowgger: "events", trapd: "snmp-traps", netflow: "netflow", otel: "otel" } as const satisfies Record<CollectorType, string>;
export type StreamKind = (typeof COLLECTOR_STREAM_KIND)[CollectorType];
const STREAM_KINDS: readonly StreamKind[] = [...new Set(Object.values(COLLECTOR_STREAM_KIND))];

/**
 * The subjects a collector publishes, from the subject its config names (`<slug>.<configured>`):
 * otel appends `.traces.raw`, `.metrics.raw`, `.metrics.derived` and publishes its logs on
 * `<subject>.logs` (rust/otel/src/nats_output.rs); the others publish the subject verbatim.
 */
export function publishedSubjects(type: CollectorType, subject: string): string[] {
  return type === "otel" ? [`${subject}.traces.raw`, `${subject}.metrics.raw`, `${subject}.metrics.derived`, `${subject}.logs`] : [subject];
}

/**
 * The subjects a collector needs its stream to list: flowgger, trapd and flow-collector compare
 * their subject literally with the stream's; otel asks for `<subject>.traces.>`,
 * `<subject>.metrics.>` and its logs subject (wildcard-aware, rust/otel/src/nats_output.rs
 * `ensure_stream`). Listing exactly these means none of them ever tries to update the stream.
 */
export function streamSubjectsFor(type: CollectorType, subject: string): string[] {
  return type === "otel" ? [`${subject}.traces.>`, `${subject}.metrics.>`, `${subject}.logs`] : [subject];
}

/** A collector's subject with the tenant's prefix: the literal text in its config. */
export const collectorSubject = (slug: string, type: CollectorType, subjects: Record<CollectorType, string>) => `${slug}.${subjects[type]}`;

/** A leaf node's local stream: what its collectors publish into, sourced by the hub's stream of the same name. */
export interface LocalStreamPlan {
  /** The same name as the tenant's hub stream of this kind: collectors look it up by it. */
  name: string;
  kind: StreamKind;
  /** Every subject its collectors need listed, literally, sorted. */
  subjects: string[];
  /**
   * The location's buffer split evenly over the four stream kinds, whichever it runs: the same
   * at every location, so a collector's config (otel states it) is the same in the cluster and in
   * its bundle.
   */
  maxBytes: number;
  /** The tenant's retention: a site's backlog is kept as long as the hub would keep it. */
  maxAgeSeconds: number;
  /** One leaf server: one replica, what every collector config says. */
  replicas: 1;
}

export interface EdgeLocation {
  /** `edge` for the in-cluster edge, else the site (partition). */
  name: string;
  kind: "cluster" | "site";
  revoked: boolean;
  /** Credentials and certificate generation (a site's `generation`; 0 in the cluster). */
  generation: number;
  /** The collectors that run there: every collector in the cluster, the partition's at a site. */
  collectors: CollectorModel[];
  domain: string;
  deliverPrefix: string;
  accountName: string;
  leafUserId: string;
  /** Its JetStream storage (the plan's `retention.edgeBuffer`). */
  bufferBytes: number;
  streams: LocalStreamPlan[];
}

/** Local streams of a set of collectors: one per stream kind they publish into. */
function localStreams(tenant: TenantModel, collectors: readonly CollectorModel[], subjects: Record<CollectorType, string>): LocalStreamPlan[] {
  const buffer = bytes(tenant.limits.retention.edgeBuffer);
  const maxAgeSeconds = Math.floor((parseDurationNs(tenant.limits.retention.maxAge) ?? 0) / 1e9);
  const byKind = new Map<StreamKind, Set<string>>();
  for (const c of collectors) {
    const kind = COLLECTOR_STREAM_KIND[c.type];
    const set = byKind.get(kind) ?? new Set<string>();
    for (const s of streamSubjectsFor(c.type, collectorSubject(tenant.slug, c.type, subjects))) set.add(s);
    byKind.set(kind, set);
  }
  const kinds = [...byKind.keys()].sort();
  return kinds.map((kind) => ({
    name: streamName(tenant.slug, kind),
    kind,
    subjects: [...byKind.get(kind)!].sort(),
    maxBytes: Math.floor(buffer / STREAM_KINDS.length),
    maxAgeSeconds,
    replicas: 1,
  }));
}

/**
 * The tenant's edge locations: the in-cluster edge first, then its sites by name. Empty when the
 * tenant runs no edge (no collectors, or decommissioned).
 */
export function edgeLocations(tenant: TenantModel, subjects: Record<CollectorType, string>): EdgeLocation[] {
  if (tenant.status === "decommissioned" || tenant.collectors.length === 0) return [];
  const location = (name: string, kind: EdgeLocation["kind"], collectors: CollectorModel[], revoked: boolean, generation: number): EdgeLocation => ({
    name,
    kind,
    revoked,
    generation,
    collectors,
    domain: edgeDomain(tenant.slug, name),
    deliverPrefix: edgeDeliverPrefix(name),
    accountName: edgeAccountName(tenant.slug, name),
    leafUserId: leafUserId(name),
    bufferBytes: bytes(tenant.limits.retention.edgeBuffer),
    streams: localStreams(tenant, collectors, subjects),
  });
  return [
    location(IN_CLUSTER_LOCATION, "cluster", tenant.collectors, false, 0),
    ...tenant.edge.sites.map((s) =>
      location(
        s.name,
        "site",
        tenant.collectors.filter((c) => c.partition === s.name),
        s.revoked,
        s.generation,
      ),
    ),
  ];
}
