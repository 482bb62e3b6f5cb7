/**
 * Hard caps on the shared hub, against three real nats-server processes configured from the render
 * (accounts.conf + hub.conf, the chart's TLS leaf listener, every tenant pushed:
 * test/support/pushed-hub-tls.ts): what one tenant with a stolen onboarding bundle can do to the
 * others. On the hub a bundle exposes only its location's leaf creds and certificate (its
 * collectors are users of the location's own account, which only its leaf knows: their creds are
 * refused on the hub), so the attacks speak the leaf-node protocol over TLS on the leaf port, as
 * fast as the socket takes it — a real nats-server leaf would forward only what the hub asks for.
 * What is enforced on a leaf connection is read from nats-server 2.9.10's source (leafnode.go,
 * client.go, accounts.go) and cited where it is asserted. The platform's own users (reader,
 * manager) are the only tenant clients on the client port. Limits come from the plans file and
 * the tenant files (test/support/rendered.ts `expectedNats`), never from the program.
 *
 * Before the caps, one collector connection of the enterprise plan (`subs: -1`) opened 400,000
 * subscriptions and grew the hub from 12 to 540 MiB in seconds.
 */
import * as fs from "node:fs";
import { connect as tcpConnect, type Socket } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { connect as tlsConnect } from "node:tls";
import { Worker } from "node:worker_threads";
import { fromSeed } from "nkeys.js";
import { connect, credsAuthenticator, DeliverPolicy, type NatsConnection } from "nats";
import { parse } from "yaml";
import { monitorJson } from "../../tools/lib-nats-monitor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containerOf } from "../support/edge-pods";
import { inClusterCollector, keepLocalStreams, startInClusterLeaf, type EdgeLeaf } from "../support/edge-leaf";
import { startTlsPushedHub, type TlsPushedHub } from "../support/pushed-hub-tls";
import { EXAMPLE_TENANTS, PLANS_FILE, PLATFORM_INBOX, addStream, bytesOf, credsParts, eventually, expectedNats, jwtClaims, loadRendered, rawGreeting, sleep, streamConfigOf, tempDir, type Creds, type Rendered } from "../support/rendered";
import { renderSync } from "../support/render";

const te = new TextEncoder();
const td = new TextDecoder();
const ATTACK_SUBSCRIPTIONS = 400_000;
/** The attacker: enterprise, the plan with the most subscriptions per leaf connection. */
const ATTACKER = "globex";
/** The attacker of the connection, payload and flood caps (pro: few enough connections to hold them all). */
const CROWDER = "acme-corp";
/** The one whose messages must keep arriving. */
const VICTIM = "initech";
const MiB = 2 ** 20;
/** nats-server's refusal of a SUB (or a leaf's LS+) past the connection's limit (errors.go ErrTooManySubs). */
const TOO_MANY_SUBS = "-ERR 'maximum subscriptions exceeded'";
/** The refusal of a connection past the account's limit, a leaf's past `leaf` included (errors.go ErrTooManyAccountConnections). */
const TOO_MANY_CONNECTIONS = "maximum account active connections exceeded";

let out: string;
let R: Rendered;
let cluster: TlsPushedHub;
let victimLeaf: EdgeLeaf | undefined;
let victimCollector: Awaited<ReturnType<typeof inClusterCollector>> | undefined;
const open: NatsConnection[] = [];

const limitsOf = (slug: string) => expectedNats(path.join(EXAMPLE_TENANTS, `${slug}.yaml`));

/** GET /varz of one server: its memory and subscription count. */
function varz(port: number): Promise<{ mem: number; subscriptions: number; connections: number; leafnodes: number }> {
  return monitorJson(port, "/varz") as never;
}

/** GET /leafz of one server: the leaf connections of a tenant's account. */
async function leafz(port: number, slug: string): Promise<{ subscriptions: number }[]> {
  const z = (await monitorJson(port, `/leafz?acc=${accountOf(slug)}`)) as { leafs?: { subscriptions: number; account: string }[] };
  return z.leafs ?? [];
}

