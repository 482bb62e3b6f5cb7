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
import { platformNatsIdentities, signTenantNats } from "../plan/nats-credentials";
import type { PlatformPlan } from "../plan/platform";
import type { ChildOptions } from "./namespaces";

/** 32 random bytes kept in state (secret); `protect` where losing them would orphan data. */
function keyBytes(name: string, parent: pulumi.Resource, protect: boolean): random.RandomBytes {
  return new random.RandomBytes(name, { length: 32 }, { parent, protect });
}

/** What tenants need from the platform's NATS identities. */
export interface PlatformNats {
  /** Secret: the operator's random bytes (base64), to sign tenant accounts. */
  operatorKey: pulumi.Output<string>;
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
  const system = keyBytes(plan.systemAccountKey, parent, true);
  const platformAccount = keyBytes(plan.platformAccountKey, parent, true);
  const identities = pulumi
    .all([operator.base64, system.base64, platformAccount.base64])
    .apply(([op, sys, plat]) => platformNatsIdentities({ operator: op, system: sys, platform: plat }, plan.settings));
  // JWTs are signed public claims: only the keys behind them are secret.
  return {
    operatorKey: pulumi.secret(operator.base64),
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
  /** Users of the tenant account, by user id. */
  users: Record<string, NatsUserCreds>;
  /** Each edge location's own account (public) and its users, by location. */
  edgeAccounts: Record<string, { account: pulumi.Output<HubAccount>; users: Record<string, NatsUserCreds> }>;
}

/** The tenant's account and its users, each with a creds Secret in the namespace where it is used. */
export function declareTenantNats(
  parent: pulumi.Resource,
  plan: TenantNatsPlan,
  platform: PlatformNats,
  platformNamespace: pulumi.Input<string>,
  edge: (ChildOptions & { namespace: pulumi.Input<string> }) | undefined,
): TenantNats {
  const accountKey = keyBytes(plan.accountKey.logicalName, parent, plan.accountKey.protect);
  const userKeys = keyBytes(plan.userKeys.logicalName, parent, false);
  const signed = pulumi
    .all([platform.operatorKey, accountKey.base64, userKeys.base64])
    .apply(([operator, account, userRoot]) => signTenantNats(plan, { operator, account, userRoot }));
  const declareUsers = (list: TenantNatsPlan["users"], credsOf: (id: string) => pulumi.Output<string>): Record<string, NatsUserCreds> => {
    const users: Record<string, NatsUserCreds> = {};
    for (const user of list) {
      const creds = pulumi.secret(credsOf(user.id));
      if (!user.secret) {
        users[user.id] = { creds };
        continue;
      }
      // Edge users exist only when the tenant has an edge (plan/nats.ts `tenantUsers`).
      const where = user.namespace === "edge" ? edge : undefined;
      if (user.namespace === "edge" && !where) throw new Error(`NATS user ${user.id}: its creds belong in an edge namespace, and the tenant has none`);
      users[user.id] = {
        creds,
        secret: new k8s.core.v1.Secret(
          user.secret.logicalName,
          {
            metadata: { name: user.secret.name, namespace: where ? where.namespace : platformNamespace, labels: user.secret.labels },
            type: "Opaque",
            stringData: { [CREDS_KEY]: creds },
          },
          where ? { parent, provider: where.provider } : { parent },
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
  return { account: pulumi.unsecret(signed.account), users: declareUsers(plan.users, (id) => signed.creds.apply((c) => c[id]!)), edgeAccounts };
}
