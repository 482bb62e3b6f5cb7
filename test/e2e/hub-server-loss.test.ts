/**
 * Losing a hub server: three real nats-server processes from the rendered configuration, every
 * tenant pushed; the enterprise tenant's streams are created as NACK would from the rendered Stream
 * specs (three replicas, as its plan says). Its collector publishes with JetStream acknowledgements
 * while the server leading its events stream is killed (SIGKILL, a lost node). Every acknowledged
 * message must still be there; the collector keeps publishing through the two servers left; the
 * killed server comes back with its disk and catches up.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { connect, credsAuthenticator, type JetStreamClient, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPushedHub, type HubCluster } from "../support/hub-cluster";
import { EDGE_INBOX, EXAMPLE_TENANTS, addStream, credsParts, expectedNats, jwtClaims, loadRendered, sleep, streamConfigOf, type Creds, type Rendered } from "../support/rendered";
import { renderSync } from "../support/render";

const te = new TextEncoder();
const td = new TextDecoder();
const TENANT = "globex";
const STREAM = `${TENANT}-events`;

let out: string;
let R: Rendered;
let cluster: HubCluster;
const open: NatsConnection[] = [];

async function client(c: Creds): Promise<NatsConnection> {
  const nc = await connect({
    servers: cluster.urls(),
    authenticator: credsAuthenticator(te.encode(c.text)),
    ...(c.role === "collector" ? { inboxPrefix: EDGE_INBOX } : {}),
    // As a collector runs: reconnect to whichever server is left, for ever.
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
    timeout: 5_000,
  });
  open.push(nc);
  return nc;
}

/** The stream's state as one server's own replica holds it (GET /jsz on its monitoring port). */
function replicaState(monitorPort: number, account: string): Promise<{ messages: number; last_seq: number } | undefined> {
  return new Promise((resolve) => {
    http.get({ host: "127.0.0.1", port: monitorPort, path: `/jsz?acc=${account}&streams=true` }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => {
        try {
          const jsz = JSON.parse(body) as { account_details?: { stream_detail?: { name: string; state: { messages: number; last_seq: number } }[] }[] };
          resolve(jsz.account_details?.[0]?.stream_detail?.find((s) => s.name === STREAM)?.state);
        } catch {
          resolve(undefined);
        }
      });
    }).on("error", () => resolve(undefined));
  });
}

beforeAll(async () => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-loss-"));
  renderSync({ out, revealSecrets: true });
  R = loadRendered(out);
  const e = expectedNats(path.join(EXAMPLE_TENANTS, `${TENANT}.yaml`));
  // Each server holds one copy of each R3 stream: a third of the tier's storage, for each tenant.
  ({ cluster } = await startPushedHub(out, { servers: 3, jetstream: { maxFileStore: 2 * 2 ** 40, maxMemoryStore: Math.max(1, e.memoryStorage) } }));
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(open.map((nc) => nc.close()));
  await cluster?.stop();
  fs.rmSync(out, { recursive: true, force: true });
});

describe("a hub server lost while a tenant publishes", () => {
  it("keeps every acknowledged message of an R3 stream; the tenant keeps publishing; the server rejoins and catches up", async () => {
    const t = R.tenants.get(TENANT)!;
    const account = jwtClaims(credsParts(t.collectors[0]!.text).jwt).iss as string;
    const jsm = await (await client(t.manager!)).jetstreamManager();
    for (const spec of t.streams) {
      expect(spec.replicas, spec.name).toBe(3);
      await addStream(jsm, streamConfigOf(spec));
    }
    const info = await jsm.streams.info(STREAM);
    expect([info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((r) => r.name)].sort()).toEqual(cluster.servers.map((s) => s.name).sort());

    const collector = await client(t.collectors[0]!);
    const js: JetStreamClient = collector.jetstream();
    const acked = new Set<number>();
    let retries = 0;
    let next = 0;
    let stop = false;
    let disconnects = 0;
    let killedAt: number | undefined;
    /** The longest wait for an acknowledgement from the kill on: how long the stream was unavailable. */
    let longestGap = 0;
    let lastAck = 0;
    void (async () => {
      for await (const s of collector.status()) if (s.type === "disconnect") disconnects++;
    })();
    // A collector's loop: publish, and on a missing acknowledgement publish the same message again
    // (its Nats-Msg-Id lets the stream drop a duplicate).
    const publishing = (async () => {
      while (!stop) {
        try {
          await js.publish(`${TENANT}.events.syslog`, te.encode(`m${next}`), { msgID: `m${next}`, timeout: 1_000 });
          acked.add(next++);
          const now = performance.now();
          if (killedAt !== undefined) longestGap = Math.max(longestGap, now - Math.max(lastAck, killedAt));
          lastAck = now;
        } catch {
          retries++;
          await sleep(50);
        }
      }
    })();
    const waitAcked = async (n: number, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (acked.size < n) {
        if (Date.now() > deadline) throw new Error(`only ${acked.size} of ${n} messages acknowledged (${retries} retries)`);
        await sleep(20);
      }
    };

    await waitAcked(200);
    const leader = (await jsm.streams.info(STREAM)).cluster!.leader!;
    const lost = cluster.servers.find((s) => s.name === leader)!.index;
    const beforeLoss = acked.size;
    killedAt = performance.now();
    await cluster.kill(lost);
    // The stream elects another leader and takes messages again on the two servers left.
    await waitAcked(beforeLoss + 200);
    const duringLoss = acked.size;

    await cluster.restart(lost);
    await waitAcked(duringLoss + 100);
    stop = true;
    await publishing;

    // Every acknowledged message is in the stream, once, in order.
    const jsmAfter = await (await client(t.manager!)).jetstreamManager();
    const state = (await jsmAfter.streams.info(STREAM)).state;
    const stored: string[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) stored.push(td.decode((await jsmAfter.streams.getMessage(STREAM, { seq })).data));
    const ackedIds = [...acked].sort((a, b) => a - b).map((i) => `m${i}`);
    expect(stored).toEqual(ackedIds);
    const keptFromBefore = ackedIds.slice(0, beforeLoss).filter((id) => stored.includes(id)).length;
    expect(keptFromBefore).toBe(beforeLoss);

    // The restarted server's own replica caught up with the others.
    const monitor = cluster.servers[lost]!.ports.monitor;
    const deadline = Date.now() + 30_000;
    let replica = await replicaState(monitor, account);
    while ((replica?.messages ?? -1) !== state.messages && Date.now() < deadline) {
      await sleep(200);
      replica = await replicaState(monitor, account);
    }
    expect(replica?.messages).toBe(state.messages);
    expect(replica?.last_seq).toBe(state.last_seq);
    console.log(
      `server loss: killed ${leader} (the ${STREAM} leader) after ${beforeLoss} acknowledged messages, all ${keptFromBefore} still stored after; the longest wait for an acknowledgement after the kill ${Math.round(longestGap)} ms (leader election on the other two) ` +
        `(${retries} unacknowledged attempts retried, ${disconnects} collector reconnects); ${acked.size} acknowledged in all, ${stored.length} stored (${stored.length === acked.size ? "equal" : "DIFFERENT"}); ` +
        `${leader} rejoined with ${replica?.messages} messages, caught up`,
    );
  }, 180_000);
});
