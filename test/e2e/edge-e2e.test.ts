/**
 * End to end on real processes, with collectors that behave like the real ServiceRadar ones:
 * collector → its location's leaf (local JetStream, its own account) → the hub's streams, which
 * source every location.
 *
 * The hub is three real nats-servers with the full account resolver, each including the rendered
 * accounts.conf and hub.conf, their leaf listener as this program configures the NATS chart (TLS
 * with the rendered hub certificate, client certificates verified under the platform root), every
 * tenant's account pushed to them by the program's own push code (test/support/pushed-hub-tls.ts);
 * its streams are created from the rendered NACK Streams with each tenant's manager creds. Every tenant's in-cluster leaf is a real nats-server
 * started from its rendered ConfigMap with the files its Deployment mounts laid out as the kubelet
 * would (test/support/edge-pods.ts); each site's leaf is started from its onboarding bundle as its
 * install.sh lays it out and runs it. Only what cannot hold outside a cluster is rewritten: path
 * prefixes (to temp dirs), listen addresses (to free loopback ports) and the hub's address (to
 * localhost, which the render puts in the hub certificate through `tenancy:natsHubPublicDnsNames`).
 * The local streams are created from the rendered definitions with the location's streams user,
 * as the container beside the leaf does with the nats CLI (`nats stream add --config`).
 *
 * Collectors are test/oracles/collector-emulator.ts: from a Deployment's (or install.sh's) image,
 * environment, arguments and files alone, with the real collectors' rules. Expectations come from
 * the tenant files and the collectors' own source, never from plan/.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { AckPolicy, connect, credsAuthenticator, type NatsConnection } from "nats";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { loadRenderedHub } from "../support/hub-cluster";
import { startTlsPushedHub, type TlsPushedHub } from "../support/pushed-hub-tls";
import { keepLocalStreams, rootCaPem, startInClusterLeaf, startSiteLeaf, type EdgeLeaf } from "../support/edge-leaf";
import { containerOf, layOutBundle, type DockerRun } from "../support/edge-pods";
import { CollectorExit, publishWithAcks, startCollector, startPipeline, type NatsPipeline, type RunEnvironment } from "../oracles/collector-emulator";
import { EXAMPLE_TENANTS, Clients, addStream, credsParts, eventually, jwtClaims, expectedNats, hubSizeFor, loadRendered, readTenantFile, record, sleep, statusLog, streamConfigOf, tempDir, type K8sObject, type Rendered } from "../support/rendered";
import { renderSync } from "../support/render";

const OUT = tempDir("edge-e2e-");
const te = new TextEncoder();
const td = new TextDecoder();

interface TenantDoc {
  slug: string;
  status: string;
  collectors: { type: string; partition: string }[];
  edge?: { sites?: Record<string, { revoked?: boolean }> };
}
const TENANTS: TenantDoc[] = fs
  .readdirSync(EXAMPLE_TENANTS)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => readTenantFile(path.join(EXAMPLE_TENANTS, f)) as unknown as TenantDoc)
  .map((d) => ({ ...d, collectors: d.collectors ?? [] }));
const WITH_EDGE = TENANTS.filter((t) => t.collectors.length > 0);
const ACTIVE = WITH_EDGE.filter((t) => t.status === "active");
const SUSPENDED = WITH_EDGE.filter((t) => t.status === "suspended");
/** A site is a collector partition (README, edge): the partitions of a tenant file. */
const sitesOf = (t: TenantDoc) => [...new Set(t.collectors.map((c) => c.partition))].sort().filter((s) => !t.edge?.sites?.[s]?.revoked);
/** The hub stream a collector type publishes into (seed 000 §6). */
const STREAM_OF: Record<string, string> = { flowgger: "events", trapd: "snmp-traps", netflow: "netflow", otel: "otel" };

let R: Rendered;
let cluster: TlsPushedHub;
/** The hub's first server: the platform's clients, and the probing leaves, connect to it. */
let hub: NatsServer;
/** The leaf listener of one of the hub's servers (TLS, client certificates verified). */
const hubLeafPort = (i = 0) => cluster.servers[i % cluster.servers.length]!.leafPort;
const hubClients = new Clients(() => hub.url);
const servers: NatsServer[] = [];
const connections: NatsConnection[] = [];
/** Each location's leaf: `<slug>/<location>` (`edge` is the in-cluster one). */
const leaves = new Map<string, EdgeLeaf>();
const counts = {
  collectorsStarted: 0,
  published: 0,
  acked: 0,
  foundOnce: 0,
  crossRefused: 0,
  crossPairs: 0,
  hubRefusedCollectorCreds: 0,
  siteRepliesLeaked: 0,
  bufferedDuringOutage: 0,
  foundAfterOutage: 0,
  revokedSitePublished: 0,
  revokedSiteDelivered: 0,
  otherSiteDelivered: 0,
};

