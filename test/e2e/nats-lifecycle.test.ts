/**
 * A tenant's whole lifecycle on a running hub of three real nats-server 2.9.10 processes with the
 * full resolver, and not one reload: the tenant files change, the program re-renders, and the
 * account pushes that changed are applied with the dynamic provider's own code, as `pulumi up` would.
 *
 * Watching throughout: nats.js clients of three other tenants (creds, so their CONNECT carries an
 * nkey — the clients a config reload used to close, nats-server#8606), spread over the three servers,
 * with reconnects off, so any disconnect would close them for good. The subject is a copy of
 * tenants/initech.yaml, beside copies of acme-corp and two small override tenants for the storage
 * limits; globex joins midway. Expectations come from the tenant files and plans, never from the
 * program's functions.
 *
 * Tenant data reaches the hub as in production: the subject's and the bystander's in-cluster leaves
 * run from their render (test/support/edge-leaf.ts) and dial the hub's TLS leaf listener; their
 * collectors, emulated from their Deployments, are acked by the leaf, and the hub's streams source
 * the leaves. On the hub itself a tenant has only its leaf users and the platform's reader and
 * manager: the watchers are those two, each asking JetStream for the account's info.
 *
 * The tests run in order and share the hub: add a tenant → suspend → reactivate → change limits →
 * rotate → decommission → storage; the last one counts the watchers' disconnects.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { connect, credsAuthenticator, type NatsConnection, type Status } from "nats";
import { parseDocument, stringify } from "yaml";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "../../lib/nats/jwt";
import { deployPushes, loadRenderedHub, type PushDeployment, type RenderedHub } from "../support/hub-cluster";
import { startTlsPushedHub, type TlsPushedHub } from "../support/pushed-hub-tls";
import { inClusterCollector, keepLocalStreams, startInClusterLeaf, type EdgeLeaf } from "../support/edge-leaf";
import {
  PLATFORM_INBOX,
  EXAMPLE_TENANTS,
  addStream,
  credsParts,
  eventually,
  expectedNats,
  jwtClaims,
  loadRendered,
  rawGreeting,
  rawSession,
  streamConfigOf,
  tempDir,
  until,
  type Creds,
  type Rendered,
  type RenderedTenant,
} from "../support/rendered";
import { renderSync } from "../support/render";
import { monitor } from "../../tools/lib-nats-monitor";

const te = new TextEncoder();
const td = new TextDecoder();

const SUBJECT = "initech";
const BYSTANDER = "acme-corp";
/** Enterprise (R3 streams), added while everything else runs. */
const NEWCOMER = "globex";
/** diskStorage 1Mi fully reserved by four 256Ki streams (the brief's numbers). */
const FULL = "hooli";
/** diskStorage 1Mi, four 128Ki streams: half of the account's storage is left for a fifth stream. */
const HALF = "pied-piper";
const WATCHED = [BYSTANDER, FULL, HALF];

const KI = 1024;
const CONN_LIMIT = "-ERR 'maximum account active connections exceeded'";
const AUTH_VIOLATION = "-ERR 'Authorization Violation'";
const PAYLOAD_VIOLATION = "-ERR 'Maximum Payload Violation'";

const storageTenant = (slug: string, maxBytes: string) =>
  stringify({
    slug,
    displayName: slug,
    plan: "free",
    status: "active",
    access: { admins: [`${slug}:admins`] },
    overrides: { nats: { jetstream: { diskStorage: "1Mi", streams: 5 } }, retention: { maxBytes } },
    collectors: [{ type: "flowgger", partition: "office" }],
  });

/** A render and the hub resources it declares. */
interface Stage {
  r: Rendered;
  hub: RenderedHub;
}

let dir: string;
const outs: string[] = [];
let cluster: TlsPushedHub;
/** The render the hub currently runs, and the first one. */
let S: Stage;
let S0: Stage;
const deployments: PushDeployment[] = [];

const subjectFile = () => path.join(dir, `${SUBJECT}.yaml`);
function editSubject(edit: (doc: ReturnType<typeof parseDocument>) => void) {
  const doc = parseDocument(fs.readFileSync(subjectFile(), "utf8"));
  edit(doc);
  fs.writeFileSync(subjectFile(), doc.toString());
}

function render(): Stage {
  const out = tempDir("nats-lifecycle-render-");
  outs.push(out);
  // The hub certificate answers localhost, where the test's leaves dial it.
  renderSync({ out, tenants: dir, revealSecrets: true, config: { natsHubPublicDnsNames: '["localhost"]' } });
  return { r: loadRendered(out), hub: loadRenderedHub(out) };
}

/**
 * Applies a render to the running hub as the engine would (changed pushes only) and checks that the
 * hub's own configuration did not change: nothing to reload. Returns the time the pushes took.
 */