/** A tenant's account on the hub: the issuer of its reader's JWT. */
const accountOf = (slug: string) => jwtClaims(credsParts(R.tenants.get(slug)!.reader!.text).jwt).iss as string;

/** What a stolen bundle of a tenant's in-cluster edge gives on the hub: its leaf's creds and its certificate, as its Deployment mounts them. */
function stolenLeafBundle(slug: string): { creds: string; cert: string; key: string } {
  const d = R.objects.find((o) => o.kind === "Deployment" && o.metadata.namespace === `tenant-${slug}-edge` && o.metadata.name === "nats-leaf")!;
  const leaf = containerOf(d, R.objects, tempDir(`stolen-${slug}-`));
  const conf = leaf.readFile(leaf.args![1]!)!;
  const remote = conf.slice(conf.indexOf("remotes"));
  const file = (key: string) => {
    const at = new RegExp(`${key}: "([^"]+)"`).exec(remote)?.[1];
    const text = at ? leaf.readFile(at) : undefined;
    if (!text) throw new Error(`${slug}'s leaf remote: no ${key}`);
    return text;
  };
  return { creds: file("credentials"), cert: file("cert_file"), key: file("key_file") };
}

/** A raw protocol connection, authenticated, verbose off. */
interface RawClient {
  socket: Socket;
  /** Writes, waiting for the socket to drain: the fastest the server reads. */
  write(text: string | Buffer): Promise<void>;
  /** Lines the server sent so far (INFO, PING, interest and messages answered or left out). */
  lines: string[];
  /** Messages the server delivered (LMSG or MSG): subject and payload size. */
  messages: { subject: string; size: number }[];
  closed: boolean;
  /** Sends PING and waits for the PONG: everything before it has been processed. */
  roundTrip(timeoutMs?: number): Promise<void>;
}

/** The server's first line (INFO, before any TLS), and the socket paused after it. */
function firstInfo(socket: Socket): Promise<{ nonce: string }> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const onData = (chunk: Buffer) => {
      buf += chunk.toString("latin1");
      const i = buf.indexOf("\r\n");
      if (i < 0) return;
      socket.off("data", onData);
      socket.pause();
      const line = buf.slice(0, i);
      if (!line.startsWith("INFO ")) reject(new Error(`expected INFO, got ${line}`));
      else resolve(JSON.parse(line.slice(5)));
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

/**
 * After the INFO: sends `connect` and a PING, then reads the server's lines; resolves at the first
 * PONG unless the CONNECT was refused. Messages (MSG/LMSG) are counted and their payload skipped.
 */
function speak(socket: Socket, connect: string): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let skip = 0;
    let pongs = 0;
    const client: RawClient = {
      socket,
      lines: [],
      messages: [],
      closed: false,
      // A server that refuses what it reads (a payload past its limit) closes the socket before
      // the client's buffer drains: 'drain' then never comes, so closing ends the wait too.
      write: (data) =>
        new Promise<void>((done) => {
          if (socket.write(data) || socket.destroyed) return done();
          const finish = () => {
            socket.off("drain", finish);
            socket.off("close", finish);
            done();
          };
          socket.once("drain", finish);
          socket.once("close", finish);
        }),
      async roundTrip(timeoutMs = 60_000) {
        const want = pongs + 1;
        socket.write("PING\r\n");
        const deadline = Date.now() + timeoutMs;
        while (pongs < want) {
          if (client.closed) throw new Error(`connection closed: ${client.lines.slice(-3).join(" | ")}`);
          if (Date.now() > deadline) throw new Error("no PONG");
          await sleep(10);
        }
      },
    };
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (skip > 0) {
          const n = Math.min(skip, buf.length);
          buf = buf.subarray(n);
          skip -= n;
          if (skip > 0) return;
        }
        const i = buf.indexOf("\r\n");
        if (i < 0) return;
        const line = buf.subarray(0, i).toString("latin1");
        buf = buf.subarray(i + 2);
        const msg = /^L?MSG (\S+) .*?(\d+)$/.exec(line);
        if (msg) {
          client.messages.push({ subject: msg[1]!, size: Number(msg[2]) });
          skip = Number(msg[2]) + 2;
        } else if (line === "PING") socket.write("PONG\r\n");
        else if (line === "PONG") {
          // A refused CONNECT is answered with -ERR, and the PING sent with it may still get its PONG.
          if (pongs++ === 0) client.lines.some((l) => l.startsWith("-ERR")) ? reject(new Error(`refused: ${client.lines.join(" | ")}`)) : resolve(client);
        } else if (!line.startsWith("INFO ") && !line.startsWith("LS+ ") && !line.startsWith("LS- ")) client.lines.push(line);
      }
    });
    socket.on("close", () => {
      client.closed = true;
      if (pongs === 0) reject(new Error(`refused: ${client.lines.join(" | ") || "closed"}`));
    });
    socket.on("error", () => undefined);
    socket.resume();
    socket.write(`${connect}\r\nPING\r\n`);
  });
}