const objectsOf = (kind: string, namespace: string) => R.objects.filter((o) => o.kind === kind && o.metadata.namespace === namespace);
const deployment = (slug: string, name: string) => objectsOf("Deployment", `tenant-${slug}-edge`).find((d) => d.metadata.name === name)!;
function readBundle(slug: string, collector: string): Record<string, string> {
  const dir = path.join(OUT, "bundles", slug, collector);
  return Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
}

/** A site's bundles laid out as install.sh does, and its leaf started as install.sh runs it (once per site). */
function siteRuns(slug: string, collector: string, prefix: string): { leaf: DockerRun; streams: DockerRun; collector: DockerRun } {
  const { runs } = layOutBundle(readBundle(slug, collector), prefix);
  const [leaf, streams, col] = runs;
  if (runs.length !== 3 || !leaf || !streams || !col) throw new Error(`${slug}/${collector}: install.sh should run a leaf, its streams and the collector (${runs.length} runs)`);
  return { leaf, streams, collector: col };
}

/** The emulator's environment at a location: `nats-leaf` is that location's leaf. */
const at = (key: string, readFile: (p: string) => string | undefined, name: string): RunEnvironment => ({
  name,
  readFile: (p) => {
    const t = readFile(p);
    if (t === undefined) throw new Error(`${name}: nothing at ${p}`);
    return t;
  },
  resolve: (url) => {
    const u = new URL(url);
    if (u.hostname !== "nats-leaf" || u.port !== "4222") throw new Error(`${name}: dials ${url}, not its leaf`);
    return { servers: `tls://127.0.0.1:${leaves.get(key)!.server.port}`, servername: u.hostname };
  },
  // OpenSSL (Node) only anchors at a self-signed certificate; rustls anchors at ca.pem itself, and
  // test/e2e/pki-chains.test.ts proves that ca.pem alone refuses every other tenant's certificates.
  extraCa: [rootCaPem(R)],
});

const readers = new Map<string, NatsConnection>();
/** The tenant's reader on the hub (reconnected when a hub restart or reload closed it). */
async function readerOf(slug: string): Promise<NatsConnection> {
  const nc = readers.get(slug);
  if (nc && !nc.isClosed()) return nc;
  const fresh = await hubClients.connect(R.tenants.get(slug)!.reader!);
  readers.set(slug, fresh);
  return fresh;
}
let consumerSeq = 0;

/** Payloads stored in a hub stream, read by the tenant's reader (the platform's EventWriter identity). */
async function storedPayloads(slug: string, stream: string): Promise<string[]> {
  const rd = await readerOf(slug);
  const jsm = await rd.jetstreamManager();
  const name = `e2e-${++consumerSeq}`;
  await jsm.consumers.add(stream, { durable_name: name, ack_policy: AckPolicy.None });
  try {
    const consumer = await rd.jetstream().consumers.get(stream, name);
    const total = (await jsm.streams.info(stream)).state.messages;
    const out: string[] = [];
    while (out.length < total) {
      const batch = await consumer.fetch({ max_messages: 256, expires: 1_000 });
      let got = 0;
      for await (const m of batch) {
        out.push(td.decode(m.data));
        got++;
      }
      if (got === 0) break;
    }
    return out;
  } finally {
    await jsm.consumers.delete(stream, name);
  }
}

/** Waits until every payload is in the hub stream, then counts each: every one exactly once. */
async function expectEachOnce(slug: string, stream: string, payloads: string[], timeoutMs = 30_000): Promise<void> {
  let stored: string[] = [];
  await eventually(`${payloads.length} payloads in ${stream}`, async () => {
    stored = await storedPayloads(slug, stream);
    return payloads.every((p) => stored.includes(p));
  }, timeoutMs);
  for (const p of payloads) expect(stored.filter((s) => s === p).length, `${p} in ${stream}`).toBe(1);
  counts.foundOnce += payloads.length;
}

/** Starts a collector as its container would (emulator), connected to its location's leaf. */
async function runningCollector(key: string, container: Parameters<typeof startCollector>[0], name: string): Promise<{ pipelines: NatsPipeline[]; ncs: NatsConnection[] }> {
  const pipelines = startCollector(container);
  const ncs: NatsConnection[] = [];
  for (const p of pipelines) {
    const outcome = await startPipeline(p, at(key, container.readFile, name));
    if (outcome.state !== "running") throw new Error(`${name}: ${outcome.state}: ${outcome.reason}`);
    expect(outcome.updateAttempts, `${name} tried to change its stream`).toEqual([]);
    connections.push(outcome.nc);
    ncs.push(outcome.nc);
  }
  counts.collectorsStarted++;
  return { pipelines, ncs };
}

