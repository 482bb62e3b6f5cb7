/**
 * A real hub for the tests: a cluster of nats-server processes on loopback, each with the full
 * account resolver, started from what a render declares — either the way the NATS chart lays its
 * pods out (test/oracles/nats-chart.ts makes the chart's nats.conf from the rendered values) or
 * with the rendered `accounts.conf` and `hub.conf` included by a plain server config — and the
 * tenant accounts pushed with the program's own push code (the dynamic provider's `create`).
 *
 * Only what cannot be the same on one machine is rewritten: listen ports, the pods' directories
 * (/etc, /data, /var/run under each server's own directory), route URLs (the pods' DNS names become
 * loopback ports) and, on routes only, TLS hostname checks (test/e2e/hub-chart checks the hub
 * certificate's names against the chart's route hosts with openssl instead).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { accountPushProvider, type AccountPushInputs } from "../../components/account-push";
import type { PushTarget } from "../../lib/nats/push";
import { formatChartConfig, renderChart } from "../oracles/nats-chart";
import { freePort, startNatsServer, type NatsServer } from "./nats-server";
import { monitor } from "../../tools/lib-nats-monitor";

/** An account push as the render declares it (a revealed render: the pusher's seed is there). */
export interface RenderedPush {
  tenant: string;
  inputs: AccountPushInputs;
}

/** Everything of a revealed render that makes the hub. */
export interface RenderedHub {
  accountsConf: string;
  hubConf: string;
  /** The hub's TLS Secret (tls.crt, tls.key, ca.crt = the tenants' root, hub-ca.crt). */
  tls: Record<string, string>;
  /** The chart's values, when the render deploys the hub with the chart (natsDeployHub). */
  chartValues?: Record<string, any>;
  pushes: RenderedPush[];
}

export function loadRenderedHub(out: string): RenderedHub {
  const manifest = (file: string) => parse(fs.readFileSync(path.join(out, "manifests", file), "utf8")) as { data?: Record<string, string>; stringData?: Record<string, string> };
  const accounts = manifest("platform/configmap-nats-hub-accounts.yaml").data!;
  const tls = manifest("platform/secret-nats-hub-tls.yaml").stringData!;
  if (Object.values(tls).some((v) => v.includes("[secret]"))) throw new Error(`${out}: render with --reveal-secrets`);
  const resources = parse(fs.readFileSync(path.join(out, "resources.yaml"), "utf8")) as { urn: string; inputs: Record<string, any> }[];
  const release = resources.find((r) => r.urn.includes("helm.sh/v3:Release"));
  const pushes = resources
    .filter((r) => r.urn.includes("pulumi-nodejs:dynamic:Resource") && r.urn.endsWith("/nats-account-push"))
    .map((r) => ({ tenant: r.urn.slice(r.urn.lastIndexOf("::") + 2).split("/")[0]!, inputs: r.inputs as AccountPushInputs }));
  return { accountsConf: accounts["accounts.conf"]!, hubConf: accounts["hub.conf"]!, tls, chartValues: release?.inputs.values, pushes };
}

export interface HubServer {
  index: number;
  name: string;
  ports: { client: number; cluster: number; leaf: number; monitor: number };
  dir: string;
  server: NatsServer;
}

export interface HubCluster {
  servers: HubServer[];
  /** Client URLs of the running servers. */
  urls(): string[];
  /** Client TLS of the hub (chart mode): the hub CA and the name its certificate carries. */
  clientTls?: { ca: string; servername: string };
  /** Where a push goes, and how many resolvers must answer. */
  target(expectedResolvers?: number): PushTarget;
  /** Pushes accounts with the dynamic provider's own code (create, or update when `previous` is given). */
  push(push: RenderedPush, previous?: RenderedPush): Promise<{ jti: string; resolvers: number }>;
  remove(push: RenderedPush): Promise<void>;
  /** SIGKILL one server (a lost node); `restart` brings it back with its directory. */
  kill(index: number): Promise<void>;
  restart(index: number): Promise<void>;
  stop(): Promise<void>;
  logs(index: number): string;
}

