/**
 * Signing: turns the random key bytes Pulumi keeps in state into the NATS identities the plans
 * describe — the operator, system and platform accounts, a tenant's account JWT and its users'
 * creds. Pure and deterministic (fixed claims epoch, Ed25519), so unchanged inputs give
 * byte-identical tokens and no spurious diff.
 */
import { createHmac } from "node:crypto";
import { UNLIMITED_NO_JETSTREAM, accountJwt, operatorJwt, userJwt } from "../lib/nats/claims";
import { credsFile } from "../lib/nats/creds";
import { nkeyFromRaw, publicOf, seedOf, type NKeyKind } from "../lib/nats/nkeys";
import type { HubAccount } from "../lib/nats/hub-config";
import { PLATFORM_ACCOUNT_NAME, SYSTEM_ACCOUNT_NAME } from "../model/names";
import type { TenantNatsPlan } from "./nats";

/** A key pair from @pulumi/random's base64 of 32 bytes. */
const keyPair = (kind: NKeyKind, base64: string) => nkeyFromRaw(kind, Buffer.from(base64, "base64"));

export interface PlatformNatsIdentities {
  operatorJwt: string;
  systemAccount: HubAccount;
  platformAccount: HubAccount;
}

/** The operator and the system and platform accounts, from their keys (base64 of 32 random bytes). */
export function platformNatsIdentities(keys: { operator: string; system: string; platform: string }, settings: { operatorName: string; claimsIssuedAt: number }): PlatformNatsIdentities {
  const operatorKp = keyPair("operator", keys.operator);
  const systemPub = publicOf(keyPair("account", keys.system));
  const platformPub = publicOf(keyPair("account", keys.platform));
  const issuedAt = settings.claimsIssuedAt;
  const account = (pub: string, name: string): HubAccount => ({
    pub,
    name,
    // Neither carries tenant data: the system account must not, and may not, have JetStream.
    jwt: accountJwt({ account: pub, operator: operatorKp, name, limits: UNLIMITED_NO_JETSTREAM, issuedAt }),
  });
  return {
    operatorJwt: operatorJwt({ operator: operatorKp, name: settings.operatorName, systemAccount: systemPub, issuedAt }),
    systemAccount: account(systemPub, SYSTEM_ACCOUNT_NAME),
    platformAccount: account(platformPub, PLATFORM_ACCOUNT_NAME),
  };
}

export interface SignedTenantNats {
  account: HubAccount;
  /** Each user's creds file, by user id. */
  creds: Record<string, string>;
  /** Each edge location's own account and its users' creds, by location. */
  edgeAccounts: Record<string, { account: HubAccount; creds: Record<string, string> }>;
}

/**
 * The tenant's account JWT (signed by the operator) and its users' creds (signed by the account).
 * User keys are derived from one random secret per tenant (HMAC by user id and key generation), so
 * adding a collector adds a user without touching the others.
 */
export function signTenantNats(plan: TenantNatsPlan, keys: { operator: string; account: string; userRoot: string }): SignedTenantNats {
  const operatorKp = keyPair("operator", keys.operator);
  const accountKp = keyPair("account", keys.account);
  const pub = publicOf(accountKp);
  const derive = (kind: "account" | "user", label: string) => nkeyFromRaw(kind, createHmac("sha256", Buffer.from(keys.userRoot, "base64")).update(`${label}${plan.userKeyGeneration}`).digest());
  const userKey = (id: string) => derive("user", `nats-user:${id}`);
  const revocations: Record<string, number> = Object.fromEntries(plan.revokedUsers.map((r) => [publicOf(userKey(r.id)), r.before]));
  if (plan.revokeAllBefore !== undefined) revocations["*"] = plan.revokeAllBefore;
  const jwt = accountJwt({ account: pub, operator: operatorKp, name: plan.accountName, limits: plan.limits, issuedAt: plan.accountIssuedAt, tags: plan.tags, revocations });
  const sign = (users: TenantNatsPlan["users"], signer: ReturnType<typeof keyPair>, keyOf: (id: string) => ReturnType<typeof keyPair>) =>
    Object.fromEntries(
      users.map((user) => {
        const userKp = keyOf(user.id);
        const token = userJwt({
          user: publicOf(userKp),
          account: signer,
          name: user.jwtName,
          permissions: user.permissions,
          allowedConnectionTypes: user.allowedConnectionTypes,
          issuedAt: plan.usersIssuedAt + user.issuedAtOffset,
        });
        return [user.id, credsFile(token, seedOf(userKp))];
      }),
    );
  const edgeAccounts: SignedTenantNats["edgeAccounts"] = {};
  for (const edge of plan.edgeAccounts) {
    // Derived from the tenant's user secret: a location's account needs no key of its own in state.
    const edgeKp = derive("account", `nats-edge-account:${edge.keyLabel}`);
    const edgePub = publicOf(edgeKp);
    edgeAccounts[edge.location] = {
      account: { pub: edgePub, name: edge.accountName, jwt: accountJwt({ account: edgePub, operator: operatorKp, name: edge.accountName, limits: edge.limits, issuedAt: plan.accountIssuedAt, tags: plan.tags }) },
      creds: sign(edge.users, edgeKp, (id) => derive("user", `nats-edge-user:${edge.keyLabel}:${id}`)),
    };
  }
  return { account: { pub, name: plan.accountName, jwt }, creds: sign(plan.users, accountKp, userKey), edgeAccounts };
}