const signedNonce = (seed: string, nonce: string) => Buffer.from(fromSeed(te.encode(seed)).sign(te.encode(nonce))).toString("base64url");

/** A client on the hub's client port with creds (CONNECT with the JWT and the nonce's signature). */
async function rawClient(port: number, creds: Creds): Promise<RawClient> {
  const { jwt, seed } = credsParts(creds.text);
  const socket = tcpConnect({ host: "127.0.0.1", port });
  const info = await firstInfo(socket);
  return speak(socket, `CONNECT ${JSON.stringify({ verbose: false, pedantic: false, protocol: 1, jwt, sig: signedNonce(seed, info.nonce), name: "attacker", headers: false })}`);
}

/**
 * A rogue leaf node on the hub's leaf port with a stolen bundle: the INFO in the clear, then TLS
 * with the bundle's certificate (the listener verifies it under the platform root), then the leaf
 * CONNECT (leafnode.go leafConnectInfo: no `lang`, which marks a client on the wrong port).
 */
async function rawLeaf(port: number, bundle: { creds: string; cert: string; key: string }, name: string): Promise<RawClient> {
  const { jwt, seed } = credsParts(bundle.creds);
  const plain = tcpConnect({ host: "127.0.0.1", port });
  const info = await firstInfo(plain);
  // The attacker does not care who the hub is.
  const socket = tlsConnect({ socket: plain, cert: bundle.cert, key: bundle.key, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    socket.once("secureConnect", () => resolve());
    socket.once("error", reject);
  });
  return speak(socket, `CONNECT ${JSON.stringify({ jwt, sig: signedNonce(seed, info.nonce), tls_required: true, name, headers: false })}`);
}

/**
 * A publish flood in a worker thread: one rogue leaf connection per bundle (as {@link rawLeaf}),
 * each writing `LMSG subject` frames of `size` bytes as fast as its socket drains, until stopped.
 * Resolves `ready` once all are in.
 */
