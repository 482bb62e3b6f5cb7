/**
 * Signing: turns the random key bytes Pulumi keeps in state into the NATS identities the plans
 * describe — the operator, system and platform accounts, a tenant's account JWT (and the JWTs that
 * disable and delete it), and its users' creds. Pure and deterministic (fixed claims epoch,
 * Ed25519), so unchanged inputs give byte-identical tokens and no spurious diff.
 *
 * Account JWTs are signed by the operator's signing key, never by its identity key, which signs only
 * the operator JWT itself and so never leaves the platform's state. (Not `strict_signing_key_usage`:
 * nats-server 2.9 then also refuses users signed by an account's own key — accounts.go
 * `updateAccountClaims` — which would need a signing key per account for nothing gained here.)
 */
import { createHmac } from "node:crypto";
import { UNLIMITED_NO_JETSTREAM, accountJwt, deleteAccountsJwt, operatorJwt, userJwt, type UserScope } from "../lib/nats/claims";
import { credsFile } from "../lib/nats/creds";
import { decodeJwt } from "../lib/nats/jwt";
import { nkeyFromRaw, publicOf, seedOf, type NKeyKind } from "../lib/nats/nkeys";
import type { HubAccount } from "../lib/nats/hub-config";
import { PLATFORM_ACCOUNT_NAME, SYSTEM_ACCOUNT_NAME } from "../model/names";
import type { TenantNatsPlan } from "./nats";

/** A key pair from @pulumi/random's base64 of 32 bytes. */
export const keyPair = (kind: NKeyKind, base64: string) => nkeyFromRaw(kind, Buffer.from(base64, "base64"));

/** Subjects a claims pusher needs: push, delete and list account JWTs, read back what a resolver holds. */
export const CLAIMS_PUSHER_SUBJECTS = [
  "$SYS.REQ.CLAIMS.UPDATE",
  "$SYS.REQ.CLAIMS.DELETE",
  "$SYS.REQ.CLAIMS.LIST",
  "$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE",
  "$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP",
] as const;

/**
 * The system account's scoped signing key for pushes: whatever user it signs gets exactly these
 * permissions (nats-server replaces a scoped user's own), so its seed — the one key the push
 * resources hold — can push account JWTs (which only the operator's signing key can sign) and
 * nothing else.
 */
export function claimsPusherScope(pusherPub: string): UserScope {
  return {
    key: pusherPub,
    role: "claims-pusher",
    description: "short-lived users that push account JWTs to the hub's resolvers",
    permissions: { pub: { allow: [...CLAIMS_PUSHER_SUBJECTS] }, sub: { allow: ["_INBOX.>"] } },
    limits: { subscriptions: 10, data: 16 * 1024 * 1024, payload: 1024 * 1024 },
    allowedConnectionTypes: ["STANDARD"],
  };
}

export interface PlatformNatsIdentities {
  operatorJwt: string;
  systemAccount: HubAccount;
  platformAccount: HubAccount;
  /** Public key of the operator's signing key (it signs every account). */
  operatorSigningKeyPub: string;
  /** Public key of the system account's scoped key for claims pushers. */
  claimsPusherPub: string;
}

export interface PlatformNatsKeys {
  operator: string;
  operatorSigning: string;
  system: string;
  platform: string;
  claimsPusher: string;
}

/** A cell's keys the platform trusts (plan/cells.ts): its operator signing key and its claims pusher. */
export interface TrustedCellKeys {
  operatorSigningKeyPub: string;
  claimsPusherPub: string;
}

/**
 * The operator and the system and platform accounts, from their keys (base64 of 32 random bytes);
 * with cells, the operator also trusts each cell's signing key and the system account each cell's
 * pusher, so a cell signs its own accounts and removing it from the list revokes it alone.
 */
export function platformNatsIdentities(keys: PlatformNatsKeys, settings: { operatorName: string; claimsIssuedAt: number }, cells: readonly TrustedCellKeys[] = []): PlatformNatsIdentities {
  const operatorKp = keyPair("operator", keys.operator);
  const signingKp = keyPair("operator", keys.operatorSigning);
  const systemPub = publicOf(keyPair("account", keys.system));
  const platformPub = publicOf(keyPair("account", keys.platform));
  const pusherPub = publicOf(keyPair("account", keys.claimsPusher));
  const issuedAt = settings.claimsIssuedAt;
  const account = (pub: string, name: string, signingKeys?: UserScope[]): HubAccount => ({
    pub,
    name,
    // Neither carries tenant data: the system account must not, and may not, have JetStream.
    jwt: accountJwt({ account: pub, operator: signingKp, name, limits: UNLIMITED_NO_JETSTREAM, issuedAt, signingKeys }),
  });
  const signingPub = publicOf(signingKp);
  return {
    operatorJwt: operatorJwt({ operator: operatorKp, name: settings.operatorName, systemAccount: systemPub, issuedAt, signingKeys: [signingPub, ...cells.map((c) => c.operatorSigningKeyPub)] }),
    systemAccount: account(systemPub, SYSTEM_ACCOUNT_NAME, [claimsPusherScope(pusherPub), ...cells.map((c) => claimsPusherScope(c.claimsPusherPub))]),
    platformAccount: account(platformPub, PLATFORM_ACCOUNT_NAME),
    operatorSigningKeyPub: signingPub,
    claimsPusherPub: pusherPub,
  };
}

