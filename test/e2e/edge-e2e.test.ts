/**
 * End to end on real processes: collector → leaf node → hub → tenant stream.
 *
 * The hub is three real nats-servers with the full account resolver, each including the rendered
 * accounts.conf and hub.conf, with the leaf listener as the NATS chart is configured by this program
 * (TLS with the rendered hub certificate, client certificates verified under the platform root),
 * every tenant's account pushed to them by the program's own push code
 * (test/support/pushed-hub-tls.ts); three because the pro and enterprise tenants' streams have
 * three replicas (their JetStream tier is R3). The tenants' leaves dial different servers of it, so
 * what they deliver crosses the cluster's routes into the streams. Every tenant's leaf node is
 * a real nats-server started from its rendered ConfigMap, with the files its Deployment mounts laid
 * out as the kubelet would (test/support/edge-pods.ts); only what cannot hold outside a cluster is
 * rewritten: the `/etc/nats` prefix (to a temp dir), the listen ports (to free ones) and the hub's
 * in-cluster address (to localhost, which the render puts in the hub certificate through
 * `tenancy:natsHubPublicDnsNames`). Collectors connect like the collector would, from its parsed
 * configuration file and its mounted certificate, key, CA and creds.
 *
 * Expectations come from the tenant files and the seed's subjects, never from lib/.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { AckPolicy, connect, credsAuthenticator, type NatsConnection } from "nats";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startNatsServer, type NatsServer } from "../support/nats-server";
import { startTlsPushedHub, type TlsPushedHub } from "../support/pushed-hub-tls";
import { layOutPod, type PodFiles } from "../support/edge-pods";
import {
  EXAMPLE_TENANTS,
  Clients,
  addStream,
  eventually,
  expectedNats,
  hubSizeFor,
  loadRendered,
  readTenantFile,
  record,
  sleep,
  statusLog,
  streamConfigOf,
  tempDir,
  type K8sObject,
  type Rendered,
} from "../support/rendered";
import { renderSync } from "../support/render";

const OUT = tempDir("edge-e2e-");
const te = new TextEncoder();
const td = new TextDecoder();

interface TenantDoc {
  slug: string;
  status: string;
  collectors: { type: string; partition: string }[];
}
const TENANTS: TenantDoc[] = fs
  .readdirSync(EXAMPLE_TENANTS)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => {
    const doc = readTenantFile(path.join(EXAMPLE_TENANTS, f)) as unknown as TenantDoc;
    return { slug: doc.slug, status: doc.status, collectors: doc.collectors ?? [] };
  });
const WITH_EDGE = TENANTS.filter((t) => t.collectors.length > 0);
const ACTIVE = WITH_EDGE.filter((t) => t.status === "active");
const SUSPENDED = WITH_EDGE.filter((t) => t.status === "suspended");
/** Seed 000 §1/§2: what each collector publishes, before the tenant prefix. */
const SEED_SUBJECTS: Record<string, RegExp> = {
  flowgger: /^events\.syslog$/,
  trapd: /^snmp\.traps$/,
  netflow: /^netflow\.[a-z0-9]+$/,
  otel: /^otel\.(metrics|traces)(\..+)?$/,
};
/** The stream a subject lands in, by the brief's stream subjects. */
const streamFor = (slug: string, subject: string) =>
  subject.startsWith(`${slug}.events.`) ? `${slug}-events` : subject === `${slug}.snmp.traps` ? `${slug}-snmp-traps` : subject.startsWith(`${slug}.netflow.`) ? `${slug}-netflow` : subject.startsWith(`${slug}.otel.`) ? `${slug}-otel` : undefined;

let R: Rendered;
let cluster: TlsPushedHub;
/** The hub's first server: the platform's clients, and the probing leaves, connect to it. */
let hub: NatsServer;
const hubLeafPort = (i = 0) => cluster.servers[i % cluster.servers.length]!.leafPort;
const hubClients = new Clients(() => hub.url);
const leaves = new Map<string, NatsServer>();
const servers: NatsServer[] = [];
const connections: NatsConnection[] = [];
const counts = { delivered: 0, crossPublishRefused: 0, crossSubscribeRefused: 0, crossJsRefused: 0, rogueLeafBlocked: 0, rogueLeafReadBlocked: 0 };

const objectsOf = (kind: string, namespace: string) => R.objects.filter((o) => o.kind === kind && o.metadata.namespace === namespace);
const deployment = (slug: string, name: string) => objectsOf("Deployment", `tenant-${slug}-edge`).find((d) => d.metadata.name === name)!;