async function deploy(next: Stage): Promise<{ done: PushDeployment; ms: number }> {
  expect(next.hub.accountsConf, "accounts.conf").toBe(S0.hub.accountsConf);
  expect(next.hub.hubConf, "hub.conf").toBe(S0.hub.hubConf);
  const t0 = performance.now();
  const done = await deployPushes(cluster, S.hub.pushes, next.hub.pushes);
  const ms = performance.now() - t0;
  deployments.push(done);
  S = next;
  return { done, ms };
}

const T = (s: Stage, slug: string): RenderedTenant => {
  const t = s.r.tenants.get(slug);
  if (!t) throw new Error(`nothing rendered for ${slug}`);
  return t;
};
const one = <V>(v: V | undefined, what: string): V => {
  if (v === undefined) throw new Error(`missing ${what}`);
  return v;
};
const reader = (s: Stage, slug: string) => one(T(s, slug).reader, `${slug} reader`);
const manager = (s: Stage, slug: string) => one(T(s, slug).manager, `${slug} manager`);

/** The account a tenant's creds are issued by (from the creds, not from the program's naming). */
const accountOf = (s: Stage, slug: string) => jwtClaims(credsParts(reader(s, slug).text).jwt).iss as string;
const pushOf = (s: Stage, slug: string) => one(s.hub.pushes.find((p) => p.tenant === slug), `${slug}'s account push`);
const accountClaims = (s: Stage, slug: string) => decodeJwt(pushOf(s, slug).inputs.jwt).claims;
/** Tenants whose pushed account JWT differs between two renders. */
const changedTenants = (a: Stage, b: Stage) => {
  expect(b.hub.pushes.map((p) => p.tenant).sort()).toEqual(a.hub.pushes.map((p) => p.tenant).sort());
  return b.hub.pushes.filter((p) => pushOf(a, p.tenant).inputs.jwt !== p.inputs.jwt).map((p) => p.tenant);
};
const creds = (s: Stage) => new Map(s.r.objects.filter((o) => o.metadata.labels?.["tenancy.serviceradar.io/nats-user"]).map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o.stringData?.["nats.creds"]]));
const ports = () => cluster.servers.map((s) => s.server.port);

/** The running in-cluster leaves and their first collector, by tenant. */
const leaves = new Map<string, EdgeLeaf>();
const edgeCollectors = new Map<string, Awaited<ReturnType<typeof inClusterCollector>>>();
const collector = (slug: string) => one(edgeCollectors.get(slug), `${slug}'s collector`);

/**
 * Starts a tenant's in-cluster leaf from a render, dialling the hub's server `server`, its local
 * streams and first collector; or restarts a running one with the render's files and its store
 * kept (its containers restarted in place: the rendered store is an emptyDir, which a new pod
 * would not keep — docs/edge.md).
 */
async function runEdge(s: Stage, slug: string, server: number) {
  await edgeCollectors.get(slug)?.close().catch(() => undefined);
  const running = leaves.get(slug);
  await running?.server.stop();
  const leaf = await startInClusterLeaf(s.r, slug, cluster.servers[server]!.leafPort, running?.root);
  leaves.set(slug, leaf);
  await keepLocalStreams(leaf);
  const first = fs.readFileSync(path.join(dir, `${slug}.yaml`), "utf8").match(/type: (\w+)\n\s+partition: ([\w-]+)/)!;
  edgeCollectors.set(slug, await inClusterCollector(s.r, slug, `${first[1]}-${first[2]}`, leaf));
}
/** What the hub refused of a leaf since it last connected (its log after the last connection). */
const leafRefused = (slug: string) => /Authorization Violation|revoked|maximum leafnode/i.test(leaves.get(slug)!.server.logs().split("Leafnode connection created").pop() ?? "");

// ---------------------------------------------------------------------------------------------
// Clients: short-lived ones per test, and the watchers that live through the whole file
// ---------------------------------------------------------------------------------------------

const open = new Set<NatsConnection>();
/** Every CONNECT's authentication as nats.js sent it (to show the nkey is there). */
const sentAuth: { nkey?: string; jwt?: string }[] = [];

async function client(c: Creds, server = 0, name = c.secret): Promise<NatsConnection> {
  const creds = credsAuthenticator(te.encode(c.text));
  const nc = await connect({
    servers: `nats://127.0.0.1:${ports()[server]}`,
    name,
    authenticator: (nonce?: string) => {
      const auth = creds(nonce) as { nkey?: string; jwt?: string };
      sentAuth.push(auth);
      return auth as never;
    },
    ...(c.role === "reader" ? { inboxPrefix: PLATFORM_INBOX } : {}),
    reconnect: false,
    timeout: 3_000,
  });
  open.add(nc);
  void nc.closed().then(() => open.delete(nc));
  return nc;
}
const closeClients = async () => {
  await Promise.allSettled([...open].map((nc) => nc.close()));
  open.clear();
};

