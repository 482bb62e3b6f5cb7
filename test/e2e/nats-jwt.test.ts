/**
 * lib/nats/ against a real nats-server (Debian's 2.9.10): the operator, accounts and users it
 * signs (test/support/nats-jwt-fixtures.ts) are loaded through the generated hub fragment with
 * the memory resolver (`resolver: "memory"`: the preload is the resolver's whole truth, so re-signed
 * accounts arrive by a reload), and every isolation claim is checked by what the server actually
 * does. The program's own hub runs the full resolver instead, its tenant accounts pushed
 * (test/e2e/hub-cluster.test.ts, test/e2e/nats-isolation.test.ts). One hub per file (beforeAll/afterAll); the tests run in order and
 * the last one re-signs accounts and reloads the hub.
 *
 * Two clients are used: nats.js (what platform code uses) and a minimal raw-protocol client. The
 * raw client exists because the server answers a refused CONNECT or an oversized PUB with `-ERR`
 * and then closes the socket; nats.js sometimes reports the resulting EPIPE/ECONNRESET instead of
 * the server's text, and it refuses oversized payloads itself before the server sees them.
 */
import {
  connect,
  credsAuthenticator,
  type NatsConnection,
  type NatsError,
  type Status,
  type Subscription,
} from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountJwt } from "../../lib/nats/claims";
import { decodeJwt } from "../../lib/nats/jwt";
import { hubConfigFragment } from "../../lib/nats/hub-config";
import { nkeyFromRaw, seedOf } from "../../lib/nats/nkeys";
import { ACCOUNT_LIMITS, EPOCH, KIB, TENANT, build, rawKey } from "../support/nats-jwt-fixtures";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { rawSession as rawSessionWithCreds } from "../support/rendered";

const te = new TextEncoder();
const B = build();

// ---------------------------------------------------------------------------------------------
// Server and client helpers
// ---------------------------------------------------------------------------------------------

let hub: NatsServer;
const extraServers: NatsServer[] = [];
const connections: NatsConnection[] = [];

const hubConfig = (ctx: { port: number; leafPort?: number; dir: string }) =>
  [
    'include "hub.conf"',
    "host: 127.0.0.1",
    `port: ${ctx.port}`,
    `jetstream { store_dir: "${ctx.dir}/jetstream" }`,
    `leafnodes { host: 127.0.0.1, port: ${ctx.leafPort} }`,
    "",
  ].join("\n");

async function open(user: string, server: NatsServer = hub): Promise<NatsConnection> {
  const nc = await connect({
    servers: server.url,
    name: user,
    authenticator: credsAuthenticator(te.encode(B.users[user]!.creds)),
    reconnect: false,
  });
  connections.push(nc);
  return nc;
}

/** Collects a connection's status events (permission errors arrive here, not as exceptions). */
function statusLog(nc: NatsConnection): Status[] {
  const seen: Status[] = [];
  void (async () => {
    for await (const s of nc.status()) seen.push(s);
  })();
  return seen;
}

/** A subscription whose messages and error (if the server refuses it) are recorded. */
function record(nc: NatsConnection, subject: string) {
  const messages: { subject: string; data: string }[] = [];
  const errors: NatsError[] = [];
  const sub: Subscription = nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) errors.push(err);
      else messages.push({ subject: msg.subject, data: new TextDecoder().decode(msg.data) });
    },
  });
  return { sub, messages, errors };
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A bare NATS protocol session as one of this file's users (see support/rendered.ts). */
const rawSession = (port: number, user: string) => rawSessionWithCreds(port, B.users[user]!.creds);

beforeAll(async () => {
  hub = await startNatsServer({ files: { "hub.conf": B.fragment }, leafnodes: true, config: hubConfig });
});

afterAll(async () => {
  await Promise.allSettled(connections.map((nc) => nc.close()));
  await Promise.allSettled(extraServers.map((s) => s.stop()));
  await hub?.stop();
});