function replaceOnce(text: string, from: string | RegExp, to: string, what: string): string {
  const matches = typeof from === "string" ? text.split(from).length - 1 : [...text.matchAll(new RegExp(from.source, from.flags.includes("g") ? from.flags : from.flags + "g"))].length;
  if (matches !== 1) throw new Error(`leaf config: expected exactly one ${what}, found ${matches}`);
  return text.replace(from, to);
}

/** The leaf's rendered config with paths, ports and the hub's address rewritten for this machine. */
async function leafConfigFor(text: string, root: string, hubLeafPort: number): Promise<(ctx: { port: number }) => string> {
  const httpPort = await freePort();
  const paths = text.replaceAll('"/etc/nats/', `"${root}/etc/nats/`);
  return (ctx) => {
    let t = replaceOnce(paths, /^port: 4222$/m, `port: ${ctx.port}`, "client port");
    t = replaceOnce(t, /^http_port: 8222$/m, `http_port: ${httpPort}`, "monitoring port");
    return replaceOnce(t, /nats-leaf:\/\/[a-z0-9.-]+:7422/, `nats-leaf://localhost:${hubLeafPort}`, "hub URL");
  };
}

async function startLeaf(slug: string): Promise<NatsServer> {
  const d = deployment(slug, "nats-leaf");
  const root = tempDir(`leaf-${slug}-`);
  const pod = layOutPod(d, R.objects, root);
  const configPath = (d as any).spec.template.spec.containers[0].args[1] as string;
  // Each tenant's leaf dials its own server of the hub.
  const server = await startNatsServer({ config: await leafConfigFor(fs.readFileSync(pod.at(configPath), "utf8"), root, hubLeafPort(WITH_EDGE.findIndex((t) => t.slug === slug))) });
  servers.push(server);
  return server;
}

/** The TLS block of a remote that presents a leaf pod's certificate and verifies the hub with its hub CA. */
const siteTls = (pod: PodFiles) =>
  `, tls { cert_file: "${pod.at("/etc/nats/tls/tls.crt")}", key_file: "${pod.at("/etc/nats/tls/tls.key")}", ca_file: "${pod.at("/etc/nats/tls/hub-ca.crt")}" }`;

/**
 * A leaf that lets anyone in and dials the hub with the given creds and TLS block: a compromised
 * or hand-made site. Returns the server and a local client without credentials.
 */
async function startOpenLeaf(creds: string, tlsBlock: string): Promise<{ server: NatsServer; local: NatsConnection }> {
  const server = await startNatsServer({
    config: (ctx) => [`port: ${ctx.port}`, "leafnodes {", `  remotes: [ { url: "nats-leaf://localhost:${hubLeafPort()}", credentials: "${creds}"${tlsBlock} } ]`, "}", ""].join("\n"),
  });
  servers.push(server);
  const local = await connect({ servers: server.url, reconnect: false, timeout: 3_000 });
  connections.push(local);
  return { server, local };
}

/** A collector's NATS settings, read from its configuration file in its own format. */
interface CollectorSettings {
  slug: string;
  url: string;
  inboxPrefix: string;
  creds: string;
  cert: string;
  key: string;
  ca: string;
  subjects: string[];
}

function collectorSettings(type: string, text: string): CollectorSettings {
  switch (type) {
    case "flowgger": {
      const c = parseToml(text) as any;
      return { slug: c.output.tenant_slug, url: c.output.nats_url, inboxPrefix: c.output.nats_inbox_prefix, creds: c.output.nats_creds_file, cert: c.security.cert_file, key: c.security.key_file, ca: c.security.ca_file, subjects: [c.output.nats_subject] };
    }
    case "trapd":
    case "netflow": {
      const c = JSON.parse(text);
      return { slug: c.tenant_slug, url: c.nats_url, inboxPrefix: c.nats_inbox_prefix, creds: c.nats_creds_file, cert: c.security.cert_file, key: c.security.key_file, ca: c.security.ca_file, subjects: [c.nats_subject] };
    }
    case "otel": {
      const c = parseYaml(text) as any;
      return { slug: c.tenant_slug, url: c.nats.url, inboxPrefix: c.nats.inbox_prefix, creds: c.nats.creds_file, cert: c.nats.tls.cert_file, key: c.nats.tls.key_file, ca: c.nats.tls.ca_file, subjects: Object.values(c.nats.subjects) as string[] };
    }
  }
  throw new Error(`unknown collector type ${type}`);
}