export interface HubOptions {
  /** Servers of the cluster (default: the chart's replicas, else 3). */
  servers?: number;
  /** `chart`: the chart's nats.conf, TLS everywhere; `conf`: accounts.conf + hub.conf in a plain config (plaintext clients). */
  mode: "chart" | "conf";
  /** Per-server JetStream sizes in conf mode (the chart mode takes the chart's). */
  jetstream?: { maxFileStore: number; maxMemoryStore: number };
  /** Also listen for leaf nodes (conf mode: plaintext; chart mode: as the chart says). */
  leafnodes?: boolean;
}

const TLS_DIRS = ["etc/nats-certs/nats", "etc/nats-certs/leafnodes", "etc/nats-certs/cluster"];

export async function startHubCluster(hub: RenderedHub, opts: HubOptions): Promise<HubCluster> {
  if (opts.mode === "chart" && !hub.chartValues) throw new Error("chart mode needs a render with tenancy:natsDeployHub=true");
  const count = opts.servers ?? hub.chartValues?.config?.cluster?.replicas ?? 3;
  const ports = await Promise.all(Array.from({ length: count }, async () => ({ client: await freePort(), cluster: await freePort(), leaf: await freePort(), monitor: await freePort() })));
  const root = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "tenancy-hub-"));
  const chart = opts.mode === "chart" ? renderChart(hub.chartValues!) : undefined;
  const servers: HubServer[] = [];

  const configFor = (i: number, dir: string): { configName: string; text: string } => {
    if (chart) {
      // The pod's files where the kubelet would mount them (Secret keys as files, the ConfigMap's keys).
      for (const d of TLS_DIRS) for (const [k, v] of Object.entries(hub.tls)) writeFile(path.join(dir, d, k), v);
      writeFile(path.join(dir, "etc/nats-ca-cert/ca.crt"), hub.tls["ca.crt"]!);
      writeFile(path.join(dir, "etc/nats-tenancy/accounts.conf"), hub.accountsConf);
      writeFile(path.join(dir, "etc/nats-tenancy/hub.conf"), hub.hubConf);
      // The pod's emptyDir (pid) and volume claims (JetStream, resolver).
      for (const d of ["var/run/nats", "data/resolver"]) fs.mkdirSync(path.join(dir, d), { recursive: true });
      const config = localize(chart.config, dir, ports[i]!, ports) as Record<string, any>;
      return { configName: "etc/nats-config/nats.conf", text: formatChartConfig(config) };
    }
    writeFile(path.join(dir, "accounts.conf"), hub.accountsConf);
    writeFile(path.join(dir, "hub.conf"), hub.hubConf.replace(/dir: "[^"]*"/, `dir: "${dir}/resolver"`));
    const js = opts.jetstream ?? { maxFileStore: 1 << 30, maxMemoryStore: 64 << 20 };
    return {
      configName: "server.conf",
      text: [
        `server_name: hub-${i}`,
        'include "accounts.conf"',
        'include "hub.conf"',
        `port: ${ports[i]!.client}`,
        `http_port: ${ports[i]!.monitor}`,
        ...(count > 1 ? [`cluster { name: hub, port: ${ports[i]!.cluster}, routes: [${ports.map((p) => `"nats://127.0.0.1:${p.cluster}"`).join(", ")}] }`] : []),
        ...(opts.leafnodes ? [`leafnodes { port: ${ports[i]!.leaf} }`] : []),
        `jetstream { store_dir: "${dir}/js", max_file_store: ${js.maxFileStore}, max_memory_store: ${js.maxMemoryStore} }`,
        "",
      ].join("\n"),
    };
  };

  const start = async (i: number) => {
    const dir = path.join(root, `server-${i}`);
    fs.mkdirSync(dir, { recursive: true });
    const { configName, text } = configFor(i, dir);
    const server = await startNatsServer({ dir, configName, config: text, port: ports[i]!.client, env: { SERVER_NAME: chart ? `${chart.fullname}-${i}` : `hub-${i}` }, readyTimeoutMs: 20_000 });
    servers[i] = { index: i, name: chart ? `${chart.fullname}-${i}` : `hub-${i}`, ports: ports[i]!, dir, server };
  };
  try {
    await Promise.all(Array.from({ length: count }, (_, i) => start(i)));
    if (count > 1) {
      await waitForJetStreamCluster(servers);
      await waitForFullMesh(servers.map((s) => s.ports.monitor));
    }
  } catch (err) {
    await Promise.allSettled(servers.filter(Boolean).map((s) => s.server.stop()));
    throw err;
  }

  const serverName = hub.pushes[0]?.inputs.target.tlsServerName;
  const cluster: HubCluster = {
    servers,
    urls: () => servers.filter((s) => !stopped.has(s.index)).map((s) => `${chart ? "tls" : "nats"}://127.0.0.1:${s.ports.client}`),
    ...(chart ? { clientTls: { ca: hub.tls["hub-ca.crt"]!, servername: serverName! } } : {}),
    target: (expectedResolvers = servers.length - stopped.size) => ({
      servers: cluster.urls(),
      ...(chart ? { tls: { caPem: hub.tls["hub-ca.crt"]!, serverName } } : {}),
      expectedResolvers,
      timeoutMs: 10_000,
    }),
    async push(p, previous) {
      const inputs = withTarget(p.inputs, cluster, chart !== undefined);
      if (previous) {
        const olds = { ...withTarget(previous.inputs, cluster, chart !== undefined), jti: "", resolvers: 0 };
        const result = await accountPushProvider.update!("id", olds, inputs);
        return { jti: result.outs!.jti, resolvers: result.outs!.resolvers };
      }
      const result = await accountPushProvider.create(inputs);
      return { jti: result.outs!.jti, resolvers: result.outs!.resolvers };
    },
    async remove(p) {
      await accountPushProvider.delete!("id", { ...withTarget(p.inputs, cluster, chart !== undefined), jti: "", resolvers: 0 });
    },
    async kill(i) {
      stopped.add(i);
      await servers[i]!.server.kill();
    },
    async restart(i) {
      await start(i);
      stopped.delete(i);
      if (servers.length > 1) {
        const running = servers.filter((s) => !stopped.has(s.index));
        await waitForJetStreamCluster(running);
        await waitForFullMesh(running.map((s) => s.ports.monitor));
      }
    },
    async stop() {
      await Promise.allSettled(servers.map((s) => s.server.stop()));
      fs.rmSync(root, { recursive: true, force: true });
    },
    logs: (i) => servers[i]!.server.logs(),
  };
  const stopped = new Set<number>();
  return cluster;
}