/** Publishes `n` messages per subject, each acked by its location's local stream; returns the payloads. */
async function publishAcked(slug: string, location: string, name: string, c: { pipelines: NatsPipeline[]; ncs: NatsConnection[] }, n: number, tag = "m"): Promise<Map<string, string[]>> {
  const byStream = new Map<string, string[]>();
  for (const [i, p] of c.pipelines.entries()) {
    const payloads: string[] = [];
    const r = await publishWithAcks(p, c.ncs[i]!, (subject, k) => {
      const payload = `${slug}/${location}/${name}/${subject}/${tag}${k}`;
      payloads.push(payload);
      return payload;
    }, n);
    expect(r.failures, name).toEqual([]);
    for (const ack of r.acks) {
      expect(ack.stream).toBe(p.stream);
      expect(ack.domain, "acked by its location's own JetStream").toBe(`${slug}-${location}`);
      expect(ack.duplicate).toBe(false);
    }
    counts.published += r.published;
    counts.acked += r.acks.length;
    byStream.set(p.stream, [...(byStream.get(p.stream) ?? []), ...payloads]);
  }
  return byStream;
}

beforeAll(async () => {
  renderSync({ out: OUT, revealSecrets: true, config: { natsHubPublicDnsNames: '["localhost"]' } });
  R = loadRendered(OUT);
  // Three servers because the pro and enterprise tenants' streams have three replicas (their
  // JetStream tier is R3); every account pushed by the program's own push code. The locations dial
  // different servers, so what they deliver crosses the cluster's routes into the streams.
  cluster = await startTlsPushedHub(OUT, { servers: 3, jetstream: hubSizeFor(TENANTS.map((t) => expectedNats(path.join(EXAMPLE_TENANTS, `${t.slug}.yaml`)))) });
  hub = cluster.servers[0]!.server;
  // The tenants' hub streams, as NACK creates them with each tenant's manager creds (a suspended
  // tenant's users are all revoked, its manager included).
  for (const t of TENANTS.filter((x) => x.status === "active")) {
    const jsm = await (await hubClients.connect(R.tenants.get(t.slug)!.manager!)).jetstreamManager();
    for (const spec of R.tenants.get(t.slug)!.streams) {
      const info = await addStream(jsm, streamConfigOf(spec));
      // On as many servers of the hub as the plan's replicas (the tenant's JetStream tier).
      const placed = [info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((r) => r.name)].filter(Boolean);
      if (info.config.num_replicas !== spec.replicas || placed.length !== spec.replicas) throw new Error(`${spec.name}: ${info.config.num_replicas} replicas on ${JSON.stringify(placed)}, the render says ${spec.replicas}`);
    }
  }
  for (const [i, t] of WITH_EDGE.entries()) {
    const leaf = await startInClusterLeaf(R, t.slug, hubLeafPort(i));
    servers.push(leaf.server);
    leaves.set(`${t.slug}/edge`, leaf);
  }
  for (const [i, t] of ACTIVE.entries()) {
    for (const [j, site] of sitesOf(t).entries()) {
      const first = t.collectors.find((c) => c.partition === site)!;
      const prefix = tempDir(`site-${t.slug}-${site}-`);
      const runs = siteRuns(t.slug, `${first.type}-${first.partition}`, prefix);
      const leaf = await startSiteLeaf(R, prefix, runs.leaf, runs.streams, hubLeafPort(i + j + 1));
      servers.push(leaf.server);
      leaves.set(`${t.slug}/${site}`, leaf);
    }
  }
  for (const [key, leaf] of leaves) if (ACTIVE.some((t) => key.startsWith(`${t.slug}/`))) await keepLocalStreams(leaf);
}, 240_000);

afterAll(async () => {
  await Promise.allSettled(connections.map((nc) => nc.close()));
  await hubClients.closeAll();
  for (const s of servers) await s.stop();
  await cluster?.stop();
  console.log(
    `edge e2e: ${counts.collectorsStarted} emulated collectors started from rendered files; ${counts.published} messages published, ${counts.acked} JetStream acks received (all from the collector's own leaf), ` +
      `${counts.foundOnce} found exactly once in the hub streams; cross-tenant: ${counts.crossRefused} attempts refused over ${counts.crossPairs} ordered pairs; ` +
      `collector creds refused on the hub's client port: ${counts.hubRefusedCollectorCreds}; replies seen by another site: ${counts.siteRepliesLeaked}; ` +
      `outage: ${counts.bufferedDuringOutage} messages acked and buffered at sites while the hub was down, ${counts.foundAfterOutage} found exactly once afterwards; ` +
      `revocation: the revoked site's ${counts.revokedSitePublished} messages (acked at the site) delivered ${counts.revokedSiteDelivered}, the tenant's other site's delivered ${counts.otherSiteDelivered} of ${counts.otherSiteDelivered}`,
  );
  fs.rmSync(OUT, { recursive: true, force: true });
});

