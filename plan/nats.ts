/**
 * A tenant's NATS account as data: its limits, its users and their permissions, and which users'
 * credentials are revoked. components/nats.ts declares it (keys and creds Secrets); signing is
 * plan/nats-credentials.ts; the tests prove it on a real nats-server.
 *
 * Subjects follow seed 000 §1: everything a tenant publishes is `<tenant-slug>.<original subject>`.
 */
import type { TenantModel } from "../model/model";
import {
  EDGE_INBOX_PREFIX,
  LEAF_CREDS_SECRET,
  LEAF_USER_ID,
  MANAGER_USER_ID,
  READER_USER_ID,
  collectorCredsSecretName,
  collectorUserId,
  componentLabels,
  LABELS,
  accountName,
  accountTag,
  natsUserName,
  platformUserCredsSecretName,
  tenantResourceNames,
  tenantSubjectPrefix,
} from "../model/names";
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

export type UserRole = "collector" | "leaf" | "reader" | "manager";

export interface NatsUserPlan {
  role: UserRole;
  /** Unique within the tenant; part of the JWT name and of the key derivation. */
  id: string;
  permissions: SubjectPermissions;
  allowedConnectionTypes?: ConnectionType[];
  /** Per-connection limits of the user (absent: only the account's). */
  limits?: UserLimits;
  /** Where the creds Secret lives: the tenant's edge namespace or the platform namespace. */
  namespace: "edge" | "platform";
  secretName: string;
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
export function tenantUsers(tenant: TenantModel): NatsUserPlan[] {
  const prefix = tenantSubjectPrefix(tenant.slug);
  const streams = tenantStreams(tenant).map((s) => s.name);
  const users: NatsUserPlan[] = [];
  // The edge's users exist while it runs something (plan/edge/): collectors and their leaf node.
  if (tenant.status !== "decommissioned" && tenant.collectors.length > 0) {
    for (const c of tenant.collectors) {
      users.push({
        role: "collector",
        id: collectorUserId(c),
        // Publish its data, receive replies; no JetStream API (storing happens by publishing).
        permissions: { pub: { allow: [prefix] }, sub: { allow: [`${EDGE_INBOX_PREFIX}.>`] } },
        limits: userLimits(tenant, "collector"),
        namespace: "edge",
        secretName: collectorCredsSecretName(c.type, c.partition),
      });
    }
    users.push({
      role: "leaf",
      id: LEAF_USER_ID,
      // Seen from the hub: what the leaf may send in (its collectors' data), and what the hub
      // forwards out to it (replies to its collectors only: no tenant data flows back to a site).
      permissions: { pub: { allow: [prefix] }, sub: { allow: [`${EDGE_INBOX_PREFIX}.>`] } },
      allowedConnectionTypes: ["LEAFNODE"],
      limits: userLimits(tenant, "leaf"),
      namespace: "edge",
      secretName: LEAF_CREDS_SECRET,
    });
  }
  users.push({
    role: "reader",
    id: READER_USER_ID,
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
    secretName: platformUserCredsSecretName(tenant.slug, "reader"),
  });
  users.push({
    role: "manager",
    id: MANAGER_USER_ID,
    // NACK's identity: manages the tenant's streams through the JetStream API, nothing else.
    permissions: { pub: { allow: ["$JS.API.>"], deny: [prefix] }, sub: { allow: ["_INBOX.>"] } },
    namespace: "platform",
    secretName: platformUserCredsSecretName(tenant.slug, "manager"),
  });
  return users;
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

/** A user with where its creds Secret goes, for the components. */
export interface NatsUserResources extends NatsUserPlan {
  /** The user JWT's `name`. */
  jwtName: string;
  secret: { logicalName: string; name: string; labels: Record<string, string> };
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
  /** Users revoked by key (a decommissioned tenant's edge users). */
  revokedUserIds: string[];
  /** Every user issued at or before this time is revoked (`"*"`). */
  revokeAllBefore?: number;
  users: NatsUserResources[];
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
export function tenantNatsPlan(name: string, tenant: TenantModel, nats: NatsSettings): TenantNatsPlan {
  const names = tenantResourceNames(name);
  const epoch = nats.claimsIssuedAt;
  const revokeAll = revokeAllBefore(tenant, epoch);
  const limits = tenantAccountLimits(tenant);
  return {
    accountName: accountName(tenant.slug),
    tags: [accountTag(tenant.slug)],
    limits,
    accountIssuedAt: epoch,
    usersIssuedAt: userIssuedAt(tenant, epoch),
    userKeyGeneration: tenant.credentialsRotation === 0 ? "" : `:g${tenant.credentialsRotation}`,
    revokedUserIds: revokedUserIds(tenant),
    ...(revokeAll !== undefined ? { revokeAllBefore: revokeAll } : {}),
    users: tenantUsers(tenant).map((user) => ({
      ...user,
      jwtName: natsUserName(tenant.slug, user.id),
      secret: {
        logicalName: names.credsSecret(user.secretName),
        name: user.secretName,
        labels: { ...componentLabels(tenant.slug, "nats-credentials"), [LABELS.natsUser]: user.role },
      },
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
