/**
 * The hub as the chart runs it: three nats-server processes started from the chart's nats.conf for
 * the rendered values (test/oracles/nats-chart.ts), TLS on every listener, the full account
 * resolver on each; no tenant account in any configuration file. Every example tenant's account
 * is pushed with the dynamic provider's own code, which must hear every resolver and read the JWT
 * back from each; then every ordered pair of tenants is probed across the cluster.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { connect, credsAuthenticator, type NatsConnection, type Status } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "../../lib/nats/jwt";
import { listAccounts, lookupAccount, withPusher } from "../../lib/nats/push";
import { loadRendered, record, sleep, statusLog, type Rendered } from "../support/rendered";
import { renderSync } from "../support/render";
import { loadRenderedHub, startHubCluster, type HubCluster, type RenderedHub } from "../support/hub-cluster";

const te = new TextEncoder();
let out: string;
let R: Rendered;
let hub: RenderedHub;
let cluster: HubCluster;
const open: NatsConnection[] = [];

beforeAll(async () => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-hub-"));
  renderSync({ out, revealSecrets: true, config: { natsDeployHub: "true" } });
  R = loadRendered(out);
  hub = loadRenderedHub(out);
  cluster = await startHubCluster(hub, { mode: "chart" });
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(open.map((nc) => nc.close()));
  await cluster?.stop();
  fs.rmSync(out, { recursive: true, force: true });
});

/** A tenant client on server `i` of the cluster, over TLS as the chart's client listener requires. */
async function client(creds: string, i = 0, inboxPrefix?: string): Promise<NatsConnection> {
  const nc = await connect({
    servers: cluster.urls()[i],
    authenticator: credsAuthenticator(te.encode(creds)),
    tls: { ca: cluster.clientTls!.ca, servername: cluster.clientTls!.servername } as never,
    ...(inboxPrefix ? { inboxPrefix } : {}),
    reconnect: false,
    timeout: 5_000,
  });
  open.push(nc);
  return nc;
}

/** The server's -ERR for a refused publish, as nats.js reports it on the connection's status. */
const refusedPublish = (s: Status, subject: string) => s.data === "PERMISSIONS_VIOLATION" && s.permissionContext?.subject === subject;

