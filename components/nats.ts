/**
 * Declares NATS identities: the operator and platform accounts (Platform) and a tenant's account
 * and users (Tenant). Key material is @pulumi/random bytes, so it is stable across runs and secret
 * in state; plan/nats-credentials.ts turns it into signed JWTs and creds files.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import type { HubAccount } from "../lib/nats/hub-config";
import { CREDS_KEY } from "../model/names";
import type { NatsSettings } from "../config/settings";
import type { TenantNatsPlan } from "../plan/nats";
import { claimsPusherSeed, platformNatsIdentities, reviewedClaims, signTenantNats } from "../plan/nats-credentials";
import { AccountPush } from "./account-push";
import type { PlatformPlan } from "../plan/platform";

/** 32 random bytes kept in state (secret); `protect` where losing them would orphan data. */
export function keyBytes(name: string, parent: pulumi.Resource, protect: boolean): random.RandomBytes {
  return new random.RandomBytes(name, { length: 32 }, { parent, protect });
}

/** What tenants need from the platform's NATS identities. */
export interface PlatformNats {
  /** Secret: the operator signing key's random bytes (base64), which sign every account. */
  operatorSigningKey: pulumi.Output<string>;
  /** Who pushes account JWTs: the system account and (secret) its scoped signing key's seed. */
  claimsPusher: { systemAccount: pulumi.Output<string>; signingKeySeed: pulumi.Output<string> };
  /** The system and platform accounts, for the hub configuration. */
  accounts: pulumi.Output<HubAccount[]>;
  /** The system account alone (a leaf node runs it beside its tenant's). */
  systemAccount: pulumi.Output<HubAccount>;
  operatorJwt: pulumi.Output<string>;
  systemAccountPub: pulumi.Output<string>;
  settings: NatsSettings;
}

export function declarePlatformNats(parent: pulumi.Resource, plan: PlatformPlan["nats"]): PlatformNats {
  // Replacing these would re-key every account: protected, like the data that hangs off them.
  const operator = keyBytes(plan.operatorKey, parent, true);
  const operatorSigning = keyBytes(plan.operatorSigningKey, parent, true);
  const system = keyBytes(plan.systemAccountKey, parent, true);
  const platformAccount = keyBytes(plan.platformAccountKey, parent, true);
  // Replacing it only means the next pushes sign their users with the new one.
  const claimsPusher = keyBytes(plan.claimsPusherKey, parent, false);
  const identities = pulumi
    .all([operator.base64, operatorSigning.base64, system.base64, platformAccount.base64, claimsPusher.base64])
    .apply(([op, signing, sys, plat, pusher]) => platformNatsIdentities({ operator: op, operatorSigning: signing, system: sys, platform: plat, claimsPusher: pusher }, plan.settings, plan.cells));
  // JWTs are signed public claims: only the keys behind them are secret. The operator's identity
  // key stays here: nothing outside this function signs with it.
  return {
    operatorSigningKey: pulumi.secret(operatorSigning.base64),
    claimsPusher: { systemAccount: pulumi.unsecret(identities.systemAccount.pub), signingKeySeed: pulumi.secret(claimsPusher.base64.apply(claimsPusherSeed)) },
    accounts: pulumi.unsecret(identities.apply((i) => [i.systemAccount, i.platformAccount])),
    systemAccount: pulumi.unsecret(identities.systemAccount),
    operatorJwt: pulumi.unsecret(identities.operatorJwt),
    systemAccountPub: pulumi.unsecret(identities.systemAccount.pub),
    settings: plan.settings,
  };
}

export interface NatsUserCreds {
  /** Its creds Secret (none for a site's users: their creds travel in the site's bundles only). */
  secret?: k8s.core.v1.Secret;
  /** Secret: the user's creds file. */
  creds: pulumi.Output<string>;
}

export interface TenantNats {
  account: pulumi.Output<HubAccount>;
  /** The account's JWT on every resolver of the hub. */
  push: AccountPush;
  /** Users of the tenant account, by user id. */
  users: Record<string, NatsUserCreds>;
  /** Each edge location's own account (public) and its users, by location: never pushed to the hub. */
  edgeAccounts: Record<string, { account: pulumi.Output<HubAccount>; users: Record<string, NatsUserCreds> }>;
}

/**
 * The tenant's account and its users; the platform's users of the account (reader, manager) get a
 * creds Secret in the platform namespace, an edge user's creds go into its workload's one Secret
 * (components/edge.ts) or its site's bundles.
 */
export function declareTenantNats(
  parent: pulumi.Resource,
  plan: TenantNatsPlan,
  platform: PlatformNats,
  platformNamespace: pulumi.Input<string>,
  hubCaCertPem: pulumi.Input<string>,
): TenantNats {
  const accountKey = keyBytes(plan.accountKey.logicalName, parent, plan.accountKey.protect);
  const userKeys = keyBytes(plan.userKeys.logicalName, parent, false);
  const signed = pulumi
    .all([platform.operatorSigningKey, accountKey.base64, userKeys.base64])
    .apply(([operatorSigning, account, userRoot]) => signTenantNats(plan, { operatorSigning, account, userRoot }));
  const account = pulumi.unsecret(signed.account);
  const push = new AccountPush(
    plan.push.logicalName,
    {
      account: account.pub,
      name: plan.accountName,
      jwt: account.jwt,
      claims: account.jwt.apply(reviewedClaims),
      disablingJwt: pulumi.unsecret(signed.disablingJwt),
      ...(plan.push.deleteOnRemoval ? { deleteJwt: pulumi.unsecret(signed.deleteJwt) } : {}),
      target: pulumi.output(hubCaCertPem).apply((tlsCaPem) => ({ servers: plan.push.servers, tlsCaPem, tlsServerName: plan.push.tlsServerName, expectedResolvers: plan.push.expectedResolvers, timeoutMs: plan.push.timeoutMs })),
      pusher: pulumi.secret(pulumi.all([platform.claimsPusher.systemAccount, platform.claimsPusher.signingKeySeed]).apply(([systemAccount, signingKeySeed]) => ({ systemAccount, signingKeySeed }))),
    },
    { parent },
  );
  const declareUsers = (list: TenantNatsPlan["users"], credsOf: (id: string) => pulumi.Output<string>): Record<string, NatsUserCreds> => {
    const users: Record<string, NatsUserCreds> = {};
    for (const user of list) {
      const creds = pulumi.secret(credsOf(user.id));
      if (!user.secret) {
        users[user.id] = { creds };
        continue;
      }
      users[user.id] = {
        creds,
        secret: new k8s.core.v1.Secret(
          user.secret.logicalName,
          {
            metadata: { name: user.secret.name, namespace: platformNamespace, labels: user.secret.labels },
            type: "Opaque",
            stringData: { [CREDS_KEY]: creds },
          },
          { parent },
        ),
      };
    }
    return users;
  };
  const edgeAccounts: TenantNats["edgeAccounts"] = {};
  for (const a of plan.edgeAccounts) {
    edgeAccounts[a.location] = {
      account: pulumi.unsecret(signed.edgeAccounts.apply((e) => e[a.location]!.account)),
      users: declareUsers(a.users, (id) => signed.edgeAccounts.apply((e) => e[a.location]!.creds[id]!)),
    };
  }
  return { account, push, users: declareUsers(plan.users, (id) => signed.creds.apply((c) => c[id]!)), edgeAccounts };
}
