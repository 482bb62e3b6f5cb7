/**
 * Signing a tenant's NATS side without Pulumi: deterministic tokens, each signed by the right key,
 * users keyed by id and generation, revocations as the plan says.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodeJwt, verifyJwt } from "../../../lib/nats/jwt";
import type { TenantNatsPlan } from "../../../plan/nats";
import { platformNatsIdentities, signTenantNats } from "../../../plan/nats-credentials";

const key = (label: string) => createHash("sha256").update(label).digest().toString("base64");
const keys = { operatorSigning: key("operator-signing"), account: key("account"), userRoot: key("users") };
const platform = platformNatsIdentities({ operator: key("operator"), operatorSigning: keys.operatorSigning, system: key("system"), platform: key("platform"), claimsPusher: key("pusher") }, { operatorName: "op", claimsIssuedAt: 1767225600 });

const plan = (over: Partial<TenantNatsPlan> = {}): TenantNatsPlan => ({
  accountName: "TENANT_acme",
  tags: ["tenant:acme"],
  limits: { connections: 10, leafNodeConnections: 1, subscriptions: 100, data: 1024, payload: 512, imports: 0, exports: 0, wildcards: true, diskStorage: 1 << 20, memoryStorage: 0, streams: 4, consumers: 8 },
  accountIssuedAt: 1767225600,
  usersIssuedAt: 1767225600,
  userKeyGeneration: "",
  revokedUsers: [],
  users: [
    { role: "leaf", id: "leaf-a", permissions: { pub: { allow: ["$JSC.R.>"] }, sub: { allow: ["$JS.FC.acme-events.>"] } }, jwtName: "acme-leaf-a", issuedAtOffset: 0 },
    { role: "reader", id: "reader", permissions: { pub: { allow: ["$JS.API.INFO"] }, sub: { allow: ["acme.>"] } }, namespace: "platform", secretName: "r", jwtName: "acme-reader", secret: { logicalName: "y", name: "r", labels: {} }, issuedAtOffset: 0 },
  ],
  edgeAccounts: [
    {
      location: "a",
      accountName: "EDGE_acme_a",
      limits: { connections: 10, leafNodeConnections: 1, subscriptions: 100, data: 1024, payload: 512, imports: 0, exports: 0, wildcards: true, diskStorage: 1 << 20, memoryStorage: 0, streams: 1, consumers: -1 },
      keyLabel: "a:s0",
      users: [{ role: "collector", id: "collector-x", permissions: { pub: { allow: ["acme.events.syslog"] }, sub: { allow: ["_INBOX.>"] } }, jwtName: "acme-a-collector-x", issuedAtOffset: 0 }],
    },
  ],
  accountKey: { logicalName: "k", protect: true },
  userKeys: { logicalName: "u" },
  push: { logicalName: "p", servers: ["tls://hub:4222"], tlsServerName: "hub", expectedResolvers: 3, timeoutMs: 1000, deleteOnRemoval: true, disabledLimits: { connections: 0, leafNodeConnections: 0, subscriptions: 100, data: 1024, payload: 512, imports: 0, exports: 0, wildcards: true, diskStorage: 1 << 20, memoryStorage: 0, streams: 4, consumers: 8 } },
  ...over,
});

const userJwtOf = (creds: string) => /-----BEGIN NATS USER JWT-----\n(.+)\n/.exec(creds)![1];

describe("signTenantNats", () => {
  it("is deterministic, signs the account with the operator's signing key and each user with the account", () => {
    const a = signTenantNats(plan(), keys);
    expect(signTenantNats(plan(), keys)).toEqual(a);
    const operator = decodeJwt(platform.operatorJwt).claims;
    expect(operator.nats.signing_keys).toEqual([platform.operatorSigningKeyPub]);
    expect(verifyJwt(a.account.jwt, platform.operatorSigningKeyPub)).toBe(true);
    expect(decodeJwt(a.account.jwt).claims.iss).not.toBe(operator.sub);
    for (const id of ["leaf-a", "reader"]) expect(verifyJwt(userJwtOf(a.creds[id]), a.account.pub), id).toBe(true);
    expect(Object.keys(a.creds).sort()).toEqual(["leaf-a", "reader"]);
    // An edge location's account: signed by the operator's signing key like every account (never
    // by its identity key, never by the tenant's); its users by it.
    const edge = a.edgeAccounts.a!;
    expect(edge.account.pub).not.toBe(a.account.pub);
    expect(verifyJwt(edge.account.jwt, platform.operatorSigningKeyPub)).toBe(true);
    expect(decodeJwt(edge.account.jwt).claims.iss).not.toBe(operator.sub);
    expect(verifyJwt(userJwtOf(edge.creds["collector-x"]!), edge.account.pub)).toBe(true);
    expect(verifyJwt(userJwtOf(edge.creds["collector-x"]!), a.account.pub)).toBe(false);
  });

  it("re-keys a location's account and users on a new site generation, and issues them later", () => {
    const first = signTenantNats(plan(), keys);
    const next = plan();
    next.edgeAccounts = next.edgeAccounts.map((e) => ({ ...e, keyLabel: "a:s1", users: e.users.map((u) => ({ ...u, issuedAtOffset: 1 })) }));
    const second = signTenantNats(next, keys);
    expect(second.edgeAccounts.a!.account.pub).not.toBe(first.edgeAccounts.a!.account.pub);
    const claims = decodeJwt(userJwtOf(second.edgeAccounts.a!.creds["collector-x"]!)).claims;
    expect(claims.iat).toBe(1767225601);
    expect(second.account.pub).toBe(first.account.pub);
  });

  it("derives a new key for every user on a new generation, and only then", () => {
    const first = signTenantNats(plan(), keys);
    const rotated = signTenantNats(plan({ userKeyGeneration: ":g1", usersIssuedAt: 1767225601 }), keys);
    for (const id of ["leaf-a", "reader"]) expect(decodeJwt(userJwtOf(rotated.creds[id])).claims.sub).not.toBe(decodeJwt(userJwtOf(first.creds[id])).claims.sub);
    expect(rotated.account.pub).toBe(first.account.pub);
  });

  it("revokes listed users by their key and everyone before a time with the wildcard", () => {
    const signed = signTenantNats(plan({ revokedUsers: [{ id: "leaf-a", before: 1767225602 }], revokeAllBefore: 1767225599 }), keys);
    const revocations = decodeJwt(signed.account.jwt).claims.nats.revocations as Record<string, number>;
    const leafPub = decodeJwt(userJwtOf(signTenantNats(plan(), keys).creds["leaf-a"])).claims.sub;
    expect(revocations).toEqual({ [leafPub]: 1767225602, "*": 1767225599 });
  });
});

describe("signTenantNats: the JWTs that remove an account", () => {
  it("disables the same account (same iat, every user revoked, no connection) and deletes it by the operator's signing key", () => {
    const signed = signTenantNats(plan(), keys);
    const live = decodeJwt(signed.account.jwt).claims;
    const off = decodeJwt(signed.disablingJwt).claims;
    expect([off.sub, off.iat, off.iss]).toEqual([live.sub, live.iat, live.iss]);
    expect(off.jti).not.toBe(live.jti);
    expect((off.nats.limits as Record<string, number>).conn).toBe(0);
    expect((off.nats.limits as Record<string, number>).leaf).toBe(0);
    expect((off.nats.revocations as Record<string, number>)["*"]).toBe(1767225600);
    const del = decodeJwt(signed.deleteJwt).claims;
    expect([del.sub, del.iss]).toEqual([platform.operatorSigningKeyPub, platform.operatorSigningKeyPub]);
    expect(del.nats.accounts).toEqual([live.sub]);
    expect(verifyJwt(signed.deleteJwt, platform.operatorSigningKeyPub)).toBe(true);
  });

  it("disables a re-onboarded site's leaf user too, issued later by its generation", () => {
    const base = plan();
    const later = plan({ users: base.users.map((u) => (u.id === "leaf-a" ? { ...u, issuedAtOffset: 2 } : u)) });
    const signed = signTenantNats(later, keys);
    const leaf = decodeJwt(userJwtOf(signed.creds["leaf-a"])).claims;
    expect(leaf.iat).toBe(1767225602);
    // nats-server refuses a user whose iat is at or before the wildcard's time.
    expect((decodeJwt(signed.disablingJwt).claims.nats.revocations as Record<string, number>)["*"]).toBe(1767225602);
  });
});

describe("platformNatsIdentities", () => {
  it("gives the system account one scoped signing key: the claims pusher's, limited to the claims subjects", () => {
    const keysOfSys = decodeJwt(platform.systemAccount.jwt).claims.nats.signing_keys as { kind: string; key: string; template: { pub: { allow: string[] }; sub: { allow: string[] } } }[];
    expect(keysOfSys).toHaveLength(1);
    expect(keysOfSys[0].kind).toBe("user_scope");
    expect(keysOfSys[0].key).toBe(platform.claimsPusherPub);
    expect(keysOfSys[0].template.pub.allow.every((s) => s.startsWith("$SYS.REQ."))).toBe(true);
    expect(keysOfSys[0].template.sub.allow).toEqual(["_INBOX.>"]);
  });

  it("names the system account in the operator and gives neither platform account JetStream", () => {
    expect(decodeJwt(platform.operatorJwt).claims.nats.system_account).toBe(platform.systemAccount.pub);
    for (const account of [platform.systemAccount, platform.platformAccount]) {
      const limits = decodeJwt(account.jwt).claims.nats.limits as Record<string, number>;
      expect([limits.disk_storage, limits.mem_storage], account.name).toEqual([0, 0]);
    }
    expect([platform.systemAccount.name, platform.platformAccount.name]).toEqual(["SYS", "PLATFORM"]);
  });
});
