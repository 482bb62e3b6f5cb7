/**
 * Pushing account JWTs to a hub whose servers run the `full` (NATS-based) account resolver, as
 * nats-server 2.9.10 answers it (server/accounts.go `DirAccResolver.Start`, `respondToUpdate`,
 * `handleDeleteRequest`):
 *
 *   - `$SYS.REQ.CLAIMS.UPDATE` with the JWT as the body (no headers: 2.9.10 cannot decode an update
 *     that has them): every full resolver of the cluster replies `{"data":{"code":200,…}}` or
 *     `{"error":{"code":500,"description":…}}`;
 *   - a resolver that already holds a JWT with a later `iat` answers 200 and keeps its own, so a
 *     push is checked by reading the JWT back: `$SYS.REQ.ACCOUNT.<id>.CLAIMS.LOOKUP`, which every
 *     resolver holding the account answers with the JWT it stores;
 *   - `$SYS.REQ.CLAIMS.DELETE` with an operator-signed generic JWT listing the accounts.
 *
 * The pusher connects as a short-lived system-account user that it signs itself with the system
 * account's scoped signing key for pushes (plan/nats-credentials.ts `claimsPusherScope`): the
 * server gives that user exactly the claims subjects, and its JWT expires minutes after the push.
 * This file is what the push resources run (components/account-push.ts) and what the tests run.
 */
import { createUser } from "nkeys.js";
import { connect, createInbox, jwtAuthenticator, type NatsConnection } from "nats";
import { decodeJwt } from "./jwt";
import { userJwt } from "./claims";
import { keyPairFromSeed, publicOf, seedOf, type KeyPair } from "./nkeys";

const te = new TextEncoder();
const td = new TextDecoder();

/** Where the hub is and what a push must hear from it. */
export interface PushTarget {
  /** The hub's client URLs (`tls://…`). */
  servers: string[];
  /** The hub CA's certificate, and the name the hub's certificate is checked against. */
  tls?: { caPem: string; serverName?: string };
  /** Full resolvers that must each answer (the hub's servers). */
  expectedResolvers: number;
  /** How long to wait for every answer. */
  timeoutMs: number;
}

/** The system account and its scoped signing key for pushes (seed "SA…"). */
export interface PusherIdentity {
  systemAccount: string;
  signingKeySeed: string;
}

/** One resolver's answer. */
export interface ResolverReply {
  server: string;
  ok: boolean;
  message: string;
}

export class PushError extends Error {
  constructor(message: string, readonly replies: ResolverReply[] = []) {
    super(message);
    this.name = "PushError";
  }
}

/**
 * A system-account user that can do nothing but the claims requests, valid for `lifetimeSeconds`:
 * signed by the scoped key, so the server applies the scope's permissions and limits to it.
 */
export function pusherCredentials(pusher: PusherIdentity, now: Date, lifetimeSeconds: number): { jwt: string; user: KeyPair } {
  const signer = fromAccountSeed(pusher.signingKeySeed);
  const user = createUser();
  const iat = Math.floor(now.getTime() / 1000);
  const jwt = userJwt({
    user: publicOf(user),
    account: signer,
    issuerAccount: pusher.systemAccount,
    name: "claims-pusher",
    // A scoped user carries no permissions or limits of its own: the scope's apply.
    permissions: {},
    scoped: true,
    issuedAt: iat,
    expiresAt: iat + lifetimeSeconds,
  });
  return { jwt, user };
}

function fromAccountSeed(seed: string): KeyPair {
  const kp = keyPairFromSeed(seed);
  if (!publicOf(kp).startsWith("A")) throw new PushError("the pusher's signing key is not an account key (a seed starting with SA)");
  return kp;
}

/** Connects as a fresh pusher, runs `fn`, and closes. */
export async function withPusher<T>(target: PushTarget, pusher: PusherIdentity, fn: (nc: NatsConnection) => Promise<T>, now = new Date()): Promise<T> {
  const lifetime = Math.max(60, Math.ceil((target.timeoutMs * 4) / 1000));
  const creds = pusherCredentials(pusher, now, lifetime);
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: target.servers,
      authenticator: jwtAuthenticator(creds.jwt, te.encode(seedOf(creds.user))),
      ...(target.tls ? { tls: { ca: target.tls.caPem, ...(target.tls.serverName ? { servername: target.tls.serverName } : {}) } } : {}),
      timeout: target.timeoutMs,
      maxReconnectAttempts: 0,
      name: "tenancy claims pusher",
    });
  } catch (err) {
    throw new PushError(`cannot reach the hub at ${target.servers.join(", ")} to push account claims: ${(err as Error).message}`);
  }
  try {
    return await fn(nc);
  } finally {
    await nc.close();
  }
}

