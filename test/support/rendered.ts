/**
 * Test helpers for checking a render against a real nats-server: load what a render with secrets
 * revealed wrote (`renderSync` of render.ts, into a temp dir: the hub's accounts.conf, every creds
 * Secret by tenant and role, the NACK Streams, the account JWTs pushed to the hub as
 * `hub/accounts/<slug>.yaml` lists them), and talk to the server with those creds. The hub itself
 * (servers with the full resolver, the accounts pushed) is test/support/hub-cluster.ts.
 *
 * Expectations are never computed here with the program's own functions: plan/override limits are
 * read from the YAML files with a small independent merge ({@link expectedNats}), durations and
 * byte quantities are parsed here ({@link goDurationNs}, {@link bytesOf}).
 */
import * as fs from "node:fs";
import { connect as tcpConnect } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import {
  connect,
  credsAuthenticator,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type NatsConnection,
  type NatsError,
  type Status,
  type StreamConfig,
  type StreamInfo,
  type Subscription,
} from "nats";
import { fromSeed } from "nkeys.js";
import { parse } from "yaml";

export const REPO = path.resolve(__dirname, "../..");
export const EXAMPLE_TENANTS = path.join(REPO, "tenants");
export const PLANS_FILE = path.join(REPO, "plans/plans.yaml");

const te = new TextEncoder();
const td = new TextDecoder();

// ---------------------------------------------------------------------------------------------
// Loading a render
// ---------------------------------------------------------------------------------------------

export const tempDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: Record<string, unknown>;
  /** A Secret's type (kubernetes.io/tls, Opaque…). */
  type?: string;
}

/** A NACK Stream's spec, as rendered. */
export interface NackStreamSpec {
  name: string;
  subjects: string[];
  storage: string;
  retention: string;
  discard: string;
  maxAge: string;
  maxBytes: number;
  replicas: number;
  account?: string;
  /** NACK's source fields (externalApiPrefix / externalDeliverPrefix for another domain). */
  sources?: { name: string; externalApiPrefix?: string; externalDeliverPrefix?: string }[];
}

export type Role = "collector" | "leaf" | "reader" | "manager" | "streams";

export interface Creds {
  role: Role;
  /** Secret `<namespace>/<name>`. */
  secret: string;
  text: string;
}

export interface RenderedTenant {
  slug: string;
  collectors: Creds[];
  leaf?: Creds;
  reader?: Creds;
  manager?: Creds;
  /** The in-cluster leaf's streams user (its own account). */
  streamsUser?: Creds;
  streams: NackStreamSpec[];
}

export interface Rendered {
  out: string;
  /** `accounts.conf` of ConfigMap platform/nats-hub-accounts: the operator, the system and platform accounts (no tenant: they are pushed). */
  fragment: string;
  objects: K8sObject[];
  tenants: Map<string, RenderedTenant>;
}

export const TENANT_LABEL = "tenancy.serviceradar.io/tenant";
export const NATS_USER_LABEL = "tenancy.serviceradar.io/nats-user";