interface Collector {
  slug: string;
  name: string;
  settings: CollectorSettings;
  pod: PodFiles;
}

function collector(slug: string, type: string, partition: string): Collector {
  const d = deployment(slug, `${type}-${partition}`);
  const pod = layOutPod(d, R.objects, tempDir(`collector-${slug}-`));
  const configPath = (d as any).spec.template.spec.containers[0].args[1] as string;
  return { slug, name: `${type}-${partition}`, settings: collectorSettings(type, fs.readFileSync(pod.at(configPath), "utf8")), pod };
}

/** Connects as the collector would: its URL's host name checked on the leaf's certificate, its mTLS files, its creds. */
async function connectCollector(c: Collector, port: number): Promise<NatsConnection> {
  const read = (p: string) => fs.readFileSync(c.pod.at(p), "utf8");
  const nc = await connect({
    servers: `tls://127.0.0.1:${port}`,
    name: `${c.slug}/${c.name}`,
    authenticator: credsAuthenticator(te.encode(read(c.settings.creds))),
    inboxPrefix: c.settings.inboxPrefix,
    // OpenSSL (Node) only anchors at a self-signed certificate, so the platform root is added to
    // the tenant CA here; the collectors' own TLS stacks (Go, rustls) anchor at ca.pem itself, and
    // test/e2e/pki-chains.test.ts proves that ca.pem alone refuses every other tenant's certificates.
    tls: { ca: [read(c.settings.ca), rootCaPem()], cert: read(c.settings.cert), key: read(c.settings.key), servername: new URL(c.settings.url).hostname } as never,
    reconnect: false,
    timeout: 3_000,
  });
  connections.push(nc);
  return nc;
}

const rootCaPem = () => R.objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "platform-root-ca")!.data!["ca.crt"]!;
const credsOf = (slug: string, role: string) => R.tenants.get(slug)![role as "reader" | "manager"]!;

/** One reader connection per tenant (accounts limit connections; the free plan allows 10). */
const readers = new Map<string, Promise<NatsConnection>>();
const readerOf = (slug: string) => {
  if (!readers.has(slug)) readers.set(slug, hubClients.connect(credsOf(slug, "reader")));
  return readers.get(slug)!;
};
let consumerSeq = 0;

/** Payloads stored in a stream, read by the tenant's reader (the platform's EventWriter identity). */
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
    // The plans limit consumers per account: never leave one behind.
    await jsm.consumers.delete(stream, name);
  }
}

async function messageCount(slug: string, stream: string): Promise<number> {
  return (await (await (await readerOf(slug)).jetstreamManager()).streams.info(stream)).state.messages;
}

/** Publishes `payload` until `stream` holds it (interest reaches a new leaf a moment after it connects). */
async function deliver(nc: NatsConnection, slug: string, subject: string, payload: string): Promise<void> {
  const stream = streamFor(slug, subject)!;
  let attempt = 0;
  await eventually(`${payload} in ${stream}`, async () => {
    nc.publish(subject, te.encode(attempt++ === 0 ? payload : `${payload}#${attempt}`));
    await nc.flush();
    await sleep(150);
    return (await storedPayloads(slug, stream)).some((p) => p.startsWith(payload));
  }, 15_000);
}

beforeAll(async () => {
  renderSync({ out: OUT, revealSecrets: true, config: { natsHubPublicDnsNames: '["localhost"]' } });
  R = loadRendered(OUT);
  cluster = await startTlsPushedHub(OUT, { servers: 3, jetstream: hubSizeFor(TENANTS.map((t) => expectedNats(path.join(EXAMPLE_TENANTS, `${t.slug}.yaml`)))) });
  hub = cluster.servers[0]!.server;
  // The tenants' streams, as NACK would create them with each tenant's manager creds (a suspended
  // tenant's users are all revoked, its manager included).
  for (const t of TENANTS.filter((x) => x.status === "active")) {
    const jsm = await (await hubClients.connect(credsOf(t.slug, "manager"))).jetstreamManager();
    for (const spec of R.tenants.get(t.slug)!.streams) {
      const info = await addStream(jsm, streamConfigOf(spec));
      // On as many servers of the hub as the plan's replicas (the tenant's JetStream tier).
      const placed = [info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((r) => r.name)].filter(Boolean);
      if (info.config.num_replicas !== spec.replicas || placed.length !== spec.replicas) throw new Error(`${spec.name}: ${info.config.num_replicas} replicas on ${JSON.stringify(placed)}, the render says ${spec.replicas}`);
    }
  }
  // Whether an active tenant's leaf is connected shows in delivery (`deliver` waits for it).
  for (const t of WITH_EDGE) leaves.set(t.slug, await startLeaf(t.slug));
}, 240_000);

