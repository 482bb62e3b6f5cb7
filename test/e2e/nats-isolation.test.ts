/**
 * Tenant isolation on a real nats-server (Debian's 2.9.10), started from what the program renders
 * for the example tenants: the hub fragment of ConfigMap platform/nats-hub-accounts, the creds of
 * every Secret labelled tenancy.serviceradar.io/nats-user, and the NACK Streams.
 *
 * Expectations come from the tenant files, the plans and the brief's rules (collectors belong to
 * an account only their leaf knows, leaf creds are leaf-only, readers read their own tenant, a
 * suspended tenant admits no connection), never from the program's own functions. Data from the
 * edge reaches the hub by stream sourcing; that path is test/e2e/edge-e2e.test.ts.
 *
 * One server for the file (beforeAll/afterAll). The tests run in order: the JetStream tests create
 * the streams the later ones use. Every test closes its connections (afterEach), since the
 * account connection limits count them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AckPolicy, type NatsConnection, type NatsError } from "nats";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import {
  Clients,
  EXAMPLE_TENANTS,
  credsParts,
  eventually,
  expectedNats,
  goDurationNs,
  hubConfig,
  hubSizeFor,
  jwtClaims,
  loadRendered,
  rawGreeting,
  rawSession,
  readTenantFile,
  record,
  statusLog,
  streamConfigOf,
  tempDir,
  until,
  type Creds,
  type ExpectedNats,
  type Rendered,
  type RenderedTenant,
} from "../support/rendered";
import { renderSync } from "../support/render";

const te = new TextEncoder();
const td = new TextDecoder();

// ---------------------------------------------------------------------------------------------
// What the tenant files say
// ---------------------------------------------------------------------------------------------

interface TenantExpectation extends ExpectedNats {
  collectors: { type: string; partition: string }[];
}

const TENANT_FILES = fs
  .readdirSync(EXAMPLE_TENANTS)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => path.join(EXAMPLE_TENANTS, f));
const EXPECTED = new Map<string, TenantExpectation>(
  TENANT_FILES.map((file) => {
    const e = expectedNats(file);
    return [e.slug, { ...e, collectors: readTenantFile(file).collectors ?? [] }];
  }),
);
const SLUGS = [...EXPECTED.keys()];
const ACTIVE = SLUGS.filter((s) => EXPECTED.get(s)!.status === "active");
const SUSPENDED = SLUGS.filter((s) => EXPECTED.get(s)!.status === "suspended");

/** The brief's subjects: the four streams of a tenant, and what a collector publishes into each. */
const STREAM_SUBJECTS = (slug: string) => [`${slug}.events.>`, `${slug}.snmp.traps`, `${slug}.netflow.>`, `${slug}.otel.>`];
const SAMPLE_PUBLISHES = (slug: string) => [`${slug}.events.syslog`, `${slug}.snmp.traps`, `${slug}.netflow.v9`, `${slug}.otel.metrics.cpu`];

/** The server's texts (verified on 2.9.10). */
const CONN_LIMIT = "-ERR 'maximum account active connections exceeded'";
const AUTH_VIOLATION = "-ERR 'Authorization Violation'";
const PAYLOAD_VIOLATION = "-ERR 'Maximum Payload Violation'";
/** nats-server's default max_payload (the hub config does not set one). */
const SERVER_MAX_PAYLOAD = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Server and render
// ---------------------------------------------------------------------------------------------

let out: string;
let R: Rendered;
let hub: NatsServer;
const clients = new Clients(() => hub.url);
const T = (slug: string): RenderedTenant => {
  const t = R.tenants.get(slug);
  if (!t) throw new Error(`nothing rendered for tenant ${slug}`);
  return t;
};
const need = <V>(v: V | undefined, what: string): V => {
  if (v === undefined) throw new Error(`missing ${what}`);
  return v;
};
const reader = (slug: string) => need(T(slug).reader, `${slug} reader creds`);
const manager = (slug: string) => need(T(slug).manager, `${slug} manager creds`);
const leaf = (slug: string) => need(T(slug).leaf, `${slug} leaf creds`);

