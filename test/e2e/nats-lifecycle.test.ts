/**
 * A tenant's lifecycle on a running hub (a real nats-server 2.9.10): the tenant files change, the
 * program re-renders, the new hub fragment is written and the server reloads it, exactly as a
 * config-reloader sidecar would. The subject is a copy of tenants/initech.yaml in a temp tenants
 * dir, next to a copy of acme-corp (a bystander) and two small override tenants for the storage
 * limits. Expectations come from the tenant files and plans, never from the program's functions.
 *
 * Tenant data reaches the hub as in production: the subject's and the bystander's in-cluster
 * leaves run from their render (test/support/edge-leaf.ts), their collectors (emulated from their
 * Deployments) are acked by the leaf, and the hub's streams source the leaves.
 *
 * The tests run in order and share the server: suspend → reactivate → change limits → storage.
 * A reload of this server version closes every client that sent an nkey in CONNECT (nats.js does,
 * nats-server#8606), so nats.js clients are closed before each reload and reopened after. The raw
 * client sends no nkey and survives a reload unless the server means to drop it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument, stringify } from "yaml";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "../../lib/nats/jwt";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { hubFiles, hubWithLeafListener, inClusterCollector, keepLocalStreams, startInClusterLeaf, type EdgeLeaf } from "../support/edge-leaf";
import {
  Clients,
  EXAMPLE_TENANTS,
  credsParts,
  eventually,
  expectedNats,
  hubConfig,
  hubSizeFor,
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
/** diskStorage 1Mi fully reserved by four 256Ki streams (the brief's numbers). */
const FULL = "hooli";
/** diskStorage 1Mi, four 128Ki streams: half of the account's storage is left for a fifth stream. */
const HALF = "pied-piper";

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

let dir: string;
const outs: string[] = [];
let hub: NatsServer;
const clients = new Clients(() => hub.url);
/** The render the hub currently runs. */
let R: Rendered;
/** The first render, to compare the later ones with. */
let R0: Rendered;

const subjectFile = () => path.join(dir, `${SUBJECT}.yaml`);
function editSubject(edit: (doc: ReturnType<typeof parseDocument>) => void) {
  const doc = parseDocument(fs.readFileSync(subjectFile(), "utf8"));
  edit(doc);
  fs.writeFileSync(subjectFile(), doc.toString());
}

function render(): Rendered {
  const out = tempDir("nats-lifecycle-render-");
  outs.push(out);
  // The hub certificate answers localhost, where the test's leaves dial it.
  renderSync({ out, tenants: dir, revealSecrets: true, config: { natsHubPublicDnsNames: '["localhost"]' } });
  return loadRendered(out);
}

/** Writes the render's fragment beside the server's config and reloads it. */
async function deploy(next: Rendered) {
  await clients.closeAll();
  hub.writeFile("accounts.conf", next.fragment);
  await hub.reload();
  R = next;
}

const T = (r: Rendered, slug: string): RenderedTenant => {
  const t = r.tenants.get(slug);
  if (!t) throw new Error(`nothing rendered for ${slug}`);
  return t;
};
const one = <V>(v: V | undefined, what: string): V => {
  if (v === undefined) throw new Error(`missing ${what}`);
  return v;
};
/** The in-cluster edge's first collector of a tenant, at its running leaf. */
const edgeCollectors = new Map<string, Awaited<ReturnType<typeof inClusterCollector>>>();
const leaves = new Map<string, EdgeLeaf>();
const collector = (slug: string) => one(edgeCollectors.get(slug), `${slug}'s collector`);
const reader = (r: Rendered, slug: string) => one(T(r, slug).reader, `${slug} reader`);
const manager = (r: Rendered, slug: string) => one(T(r, slug).manager, `${slug} manager`);
const allCreds = (r: Rendered, slug: string): Creds[] => {
  const t = T(r, slug);
  return [...t.collectors, one(t.leaf, "leaf"), reader(r, slug), manager(r, slug)];
};

/** The account a tenant's creds are issued by (from the creds, not from the program's naming). */
const accountOf = (r: Rendered, slug: string) => jwtClaims(credsParts(reader(r, slug).text).jwt).iss as string;

/** The fragment as lines, the preload entries by account public key. */
function fragmentParts(fragment: string) {
  const entries = new Map<string, string>();
  const rest: string[] = [];
  for (const line of fragment.split("\n")) {
    const m = /^ {2}(A[A-Z2-7]{55}): "([^"]+)"$/.exec(line);
    if (m) entries.set(m[1]!, m[2]!);
    else rest.push(line);
  }
  return { entries, rest };
}

