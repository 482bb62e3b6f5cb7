/**
 * A tenant's NATS account as data: its limits, its users and their permissions, and which users'
 * credentials are revoked. components/nats.ts declares it (keys and creds Secrets); signing is
 * plan/nats-credentials.ts; the tests prove it on a real nats-server.
 *
 * Subjects follow seed 000 §1: everything a tenant publishes is `<tenant-slug>.<original subject>`.
 */
import type { TenantModel } from "../model/model";
import {
  COLLECTOR_INBOX_PREFIX,
  IN_CLUSTER_LOCATION,
  LEAF_USER_ID,
  MANAGER_USER_ID,
  PLATFORM_INBOX_PREFIX,
  STREAMS_USER_ID,
  READER_USER_ID,
  collectorUserId,
  componentLabels,
  LABELS,
  accountName,
  accountTag,
  natsUserName,
  platformUserCredsSecretName,
  leafUserId,
  tenantResourceNames,
  tenantSubjectPrefix,
} from "../model/names";
import type { CollectorType } from "../model/schema";
import { collectorSubject, edgeLocations, publishedSubjects, type EdgeLocation } from "./edge/locations";
import { streamOf } from "./edge/collectors";
import type { AccountLimits, ConnectionType, UserLimits } from "../lib/nats/claims";
import { bytes } from "../lib/quantity";
import type { NatsSettings } from "../config/settings";
import { tenantStreams } from "./streams";

/** The tenant account's limits, in the JWT library's terms (-1 unlimited, 0 none). */
export type TenantAccountLimits = AccountLimits;

/**
 * The tenant account's limits. A suspended tenant keeps its account and JetStream storage (so its
 * streams and their messages stay); that it admits no connection is `revokeAllBefore`'s doing.
 */
export function tenantAccountLimits(tenant: TenantModel): TenantAccountLimits {
  const nats = tenant.limits.nats;
  const js = nats.jetstream;
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
    // JetStream only in the tenant's own tier (R1 or R3): a stream of other replicas is refused,
    // and the tier's storage counts every replica.
    diskStorage: 0,
    memoryStorage: 0,
    streams: 0,
    consumers: 0,
    tiers: {
      [jetStreamTier(js.replicas)]: {
        diskStorage: bytes(js.diskStorage),
        memoryStorage: bytes(js.memoryStorage),
        streams: js.streams,
        consumers: js.consumers,
        // Without it a stream with no max_bytes could fill the account and starve the tenant's own
        // streams; with it, a stream must reserve its size at creation or is refused.
        maxBytesRequired: true,
      },
    },
  };
}

/** nats-server's tier of a stream: `R<replicas>` (jetstream.go `tierName`). */
export const jetStreamTier = (replicas: number) => `R${replicas}`;

export interface SubjectPermissions {
  pub: { allow?: string[]; deny?: string[] };
  sub: { allow?: string[]; deny?: string[] };
}

export type UserRole = "collector" | "leaf" | "reader" | "manager" | "streams";

export interface NatsUserPlan {
  role: UserRole;
  /** Unique within its account; part of the JWT name and of the key derivation. */
  id: string;
  permissions: SubjectPermissions;
  allowedConnectionTypes?: ConnectionType[];
  /** Per-connection limits of the user (absent: only the account's). */
  limits?: UserLimits;
  /**
   * Where the creds Secret lives: the platform namespace, for the platform's users; none for an
   * edge user, whose creds are in its workload's one Secret (components/edge.ts) or its site's bundles.
   */
  namespace?: "platform";
  secretName?: string;
  /** Seconds after the tenant's users' issue time: a site's generation (re-onboarding re-issues later). */
  issuedAtOffset: number;
}

/** A stolen edge credential gets no more than one connection's worth of the account (the plan's `userLimits`). */
function userLimits(tenant: TenantModel, role: "collector" | "leaf"): UserLimits {
  const l = tenant.limits.nats.userLimits[role];
  return { subscriptions: l.subscriptions, data: bytes(l.data), payload: bytes(l.payload) };
}