// ---------------------------------------------------------------------------------------------
// The encoding as the server reads it (the pure properties are test/unit/lib/nats-jwt.test.ts)
// ---------------------------------------------------------------------------------------------

describe("nats-jwt encoding", () => {
  it("writes creds files in the nsc layout, and nats.js authenticates with them", async () => {
    const creds = B.users["alpha-collector"]!.creds;
    const lines = creds.split("\n");
    expect(creds).not.toContain("\r");
    expect(lines[0]).toBe("-----BEGIN NATS USER JWT-----");
    expect(lines[1]).toBe(B.users["alpha-collector"]!.jwt);
    expect(lines[2]).toBe("------END NATS USER JWT------");
    const seedAt = lines.indexOf("-----BEGIN USER NKEY SEED-----");
    expect(lines[seedAt + 1]).toBe(seedOf(B.users["alpha-collector"]!.kp));
    expect(lines[seedAt + 2]).toBe("------END USER NKEY SEED------");

    const writer = await open("alpha-collector");
    const reader = await open("alpha-reader");
    const rec = record(reader, "alpha.events.creds");
    await reader.flush();
    writer.publish("alpha.events.creds", te.encode("via creds"));
    await writer.flush();
    await until("the message", () => rec.messages.length > 0);
    expect(rec.messages).toEqual([{ subject: "alpha.events.creds", data: "via creds" }]);
    await writer.close();
    await reader.close();
  });

  it("renders the hub fragment sorted by account name, and the server refuses an accounts block next to it", async () => {
    const names = [...B.fragment.matchAll(/^ {2}# (.+)$/gm)].map((m) => m[1]);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(["SYS", "alpha", "beta", "gamma", "leafy", "quiet", "zero"]);
    expect(B.fragment).toContain(`operator: "${B.operatorJwt}"\n`);
    expect(B.fragment).toContain(`system_account: ${B.accounts.SYS!.pub}\n`);
    expect(B.fragment).toContain("resolver: MEMORY\n");
    // Without the option the fragment configures no resolver: the hub's full resolver is beside it.
    const beside = hubConfigFragment({ operatorJwt: B.operatorJwt, systemAccountPub: B.accounts.SYS!.pub, accounts: Object.entries(B.accounts).map(([name, a]) => ({ name, pub: a.pub, jwt: a.jwt })) });
    expect(beside).not.toMatch(/^\s*resolver\s*[:{=]/m);
    expect(beside).toBe(B.fragment.replace("resolver: MEMORY\n", ""));
    expect(B.fragment).toContain(`  ${B.accounts.alpha!.pub}: "${B.accounts.alpha!.jwt}"\n`);
    expect(hub.logs()).toContain('Operator: "test-operator"');

    // Mistakes the server would only report at start-up are refused when rendering.
    const sys = B.accounts.SYS!;
    const fragmentWith = (accounts: { name: string; pub: string; jwt: string }[]) => () =>
      hubConfigFragment({ operatorJwt: B.operatorJwt, systemAccountPub: sys.pub, accounts });
    const sysWithJs = accountJwt({ account: sys.pub, operator: B.operator, name: "SYS", limits: TENANT, issuedAt: EPOCH });
    expect(fragmentWith([{ name: "SYS", pub: sys.pub, jwt: sysWithJs }])).toThrow(/must not have JetStream/);
    const foreign = nkeyFromRaw("operator", rawKey("another operator"));
    const alphaByOther = accountJwt({ account: B.accounts.alpha!.pub, operator: foreign, name: "alpha", limits: TENANT, issuedAt: EPOCH });
    expect(fragmentWith([{ name: "SYS", pub: sys.pub, jwt: sys.jwt }, { name: "alpha", pub: B.accounts.alpha!.pub, jwt: alphaByOther }])).toThrow(/not signed by the operator/);
    expect(fragmentWith([{ name: "alpha", pub: B.accounts.alpha!.pub, jwt: B.accounts.alpha!.jwt }])).toThrow(/system account/);

    const refused = startNatsServer({
      files: { "hub.conf": B.fragment },
      config: (ctx) => `include "hub.conf"\nhost: 127.0.0.1\nport: ${ctx.port}\naccounts { EXTRA: {} }\n`,
    });
    await expect(refused).rejects.toThrow(/operators do not allow Accounts to be configured directly/);
  });
});

// ---------------------------------------------------------------------------------------------
// Isolation by permissions
// ---------------------------------------------------------------------------------------------

describe("permissions", () => {
  it("lets the collector publish into its tenant and a reader of the same account receive it", async () => {
    const collector = await open("alpha-collector");
    const reader = await open("alpha-reader");
    const rec = record(reader, "alpha.>");
    await reader.flush();
    collector.publish("alpha.events.x", te.encode("hello"));
    await collector.flush();
    await until("alpha's message", () => rec.messages.length > 0);
    expect(rec.messages).toEqual([{ subject: "alpha.events.x", data: "hello" }]);
    expect(rec.errors).toEqual([]);
  });

  it("refuses the collector's publish to another tenant (a status error, not an exception) and beta sees nothing", async () => {
    const collector = await open("alpha-collector");
    const status = statusLog(collector);
    const beta = await open("beta-reader");
    const rec = record(beta, "beta.>");
    await beta.flush();

    expect(() => collector.publish("beta.events.x", te.encode("leak"))).not.toThrow();
    await collector.flush();
    const violation = await until("the permissions violation", () => status.find((s) => s.data === "PERMISSIONS_VIOLATION"));
    expect(violation.permissionContext).toEqual({ operation: "publish", subject: "beta.events.x" });
    expect(collector.isClosed()).toBe(false);

    // beta's reader is live (it gets beta's own sentinel) and got nothing else.
    beta.publish("beta.events.sentinel", te.encode("own"));
    await beta.flush();
    await until("beta's sentinel", () => rec.messages.length > 0);
    await sleep(100);
    expect(rec.messages).toEqual([{ subject: "beta.events.sentinel", data: "own" }]);
  });

  it("refuses subscriptions outside the user's allow list", async () => {
    const collector = await open("alpha-collector");
    const everything = record(collector, ">");
    const reader = await open("alpha-reader");
    const other = record(reader, "beta.>");
    await collector.flush();
    await reader.flush();
    await until("both refusals", () => everything.errors.length > 0 && other.errors.length > 0);
    expect(everything.errors[0]!.code).toBe("PERMISSIONS_VIOLATION");
    expect(everything.errors[0]!.message).toMatch(/Permissions Violation for Subscription to ">"/);
    expect(other.errors[0]!.code).toBe("PERMISSIONS_VIOLATION");
    expect(other.errors[0]!.message).toMatch(/Permissions Violation for Subscription to "beta\.>"/);
  });
});

// ---------------------------------------------------------------------------------------------
// Account limits
// ---------------------------------------------------------------------------------------------

describe("account limits", () => {
  it("enforces conn: N connections, the N+1th refused", async () => {
    await open("gamma-user");
    await open("gamma-user");
    await expect(open("gamma-user")).rejects.toThrow();
    const raw = await rawSession(hub.port, "gamma-user");
    expect(raw.greeting).toBe("-ERR 'maximum account active connections exceeded'");
  });

  it("refuses every connection when conn is 0", async () => {
    await expect(open("zero-user")).rejects.toThrow();
    const raw = await rawSession(hub.port, "zero-user");
    expect(raw.greeting).toBe("-ERR 'maximum account active connections exceeded'");
  });

  it("enforces payload: the client is told the account's limit, the server refuses one byte more", async () => {
    const nc = await open("alpha-collector");
    expect(nc.info?.max_payload).toBe(TENANT.payload); // clamped from the server's 1 MiB
    expect(() => nc.publish("alpha.events.big", new Uint8Array(TENANT.payload + 1))).toThrow(/MAX_PAYLOAD_EXCEEDED/);
    nc.publish("alpha.events.big", new Uint8Array(TENANT.payload)); // the limit itself is fine

    // Bypassing the client's check: the server itself enforces the limit and drops the connection.
    const raw = await rawSession(hub.port, "alpha-collector");
    expect(raw.greeting).toBe("+OK");
    raw.send(`PUB alpha.events.raw ${TENANT.payload}\r\n${"x".repeat(TENANT.payload)}\r\n`);
    expect(await raw.reply()).toBe("+OK");
    raw.send(`PUB alpha.events.raw ${TENANT.payload + 1}\r\n${"x".repeat(TENANT.payload + 1)}\r\n`);
    expect(await raw.reply()).toBe("-ERR 'Maximum Payload Violation'");
    expect(await raw.reply()).toBe("<closed>");
  });

  it("payload 0 refuses every non-empty publish; JetStream is off when both storage limits are 0", async () => {
    const raw = await rawSession(hub.port, "quiet-user");
    expect(raw.greeting).toBe("+OK");
    raw.send("PUB quiet.events.x 0\r\n\r\n");
    expect(await raw.reply()).toBe("+OK");
    raw.send("PUB quiet.events.x 1\r\nx\r\n");
    expect(await raw.reply()).toBe("-ERR 'Maximum Payload Violation'");

    const nc = await open("quiet-user");
    expect(nc.info?.max_payload).toBe(0);
    await expect(nc.jetstreamManager()).rejects.toMatchObject({ api_error: { err_code: 10039 } });
  });

  it("stores messages in a tenant stream and enforces disk_storage", async () => {
    const admin = await open("alpha-admin");
    const jsm = await admin.jetstreamManager();
    const info = await jsm.getAccountInfo();
    expect(info.limits).toMatchObject({ max_storage: 16 * KIB, max_memory: 0, max_streams: 4, max_consumers: 8 });

    // A stream that reserves more than the account may store is refused up front.
    await expect(
      jsm.streams.add({ name: "ALPHA_TOO_BIG", subjects: ["alpha.big.>"], storage: "file" as never, max_bytes: 32 * KIB }),
    ).rejects.toMatchObject({ api_error: { err_code: 10047, description: "insufficient storage resources available" } });

    await jsm.streams.add({ name: "ALPHA_EVENTS", subjects: ["alpha.events.>"], storage: "file" as never });
    const js = admin.jetstream();
    let refusal: unknown;
    for (let i = 0; i < 64 && !refusal; i++) {
      await js.publish(`alpha.events.fill`, new Uint8Array(KIB)).catch((e: unknown) => (refusal = e));
    }
    expect(refusal).toMatchObject({ api_error: { err_code: 10002, description: "resource limits exceeded for account" } });
    const state = (await jsm.streams.info("ALPHA_EVENTS")).state;
    expect(state.messages).toBeGreaterThan(8);
    expect(state.bytes).toBeLessThanOrEqual(16 * KIB);
  });
});

// ---------------------------------------------------------------------------------------------
// Leaf nodes
// ---------------------------------------------------------------------------------------------

describe("leaf nodes", () => {
  const leafConfig = (ctx: { port: number; dir: string }) =>
    [
      "host: 127.0.0.1",
      `port: ${ctx.port}`,
      `leafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:${hub.leafPort}", credentials: "${ctx.dir}/leaf.creds" } ] }`,
      "",
    ].join("\n");

  async function startLeaf(): Promise<NatsServer> {
    const leaf = await startNatsServer({ files: { "leaf.creds": B.users["leafy-leaf"]!.creds }, config: leafConfig });
    extraServers.push(leaf);
    return leaf;
  }

  /** Publishes from a client of `leaf` until the hub reader receives it (the leaf link is up). */
  async function delivered(leaf: NatsServer, rec: ReturnType<typeof record>, subject: string) {
    const local = await connect({ servers: leaf.url, reconnect: false });
    connections.push(local);
    await until(`${subject} from the leaf`, () => {
      local.publish(subject, te.encode("from leaf"));
      return rec.messages.some((m) => m.subject === subject);
    });
    await local.close();
  }

  it("binds a leaf to its account; conn counts leafs when admitting clients, leafs are limited by leaf only", async () => {
    // leafy: conn 2, leaf 2.
    const leaf1 = await startLeaf();
    const reader = await open("leafy-reader"); // connections: leaf1 + reader = 2
    const rec = record(reader, "leafy.>");
    await reader.flush();
    await delivered(leaf1, rec, "leafy.events.one");

    // The leaf holds one of the two connections: a second client is refused.
    const raw = await rawSession(hub.port, "leafy-reader");
    expect(raw.greeting).toBe("-ERR 'maximum account active connections exceeded'");

    // …but a second leaf is admitted although conn is reached: leafs are checked against leaf only.
    const leaf2 = await startLeaf();
    await delivered(leaf2, rec, "leafy.events.two");

    // A third leaf exceeds leaf: 2 and is refused, with the same wording as the conn limit.
    const mark = hub.logs().length;
    await startLeaf();
    await until(
      "the hub to refuse the third leaf",
      () => hub.logs().slice(mark).includes(`Leafnode connection closed: Maximum Account Connections Exceeded account: ${B.accounts.leafy!.pub}/leafy`),
    );

    // A leaf-only credential cannot be used by an ordinary client.
    const asClient = await rawSession(hub.port, "leafy-leaf");
    expect(asClient.greeting).toBe("-ERR 'Authorization Violation'");
  });
});

// ---------------------------------------------------------------------------------------------
// Re-signing and reload (last: a reload of this server version drops JWT clients that sent an
// nkey in CONNECT, as nats.js does, nats-server#8606; clients reconnect, these tests reopen)
// ---------------------------------------------------------------------------------------------

describe("re-signing and reload", () => {
  it("applies changed limits on reload while stored messages remain", async () => {
    const admin = await open("alpha-admin");
    const jsm = await admin.jetstreamManager();
    const stored = (await jsm.streams.info("ALPHA_EVENTS")).state.messages;
    expect(stored).toBeGreaterThan(0);
    await expect(admin.jetstream().publish("alpha.events.fill", new Uint8Array(KIB))).rejects.toMatchObject({
      api_error: { err_code: 10002 },
    });

    const next = build({
      ...ACCOUNT_LIMITS,
      alpha: { ...TENANT, diskStorage: 64 * KIB },
      gamma: { ...ACCOUNT_LIMITS.gamma!, connections: 3 },
    });
    expect(decodeJwt(next.accounts.alpha!.jwt).claims.jti).not.toBe(decodeJwt(B.accounts.alpha!.jwt).claims.jti);
    expect(decodeJwt(next.accounts.alpha!.jwt).claims.iat).toBe(EPOCH);
    expect(next.accounts.beta!.jwt).toBe(B.accounts.beta!.jwt);

    // Close every client first, so what follows holds whether or not the reload drops them.
    await Promise.allSettled(connections.splice(0).map((nc) => nc.close()));
    hub.writeFile("hub.conf", next.fragment);
    await hub.reload();

    const admin2 = await open("alpha-admin");
    const jsm2 = await admin2.jetstreamManager();
    expect((await jsm2.getAccountInfo()).limits.max_storage).toBe(64 * KIB);
    expect((await jsm2.streams.info("ALPHA_EVENTS")).state.messages).toBe(stored);
    const ack = await admin2.jetstream().publish("alpha.events.fill", new Uint8Array(KIB));
    expect(ack.seq).toBeGreaterThan(stored);

    // gamma now admits a third connection, and still refuses a fourth.
    await open("gamma-user");
    await open("gamma-user");
    await open("gamma-user");
    const fourth = await rawSession(hub.port, "gamma-user");
    expect(fourth.greeting).toBe("-ERR 'maximum account active connections exceeded'");
  });
});