export function loadRendered(out: string): Rendered {
  const root = path.join(out, "manifests");
  const objects: K8sObject[] = [];
  // manifests/clusters/<edge cluster>/… are another cluster's objects: not the platform's.
  for (const ns of fs.readdirSync(root).sort().filter((d) => d !== "clusters")) {
    for (const file of fs.readdirSync(path.join(root, ns)).sort()) {
      if (file.endsWith(".yaml")) objects.push(parse(fs.readFileSync(path.join(root, ns, file), "utf8")) as K8sObject);
    }
  }
  const hub = objects.filter((o) => o.kind === "ConfigMap" && o.metadata.name === "nats-hub-accounts");
  if (hub.length !== 1 || hub[0]!.metadata.namespace !== "platform") throw new Error("expected one ConfigMap platform/nats-hub-accounts");
  const fragment = hub[0]!.data?.["accounts.conf"];
  if (!fragment) throw new Error("nats-hub-accounts has no accounts.conf");

  const tenants = new Map<string, RenderedTenant>();
  const tenant = (slug: string) => {
    let t = tenants.get(slug);
    if (!t) tenants.set(slug, (t = { slug, collectors: [], streams: [] }));
    return t;
  };
  for (const o of objects) {
    const slug = o.metadata.labels?.[TENANT_LABEL];
    if (!slug) continue;
    const role = o.metadata.labels?.[NATS_USER_LABEL] as Role | undefined;
    if (o.kind === "Secret" && role) {
      const text = o.stringData?.["nats.creds"];
      if (!text || text.includes("[secret]")) throw new Error(`${o.metadata.namespace}/${o.metadata.name}: no revealed nats.creds`);
      const creds: Creds = { role, secret: `${o.metadata.namespace}/${o.metadata.name}`, text };
      const t = tenant(slug);
      // The in-cluster leaf's Secret also holds the creds of the streams user beside it.
      const streams = o.stringData?.["streams.creds"];
      if (streams !== undefined) {
        if (role !== "leaf" || streams.includes("[secret]")) throw new Error(`${creds.secret}: streams.creds outside the leaf's Secret, or not revealed`);
        if (t.streamsUser) throw new Error(`${slug}: two streams creds`);
        t.streamsUser = { role: "streams", secret: creds.secret, text: streams };
      }
      if (role === "collector") t.collectors.push(creds);
      else if (role === "streams") {
        if (t.streamsUser) throw new Error(`${slug}: two streams creds`);
        t.streamsUser = creds;
      } else {
        if (t[role]) throw new Error(`${slug}: two ${role} creds`);
        t[role] = creds;
      }
    } else if (o.kind === "Stream" && o.apiVersion.startsWith("jetstream.nats.io/")) {
      tenant(slug).streams.push({ ...(o.spec as unknown as NackStreamSpec) });
    }
  }
  return { out, fragment, objects, tenants };
}

/**
 * JetStream storage each hub server needs so that every tenant's tier can be reserved in full
 * whatever the placement: a tier counts every replica (a stream of R replicas and max_bytes B takes
 * R×B of it), and each of the R copies is on a different server, so one server holds at most
 * 1/R of an R-replica tier — all of an R1 tier. The size is explicit because nats-server's default
 * is 75% of the machine's free disk (and memory) at start-up: with it, whether a stream fits would
 * depend on the test machine. (On a single server an account whose tiers do not fit gets no
 * JetStream at all, "insufficient storage resources available (10047)".)
 */
export const hubSizeFor = (tenants: Iterable<ExpectedNats>) => {
  let maxFileStore = 0;
  let maxMemoryStore = 0;
  for (const t of tenants) {
    if (t.diskStorage < 0 || t.memoryStorage < 0) throw new Error(`${t.slug}: unlimited JetStream storage cannot be sized`);
    maxFileStore += Math.ceil(t.diskStorage / t.replicas);
    maxMemoryStore += Math.ceil(t.memoryStorage / t.replicas);
  }
  // max_memory_store 0 would fall back to the machine's default; 1 byte reserves nothing usable.
  return { maxFileStore, maxMemoryStore: Math.max(maxMemoryStore, 1) };
};

/** A tenant's account as the render lists it for review (`hub/accounts/<slug>.yaml`): its claims decoded, and the JWT pushed. */
export interface HubAccountFile {
  tenant: string;
  account: string;
  name: string;
  claims: Record<string, any>;
  jwt: string;
}

/** Every `hub/accounts/<slug>.yaml` of a render, by slug. */
export function loadHubAccounts(out: string): Map<string, HubAccountFile> {
  const dir = path.join(out, "hub", "accounts");
  const files = new Map<string, HubAccountFile>();
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".yaml")).sort()) {
    const doc = parse(fs.readFileSync(path.join(dir, f), "utf8")) as HubAccountFile;
    if (`${doc.tenant}.yaml` !== f) throw new Error(`${dir}/${f}: tenant ${doc.tenant}`);
    files.set(doc.tenant, doc);
  }
  return files;
}

// ---------------------------------------------------------------------------------------------
// Expectations from the YAML files (independent of lib/)
// ---------------------------------------------------------------------------------------------

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };

/** Bytes of a Kubernetes-style quantity ("256Ki", "1Gi", "500M", 1024); -1 stays -1. */
export function bytesOf(q: string | number): number {
  if (typeof q === "number") return q;
  const m = /^(\d+)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(q.trim());
  if (!m) throw new Error(`bytesOf: cannot parse ${JSON.stringify(q)}`);
  const unit = m[2] ? (BINARY[m[2]] ?? DECIMAL[m[2]]!) : 1;
  const n = Number(m[1]) * unit;
  if (!Number.isSafeInteger(n)) throw new Error(`bytesOf: ${q} is beyond 2^53`);
  return n;
}

const GO_UNITS: Record<string, bigint> = { ns: 1n, us: 1_000n, "µs": 1_000n, "μs": 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };

/** Nanoseconds of a Go duration string ("72h", "1h30m", "1.5h", "250ms"), as time.ParseDuration. */
export function goDurationNs(text: string): number {
  if (text === "0") return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0n;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new Error(`goDurationNs: cannot parse ${JSON.stringify(text)} at ${at}`);
    const [whole, frac = ""] = m[1]!.split(".");
    const unit = GO_UNITS[m[2]!]!;
    total += BigInt(whole!) * unit + (frac ? (BigInt(frac) * unit) / 10n ** BigInt(frac.length) : 0n);
    at = re.lastIndex;
  }
  if (at === 0) throw new Error(`goDurationNs: empty duration`);
  const n = Number(total);
  if (!Number.isSafeInteger(n)) throw new Error(`goDurationNs: ${text} is beyond 2^53 ns`);
  return n;
}

export interface TenantFileDoc {
  slug: string;
  plan: string;
  status: string;
  overrides?: { nats?: Record<string, unknown>; retention?: Record<string, unknown> };
  collectors?: { type: string; partition: string }[];
}

export const readTenantFile = (file: string) => parse(fs.readFileSync(file, "utf8")) as TenantFileDoc;

function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (base && over && typeof base === "object" && typeof over === "object" && !Array.isArray(base)) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(over as Record<string, unknown>)) out[k] = deepMerge(out[k], v);
    return out;
  }
  return over;
}

export interface UserLimitsExpected {
  subscriptions: number;
  data: number;
  payload: number;
}

export interface ExpectedNats {
  slug: string;
  status: string;
  connections: number;
  /** The account's leaf node connections (`leaf`). */
  leafNodeConnections: number;
  subscriptions: number;
  payload: number;
  diskStorage: number;
  memoryStorage: number;
  streams: number;
  consumers: number;
  /** Replicas of each stream: the account's one JetStream tier is `R<replicas>`. */
  replicas: number;
  /** What one connection of an edge user may do (its user JWT's limits). */
  userLimits: { collector: UserLimitsExpected; leaf: UserLimitsExpected };
  retention: { maxAge: string; maxBytes: number };
}

/** A tenant's NATS limits and retention as its plan and its `overrides:` say. */
export function expectedNats(tenantFile: string, plansFile = PLANS_FILE): ExpectedNats {
  const doc = readTenantFile(tenantFile);
  const plan = (parse(fs.readFileSync(plansFile, "utf8")) as { plans: Record<string, { nats: unknown; retention: unknown }> }).plans[doc.plan];
  if (!plan) throw new Error(`${tenantFile}: unknown plan ${doc.plan}`);
  type User = { subscriptions: number; data: string | number; payload: string | number };
  const nats = deepMerge(plan.nats, doc.overrides?.nats) as {
    connections: number;
    leafNodeConnections: number;
    subscriptions: number;
    payload: string | number;
    userLimits: { collector: User; leaf: User };
    jetstream: { diskStorage: string | number; memoryStorage: string | number; streams: number; consumers: number; replicas: number };
  };
  const user = (u: User): UserLimitsExpected => ({ subscriptions: u.subscriptions, data: bytesOf(u.data), payload: bytesOf(u.payload) });
  const retention = deepMerge(plan.retention, doc.overrides?.retention) as { maxAge: string; maxBytes: string | number };
  return {
    slug: doc.slug,
    status: doc.status,
    connections: nats.connections,
    leafNodeConnections: nats.leafNodeConnections,
    subscriptions: nats.subscriptions,
    payload: bytesOf(nats.payload),
    diskStorage: bytesOf(nats.jetstream.diskStorage),
    memoryStorage: bytesOf(nats.jetstream.memoryStorage),
    streams: nats.jetstream.streams,
    consumers: nats.jetstream.consumers,
    replicas: nats.jetstream.replicas,
    userLimits: { collector: user(nats.userLimits.collector), leaf: user(nats.userLimits.leaf) },
    retention: { maxAge: retention.maxAge, maxBytes: bytesOf(retention.maxBytes) },
  };
}