beforeAll(async () => {
  out = tempDir("nats-isolation-");
  renderSync({ out, tenants: EXAMPLE_TENANTS, revealSecrets: true });
  R = loadRendered(out);
  hub = await startNatsServer({ files: { "accounts.conf": R.fragment }, config: hubConfig(hubSizeFor(EXPECTED.values())) });
}, 60_000);

afterEach(async () => {
  await clients.closeAll();
});

afterAll(async () => {
  await clients.closeAll();
  await hub?.stop();
  if (out) fs.rmSync(out, { recursive: true, force: true });
});

/**
 * Subscribes and waits for the server's verdict: a refusal (-ERR) is sent before the PONG that
 * answers the flush's PING, so after a round trip (two, to be safe) an accepted subscription has
 * no error.
 */
async function trySubscribe(nc: NatsConnection, subject: string) {
  const rec = record(nc, subject);
  await nc.flush();
  if (rec.errors.length === 0) await nc.flush();
  return rec;
}

const isSubRefusal = (errors: NatsError[], subject: string) =>
  errors.some((e) => e.code === "PERMISSIONS_VIOLATION" && e.message.includes(`Permissions Violation for Subscription to "${subject}"`));

// ---------------------------------------------------------------------------------------------
// The render itself
// ---------------------------------------------------------------------------------------------

