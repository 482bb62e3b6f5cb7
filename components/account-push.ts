/**
 * A tenant's account JWT on the hub, as a resource of its own: a Pulumi dynamic provider that pushes
 * the JWT to every full resolver of the hub on create and update (lib/nats/push.ts: every resolver
 * must acknowledge it and hold it), and on delete pushes the disabling JWT, then deletes the account
 * when the hub allows deletes.
 *
 * Why a dynamic provider: the push is part of `pulumi up` itself — a failed or partial push fails
 * the update with the servers' messages, the preview shows the claims that change, a refresh reads
 * back what the hub holds, and deleting the resource is the safe removal. It needs no plugin and no
 * image: the provider is this repository's own push code, serialized by Pulumi. Its only secret is
 * the system account's scoped signing key for pushes, which can sign nothing but short-lived users
 * limited to the claims subjects; account JWTs arrive signed (by the operator's signing key).
 */
import * as pulumi from "@pulumi/pulumi";
import type { ResolverReply } from "../lib/nats/push";

/** Where and how to push (public), and who pushes (the seed is secret). */
export interface AccountPushInputs {
  /** The account's public key; a new key is a new account (replacement). */
  account: string;
  name: string;
  /** The account JWT, and its claims decoded for whoever reviews the preview. */
  jwt: string;
  claims: Record<string, unknown>;
  /** Pushed before a deletion (every user revoked), then the delete request (when deletes are allowed). */
  disablingJwt: string;
  deleteJwt?: string;
  target: { servers: string[]; tlsCaPem?: string; tlsServerName?: string; expectedResolvers: number; timeoutMs: number };
  pusher: { systemAccount: string; signingKeySeed: string };
}

export interface AccountPushOutputs extends AccountPushInputs {
  /** The jti every resolver holds. */
  jti: string;
  /** How many resolvers acknowledged the last push. */
  resolvers: number;
}

const targetOf = (p: AccountPushInputs) => ({
  servers: p.target.servers,
  ...(p.target.tlsCaPem ? { tls: { caPem: p.target.tlsCaPem, ...(p.target.tlsServerName ? { serverName: p.target.tlsServerName } : {}) } } : {}),
  expectedResolvers: p.target.expectedResolvers,
  timeoutMs: p.target.timeoutMs,
});

/**
 * lib/nats/push.ts, loaded when the provider runs. Pulumi serializes the provider's code and runs it
 * in its dynamic provider host, started in the project directory (it finds @pulumi/pulumi there)
 * without a TypeScript loader: the push code is loaded from the checkout through tsx, as the
 * program itself is. Loading it rather than capturing it keeps the serialized provider small.
 */
function pushModule(): typeof import("../lib/nats/push") {
  const path = require("node:path") as typeof import("node:path");
  const { require: load } = require("tsx/cjs/api") as { require: (id: string, from: string) => typeof import("../lib/nats/push") };
  return load(path.resolve("lib/nats/push.ts"), path.resolve("index.ts"));
}

async function push(p: AccountPushInputs): Promise<{ jti: string; replies: ResolverReply[] }> {
  const { pushAccount, withPusher } = pushModule();
  const target = targetOf(p);
  return withPusher(target, p.pusher, (nc) => pushAccount(nc, p.jwt, target));
}

/** The provider Pulumi serializes and runs: every method talks to the hub through lib/nats/push.ts. */
export const accountPushProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: AccountPushOutputs, news: AccountPushInputs): Promise<pulumi.dynamic.DiffResult> {
    const replaces = olds.account !== news.account ? ["account"] : [];
    // What the resource is: the provider's own code (`__provider`) and the outputs are not.
    const essence = (p: Partial<AccountPushOutputs> & { __provider?: unknown }) => JSON.stringify({ ...p, __provider: undefined, jti: undefined, resolvers: undefined });
    const changed = essence(olds) !== essence(news);
    // Replacing means a new account: delete the old one only after the new one is pushed.
    return { changes: changed || replaces.length > 0, replaces, deleteBeforeReplace: false };
  },
  async create(inputs: AccountPushInputs): Promise<pulumi.dynamic.CreateResult> {
    const result = await push(inputs);
    return { id: inputs.account, outs: { ...inputs, jti: result.jti, resolvers: result.replies.length } };
  },
  async update(_id: string, olds: AccountPushOutputs, news: AccountPushInputs): Promise<pulumi.dynamic.UpdateResult> {
    // Only a changed JWT is pushed; a changed address or pusher is only remembered.
    if (olds.jwt === news.jwt) return { outs: { ...news, jti: olds.jti, resolvers: olds.resolvers } };
    const result = await push(news);
    return { outs: { ...news, jti: result.jti, resolvers: result.replies.length } };
  },
  async read(id: string, props: AccountPushOutputs): Promise<pulumi.dynamic.ReadResult> {
    // A refresh shows what the hub holds: a resolver that lost the account (or holds another JWT)
    // is drift, and the next update pushes again.
    const { lookupAccount, withPusher } = pushModule();
    const target = targetOf(props);
    const held = await withPusher(target, props.pusher, (nc) => lookupAccount(nc, props.account, target));
    const same = held.length === target.expectedResolvers && held.every((h) => h === held[0]);
    return { id, props: { ...props, jwt: same ? held[0] : `[${held.length} of ${target.expectedResolvers} resolvers hold this account${same ? "" : ", not all the same JWT"}]`, resolvers: held.length } };
  },
  async delete(_id: string, props: AccountPushOutputs): Promise<void> {
    const { removeAccount, withPusher } = pushModule();
    const target = targetOf(props);
    await withPusher(target, props.pusher, (nc) => removeAccount(nc, { disablingJwt: props.disablingJwt, deleteJwt: props.deleteJwt }, target));
  },
};

/** Declares the push of one account; `additionalSecretOutputs` keeps the pusher's seed secret in outputs too. */
export class AccountPush extends pulumi.dynamic.Resource {
  public readonly jti!: pulumi.Output<string>;
  public readonly resolvers!: pulumi.Output<number>;

  constructor(name: string, args: { [K in keyof AccountPushInputs]: pulumi.Input<AccountPushInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
    super(accountPushProvider, name, { ...args, jti: undefined, resolvers: undefined }, { ...opts, additionalSecretOutputs: ["pusher"] });
  }
}