/** A push's inputs pointed at this cluster: its URLs and the number of its running resolvers. */
function withTarget(inputs: AccountPushInputs, cluster: HubCluster, tls: boolean): AccountPushInputs {
  const target = cluster.target();
  return { ...inputs, target: { ...inputs.target, servers: target.servers, expectedResolvers: target.expectedResolvers, ...(tls ? {} : { tlsCaPem: undefined, tlsServerName: undefined }) } };
}

function writeFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** The chart's config for one pod, on this machine: its paths under `dir`, loopback ports and routes. */
function localize(config: unknown, dir: string, own: HubServer["ports"], all: HubServer["ports"][]): unknown {
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === "string" && v.startsWith("/")) {
      // Every absolute path of the pod moves under the server's directory; one we do not know fails loudly
      // rather than letting a test write to this machine's /data or /etc.
      if (!/^\/(etc|data|var)(\/|$)/.test(v)) throw new Error(`chart config path ${v} (${key}) is not one of the pod's mounts`);
      return path.join(dir, v);
    }
    if (Array.isArray(v)) return key === "routes" ? all.map((p) => `tls://127.0.0.1:${p.cluster}`) : v.map((x) => walk(x));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  const c = walk(config) as Record<string, any>;
  c.port = own.client;
  c.http_port = own.monitor;
  if (c.leafnodes) c.leafnodes.port = own.leaf;
  if (c.cluster) {
    c.cluster.port = own.cluster;
    // Route URLs are loopback addresses here, not the pods' names the certificate carries.
    if (c.cluster.tls) c.cluster.tls.insecure = true;
  }
  return c;
}

