/**
 * Tenant isolation on a real hub of nats-servers (Debian's 2.9.10), started from what the program
 * renders for the example tenants: three servers with the full account resolver, each including the
 * rendered accounts.conf and hub.conf of ConfigMap platform/nats-hub-accounts, every tenant's
 * account JWT pushed to them by the program's own push code (test/support/hub-cluster.ts); the
 * creds of every Secret labelled tenancy.serviceradar.io/nats-user, and the NACK Streams. Three
 * servers because the pro and enterprise tenants' JetStream tier is R3: their streams have three
 * replicas, which one server refuses.
 *
 * Expectations come from the tenant files, the plans and the brief's rules (collectors belong to
 * an account only their leaf knows, leaf creds are leaf-only, readers read their own tenant, a
 * suspended tenant admits no connection), never from the program's own functions. Data from the
 * edge reaches the hub by stream sourcing; that path is test/e2e/edge-e2e.test.ts.
 *
 * One hub for the file (beforeAll/afterAll); clients connect to its first server. The tests run in
 * order: the JetStream tests create the streams the later ones use. Every test closes its
 * connections (afterEach), since the account connection limits count them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AckPolicy, type NatsConnection, type NatsError } from "nats";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { listAccounts, lookupAccount, withPusher } from "../../lib/nats/push";
import type { HubCluster, RenderedHub } from "../support/hub-cluster";
import {
  Clients,
  EXAMPLE_TENANTS,
  addStream,
  credsParts,
  eventually,
  expectedNats,
  goDurationNs,
  hubSizeFor,
  jwtClaims,
  loadHubAccounts,
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
  type HubAccountFile,
  type Rendered,
  type RenderedTenant,
} from "../support/rendered";
import { renderSync } from "../support/render";
import { startPushedHub } from "../support/hub-cluster";

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
const SUBS_LIMIT = "-ERR 'maximum subscriptions exceeded'";
/** nats-server's own ceiling for max_payload. */
const MAX_SERVER_PAYLOAD = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Server and render
// ---------------------------------------------------------------------------------------------

let out: string;
let R: Rendered;
/** `hub/accounts/<slug>.yaml` of the render, by slug. */
let ACCOUNTS: Map<string, HubAccountFile>;
/** What the render gives the hub: its configuration files and the account pushes. */
let pushed: RenderedHub;
let cluster: HubCluster;
/** The client port of the hub's first server, where the raw sessions go. */
let hubPort: number;
const clients = new Clients(() => cluster.servers[0]!.server.url);
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
  ACCOUNTS = loadHubAccounts(out);
  ({ cluster, hub: pushed } = await startPushedHub(out, { servers: 3, jetstream: hubSizeFor(EXPECTED.values()) }));
  hubPort = cluster.servers[0]!.server.port;
}, 120_000);

afterEach(async () => {
  await clients.closeAll();
});