interface Watcher {
  slug: string;
  server: number;
  reader: NatsConnection;
  manager: NatsConnection;
  status: Status[];
  closed: boolean;
  /** JetStream answers received on the watcher's connections. */
  answered: number;
}
const watchers: Watcher[] = [];

async function watch(slug: string, server: number): Promise<Watcher> {
  // Own connections, outside `open`: they must outlive every test.
  const connectOn = async (c: Creds, i: number) => {
    const creds = credsAuthenticator(te.encode(c.text));
    return connect({
      servers: `nats://127.0.0.1:${ports()[i]}`,
      name: `watcher ${c.secret}`,
      authenticator: (nonce?: string) => {
        const auth = creds(nonce) as { nkey?: string };
        sentAuth.push(auth);
        return auth as never;
      },
      ...(c.role === "reader" ? { inboxPrefix: PLATFORM_INBOX } : {}),
      reconnect: false,
      timeout: 3_000,
    });
  };
  const rd = await connectOn(reader(S, slug), server);
  const mg = await connectOn(manager(S, slug), (server + 1) % cluster.servers.length);
  const w: Watcher = { slug, server, reader: rd, manager: mg, status: [], closed: false, answered: 0 };
  for (const nc of [rd, mg]) {
    void (async () => {
      for await (const s of nc.status()) w.status.push(s);
    })();
    void nc.closed().then(() => (w.closed = true));
  }
  await rd.flush();
  return w;
}

/** Each watcher's reader and manager, on their long-lived connections, get JetStream's answer for their account. */
async function watchersAlive(tag: string) {
  for (const w of watchers) {
    expect(w.closed, `${w.slug}'s watcher connections (${tag})`).toBe(false);
    for (const nc of [w.reader, w.manager]) {
      const answer = JSON.parse(td.decode((await nc.request("$JS.API.INFO", undefined, { timeout: 5_000 })).data));
      expect(answer.type, `${w.slug} (${tag})`).toBe("io.nats.jetstream.api.v1.account_info_response");
      w.answered++;
    }
  }
}

/** The payloads of one of a tenant's hub streams (by default its events), as its manager sees them. */
async function payloadsOf(s: Stage, slug: string, stream = `${slug}-events`): Promise<string[]> {
  // Its own connection, closed again: it is polled, and the account's connections are few.
  const nc = await connectEventually(manager(s, slug), `${slug} payloads`, 1);
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(stream);
    const out: string[] = [];
    for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) out.push(td.decode((await jsm.streams.getMessage(stream, { seq })).data));
    return out;
  } finally {
    await nc.close();
  }
}

/** A message from the tenant's first collector, acked by its leaf, reaches the hub stream the leaf's stream is sourced into. */
async function roundTrip(s: Stage, slug: string, tag: string) {
  const [ack] = await collector(slug).publish(tag);
  expect(ack!.domain).toBe(`${slug}-edge`);
  await eventually(`${slug}'s ${tag} message in its hub stream ${ack!.stream}`, async () => (await payloadsOf(s, slug, ack!.stream)).includes(tag), 30_000);
  await closeClients();
}

/**
 * Opens a connection, retrying while the cluster still counts connections that were just closed
 * (each server learns the others' counts of an account from their periodic updates).
 */
async function connectEventually(c: Creds, name: string, server = 0) {
  let last: unknown;
  // Up to 10 s: on a busy machine the server may take a while to forget closed connections.
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      return await client(c, server, name);
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw last;
}

/**
 * A JetStream manager on a new connection: right after an account is pushed its JetStream may not
 * answer for a moment (503, no responders), which is retried.
 */
async function jetStreamOf(c: Creds, server: number) {
  return eventually(`JetStream for ${c.secret}`, async () => (await client(c, server)).jetstreamManager().catch((e: { code?: string }) => {
    if (e.code !== "503") throw e;
    return undefined;
  }), 10_000);
}

/** Messages per stream of the subject tenant, and the stored payloads, as its manager sees them. */
async function storedMessages(s: Stage) {
  // Its own connection, closed again: the subject's connection limit gets as low as 4, its leaf included.
  const nc = await connectEventually(manager(s, SUBJECT), "stored messages", 1);
  const jsm = await nc.jetstreamManager();
  const out: Record<string, string[]> = {};
  for (const spec of T(s, SUBJECT).streams) {
    const info = await jsm.streams.info(spec.name);
    const msgs: string[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(spec.name, { seq });
      msgs.push(`${m.subject}=${td.decode(m.data)}`);
    }
    expect(msgs.length, spec.name).toBe(info.state.messages);
    out[spec.name] = msgs;
  }
  await nc.close();
  return out;
}

