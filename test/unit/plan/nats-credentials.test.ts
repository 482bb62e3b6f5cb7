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
const keys = { operator: key("operator"), account: key("account"), userRoot: key("users") };
const platform = platformNatsIdentities({ operator: keys.operator, system: key("system"), platform: key("platform") }, { operatorName: "op", claimsIssuedAt: 1767225600 });

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
  ...over,
});

const userJwtOf = (creds: string) => /-----BEGIN NATS USER JWT-----\n(.+)\n/.exec(creds)![1];

describe("signTenantNats", () => {
  it("is deterministic, signs the account with the operator and each user with the account", () => {
    const a = signTenantNats(plan(), keys);
    expect(signTenantNats(plan(), keys)).toEqual(a);
    const operatorPub = decodeJwt(platform.operatorJwt).claims.sub;
    expect(verifyJwt(a.account.jwt, operatorPub)).toBe(true);
    for (const id of ["leaf-a", "reader"]) expect(verifyJwt(userJwtOf(a.creds[id]), a.account.pub), id).toBe(true);
    expect(Object.keys(a.creds).sort()).toEqual(["leaf-a", "reader"]);
    // An edge location's account: signed by the operator, never the tenant's; its users by it.
    const edge = a.edgeAccounts.a!;
    expect(edge.account.pub).not.toBe(a.account.pub);
    expect(verifyJwt(edge.account.jwt, operatorPub)).toBe(true);
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

describe("platformNatsIdentities", () => {
  it("names the system account in the operator and gives neither platform account JetStream", () => {
    expect(decodeJwt(platform.operatorJwt).claims.nats.system_account).toBe(platform.systemAccount.pub);
    for (const account of [platform.systemAccount, platform.platformAccount]) {
      const limits = decodeJwt(account.jwt).claims.nats.limits as Record<string, number>;
      expect([limits.disk_storage, limits.mem_storage], account.name).toEqual([0, 0]);
    }
    expect([platform.systemAccount.name, platform.platformAccount.name]).toEqual(["SYS", "PLATFORM"]);
  });
});