describe("the rendered NATS objects", () => {
  it("give every tenant file its users, in the namespaces the brief names, and four streams with the plan's retention", () => {
    expect([...R.tenants.keys()].sort()).toEqual([...SLUGS].sort());
    for (const slug of SLUGS) {
      const t = T(slug);
      const e = EXPECTED.get(slug)!;
      expect(t.collectors.map((c) => c.secret).sort()).toEqual(e.collectors.map((c) => `tenant-${slug}-edge/${c.type}-${c.partition}-nats-creds`).sort());
      expect(leaf(slug).secret).toBe(`tenant-${slug}-edge/nats-leaf-creds`);
      expect(reader(slug).secret).toBe(`platform/nats-${slug}-reader-creds`);
      expect(manager(slug).secret).toBe(`platform/nats-${slug}-manager-creds`);
      expect(t.streams.map((s) => s.subjects).sort()).toEqual(STREAM_SUBJECTS(slug).map((s) => [s]).sort());
      for (const s of t.streams) {
        expect(s).toMatchObject({ storage: "file", retention: "limits", discard: "old", maxAge: e.retention.maxAge, maxBytes: e.retention.maxBytes });
        if (/^\d+h$/.test(e.retention.maxAge)) expect(goDurationNs(s.maxAge)).toBe(parseInt(e.retention.maxAge, 10) * 3_600 * 1e9);
      }
    }
    const streamObjects = R.objects.filter((o) => o.kind === "Stream");
    expect(streamObjects.length).toBe(4 * SLUGS.length);
    expect(new Set(streamObjects.map((o) => `${o.apiVersion} ${o.metadata.namespace}`))).toEqual(new Set(["jetstream.nats.io/v1beta2 platform"]));
  });

  it("issues each tenant's creds from one account of its own, preloaded in the hub fragment", () => {
    const preloaded = new Map<string, string>();
    for (const m of R.fragment.matchAll(/^ {2}(A[A-Z2-7]{55}): "([^"]+)"$/gm)) preloaded.set(m[1]!, m[2]!);
    const accountOf = new Map<string, string>();
    for (const slug of SLUGS) {
      const t = T(slug);
      const all: Creds[] = [leaf(slug), reader(slug), manager(slug)];
      const issuers = new Set(all.map((c) => jwtClaims(credsParts(c.text).jwt).iss as string));
      expect(issuers.size).toBe(1);
      const account = [...issuers][0]!;
      expect(preloaded.has(account)).toBe(true);
      accountOf.set(slug, account);
      // The in-cluster edge's collectors (and its streams user) belong to an account of the edge's
      // own: operator-signed, in the leaf's config, never in the hub's.
      const edgeUsers = [...t.collectors, ...(t.streamsUser ? [t.streamsUser] : [])];
      const edgeIssuers = new Set(edgeUsers.map((c) => jwtClaims(credsParts(c.text).jwt).iss as string));
      if (edgeUsers.length > 0) {
        expect(edgeIssuers.size, slug).toBe(1);
        const edgeAccount = [...edgeIssuers][0]!;
        expect(edgeAccount).not.toBe(account);
        expect(preloaded.has(edgeAccount), `${slug}'s edge account is not on the hub`).toBe(false);
        const leafConfig = R.objects.find((o) => o.kind === "ConfigMap" && o.metadata.namespace === `tenant-${slug}-edge` && o.metadata.name === "nats-leaf-config")!.data!["nats-leaf.conf"]!;
        const preload = new Map([...leafConfig.matchAll(/^ {2}(A[A-Z2-7]{55}): "([^"]+)"$/gm)].map((m) => [m[1]!, jwtClaims(m[2]!)]));
        expect(preload.get(edgeAccount)?.name).toBe(`EDGE_${slug}_edge`);
        expect(preload.has(account), "the leaf does not know the tenant's hub account").toBe(false);
      }
    }
    expect(new Set(accountOf.values()).size).toBe(SLUGS.length);

    // Sizes of the preload entries, for the report.
    const sizes: string[] = [];
    for (const m of R.fragment.matchAll(/^ {2}# (.+)\n( {2}A[A-Z2-7]{55}: "[^"]+"\n)/gm)) sizes.push(`${m[1]}=${Buffer.byteLength(m[2]!)}B`);
    console.log(`accounts.conf: ${Buffer.byteLength(R.fragment)} bytes; preload entries: ${sizes.join(", ")}`);
    expect(sizes.length).toBe(preloaded.size);
  });
});

// ---------------------------------------------------------------------------------------------
// Isolation
// ---------------------------------------------------------------------------------------------

describe("isolation between tenants", () => {
  it("refuses every collector's (and streams user's) creds on the hub's client port: their account is their leaf's own", async () => {
    let refused = 0;
    for (const slug of SLUGS) {
      for (const c of [...T(slug).collectors, ...(T(slug).streamsUser ? [T(slug).streamsUser!] : [])]) {
        expect(await rawGreeting(hub.port, c), c.secret).toBe(AUTH_VIOLATION);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
    console.log(`hub client port: ${refused} edge creds refused (collectors and streams users of every tenant)`);
  });

  it("denies every ordered pair of different tenants", async () => {
    // Suspended tenants: none of their creds connects (the account revokes every user, "*"; the
    // leaf creds are leaf-only anyway).
    const suspendedRefusals = new Map<string, string[]>();
    for (const slug of SUSPENDED) {
      const problems: string[] = [];
      for (const c of [...T(slug).collectors, reader(slug), manager(slug)]) {
        const greeting = await rawGreeting(hub.port, c);
        if (greeting !== AUTH_VIOLATION) problems.push(`${c.secret} got ${greeting}`);
        // nats.js reports the refusal as the server's text or as the EPIPE of the closed socket.
        const viaClient = await clients.connect(c).then(
          () => "connected",
          () => "refused",
        );
        if (viaClient !== "refused") problems.push(`${c.secret} connected with nats.js`);
      }
      const leafGreeting = await rawGreeting(hub.port, leaf(slug));
      if (leafGreeting !== AUTH_VIOLATION) problems.push(`${leaf(slug).secret} got ${leafGreeting}`);
      suspendedRefusals.set(slug, problems);
    }

    // Of an active tenant, only the platform's reader and manager are hub clients (collectors
    // are refused outright, above): one publishing connection (the reader's) per tenant, and a
    // reader watching, for the whole matrix.
    const collectors = new Map<string, { creds: Creds; nc: NatsConnection; status: ReturnType<typeof statusLog> }[]>();
    const readers = new Map<string, NatsConnection>();
    for (const slug of ACTIVE) {
      const list = [];
      for (const c of [reader(slug), manager(slug)]) {
        const nc = await clients.connect(c);
        list.push({ creds: c, nc, status: statusLog(nc) });
      }
      collectors.set(slug, list);
      readers.set(slug, await clients.connect(reader(slug)));
    }

    const failures: string[] = [];
    let denied = 0;
    let byPermissions = 0;
    let bySuspension = 0;
    for (const a of SLUGS) {
      for (const b of SLUGS) {
        if (a === b) continue;
        const pair = `${a}→${b}`;
        const problems: string[] = [];
        if (SUSPENDED.includes(a)) {
          problems.push(...suspendedRefusals.get(a)!);
          if (problems.length === 0) bySuspension++;
        } else {
          // B's side: a live reader on B.> (or none at all when B is suspended).
          let bRec: ReturnType<typeof record> | undefined;
          if (ACTIVE.includes(b)) {
            bRec = await trySubscribe(readers.get(b)!, `${b}.>`);
            if (bRec.errors.length) problems.push(`${b}'s reader cannot subscribe to its own subjects`);
          } else {
            const g = await rawGreeting(hub.port, reader(b));
            if (g !== AUTH_VIOLATION) problems.push(`suspended ${b}'s reader connected: ${g}`);
          }
          for (const { creds, nc, status } of collectors.get(a)!) {
            const subject = `${b}.events.x`;
            nc.publish(subject, te.encode(`leak ${pair}`));
            await nc.flush();
            const violation = await until(`the violation for ${creds.secret} → ${subject}`, () =>
              status.find((s) => s.data === "PERMISSIONS_VIOLATION" && s.permissionContext?.operation === "publish" && s.permissionContext.subject === subject),
              2_000,
            ).catch(() => undefined);
            if (!violation) problems.push(`${creds.secret} published to ${subject} without a permissions violation`);
            if (nc.isClosed()) problems.push(`${creds.secret}: connection closed by a denied publish`);
            for (const subj of [">", `${b}.>`]) {
              const rec = await trySubscribe(nc, subj);
              if (!isSubRefusal(rec.errors, subj)) problems.push(`${creds.secret} subscribed to ${subj}`);
            }
          }
          const aReaderSub = await trySubscribe(readers.get(a)!, `${b}.>`);
          if (!isSubRefusal(aReaderSub.errors, `${b}.>`)) problems.push(`${a}'s reader subscribed to ${b}.>`);
          if (bRec) {
            // B's reader got nothing from A (its liveness on its own data: edge-e2e).
            await readers.get(b)!.flush();
            if (bRec.messages.length) problems.push(`${b}'s reader received ${JSON.stringify(bRec.messages)}`);
            bRec.sub.unsubscribe();
          }
          if (problems.length === 0) byPermissions++;
        }
        if (problems.length === 0) denied++;
        else failures.push(`${pair}: ${problems.join("; ")}`);
      }
    }
    console.log(
      `NATS isolation: ${denied}/${SLUGS.length * (SLUGS.length - 1)} ordered tenant pairs denied ` +
        `(${byPermissions} by permissions, ${bySuspension} by suspension; tenants ${SLUGS.join(", ")}; suspended ${SUSPENDED.join(", ") || "none"})`,
    );
    expect(failures).toEqual([]);
    expect(denied).toBe(12);
  });

  it("keeps the reader off stream management and leaf creds off client connections", async () => {
    for (const slug of ACTIVE) {
      const c = reader(slug);
      const nc = await clients.connect(c);
      const status = statusLog(nc);
      for (const api of [`$JS.API.STREAM.CREATE.${slug}-x`, `$JS.API.STREAM.UPDATE.${slug}-events`, `$JS.API.STREAM.DELETE.${slug}-events`]) {
        await expect(nc.request(api, undefined, { timeout: 2_000 }), `${c.secret} ${api}`).rejects.toMatchObject({
          code: "PERMISSIONS_VIOLATION",
          message: `'Permissions Violation for Publish to "${api}"'`,
        });
        expect(status.some((s) => s.data === "PERMISSIONS_VIOLATION" && s.permissionContext?.subject === api)).toBe(true);
      }
      expect(nc.isClosed()).toBe(false);
    }
    for (const slug of SLUGS) {
      expect(await rawGreeting(hub.port, leaf(slug)), `${slug} leaf`).toBe(AUTH_VIOLATION);
      await expect(clients.connect(leaf(slug))).rejects.toMatchObject({ code: "AUTHORIZATION_VIOLATION" });
    }
    // The leaf JWT says why: only LEAFNODE connections.
    expect(jwtClaims(credsParts(leaf(ACTIVE[0]!).text).jwt).nats.allowed_connection_types).toEqual(["LEAFNODE"]);
  });
});

// ---------------------------------------------------------------------------------------------
// JetStream
// ---------------------------------------------------------------------------------------------

describe("JetStream streams", () => {
  it("creates the rendered streams with each tenant's manager creds; collector data lands in its stream; readers read their own streams only", async () => {
    for (const slug of ACTIVE) {
      const t = T(slug);
      const e = EXPECTED.get(slug)!;
      const jsm = await (await clients.connect(manager(slug))).jetstreamManager();
      const limits = (await jsm.getAccountInfo()).limits;
      expect(limits, slug).toMatchObject({ max_storage: e.diskStorage, max_memory: e.memoryStorage, max_streams: e.streams, max_consumers: e.consumers });
      for (const spec of t.streams) {
        const info = await jsm.streams.add(streamConfigOf(spec));
        expect(info.config).toMatchObject({
          name: spec.name,
          subjects: spec.subjects,
          storage: "file",
          retention: "limits",
          discard: "old",
          max_bytes: e.retention.maxBytes,
          max_age: goDurationNs(e.retention.maxAge),
          num_replicas: 1,
        });
      }

      // The reader: a durable consumer on each of its streams (what flows into them comes from
      // the edge by sourcing: edge-e2e).
      const rd = await clients.connect(reader(slug));
      const rjsm = await rd.jetstreamManager();
      for (const spec of t.streams) {
        await rjsm.consumers.add(spec.name, { durable_name: "eventwriter", ack_policy: AckPolicy.Explicit });
        expect((await rjsm.consumers.info(spec.name, "eventwriter")).name).toBe("eventwriter");
      }
      // …and no other tenant's streams: the reader may not even ask, the manager's account has
      // no such stream.
      for (const other of SLUGS.filter((s) => s !== slug)) {
        for (const spec of T(other).streams) {
          await expect(rjsm.consumers.add(spec.name, { durable_name: "spy", ack_policy: AckPolicy.Explicit })).rejects.toMatchObject({
            code: "PERMISSIONS_VIOLATION",
          });
          await expect(rjsm.streams.info(spec.name)).rejects.toMatchObject({ code: "PERMISSIONS_VIOLATION" });
          await expect(jsm.streams.info(spec.name)).rejects.toMatchObject({ api_error: { err_code: 10059, description: "stream not found" } });
        }
      }
      expect((await jsm.streams.names().next()).sort()).toEqual(t.streams.map((s) => s.name).sort());
    }
  });

  it("reserves the account's storage with the rendered streams: a fifth stream needs what is left", async () => {
    const seen: string[] = [];
    for (const slug of ACTIVE) {
      const e = EXPECTED.get(slug)!;
      const jsm = await (await clients.connect(manager(slug))).jetstreamManager();
      const left = e.diskStorage - 4 * e.retention.maxBytes;
      const fifth = (maxBytes: number) => jsm.streams.add({ name: `${slug}-fifth`, subjects: [`${slug}.fifth.>`], storage: "file" as never, max_bytes: maxBytes });
      if (e.streams !== -1 && e.streams <= 4) {
        // The plan allows only the four rendered streams: a fifth is refused before any size check.
        await expect(fifth(1)).rejects.toMatchObject({ api_error: { err_code: 10027, description: "maximum number of streams reached" } });
        seen.push(`${slug}: 10027 (streams ${e.streams}, ${left} B left)`);
        continue;
      }
      await expect(fifth(left + 1)).rejects.toMatchObject({ api_error: { err_code: 10047, description: "insufficient storage resources available" } });
      const info = await fifth(left);
      expect(info.config.max_bytes).toBe(left);
      await jsm.streams.delete(`${slug}-fifth`);
      seen.push(`${slug}: ${left + 1} B → 10047, ${left} B accepted`);
    }
    console.log(`fifth stream: ${seen.join("; ")}`);
  });
});

// ---------------------------------------------------------------------------------------------
// Account limits
// ---------------------------------------------------------------------------------------------

describe("account limits from the plan", () => {
  const SUBJECT = "initech";

  it("admits the plan's number of connections and refuses the next", async () => {
    const e = EXPECTED.get(SUBJECT)!;
    expect(e.connections).toBe(10); // free plan, no override: the example this test is about
    const creds = reader(SUBJECT);
    for (let i = 0; i < e.connections; i++) {
      // Connections closed by the previous test may take a moment to leave the server's count.
      let opened = false;
      for (let attempt = 0; !opened && attempt < 40; attempt++) {
        opened = await clients.connect(creds, `limit-${i}`).then(
          () => true,
          async () => {
            await new Promise((r) => setTimeout(r, 50));
            return false;
          },
        );
      }
      expect(opened, `connection ${i + 1} of ${e.connections}`).toBe(true);
    }
    expect(await rawGreeting(hub.port, creds)).toBe(CONN_LIMIT);
    expect(await rawGreeting(hub.port, manager(SUBJECT))).toBe(CONN_LIMIT); // the limit is the account's
    await expect(clients.connect(creds)).rejects.toThrow();
    console.log(`connections: ${SUBJECT} admitted ${e.connections}, refused connection ${e.connections + 1} ("${CONN_LIMIT.slice(6, -1)}")`);
  });

  it("enforces the plan's payload: the limit is accepted, one byte more is refused", async () => {
    const e = EXPECTED.get(SUBJECT)!;
    // The reader may publish JetStream API requests: the payload limit holds before any permission.
    const creds = reader(SUBJECT);
    const nc = await clients.connect(creds);
    expect(nc.info?.max_payload).toBe(e.payload);
    expect(() => nc.publish(`${SUBJECT}.events.big`, new Uint8Array(e.payload + 1))).toThrow(/MAX_PAYLOAD_EXCEEDED/);

    const raw = await rawSession(hub.port, creds);
    expect(raw.greeting).toBe("+OK");
    raw.send("PING\r\n");
    expect(await raw.reply()).toBe("PONG");
    expect(raw.info.max_payload).toBe(e.payload);
    raw.send(`PUB $JS.API.INFO ${e.payload}\r\n${"x".repeat(e.payload)}\r\n`);
    expect(await raw.reply()).toBe("+OK");
    raw.send(`PUB $JS.API.INFO ${e.payload + 1}\r\n${"x".repeat(e.payload + 1)}\r\n`);
    expect(await raw.reply()).toBe(PAYLOAD_VIOLATION);
    expect(await raw.reply()).toBe("<closed>");

    // Every active tenant is told min(plan payload, the server's max_payload): a plan above the
    // hub's max_payload (1 MiB by default) is silently capped.
    const told: string[] = [];
    for (const slug of ACTIVE) {
      const conn = await clients.connect(reader(slug));
      const want = Math.min(EXPECTED.get(slug)!.payload, SERVER_MAX_PAYLOAD);
      expect(conn.info?.max_payload, slug).toBe(want);
      told.push(`${slug} ${EXPECTED.get(slug)!.payload}→${conn.info?.max_payload}`);
      await conn.close();
    }
    console.log(`payload (plan→effective): ${told.join(", ")}`);
  });
});