afterAll(async () => {
  await Promise.allSettled(connections.map((nc) => nc.close()));
  await hubClients.closeAll();
  for (const s of servers) await s.stop();
  await cluster?.stop();
  console.log(
    `edge e2e: ${counts.delivered} messages delivered collector → leaf → hub → stream (${ACTIVE.length} active tenants, every collector and subject); ` +
      `cross-tenant refused: ${counts.crossPublishRefused} publishes and ${counts.crossSubscribeRefused} subscriptions at the leaf, ${counts.crossJsRefused} JetStream API reads, ` +
      `${counts.rogueLeafBlocked} deliveries and ${counts.rogueLeafReadBlocked} reads through a leaf without local auth (every ordered pair)`,
  );
  fs.rmSync(OUT, { recursive: true, force: true });
});

describe("collector configurations", () => {
  it("parse in their formats, carry the tenant's slug and seed subjects, and name files their pod mounts from the right Secret keys", () => {
    let checked = 0;
    for (const t of WITH_EDGE) {
      for (const c of t.collectors) {
        const col = collector(t.slug, c.type, c.partition);
        expect(col.settings.slug, col.name).toBe(t.slug);
        expect(col.settings.subjects.length).toBeGreaterThan(0);
        for (const s of col.settings.subjects) {
          expect(s, `${t.slug} ${c.type}`).toMatch(SEED_SUBJECTS[c.type]!);
          expect(streamFor(t.slug, `${t.slug}.${s}`), s).toBeDefined();
        }
        // Every file the configuration names is mounted (layOutPod throws on a key the Secret lacks).
        for (const p of [col.settings.creds, col.settings.cert, col.settings.key, col.settings.ca]) expect(fs.existsSync(col.pod.at(p)), p).toBe(true);
        expect(fs.readFileSync(col.pod.at(col.settings.key), "utf8")).toMatch(/PRIVATE KEY/);
        expect(fs.readFileSync(col.pod.at(col.settings.creds), "utf8")).toMatch(/BEGIN NATS USER JWT/);
        // The certificate is the collector's own, its CA the tenant's.
        const subject = execFileSync("openssl", ["x509", "-noout", "-subject", "-in", col.pod.at(col.settings.cert)], { encoding: "utf8" });
        expect(subject).toContain(`${c.type}.${c.partition}.${t.slug}.serviceradar`);
        expect(new URL(col.settings.url).protocol).toBe("tls:");
        checked++;
      }
    }
    expect(checked).toBe(WITH_EDGE.reduce((n, t) => n + t.collectors.length, 0));
  });
});

describe("collector → leaf → hub → stream, every active tenant", () => {
  it("delivers every subject of every collector into its tenant's stream on the hub", async () => {
    for (const t of ACTIVE) {
      const leaf = leaves.get(t.slug)!;
      for (const c of t.collectors) {
        const col = collector(t.slug, c.type, c.partition);
        const nc = await connectCollector(col, leaf.port);
        for (const s of col.settings.subjects) {
          const subject = `${t.slug}.${s}`;
          await deliver(nc, t.slug, subject, `${t.slug}/${col.name}/${subject}`);
          counts.delivered++;
        }
        await nc.close();
      }
    }
    expect(counts.delivered).toBeGreaterThanOrEqual(ACTIVE.reduce((n, t) => n + t.collectors.length, 0));
  });

  it("keeps a suspended tenant's edge closed: its leaf is refused by the hub and its collectors by the leaf", async () => {
    for (const t of SUSPENDED) {
      const leaf = leaves.get(t.slug)!;
      // The leaf's own log: its remote is refused by the hub (every user revoked, no leaf admitted).
      await eventually(`${t.slug}'s leaf refused`, async () => /Leafnode Error 'Authorization Violation'|Authorization Violation|maximum leafnode/i.test(leaf.logs()), 10_000);
      for (const c of t.collectors) {
        const col = collector(t.slug, c.type, c.partition);
        await expect(connectCollector(col, leaf.port)).rejects.toThrow(/Authorization Violation|AUTHORIZATION_VIOLATION/i);
      }
    }
    expect(SUSPENDED.length).toBeGreaterThan(0);
  });
});

