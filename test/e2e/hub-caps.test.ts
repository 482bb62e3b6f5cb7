/**
 * Hard caps on the shared hub, against three real nats-server processes configured from the render
 * (accounts.conf + hub.conf, every tenant pushed): what one tenant with a stolen edge bundle can do
 * to the others. The attacks speak the NATS protocol over raw sockets, as fast as the socket takes
 * it — a client library would pace itself. Limits come from the plans file and the tenant files
 * (test/support/rendered.ts `expectedNats`), never from the program.
 *
 * Before the caps, one collector connection of the enterprise plan (`subs: -1`) opened 400,000
 * subscriptions and grew the hub from 12 to 540 MiB in seconds.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import { connect as tcpConnect, type Socket } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { fromSeed } from "nkeys.js";
import { connect, credsAuthenticator, type NatsConnection } from "nats";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPushedHub, type HubCluster } from "../support/hub-cluster";
import { EDGE_INBOX, EXAMPLE_TENANTS, PLANS_FILE, bytesOf, credsParts, loadRendered, rawGreeting, sleep, type Creds, type Rendered } from "../support/rendered";
import { renderSync } from "../support/render";

const te = new TextEncoder();
const ATTACK_SUBSCRIPTIONS = 400_000;
/** The attacker: enterprise, the plan that promised unlimited subscriptions. */
const ATTACKER = "globex";
/** The one whose messages must keep arriving. */
const VICTIM = "initech";
const MiB = 2 ** 20;
/** nats-server's refusal of a SUB past the connection's limit (errors.go ErrTooManySubs). */
const TOO_MANY_SUBS = "-ERR 'maximum subscriptions exceeded'";

let out: string;
let R: Rendered;
let cluster: HubCluster;
const open: NatsConnection[] = [];

/** The plan values of a tenant's users, read from the plans file (independent of lib/). */
function userLimitsOf(slug: string, role: "collector" | "leaf") {
  const tenant = parse(fs.readFileSync(path.join(EXAMPLE_TENANTS, `${slug}.yaml`), "utf8")) as { plan: string; overrides?: { nats?: { userLimits?: Record<string, Record<string, unknown>> } } };
  const plans = parse(fs.readFileSync(PLANS_FILE, "utf8")) as { plans: Record<string, { nats: { subscriptions: number; payload: string; connections: number; userLimits: Record<string, { subscriptions: number; payload: string }> } }> };
  const plan = plans.plans[tenant.plan]!.nats;
  const user = { ...plan.userLimits[role]!, ...(tenant.overrides?.nats?.userLimits?.[role] ?? {}) } as { subscriptions: number; payload: string };
  return { subscriptions: user.subscriptions, payload: bytesOf(user.payload), accountSubscriptions: plan.subscriptions, connections: plan.connections };
}

/** GET /varz of one server: its memory and subscription count. */
function varz(port: number): Promise<{ mem: number; subscriptions: number; connections: number }> {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path: "/varz" }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve(JSON.parse(body)));
    }).on("error", reject);
  });
}

/** GET /connz of one server: the subscriptions of the connection of that name. */
function connz(port: number, name: string): Promise<{ subscriptions: number }> {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path: "/connz?limit=10000" }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => {
        const conns = (JSON.parse(body) as { connections: { name?: string; subscriptions: number }[] }).connections.filter((c) => c.name === name);
        if (conns.length !== 1) reject(new Error(`${conns.length} connections named ${name}`));
        else resolve({ subscriptions: conns[0]!.subscriptions });
      });
    }).on("error", reject);
  });
}

/** A raw protocol connection authenticated with creds (CONNECT with jwt and the nonce's signature), verbose off. */
interface RawClient {
  socket: Socket;
  /** Writes, waiting for the socket to drain: the fastest the server reads. */
  write(text: string | Buffer): Promise<void>;
  /** Lines the server sent so far (INFO/PING answered and left out). */
  lines: string[];
  closed: boolean;
  /** Sends PING and waits for the PONG: everything before it has been processed. */
  roundTrip(timeoutMs?: number): Promise<void>;
}