/** Sends `body` to `subject` and gathers up to `expected` replies within the timeout. */
async function gather(nc: NatsConnection, subject: string, body: Uint8Array, expected: number, timeoutMs: number): Promise<Uint8Array[]> {
  const inbox = createInbox();
  const sub = nc.subscribe(inbox, { max: expected });
  const replies: Uint8Array[] = [];
  const timer = setTimeout(() => sub.unsubscribe(), timeoutMs);
  nc.publish(subject, body, { reply: inbox });
  for await (const m of sub) replies.push(m.data);
  clearTimeout(timer);
  return replies;
}

function parseUpdateReply(data: Uint8Array): ResolverReply {
  try {
    const r = JSON.parse(td.decode(data)) as { server?: { name?: string; id?: string }; data?: { code?: number; message?: string }; error?: { code?: number; description?: string } };
    const server = r.server?.name || r.server?.id || "?";
    if (r.error) return { server, ok: false, message: r.error.description ?? `error ${r.error.code}` };
    return { server, ok: r.data?.code === 200, message: r.data?.message ?? "" };
  } catch {
    return { server: "?", ok: false, message: `unreadable reply ${JSON.stringify(td.decode(data).slice(0, 200))}` };
  }
}

const describe = (replies: ResolverReply[]) => replies.map((r) => `${r.server}: ${r.ok ? "" : "FAILED "}${r.message}`).join("; ");

export interface PushResult {
  /** Every resolver's answer to the update. */
  replies: ResolverReply[];
  /** The `jti` every resolver holds afterwards (the pushed one). */
  jti: string;
}

/**
 * Pushes one account JWT and checks that every resolver stored exactly it: all `expectedResolvers`
 * answered 200, and all hold it when asked. Throws a PushError with the servers' messages otherwise.
 */
export async function pushAccount(nc: NatsConnection, jwt: string, target: PushTarget): Promise<PushResult> {
  const claims = decodeJwt(jwt).claims;
  const account = claims.sub;
  const replies = (await gather(nc, "$SYS.REQ.CLAIMS.UPDATE", te.encode(jwt), target.expectedResolvers, target.timeoutMs)).map(parseUpdateReply);
  const failed = replies.filter((r) => !r.ok);
  if (failed.length > 0) throw new PushError(`the hub refused account ${claims.name} (${account}): ${describe(failed)}`, replies);
  if (replies.length < target.expectedResolvers) {
    throw new PushError(`only ${replies.length} of ${target.expectedResolvers} resolvers acknowledged account ${claims.name} (${account}) within ${target.timeoutMs} ms: ${describe(replies) || "no answer"}`, replies);
  }
  const held = await lookupAccount(nc, account, target);
  const stale = held.filter((h) => h !== jwt.trim());
  if (held.length < target.expectedResolvers || stale.length > 0) {
    const other = stale.map((h) => {
      const c = decodeJwt(h).claims;
      return `jti ${c.jti} iat ${c.iat}`;
    });
    throw new PushError(
      `${held.length - stale.length} of ${target.expectedResolvers} resolvers hold the pushed JWT of account ${claims.name} (jti ${claims.jti}, iat ${claims.iat})` +
        (other.length ? `; others hold ${other.join(", ")} — a JWT with a later iat was pushed by someone else, which the resolver keeps` : ""),
      replies,
    );
  }
  return { replies, jti: String(claims.jti) };
}

/** The JWT each resolver holds for `account` (resolvers without it do not answer). */
export async function lookupAccount(nc: NatsConnection, account: string, target: PushTarget): Promise<string[]> {
  const replies = await gather(nc, `$SYS.REQ.ACCOUNT.${account}.CLAIMS.LOOKUP`, new Uint8Array(0), target.expectedResolvers, target.timeoutMs);
  return replies.map((r) => td.decode(r).trim());
}

/**
 * Removes an account in the safe order: push its disabling JWT (every user revoked, no connection
 * admitted) so a resolver that misses the delete hands back a dead account, then, when the hub
 * allows deletes, the delete request. Resolvers answer the delete each for themselves.
 */
export async function removeAccount(nc: NatsConnection, args: { disablingJwt: string; deleteJwt?: string }, target: PushTarget): Promise<ResolverReply[]> {
  await pushAccount(nc, args.disablingJwt, target);
  if (!args.deleteJwt) return [];
  const replies = (await gather(nc, "$SYS.REQ.CLAIMS.DELETE", te.encode(args.deleteJwt), target.expectedResolvers, target.timeoutMs)).map(parseUpdateReply);
  const failed = replies.filter((r) => !r.ok);
  if (failed.length > 0 || replies.length < target.expectedResolvers) {
    throw new PushError(`deleting account ${decodeJwt(args.disablingJwt).claims.name} from the resolvers: ${describe(replies) || "no answer"}`, replies);
  }
  return replies;
}

/** Account ids every resolver knows (`$SYS.REQ.CLAIMS.LIST`), per resolver. */
export async function listAccounts(nc: NatsConnection, target: PushTarget): Promise<string[][]> {
  const replies = await gather(nc, "$SYS.REQ.CLAIMS.LIST", new Uint8Array(0), target.expectedResolvers, target.timeoutMs);
  return replies.map((r) => (JSON.parse(td.decode(r)) as { data?: string[] }).data ?? []);
}