/** Every one of the creds is refused by every server of the hub. */
async function refusedEverywhere(list: Creds[]) {
  for (const port of ports()) for (const c of list) expect(await rawGreeting(port, c), `${c.secret} on :${port}`).toBe(AUTH_VIOLATION);
}

beforeAll(async () => {
  dir = tempDir("nats-lifecycle-tenants-");
  for (const slug of [SUBJECT, BYSTANDER]) fs.copyFileSync(path.join(EXAMPLE_TENANTS, `${slug}.yaml`), path.join(dir, `${slug}.yaml`));
  fs.writeFileSync(path.join(dir, `${FULL}.yaml`), storageTenant(FULL, "256Ki"));
  fs.writeFileSync(path.join(dir, `${HALF}.yaml`), storageTenant(HALF, "128Ki"));
  S0 = S = render();
  // Each server may hold every replica of every account's storage, newcomer included: JetStream
  // storage is sized, not guessed from this machine's free disk.
  const expected = [...fs.readdirSync(dir).map((f) => path.join(dir, f)), path.join(EXAMPLE_TENANTS, `${NEWCOMER}.yaml`)].map((f) => expectedNats(f));
  const sum = (pick: (e: (typeof expected)[number]) => number) => expected.reduce((a, e) => a + pick(e), 0);
  cluster = await startTlsPushedHub(S0.r.out, { servers: 3, jetstream: { maxFileStore: sum((e) => e.diskStorage), maxMemoryStore: Math.max(1, sum((e) => e.memoryStorage)) } });
  // The bystander's hub streams (the subject's are made by the first test), and both edges.
  const jsm = await jetStreamOf(manager(S0, BYSTANDER), 0);
  for (const spec of T(S0, BYSTANDER).streams) await addStream(jsm, streamConfigOf(spec));
  await closeClients();
  await runEdge(S0, SUBJECT, 2);
  await runEdge(S0, BYSTANDER, 1);
  for (const [i, slug] of WATCHED.entries()) watchers.push(await watch(slug, i));
}, 180_000);

afterEach(async () => {
  await closeClients();
});