describe("tenant A's edge cannot deliver into or read from tenant B (every ordered pair of active tenants)", () => {
  const pairs = () => ACTIVE.flatMap((a) => ACTIVE.filter((b) => b.slug !== a.slug).map((b) => [a, b] as const));

  it("refuses A's collector publishing B's subjects, subscribing to B's, or calling B's JetStream API at A's leaf; B's streams stay untouched", async () => {
    for (const [a, b] of pairs()) {
      const before = await messageCount(b.slug, `${b.slug}-events`);
      const c = a.collectors[0]!;
      const nc = await connectCollector(collector(a.slug, c.type, c.partition), leaves.get(a.slug)!.port);
      const statuses = statusLog(nc);
      nc.publish(`${b.slug}.events.syslog`, te.encode(`${a.slug} forging ${b.slug}`));
      const sub = record(nc, `${b.slug}.>`);
      await nc.flush();
      const forged = `${b.slug}.events.syslog`;
      await eventually(`publish refused for ${a.slug} → ${b.slug}`, async () => statuses.some((s) => s.data === "PERMISSIONS_VIOLATION" && (s as any).permissionContext?.operation === "publish" && (s as any).permissionContext?.subject === forged), 5_000);
      counts.crossPublishRefused++;
      await eventually(`subscribe refused for ${a.slug} → ${b.slug}`, async () => sub.errors.some((e) => e.code === "PERMISSIONS_VIOLATION"), 5_000);
      counts.crossSubscribeRefused++;
      await expect(nc.request(`$JS.API.STREAM.INFO.${b.slug}-events`, undefined, { timeout: 1_000 })).rejects.toThrow();
      counts.crossJsRefused++;
      await sleep(200);
      expect(await messageCount(b.slug, `${b.slug}-events`), `${b.slug}-events after ${a.slug}'s attempts`).toBe(before);
      await nc.close();
    }
    expect(counts.crossPublishRefused).toBe(ACTIVE.length * (ACTIVE.length - 1));
  });

  it("even through a leaf without local auth (A's leaf creds and certificate): nothing reaches B's streams, nothing of B's comes back", async () => {
    for (const a of ACTIVE) {
      // A compromised site: A's leaf credentials and certificate in a leaf that lets anyone in. It
      // replaces A's leaf for the while (the free plan admits one leaf connection).
      await leaves.get(a.slug)!.stop();
      const aLeaf = layOutPod(deployment(a.slug, "nats-leaf"), R.objects, tempDir(`rogue-${a.slug}-`));
      const { server: rogue, local } = await startOpenLeaf(aLeaf.at("/etc/nats/creds/nats.creds"), siteTls(aLeaf));
      const everything = record(local, ">");
      await local.flush();
      // Control: A's own subject still arrives in A's stream through this leaf.
      await deliver(local, a.slug, `${a.slug}.events.syslog`, `rogue ${a.slug} own`);
      for (const b of ACTIVE.filter((x) => x.slug !== a.slug)) {
        const before = await storedPayloads(b.slug, `${b.slug}-events`);
        for (let i = 0; i < 5; i++) local.publish(`${b.slug}.events.syslog`, te.encode(`rogue ${a.slug} into ${b.slug} ${i}`));
        await local.flush();
        // B publishes through its own edge; A's catch-all subscription must not see it.
        const bc = b.collectors.find((c) => c.type === "flowgger") ?? b.collectors[0]!;
        const bCol = collector(b.slug, bc.type, bc.partition);
        const bnc = await connectCollector(bCol, leaves.get(b.slug)!.port);
        const bSubject = `${b.slug}.${bCol.settings.subjects[0]}`;
        await deliver(bnc, b.slug, bSubject, `${b.slug} private for ${a.slug}'s test`);
        await bnc.close();
        await sleep(300);
        const after = await storedPayloads(b.slug, `${b.slug}-events`);
        expect(after.filter((p) => p.startsWith(`rogue ${a.slug}`)), `${a.slug} → ${b.slug}`).toEqual([]);
        expect(after.slice(0, before.length)).toEqual(before);
        counts.rogueLeafBlocked++;
        // (Its own publishes to B's subjects loop back locally; B's data is what must not arrive.)
        expect(everything.messages.filter((m) => m.subject.startsWith(`${b.slug}.`) && !m.data.startsWith(`rogue ${a.slug}`)), `${b.slug}'s data seen at ${a.slug}'s leaf`).toEqual([]);
        counts.rogueLeafReadBlocked++;
      }
      await local.close();
      await rogue.stop();
      leaves.set(a.slug, await startLeaf(a.slug));
    }
    expect(counts.rogueLeafBlocked).toBe(ACTIVE.length * (ACTIVE.length - 1));
  });
});

