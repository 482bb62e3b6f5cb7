/**
 * The operator, accounts, users and hub fragment (memory resolver) the lib/nats/ tests sign (test/unit/lib/nats-jwt
 * without a server, test/e2e/nats-jwt on a real nats-server): everything from fixed bytes and a
 * fixed epoch, built by one pure function.
 */
import { createHash } from "node:crypto";
import { accountJwt, operatorJwt, UNLIMITED_NO_JETSTREAM, userJwt, type AccountLimits, type ConnectionType, type Permissions } from "../../lib/nats/claims";
import { credsFile } from "../../lib/nats/creds";
import { hubConfigFragment } from "../../lib/nats/hub-config";
import { nkeyFromRaw, seedOf, type KeyPair } from "../../lib/nats/nkeys";

/** 2025-01-01T00:00:00Z: the claims epoch every JWT here is issued at. */
export const EPOCH = 1_735_689_600;

/** Fixed 32 "random" bytes per label (what RandomBytes supplies in the real program). */
export const rawKey = (label: string) => new Uint8Array(createHash("sha256").update(`nats-jwt.test/${label}`).digest());

export const KIB = 1024;
export const TENANT: AccountLimits = {
  connections: 16,
  leafNodeConnections: 1,
  subscriptions: -1,
  data: -1,
  payload: 4 * KIB,
  imports: 0,
  exports: 0,
  wildcards: false,
  diskStorage: 16 * KIB,
  memoryStorage: 0,
  streams: 4,
  consumers: 8,
};
const NO_JS = { diskStorage: 0, memoryStorage: 0, streams: 0, consumers: 0 } as const;

/** Accounts by name; `gamma`…`leafy` exist to exercise one limit each without disturbing the rest. */
export const ACCOUNT_LIMITS: Record<string, AccountLimits> = {
  SYS: UNLIMITED_NO_JETSTREAM,
  alpha: TENANT,
  beta: TENANT,
  gamma: { ...TENANT, ...NO_JS, connections: 2 },
  zero: { ...TENANT, ...NO_JS, connections: 0 },
  quiet: { ...TENANT, ...NO_JS, payload: 0 },
  leafy: { ...TENANT, ...NO_JS, connections: 2, leafNodeConnections: 2 },
};

const USERS: Record<string, { account: string; permissions: Permissions; types?: ConnectionType[] }> = {
  "alpha-collector": { account: "alpha", permissions: { pub: { allow: ["alpha.>"] }, sub: { allow: ["_INBOX.>"] } } },
  "alpha-reader": { account: "alpha", permissions: { pub: { deny: [">"] }, sub: { allow: ["alpha.>", "_INBOX.>"] } } },
  "alpha-admin": { account: "alpha", permissions: { pub: { allow: ["alpha.>", "$JS.API.>"] }, sub: { allow: ["_INBOX.>"] } } },
  "beta-reader": { account: "beta", permissions: { pub: { allow: ["beta.>"] }, sub: { allow: ["beta.>", "_INBOX.>"] } } },
  "gamma-user": { account: "gamma", permissions: { pub: { allow: ["gamma.>"] }, sub: { allow: ["_INBOX.>"] } } },
  "zero-user": { account: "zero", permissions: { pub: { allow: ["zero.>"] }, sub: { allow: ["_INBOX.>"] } } },
  "quiet-user": { account: "quiet", permissions: { pub: { allow: ["quiet.>", "$JS.API.>"] }, sub: { allow: ["_INBOX.>"] } } },
  "leafy-leaf": { account: "leafy", permissions: { pub: { allow: ["leafy.>"] }, sub: { allow: ["leafy.>"] } }, types: ["LEAFNODE"] },
  "leafy-reader": { account: "leafy", permissions: { pub: { deny: [">"] }, sub: { allow: ["leafy.>", "_INBOX.>"] } } },
};

export interface Built {
  operator: KeyPair;
  operatorJwt: string;
  accounts: Record<string, { kp: KeyPair; pub: string; jwt: string }>;
  users: Record<string, { kp: KeyPair; pub: string; jwt: string; creds: string }>;
  fragment: string;
}

export function build(limits: Record<string, AccountLimits> = ACCOUNT_LIMITS): Built {
  const operator = nkeyFromRaw("operator", rawKey("operator"));
  const accounts: Built["accounts"] = {};
  for (const [name, l] of Object.entries(limits)) {
    const kp = nkeyFromRaw("account", rawKey(`account/${name}`));
    const pub = kp.getPublicKey();
    accounts[name] = { kp, pub, jwt: accountJwt({ account: pub, operator, name, limits: l, issuedAt: EPOCH }) };
  }
  const users: Built["users"] = {};
  for (const [name, u] of Object.entries(USERS)) {
    const kp = nkeyFromRaw("user", rawKey(`user/${name}`));
    const pub = kp.getPublicKey();
    const jwt = userJwt({
      user: pub,
      account: accounts[u.account]!.kp,
      name,
      permissions: u.permissions,
      allowedConnectionTypes: u.types,
      issuedAt: EPOCH,
    });
    users[name] = { kp, pub, jwt, creds: credsFile(jwt, seedOf(kp)) };
  }
  const opJwt = operatorJwt({ operator, name: "test-operator", systemAccount: accounts.SYS!.pub, issuedAt: EPOCH });
  const fragment = hubConfigFragment({
    operatorJwt: opJwt,
    systemAccountPub: accounts.SYS!.pub,
    // A hub with the memory resolver: the preload is the whole truth, and a reload re-reads it
    // (these tests re-sign accounts and reload; the program's hub runs the full resolver and is
    // pushed its accounts, test/e2e/hub-cluster.test.ts).
    resolver: "memory",
    // Deliberately not in name order: the fragment must sort them.
    accounts: Object.entries(accounts)
      .reverse()
      .map(([name, a]) => ({ name, pub: a.pub, jwt: a.jwt })),
  });
  return { operator, operatorJwt: opJwt, accounts, users, fragment };
}