/**
 * The users of a tenant account. Every user lives in the tenant's own account, so even a mistake
 * in a permission cannot reach another tenant: accounts are the isolation boundary, permissions
 * narrow each user within it.
 */
export function tenantUsers(tenant: TenantModel, subjects: Record<CollectorType, string>): NatsUserPlan[] {
  const prefix = tenantSubjectPrefix(tenant.slug);
  const streams = tenantStreams(tenant).map((s) => s.name);
  const users: NatsUserPlan[] = [];
  // One leaf user per edge location (the in-cluster edge and every site not revoked).
  for (const location of edgeLocations(tenant, subjects).filter((l) => !l.revoked)) users.push(leafUser(tenant, location));
  users.push({
    role: "reader",
    id: READER_USER_ID,
    // The platform's EventWriter: reads the tenant's streams through consumers, never publishes
    // data; its replies come on an inbox prefix no leaf node is forwarded.
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
      sub: { allow: [prefix, `${PLATFORM_INBOX_PREFIX}.>`] },
    },
    namespace: "platform",
    secretName: platformUserCredsSecretName(tenant.slug, "reader"),
    issuedAtOffset: 0,
  });
  users.push({
    role: "manager",
    id: MANAGER_USER_ID,
    // NACK's identity: manages the tenant's streams through the JetStream API, nothing else. NACK
    // has no inbox option (nats.go's `_INBOX.`); no leaf user is ever forwarded `_INBOX.`.
    permissions: { pub: { allow: ["$JS.API.>"], deny: [prefix] }, sub: { allow: ["_INBOX.>"] } },
    namespace: "platform",
    secretName: platformUserCredsSecretName(tenant.slug, "manager"),
    issuedAtOffset: 0,
  });
  return users;
}

/**
 * A location's leaf user, as the hub sees its leaf connection. What the leaf may send in (pub):
 * the replies to the hub streams' consumer requests and its own deliveries; never data subjects,
 * so what its collectors publish reaches the hub once, by sourcing. What the hub forwards out
 * (sub): its own domain's consumer API for its own streams and their flow control; never an
 * inbox, so no reply meant for anyone else ever reaches a site.
 */
function leafUser(tenant: TenantModel, location: EdgeLocation): NatsUserPlan {
  const api = `$JS.${location.domain}.API`;
  return {
    role: "leaf",
    id: location.leafUserId,
    permissions: {
      pub: { allow: ["$JSC.R.>", `${location.deliverPrefix}.>`] },
      sub: {
        allow: location.streams.flatMap((s) => [`${api}.CONSUMER.CREATE.${s.name}`, `${api}.CONSUMER.DELETE.${s.name}.*`, `$JS.FC.${s.name}.>`]),
      },
    },
    allowedConnectionTypes: ["LEAFNODE"],
    limits: userLimits(tenant, "leaf"),
    issuedAtOffset: location.generation,
  };
}

/**
 * The users of a location's own account: its collectors (publish their subjects, look up their
 * stream, receive on async-nats's `_INBOX.`) and the streams user that creates its local streams.
 * No one here may create, update or delete a stream but the streams user.
 */
export function edgeAccountUsers(tenant: TenantModel, location: EdgeLocation, subjects: Record<CollectorType, string>): NatsUserPlan[] {
  const inCluster = location.kind === "cluster";
  const slug = tenant.slug;
  const inbox = [`${COLLECTOR_INBOX_PREFIX}.>`];
  return [
    ...location.collectors.map(
      (c): NatsUserPlan => ({
        role: "collector",
        id: collectorUserId(c),
        permissions: {
          pub: { allow: [...publishedSubjects(c.type, collectorSubject(slug, c.type, subjects)), `$JS.API.STREAM.INFO.${streamOf(c, location.streams).name}`] },
          sub: { allow: inbox },
        },
        allowedConnectionTypes: ["STANDARD"],
        // A stolen bundle's collector gets one connection's worth of its leaf (the plan's userLimits).
        limits: userLimits(tenant, "collector"),
        issuedAtOffset: location.generation,
      }),
    ),
    {
      role: "streams",
      id: STREAMS_USER_ID,
      permissions: {
        pub: { allow: ["$JS.API.INFO", ...location.streams.flatMap((s) => ["CREATE", "UPDATE", "INFO"].map((verb) => `$JS.API.STREAM.${verb}.${s.name}`))] },
        sub: { allow: inbox },
      },
      allowedConnectionTypes: ["STANDARD"],
      issuedAtOffset: location.generation,
    },
  ];
}

