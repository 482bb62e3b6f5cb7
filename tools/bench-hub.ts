/**
 * npm run bench:hub -- --accounts 1000,10000 [--concurrency 16]
 *
 * The hub at scale, on this machine: for each N, a cluster of three nats-server processes with the
 * full resolver, configured as the program configures the hub (accounts.conf and hub.conf from its
 * own planning), and N synthetic tenants' account JWTs as the program signs them, pushed with its
 * own push code (lib/nats/push.ts: every resolver must acknowledge and hold each). Reports pushes
 * per second (one at a time, and `concurrency` at once as the engine runs resources in parallel),
 * memory and resolver disk per account on the servers, and how long after its push a new tenant's
 * reader can connect to another server of the cluster. Ends with one line of JSON.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { createServer } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { connect, credsAuthenticator } from "nats";
import { readSettings } from "../config/settings";
import { hubConfigFragment } from "../lib/nats/hub-config";
import { pushAccount, withPusher, type PushTarget } from "../lib/nats/push";
import { DEFAULT_HUB_RULES } from "../model/limits";
import { PLATFORM_INBOX_PREFIX, READER_USER_ID } from "../model/names";
import { loadTenants } from "../model/load";
import { hubServerConfig, planHubServer } from "../plan/hub-server";
import { claimsPusherSeed, platformNatsIdentities, signTenantNats, type PlatformNatsKeys } from "../plan/nats-credentials";
import { tenantNatsPlan } from "../plan/nats";
import { writeSyntheticTenants } from "./synthetic-tenants";
import { monitorJson } from "./lib-nats-monitor";

const { values } = parseArgs({ options: { accounts: { type: "string", default: "1000,10000" }, concurrency: { type: "string", default: "16" }, servers: { type: "string", default: "3" } } });
const counts = values.accounts!.split(",").map(Number);
const concurrency = Number(values.concurrency);
const serverCount = Number(values.servers);
const NEWCOMERS = 20;

/** Deterministic key material (base64 of 32 bytes) by name. */
const key = (name: string) => createHash("sha256").update(`bench-hub:${name}`).digest("base64");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const dirBytes = (dir: string): number => fs.readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? dirBytes(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).size), 0);
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

interface Server {
  proc: ChildProcess;
  client: number;
  monitor: number;
  dir: string;
}

async function startCluster(root: string, accountsConf: string, hubConf: string): Promise<Server[]> {
  const ports = await Promise.all(Array.from({ length: serverCount }, async () => ({ client: await freePort(), cluster: await freePort(), monitor: await freePort() })));
  return Promise.all(
    ports.map(async (p, i) => {
      const dir = path.join(root, `server-${i}`);
      fs.mkdirSync(path.join(dir, "resolver"), { recursive: true });
      fs.writeFileSync(path.join(dir, "accounts.conf"), accountsConf);
      fs.writeFileSync(path.join(dir, "hub.conf"), hubConf.replace(/dir: "[^"]*"/, `dir: "${dir}/resolver"`));
      const routes = ports.map((q) => `"nats://127.0.0.1:${q.cluster}"`).join(", ");
      fs.writeFileSync(
        path.join(dir, "server.conf"),
        [
          `server_name: hub-${i}`,
          'include "accounts.conf"',
          'include "hub.conf"',
          `port: ${p.client}`,
          `http_port: ${p.monitor}`,
          ...(serverCount > 1 ? [`cluster { name: hub, port: ${p.cluster}, routes: [${routes}] }`] : []),
          // Every tenant has JetStream: each server must be able to hold every tier it may be given.
          `jetstream { store_dir: "${dir}/js", max_file_store: 1125899906842624, max_memory_store: 1073741824 }`,
          "",
        ].join("\n"),
      );
      const proc = spawn("nats-server", ["-c", path.join(dir, "server.conf")], { stdio: ["ignore", "ignore", "pipe"] });
      let log = "";
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`hub-${i} not ready: ${log.slice(-2000)}`)), 30_000);
        proc.stderr!.on("data", (c: Buffer) => {
          log += c.toString();
          if (log.includes("Server is ready")) {
            clearTimeout(timer);
            resolve();
          }
        });
        proc.once("exit", (code) => reject(new Error(`hub-${i} exited ${code}: ${log.slice(-2000)}`)));
      });
      proc.stderr!.resume();
      return { proc, client: p.client, monitor: p.monitor, dir };
    }),
  );
}

