/**
 * A tenant's JetStream streams and the NACK objects that manage them, as data: one stream per
 * subject family of seed 000 §6, retention from the plan with the tenant's overrides, file
 * storage, managed through a NACK Account that holds the tenant's manager creds. Streams and the
 * Account live in the platform namespace: tenant admins cannot edit retention or delete a stream.
 */
import type { TenantModel } from "../model/model";
import { CREDS_KEY, HUB_CA_SECRET, MANAGER_USER_ID, componentLabels, nackAccountName, streamName, tenantResourceNames } from "../model/names";
import { bytes } from "../lib/quantity";
import type { NatsSettings } from "../config/settings";
import type { CollectorType } from "../model/schema";
import { edgeLocations } from "./edge/locations";

export const NACK_API_VERSION = "jetstream.nats.io/v1beta2";

export interface StreamPlan {
  /** JetStream stream name; also the NACK Stream's metadata.name in the platform namespace. */
  name: string;
  kind: "events" | "snmp-traps" | "netflow" | "otel";
  subjects: string[];
  /** Go duration, as NACK takes it. */
  maxAge: string;
  maxBytes: number;
  storage: "file";
  retention: "limits";
  discard: "old";
  /**
   * The edge locations' local streams of this kind it sources (every location not revoked that
   * runs a collector of this kind): what a site buffered arrives once its link is back, each
   * message once (sourcing tracks the site's sequence).
   */
  sources: { name: string; externalApiPrefix: string; externalDeliverPrefix: string }[];
}

const STREAM_SUBJECTS: [StreamPlan["kind"], (slug: string) => string][] = [
  ["events", (slug) => `${slug}.events.>`],
  ["snmp-traps", (slug) => `${slug}.snmp.traps`],
  ["netflow", (slug) => `${slug}.netflow.>`],
  ["otel", (slug) => `${slug}.otel.>`],
];

/** The tenant's four streams; with `subjects` (the collectors' subjects), their sources at the edge. */
export function tenantStreams(tenant: TenantModel, subjects?: Record<CollectorType, string>): StreamPlan[] {
  const locations = subjects ? edgeLocations(tenant, subjects).filter((l) => !l.revoked) : [];
  return STREAM_SUBJECTS.map(([kind, subject]) => ({
    name: streamName(tenant.slug, kind),
    kind,
    subjects: [subject(tenant.slug)],
    maxAge: tenant.limits.retention.maxAge,
    maxBytes: bytes(tenant.limits.retention.maxBytes),
    // NACK's CRD defaults to memory storage: data would vanish with the server.
    storage: "file",
    retention: "limits",
    // A full stream drops its oldest messages rather than refusing the tenant's newest.
    discard: "old",
    sources: locations.flatMap((l) =>
      l.streams.filter((s) => s.kind === kind).map((s) => ({ name: s.name, externalApiPrefix: `$JS.${l.domain}.API`, externalDeliverPrefix: l.deliverPrefix })),
    ),
  }));
}

export interface TenantStreamsPlan {
  /** Labels of the Account and the Streams. */
  labels: Record<string, string>;
  account: {
    logicalName: string;
    name: string;
    /** The Account's spec but for its creds Secret, which the components fill in from the manager's. */
    spec: { name: string; servers: string[]; tls: { secret: { name: string }; ca: string } };
    /** The user whose creds NACK manages the streams with, and the key of its creds Secret. */
    credsUserId: string;
    credsKey: string;
  };
  streams: {
    plan: StreamPlan;
    logicalName: string;
    /** The Stream's spec but for its `account`, the Account object's name. */
    spec: Record<string, unknown>;
    /** A stream holds the tenant's data: protected until the tenant is decommissioned. */
    protect: boolean;
  }[];
}

export function tenantStreamsPlan(name: string, tenant: TenantModel, nats: NatsSettings, subjects: Record<CollectorType, string>): TenantStreamsPlan {
  const names = tenantResourceNames(name);
  const account = nackAccountName(tenant.slug);
  return {
    labels: componentLabels(tenant.slug, "jetstream"),
    account: {
      logicalName: names.nackAccount,
      name: account,
      // The hub's certificate is signed by the hub CA.
      spec: { name: account, servers: [nats.hubUrl], tls: { secret: { name: HUB_CA_SECRET }, ca: "ca.crt" } },
      credsUserId: MANAGER_USER_ID,
      credsKey: CREDS_KEY,
    },
    streams: tenantStreams(tenant, subjects).map((plan) => ({
      plan,
      logicalName: names.stream(plan.kind),
      spec: {
        name: plan.name,
        subjects: plan.subjects,
        storage: plan.storage,
        retention: plan.retention,
        discard: plan.discard,
        maxAge: plan.maxAge,
        maxBytes: plan.maxBytes,
        replicas: tenant.limits.nats.jetstream.replicas,
        ...(plan.sources.length > 0 ? { sources: plan.sources } : {}),
        // Deleting the resource must never delete the tenant's messages (docs/lifecycle.md).
        preventDelete: true,
      },
      protect: tenant.status !== "decommissioned",
    })),
  };
}