describe("what flows back to a site: replies to its own collectors only", () => {
  it("keeps the platform's JetStream replies and the tenant's data away from anyone holding a site's creds", async () => {
    const a = ACTIVE[0]!;
    // A collector may subscribe only to its own inbox prefix, not to the platform's.
    const c = a.collectors[0]!;
    const col = collector(a.slug, c.type, c.partition);
    expect(col.settings.inboxPrefix).toBe("_INBOX_EDGE");
    const nc = await connectCollector(col, leaves.get(a.slug)!.port);
    const platformInbox = record(nc, "_INBOX.>");
    await nc.flush();
    await eventually("collector refused _INBOX.>", async () => platformInbox.errors.some((e) => e.code === "PERMISSIONS_VIOLATION"), 5_000);
    // Even a second leaf without local auth, with the site's creds (the pro plan admits several
    // leaves), receives nothing back but its own replies.
    const pod = layOutPod(deployment(a.slug, "nats-leaf"), R.objects, tempDir(`snoop-${a.slug}-`));
    const { server: snoop, local } = await startOpenLeaf(pod.at("/etc/nats/creds/nats.creds"), siteTls(pod));
    const everything = record(local, ">");
    await local.flush();
    await deliver(local, a.slug, `${a.slug}.events.syslog`, `snoop ${a.slug} own`); // the link is up
    const before = everything.messages.length;
    // The platform reads the tenant's streams (JetStream API requests with _INBOX. replies) and
    // another site of the tenant publishes: none of it reaches this site.
    await storedPayloads(a.slug, `${a.slug}-events`);
    const hubClient = await hubClients.connect(credsOf(a.slug, "reader"));
    await hubClient.request("$JS.API.INFO", undefined, { timeout: 2_000 });
    await deliver(nc, a.slug, `${a.slug}.${col.settings.subjects[0]}`, `${a.slug} from the other site`);
    await nc.close();
    await sleep(500);
    const leaked = everything.messages.slice(before).filter((m) => !m.data.startsWith(`snoop ${a.slug} own`));
    expect(leaked, "messages that reached the site").toEqual([]);
    expect(everything.messages.length).toBeGreaterThan(0); // its own publishes did loop back locally
    await local.close();
    await snoop.stop();
  });
});