export interface SignedTenantNats {
  account: HubAccount;
  /** The same account with every user revoked and no connection admitted: pushed before a deletion. */
  disablingJwt: string;
  /** The operator-signed request that deletes the account from the resolvers (`$SYS.REQ.CLAIMS.DELETE`). */
  deleteJwt: string;
  /** Each user's creds file, by user id. */
  creds: Record<string, string>;
  /** Each edge location's own account and its users' creds, by location. */
  edgeAccounts: Record<string, { account: HubAccount; creds: Record<string, string> }>;
}

/**
 * The tenant's account JWT (signed by the operator's signing key) and its users' creds (signed by
 * the account). User keys are derived from one random secret per tenant (HMAC by user id and key
 * generation), so adding a collector adds a user without touching the others.
 */
export function signTenantNats(plan: TenantNatsPlan, keys: { operatorSigning: string; account: string; userRoot: string }): SignedTenantNats {
  const accountKp = keyPair("account", keys.account);
  const signingKp = keyPair("operator", keys.operatorSigning);
  const pub = publicOf(accountKp);
  const derive = (kind: "account" | "user", label: string) => nkeyFromRaw(kind, createHmac("sha256", Buffer.from(keys.userRoot, "base64")).update(`${label}${plan.userKeyGeneration}`).digest());
  const userKey = (id: string) => derive("user", `nats-user:${id}`);
  const revocations: Record<string, number> = Object.fromEntries(plan.revokedUsers.map((r) => [publicOf(userKey(r.id)), r.before]));
  if (plan.revokeAllBefore !== undefined) revocations["*"] = plan.revokeAllBefore;
  const claims = { account: pub, operator: signingKp, name: plan.accountName, issuedAt: plan.accountIssuedAt, tags: plan.tags };
  const jwt = accountJwt({ ...claims, limits: plan.limits, revocations });
  // Every user issued so far, a re-onboarded site's later ones included (their `iat` is later by
  // the site's generation, and a revoked site's may be later than the others').
  const lastIssued = Math.max(plan.usersIssuedAt, ...plan.users.map((u) => plan.usersIssuedAt + u.issuedAtOffset), ...plan.revokedUsers.map((r) => r.before));
  // Same iat as every other JWT of the account: the resolver stores it (another jti), none is newer.
  const disablingJwt = accountJwt({ ...claims, limits: plan.push.disabledLimits, revocations: { ...revocations, "*": lastIssued } });
  const deleteJwt = deleteAccountsJwt({ operator: signingKp, accounts: [pub], issuedAt: plan.accountIssuedAt });
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
          limits: user.limits,
          issuedAt: plan.usersIssuedAt + user.issuedAtOffset,
        });
        return [user.id, credsFile(token, seedOf(userKp))];
      }),
    );
  const edgeAccounts: SignedTenantNats["edgeAccounts"] = {};
  for (const edge of plan.edgeAccounts) {
    // Derived from the tenant's user secret: a location's account needs no key of its own in state.
    // Signed like every account by the operator's signing key (its leaf trusts the operator JWT,
    // which lists that key); the hub never hears of it.
    const edgeKp = derive("account", `nats-edge-account:${edge.keyLabel}`);
    const edgePub = publicOf(edgeKp);
    edgeAccounts[edge.location] = {
      account: { pub: edgePub, name: edge.accountName, jwt: accountJwt({ account: edgePub, operator: signingKp, name: edge.accountName, limits: edge.limits, issuedAt: plan.accountIssuedAt, tags: plan.tags }) },
      creds: sign(edge.users, edgeKp, (id) => derive("user", `nats-edge-user:${edge.keyLabel}:${id}`)),
    };
  }
  return { account: { pub, name: plan.accountName, jwt }, disablingJwt, deleteJwt, creds: sign(plan.users, accountKp, userKey), edgeAccounts };
}

/** The seed a claims pusher signs its short-lived users with ("SA…"), from its key's random bytes. */
export const claimsPusherSeed = (base64: string) => seedOf(keyPair("account", base64));

/**
 * An account JWT's claims as a reviewer reads them in a preview or a render diff (limits, tiers,
 * revocations, tags), next to the token itself.
 */
export function reviewedClaims(jwt: string): Record<string, unknown> {
  const { claims } = decodeJwt(jwt);
  const nats = claims.nats as Record<string, unknown>;
  return { jti: claims.jti, iat: claims.iat, issuer: claims.iss, limits: nats.limits, revocations: nats.revocations ?? {}, tags: nats.tags ?? [] };
}