/** Every server sees the others and a JetStream meta leader (GET /jsz on the monitoring port). */
async function waitForJetStreamCluster(servers: HubServer[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(servers.map((s) => monitor(s.ports.monitor, "/jsz")));
    if (states.every((s) => s?.meta_cluster?.leader && (s.meta_cluster.cluster_size ?? 0) >= servers.length)) return;
    if (Date.now() > deadline) {
      const tails = servers.map((s) => `--- ${s.name} ---\n${s.server.logs().split("\n").filter((l) => /\[(ERR|WRN|FTL)\]|JetStream cluster|leader|Route/.test(l)).slice(-25).join("\n")}`);
      throw new Error(`the hub's JetStream cluster did not form: ${JSON.stringify(states.map((s) => s?.meta_cluster))}\n${tails.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A conf-mode hub of `servers` processes (default 1) from a revealed render, every tenant's account
 * pushed as `pulumi up` would create them. For tests whose subject is not the cluster itself.
 */
export async function startPushedHub(out: string, opts: Omit<HubOptions, "mode"> = {}): Promise<{ cluster: HubCluster; hub: RenderedHub }> {
  const hub = loadRenderedHub(out);
  const cluster = await startHubCluster(hub, { ...opts, mode: "conf", servers: opts.servers ?? 1 });
  try {
    for (const p of hub.pushes) await cluster.push(p);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return { cluster, hub };
}

/** What one deployment did to the hub's accounts, by tenant. */
export interface PushDeployment {
  created: string[];
  updated: string[];
  removed: string[];
  unchanged: string[];
}

/**
 * Moves the hub from one render's pushes to another's as the engine would: a push resource whose
 * inputs differ is updated, a new one created, a vanished one deleted (the provider's own methods).
 */
export async function deployPushes(cluster: Pick<HubCluster, "push" | "remove">, before: RenderedPush[], after: RenderedPush[]): Promise<PushDeployment> {
  const old = new Map(before.map((p) => [p.tenant, p]));
  const next = new Map(after.map((p) => [p.tenant, p]));
  const done: PushDeployment = { created: [], updated: [], removed: [], unchanged: [] };
  for (const [tenant, p] of next) {
    const prev = old.get(tenant);
    if (!prev) {
      await cluster.push(p);
      done.created.push(tenant);
    } else if (prev.inputs.jwt !== p.inputs.jwt) {
      await cluster.push(p, prev);
      done.updated.push(tenant);
    } else done.unchanged.push(tenant);
  }
  for (const [tenant, p] of old) {
    if (next.has(tenant)) continue;
    await cluster.remove(p);
    done.removed.push(tenant);
  }
  return done;
}


/**
 * Every server has a route to each of the others (GET /routez). A JetStream meta leader needs only
 * a quorum of routes, and NATS does not forward between servers: a push from a server without a
 * route to some resolver never reaches it ("only 2 of 3 resolvers acknowledged").
 */
export async function waitForFullMesh(monitorPorts: number[], timeoutMs = 30_000): Promise<void> {
  if (monitorPorts.length < 2) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const routes = await Promise.all(monitorPorts.map((p) => monitor(p, "/routez")));
    const peers = routes.map((r) => new Set(((r?.routes ?? []) as { remote_id?: string }[]).map((x) => x.remote_id)).size);
    if (peers.every((n) => n >= monitorPorts.length - 1)) return;
    if (Date.now() > deadline) throw new Error(`the hub's routes did not form a full mesh within ${timeoutMs} ms: routes per server ${JSON.stringify(peers)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