function startLeafFlood(port: number, bundles: { jwt: string; seed: string; cert: string; key: string }[], subject: string, size: number): { ready: Promise<void>; stop(): Promise<number> } {
  const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    const net = require("node:net");
    const tls = require("node:tls");
    const { fromSeed } = require(workerData.nkeys);
    const payload = Buffer.alloc(workerData.size, 120);
    const frame = Buffer.concat([Buffer.from("LMSG " + workerData.subject + " " + payload.length + "\\r\\n"), payload, Buffer.from("\\r\\n")]);
    const burst = Buffer.concat(Array.from({ length: 64 }, () => frame));
    let stop = false, sent = 0, ready = 0;
    parentPort.on("message", () => { stop = true; });
    for (const [n, b] of workerData.bundles.entries()) {
      const plain = net.connect({ host: "127.0.0.1", port: workerData.port });
      plain.once("data", (chunk) => {
        const info = JSON.parse(chunk.toString("latin1").split("\\r\\n")[0].slice(5));
        plain.pause();
        const sock = tls.connect({ socket: plain, cert: b.cert, key: b.key, rejectUnauthorized: false }, () => {
          const sig = Buffer.from(fromSeed(Buffer.from(b.seed)).sign(Buffer.from(info.nonce))).toString("base64url");
          sock.write("CONNECT " + JSON.stringify({ jwt: b.jwt, sig, tls_required: true, name: "flood-" + n, headers: false }) + "\\r\\nPING\\r\\n");
        });
        let buf = "", started = false;
        const pump = () => {
          while (!stop) {
            sent += burst.length;
            if (!sock.write(burst)) return sock.once("drain", pump);
          }
          sock.destroy();
          if (--ready === 0) parentPort.postMessage({ done: sent });
        };
        sock.on("data", (c) => {
          buf += c.toString("latin1");
          let i;
          while ((i = buf.indexOf("\\r\\n")) >= 0) {
            const line = buf.slice(0, i); buf = buf.slice(i + 2);
            if (line === "PING") sock.write("PONG\\r\\n");
            else if (line === "PONG" && !started) {
              started = true;
              if (++ready === workerData.bundles.length) parentPort.postMessage({ ready: true });
              setImmediate(pump);
            } else if (line.startsWith("-ERR")) parentPort.postMessage({ error: line });
          }
        });
        sock.on("error", () => {});
      });
      plain.on("error", () => {});
    }`;
  const worker = new Worker(code, { eval: true, workerData: { port, bundles, subject, size, nkeys: require.resolve("nkeys.js") } });
  let onReady: () => void, onError: (e: Error) => void, onDone: (n: number) => void;
  const ready = new Promise<void>((res, rej) => ((onReady = res), (onError = rej)));
  const done = new Promise<number>((res) => (onDone = res));
  worker.on("message", (m: { ready?: boolean; done?: number; error?: string }) => {
    if (m.ready) onReady();
    if (m.error) onError(new Error(`flood refused: ${m.error}`));
    if (m.done !== undefined) onDone(m.done);
  });
  return {
    ready,
    async stop() {
      worker.postMessage("stop");
      const n = await done;
      await worker.terminate();
      return n;
    },
  };
}

/** Sends `count` protocol lines (`SUB …` or `LS+ …`) in large writes, then a round trip. */
async function subscribeFlood(c: RawClient, line: (n: number) => string, count: number): Promise<void> {
  const batch = 10_000;
  for (let n = 0; n < count; n += batch) {
    let text = "";
    for (let k = n; k < Math.min(count, n + batch); k++) text += `${line(k)}\r\n`;
    await c.write(text);
  }
  await c.roundTrip(120_000);
}

/** A platform client of a tenant on one hub server (the reader with its own inbox prefix). */
async function client(c: Creds, server: number): Promise<NatsConnection> {
  const nc = await connect({
    servers: cluster.urls()[server],
    authenticator: credsAuthenticator(te.encode(c.text)),
    ...(c.role === "reader" ? { inboxPrefix: PLATFORM_INBOX } : {}),
    reconnect: false,
    timeout: 5_000,
  });
  open.push(nc);
  return nc;
}

/** No connection of the tenant's account left on the server (closed ones are forgotten at once locally). */
async function accountIdle(server: number, slug: string) {
  const account = accountOf(slug);
  await eventually(`${slug}'s connections gone from hub-${server}`, async () => {
    const z = (await monitorJson(cluster.servers[server]!.monitorPort, `/accountz?acc=${account}`)) as { account_detail?: { client_connections?: number; leafnode_connections?: number } };
    const d = z.account_detail;
    return !d || ((d.client_connections ?? 0) === 0 && (d.leafnode_connections ?? 0) === 0);
  }, 20_000);
}

/**
 * Latency of the victim's own messages on their own path while something runs: its collector →
 * its in-cluster leaf (acked there) → sourced into its hub stream → an ordered consumer of its
 * reader on hub server `server`. Each payload carries the time it was published.
 */
