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
 * The tests run in order and share the hub: add a tenant → suspend → reactivate → change limits →
 * rotate → decommission → storage; the last one counts the watchers' disconnects.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { connect, credsAuthenticator, type NatsConnection, type Status } from "nats";
import { parseDocument, stringify } from "yaml";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "../../lib/nats/jwt";
import { deployPushes, loadRenderedHub, startPushedHub, type HubCluster, type PushDeployment, type RenderedHub } from "../support/hub-cluster";
import {
  EDGE_INBOX,
  EXAMPLE_TENANTS,
  addStream,
  credsParts,
  eventually,
  expectedNats,
  jwtClaims,
  loadRendered,
  rawGreeting,
  rawSession,
  record,
  streamConfigOf,
  tempDir,
  until,
  type Creds,
  type Rendered,
  type RenderedTenant,
} from "../support/rendered";
import { renderSync } from "../support/render";

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
let cluster: HubCluster;
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
  renderSync({ out, tenants: dir, revealSecrets: true });
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
const collector = (s: Stage, slug: string) => one(T(s, slug).collectors[0], `${slug} collector`);
const reader = (s: Stage, slug: string) => one(T(s, slug).reader, `${slug} reader`);
const manager = (s: Stage, slug: string) => one(T(s, slug).manager, `${slug} manager`);

/** The account a tenant's creds are issued by (from the creds, not from the program's naming). */
const accountOf = (s: Stage, slug: string) => jwtClaims(credsParts(collector(s, slug).text).jwt).iss as string;
const pushOf = (s: Stage, slug: string) => one(s.hub.pushes.find((p) => p.tenant === slug), `${slug}'s account push`);
const accountClaims = (s: Stage, slug: string) => decodeJwt(pushOf(s, slug).inputs.jwt).claims;
/** Tenants whose pushed account JWT differs between two renders. */
const changedTenants = (a: Stage, b: Stage) => {
  expect(b.hub.pushes.map((p) => p.tenant).sort()).toEqual(a.hub.pushes.map((p) => p.tenant).sort());
  return b.hub.pushes.filter((p) => pushOf(a, p.tenant).inputs.jwt !== p.inputs.jwt).map((p) => p.tenant);
};
const creds = (s: Stage) => new Map(s.r.objects.filter((o) => o.metadata.labels?.["tenancy.serviceradar.io/nats-user"]).map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o.stringData?.["nats.creds"]]));
const ports = () => cluster.servers.map((s) => s.server.port);

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
    ...(c.role === "collector" || c.role === "leaf" ? { inboxPrefix: EDGE_INBOX } : {}),
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
  collector: NatsConnection;
  reader: NatsConnection;
  received: ReturnType<typeof record>;
  status: Status[];
  closed: boolean;
  sent: number;
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
      ...(c.role === "collector" ? { inboxPrefix: EDGE_INBOX } : {}),
      reconnect: false,
      timeout: 3_000,
    });
  };
  const rd = await connectOn(reader(S, slug), server);
  const col = await connectOn(collector(S, slug), (server + 1) % cluster.servers.length);
  const w: Watcher = { slug, server, collector: col, reader: rd, received: record(rd, `${slug}.watch.>`), status: [], closed: false, sent: 0 };
  for (const nc of [rd, col]) {
    void (async () => {
      for await (const s of nc.status()) w.status.push(s);
    })();
    void nc.closed().then(() => (w.closed = true));
  }
  await rd.flush();
  return w;
}

/** Each watcher's collector publishes, on its own long-lived connection, and its reader receives it. */
async function watchersAlive(tag: string) {
  for (const w of watchers) {
    expect(w.closed, `${w.slug}'s watcher connections`).toBe(false);
    w.collector.publish(`${w.slug}.watch.${tag}`, te.encode(tag));
    w.sent++;
    await w.collector.flush();
  }
  for (const w of watchers) await until(`${w.slug} watcher got ${tag}`, () => w.received.messages.length === w.sent);
}

