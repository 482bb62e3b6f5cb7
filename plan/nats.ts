/**
 * A tenant's NATS side as data: account limits, users and their permissions, JetStream streams.
 * Pure, so it is tested without Pulumi or a server; components/nats.ts and components/streams.ts
 * declare it, and the tests prove it on a real nats-server.
 *
 * Subjects follow seed 000 §1: everything a tenant publishes is `<tenant-slug>.<original subject>`.
 */
import type { TenantModel } from "../model/model";
import { parseQuantityMilli } from "../lib/quantity";
import { collectorServiceName } from "./pki";
import type { AccountLimits, ConnectionType } from "../lib/nats-jwt";

/** The tenant account's limits, in the JWT library's terms (-1 unlimited, 0 none). */
export type TenantAccountLimits = AccountLimits;

export const accountName = (slug: string) => `TENANT_${slug}`;
/** Name of the NACK Account (and its creds Secret stem) in the platform namespace. */
export const nackAccountName = (slug: string) => `tenant-${slug}`;

function bytes(value: number | string): number {
  if (typeof value === "number") return value;
  return Number(parseQuantityMilli(value)! / 1000n);
}

/**
 * The tenant account's limits. A suspended tenant keeps its account and JetStream storage (so its
 * streams and their messages stay); that it admits no connection is `revokeAllBefore`'s doing.
 */
export function tenantAccountLimits(tenant: TenantModel): TenantAccountLimits {
  const nats = tenant.limits.nats;
  // Suspension is a revocation of every user (`revokeAllBefore`), not `conn: 0`: nats-server
  // counts the streams' internal clients against `conn` and closes them when the limit drops
  // (nats-server#6766), leaving the streams deaf until a restart. No leaf node is admitted unless
  // the tenant is active.
  return {
    connections: nats.connections,
    leafNodeConnections: tenant.status === "active" ? nats.leafNodeConnections : 0,
    subscriptions: nats.subscriptions,
    data: bytes(nats.data),
    payload: bytes(nats.payload),
    // A tenant account neither exports nor imports: nothing crosses into another account.
    imports: 0,
    exports: 0,
    wildcards: true,
    diskStorage: bytes(nats.jetstream.diskStorage),
    memoryStorage: bytes(nats.jetstream.memoryStorage),
    streams: nats.jetstream.streams,
    consumers: nats.jetstream.consumers,
    // Without it a stream with no max_bytes could fill the account and starve the tenant's own
    // streams; with it, a stream must reserve its size at creation or is refused.
    maxBytesRequired: true,
  };
}

export interface SubjectPermissions {
  pub: { allow?: string[]; deny?: string[] };
  sub: { allow?: string[]; deny?: string[] };
}

export type UserRole = "collector" | "leaf" | "reader" | "manager";

export interface NatsUserPlan {
  role: UserRole;
  /** Unique within the tenant; part of the JWT name and of the key derivation. */
  id: string;
  permissions: SubjectPermissions;
  allowedConnectionTypes?: ConnectionType[];
  /** Where the creds Secret lives: the tenant's edge namespace or the platform namespace. */
  namespace: "edge" | "platform";
  secretName: string;
}

export const CREDS_KEY = "nats.creds";

export const LEAF_USER_ID = "leaf";
export const collectorUserId = (c: { type: string; partition: string }) => `collector-${collectorServiceName(c.type, c.partition)}`;

/**
 * Reply subjects of the edge's clients (collectors set it as their inbox prefix). Apart from
 * `_INBOX.`, which the platform's reader and manager use in the same account: whoever holds an
 * edge's creds (a customer's site) can neither read nor forge the replies to the platform's
 * JetStream API calls.
 */
export const EDGE_INBOX_PREFIX = "_INBOX_EDGE";

/** Subject prefix of everything the tenant publishes. */
export const tenantPrefix = (slug: string) => `${slug}.>`;

/**
 * The users of a tenant account. Every user lives in the tenant's own account, so even a mistake
 * in a permission cannot reach another tenant: accounts are the isolation boundary, permissions
 * narrow each user within it.
 */