async function victimLatency(ms: number, server: number): Promise<{ samples: number; sent: number; p50: number; p99: number; max: number }> {
  const t = R.tenants.get(VICTIM)!;
  const rd = await client(t.reader!, server);
  const consumer = await (rd.jetstream()).consumers.get(`${VICTIM}-events`, { deliver_policy: DeliverPolicy.New });
  const lat: number[] = [];
  let warmedUp = false;
  const messages = await consumer.consume({
    callback: (m) => {
      const text = td.decode(m.data);
      if (text === "warm-up") warmedUp = true;
      else lat.push(performance.now() - Number(text));
    },
  });
  // Until a first message makes it across, what is measured is the consumer's start, not the path.
  for (let i = 0; !warmedUp && i < 200; i++) {
    await victimCollector!.publish("warm-up");
    await sleep(50);
  }
  expect(warmedUp, `${VICTIM}'s warm-up message sourced and consumed`).toBe(true);
  const end = Date.now() + ms;
  let sent = 0;
  while (Date.now() < end) {
    await victimCollector!.publish(String(performance.now()));
    sent++;
    await sleep(5);
  }
  const deadline = Date.now() + 15_000;
  while (lat.length < sent && Date.now() < deadline) await sleep(20);
  await messages.close();
  await rd.close();
  expect(lat.length, `${VICTIM}'s messages delivered`).toBe(sent);
  lat.sort((a, b) => a - b);
  const q = (p: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]! * 100) / 100;
  return { samples: lat.length, sent, p50: q(0.5), p99: q(0.99), max: q(1) };
}

beforeAll(async () => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-caps-"));
  // The hub certificate answers localhost, where the victim's leaf dials it.
  renderSync({ out, revealSecrets: true, config: { natsHubPublicDnsNames: '["localhost"]' } });
  R = loadRendered(out);
  // JetStream is reserved, not written: each server may hold every tier whole.
  const all = fs.readdirSync(EXAMPLE_TENANTS).filter((f) => f.endsWith(".yaml")).map((f) => expectedNats(path.join(EXAMPLE_TENANTS, f)));
  cluster = await startTlsPushedHub(out, { servers: 3, jetstream: { maxFileStore: all.reduce((a, e) => a + e.diskStorage, 0), maxMemoryStore: Math.max(1, all.reduce((a, e) => a + e.memoryStorage, 0)) } });
  // The victim's edge as in production: its hub streams, its leaf on hub-2, its collector.
  const jsm = await (await client(R.tenants.get(VICTIM)!.manager!, 0)).jetstreamManager();
  for (const spec of R.tenants.get(VICTIM)!.streams) await addStream(jsm, streamConfigOf(spec));
  victimLeaf = await startInClusterLeaf(R, VICTIM, cluster.servers[2]!.leafPort);
  await keepLocalStreams(victimLeaf);
  victimCollector = await inClusterCollector(R, VICTIM, "flowgger-office", victimLeaf);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(open.map((nc) => nc.close()));
  await victimCollector?.close().catch(() => undefined);
  await victimLeaf?.server.stop();
  await cluster?.stop();
  fs.rmSync(out, { recursive: true, force: true });
});

