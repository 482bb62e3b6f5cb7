/**
 * NATS identities: the operator and platform accounts (Platform), a tenant's account and users
 * (Tenant), and the hub's account configuration (NatsHubConfig). Key material is @pulumi/random
 * bytes turned into nkeys, so it is stable across runs and secret in state; JWTs are built and
 * signed here with fixed claims, so unchanged inputs give byte-identical tokens.
 */
import { createHmac } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import {
  UNLIMITED_NO_JETSTREAM,
  accountJwt,
  credsFile,
  hubConfigFragment,
  nkeyFromRaw,
  operatorJwt,
  publicOf,
  seedOf,
  userJwt,
  type HubAccount,
  type NKeyKind,
} from "../lib/nats-jwt";
import { CREDS_KEY, accountName, revokedUserIds, revokeAllBefore, userIssuedAt, tenantAccountLimits, tenantUsers, type NatsUserPlan, type TenantAccountLimits } from "../plan/nats";
import type { TenantModel } from "../model/model";
import { NATS_CHART_REPO, natsHubChartValues } from "../plan/hub-chart";
import { HUB_TLS_SECRET } from "../plan/pki";
import { componentLabels } from "../model/names";
import type { NatsSettings } from "../config/settings";
import type { ChildOptions } from "./namespaces";

/** 32 random bytes kept in state (secret); `protect` where losing them would orphan data. */
function keyBytes(name: string, parent: pulumi.Resource, protect: boolean): random.RandomBytes {
  return new random.RandomBytes(name, { length: 32 }, { parent, protect });
}

const keyPair = (kind: NKeyKind, base64: string) => nkeyFromRaw(kind, Buffer.from(base64, "base64"));

/** What tenants need from the platform's NATS identities. */
export interface PlatformNats {
  /** Secret: the operator's random bytes (base64), to sign tenant accounts. */
  operatorKey: pulumi.Output<string>;
  /** The system and platform accounts, for the hub configuration. */
  accounts: pulumi.Output<HubAccount[]>;
  operatorJwt: pulumi.Output<string>;
  systemAccountPub: pulumi.Output<string>;
  settings: NatsSettings;
}

export function declarePlatformNats(parent: pulumi.Resource, name: string, settings: NatsSettings): PlatformNats {
  // Replacing these would re-key every account: protected, like the data that hangs off them.
  const operator = keyBytes(`${name}-nats-operator-key`, parent, true);
  const system = keyBytes(`${name}-nats-system-account-key`, parent, true);
  const platformAccount = keyBytes(`${name}-nats-platform-account-key`, parent, true);
  const identities = pulumi.all([operator.base64, system.base64, platformAccount.base64]).apply(([op, sys, plat]) => {
    const operatorKp = keyPair("operator", op);
    const systemPub = publicOf(keyPair("account", sys));
    const platformPub = publicOf(keyPair("account", plat));
    const issuedAt = settings.claimsIssuedAt;
    return {
      operatorJwt: operatorJwt({ operator: operatorKp, name: settings.operatorName, systemAccount: systemPub, issuedAt }),
      systemAccountPub: systemPub,
      accounts: [
        // The system account carries the server's own traffic; it never gets JetStream.
        { pub: systemPub, name: "SYS", jwt: accountJwt({ account: systemPub, operator: operatorKp, name: "SYS", limits: UNLIMITED_NO_JETSTREAM, issuedAt }) },
        { pub: platformPub, name: "PLATFORM", jwt: accountJwt({ account: platformPub, operator: operatorKp, name: "PLATFORM", limits: UNLIMITED_NO_JETSTREAM, issuedAt }) },
      ],
    };
  });
  // JWTs are signed public claims: only the keys behind them are secret.
  return {
    operatorKey: pulumi.secret(operator.base64),
    accounts: pulumi.unsecret(identities.accounts),
    operatorJwt: pulumi.unsecret(identities.operatorJwt),
    systemAccountPub: pulumi.unsecret(identities.systemAccountPub),
    settings,
  };
}

export interface TenantNats {
  account: pulumi.Output<HubAccount>;
  users: {
    plan: NatsUserPlan;
    secret: k8s.core.v1.Secret;
    /** Secret: the user's creds file. */
    creds: pulumi.Output<string>;
  }[];
}

/**
 * The tenant's account (limits from the plan, no exports or imports) and its users, each with a
 * creds Secret in the namespace where it is used. User keys are derived from one random secret per
 * tenant (HMAC by user id), so adding a collector adds a user without touching the others.
 */