export function tenantUsers(tenant: TenantModel): NatsUserPlan[] {
  const prefix = tenantPrefix(tenant.slug);
  const streams = tenantStreams(tenant).map((s) => s.name);
  const users: NatsUserPlan[] = [];
  // The edge's users exist while it runs something (lib/edge.ts): collectors and their leaf node.
  if (tenant.status !== "decommissioned" && tenant.collectors.length > 0) {
    for (const c of tenant.collectors) {
      users.push({
        role: "collector",
        id: collectorUserId(c),
        // Publish its data, receive replies; no JetStream API (storing happens by publishing).
        permissions: { pub: { allow: [prefix] }, sub: { allow: [`${EDGE_INBOX_PREFIX}.>`] } },
        namespace: "edge",
        secretName: `${collectorServiceName(c.type, c.partition)}-nats-creds`,
      });
    }
    users.push({
      role: "leaf",
      id: LEAF_USER_ID,
      // Seen from the hub: what the leaf may send in (its collectors' data), and what the hub
      // forwards out to it (replies to its collectors only: no tenant data flows back to a site).
      permissions: { pub: { allow: [prefix] }, sub: { allow: [`${EDGE_INBOX_PREFIX}.>`] } },
      allowedConnectionTypes: ["LEAFNODE"],
      namespace: "edge",
      secretName: "nats-leaf-creds",
    });
  }
  users.push({
    role: "reader",
    id: "reader",
    // The platform's EventWriter: reads the tenant's streams through consumers, never publishes data.
    permissions: {
      pub: {
        allow: [
          "$JS.API.INFO",
          "$JS.API.STREAM.NAMES",
          ...streams.map((s) => `$JS.API.STREAM.INFO.${s}`),
          // CREATE, INFO, LIST, NAMES, DELETE take the stream as the next token; fetching and
          // durable creation have two-token verbs.
          ...streams.flatMap((s) => [
            `$JS.API.CONSUMER.*.${s}`,
            `$JS.API.CONSUMER.*.${s}.>`,
            `$JS.API.CONSUMER.MSG.NEXT.${s}.>`,
            `$JS.API.CONSUMER.DURABLE.CREATE.${s}.>`,
            `$JS.ACK.${s}.>`,
            `$JS.FC.${s}.>`,
          ]),
        ],
        deny: [prefix],
      },
      sub: { allow: [prefix, "_INBOX.>"] },
    },
    namespace: "platform",
    secretName: `nats-${tenant.slug}-reader-creds`,
  });
  users.push({
    role: "manager",
    id: "manager",
    // NACK's identity: manages the tenant's streams through the JetStream API, nothing else.
    permissions: { pub: { allow: ["$JS.API.>"], deny: [prefix] }, sub: { allow: ["_INBOX.>"] } },
    namespace: "platform",
    secretName: `nats-${tenant.slug}-manager-creds`,
  });
  return users;
}

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
}

const STREAM_SUBJECTS: [StreamPlan["kind"], (slug: string) => string][] = [
  ["events", (slug) => `${slug}.events.>`],
  ["snmp-traps", (slug) => `${slug}.snmp.traps`],
  ["netflow", (slug) => `${slug}.netflow.>`],
  ["otel", (slug) => `${slug}.otel.>`],
];

/**
 * When the tenant's users are issued: the claims epoch plus the credentials generation. Bumping
 * `credentials.rotation` re-keys every user with a later `iat`, and `revokeAllBefore` revokes
 * everything issued before it — including users the file no longer lists (a removed collector).
 */
export function userIssuedAt(tenant: TenantModel, epoch: number): number {
  return epoch + tenant.credentialsRotation;
}

/** The account's `revocations` wildcard ("*"): every user issued at or before this time is refused (suspension, or an earlier credentials generation). */
export function revokeAllBefore(tenant: TenantModel, epoch: number): number | undefined {
  if (tenant.status === "suspended") return userIssuedAt(tenant, epoch);
  return tenant.credentialsRotation > 0 ? userIssuedAt(tenant, epoch) - 1 : undefined;
}

/**
 * Users whose credentials a decommissioned tenant no longer has: the collectors and the leaf node
 * the file still lists. A user JWT stays valid until revoked in the account JWT, so removing the
 * Secret alone would not be enough.
 */
export function revokedUserIds(tenant: TenantModel): string[] {
  if (tenant.status !== "decommissioned") return [];
  return [...tenant.collectors.map(collectorUserId), LEAF_USER_ID];
}

/** The tenant's four streams, retention from the plan with the tenant's overrides. */
export function tenantStreams(tenant: TenantModel): StreamPlan[] {
  return STREAM_SUBJECTS.map(([kind, subject]) => ({
    name: `${tenant.slug}-${kind}`,
    kind,
    subjects: [subject(tenant.slug)],
    maxAge: tenant.limits.retention.maxAge,
    maxBytes: bytes(tenant.limits.retention.maxBytes),
    // NACK's CRD defaults to memory storage: data would vanish with the server.
    storage: "file",
    retention: "limits",
    // A full stream drops its oldest messages rather than refusing the tenant's newest.
    discard: "old",
  }));
}