describe("rendered collector configurations, as the real collectors load them", () => {
  it("start every collector Deployment and every bundle's collector: the real image's start, the loader's rules, only the tenant's subjects and streams", () => {
    let checked = 0;
    for (const t of WITH_EDGE) {
      for (const c of t.collectors) {
        const name = `${c.type}-${c.partition}`;
        const d = deployment(t.slug, name);
        const containers: [string, Parameters<typeof startCollector>[0]][] = [["deployment", containerOf(d, R.objects, tempDir(`col-${t.slug}-`))]];
        if (t.status === "active" && sitesOf(t).includes(c.partition)) containers.push(["bundle", siteRuns(t.slug, name, tempDir(`b-${t.slug}-`)).collector]);
        for (const [where, container] of containers) {
          const pipelines = startCollector(container);
          expect(pipelines.map((p) => p.program), `${t.slug} ${name} (${where})`).toEqual([c.type === "netflow" ? "flow-collector" : c.type]);
          for (const p of pipelines) {
            expect(p.stream).toBe(`${t.slug}-${STREAM_OF[c.type]}`);
            for (const s of p.publishes) expect(s.startsWith(`${t.slug}.`), s).toBe(true);
            expect(new URL(p.url).protocol).toBe("tls:");
            expect(p.creds && p.tls.ca && p.tls.cert && p.tls.key, "creds and mTLS files").toBeTruthy();
            if (c.type === "otel") expect(p.otlpClientAuth, "OTLP requires client certificates").toBe(true);
            if (c.type === "flowgger") expect(p.listen).toEqual(["udp 0.0.0.0:1514"]);
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(WITH_EDGE.reduce((n, t) => n + t.collectors.length, 0));
  });

  it("would refuse what the real loaders refuse (the emulator is not a rubber stamp)", () => {
    const d = deployment("acme-corp", "trapd-hq");
    const good = containerOf(d, R.objects, tempDir("neg-"));
    const edited = (file: string, edit: (cfg: any) => void) => ({
      ...good,
      readFile: (p: string) => {
        const t = good.readFile(p);
        if (p.endsWith(file) && t) {
          const cfg = JSON.parse(t);
          edit(cfg);
          return JSON.stringify(cfg);
        }
        return t;
      },
    });
    expect(() => startCollector(edited("trapd.json", (c) => delete c.subject))).toThrow(/missing field `subject`/);
    expect(() => startCollector(edited("trapd.json", (c) => (c.stream_replicas = "1")))).toThrow(/invalid type/);
    expect(() => startCollector({ ...good, env: {} })).toThrow(CollectorExit);
  });
});

describe("collector → its leaf (local JetStream) → hub stream, every collector of every active tenant", () => {
  it("in the cluster: each collector's messages are acked by the in-cluster leaf and reach the hub stream exactly once", async () => {
    for (const t of ACTIVE) {
      const expected = new Map<string, string[]>();
      for (const c of t.collectors) {
        const name = `${c.type}-${c.partition}`;
        const container = containerOf(deployment(t.slug, name), R.objects, tempDir(`run-${t.slug}-`));
        const running = await runningCollector(`${t.slug}/edge`, container, `${t.slug}/${name}`);
        for (const [stream, payloads] of await publishAcked(t.slug, "edge", name, running, 3)) expected.set(stream, [...(expected.get(stream) ?? []), ...payloads]);
      }
      for (const [stream, payloads] of expected) await expectEachOnce(t.slug, stream, payloads);
    }
  });

  it("at each site: each bundle's collector, through its site's leaf, reaches the hub stream exactly once", async () => {
    for (const t of ACTIVE) {
      for (const site of sitesOf(t)) {
        for (const c of t.collectors.filter((x) => x.partition === site)) {
          const name = `${c.type}-${c.partition}`;
          const { collector } = siteRuns(t.slug, name, leaves.get(`${t.slug}/${site}`)!.root);
          const running = await runningCollector(`${t.slug}/${site}`, collector, `${t.slug}/${site}/${name}`);
          for (const [stream, payloads] of await publishAcked(t.slug, site, name, running, 3)) await expectEachOnce(t.slug, stream, payloads);
        }
      }
    }
  });

  it("keeps a suspended tenant's edge closed: the hub refuses its leaf", async () => {
    for (const t of SUSPENDED) {
      const leaf = leaves.get(`${t.slug}/edge`)!.server;
      await eventually(`${t.slug}'s leaf refused`, async () => /Authorization Violation|maximum leafnode/i.test(leaf.logs()), 10_000);
    }
  });

  it("fails like the real collectors on a stream that does not list their subject literally, or does not exist", async () => {
    const t = ACTIVE.find((x) => x.collectors.some((c) => c.type === "flowgger"))!;
    const c = t.collectors.find((x) => x.type === "flowgger")!;
    const container = containerOf(deployment(t.slug, `${c.type}-${c.partition}`), R.objects, tempDir("lit-"));
    const [p] = startCollector(container);
    // A subject the stream covers by wildcard only: flowgger's `contains` is literal, so it would
    // update the stream, which its user may not: the connect attempt fails, retried forever.
    const wild = await startPipeline({ ...p!, publishes: [`${t.slug}.events.other`], check: { kind: "literal", subjects: [`${t.slug}.events.other`] } }, at(`${t.slug}/edge`, container.readFile, "flowgger"));
    expect(wild.state).toBe("retrying");
    expect(wild.updateAttempts.join()).toMatch(/not listed literally/);
    // A leaf whose local streams were never made (the suspended tenant's: nothing keeps them):
    // trapd tries to create its stream, is refused, warns and goes on; nothing acks its traps.
    for (const s of SUSPENDED) {
      for (const tc of s.collectors.filter((x) => x.type === "trapd")) {
        const tcon = containerOf(deployment(s.slug, `${tc.type}-${tc.partition}`), R.objects, tempDir("miss-"));
        const [tp] = startCollector(tcon);
        const started = await startPipeline(tp!, at(`${s.slug}/edge`, tcon.readFile, "trapd"));
        expect(started.state).toBe("running");
        expect(started.updateAttempts.join()).toMatch(/does not exist/);
        if (started.state !== "running") continue;
        connections.push(started.nc);
        const r = await publishWithAcks({ ...tp!, ackTimeoutMs: 1_000 }, started.nc, () => "no stream");
        expect(r.acks).toEqual([]);
        expect(r.failures.length).toBe(1);
      }
    }
  });
});

describe("tenant A's edge cannot reach tenant B (every ordered pair of active tenants)", () => {
  it("refuses A's collector B's subjects and B's stream at A's leaf, A's creds at B's leaf, and leaves B's streams untouched", async () => {
    for (const a of ACTIVE) {
      const ca = a.collectors[0]!;
      const container = containerOf(deployment(a.slug, `${ca.type}-${ca.partition}`), R.objects, tempDir("x-"));
      const [pa] = startCollector(container);
      for (const b of ACTIVE.filter((x) => x.slug !== a.slug)) {
        counts.crossPairs++;
        const before = await Promise.all(R.tenants.get(b.slug)!.streams.map(async (s) => (await storedPayloads(b.slug, s.name)).length));
        const start = await startPipeline(pa!, at(`${a.slug}/edge`, container.readFile, "a"));
        if (start.state !== "running") throw new Error(start.reason);
        const nc = start.nc;
        connections.push(nc);
        const log = statusLog(nc);
        // Publishing B's subject: denied at A's leaf.
        const cb = b.collectors[0]!;
        nc.publish(`${b.slug}.${cb.type === "flowgger" ? "events.syslog" : cb.type === "trapd" ? "snmp.traps" : cb.type === "netflow" ? "netflow.flows" : "otel.logs"}`, te.encode("cross"));
        await nc.flush();
        await eventually("publish refused", async () => log.some((s) => s.data === "PERMISSIONS_VIOLATION" && (s as any).permissionContext?.operation === "publish"), 5_000);
        counts.crossRefused++;
        // Subscribing to B's data: PERMISSIONS_VIOLATION.
        const sub = record(nc, `${b.slug}.>`);
        await eventually("subscribe refused", async () => sub.errors.some((e) => e.code === "PERMISSIONS_VIOLATION"), 5_000);
        counts.crossRefused++;
        // B's stream through the JetStream API: no answer.
        const info = await nc.request(`$JS.API.STREAM.INFO.${b.slug}-events`, new Uint8Array(), { timeout: 1_000 }).then(() => "answered", () => "refused");
        expect(info).toBe("refused");
        counts.crossRefused++;
        await nc.close();
        // A's collector creds at B's leaf: B's leaf knows only B's location account.
        const atB = await startPipeline(pa!, { ...at(`${b.slug}/edge`, container.readFile, "a-at-b"), attempts: 1 });
        expect(atB.state).toBe("retrying");
        // B's leaf accepts only certificates of B's tenant CA: the TLS handshake itself fails.
        expect((atB as { reason: string }).reason).toMatch(/ECONNRESET|certificate|Authorization/i);
        counts.crossRefused++;
        const after = await Promise.all(R.tenants.get(b.slug)!.streams.map(async (s) => (await storedPayloads(b.slug, s.name)).length));
        expect(after).toEqual(before);
      }
    }
    expect(counts.crossPairs).toBe(ACTIVE.length * (ACTIVE.length - 1));
  });
});

describe("a stolen bundle grants one site of one tenant, nothing more", () => {
  it("its collector creds do not work on the hub's client port, and a flood of them leaves the platform's reader connected", async () => {
    const t = ACTIVE[0]!;
    const site = sitesOf(t)[0]!;
    const c = t.collectors.find((x) => x.partition === site)!;
    const { collector } = siteRuns(t.slug, `${c.type}-${c.partition}`, tempDir("stolen-"));
    const [p] = startCollector(collector);
    const creds = collector.readFile(p!.creds!)!;
    for (let i = 0; i < 30; i++) {
      const r = await connect({ servers: hub.url, authenticator: credsAuthenticator(te.encode(creds)), reconnect: false, timeout: 2_000 }).then(
        async (nc) => (await nc.close(), "connected"),
        (e: Error) => e.message,
      );
      expect(r).toMatch(/Authorization Violation/);
      counts.hubRefusedCollectorCreds++;
    }
    const reader = await hubClients.connect(R.tenants.get(t.slug)!.reader!);
    expect((await (await reader.jetstreamManager()).streams.info(`${t.slug}-events`)).config.name).toBe(`${t.slug}-events`);
    await reader.close();
  });

  it("its leaf creds receive no reply meant for anyone else: nothing of another site, the platform or another tenant comes back", async () => {
    const t = ACTIVE.find((x) => sitesOf(x).length >= 2)!;
    const [siteA, siteB] = sitesOf(t);
    const ca = t.collectors.find((x) => x.partition === siteA)!;
    const prefix = tempDir("rogue-");
    const runs = siteRuns(t.slug, `${ca.type}-${ca.partition}`, prefix);
    // A hand-made leaf with site A's leaf creds and certificate, open locally to anyone.
    const leafConf = runs.leaf.readFile("/etc/nats/config/nats-leaf.conf")!;
    const tlsBlock = `tls { cert_file: "${runs.leaf.hostPath("/etc/nats/tls/tls.crt")}", key_file: "${runs.leaf.hostPath("/etc/nats/tls/tls.key")}", ca_file: "${runs.leaf.hostPath("/etc/nats/tls/hub-ca.crt")}" }`;
    expect(leafConf).toContain("credentials");
    const rogue = await startNatsServer({
      config: (ctx) => [`listen: "127.0.0.1:${ctx.port}"`, "leafnodes {", `  remotes: [ { url: "nats-leaf://localhost:${hubLeafPort()}", credentials: "${runs.leaf.hostPath("/etc/nats/creds/nats.creds")}", ${tlsBlock} } ]`, "}", ""].join("\n"),
    });
    servers.push(rogue);
    const local = await connect({ servers: rogue.url, reconnect: false });
    connections.push(local);
    const seen = ["_INBOX.>", "_INBOX_PLATFORM.>", `_EDGE.${siteB}.>`, `${t.slug}.>`, "$JS.FC.>"].map((s) => record(local, s));
    await sleep(1_500);
    // Traffic that must stay away from it: site B's collector (acked at B), the reader's and the
    // manager's JetStream calls on the hub, B's sourcing.
    const cb = t.collectors.find((x) => x.partition === siteB)!;
    const { collector } = siteRuns(t.slug, `${cb.type}-${cb.partition}`, leaves.get(`${t.slug}/${siteB}`)!.root);
    const running = await runningCollector(`${t.slug}/${siteB}`, collector, "site-b");
    const payloads = await publishAcked(t.slug, siteB!, `${cb.type}-${cb.partition}`, running, 2, "r");
    for (const [stream, ps] of payloads) await expectEachOnce(t.slug, stream, ps);
    await (await (await readerOf(t.slug)).jetstreamManager()).streams.info(`${t.slug}-events`);
    await sleep(500);
    counts.siteRepliesLeaked += seen.reduce((n, r) => n + r.messages.length, 0);
    expect(seen.map((r) => r.messages.length)).toEqual(seen.map(() => 0));
    await local.close();
    await rogue.stop();
  });
});

describe("the hub's leaf listener", () => {
  const tenant = () => ACTIVE[0]!;
  const leafCredsOf = (slug: string) => containerOf(deployment(slug, "nats-leaf"), R.objects, tempDir(`probe-${slug}-`)).pod;
  /** A leaf (open locally) with a tenant's in-cluster leaf creds and this TLS block; whether the hub admits its connection within 4 s. */
  async function leafAdmitted(tlsBlock: string, slug = tenant().slug): Promise<boolean> {
    const creds = leafCredsOf(slug).at("/etc/nats/creds/nats.creds");
    const server = await startNatsServer({
      config: (ctx) => [`listen: "127.0.0.1:${ctx.port}"`, "leafnodes {", `  reconnect: 1`, `  remotes: [ { url: "nats-leaf://localhost:${hubLeafPort()}", credentials: "${creds}"${tlsBlock} } ]`, "}", ""].join("\n"),
    });
    servers.push(server);
    // Admitted: the connection is made and stays up without an error (a refused one logs why).
    await sleep(3_000);
    const log = server.logs();
    await server.stop();
    return /Leafnode connection created/.test(log) && !/Leafnode Error|handshake error|authorization|TLS error|error/i.test(log.split("Leafnode connection created").slice(1).join(""));
  }
  const siteTls = (pod: ReturnType<typeof leafCredsOf>) => `, tls { cert_file: "${pod.at("/etc/nats/tls/tls.crt")}", key_file: "${pod.at("/etc/nats/tls/tls.key")}", ca_file: "${pod.at("/etc/nats/tls/hub-ca.crt")}" }`;

  it("requires TLS: a leaf dialling without TLS is refused", async () => {
    const from = hub.logs().length;
    expect(await leafAdmitted("")).toBe(false);
    expect(hub.logs().slice(from)).toMatch(/TLS|handshake/i);
  });

  it("refuses a leaf that presents no client certificate", async () => {
    const pod = leafCredsOf(tenant().slug);
    const from = hub.logs().length;
    expect(await leafAdmitted(`, tls { ca_file: "${pod.at("/etc/nats/tls/hub-ca.crt")}" }`)).toBe(false);
    expect(hub.logs().slice(from)).toMatch(/TLS leafnode handshake error/);
  });

  it("refuses a leaf whose certificate is not issued under the platform root (self-signed, same subject); admits the rendered one", async () => {
    const dir = tempDir("selfsigned-");
    const pod = leafCredsOf(tenant().slug);
    const subject = execFileSync("openssl", ["x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", pod.at("/etc/nats/tls/tls.crt")], { encoding: "utf8" }).replace(/^subject=/, "").trim();
    const [cert, key] = [path.join(dir, "forged.crt"), path.join(dir, "forged.key")];
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", `/${subject.split(",").reverse().join("/")}`, "-keyout", key, "-out", cert], { stdio: "pipe" });
    const from = hub.logs().length;
    expect(await leafAdmitted(`, tls { cert_file: "${cert}", key_file: "${key}", ca_file: "${pod.at("/etc/nats/tls/hub-ca.crt")}" }`)).toBe(false);
    expect(hub.logs().slice(from)).toMatch(/TLS leafnode handshake error/);
    expect(await leafAdmitted(siteTls(pod))).toBe(true);
  });

  it("binds a leaf to the account of its creds, not of its certificate (no certificate-to-account binding in operator mode)", async () => {
    const [a, b] = [ACTIVE[0]!, ACTIVE[1]!];
    const from = hub.logs().length;
    expect(await leafAdmitted(siteTls(leafCredsOf(b.slug)), a.slug)).toBe(true);
    const aAccount = jwtClaims(credsParts(fs.readFileSync(leafCredsOf(a.slug).at("/etc/nats/creds/nats.creds"), "utf8")).jwt).iss as string;
    // The hub binds the connection to an account as it sets it up ("… for account \"<A>\"").
    expect(hub.logs().slice(from)).toContain(`for account "${aAccount}"`);
  });
});

describe("no data lost when a site loses the hub", () => {
  it("keeps acking at the site while the hub is down; after it is back every message is in the hub stream exactly once", async () => {
    const t = ACTIVE.find((x) => sitesOf(x).length > 0)!;
    const site = sitesOf(t)[0]!;
    const runningAtSite: { name: string; running: Awaited<ReturnType<typeof runningCollector>> }[] = [];
    for (const c of t.collectors.filter((x) => x.partition === site)) {
      const name = `${c.type}-${c.partition}`;
      const { collector } = siteRuns(t.slug, name, leaves.get(`${t.slug}/${site}`)!.root);
      runningAtSite.push({ name, running: await runningCollector(`${t.slug}/${site}`, collector, `outage/${name}`) });
    }
    const before = new Map<string, string[]>();
    for (const { name, running } of runningAtSite) for (const [s, ps] of await publishAcked(t.slug, site, name, running, 2, "pre")) before.set(s, [...(before.get(s) ?? []), ...ps]);
    for (const [s, ps] of before) await expectEachOnce(t.slug, s, ps);

    await hubClients.closeAll();
    readers.clear();
    // Every server of the hub down; back on the same ports with their stores and resolvers.
    const during = new Map<string, string[]>();
    await cluster.outage(async () => {
      for (const { name, running } of runningAtSite) {
        for (const [s, ps] of await publishAcked(t.slug, site, name, running, 10, "outage")) during.set(s, [...(during.get(s) ?? []), ...ps]);
      }
      counts.bufferedDuringOutage += [...during.values()].reduce((n, ps) => n + ps.length, 0);
      await sleep(2_000);
    });
    hub = cluster.servers[0]!.server;
    // A restarted cluster elects its streams' leaders again; until then JetStream does not answer.
    await eventually("the tenant's hub streams led again", async () => {
      const jsm = await (await readerOf(t.slug)).jetstreamManager();
      for (const s of during.keys()) if (!(await jsm.streams.info(s).then((i) => Boolean(i.cluster?.leader), () => false))) return false;
      return true;
    }, 60_000);
    for (const [s, ps] of during) {
      await expectEachOnce(t.slug, s, ps, 60_000);
      counts.foundAfterOutage += ps.length;
    }
    // And what came before is still there once, not twice.
    for (const [s, ps] of before) for (const p of ps) expect((await storedPayloads(t.slug, s)).filter((x) => x === p).length).toBe(1);
  }, 120_000);
});

describe("one identity per site: revoking one site revokes exactly its leaf", () => {
  it("the hub refuses the revoked site's leaf; the tenant's other site stays connected and delivering", async () => {
    const t = ACTIVE.find((x) => sitesOf(x).length >= 2)!;
    const [revoked, other] = sitesOf(t);
    // The same stack with the tenant file revoking one site (same seed: the same keys).
    const tenantsDir = tempDir("revoked-tenants-");
    for (const f of fs.readdirSync(EXAMPLE_TENANTS)) fs.copyFileSync(path.join(EXAMPLE_TENANTS, f), path.join(tenantsDir, f));
    const file = path.join(tenantsDir, `${t.slug}.yaml`);
    const doc = parseYaml(fs.readFileSync(file, "utf8"));
    doc.edge = { ...(doc.edge ?? {}), sites: { ...(doc.edge?.sites ?? {}), [revoked!]: { revoked: true } } };
    fs.writeFileSync(file, stringifyYaml(doc));
    const out2 = tempDir("edge-e2e-revoked-");
    renderSync({ out: out2, tenants: tenantsDir, revealSecrets: true, config: { natsHubPublicDnsNames: '["localhost"]' } });
    const revokedRender = loadRendered(out2);
    // No bundle of the revoked site any more; the other site's remain.
    const bundles = revokedRender.objects.filter((o: K8sObject) => o.kind === "Secret" && o.metadata.namespace === `tenant-${t.slug}-edge` && o.metadata.name.startsWith("onboarding-"));
    expect(bundles.map((b) => b.metadata.name).filter((n) => n.endsWith(`-${revoked}`))).toEqual([]);
    expect(bundles.map((b) => b.metadata.name).some((n) => n.endsWith(`-${other}`))).toBe(true);
    // As `pulumi up` applies it: the tenant's account push updated (its site's leaf user revoked),
    // no hub configuration changed, no reload.
    const pushOf = (out: string) => loadRenderedHub(out).pushes.find((p) => p.tenant === t.slug)!;
    const [applied, revokedPush] = [pushOf(OUT), pushOf(out2)];
    expect(loadRenderedHub(out2).accountsConf).toBe(loadRenderedHub(OUT).accountsConf);
    expect(loadRenderedHub(out2).hubConf).toBe(loadRenderedHub(OUT).hubConf);
    expect(revokedPush.inputs.jwt).not.toBe(applied.inputs.jwt);
    await cluster.push(revokedPush, applied);
    const revokedLeaf = leaves.get(`${t.slug}/${revoked}`)!.server;
    await eventually("the revoked site's leaf refused", async () => /Authorization Violation|revoked/i.test(revokedLeaf.logs().split("Leafnode connection created").pop() ?? ""), 20_000);
    // Messages at the revoked site are still acked locally, and never reach the hub.
    const cr = t.collectors.find((x) => x.partition === revoked)!;
    const { collector: colR } = siteRuns(t.slug, `${cr.type}-${cr.partition}`, leaves.get(`${t.slug}/${revoked}`)!.root);
    const runR = await runningCollector(`${t.slug}/${revoked}`, colR, "revoked");
    const sentR = await publishAcked(t.slug, revoked!, `${cr.type}-${cr.partition}`, runR, 2, "after-revoke");
    const co = t.collectors.find((x) => x.partition === other)!;
    const { collector: colO } = siteRuns(t.slug, `${co.type}-${co.partition}`, leaves.get(`${t.slug}/${other}`)!.root);
    const runO = await runningCollector(`${t.slug}/${other}`, colO, "other");
    const sentO = await publishAcked(t.slug, other!, `${co.type}-${co.partition}`, runO, 2, "after-revoke");
    for (const [s, ps] of sentO) {
      await expectEachOnce(t.slug, s, ps);
      counts.otherSiteDelivered += ps.length;
    }
    await sleep(3_000);
    for (const [s, ps] of sentR) {
      const stored = await storedPayloads(t.slug, s);
      counts.revokedSitePublished += ps.length;
      counts.revokedSiteDelivered += ps.filter((p) => stored.includes(p)).length;
    }
    expect(counts.revokedSiteDelivered).toBe(0);
    // Restore the hub for anything after this.
    await cluster.push(applied, revokedPush);
    fs.rmSync(out2, { recursive: true, force: true });
  }, 120_000);
});