export function declareTenantNats(
  parent: pulumi.Resource,
  tenant: TenantModel,
  platform: PlatformNats,
  platformNamespace: pulumi.Input<string>,
  edge: (ChildOptions & { namespace: pulumi.Input<string> }) | undefined,
  protect: boolean,
): TenantNats {
  const slug = tenant.slug;
  // The account key is the account's identity: JetStream stores the tenant's streams under it.
  const accountKey = keyBytes(`${slug}/nats-account-key`, parent, protect);
  const userSecret = keyBytes(`${slug}/nats-user-keys`, parent, false);
  const limits = tenantAccountLimits(tenant);
  const users = tenantUsers(tenant);
  const issuedAt = platform.settings.claimsIssuedAt;

  const signed = pulumi.all([platform.operatorKey, accountKey.base64, userSecret.base64]).apply(([op, acc, userRoot]) => {
    const accountKp = keyPair("account", acc);
    const pub = publicOf(accountKp);
    // A credentials rotation is a new generation of keys (and a later iat, see userIssuedAt).
    const generation = tenant.credentialsRotation === 0 ? "" : `:g${tenant.credentialsRotation}`;
    const userKey = (id: string) => nkeyFromRaw("user", createHmac("sha256", Buffer.from(userRoot, "base64")).update(`nats-user:${id}${generation}`).digest());
    const usersIssuedAt = userIssuedAt(tenant, issuedAt);
    const revocations: Record<string, number> = Object.fromEntries(revokedUserIds(tenant).map((id) => [publicOf(userKey(id)), usersIssuedAt]));
    const all = revokeAllBefore(tenant, issuedAt);
    if (all !== undefined) revocations["*"] = all;
    const jwt = accountJwt({ account: pub, operator: keyPair("operator", op), name: accountName(slug), limits, issuedAt, tags: [`tenant:${slug}`], revocations });
    const creds = users.map((user) => {
      const userKp = userKey(user.id);
      const token = userJwt({
        user: publicOf(userKp),
        account: accountKp,
        name: `${slug}-${user.id}`,
        permissions: user.permissions,
        allowedConnectionTypes: user.allowedConnectionTypes,
        issuedAt: usersIssuedAt,
      });
      return credsFile(token, seedOf(userKp));
    });
    return { account: { pub, name: accountName(slug), jwt }, creds };
  });

  const labels = componentLabels(slug, "nats-credentials");
  const secrets = users.map((user, i) => {
    const creds = pulumi.secret(signed.creds.apply((c) => c[i]));
    // Edge users exist only when the tenant has an edge (lib/nats-plan.ts `tenantUsers`).
    const inEdge = user.namespace === "edge";
    return {
      plan: user,
      creds,
      secret: new k8s.core.v1.Secret(
        `${slug}/${user.secretName}`,
        {
          metadata: { name: user.secretName, namespace: inEdge ? edge!.namespace : platformNamespace, labels: { ...labels, "tenancy.serviceradar.io/nats-user": user.role } },
          type: "Opaque",
          stringData: { [CREDS_KEY]: creds },
        },
        inEdge ? { parent, provider: edge!.provider } : { parent },
      ),
    };
  });
  return { account: pulumi.unsecret(signed.account), users: secrets };
}

export interface NatsHubConfigArgs {
  /** The platform's operator and accounts (`Platform.context.nats`). */
  platform: PlatformNats;
  /** Namespace of the hub. */
  namespace: pulumi.Input<string>;
  /** Every tenant's account. */
  accounts: pulumi.Input<HubAccount>[];
  /** The hub's client and leaf ports (for the optional Helm chart). */
  ports: { client: number; leaf: number };
  /** Every tenant's account limits, to size the optional Helm chart's server. */
  tenantLimits: TenantAccountLimits[];
}

export const HUB_ACCOUNTS_CONFIGMAP = "nats-hub-accounts";
export const HUB_ACCOUNTS_KEY = "accounts.conf";

/**
 * The include-able hub fragment: operator, system account, MEMORY resolver and a preload of every
 * account JWT. A ConfigMap, not a Secret: JWTs are signed public claims.
 */
export class NatsHubConfig extends pulumi.ComponentResource {
  public readonly fragment: pulumi.Output<string>;
  public readonly configMap: k8s.core.v1.ConfigMap;

  constructor(name: string, args: NatsHubConfigArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:index:NatsHubConfig", name, {}, opts);
    this.fragment = pulumi
      .all([args.platform.operatorJwt, args.platform.systemAccountPub, args.platform.accounts, pulumi.all(args.accounts)])
      .apply(([operatorJwt, systemAccountPub, platformAccounts, tenantAccounts]) =>
        hubConfigFragment({ operatorJwt, systemAccountPub, accounts: [...platformAccounts, ...tenantAccounts] }),
      );
    this.configMap = new k8s.core.v1.ConfigMap(
      `${name}-accounts`,
      {
        metadata: { name: HUB_ACCOUNTS_CONFIGMAP, namespace: args.namespace, labels: componentLabels(undefined, "nats-hub") },
        data: { [HUB_ACCOUNTS_KEY]: this.fragment },
      },
      { parent: this },
    );
    if (args.platform.settings.deployHub) {
      new k8s.helm.v3.Release(
        `${name}-chart`,
        {
          name: "nats",
          chart: "nats",
          version: args.platform.settings.hubChartVersion,
          repositoryOpts: { repo: NATS_CHART_REPO },
          namespace: args.namespace,
          values: natsHubChartValues({
            settings: args.platform.settings,
            clientPort: args.ports.client,
            leafPort: args.ports.leaf,
            accountsConfigMap: HUB_ACCOUNTS_CONFIGMAP,
            accountsKey: HUB_ACCOUNTS_KEY,
            tlsSecret: HUB_TLS_SECRET,
            tenants: args.tenantLimits,
          }),
        },
        // The server must find its accounts file when it starts.
        { parent: this, dependsOn: [this.configMap] },
      );
    }
    this.registerOutputs({ fragmentBytes: this.fragment.apply((f) => Buffer.byteLength(f)) });
  }
}