function rawClient(port: number, creds: Creds): Promise<RawClient> {
  const { jwt, seed } = credsParts(creds.text);
  const kp = fromSeed(te.encode(seed));
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: "127.0.0.1", port });
    let buf = "";
    let pongs = 0;
    let greeted = false;
    const client: RawClient = {
      socket,
      lines: [],
      closed: false,
      write: (data) => new Promise<void>((done) => (socket.write(data) ? done() : socket.once("drain", () => done()))),
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
    socket.on("data", (chunk) => {
      buf += chunk.toString("latin1");
      let i: number;
      while ((i = buf.indexOf("\r\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (line.startsWith("INFO ")) {
          // Later INFOs (the cluster's URLs changing) are news, not a new handshake.
          if (greeted) continue;
          greeted = true;
          const info = JSON.parse(line.slice(5)) as { nonce: string };
          const sig = Buffer.from(kp.sign(te.encode(info.nonce))).toString("base64url");
          socket.write(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, protocol: 1, jwt, sig, name: "attacker", headers: false })}\r\nPING\r\n`);
        } else if (line === "PING") socket.write("PONG\r\n");
        else if (line === "PONG") {
          // A refused CONNECT is answered with -ERR, and the PING sent with it may still get its PONG.
          if (pongs++ === 0) client.lines.some((l) => l.startsWith("-ERR")) ? reject(new Error(`refused: ${client.lines.join(" | ")}`)) : resolve(client);
        } else client.lines.push(line);
      }
    });
    socket.on("close", () => {
      client.closed = true;
      if (pongs === 0) reject(new Error(`refused: ${client.lines.join(" | ")}`));
    });
    socket.on("error", () => undefined);
  });
}

/**
 * A publish flood in a worker thread: one raw connection per creds, each writing `PUB subject` frames
 * of `size` bytes as fast as its socket drains, until stopped. Resolves `ready` once all are in.
 */
function startFlood(port: number, creds: { jwt: string; seed: string }[], subject: string, size: number): { ready: Promise<void>; stop(): Promise<number> } {
  const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    const net = require("node:net");
    const { fromSeed } = require(workerData.nkeys);
    const payload = Buffer.alloc(workerData.size, 120);
    const frame = Buffer.concat([Buffer.from("PUB " + workerData.subject + " " + payload.length + "\\r\\n"), payload, Buffer.from("\\r\\n")]);
    const burst = Buffer.concat(Array.from({ length: 64 }, () => frame));
    let stop = false, sent = 0, ready = 0;
    parentPort.on("message", () => { stop = true; });
    for (const c of workerData.creds) {
      const kp = fromSeed(Buffer.from(c.seed));
      const sock = net.connect({ host: "127.0.0.1", port: workerData.port });
      let buf = "", greeted = false, started = false;
      const pump = () => {
        while (!stop) {
          sent += burst.length;
          if (!sock.write(burst)) return sock.once("drain", pump);
        }
        sock.destroy();
        if (--ready === 0) parentPort.postMessage({ done: sent });
      };
      sock.on("data", (chunk) => {
        buf += chunk.toString("latin1");
        let i;
        while ((i = buf.indexOf("\\r\\n")) >= 0) {
          const line = buf.slice(0, i); buf = buf.slice(i + 2);
          if (line.startsWith("INFO ") && !greeted) {
            greeted = true;
            const sig = Buffer.from(kp.sign(Buffer.from(JSON.parse(line.slice(5)).nonce))).toString("base64url");
            sock.write("CONNECT " + JSON.stringify({ verbose: false, pedantic: false, protocol: 1, jwt: c.jwt, sig, name: "flood" }) + "\\r\\nPING\\r\\n");
          } else if (line === "PONG" && !started) {
            started = true;
            if (++ready === workerData.creds.length) parentPort.postMessage({ ready: true });
            setImmediate(pump);
          } else if (line.startsWith("-ERR")) parentPort.postMessage({ error: line });
        }
      });
      sock.on("error", () => {});
    }`;
  const worker = new Worker(code, { eval: true, workerData: { port, creds, subject, size, nkeys: require.resolve("nkeys.js") } });
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

/** Sends `count` SUB commands for subjects the user may subscribe to, in large writes. */
async function subscribeFlood(c: RawClient, subject: (n: number) => string, count: number): Promise<void> {
  const batch = 10_000;
  for (let n = 0; n < count; n += batch) {
    let text = "";
    for (let k = n; k < Math.min(count, n + batch); k++) text += `SUB ${subject(k)} ${k + 1}\r\n`;
    await c.write(text);
  }
  await c.roundTrip(120_000);
}

async function client(c: Creds, server: number): Promise<NatsConnection> {
  const nc = await connect({
    servers: cluster.urls()[server],
    authenticator: credsAuthenticator(te.encode(c.text)),
    ...(c.role === "collector" ? { inboxPrefix: EDGE_INBOX } : {}),
    reconnect: false,
    timeout: 5_000,
  });
  open.push(nc);
  return nc;
}

/** Latency of the victim's own messages (its collector → its reader, across two servers) while `during` runs. */
async function victimLatency(ms: number): Promise<{ samples: number; sent: number; p50: number; p99: number; max: number }> {
  const t = R.tenants.get(VICTIM)!;
  const rd = await client(t.reader!, 1);
  const col = await client(t.collectors[0]!, 2);
  const lat: number[] = [];
  let warmedUp = false;
  const sub = rd.subscribe(`${VICTIM}.events.latency`, {
    callback: (_e, m) => {
      const text = new TextDecoder().decode(m.data);
      if (text === "warm-up") warmedUp = true;
      else lat.push(performance.now() - Number(text));
    },
  });
  await rd.flush();
  // The reader's interest reaches the collector's server over a route, a moment after the flush:
  // until a first message makes it across, what is lost is the interest's delay, not the flood.
  for (let i = 0; !warmedUp && i < 200; i++) {
    col.publish(`${VICTIM}.events.latency`, te.encode("warm-up"));
    await col.flush();
    await sleep(10);
  }
  const end = Date.now() + ms;
  let sent = 0;
  while (Date.now() < end) {
    col.publish(`${VICTIM}.events.latency`, te.encode(String(performance.now())));
    sent++;
    await sleep(5);
  }
  await col.flush();
  const deadline = Date.now() + 10_000;
  while (lat.length < sent && Date.now() < deadline) await sleep(20);
  sub.unsubscribe();
  await Promise.all([rd.close(), col.close()]);
  expect(lat.length, `${VICTIM}'s messages delivered`).toBe(sent);
  lat.sort((a, b) => a - b);
  const q = (p: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]! * 100) / 100;
  return { samples: lat.length, sent, p50: q(0.5), p99: q(0.99), max: q(1) };
}

beforeAll(async () => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-caps-"));
  renderSync({ out, revealSecrets: true });
  R = loadRendered(out);
  ({ cluster } = await startPushedHub(out, { servers: 3, jetstream: { maxFileStore: 1 << 30, maxMemoryStore: 1 << 26 } }));
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(open.map((nc) => nc.close()));
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

  it("refuses the 400,000-subscription attack from one stolen collector bundle at the user's limit; the hub barely grows", async () => {
    const limits = userLimitsOf(ATTACKER, "collector");
    const port = cluster.servers[0]!.server.port;
    const monitor = cluster.servers[0]!.ports.monitor;
    const before = await varz(monitor);
    const attacker = await rawClient(port, R.tenants.get(ATTACKER)!.collectors[0]!);
    const t0 = performance.now();
    await subscribeFlood(attacker, (n) => `${EDGE_INBOX}.attack.${n}`, ATTACK_SUBSCRIPTIONS);
    const seconds = (performance.now() - t0) / 1000;
    const after = await varz(monitor);
    const own = await connz(monitor, "attacker");
    const refusals = attacker.lines.filter((l) => l === TOO_MANY_SUBS).length;
    expect(attacker.lines.filter((l) => l !== TOO_MANY_SUBS).slice(0, 3)).toEqual([]);
    expect(refusals).toBe(ATTACK_SUBSCRIPTIONS - limits.subscriptions);
    expect(own.subscriptions).toBe(limits.subscriptions);
    expect(after.mem - before.mem).toBeLessThan(64 * MiB);
    // The connection stays: the server refuses the subscriptions, it does not need to drop anyone.
    expect(attacker.closed).toBe(false);
    attacker.socket.destroy();
    console.log(
      `caps: ${ATTACKER} collector sent ${ATTACK_SUBSCRIPTIONS} SUBs in ${seconds.toFixed(1)} s; ${limits.subscriptions} admitted, ${refusals} refused; ` +
        `server subscriptions ${before.subscriptions} → ${after.subscriptions}, RSS ${(before.mem / MiB).toFixed(1)} → ${(after.mem / MiB).toFixed(1)} MiB`,
    );
  });

  it("caps a platform-side user without user limits at the account's subscriptions", async () => {
    // The reader has no user limits of its own: the account's `subs` applies to each connection.
    const limits = userLimitsOf("acme-corp", "collector");
    const reader = await rawClient(cluster.servers[1]!.server.port, R.tenants.get("acme-corp")!.reader!);
    await subscribeFlood(reader, (n) => `acme-corp.events.s${n}`, limits.accountSubscriptions + 1000).catch((err: Error) => {
      throw new Error(`${err.message}; first lines: ${reader.lines.slice(0, 3).join(" | ")}\n${cluster.logs(1).split("\n").slice(-15).join("\n")}`);
    });
    expect(reader.lines.filter((l) => l === TOO_MANY_SUBS)).toHaveLength(1000);
    reader.socket.destroy();
  });

  it("refuses the edge's connections past the account's limit and its payloads past the user's, and the victim's messages keep arriving meanwhile", async () => {
    const baseline = await victimLatency(2_000);
    const attacker = R.tenants.get("acme-corp")!;
    const limits = userLimitsOf("acme-corp", "collector");
    const port = cluster.servers[1]!.server.port;

    // The flood: every connection the account admits, each publishing as fast as its socket drains,
    // with the tenant's own reader subscribed so the hub does the fan-out work.
    const sink = await client(attacker.reader!, 1);
    let sunk = 0;
    sink.subscribe("acme-corp.events.flood", { callback: () => sunk++ });
    await sink.flush();
    // The flood runs in a thread of its own, so the victim's latency is measured on an event loop
    // the flooder does not hold up: 8 connections, each publishing 16 KiB messages as fast as its
    // socket drains.
    const flood = startFlood(port, Array.from({ length: 8 }, (_, i) => credsParts(attacker.collectors[i % attacker.collectors.length]!.text)), "acme-corp.events.flood", 16 * 1024);
    await flood.ready;
    // The rest of the account's connections, until the server refuses one.
    const flooders: RawClient[] = [];
    let refusedConnection = "";
    for (let i = 0; i < limits.connections + 5 && !refusedConnection; i++) {
      try {
        // One server: the account's connection count is exact there (across servers it converges
        // through the system account's updates, and the excess is closed then).
        flooders.push(await rawClient(port, attacker.collectors[i % attacker.collectors.length]!));
      } catch (err) {
        refusedConnection = (err as Error).message;
      }
    }
    // The reader and the 8 flooding connections count too.
    expect(flooders.length).toBe(limits.connections - 1 - 8);
    expect(refusedConnection).toContain("maximum account active connections exceeded");

    await sleep(300);
    const memBefore = await varz(cluster.servers[1]!.ports.monitor);
    const during = await victimLatency(2_000);
    const memDuring = await varz(cluster.servers[1]!.ports.monitor);
    const sentBytes = await flood.stop();

    // One message past the user's payload limit: refused and the connection closed by the server.
    const big = await rawClient(port, attacker.collectors[0]!).catch(async () => {
      flooders.pop()!.socket.destroy();
      await sleep(200);
      return rawClient(port, attacker.collectors[0]!);
    });
    await big.write(Buffer.concat([Buffer.from(`PUB acme-corp.events.big ${limits.payload + 1}\r\n`), Buffer.alloc(limits.payload + 1, 65), Buffer.from("\r\n")]));
    for (let i = 0; i < 100 && !big.closed; i++) await sleep(20);
    expect(big.lines).toContain("-ERR 'Maximum Payload Violation'");
    expect(big.closed).toBe(true);
    for (const f of flooders) f.socket.destroy();

    console.log(
      `caps: acme-corp held every connection its account admits (${limits.connections}, the next refused), 8 of them flooding for ~2 s: ${(sentBytes / MiB).toFixed(0)} MiB sent, ${sunk} messages to its own reader; ` +
        `${VICTIM}'s latency p50/p99/max ${baseline.p50}/${baseline.p99}/${baseline.max} ms before (${baseline.samples} of ${baseline.sent} msgs), ` +
        `${during.p50}/${during.p99}/${during.max} ms during (${during.samples} of ${during.sent} msgs delivered); server RSS ${(memBefore.mem / MiB).toFixed(0)} → ${(memDuring.mem / MiB).toFixed(0)} MiB; ` +
        `a ${limits.payload + 1}-byte payload refused (user limit ${limits.payload})`,
    );
    expect(during.samples).toBeGreaterThan(0);
  }, 120_000);

  it("refuses the bundle's leaf creds on the client port, so they cannot open subscriptions there", async () => {
    const leaf = R.tenants.get(ATTACKER)!.leaf!;
    expect(await rawGreeting(cluster.servers[2]!.server.port, leaf)).toBe("-ERR 'Authorization Violation'");
  });
});

/** hub.conf as the render wrote it, the server-wide numbers only. */
function loadHubConf(): Record<string, number> {
  const cm = parse(fs.readFileSync(path.join(out, "manifests/platform/configmap-nats-hub-accounts.yaml"), "utf8")) as { data: Record<string, string> };
  const values: Record<string, number> = {};
  for (const m of cm.data["hub.conf"]!.matchAll(/^(max_[a-z_]+): (\d+)$/gm)) values[m[1]!] = Number(m[2]);
  return values;
}