describe("the hub's leaf listener", () => {
  const tenant = () => ACTIVE[0]!;
  /** A leaf with the given TLS block (cert/key files or none), tenant's leaf creds; whether it delivers in 4 s. */
  async function leafDelivers(tlsBlock: string, slug = tenant().slug): Promise<{ delivered: boolean; server: NatsServer }> {
    const creds = layOutPod(deployment(slug, "nats-leaf"), R.objects, tempDir(`probe-${slug}-`)).at("/etc/nats/creds/nats.creds");
    const { server, local } = await startOpenLeaf(creds, tlsBlock);
    const stream = `${slug}-events`;
    const marker = `probe ${Math.random()}`;
    const deadline = Date.now() + 4_000;
    let delivered = false;
    while (Date.now() < deadline && !delivered) {
      local.publish(`${slug}.events.syslog`, te.encode(marker));
      await local.flush();
      await sleep(300);
      delivered = (await storedPayloads(slug, stream)).includes(marker);
    }
    await local.close();
    await server.stop();
    return { delivered, server };
  }

  it("requires TLS: a leaf dialling without TLS is refused", async () => {
    const from = hub.logs().length;
    expect((await leafDelivers("")).delivered).toBe(false);
    expect(hub.logs().slice(from)).toMatch(/TLS|handshake/i);
  });

  it("refuses a leaf that presents no client certificate", async () => {
    const pod = layOutPod(deployment(tenant().slug, "nats-leaf"), R.objects, tempDir("nocert-"));
    const from = hub.logs().length;
    expect((await leafDelivers(`, tls { ca_file: "${pod.at("/etc/nats/tls/hub-ca.crt")}" }`)).delivered).toBe(false);
    expect(hub.logs().slice(from)).toMatch(/TLS leafnode handshake error/);
  });

  it("refuses a leaf whose certificate is not issued under the platform root (self-signed, same subject)", async () => {
    const dir = tempDir("selfsigned-");
    const pod = layOutPod(deployment(tenant().slug, "nats-leaf"), R.objects, dir);
    const subject = execFileSync("openssl", ["x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", pod.at("/etc/nats/tls/tls.crt")], { encoding: "utf8" }).replace(/^subject=/, "").trim();
    const [cert, key] = [path.join(dir, "forged.crt"), path.join(dir, "forged.key")];
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", `/${subject.split(",").reverse().join("/")}`, "-keyout", key, "-out", cert], { stdio: "pipe" });
    const from = hub.logs().length;
    const result = await leafDelivers(`, tls { cert_file: "${cert}", key_file: "${key}", ca_file: "${pod.at("/etc/nats/tls/hub-ca.crt")}" }`);
    expect(result.delivered).toBe(false);
    expect(hub.logs().slice(from)).toMatch(/TLS leafnode handshake error/);
    // Control: the same leaf with the rendered certificate delivers.
    const good = await leafDelivers(siteTls(pod));
    expect(good.delivered).toBe(true);
  });

  it("binds a leaf to the account of its creds, not of its certificate: A's creds with B's certificate reach A's account only (README: no certificate-to-account binding in operator mode)", async () => {
    const [a, b] = [ACTIVE[0]!, ACTIVE[1]!];
    const bPod = layOutPod(deployment(b.slug, "nats-leaf"), R.objects, tempDir("crossed-"));
    const tls = siteTls(bPod);
    // Accepted (the certificate chains to the root), and what it sends lands in A's account.
    expect((await leafDelivers(tls, a.slug)).delivered).toBe(true);
    const bBefore = await storedPayloads(b.slug, `${b.slug}-events`);
    const creds = layOutPod(deployment(a.slug, "nats-leaf"), R.objects, tempDir("crossed-a-")).at("/etc/nats/creds/nats.creds");
    const { server, local } = await startOpenLeaf(creds, tls);
    await deliver(local, a.slug, `${a.slug}.events.syslog`, "crossed into A");
    for (let i = 0; i < 3; i++) local.publish(`${b.slug}.events.syslog`, te.encode("crossed into B"));
    await local.flush();
    await sleep(500);
    expect((await storedPayloads(b.slug, `${b.slug}-events`)).length).toBe(bBefore.length);
    await local.close();
    await server.stop();
  });
});