/** The JetStream stream config NACK would send for a rendered Stream spec. */
export function streamConfigOf(spec: NackStreamSpec): Partial<StreamConfig> & { name: string } {
  const pick = <T>(what: string, value: string, table: Record<string, T>): T => {
    const v = table[value];
    if (v === undefined) throw new Error(`stream ${spec.name}: unsupported ${what} ${JSON.stringify(value)}`);
    return v;
  };
  return {
    name: spec.name,
    subjects: spec.subjects,
    storage: pick("storage", spec.storage, { file: StorageType.File, memory: StorageType.Memory }),
    retention: pick("retention", spec.retention, { limits: RetentionPolicy.Limits, interest: RetentionPolicy.Interest, workqueue: RetentionPolicy.Workqueue }),
    discard: pick("discard", spec.discard, { old: DiscardPolicy.Old, new: DiscardPolicy.New }),
    max_age: goDurationNs(spec.maxAge),
    max_bytes: spec.maxBytes,
    num_replicas: spec.replicas,
    // NACK maps externalApiPrefix/externalDeliverPrefix to a source's `external { api, deliver }`.
    ...(spec.sources?.length
      ? {
          sources: spec.sources.map((s) => ({
            name: s.name,
            ...(s.externalApiPrefix ? { external: { api: s.externalApiPrefix, deliver: s.externalDeliverPrefix ?? "" } } : {}),
          })),
        }
      : {}),
  };
}

/**
 * Adds a stream as NACK would, which reconciles until it exists: nats-server 2.9 answers a stream
 * create on a busy cluster now and then with 10049 "error creating store for stream" (the cause only
 * in its log) and creates it when asked again; and right after a cluster forms or an account is
 * pushed, its JetStream may not answer yet (503, no responders), as NACK's first reconcile can see.
 * Only those are retried; any other refusal, and the config the server returns, are the caller's
 * to check.
 */
export async function addStream(jsm: JetStreamManager, cfg: Partial<StreamConfig> & { name: string }, attempts = 4): Promise<StreamInfo> {
  for (let i = 1; ; i++) {
    try {
      return await jsm.streams.add(cfg);
    } catch (err) {
      const e = err as { api_error?: { err_code?: number }; code?: string };
      if (i >= attempts || (e.api_error?.err_code !== 10049 && e.code !== "503")) throw err;
      await sleep(500 * i);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------------

/** JWT and seed of a creds file. */
export function credsParts(creds: string): { jwt: string; seed: string } {
  const jwt = /-----BEGIN NATS USER JWT-----\n([^\n]+)\n------END NATS USER JWT------/.exec(creds)?.[1];
  const seed = /-----BEGIN USER NKEY SEED-----\n([^\n]+)\n------END USER NKEY SEED------/.exec(creds)?.[1];
  if (!jwt || !seed) throw new Error("not a creds file");
  return { jwt, seed };
}

/** Payload claims of a JWT (no signature check; the server does that). */
export function jwtClaims(jwt: string): Record<string, any> {
  return JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8"));
}

/** The platform reader's inbox prefix (docs/nats.md): no leaf node is ever forwarded it. */
export const PLATFORM_INBOX = "_INBOX_PLATFORM";

/** nats.js connections opened by a test, so they can be closed together. */
export class Clients {
  private readonly open = new Set<NatsConnection>();
  constructor(private readonly url: () => string) {}

  async connect(creds: Creds | string, name?: string): Promise<NatsConnection> {
    const text = typeof creds === "string" ? creds : creds.text;
    const nc = await connect({
      servers: this.url(),
      name: name ?? (typeof creds === "string" ? "client" : creds.secret),
      authenticator: credsAuthenticator(te.encode(text)),
      // The platform's reader takes its replies on an inbox prefix of its own; NACK (the manager)
      // and the collectors (async-nats) cannot change `_INBOX.`.
      ...(typeof creds !== "string" && creds.role === "reader" ? { inboxPrefix: PLATFORM_INBOX } : {}),
      reconnect: false,
      timeout: 3_000,
    });
    this.open.add(nc);
    void nc.closed().then(() => this.open.delete(nc));
    return nc;
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.open].map((nc) => nc.close()));
    this.open.clear();
  }
}

/** Collects a connection's status events (publish permission errors arrive here, not as exceptions). */
export function statusLog(nc: NatsConnection): Status[] {
  const seen: Status[] = [];
  void (async () => {
    for await (const s of nc.status()) seen.push(s);
  })();
  return seen;
}

/** A subscription whose messages and error (if the server refuses it) are recorded. */
export function record(nc: NatsConnection, subject: string) {
  const messages: { subject: string; data: string }[] = [];
  const errors: NatsError[] = [];
  const sub: Subscription = nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) errors.push(err);
      else messages.push({ subject: msg.subject, data: td.decode(msg.data) });
    },
  });
  return { sub, messages, errors };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Like {@link until}, for an async probe (polled, never overlapping). */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * A bare NATS protocol session with a creds file: reads INFO, signs the nonce, sends CONNECT
 * (verbose, so the server answers +OK or -ERR) and hands back the server's lines verbatim. nats.js
 * sometimes reports a refused CONNECT as a socket error, and checks payload sizes itself.
 */