/** A message from the tenant's collector reaches its reader, on two different servers. */
async function roundTrip(s: Stage, slug: string, tag: string) {
  const rd = await client(reader(s, slug), 0);
  const rec = record(rd, `${slug}.>`);
  await rd.flush();
  const nc = await client(collector(s, slug), 2);
  nc.publish(`${slug}.events.${tag}`, te.encode(tag));
  await nc.flush();
  await until(`${slug}'s ${tag} message`, () => rec.messages.length > 0);
  expect(rec.messages).toEqual([{ subject: `${slug}.events.${tag}`, data: tag }]);
  expect(rec.errors).toEqual([]);
}

/** Opens a connection, retrying while the server still counts connections that were just closed. */
async function connectEventually(c: Creds, name: string) {
  let last: unknown;
  for (let attempt = 0; attempt < 40; attempt++) {
    try {
      return await client(c, 0, name);
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw last;
}

/** Messages per stream of the subject tenant, and the stored payloads, as its manager sees them. */
async function storedMessages(s: Stage) {
  // Its own connection, closed again: the subject's connection limit gets as low as 3.
  const nc = await client(manager(s, SUBJECT), 1);
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
  ({ cluster } = await startPushedHub(S0.r.out, { servers: 3, jetstream: { maxFileStore: sum((e) => e.diskStorage), maxMemoryStore: Math.max(1, sum((e) => e.memoryStorage)) } }));
  for (const [i, slug] of WATCHED.entries()) watchers.push(await watch(slug, i));
}, 120_000);

afterEach(async () => {
  await closeClients();
});

afterAll(async () => {
  await closeClients();
  await Promise.allSettled(watchers.flatMap((w) => [w.collector.close(), w.reader.close()]));
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
    const nc = await client(collector(S, SUBJECT), 2);
    const sent = [`${SUBJECT}.events.syslog`, `${SUBJECT}.events.syslog`, `${SUBJECT}.events.auth`, `${SUBJECT}.snmp.traps`, `${SUBJECT}.netflow.v9`, `${SUBJECT}.otel.metrics.cpu`];
    sent.forEach((subject, i) => nc.publish(subject, te.encode(`m${i}`)));
    await nc.flush();
    await eventually("all messages stored", async () => {
      const counts = await Promise.all(T(S, SUBJECT).streams.map(async (s) => (await jsm.streams.info(s.name)).state.messages));
      return counts.reduce((a, b) => a + b, 0) === sent.length;
    });
    stored = await storedMessages(S);
    expect(Object.values(stored).flat().sort()).toEqual(sent.map((s, i) => `${s}=m${i}`).sort());
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
      await client(collector(S, NEWCOMER), i);
      connected.push(Math.round(performance.now() - t0));
    }
    const jsm = await (await client(manager(S, NEWCOMER), 0)).jetstreamManager();
    for (const spec of T(S, NEWCOMER).streams) {
      expect(spec.replicas, spec.name).toBe(3);
      await addStream(jsm, streamConfigOf(spec));
    }
    const ack = await (await client(collector(S, NEWCOMER), 1)).jetstream().publish(`${NEWCOMER}.events.syslog`, te.encode("hello"));
    expect(ack.stream).toBe(`${NEWCOMER}-events`);
    const info = await jsm.streams.info(`${NEWCOMER}-events`);
    expect(info.cluster?.replicas?.length).toBe(2);
    await watchersAlive("added");
    console.log(`added ${NEWCOMER}: push + first connection on each of ${ports().length} servers after ${connected.join(", ")} ms; R3 stream acked`);
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

    const subjectLive = await rawSession(ports()[2]!, collector(S, SUBJECT));
    const bystanderLive = await rawSession(ports()[2]!, collector(S, BYSTANDER));
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
    await refusedEverywhere([...T(S, SUBJECT).collectors, reader(S, SUBJECT), manager(S, SUBJECT)]);
    await roundTrip(S, BYSTANDER, "while-suspended");
    await roundTrip(S, HALF, "while-suspended");
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
    for (const c of [...T(S, SUBJECT).collectors, reader(S, SUBJECT), manager(S, SUBJECT)]) await client(c, 1);
    await closeClients();
    expect(await storedMessages(S)).toEqual(stored);
    await roundTrip(S, SUBJECT, "after-reactivation");
    await watchersAlive("reactivated");
  });

  it("(b′) the streams still take messages after suspend → reactivate (their internal clients were never closed)", async () => {
    const before = await storedMessages(S);
    expect(before[`${SUBJECT}-events`]).toContain(`${SUBJECT}.events.after-reactivation=after-reactivation`);
    const nc = await client(collector(S, SUBJECT), 0);
    const ack = await nc.jetstream().publish(`${SUBJECT}.events.syslog`, te.encode("after reactivation"), { timeout: 2_000 });
    expect(ack.stream).toBe(`${SUBJECT}-events`);
    await closeClients();
    const now = await storedMessages(S);
    expect(now[`${SUBJECT}-events`]).toEqual([...before[`${SUBJECT}-events`]!, `${SUBJECT}.events.syslog=after reactivation`]);
    stored = now;
  });

  it("(c) changes limits by override: only the subject's JWT changes (new jti, same iat); the new limits hold at once and the messages stay", async () => {
    // A user may not be allowed more than its account (validation), so the edge users' payload comes down too.
    const userPayload = { collector: { payload: 2048 }, leaf: { payload: 2048 } };
    editSubject((doc) => doc.set("overrides", { nats: { connections: 3, payload: 2048, userLimits: userPayload } }));
    const next = render();
    expect(changedTenants(S, next)).toEqual([SUBJECT]);
    const before = accountClaims(S0, SUBJECT);
    const after = accountClaims(next, SUBJECT);
    expect(after.nats.limits).toEqual({ ...(before.nats.limits as object), conn: 3, payload: 2048 });
    expect(after.jti).not.toBe(before.jti);
    expect(after.iat).toBe(before.iat);
    // Account limits live in the account JWT; only the edge users' creds change (their own payload).
    const changedCreds = [...creds(next)].filter(([k, v]) => creds(S).get(k) !== v).map(([k]) => k);
    expect(changedCreds.sort()).toEqual([...T(S, SUBJECT).collectors.map((c) => c.secret), one(T(S, SUBJECT).leaf, "leaf").secret].sort());
    for (const c of T(next, SUBJECT).collectors) expect(jwtClaims(credsParts(c.text).jwt).nats.payload, c.secret).toBe(2048);
    await deploy(next);
    expect(await storedMessages(S)).toEqual(stored);
    await closeClients();

    // payload 2048: accepted; 2049: refused by the server (nats.js would refuse it itself).
    const raw = await rawSession(ports()[1]!, collector(S, SUBJECT));
    expect(raw.greeting).toBe("+OK");
    raw.send(`PUB ${SUBJECT}.events.p ${2048}\r\n${"x".repeat(2048)}\r\n`);
    expect(await raw.reply()).toBe("+OK");
    raw.send(`PUB ${SUBJECT}.events.p ${2049}\r\n${"x".repeat(2049)}\r\n`);
    expect(await raw.reply()).toBe(PAYLOAD_VIOLATION);
    expect(await raw.reply()).toBe("<closed>");
    // The accepted one is stored like any other event.
    stored = await eventually("the 2048-byte event stored", async () => {
      const now = await storedMessages(S);
      return now[`${SUBJECT}-events`]!.includes(`${SUBJECT}.events.p=${"x".repeat(2048)}`) && now;
    });

    // connections 3, counted across the cluster: three admitted, the fourth refused on any server.
    const opened = [];
    for (let i = 0; i < 3; i++) opened.push(await connectEventually(collector(S, SUBJECT), `c${i}`));
    expect(opened[0]!.info?.max_payload).toBe(2048);
    await eventually("the fourth connection refused", async () => (await rawGreeting(ports()[2]!, collector(S, SUBJECT))) === CONN_LIMIT);
    await watchersAlive("limits");
    console.log(`override: ${SUBJECT} admits 3 connections (4th refused), payload 2048 accepted / 2049 refused; ${Object.values(stored).flat().length} stored messages kept`);
  });

  it("(d) rotates its credentials: every user re-keyed, every earlier one refused on every server at once, the new ones connect", async () => {
    const old = [...T(S, SUBJECT).collectors, reader(S, SUBJECT), manager(S, SUBJECT)];
    editSubject((doc) => doc.set("credentials", { rotation: 1 }));
    const next = render();
    expect(changedTenants(S, next)).toEqual([SUBJECT]);
    // nats-server revokes every user of the account issued at or before the "*" revocation's time.
    const revokedBefore = (accountClaims(next, SUBJECT).nats.revocations as Record<string, number>)["*"]!;
    for (const c of old) expect(jwtClaims(credsParts(c.text).jwt).iat, c.secret).toBeLessThanOrEqual(revokedBefore);
    for (const c of [...T(next, SUBJECT).collectors, reader(next, SUBJECT)]) {
      const user = jwtClaims(credsParts(c.text).jwt);
      expect(user.iat, c.secret).toBeGreaterThan(revokedBefore);
      expect(old.map((o) => jwtClaims(credsParts(o.text).jwt).sub)).not.toContain(user.sub);
    }
    await closeClients();
    await deploy(next);
    await refusedEverywhere(old);
    for (const c of [...T(S, SUBJECT).collectors, reader(S, SUBJECT)]) await client(c, 2);
    await closeClients();
    await watchersAlive("rotated");
  });

  it("(e) decommissions: collector and leaf users revoked at once, the platform's reader and manager still connect, the streams keep every message", async () => {
    const workload = [...T(S, SUBJECT).collectors, one(T(S, SUBJECT).leaf, "leaf")];
    editSubject((doc) => doc.set("status", "decommissioned"));
    const next = render();
    expect(changedTenants(S, next)).toEqual([SUBJECT]);
    await deploy(next);
    await refusedEverywhere(workload.filter((c) => c.role === "collector"));
    expect(T(S, SUBJECT).collectors).toEqual([]);
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
    await addStream(half, { name: `${HALF}-extra`, subjects: [`${HALF}.extra.>`], storage: "file" as never, max_bytes: 512 * KI, discard: "new" as never });
    // Filling the extra stream hits its own reservation, never the account's other streams.
    const js = (await client(collector(S, HALF), 2)).jetstream();
    let accepted = 0;
    let refusal: unknown;
    while (!refusal && accepted < 200) {
      await js.publish(`${HALF}.extra.fill`, new Uint8Array(16 * KI)).then(
        () => accepted++,
        (e: unknown) => (refusal = e),
      );
    }
    expect(refusal).toBeDefined();
    const extraBytes = (await half.streams.info(`${HALF}-extra`)).state.bytes;
    expect(extraBytes).toBeLessThanOrEqual(512 * KI);
    const ack = await js.publish(`${HALF}.events.syslog`, new Uint8Array(16 * KI));
    expect(ack.stream).toBe(`${HALF}-events`);
    console.log(`storage: unbounded streams refused (10113); ${FULL} 1 byte past its reservation refused (10047); ${HALF} extra stream took ${accepted} × 16KiB (${extraBytes} B) then refused (${(refusal as Error).message}); ${HALF}-events still accepts`);
  });

  it("never disconnected a watcher: every change above was a push, none a reload", async () => {
    await watchersAlive("end");
    const disconnects = watchers.flatMap((w) => w.status.filter((s) => s.type === "disconnect" || s.type === "reconnecting" || s.type === "error").map((s) => `${w.slug}: ${s.type} ${String(s.data)}`));
    expect(disconnects).toEqual([]);
    expect(watchers.filter((w) => w.closed).map((w) => w.slug)).toEqual([]);
    const pushes = deployments.reduce((n, d) => n + d.created.length + d.updated.length + d.removed.length, 0);
    const messages = watchers.reduce((n, w) => n + w.received.messages.length, 0);
    console.log(
      `no reload: ${watchers.length * 2} watcher connections of ${watchers.length} tenants on ${ports().length} servers (nkey sent in every CONNECT) ` +
        `through ${deployments.length} deployments (${pushes} account pushes): 0 disconnects, ${messages} watcher messages delivered`,
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