describe("onboarding bundles (render --reveal-secrets writes them as directories)", () => {
  const bundleDir = (slug: string, name: string) => path.join(OUT, "bundles", slug, name);

  it("exist for every collector, with its config, certificate, key, tenant CA, creds, the leaf's config and files, a README and an install script", () => {
    for (const t of WITH_EDGE) {
      expect(fs.readdirSync(path.join(OUT, "bundles", t.slug)).sort()).toEqual(t.collectors.map((c) => `${c.type}-${c.partition}`).sort());
      for (const c of t.collectors) {
        const files = fs.readdirSync(bundleDir(t.slug, `${c.type}-${c.partition}`)).sort();
        for (const f of ["README.md", "install.sh", "collector.pem", "collector-key.pem", "ca.pem", "collector.creds", "nats-leaf.conf", "leaf.crt", "leaf.key", "leaf.creds", "hub-ca.crt"]) expect(files, `${t.slug}/${c.type}`).toContain(f);
        const dir = bundleDir(t.slug, `${c.type}-${c.partition}`);
        execFileSync("sh", ["-n", path.join(dir, "install.sh")]);
        expect(fs.statSync(path.join(dir, "collector-key.pem")).mode & 0o077).toBe(0);
        expect(fs.statSync(path.join(dir, "install.sh")).mode & 0o100).toBe(0o100);
        // The bundle's leaf is the cluster's leaf, dialling the hub's public address instead.
        const inCluster = objectsOf("ConfigMap", `tenant-${t.slug}-edge`).find((o) => o.metadata.name === "nats-leaf-config")!.data!["nats-leaf.conf"]!;
        const bundled = fs.readFileSync(path.join(dir, "nats-leaf.conf"), "utf8");
        const withoutUrl = (text: string) => text.replace(/nats-leaf:\/\/[a-z0-9.-]+:\d+/, "<hub>");
        expect(withoutUrl(bundled)).toBe(withoutUrl(inCluster));
        expect(bundled).toContain(`nats-leaf://localhost:7422`);
      }
    }
  });

  it("give every collector of a site its own files: no two bundles of a tenant install different content to the same path", () => {
    for (const t of WITH_EDGE) {
      const seen = new Map<string, string>();
      for (const c of t.collectors) {
        const dir = bundleDir(t.slug, `${c.type}-${c.partition}`);
        for (const [, , file, target] of fs.readFileSync(path.join(dir, "install.sh"), "utf8").matchAll(/install -D -m (\d+) -o \d+ -g \d+ "\$HERE\/([^"]+)" "\$PREFIX\/([^"]+)"/g)) {
          const content = fs.readFileSync(path.join(dir, file!), "utf8");
          if (seen.has(target!)) expect(content, `${t.slug}: ${target} differs between bundles`).toBe(seen.get(target!));
          seen.set(target!, content);
        }
      }
      expect(seen.size).toBe(6 + 5 * t.collectors.length);
    }
  });

  it("run outside the cluster as install.sh lays them out: the bundle's leaf and collector deliver into the tenant's stream", async () => {
    const t = ACTIVE[0]!;
    const c = t.collectors[t.collectors.length - 1]!;
    const dir = bundleDir(t.slug, `${c.type}-${c.partition}`);
    const prefix = tempDir("bundle-prefix-");
    // Every `install -D -m MODE -o … -g … "$HERE/<file>" "$PREFIX/<path>"` line of install.sh, done here.
    const installs = [...fs.readFileSync(path.join(dir, "install.sh"), "utf8").matchAll(/install -D -m (\d+) -o \d+ -g \d+ "\$HERE\/([^"]+)" "\$PREFIX\/([^"]+)"/g)];
    expect(installs.length).toBe(11);
    for (const [, mode, file, target] of installs) {
      fs.mkdirSync(path.dirname(path.join(prefix, target!)), { recursive: true });
      fs.copyFileSync(path.join(dir, file!), path.join(prefix, target!));
      fs.chmodSync(path.join(prefix, target!), parseInt(mode!, 8));
    }
    // install.sh mounts $PREFIX/nats at /etc/nats and $PREFIX/<collector>/serviceradar at /etc/serviceradar.
    const mounts = [...fs.readFileSync(path.join(dir, "install.sh"), "utf8").matchAll(/-v "\$PREFIX\/([^:"]+):(\/etc\/[a-z]+):ro"/g)].map(([, from, to]) => ({ from: from!, to: to! }));
    expect(mounts.map((m) => m.to).sort()).toEqual(["/etc/nats", "/etc/serviceradar"]);
    const hostPath = (p: string) => {
      const m = mounts.find((x) => p.startsWith(`${x.to}/`))!;
      return path.join(prefix, m.from, p.slice(m.to.length + 1));
    };
    const leafText = fs.readFileSync(path.join(prefix, "nats/config/nats-leaf.conf"), "utf8").replaceAll('"/etc/nats/', `"${prefix}/nats/`);
    const httpPort = await freePort();
    const leaf = await startNatsServer({
      config: (ctx) =>
        replaceOnce(replaceOnce(replaceOnce(leafText, /^port: 4222$/m, `port: ${ctx.port}`, "client port"), /^http_port: 8222$/m, `http_port: ${httpPort}`, "monitoring port"), "nats-leaf://localhost:7422", `nats-leaf://localhost:${hubLeafPort()}`, "hub URL"),
    });
    servers.push(leaf);
    const configArg = /--config (\/etc\/serviceradar\/\S+)$/m.exec(fs.readFileSync(path.join(dir, "install.sh"), "utf8"))![1]!;
    const settings = collectorSettings(c.type, fs.readFileSync(hostPath(configArg), "utf8"));
    const files: PodFiles = { root: prefix, files: new Map(), at: hostPath };
    const nc = await connectCollector({ slug: t.slug, name: `bundle-${c.type}-${c.partition}`, settings, pod: files }, leaf.port);
    for (const s of settings.subjects) await deliver(nc, t.slug, `${t.slug}.${s}`, `bundle ${t.slug}/${c.type}/${s}`);
    await nc.close();
    await leaf.stop();
  });
});