/** Account public keys whose preloaded JWT differs; fails if anything else in the fragment differs. */
function changedAccounts(before: Rendered, after: Rendered): string[] {
  const a = fragmentParts(before.fragment);
  const b = fragmentParts(after.fragment);
  expect(b.rest).toEqual(a.rest);
  expect([...b.entries.keys()]).toEqual([...a.entries.keys()]);
  return [...a.entries].filter(([pub, jwt]) => b.entries.get(pub) !== jwt).map(([pub]) => pub);
}

const accountClaims = (r: Rendered, slug: string) => decodeJwt(fragmentParts(r.fragment).entries.get(accountOf(r, slug))!).claims;
const creds = (r: Rendered) => new Map(r.objects.filter((o) => o.metadata.labels?.["tenancy.serviceradar.io/nats-user"]).map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o.stringData?.["nats.creds"]]));

/** Opens a connection, retrying while the server still counts connections that were just closed. */
async function connectEventually(c: Creds, name: string) {
  let last: unknown;
  // Up to 10 s: on a busy machine the server may take a while to forget closed connections.
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      return await clients.connect(c, name);
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw last;
}

/** The payloads of a tenant's hub events stream, as its manager sees them. */
async function eventsOf(r: Rendered, slug: string): Promise<string[]> {
  const nc = await clients.connect(manager(r, slug));
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(`${slug}-events`);
  const out: string[] = [];
  for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) out.push(td.decode((await jsm.streams.getMessage(`${slug}-events`, { seq })).data));
  await nc.close();
  return out;
}

/** A message from the tenant's collector, acked by its leaf, reaches its hub stream. */
async function roundTrip(r: Rendered, slug: string, tag: string) {
  const [ack] = await collector(slug).publish(tag);
  expect(ack!.domain).toBe(`${slug}-edge`);
  await eventually(`${slug}'s ${tag} message in its hub stream`, async () => (await eventsOf(r, slug)).includes(tag), 30_000);
}