async function waitForCluster(servers: Server[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const states = await Promise.all(servers.map((s) => monitorJson(s.monitor, "/jsz").catch(() => undefined)));
    if (serverCount === 1 || states.every((j) => j?.meta_cluster?.leader)) return;
    if (Date.now() > deadline) throw new Error("JetStream cluster did not form");
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function sample(n: number) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `tenancy-bench-hub-${n}-`));
  const tenantsDir = path.join(root, "tenants");
  writeSyntheticTenants(tenantsDir, n + NEWCOMERS);
  // The stack's settings with a resolver that may hold them all, and no capacity check: one hub for
  // N tenants is what is measured here (a fleet that size is split into cells).
  const settings = readSettings((k) => (k === "natsResolverLimit" ? String(n + NEWCOMERS + 10) : undefined));
  const t0 = performance.now();
  const { tenants, plans } = loadTenants({ tenantsDir, plansFile: path.resolve(__dirname, "../plans/plans.yaml"), hub: { ...DEFAULT_HUB_RULES, maxConnections: Infinity, fileStorePerServer: Infinity, memoryStorePerServer: Infinity } });
  const keys: PlatformNatsKeys = { operator: key("operator"), operatorSigning: key("operator-signing"), system: key("system"), platform: key("platform"), claimsPusher: key("claims-pusher") };
  const platform = platformNatsIdentities(keys, settings.nats);
  const signed = tenants.map((t) => ({ slug: t.slug, ...signTenantNats(tenantNatsPlan(t.slug, t, settings.nats, settings.edge.collectorSubjects), { operatorSigning: keys.operatorSigning, account: key(`account:${t.slug}`), userRoot: key(`users:${t.slug}`) }) }));
  const signMs = performance.now() - t0;
  const accountsConf = hubConfigFragment({ operatorJwt: platform.operatorJwt, systemAccountPub: platform.systemAccount.pub, accounts: [platform.systemAccount, platform.platformAccount] });
  const hubConf = hubServerConfig(planHubServer(settings.nats, plans));

  const servers = await startCluster(root, accountsConf, hubConf);
  try {
    await waitForCluster(servers);
    const target: PushTarget = { servers: [`nats://127.0.0.1:${servers[0]!.client}`], expectedResolvers: serverCount, timeoutMs: 30_000 };
    const pusher = { systemAccount: platform.systemAccount.pub, signingKeySeed: claimsPusherSeed(keys.claimsPusher) };
    const rss = () => Promise.all(servers.map(async (s) => (await monitorJson(s.monitor, "/varz")).mem as number));
    const memBefore = await rss();
    const bulk = signed.slice(0, n);
    const half = Math.floor(n / 2);

    // One push at a time: what a pusher waits for each account (update, every ack, read-back).
    const seqStart = performance.now();
    await withPusher(target, pusher, async (nc) => {
      for (const s of bulk.slice(0, half)) await pushAccount(nc, s.account.jwt, target);
    });
    const seqSeconds = (performance.now() - seqStart) / 1000;
    // `concurrency` at once, as the engine runs independent resources in parallel: each provider
    // call has its own short-lived pusher (whose scope allows it 10 subscriptions).
    const parStart = performance.now();
    let next = half;
    await Promise.all(
      Array.from({ length: concurrency }, () =>
        withPusher(target, pusher, async (nc) => {
          while (next < bulk.length) await pushAccount(nc, bulk[next++]!.account.jwt, target);
        }),
      ),
    );
    const parSeconds = (performance.now() - parStart) / 1000;
    await new Promise((r) => setTimeout(r, 1_000));
    const memAfter = await rss();
    const disk = servers.map((s) => dirBytes(path.join(s.dir, "resolver")));

    // A new tenant: pushed through server 0, the platform's reader connects to the last server (the
    // one client of a tenant that uses the hub's client port: its collectors are its leaf's users).
    const connectMs: number[] = [];
    for (const s of signed.slice(n)) {
      const creds = s.creds[READER_USER_ID];
      if (!creds) throw new Error(`${s.slug}: no ${READER_USER_ID} creds`);
      const start = performance.now();
      await withPusher(target, pusher, (nc) => pushAccount(nc, s.account.jwt, target));
      const nc = await connect({ servers: `nats://127.0.0.1:${servers[serverCount - 1]!.client}`, authenticator: credsAuthenticator(new TextEncoder().encode(creds)), inboxPrefix: PLATFORM_INBOX_PREFIX, reconnect: false });
      await nc.flush();
      connectMs.push(performance.now() - start);
      await nc.close();
    }
    const perAccount = (i: number) => (memAfter[i]! - memBefore[i]!) / n;
    const result = {
      accounts: n,
      servers: serverCount,
      signSeconds: Math.round(signMs) / 1000,
      pushesPerSecond: { oneAtATime: Math.round(half / seqSeconds), concurrent: Math.round((n - half) / parSeconds), concurrency },
      memoryPerAccountBytes: Math.round(servers.reduce((a, _, i) => a + perAccount(i), 0) / serverCount),
      serverRssMiB: memAfter.map((m) => Math.round(m / 2 ** 20)),
      resolverDiskPerAccountBytes: Math.round(disk.reduce((a, b) => a + b, 0) / serverCount / n),
      newTenantConnectMs: { p50: Math.round(quantile(connectMs, 0.5)), max: Math.round(Math.max(...connectMs)), samples: connectMs.length },
    };
    console.log(
      `${String(n).padStart(7)}  ${String(result.pushesPerSecond.oneAtATime).padStart(8)}  ${String(result.pushesPerSecond.concurrent).padStart(10)}  ${String(result.memoryPerAccountBytes).padStart(12)}  ${String(result.resolverDiskPerAccountBytes).padStart(10)}  ${String(result.newTenantConnectMs.p50).padStart(8)}  ${String(result.newTenantConnectMs.max).padStart(8)}`,
    );
    return result;
  } finally {
    for (const s of servers) s.proc.kill("SIGTERM");
    await Promise.all(servers.map((s) => new Promise((r) => (s.proc.exitCode !== null ? r(undefined) : s.proc.once("exit", r)))));
    fs.rmSync(root, { recursive: true, force: true });
  }
}

async function main() {
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}; ${serverCount} nats-server processes, full resolver`);
  console.log("accounts  push/s 1×  push/s ${c}×  mem/account B  disk/acc B  connect p50 ms  max ms".replace("${c}", String(concurrency)));
  const results = [];
  for (const n of counts) results.push(await sample(n));
  console.log(JSON.stringify({ bench: "hub", results }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