/** An edge location's own account: known to its leaf node only. */
export interface EdgeAccountPlan {
  location: string;
  accountName: string;
  limits: AccountLimits;
  /** What the account's key and its users' keys are derived with: a site's new generation re-keys both. */
  keyLabel: string;
  users: NatsUserResources[];
}

/**
 * The limits of a location's account: the tenant's client limits, JetStream the location's buffer.
 * Untiered: the leaf is one server and its local streams have one replica (the hub's R1/R3 tiers
 * are the tenant account's).
 */
function edgeAccountLimits(tenant: TenantModel, location: EdgeLocation): AccountLimits {
  const { tiers: _hubTiers, ...client } = tenantAccountLimits(tenant);
  return {
    ...client,
    // Its leaf's own remote to the hub.
    leafNodeConnections: 1,
    diskStorage: location.bufferBytes,
    memoryStorage: 0,
    streams: location.streams.length,
    // The hub's source consumers, one per stream, re-created after every outage.
    consumers: -1,
    maxBytesRequired: true,
  };
}

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
  // A re-onboarded site's users are issued later: suspension reaches them too.
  if (tenant.status === "suspended") return userIssuedAt(tenant, epoch) + Math.max(0, ...tenant.edge.sites.map((s) => s.generation));
  return tenant.credentialsRotation > 0 ? userIssuedAt(tenant, epoch) - 1 : undefined;
}

/** A revocation in the tenant account: the user's JWTs issued at or before `before` are refused. */
export interface RevokedUser {
  id: string;
  before: number;
}

/**
 * Leaf users the tenant account refuses. A decommissioned tenant: every location's. A revoked
 * site: its leaf user, issued up to now; a re-onboarded site (generation > 0): every earlier
 * generation. The hub refuses the leaf connection itself, so a stolen bundle is dead however its
 * leaf is configured; the tenant's other locations are untouched.
 */
export function revokedUsers(tenant: TenantModel, epoch: number): RevokedUser[] {
  const issued = userIssuedAt(tenant, epoch);
  if (tenant.status === "decommissioned") {
    if (tenant.collectors.length === 0) return [];
    return [IN_CLUSTER_LOCATION, ...tenant.edge.sites.map((s) => s.name)].map((loc) => ({ id: leafUserId(loc), before: issued + (tenant.edge.sites.find((s) => s.name === loc)?.generation ?? 0) }));
  }
  if (tenant.collectors.length === 0) return [];
  return tenant.edge.sites.flatMap((s) => (s.revoked ? [{ id: leafUserId(s.name), before: issued + s.generation }] : s.generation > 0 ? [{ id: leafUserId(s.name), before: issued + s.generation - 1 }] : []));
}

/** A user with where its creds Secret goes (none: a site's), for the components. */
export interface NatsUserResources extends NatsUserPlan {
  /** The user JWT's `name`. */
  jwtName: string;
  secret?: { logicalName: string; name: string; labels: Record<string, string> };
}