describe("the hub's configuration", () => {
  it("holds no tenant account: only the operator, the system and platform accounts preloaded, and the full resolver", () => {
    const preloaded = [...hub.accountsConf.matchAll(/^ {2}(A[A-Z2-7]{55}): "/gm)].map((m) => m[1]);
    expect(preloaded).toHaveLength(2);
    for (const p of hub.pushes) expect(hub.accountsConf).not.toContain(p.inputs.account);
    expect(hub.accountsConf).not.toMatch(/resolver: MEMORY/);
    expect(hub.chartValues!.config.resolver.merge).toMatchObject({ type: "full", allow_delete: true });
    expect(hub.pushes.map((p) => p.tenant).sort()).toEqual([...R.tenants.keys()].sort());
  });
});

describe("pushing every tenant's account to a three-server cluster", () => {
  it("is acknowledged by all three resolvers and read back from each", async () => {
    let replies = 0;
    for (const p of hub.pushes) {
      const result = await cluster.push(p);
      expect(result.resolvers, p.tenant).toBe(3);
      expect(result.jti).toBe(decodeJwt(p.inputs.jwt).claims.jti);
      replies += result.resolvers;
    }
    const target = cluster.target();
    const held = await withPusher(target, hub.pushes[0]!.inputs.pusher, async (nc) => Promise.all(hub.pushes.map((p) => lookupAccount(nc, p.inputs.account, target))));
    held.forEach((copies, i) => {
      expect(copies, hub.pushes[i]!.tenant).toHaveLength(3);
      expect(new Set(copies)).toEqual(new Set([hub.pushes[i]!.inputs.jwt]));
    });
    const lists = await withPusher(target, hub.pushes[0]!.inputs.pusher, (nc) => listAccounts(nc, target));
    expect(lists).toHaveLength(3);
    for (const list of lists) for (const p of hub.pushes) expect(list).toContain(p.inputs.account);
    console.log(`hub: ${hub.pushes.length} accounts pushed to ${cluster.servers.length} servers, ${replies} resolver acknowledgements checked, ${held.flat().length} JWTs read back`);
  });

  it("lets the pusher do nothing but the claims requests: its scope forbids everything else", async () => {
    const target = cluster.target();
    const refused = await withPusher(target, hub.pushes[0]!.inputs.pusher, async (nc) => {
      const errors = statusLog(nc);
      const sub = record(nc, "$SYS.ACCOUNT.>");
      nc.publish("$SYS.REQ.SERVER.PING", te.encode(""));
      await nc.flush();
      await sleep(300);
      await nc.flush();
      return { sub: sub.errors.length, pub: errors.filter((s) => refusedPublish(s, "$SYS.REQ.SERVER.PING")).length };
    });
    expect(refused.sub).toBe(1);
    expect(refused.pub).toBe(1);
  });

  it("refuses an account JWT not signed by the operator's signing key, on every resolver, with the server's message", async () => {
    // A tenant's account JWT re-signed by the tenant's own account key: well-formed, untrusted.
    const p = hub.pushes[0]!;
    const forged = { ...p, inputs: { ...p.inputs, jwt: p.inputs.jwt.replace(/\.[^.]+$/, ".AAAA") } };
    await expect(cluster.push(forged)).rejects.toThrow(/refused account .*(signature|jwt|validation)/i);
  });
});

describe("a push the cluster does not fully take", () => {
  it("fails with the servers' answers when fewer resolvers acknowledge than the hub has", async () => {
    const p = hub.pushes[0]!;
    const target = cluster.target(cluster.servers.length + 1);
    const inputs = { ...p.inputs, target: { ...p.inputs.target, servers: target.servers, expectedResolvers: target.expectedResolvers, timeoutMs: 1_500 } };
    const { accountPushProvider } = await import("../../components/account-push");
    await expect(accountPushProvider.create(inputs)).rejects.toThrow(new RegExp(`only 3 of 4 resolvers acknowledged account ${p.inputs.name} .*within 1500 ms`));
  });
});

describe("every ordered pair of tenants, across the cluster", () => {
  it("keeps A's users out of B's subjects, whichever server each connects to", async () => {
    // On the hub a tenant's account holds its leaf users (leaf connections only) and the platform's
    // reader and manager for it; its collectors are its edge locations' (test/e2e/edge-e2e.test.ts).
    const active = [...R.tenants.values()].filter((t) => t.reader && t.manager && t.slug !== "umbrella");
    let refusals = 0;
    for (const a of active) {
      for (const b of active) {
        if (a === b) continue;
        const readerB = await client(b.reader!.text, 1);
        const seen = record(readerB, `${b.slug}.>`);
        await readerB.flush();
        const managerA = await client(a.manager!.text, 2);
        const statusA = statusLog(managerA);
        managerA.publish(`${b.slug}.events.syslog`, te.encode("cross"));
        await managerA.flush();
        const readerA = await client(a.reader!.text, 2, "_INBOX_PLATFORM");
        const subB = record(readerA, `${b.slug}.>`);
        await readerA.flush();
        await readerA.flush();
        await sleep(200);
        expect(seen.messages, `${a.slug} → ${b.slug}`).toEqual([]);
        expect(statusA.some((s) => refusedPublish(s, `${b.slug}.events.syslog`)), `${a.slug} publish ${b.slug}`).toBe(true);
        expect(subB.errors.length, `${a.slug} subscribe ${b.slug}`).toBe(1);
        refusals += 2;
        await managerA.close();
        await readerA.close();
        await readerB.close();
      }
    }
    expect(refusals).toBe(active.length * (active.length - 1) * 2);
    console.log(`hub: ${refusals} cross-tenant attempts refused over ${active.length * (active.length - 1)} ordered pairs`);
  });
});

describe("removing a tenant's account", () => {
  it("disables it first (its open connections closed), then deletes it from every resolver; pushed again, it works again", async () => {
    const t = R.tenants.get("initech")!;
    const p = hub.pushes.find((x) => x.tenant === "initech")!;
    const live = await client(t.reader!.text, 1, "_INBOX_PLATFORM");
    const closed = live.closed();
    await cluster.remove(p);
    await closed;
    const target = cluster.target();
    const [held, lists] = await withPusher(target, p.inputs.pusher, async (nc) => [await lookupAccount(nc, p.inputs.account, { ...target, timeoutMs: 1_000 }), await listAccounts(nc, target)] as const);
    expect(held).toEqual([]);
    for (const list of lists) expect(list).not.toContain(p.inputs.account);
    for (const i of cluster.servers.keys()) await expect(client(t.reader!.text, i, "_INBOX_PLATFORM")).rejects.toThrow();
    await cluster.push(p);
    await (await client(t.reader!.text, 2, "_INBOX_PLATFORM")).flush();
    console.log(`hub: initech removed (disabling JWT, then deleted on ${lists.length} resolvers; its open connection closed), pushed back and connecting again`);
  });
});