export interface RawSession {
  /** "+OK" or the server's "-ERR '…'" line for the CONNECT ("<closed>" if it just hung up). */
  greeting: string;
  /** The server's latest INFO for this connection. */
  info: Record<string, any>;
  send(text: string): void;
  /** Next reply line (+OK, -ERR …, PONG, MSG …), skipping INFO/PING; "<closed>" once the socket is gone. */
  reply(timeoutMs?: number): Promise<string>;
  close(): void;
}

export function rawSession(port: number, creds: Creds | string): Promise<RawSession> {
  const { jwt, seed } = credsParts(typeof creds === "string" ? creds : creds.text);
  const kp = fromSeed(te.encode(seed));
  return new Promise((resolve, reject) => {
    const sock = tcpConnect({ host: "127.0.0.1", port });
    let buf = "";
    let closed = false;
    const lines: string[] = [];
    let wake: (() => void) | undefined;
    let greeted = false;
    const session: RawSession = {
      greeting: "",
      info: {},
      send: (text) => sock.write(text),
      close: () => sock.destroy(),
      async reply(timeoutMs = 10_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const line = lines.shift();
          if (line !== undefined) return line;
          if (closed) return "<closed>";
          if (Date.now() > deadline) throw new Error(`no reply from the server within ${timeoutMs} ms`);
          await new Promise<void>((r) => {
            wake = r;
            setTimeout(r, 50);
          });
        }
      },
    };
    sock.on("data", (chunk) => {
      buf += chunk.toString("utf8");
      let i: number;
      while ((i = buf.indexOf("\r\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (!greeted && line.startsWith("INFO ")) {
          greeted = true;
          session.info = JSON.parse(line.slice(5));
          const sig = Buffer.from(kp.sign(te.encode(session.info.nonce as string))).toString("base64url");
          sock.write(`CONNECT ${JSON.stringify({ verbose: true, pedantic: false, protocol: 1, jwt, sig, name: "raw" })}\r\n`);
          continue;
        }
        if (line.startsWith("INFO ")) {
          session.info = JSON.parse(line.slice(5)); // the server may update it after CONNECT
          continue;
        }
        if (line === "PING") {
          sock.write("PONG\r\n");
          continue;
        }
        lines.push(line);
      }
      wake?.();
    });
    sock.on("close", () => {
      closed = true;
      wake?.();
    });
    sock.on("error", () => undefined); // reported as "<closed>"
    void session.reply(5_000).then((g) => {
      session.greeting = g;
      resolve(session);
    }, reject);
  });
}

/** The greeting of a raw CONNECT with these creds, and the socket closed again. */
export async function rawGreeting(port: number, creds: Creds | string): Promise<string> {
  const s = await rawSession(port, creds);
  s.close();
  return s.greeting;
}