/** Everything the tenant's account and users are made of, short of the keys (random, in state). */
export interface TenantNatsPlan {
  accountName: string;
  tags: string[];
  limits: TenantAccountLimits;
  /** `iat` of the account JWT (the claims epoch) and of the user JWTs (later after a credentials rotation). */
  accountIssuedAt: number;
  usersIssuedAt: number;
  /** A credentials rotation derives a new generation of user keys from the same secret. */
  userKeyGeneration: string;
  /** Users revoked by key: a decommissioned tenant's leaf users, revoked sites, earlier site generations. */
  revokedUsers: RevokedUser[];
  /** Every user issued at or before this time is revoked (`"*"`). */
  revokeAllBefore?: number;
  users: NatsUserResources[];
  /** Each edge location's own account, in location order (the in-cluster edge first). */
  edgeAccounts: EdgeAccountPlan[];
  /** The account key is the account's identity: JetStream stores the tenant's streams under it. */
  accountKey: { logicalName: string; protect: boolean };
  /** One random secret per tenant from which every user key is derived. */
  userKeys: { logicalName: string };
  /** The account's JWT is pushed to every resolver of the hub (components/account-push.ts). */
  push: AccountPushPlan;

}

export interface AccountPushPlan {
  logicalName: string;
  /** The hub's client URLs the deploy job dials, and the name its certificate is verified against. */
  servers: string[];
  tlsServerName: string;
  /** Full resolvers that must each acknowledge the push (the hub's servers). */
  expectedResolvers: number;
  timeoutMs: number;
  /** After the disabling JWT, delete the account from the resolvers (`allow_delete`). */
  deleteOnRemoval: boolean;
  /** The account as it is pushed before deletion: every user revoked, no connection admitted. */
  disabledLimits: TenantAccountLimits;
}

/** The tenant's NATS account; `name` is the Tenant component's (its children's stem). */
export function tenantNatsPlan(name: string, tenant: TenantModel, nats: NatsSettings, subjects: Record<CollectorType, string>): TenantNatsPlan {
  const names = tenantResourceNames(name);
  const epoch = nats.claimsIssuedAt;
  const revokeAll = revokeAllBefore(tenant, epoch);
  const limits = tenantAccountLimits(tenant);
  const resources = (user: NatsUserPlan, jwtName: string): NatsUserResources => ({
    ...user,
    jwtName,
    ...(user.secretName !== undefined
      ? { secret: { logicalName: names.credsSecret(user.secretName), name: user.secretName, labels: { ...componentLabels(tenant.slug, "nats-credentials"), [LABELS.natsUser]: user.role } } }
      : {}),
  });
  return {
    accountName: accountName(tenant.slug),
    tags: [accountTag(tenant.slug)],
    limits,
    accountIssuedAt: epoch,
    usersIssuedAt: userIssuedAt(tenant, epoch),
    userKeyGeneration: tenant.credentialsRotation === 0 ? "" : `:g${tenant.credentialsRotation}`,
    revokedUsers: revokedUsers(tenant, epoch),
    ...(revokeAll !== undefined ? { revokeAllBefore: revokeAll } : {}),
    users: tenantUsers(tenant, subjects).map((user) => resources(user, natsUserName(tenant.slug, user.id))),
    edgeAccounts: edgeLocations(tenant, subjects)
      .filter((l) => !l.revoked)
      .map((l) => ({
        location: l.name,
        accountName: l.accountName,
        limits: edgeAccountLimits(tenant, l),
        keyLabel: `${l.name}:s${l.generation}`,
        users: edgeAccountUsers(tenant, l, subjects).map((u) => resources(u, natsUserName(tenant.slug, `${l.name}-${u.id}`))),
      })),
    accountKey: { logicalName: names.accountKey, protect: tenant.status !== "decommissioned" },
    userKeys: { logicalName: names.userKeys },
    push: {
      logicalName: names.accountPush,
      servers: nats.push.urls,
      tlsServerName: nats.push.tlsServerName,
      expectedResolvers: nats.hubServers,
      timeoutMs: nats.push.timeoutMs,
      deleteOnRemoval: nats.resolver.allowDelete,
      disabledLimits: { ...limits, connections: 0, leafNodeConnections: 0 },
    },
  };
}