afterAll(async () => {
  await clients.closeAll();
  await cluster?.stop();
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
      // Changed by the resource diet: each edge component's creds are in its one Secret, the one
      // its certificate was in (`<component>-<partition>-tls`).
      expect(t.collectors.map((c) => c.secret).sort()).toEqual(e.collectors.map((c) => `tenant-${slug}-edge/${c.type}-${c.partition}-tls`).sort());
      expect(leaf(slug).secret).toBe(`tenant-${slug}-edge/leaf-edge-tls`);
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

  it("issues each tenant's creds from one account of its own, pushed to the hub (its JWT signed by the operator's signing key, its JetStream limits one tier), never in accounts.conf", () => {
    // accounts.conf preloads the system and platform accounts only.
    const preloaded = new Map<string, string>();
    for (const m of R.fragment.matchAll(/^ {2}(A[A-Z2-7]{55}): "([^"]+)"$/gm)) preloaded.set(m[1]!, m[2]!);
    expect([...R.fragment.matchAll(/^ {2}# (.+)$/gm)].map((m) => m[1]).sort()).toEqual(["PLATFORM", "SYS"]);
    expect(preloaded.size).toBe(2);
    expect(R.fragment).not.toMatch(/resolver: MEMORY/);
    expect(pushed.hubConf).toMatch(/^resolver \{\n {2}type: full\n/m);
    const operator = jwtClaims(/^operator: "([^"]+)"$/m.exec(R.fragment)![1]!);
    const signers = (operator.nats.signing_keys ?? []) as string[];
    expect(signers.length).toBeGreaterThan(0);

    const accountOf = new Map<string, string>();
    for (const slug of SLUGS) {
      const t = T(slug);
      const e = EXPECTED.get(slug)!;
      const all: Creds[] = [leaf(slug), reader(slug), manager(slug)];
      const issuers = new Set(all.map((c) => jwtClaims(credsParts(c.text).jwt).iss as string));
      expect(issuers.size).toBe(1);
      const account = [...issuers][0]!;
      expect(preloaded.has(account), slug).toBe(false);
      expect(R.fragment).not.toContain(account);
      accountOf.set(slug, account);

      // The tenant's one account push, and the render's review copy of it, carry that account.
      const pushes = pushed.pushes.filter((p) => p.tenant === slug);
      expect(pushes, slug).toHaveLength(1);
      const push = pushes[0]!.inputs;
      const claims = jwtClaims(push.jwt);
      expect(push.account).toBe(account);
      expect(push.name).toBe(`TENANT_${slug}`);
      expect(claims).toMatchObject({ sub: account, name: `TENANT_${slug}`, nats: { type: "account" } });
      expect(signers, slug).toContain(claims.iss);
      expect(claims.iss).not.toBe(operator.sub);
      expect(push.claims).toMatchObject({ jti: claims.jti, iat: claims.iat, issuer: claims.iss, limits: claims.nats.limits });
      expect(ACCOUNTS.get(slug)).toMatchObject({ tenant: slug, account, name: `TENANT_${slug}`, jwt: push.jwt, claims: push.claims });

      // The plan's limits: JetStream as the one tier of the plan's replicas, nothing untiered.
      const limits = claims.nats.limits;
      expect(limits, slug).toMatchObject({ conn: e.connections, subs: e.subscriptions, payload: e.payload });
      expect(Object.keys(limits.tiered_limits ?? {}), slug).toEqual([`R${e.replicas}`]);
      expect(limits.tiered_limits[`R${e.replicas}`]).toMatchObject({ disk_storage: e.diskStorage, mem_storage: e.memoryStorage, streams: e.streams, consumer: e.consumers });
      for (const untiered of ["disk_storage", "mem_storage", "streams", "consumer"]) expect(limits[untiered], `${slug} ${untiered}`).toBeUndefined();

      // Edge users carry the plan's per-connection limits in their own JWTs (the collectors in
      // their location's account, the leaf in the tenant's).
      for (const [role, creds] of [...t.collectors.map((c) => ["collector", c] as const), ["leaf", leaf(slug)] as const]) {
        const u = jwtClaims(credsParts(creds.text).jwt).nats;
        const want = e.userLimits[role];
        expect({ subs: u.subs, data: u.data, payload: u.payload }, creds.secret).toEqual({ subs: want.subscriptions, data: want.data, payload: want.payload });
      }

      // The in-cluster edge's collectors (and its streams user) belong to an account of the edge's
      // own: operator-signed, in the leaf's config, never given to the hub (not preloaded, not pushed).
      const edgeUsers = [...t.collectors, ...(t.streamsUser ? [t.streamsUser] : [])];
      const edgeIssuers = new Set(edgeUsers.map((c) => jwtClaims(credsParts(c.text).jwt).iss as string));
      if (edgeUsers.length > 0) {
        expect(edgeIssuers.size, slug).toBe(1);
        const edgeAccount = [...edgeIssuers][0]!;
        expect(edgeAccount).not.toBe(account);
        expect(preloaded.has(edgeAccount), `${slug}'s edge account is not on the hub`).toBe(false);
        expect(R.fragment + pushed.hubConf, `${slug}'s edge account is in no hub file`).not.toContain(edgeAccount);
        expect(pushed.pushes.filter((p) => p.inputs.account === edgeAccount || p.inputs.jwt.includes(edgeAccount) || jwtClaims(p.inputs.jwt).name === `EDGE_${slug}_edge`), `${slug}'s edge account is pushed`).toEqual([]);
        const leafConfig = R.objects.find((o) => o.kind === "ConfigMap" && o.metadata.namespace === `tenant-${slug}-edge` && o.metadata.name === "nats-leaf-config")!.data!["nats-leaf.conf"]!;
        const preload = new Map([...leafConfig.matchAll(/^ {2}(A[A-Z2-7]{55}): "([^"]+)"$/gm)].map((m) => [m[1]!, jwtClaims(m[2]!)]));
        expect(preload.get(edgeAccount)?.name).toBe(`EDGE_${slug}_edge`);
        // Signed like every account by the operator's signing key, which the leaf trusts through the operator JWT.
        expect(signers, `${slug}'s edge account signer`).toContain(preload.get(edgeAccount)!.iss);
        expect(preload.has(account), "the leaf does not know the tenant's hub account").toBe(false);
      }
    }
    expect(new Set(accountOf.values()).size).toBe(SLUGS.length);
    expect(pushed.pushes.map((p) => p.tenant).sort()).toEqual([...SLUGS].sort());
    expect([...ACCOUNTS.keys()].sort()).toEqual([...SLUGS].sort());

    console.log(
      `accounts.conf: ${Buffer.byteLength(R.fragment)} bytes, ${preloaded.size} preloaded accounts (system, platform); ` +
        `pushed account JWTs: ${pushed.pushes.map((p) => `${p.tenant}=${Buffer.byteLength(p.inputs.jwt)}B`).join(", ")}`,
    );
  });

  it("on the running hub: every resolver holds exactly each tenant's pushed JWT, and no account but those and the preloaded ones", async () => {
    const target = cluster.target();
    expect(target.expectedResolvers).toBe(3);
    const pusher = pushed.pushes[0]!.inputs.pusher;
    const held = await withPusher(target, pusher, (nc) => Promise.all(pushed.pushes.map((p) => lookupAccount(nc, p.inputs.account, target))));
    held.forEach((copies, i) => {
      expect(copies, pushed.pushes[i]!.tenant).toHaveLength(3);
      expect(new Set(copies)).toEqual(new Set([pushed.pushes[i]!.inputs.jwt]));
    });
    const lists = await withPusher(target, pusher, (nc) => listAccounts(nc, target));
    expect(lists).toHaveLength(3);
    const preloaded = [...R.fragment.matchAll(/^ {2}(A[A-Z2-7]{55}): "/gm)].map((m) => m[1]!);
    for (const list of lists) expect([...list].sort()).toEqual([...preloaded, ...pushed.pushes.map((p) => p.inputs.account)].sort());
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
        expect(await rawGreeting(hubPort, c), c.secret).toBe(AUTH_VIOLATION);
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
        const greeting = await rawGreeting(hubPort, c);
        if (greeting !== AUTH_VIOLATION) problems.push(`${c.secret} got ${greeting}`);
        // nats.js reports the refusal as the server's text or as the EPIPE of the closed socket.
        const viaClient = await clients.connect(c).then(
          () => "connected",
          () => "refused",
        );
        if (viaClient !== "refused") problems.push(`${c.secret} connected with nats.js`);
      }
      const leafGreeting = await rawGreeting(hubPort, leaf(slug));
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
            const g = await rawGreeting(hubPort, reader(b));
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
      expect(await rawGreeting(hubPort, leaf(slug)), `${slug} leaf`).toBe(AUTH_VIOLATION);
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
      // The account's JetStream is its plan's tier alone: R1 or R3 as the plan's replicas; nothing untiered.
      const account = await jsm.getAccountInfo();
      const tier = `R${e.replicas}` as "R1" | "R3";
      expect(Object.keys(account.tiers ?? {}), slug).toEqual([tier]);
      expect(account.tiers![tier]!.limits, slug).toMatchObject({ max_storage: e.diskStorage, max_memory: e.memoryStorage, max_streams: e.streams, max_consumers: e.consumers });
      expect(account.limits, slug).toMatchObject({ max_storage: 0, max_memory: 0, max_streams: 0, max_consumers: 0 });
      for (const spec of t.streams) {
        expect(spec.replicas, spec.name).toBe(e.replicas);
        const info = await addStream(jsm, streamConfigOf(spec));
        // Placed on as many servers as it has replicas: the leader and its peers.
        expect([info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((r) => r.name)].filter(Boolean).length, spec.name).toBe(e.replicas);
        expect(info.config).toMatchObject({
          name: spec.name,
          subjects: spec.subjects,
          storage: "file",
          retention: "limits",
          discard: "old",
          max_bytes: e.retention.maxBytes,
          max_age: goDurationNs(e.retention.maxAge),
          num_replicas: e.replicas,
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

  it("reserves the account's tier with the rendered streams, every replica counted: a fifth stream needs what is left, and a stream of another tier has no limits at all", async () => {
    const seen: string[] = [];
    for (const slug of ACTIVE) {
      const e = EXPECTED.get(slug)!;
      const jsm = await (await clients.connect(manager(slug))).jetstreamManager();
      const stream = (name: string, maxBytes: number, replicas = e.replicas) =>
        jsm.streams.add({ name: `${slug}-${name}`, subjects: [`${slug}.${name}.>`], storage: "file" as never, max_bytes: maxBytes, num_replicas: replicas });
      // A stream of the other replica count falls in a tier the account does not have.
      const otherReplicas = e.replicas === 1 ? 3 : 1;
      await expect(stream("other-tier", 1, otherReplicas), slug).rejects.toMatchObject({ api_error: { err_code: 10120, description: "no JetStream default or applicable tiered limit present" } });
      // What the rendered streams leave of the tier: each reserves max_bytes on each replica.
      let left = e.diskStorage - 4 * e.retention.maxBytes * e.replicas;
      if (e.streams !== -1 && e.streams <= 4) {
        // The plan allows only the four rendered streams: a fifth is refused before any size check.
        await expect(stream("fifth", 1)).rejects.toMatchObject({ api_error: { err_code: 10027, description: "maximum number of streams reached" } });
        seen.push(`${slug}: 10027 (streams ${e.streams}, ${left} B left), R${otherReplicas} 10120`);
        continue;
      }
      expect(left, slug).toBeGreaterThanOrEqual(0);
      const shrunk = `${slug}-events`;
      // A plan whose rendered streams fill the tier exactly (pro, enterprise) leaves no room for
      // even a one-byte stream; then one rendered stream gives back some, and exactly that fits.
      const giveBack = left < e.replicas ? 1 << 20 : 0;
      if (giveBack) {
        await expect(stream("fifth", 1)).rejects.toMatchObject({ api_error: { err_code: 10047, description: "insufficient storage resources available" } });
        const before = (await jsm.streams.info(shrunk)).config;
        await jsm.streams.update(shrunk, { ...before, max_bytes: before.max_bytes - giveBack });
        left += giveBack * e.replicas;
      }
      const fits = Math.floor(left / e.replicas);
      await expect(stream("fifth", fits + 1)).rejects.toMatchObject({ api_error: { err_code: 10047, description: "insufficient storage resources available" } });
      const info = await stream("fifth", fits);
      expect(info.config.max_bytes).toBe(fits);
      expect(info.config.num_replicas).toBe(e.replicas);
      await jsm.streams.delete(`${slug}-fifth`);
      if (giveBack) {
        const now = (await jsm.streams.info(shrunk)).config;
        await jsm.streams.update(shrunk, { ...now, max_bytes: e.retention.maxBytes });
        expect((await jsm.streams.info(shrunk)).config.max_bytes).toBe(e.retention.maxBytes);
      }
      seen.push(`${slug}: R${e.replicas} tier ${e.diskStorage} B, rendered streams leave ${e.diskStorage - 4 * e.retention.maxBytes * e.replicas} B; ${giveBack ? `${shrunk} gave back ${giveBack} B × ${e.replicas}; ` : ""}fifth of ${fits + 1} B → 10047, ${fits} B accepted; R${otherReplicas} → 10120`);
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
    expect(await rawGreeting(hubPort, creds)).toBe(CONN_LIMIT);
    expect(await rawGreeting(hubPort, manager(SUBJECT))).toBe(CONN_LIMIT); // the limit is the account's
    await expect(clients.connect(creds)).rejects.toThrow();
    console.log(`connections: ${SUBJECT} admitted ${e.connections}, refused connection ${e.connections + 1} ("${CONN_LIMIT.slice(6, -1)}")`);
  });

  it("gives an edge user the plan's per-connection subscription limit in its own JWT, below the account's", () => {
    // A collector connects to its own leaf, never to the hub (its account is the location's): the
    // hub side of this limit — the leaf user's, on the hub's leaf port — is proven on real servers
    // in test/e2e/hub-caps.test.ts (a rogue leaf's LS+ capped at it). Here: what the JWTs carry.
    const e = EXPECTED.get(SUBJECT)!;
    const n = e.userLimits.collector.subscriptions;
    expect(n).toBeLessThan(e.subscriptions);
    for (const c of T(SUBJECT).collectors) expect(jwtClaims(credsParts(c.text).jwt).nats.subs, c.secret).toBe(n);
    expect(jwtClaims(credsParts(T(SUBJECT).leaf!.text).jwt).nats.subs).toBe(e.userLimits.leaf.subscriptions);
  });

  it("enforces the plan's payload: the limit is accepted, one byte more is refused", async () => {
    const e = EXPECTED.get(SUBJECT)!;
    // The reader may publish JetStream API requests: the payload limit holds before any permission.
    const creds = reader(SUBJECT);
    const nc = await clients.connect(creds);
    expect(nc.info?.max_payload).toBe(e.payload);
    expect(() => nc.publish(`${SUBJECT}.events.big`, new Uint8Array(e.payload + 1))).toThrow(/MAX_PAYLOAD_EXCEEDED/);

    const raw = await rawSession(hubPort, creds);
    expect(raw.greeting).toBe("+OK");
    raw.send("PING\r\n");
    expect(await raw.reply()).toBe("PONG");
    expect(raw.info.max_payload).toBe(e.payload);
    raw.send(`PUB $JS.API.INFO ${e.payload}\r\n${"x".repeat(e.payload)}\r\n`);
    expect(await raw.reply()).toBe("+OK");
    raw.send(`PUB $JS.API.INFO ${e.payload + 1}\r\n${"x".repeat(e.payload + 1)}\r\n`);
    expect(await raw.reply()).toBe(PAYLOAD_VIOLATION);
    expect(await raw.reply()).toBe("<closed>");

    // The hub's max_payload (hub.conf) holds every tenant's payload, so none is silently capped;
    // each collector is told min(account payload, its own user payload, the server's max_payload).
    const serverMaxPayload = Number(/^max_payload: (\d+)$/m.exec(pushed.hubConf)?.[1]);
    expect(serverMaxPayload).toBeLessThanOrEqual(MAX_SERVER_PAYLOAD);
    expect(serverMaxPayload).toBeGreaterThanOrEqual(Math.max(...[...EXPECTED.values()].map((x) => x.payload)));
    const told: string[] = [];
    for (const slug of ACTIVE) {
      // The reader has no user limits of its own: it is told min(account payload, the server's max_payload).
      const conn = await clients.connect(reader(slug));
      const want = Math.min(EXPECTED.get(slug)!.payload, serverMaxPayload);
      expect(conn.info?.max_payload, slug).toBe(want);
      told.push(`${slug} ${EXPECTED.get(slug)!.payload}→${conn.info?.max_payload}`);
      await conn.close();
    }
    console.log(`payload (plan→effective): ${told.join(", ")}`);
  });
});