/** Messages per stream of the subject tenant, and the stored payloads, as its manager sees them. */
async function storedMessages(r: Rendered) {
  // Its own connection, closed again: the subject's connection limit gets as low as 3.
  const nc = await clients.connect(manager(r, SUBJECT));
  const jsm = await nc.jetstreamManager();
  const out: Record<string, string[]> = {};
  for (const spec of T(r, SUBJECT).streams) {
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

beforeAll(async () => {
  dir = tempDir("nats-lifecycle-tenants-");
  for (const slug of [SUBJECT, BYSTANDER]) fs.copyFileSync(path.join(EXAMPLE_TENANTS, `${slug}.yaml`), path.join(dir, `${slug}.yaml`));
  fs.writeFileSync(path.join(dir, `${FULL}.yaml`), storageTenant(FULL, "256Ki"));
  fs.writeFileSync(path.join(dir, `${HALF}.yaml`), storageTenant(HALF, "128Ki"));
  R0 = R = render();
  const expected = fs.readdirSync(dir).map((f) => expectedNats(path.join(dir, f)));
  hub = await startNatsServer({ leafnodes: true, files: hubFiles(R0), config: hubWithLeafListener(hubSizeFor(expected)) });
  // The bystander's hub streams (the subject's are made by the first test), and both edges.
  const jsm = await (await clients.connect(manager(R0, BYSTANDER))).jetstreamManager();
  for (const spec of T(R0, BYSTANDER).streams) await jsm.streams.add(streamConfigOf(spec));
  await clients.closeAll();
  for (const slug of [SUBJECT, BYSTANDER]) {
    const leaf = await startInClusterLeaf(R0, slug, hub.leafPort!);
    leaves.set(slug, leaf);
    await keepLocalStreams(leaf);
    const first = (await import("node:fs")).readFileSync(path.join(dir, `${slug}.yaml`), "utf8").match(/type: (\w+)\n\s+partition: ([\w-]+)/)!;
    edgeCollectors.set(slug, await inClusterCollector(R0, slug, `${first[1]}-${first[2]}`, leaf));
  }
}, 90_000);

afterEach(async () => {
  await clients.closeAll();
});

afterAll(async () => {
  for (const c of edgeCollectors.values()) await c.close().catch(() => undefined);
  for (const l of leaves.values()) await l.server.stop();
  await clients.closeAll();
  await hub?.stop();
  for (const d of [dir, ...outs]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

let stored: Record<string, string[]>;
/** What the server logged while reloading the suspension. */
let suspensionLog = "";

describe("tenant lifecycle on a running hub", () => {
  it("re-renders unchanged tenant files to a byte-identical hub fragment and identical creds", () => {
    const again = render();
    expect(Buffer.from(again.fragment).equals(Buffer.from(R0.fragment))).toBe(true);
    expect(creds(again)).toEqual(creds(R0));
    expect(creds(R0).size).toBeGreaterThan(0);
  });

  it("starts with the subject's streams holding what its collector published", async () => {
    const jsm = await (await clients.connect(manager(R, SUBJECT))).jetstreamManager();
    for (const spec of T(R, SUBJECT).streams) await jsm.streams.add(streamConfigOf(spec));
    // The subject's collector is a flowgger: one subject, acked by its leaf, sourced by the hub.
    const sent = ["m0", "m1", "m2"];
    const acks = await collector(SUBJECT).publish(...sent);
    expect(acks.map((a) => [a.stream, a.domain])).toEqual(sent.map(() => [`${SUBJECT}-events`, `${SUBJECT}-edge`]));
    await eventually("all messages stored", async () => {
      const counts = await Promise.all(T(R, SUBJECT).streams.map(async (s) => (await jsm.streams.info(s.name)).state.messages));
      return counts.reduce((a, b) => a + b, 0) === sent.length;
    }, 30_000);
    stored = await storedMessages(R);
    expect(Object.values(stored).flat().sort()).toEqual(sent.map((m) => `${SUBJECT}.events.syslog=${m}`).sort());
    expect(stored[`${SUBJECT}-events`]).toHaveLength(3);
    await roundTrip(R, BYSTANDER, "before");
  });

  it("(a) suspends: the new fragment changes only the subject's account; after reload none of its creds connects, the bystander works", async () => {
    editSubject((doc) => doc.set("status", "suspended"));
    const next = render();
    expect(changedAccounts(R, next)).toEqual([accountOf(R, SUBJECT)]);
    const before = accountClaims(R, SUBJECT);
    const after = accountClaims(next, SUBJECT);
    // Every user revoked ("*"), no leaf admitted; `conn` untouched (lowering it would close the
    // streams' internal clients too, nats-server#6766).
    expect(after.nats.limits).toEqual({ ...(before.nats.limits as object), leaf: 0 });
    expect(after.nats.revocations).toEqual({ "*": before.iat });
    expect(after.jti).not.toBe(before.jti);
    expect(after.iat).toBe(before.iat);

    // Raw sessions survive a reload unless the server drops them: the subject's is dropped.
    const subjectLive = await rawSession(hub.port, reader(R, SUBJECT));
    const bystanderLive = await rawSession(hub.port, reader(R, BYSTANDER));
    expect([subjectLive.greeting, bystanderLive.greeting]).toEqual(["+OK", "+OK"]);
    const mark = hub.logs().length;
    await deploy(next);
    suspensionLog = hub.logs().slice(mark);
    // The revoked user's open connection is closed by the server.
    let last = await subjectLive.reply();
    while (last !== "<closed>") {
      expect(last).toMatch(/^-ERR '(Authorization Violation|User Authentication Revoked)'$/);
      last = await subjectLive.reply();
    }
    bystanderLive.send("PING\r\n");
    expect(await bystanderLive.reply()).toBe("PONG");
    bystanderLive.close();

    const refused: string[] = [];
    for (const c of [reader(R, SUBJECT), manager(R, SUBJECT)]) {
      expect(await rawGreeting(hub.port, c), c.secret).toBe(AUTH_VIOLATION);
      await expect(clients.connect(c), c.secret).rejects.toThrow();
      refused.push(c.secret);
    }
    console.log(`suspended ${SUBJECT}: refused ${refused.length} creds (${refused.join(", ")})`);
    // The hub refuses the subject's leaf; its collector is still acked at the leaf, which keeps it.
    const leafLog = leaves.get(SUBJECT)!.server;
    await eventually("the suspended tenant's leaf refused", async () => /Authorization Violation|maximum leafnode|revoked/i.test(leafLog.logs()), 20_000);
    const [buffered] = await collector(SUBJECT).publish("while-suspended");
    expect(buffered!.domain).toBe(`${SUBJECT}-edge`);
    await roundTrip(R, BYSTANDER, "while-suspended");
  });

  it("(b) reactivates: the fragment is the first one again; connections work and every stored message is still there", async () => {
    editSubject((doc) => doc.set("status", "active"));
    const next = render();
    expect(Buffer.from(next.fragment).equals(Buffer.from(R0.fragment))).toBe(true);
    await deploy(next);
    for (const c of [reader(R, SUBJECT), manager(R, SUBJECT)]) await clients.connect(c);
    await clients.closeAll();
    await roundTrip(R, SUBJECT, "after-reactivation");
    // Everything stored before is still there, then what the leaf kept while suspended, once.
    const now = await storedMessages(R);
    expect(now[`${SUBJECT}-events`]).toEqual([...stored[`${SUBJECT}-events`]!, `${SUBJECT}.events.syslog=while-suspended`, `${SUBJECT}.events.syslog=after-reactivation`]);
    for (const [name, msgs] of Object.entries(stored)) if (name !== `${SUBJECT}-events`) expect(now[name]).toEqual(msgs);
  });

  it("(b′) the streams still take messages after suspend → reactivate (their internal clients were never closed)", async () => {
    // With `conn: 0` as the suspension, nats-server 2.9.10 closed the streams' internal JETSTREAM
    // clients on reload (nats-server#6766) and the streams answered 503 until a restart. Suspension
    // by revocation leaves them alone.
    expect(suspensionLog).not.toContain("JETSTREAM - maximum account active connections exceeded");
    // The previous test's round trip after reactivation was already stored by the stream.
    const before = await storedMessages(R);
    expect(before[`${SUBJECT}-events`]).toContain(`${SUBJECT}.events.syslog=after-reactivation`);
    const [ack] = await collector(SUBJECT).publish("after reactivation");
    expect(ack!.stream).toBe(`${SUBJECT}-events`);
    await eventually("sourced after reactivation", async () => (await eventsOf(R, SUBJECT)).includes("after reactivation"), 30_000);
    await clients.closeAll();
    const now = await storedMessages(R);
    expect(now[`${SUBJECT}-events`]).toEqual([...before[`${SUBJECT}-events`]!, `${SUBJECT}.events.syslog=after reactivation`]);
    stored = now;
  });

  it("(c) changes limits by override: only the subject's JWT changes (new jti, same iat); the new limits hold and the messages stay", async () => {
    // 4: the least validation admits for its two leaf nodes (in-cluster edge, site "office") and
    // the platform's reader and manager.
    editSubject((doc) => doc.set("overrides", { nats: { connections: 4, payload: 2048 } }));
    const next = render();
    expect(changedAccounts(R0, next)).toEqual([accountOf(R0, SUBJECT)]);
    const before = accountClaims(R0, SUBJECT);
    const after = accountClaims(next, SUBJECT);
    expect(after.nats.limits).toEqual({ ...(before.nats.limits as object), conn: 4, payload: 2048 });
    expect(after.jti).not.toBe(before.jti);
    expect(after.iat).toBe(before.iat);
    // Limits live in the account JWT: no user's creds change.
    expect(creds(next)).toEqual(creds(R0));
    await deploy(next);

    expect(await storedMessages(R)).toEqual(stored);
    await clients.closeAll();

    // payload 2048: accepted; 2049: refused by the server (nats.js would refuse it itself). The
    // reader may publish JetStream API requests; the payload limit holds before any permission.
    const raw = await rawSession(hub.port, reader(R, SUBJECT));
    expect(raw.greeting).toBe("+OK");
    raw.send(`PUB $JS.API.INFO ${2048}\r\n${"x".repeat(2048)}\r\n`);
    expect(await raw.reply()).toBe("+OK");
    raw.send(`PUB $JS.API.INFO ${2049}\r\n${"x".repeat(2049)}\r\n`);
    expect(await raw.reply()).toBe(PAYLOAD_VIOLATION);
    expect(await raw.reply()).toBe("<closed>");

    // connections 4: nats-server counts the leaf connection in `conn` (accounts.go
    // MaxTotalConnectionsReached), so with the subject's leaf connected — a round trip through it
    // proves it — three clients are admitted and the fourth refused.
    await roundTrip(R, SUBJECT, "before-counting");
    await clients.closeAll();
    // Raw sessions, kept open: the server may take a moment to forget the connections just closed
    // (a refused attempt is retried), and a raw socket reports a refusal as the server's line.
    const open: Awaited<ReturnType<typeof rawSession>>[] = [];
    for (let i = 0; i < 3; i++) {
      for (let attempt = 0; ; attempt++) {
        const session = await rawSession(hub.port, reader(R, SUBJECT));
        if (session.greeting === "+OK") {
          open.push(session);
          break;
        }
        session.close();
        expect(session.greeting).toBe(CONN_LIMIT);
        if (attempt > 100) throw new Error(`connection ${i + 1} of 3 still refused after ${attempt} attempts`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // The account's payload limit arrives in the INFO the server sends once the CONNECT is accepted.
    open[0]!.send("PING\r\n");
    expect(await open[0]!.reply()).toBe("PONG");
    expect(open[0]!.info.max_payload).toBe(2048);
    expect(await rawGreeting(hub.port, reader(R, SUBJECT))).toBe(CONN_LIMIT);
    // The limit is the account's: the manager is refused too.
    expect(await rawGreeting(hub.port, manager(R, SUBJECT))).toBe(CONN_LIMIT);
    for (const session of open) session.close();
    console.log(`override: ${SUBJECT} admits 4 connections (its leaf and 3 clients; the next refused), payload 2048 accepted / 2049 refused; ${Object.values(stored).flat().length} stored messages kept`);
  });

  it("(d) storage: every stream must reserve its size (max_bytes_required); a reservation past the account's disk storage is refused; the tenant's own streams are never starved", async () => {
    // Both accounts exist as the files say.
    for (const slug of [FULL, HALF]) {
      const e = expectedNats(path.join(dir, `${slug}.yaml`));
      expect([e.diskStorage, e.streams], slug).toEqual([1024 * KI, 5]);
    }
    const MAX_BYTES_REQUIRED = { api_error: { err_code: 10113, description: "account requires a stream config to have max bytes set" } };
    const INSUFFICIENT = { api_error: { err_code: 10047, description: "insufficient storage resources available" } };

    // FULL: 4 × 256Ki = the whole 1Mi. No stream without max_bytes; no room for even one byte more.
    const full = await (await clients.connect(manager(R, FULL))).jetstreamManager();
    for (const spec of T(R, FULL).streams) await full.streams.add(streamConfigOf(spec));
    await expect(full.streams.add({ name: `${FULL}-extra`, subjects: [`${FULL}.extra.>`], storage: "file" as never })).rejects.toMatchObject(MAX_BYTES_REQUIRED);
    await expect(full.streams.add({ name: `${FULL}-extra`, subjects: [`${FULL}.extra.>`], storage: "file" as never, max_bytes: 1 })).rejects.toMatchObject(INSUFFICIENT);

    // HALF: 4 × 128Ki leaves 512Ki: an unbounded stream is refused, a 512Ki one fits, 1 byte more not.
    const half = await (await clients.connect(manager(R, HALF))).jetstreamManager();
    for (const spec of T(R, HALF).streams) await half.streams.add(streamConfigOf(spec));
    await expect(half.streams.add({ name: `${HALF}-extra`, subjects: [`${HALF}.extra.>`], storage: "file" as never })).rejects.toMatchObject(MAX_BYTES_REQUIRED);
    await expect(half.streams.add({ name: `${HALF}-extra`, subjects: [`${HALF}.extra.>`], storage: "file" as never, max_bytes: 512 * KI + 1 })).rejects.toMatchObject(INSUFFICIENT);
    const extra = await half.streams.add({ name: `${HALF}-extra`, subjects: [`${HALF}.extra.>`], storage: "file" as never, max_bytes: 512 * KI, discard: "new" as never });
    expect(extra.config.max_bytes).toBe(512 * KI);
    // The reservations are the whole account now: nothing more fits, and no stream can take the
    // others' share (each reserved its max_bytes at creation).
    await expect(half.streams.add({ name: `${HALF}-more`, subjects: [`${HALF}.more.>`], storage: "file" as never, max_bytes: 1 })).rejects.toMatchObject({ api_error: { err_code: 10027 } });
    console.log(`storage: unbounded streams refused (10113); ${FULL} 1 byte past its reservation refused (10047); ${HALF} took a 512Ki fifth stream, 1 byte more refused`);
  });
});