afterAll(async () => {
  await closeClients();
  await Promise.allSettled(watchers.flatMap((w) => [w.reader.close(), w.manager.close()]));
  for (const c of edgeCollectors.values()) await c.close().catch(() => undefined);
  for (const l of leaves.values()) await l.server.stop();
  await cluster?.stop();
  for (const d of [dir, ...outs]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

let stored: Record<string, string[]>;

describe("tenant lifecycle on a running hub, by pushes alone", () => {
  it("re-renders unchanged tenant files to byte-identical account pushes, hub configuration and creds", () => {
    const again = render();
    expect(again.hub.accountsConf).toBe(S0.hub.accountsConf);
    expect(again.hub.pushes.map((p) => p.inputs.jwt)).toEqual(S0.hub.pushes.map((p) => p.inputs.jwt));
    expect(changedTenants(S0, again)).toEqual([]);
    expect(creds(again)).toEqual(creds(S0));
    expect(creds(S0).size).toBeGreaterThan(0);
  });

  it("starts with the subject's streams holding what its collector published, and the watchers connected with nkeys", async () => {
    const jsm = await (await client(manager(S, SUBJECT), 1)).jetstreamManager();
    for (const spec of T(S, SUBJECT).streams) await addStream(jsm, streamConfigOf(spec));
    // The subject's collector is a flowgger: one subject, acked by its leaf, sourced by the hub.
    const sent = ["m0", "m1", "m2"];
    const acks = await collector(SUBJECT).publish(...sent);
    expect(acks.map((a) => [a.stream, a.domain])).toEqual(sent.map(() => [`${SUBJECT}-events`, `${SUBJECT}-edge`]));
    await eventually("all messages stored", async () => {
      const counts = await Promise.all(T(S, SUBJECT).streams.map(async (s) => (await jsm.streams.info(s.name)).state.messages));
      return counts.reduce((a, b) => a + b, 0) === sent.length;
    }, 30_000);
    stored = await storedMessages(S);
    expect(Object.values(stored).flat().sort()).toEqual(sent.map((m) => `${SUBJECT}.events.syslog=${m}`).sort());
    expect(stored[`${SUBJECT}-events`]).toHaveLength(3);
    await roundTrip(S, BYSTANDER, "before");
    // nats.js sends the user's public nkey (and its signature) beside the JWT in every CONNECT.
    expect(sentAuth.length).toBeGreaterThanOrEqual(watchers.length * 2);
    for (const auth of sentAuth) expect(auth.nkey).toMatch(/^U[A-Z2-7]{55}$/);
    await watchersAlive("start");
  });

  it("adds a tenant: only its account is created; it connects at once, on every server, and its R3 streams take acknowledged messages", async () => {
    fs.copyFileSync(path.join(EXAMPLE_TENANTS, `${NEWCOMER}.yaml`), path.join(dir, `${NEWCOMER}.yaml`));
    const next = render();
    const t0 = performance.now();
    const { done } = await deploy(next);
    expect(done).toMatchObject({ created: [NEWCOMER], updated: [], removed: [] });
    const connected: number[] = [];
    for (const [i] of ports().entries()) {
      await client(reader(S, NEWCOMER), i);
      connected.push(Math.round(performance.now() - t0));
    }
    const jsm = await jetStreamOf(manager(S, NEWCOMER), 0);
    for (const spec of T(S, NEWCOMER).streams) {
      expect(spec.replicas, spec.name).toBe(3);
      await addStream(jsm, streamConfigOf(spec));
    }
    // Its edge comes up against the hub it was just pushed to; what its collector publishes is
    // acked at its leaf and sourced into the R3 hub stream.
    await runEdge(S, NEWCOMER, 0);
    await roundTrip(S, NEWCOMER, "hello");
    const info = await (await (await client(manager(S, NEWCOMER), 2)).jetstreamManager()).streams.info(`${NEWCOMER}-events`);
    expect(info.cluster?.replicas?.length).toBe(2);
    await watchersAlive("added");
    console.log(`added ${NEWCOMER}: push + first connection on each of ${ports().length} servers after ${connected.join(", ")} ms; its edge's message in the R3 stream`);
  });

  it("(a) suspends: only the subject's account changes; at once none of its creds connects anywhere and its open connection is closed", async () => {
    editSubject((doc) => doc.set("status", "suspended"));
    const next = render();
    expect(changedTenants(S, next)).toEqual([SUBJECT]);
    const before = accountClaims(S, SUBJECT);
    const after = accountClaims(next, SUBJECT);
    // Every user revoked ("*"), no leaf admitted; `conn` untouched (lowering it would close the
    // streams' internal clients too, nats-server#6766).
    expect(after.nats.limits).toEqual({ ...(before.nats.limits as object), leaf: 0 });
    expect(after.nats.revocations).toEqual({ "*": before.iat });
    expect(after.jti).not.toBe(before.jti);
    expect(after.iat).toBe(before.iat);

    const subjectLive = await rawSession(ports()[2]!, reader(S, SUBJECT));
    const bystanderLive = await rawSession(ports()[2]!, reader(S, BYSTANDER));
    expect([subjectLive.greeting, bystanderLive.greeting]).toEqual(["+OK", "+OK"]);
    const marks = cluster.servers.map((s) => s.server.logs().length);
    const { done, ms } = await deploy(next);
    expect(done.updated).toEqual([SUBJECT]);
    // The revoked user's open connection, on another server than the pushes went to, is closed.
    let last = await subjectLive.reply();
    while (last !== "<closed>") {
      expect(last).toMatch(/^-ERR '(Authorization Violation|User Authentication Revoked)'$/);
      last = await subjectLive.reply();
    }
    bystanderLive.send("PING\r\n");
    expect(await bystanderLive.reply()).toBe("PONG");
    bystanderLive.close();
    await refusedEverywhere([reader(S, SUBJECT), manager(S, SUBJECT)]);
    // The hub drops the subject's leaf; its collector is still acked at the leaf, which keeps it.
    await eventually("the suspended tenant's leaf refused", async () => leafRefused(SUBJECT), 20_000);
    const [buffered] = await collector(SUBJECT).publish("while-suspended");
    expect(buffered!.domain).toBe(`${SUBJECT}-edge`);
    await roundTrip(S, BYSTANDER, "while-suspended");
    const logs = cluster.servers.map((s, i) => s.server.logs().slice(marks[i]));
    for (const log of logs) {
      expect(log).not.toMatch(/Reloaded server configuration|Reloading server configuration/);
      expect(log).not.toContain("JETSTREAM - maximum account active connections exceeded");
    }
    await watchersAlive("suspended");
    console.log(`suspended ${SUBJECT}: pushed in ${Math.round(ms)} ms; its creds refused on all ${ports().length} servers at once`);
  });

  it("(b) reactivates: the account is the first one again; connections work and every stored message is still there", async () => {
    editSubject((doc) => doc.set("status", "active"));
    const next = render();
    expect(pushOf(next, SUBJECT).inputs.jwt).toBe(pushOf(S0, SUBJECT).inputs.jwt);
    await deploy(next);
    for (const c of [reader(S, SUBJECT), manager(S, SUBJECT)]) await connectEventually(c, "reactivated", 1);
    await closeClients();
    await roundTrip(S, SUBJECT, "after-reactivation");
    // Everything stored before is still there, then what the leaf kept while suspended, once.
    const now = await storedMessages(S);
    expect(now[`${SUBJECT}-events`]).toEqual([...stored[`${SUBJECT}-events`]!, `${SUBJECT}.events.syslog=while-suspended`, `${SUBJECT}.events.syslog=after-reactivation`]);
    for (const [name, msgs] of Object.entries(stored)) if (name !== `${SUBJECT}-events`) expect(now[name]).toEqual(msgs);
    await watchersAlive("reactivated");
  });

  it("(b′) the streams still take messages after suspend → reactivate (their internal clients were never closed)", async () => {
    const before = await storedMessages(S);
    expect(before[`${SUBJECT}-events`]).toContain(`${SUBJECT}.events.syslog=after-reactivation`);
    const [ack] = await collector(SUBJECT).publish("after reactivation");
    expect(ack!.stream).toBe(`${SUBJECT}-events`);
    await eventually("sourced after reactivation", async () => (await payloadsOf(S, SUBJECT)).includes("after reactivation"), 30_000);
    await closeClients();
    const now = await storedMessages(S);
    expect(now[`${SUBJECT}-events`]).toEqual([...before[`${SUBJECT}-events`]!, `${SUBJECT}.events.syslog=after reactivation`]);
    stored = now;
  });

  it("(c) changes limits by override: only the subject's JWT changes (new jti, same iat); the new limits hold at once and the messages stay", async () => {
    // A user may not be allowed more than its account (validation), so the edge users' payload
    // comes down too. 4 connections: the least validation admits for the subject's two leaf nodes
    // (in-cluster edge, site "office") and the platform's reader and manager.
    const userPayload = { collector: { payload: 2048 }, leaf: { payload: 2048 } };
    editSubject((doc) => doc.set("overrides", { nats: { connections: 4, payload: 2048, userLimits: userPayload } }));
    const next = render();
    expect(changedTenants(S, next)).toEqual([SUBJECT]);
    const before = accountClaims(S0, SUBJECT);
    const after = accountClaims(next, SUBJECT);
    expect(after.nats.limits).toEqual({ ...(before.nats.limits as object), conn: 4, payload: 2048 });
    expect(after.jti).not.toBe(before.jti);
    expect(after.iat).toBe(before.iat);
    // Account limits live in the account JWT; only the edge users' creds change (their own payload).
    const changedCreds = [...creds(next)].filter(([k, v]) => creds(S).get(k) !== v).map(([k]) => k);
    expect(changedCreds.sort()).toEqual([...T(S, SUBJECT).collectors.map((c) => c.secret), one(T(S, SUBJECT).leaf, "leaf").secret].sort());
    for (const c of [...T(next, SUBJECT).collectors, one(T(next, SUBJECT).leaf, "leaf")]) expect(jwtClaims(credsParts(c.text).jwt).nats.payload, c.secret).toBe(2048);
    await deploy(next);
    expect(await storedMessages(S)).toEqual(stored);
    await closeClients();

    // payload 2048: accepted; 2049: refused by the server (nats.js would refuse it itself). The
    // reader may publish JetStream API requests; the payload limit holds before any permission.
    const raw = await rawSession(ports()[1]!, reader(S, SUBJECT));
    expect(raw.greeting).toBe("+OK");
    raw.send(`PUB $JS.API.INFO ${2048}\r\n${"x".repeat(2048)}\r\n`);
    expect(await raw.reply()).toBe("+OK");
    raw.send(`PUB $JS.API.INFO ${2049}\r\n${"x".repeat(2049)}\r\n`);
    expect(await raw.reply()).toBe(PAYLOAD_VIOLATION);
    expect(await raw.reply()).toBe("<closed>");

    // connections 4: nats-server counts the account's clients across the cluster (each server
    // adds the others' client counts) and its leaf connections where they are attached
    // (accounts.go MaxTotalConnectionsReached; remote leaf counts are kept apart). So with the
    // subject's leaf connected — a round trip through it proves it — three clients are admitted and
    // the next is refused on the leaf's server.
    await roundTrip(S, SUBJECT, "before-counting");
    stored = await storedMessages(S);
    await closeClients();
    const leafServer = await eventually("the server the subject's leaf is attached to", async () => {
      const found = await Promise.all(cluster.servers.map(async (x) => ((await monitor(x.monitorPort, `/leafz?acc=${accountOf(S, SUBJECT)}`))?.leafs ?? []).length));
      const i = found.findIndex((n) => n > 0);
      return i >= 0 ? i : undefined;
    });
    // Raw sessions, kept open: the server may take a moment to forget the connections just closed
    // (a refused attempt is retried), and a raw socket reports a refusal as the server's line.
    const sessions: Awaited<ReturnType<typeof rawSession>>[] = [];
    for (let i = 0; i < 3; i++) {
      for (let attempt = 0; ; attempt++) {
        const session = await rawSession(ports()[i]!, reader(S, SUBJECT));
        if (session.greeting === "+OK") {
          sessions.push(session);
          break;
        }
        session.close();
        expect(session.greeting).toBe(CONN_LIMIT);
        if (attempt > 100) throw new Error(`connection ${i + 1} of 3 still refused after ${attempt} attempts`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // The account's payload limit arrives in the INFO the server sends once the CONNECT is accepted.
    sessions[0]!.send("PING\r\n");
    expect(await sessions[0]!.reply()).toBe("PONG");
    expect(sessions[0]!.info.max_payload).toBe(2048);
    await eventually("the next connection refused", async () => (await rawGreeting(ports()[leafServer]!, reader(S, SUBJECT))) === CONN_LIMIT);
    // The limit is the account's: the manager is refused too.
    expect(await rawGreeting(ports()[leafServer]!, manager(S, SUBJECT))).toBe(CONN_LIMIT);
    for (const session of sessions) session.close();
    await watchersAlive("limits");
    console.log(`override: ${SUBJECT} admits 4 connections (its leaf and 3 clients on 3 servers; the next refused), payload 2048 accepted / 2049 refused; ${Object.values(stored).flat().length} stored messages kept`);
  });

  it("(d) rotates its credentials: every user re-keyed, every earlier one refused on every server at once (its running leaf dropped), the new ones connect", async () => {
    const old = [reader(S, SUBJECT), manager(S, SUBJECT)];
    const oldLeaf = one(T(S, SUBJECT).leaf, "leaf");
    editSubject((doc) => doc.set("credentials", { rotation: 1 }));
    const next = render();
    expect(changedTenants(S, next)).toEqual([SUBJECT]);
    // nats-server revokes every user of the account issued at or before the "*" revocation's time.
    const revokedBefore = (accountClaims(next, SUBJECT).nats.revocations as Record<string, number>)["*"]!;
    for (const c of [...old, oldLeaf]) expect(jwtClaims(credsParts(c.text).jwt).iat, c.secret).toBeLessThanOrEqual(revokedBefore);
    for (const c of [reader(next, SUBJECT), one(T(next, SUBJECT).leaf, "leaf")]) {
      const user = jwtClaims(credsParts(c.text).jwt);
      expect(user.iat, c.secret).toBeGreaterThan(revokedBefore);
      expect([...old, oldLeaf].map((o) => jwtClaims(credsParts(o.text).jwt).sub)).not.toContain(user.sub);
    }
    await closeClients();
    await deploy(next);
    await refusedEverywhere(old);
    await eventually("the leaf with the old creds dropped", async () => leafRefused(SUBJECT), 20_000);
    for (const c of [reader(S, SUBJECT), manager(S, SUBJECT)]) await client(c, 2);
    await closeClients();
    // The leaf restarts with the new Secrets (its restart hash changed): the hub admits it with its
    // new leaf user, and its collector, with new creds in the re-keyed edge account, is acked by it.
    // Not asserted: delivery into the hub stream. The edge account is re-keyed, so the leaf's local
    // stream is a new one whose sequence starts again at 1, while the hub's source resumes after the
    // last sequence it had: nats-server 2.9 then delivers nothing until the new stream passes it
    // (docs/edge.md, "Rotation and the edge's local streams").
    await runEdge(S, SUBJECT, 2);
    await eventually("the subject's leaf admitted with its new leaf user", async () => {
      const found = await Promise.all(cluster.servers.map(async (x) => ((await monitor(x.monitorPort, `/leafz?acc=${accountOf(S, SUBJECT)}`))?.leafs ?? []).length));
      return found.some((n) => n > 0);
    }, 20_000);
    const [ack] = await collector(SUBJECT).publish("after-rotation");
    expect([ack!.stream, ack!.domain]).toEqual([`${SUBJECT}-events`, `${SUBJECT}-edge`]);
    stored = await storedMessages(S);
    await closeClients();
    await watchersAlive("rotated");
  });

  it("(e) decommissions: every location's leaf user revoked at once (its running leaf dropped), the platform's reader and manager still connect, the streams keep every message", async () => {
    editSubject((doc) => doc.set("status", "decommissioned"));
    const next = render();
    expect(changedTenants(S, next)).toEqual([SUBJECT]);
    await deploy(next);
    await eventually("the decommissioned tenant's leaf dropped", async () => leafRefused(SUBJECT), 20_000);
    expect(T(S, SUBJECT).collectors).toEqual([]);
    expect(T(S, SUBJECT).leaf).toBeUndefined();
    await client(reader(S, SUBJECT), 0);
    expect(await storedMessages(S)).toEqual(stored);
    await watchersAlive("decommissioned");
  });

  it("(f) storage: every stream must reserve its size (max_bytes_required); a reservation past the account's disk storage is refused; the tenant's own streams are never starved", async () => {
    for (const slug of [FULL, HALF]) {
      const e = expectedNats(path.join(dir, `${slug}.yaml`));
      expect([e.diskStorage, e.streams], slug).toEqual([1024 * KI, 5]);
    }
    const MAX_BYTES_REQUIRED = { api_error: { err_code: 10113, description: "account requires a stream config to have max bytes set" } };
    const INSUFFICIENT = { api_error: { err_code: 10047, description: "insufficient storage resources available" } };

    // FULL: 4 × 256Ki = the whole 1Mi. No stream without max_bytes; no room for even one byte more.
    const full = await (await client(manager(S, FULL), 0)).jetstreamManager();
    for (const spec of T(S, FULL).streams) await addStream(full, streamConfigOf(spec));
    await expect(full.streams.add({ name: `${FULL}-extra`, subjects: [`${FULL}.extra.>`], storage: "file" as never })).rejects.toMatchObject(MAX_BYTES_REQUIRED);
    await expect(full.streams.add({ name: `${FULL}-extra`, subjects: [`${FULL}.extra.>`], storage: "file" as never, max_bytes: 1 })).rejects.toMatchObject(INSUFFICIENT);

    // HALF: 4 × 128Ki leaves 512Ki: an unbounded stream is refused, a 512Ki one fits, 1 byte more not.
    const half = await (await client(manager(S, HALF), 1)).jetstreamManager();
    for (const spec of T(S, HALF).streams) await addStream(half, streamConfigOf(spec));
    await expect(half.streams.add({ name: `${HALF}-extra`, subjects: [`${HALF}.extra.>`], storage: "file" as never })).rejects.toMatchObject(MAX_BYTES_REQUIRED);
    await expect(half.streams.add({ name: `${HALF}-extra`, subjects: [`${HALF}.extra.>`], storage: "file" as never, max_bytes: 512 * KI + 1 })).rejects.toMatchObject(INSUFFICIENT);
    const extra = await addStream(half, { name: `${HALF}-extra`, subjects: [`${HALF}.extra.>`], storage: "file" as never, max_bytes: 512 * KI, discard: "new" as never });
    expect(extra.config.max_bytes).toBe(512 * KI);
    // Each stream reserved its max_bytes at creation, so none can take another's share; and the
    // fifth stream was the plan's last (10027, maximum streams). No tenant user publishes data on
    // the hub (collectors are acked by their leaf and sourced), so no client can fill a stream here.
    await expect(half.streams.add({ name: `${HALF}-more`, subjects: [`${HALF}.more.>`], storage: "file" as never, max_bytes: 1 })).rejects.toMatchObject({ api_error: { err_code: 10027 } });
    console.log(`storage: unbounded streams refused (10113); ${FULL} 1 byte past its reservation refused (10047); ${HALF} took a 512Ki fifth stream exactly, a sixth refused (10027)`);
  });

  it("never disconnected a watcher: every change above was a push, none a reload", async () => {
    await watchersAlive("end");
    const disconnects = watchers.flatMap((w) => w.status.filter((s) => s.type === "disconnect" || s.type === "reconnecting" || s.type === "error").map((s) => `${w.slug}: ${s.type} ${String(s.data)}`));
    expect(disconnects).toEqual([]);
    expect(watchers.filter((w) => w.closed).map((w) => w.slug)).toEqual([]);
    const pushes = deployments.reduce((n, d) => n + d.created.length + d.updated.length + d.removed.length, 0);
    const answers = watchers.reduce((n, w) => n + w.answered, 0);
    console.log(
      `no reload: ${watchers.length * 2} watcher connections of ${watchers.length} tenants on ${ports().length} servers (nkey sent in every CONNECT) ` +
        `through ${deployments.length} deployments (${pushes} account pushes): 0 disconnects, ${answers} JetStream answers on them`,
    );
  });

  it("would have seen a reload: reloading one server's configuration closes the watchers connected to it (nats-server#8606)", async () => {
    // What the watchers are for: the old way of changing accounts (rewrite the config, reload) is
    // caught by exactly these connections.
    await cluster.servers[0]!.server.reload();
    await until("a watcher closed by the reload", () => watchers.some((w) => w.closed), 10_000);
    const closed = watchers.filter((w) => w.closed).map((w) => `${w.slug}@${w.server}`);
    console.log(`reload of server 0: closed the watchers of ${closed.join(", ")}`);
    expect(closed.length).toBeGreaterThan(0);
  });
});