describe("the shared hub's hard caps", () => {
  it("configures the servers' own limits from the plans: max_subscriptions and max_payload are the most any plan grants", () => {
    const plans = parse(fs.readFileSync(PLANS_FILE, "utf8")) as { plans: Record<string, { nats: { subscriptions: number; payload: string } }> };
    const hubConf = loadHubConf();
    expect(hubConf.max_subscriptions).toBe(Math.max(...Object.values(plans.plans).map((p) => p.nats.subscriptions)));
    expect(hubConf.max_payload).toBe(Math.max(...Object.values(plans.plans).map((p) => bytesOf(p.nats.payload))));
    expect(hubConf.max_connections).toBeGreaterThan(0);
  });

  it("refuses the bundle's leaf creds on the client port, and its collectors' creds anywhere on the hub", async () => {
    const t = R.tenants.get(ATTACKER)!;
    for (const s of cluster.servers) for (const c of [t.leaf!, ...t.collectors]) expect(await rawGreeting(s.server.port, c), `${c.secret} on hub-${s.index}`).toBe("-ERR 'Authorization Violation'");
    expect(t.collectors.length).toBeGreaterThan(0);
  });

  it("refuses the 400,000-subscription attack from a rogue leaf with a stolen bundle at the leaf user's limit; the hub barely grows", async () => {
    // leafnode.go processLeafSub: an LS+ is refused past the connection's subscriptions
    // (subsAtLimit; client.go applyAccountLimits gives a LEAF connection its user JWT's `subs`),
    // with an -ERR and the connection kept. Permissions are checked for literal subjects only, so
    // the attack uses wildcard ones, which the hub must hold.
    const limits = limitsOf(ATTACKER).userLimits.leaf;
    const server = cluster.servers[0]!;
    const before = await varz(server.monitorPort);
    const attacker = await rawLeaf(server.leafPort, stolenLeafBundle(ATTACKER), "attacker");
    const t0 = performance.now();
    await subscribeFlood(attacker, (n) => `LS+ ${ATTACKER}.attack.${n}.*`, ATTACK_SUBSCRIPTIONS);
    const seconds = (performance.now() - t0) / 1000;
    const after = await varz(server.monitorPort);
    const own = await leafz(server.monitorPort, ATTACKER);
    const refusals = attacker.lines.filter((l) => l === TOO_MANY_SUBS).length;
    expect(attacker.lines.filter((l) => l !== TOO_MANY_SUBS).slice(0, 3)).toEqual([]);
    expect(refusals).toBe(ATTACK_SUBSCRIPTIONS - limits.subscriptions);
    expect(own.map((l) => l.subscriptions)).toEqual([limits.subscriptions]);
    expect(after.mem - before.mem).toBeLessThan(64 * MiB);
    expect(attacker.closed).toBe(false);
    attacker.socket.destroy();
    console.log(
      `caps: ${ATTACKER}'s stolen leaf bundle sent ${ATTACK_SUBSCRIPTIONS} LS+ in ${seconds.toFixed(1)} s; ${limits.subscriptions} admitted, ${refusals} refused; ` +
        `server subscriptions ${before.subscriptions} → ${after.subscriptions}, RSS ${(before.mem / MiB).toFixed(1)} → ${(after.mem / MiB).toFixed(1)} MiB`,
    );
  });

  it("closes a rogue leaf that asks for a literal subject its leaf user may not receive", async () => {
    // leafnode.go processLeafSub: a literal LS+ is checked against what the hub may send the leaf
    // (the user's `sub`, swapped into the connection's publish permissions by processLeafNodeConnect).
    const attacker = await rawLeaf(cluster.servers[1]!.leafPort, stolenLeafBundle(ATTACKER), "attacker-literal");
    await attacker.write(`LS+ ${VICTIM}.events.syslog\r\nLS+ ${ATTACKER}.events.syslog\r\n`);
    for (let i = 0; i < 100 && !attacker.closed; i++) await sleep(20);
    expect(attacker.lines[0]).toBe(`-ERR 'Permissions Violation for Subscription to "${VICTIM}.events.syslog"'`);
    expect(attacker.closed).toBe(true);
  });

  it("caps a platform-side user without user limits at the account's subscriptions", async () => {
    // The reader has no user limits of its own: the account's `subs` applies to each connection.
    const limits = limitsOf(CROWDER);
    const reader = await rawClient(cluster.servers[1]!.server.port, R.tenants.get(CROWDER)!.reader!);
    await subscribeFlood(reader, (n) => `SUB ${CROWDER}.events.s${n} ${n + 1}`, limits.subscriptions + 1000);
    expect(reader.lines.filter((l) => l === TOO_MANY_SUBS)).toHaveLength(1000);
    reader.socket.destroy();
  });

  it("refuses a stolen bundle's leaf connections past the account's `leaf`, and the victim's messages keep arriving on their own path during a leaf-protocol flood", async () => {
    await accountIdle(1, CROWDER);
    const baseline = await victimLatency(2_000, 1);
    const limits = limitsOf(CROWDER);
    const bundle = stolenLeafBundle(CROWDER);
    const server = cluster.servers[1]!;

    // The flood runs in a thread of its own, so the victim's latency is measured on an event loop
    // the flooder does not hold up: 8 rogue leaves, each sending 16 KiB messages on a subject its
    // leaf user may publish ($JSC.R.>), as fast as its socket drains.
    const FLOODERS = Math.min(8, limits.leafNodeConnections);
    const { jwt, seed } = credsParts(bundle.creds);
    const flood = startLeafFlood(server.leafPort, Array.from({ length: FLOODERS }, () => ({ jwt, seed, cert: bundle.cert, key: bundle.key })), "$JSC.R.flood", 16 * 1024);
    await flood.ready;
    // The rest of the account's leaf connections, until the server refuses one (client.go
    // registerWithAccount: a LEAF connection is refused when the account's `leaf` is reached).
    const crowd: RawClient[] = [];
    let refused = "";
    for (let i = 0; i < limits.leafNodeConnections + 5 && !refused; i++) {
      try {
        crowd.push(await rawLeaf(server.leafPort, bundle, `crowd-${i}`));
      } catch (err) {
        refused = (err as Error).message;
      }
    }
    expect(crowd.length + FLOODERS).toBe(limits.leafNodeConnections);
    expect(refused).toContain(TOO_MANY_CONNECTIONS);

    await sleep(300);
    const memBefore = await varz(server.monitorPort);
    const during = await victimLatency(2_000, 1);
    const memDuring = await varz(server.monitorPort);
    const sentBytes = await flood.stop();
    for (const c of crowd) c.socket.destroy();

    console.log(
      `caps: ${CROWDER}'s stolen leaf bundle held every leaf connection its account admits (${limits.leafNodeConnections}, the next refused), ${FLOODERS} of them flooding LMSG $JSC.R.flood for ~2 s: ${(sentBytes / MiB).toFixed(0)} MiB sent; ` +
        `${VICTIM}'s latency (collector → leaf → hub stream → reader) p50/p99/max ${baseline.p50}/${baseline.p99}/${baseline.max} ms before (${baseline.samples} of ${baseline.sent} msgs), ` +
        `${during.p50}/${during.p99}/${during.max} ms during (${during.samples} of ${during.sent} msgs delivered); server RSS ${(memBefore.mem / MiB).toFixed(0)} → ${(memDuring.mem / MiB).toFixed(0)} MiB`,
    );
    expect(during.samples).toBeGreaterThan(0);
  }, 180_000);

  it("counts the leaves in the account's connections where they attach: with every leaf in, the platform's users get `conn` − `leaf` connections there", async () => {
    // accounts.go MaxTotalConnectionsReached counts len(a.clients), which holds the server's leaf
    // connections too; a CLIENT past it is refused. (Validation makes `conn` hold every leaf and
    // the reader and manager.)
    await accountIdle(1, CROWDER);
    const limits = limitsOf(CROWDER);
    const server = cluster.servers[1]!;
    const bundle = stolenLeafBundle(CROWDER);
    const leaves: RawClient[] = [];
    for (let i = 0; i < limits.leafNodeConnections; i++) leaves.push(await rawLeaf(server.leafPort, bundle, `leaf-${i}`));
    const readers: RawClient[] = [];
    let refused = "";
    for (let i = 0; i < limits.connections + 5 && !refused; i++) {
      try {
        readers.push(await rawClient(server.server.port, R.tenants.get(CROWDER)!.reader!));
      } catch (err) {
        refused = (err as Error).message;
      }
    }
    expect(readers.length).toBe(limits.connections - limits.leafNodeConnections);
    expect(refused).toContain(TOO_MANY_CONNECTIONS);
    for (const c of [...leaves, ...readers]) c.socket.destroy();
    console.log(`caps: ${CROWDER} with its ${limits.leafNodeConnections} leaves on hub-1: ${readers.length} reader connections admitted there (conn ${limits.connections}), the next refused`);
  }, 120_000);

  it("refuses the reader's payload past the account's limit and closes it", async () => {
    await accountIdle(1, CROWDER);
    const limits = limitsOf(CROWDER);
    const big = await rawClient(cluster.servers[1]!.server.port, R.tenants.get(CROWDER)!.reader!);
    // The server refuses at the PUB line, by the size it declares (client.go processPub), before
    // reading any payload. The payload is not sent: bytes still arriving after the server closes
    // would have its kernel answer with a reset, which can discard the -ERR before it is read.
    await big.write(`PUB $JS.API.INFO ${limits.payload + 1}\r\n`);
    for (let i = 0; i < 100 && !big.closed; i++) await sleep(20);
    expect(big.lines).toContain("-ERR 'Maximum Payload Violation'");
    expect(big.closed).toBe(true);
  });

  it("nats-server 2.9.10 checks a leaf's messages against neither its permissions nor its payload limit (fixed in 2.14.0): a stolen bundle's oversized message on a data subject reaches the account", async () => {
    // leafnode.go processLeafMsgArgs has no max-payload check and processInboundLeafMsg no
    // permission check in 2.9.10 (nats-server commits baabd354a and 038a56adf, v2.14.0, add both).
    // The account's boundary holds (the message stays in the tenant's own account), but a stolen
    // bundle can publish into its own hub streams, past its payload limit. When this fails, the
    // hub's nats-server enforces both: turn this into a test of the refusal.
    const limits = limitsOf(CROWDER).userLimits.leaf;
    const server = cluster.servers[1]!;
    const sink = await rawClient(server.server.port, R.tenants.get(CROWDER)!.reader!);
    await sink.write(`SUB ${CROWDER}.events.injected 1\r\n`);
    await sink.roundTrip();
    await sleep(200);
    const rogue = await rawLeaf(server.leafPort, stolenLeafBundle(CROWDER), "rogue-payload");
    const size = limits.payload + 1;
    await rogue.write(Buffer.concat([Buffer.from(`LMSG ${CROWDER}.events.injected ${size}\r\n`), Buffer.alloc(size, 66), Buffer.from("\r\n")]));
    await rogue.roundTrip();
    await eventually("the injected message delivered", async () => sink.messages.length > 0, 5_000);
    expect(sink.messages).toEqual([{ subject: `${CROWDER}.events.injected`, size }]);
    expect(rogue.lines).toEqual([]);
    expect(rogue.closed).toBe(false);
    // What the server buffers for one message it has not received in full is bounded only by the
    // size it is told (parser.go allocates the claimed size; util.go parseSize reads 9 digits at
    // most): the hub holds whatever part of a 999,999,999-byte message a rogue leaf has sent, on
    // each of the account's `leaf` connections.
    const before = await varz(server.monitorPort);
    await rogue.write(`LMSG ${CROWDER}.events.injected 999999999\r\n`);
    const chunk = Buffer.alloc(MiB, 67);
    for (let i = 0; i < 128; i++) await rogue.write(chunk);
    await sleep(500);
    const held = await varz(server.monitorPort);
    expect(held.mem - before.mem, "bytes the server holds for the unfinished message").toBeGreaterThan(100 * MiB);
    for (const c of [sink, rogue]) c.socket.destroy();
    console.log(
      `caps: nats-server 2.9.10 took a ${size}-byte LMSG (leaf user payload limit ${limits.payload}) on ${CROWDER}.events.injected (not in the leaf user's pub) from a stolen leaf bundle and delivered it; ` +
        `with 128 MiB of a 999,999,999-byte LMSG sent, the server's RSS went ${(before.mem / MiB).toFixed(0)} → ${(held.mem / MiB).toFixed(0)} MiB (the account may hold ${limitsOf(CROWDER).leafNodeConnections} such connections)`,
    );
  });
});

/** hub.conf as the render wrote it, the server-wide numbers only. */
function loadHubConf(): Record<string, number> {
  const cm = parse(fs.readFileSync(path.join(out, "manifests/platform/configmap-nats-hub-accounts.yaml"), "utf8")) as { data: Record<string, string> };
  const values: Record<string, number> = {};
  for (const m of cm.data["hub.conf"]!.matchAll(/^(max_[a-z_]+): (\d+)$/gm)) values[m[1]!] = Number(m[2]);
  return values;
}
