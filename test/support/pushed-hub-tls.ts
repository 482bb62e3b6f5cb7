/**
 * Pushed hubs for the tests whose subject is not the cluster itself, on top of
 * test/support/hub-cluster.ts (whose servers, conf mode and push code they use as they are):
 *
 *   - {@link startTlsPushedHub}: the same servers with the leaf listener as the NATS chart is
 *     configured by this program (TLS with the rendered hub certificate, client certificates
 *     verified under the platform root, ca.crt of the same Secret), for the edge tests.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { accountPushProvider, type AccountPushInputs } from "../../components/account-push";
import { loadRenderedHub, waitForFullMesh, type HubCluster, type HubOptions, type RenderedHub, type RenderedPush } from "./hub-cluster";
import { freePort, startNatsServer, type NatsServer } from "./nats-server";
import { monitor } from "../../tools/lib-nats-monitor";

/** One server of a TLS-leaf hub. */
export interface TlsHubServer {
  index: number;
  server: NatsServer;
  /** The leaf listener (TLS, client certificates verified). */
  leafPort: number;
  monitorPort: number;
}

export interface TlsPushedHub {
  servers: TlsHubServer[];
  /** Plaintext client URLs (the platform's clients in these tests). */
  urls(): string[];
  hub: RenderedHub;
  /** Pushes with the dynamic provider's own code (create, or update when `previous` is given). */
  push(p: RenderedPush, previous?: RenderedPush): Promise<{ jti: string; resolvers: number }>;
  remove(p: RenderedPush): Promise<void>;
  /**
   * Every server down (SIGTERM), `meanwhile` run, then every server back on the same ports with
   * its own directory (the resolver keeps the pushed accounts, JetStream its streams): a hub outage.
   */
  outage(meanwhile: () => Promise<void>): Promise<void>;
  /** SIGKILL one server (a lost node); `restart` brings it back on its ports with its directory. */
  kill(index: number): Promise<void>;
  restart(index: number): Promise<void>;
  stop(): Promise<void>;
}

export interface TlsHubOptions {
  /** Servers of the cluster (default 3: R3 tenants' streams need three). */
  servers?: number;
  /** Per-server JetStream sizes (see hubSizeFor in rendered.ts). */
  jetstream: { maxFileStore: number; maxMemoryStore: number };
}

/**
 * A cluster started from a revealed render's accounts.conf and hub.conf, each server with a
 * plaintext client port, routes to the others and the leaf listener the chart gets (the hub's TLS
 * Secret: tls.crt/tls.key served, client certificates verified under ca.crt); then every tenant's
 * account pushed as `pulumi up` would create it.
 */
export async function startTlsPushedHub(out: string, opts: TlsHubOptions): Promise<TlsPushedHub> {
  const hub = loadRenderedHub(out);
  const count = opts.servers ?? 3;
  const ports = await Promise.all(Array.from({ length: count }, async () => ({ client: await freePort(), cluster: await freePort(), leaf: await freePort(), monitor: await freePort() })));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-tls-hub-"));
  const servers: TlsHubServer[] = [];
  const start = async (i: number) => {
    const dir = path.join(root, `server-${i}`);
    const p = ports[i]!;
    const server = await startNatsServer({
      dir,
      port: p.client,
      readyTimeoutMs: 20_000,
      files: {
        "accounts.conf": hub.accountsConf,
        "hub.conf": hub.hubConf.replace(/dir: "[^"]*"/, `dir: "${dir}/resolver"`),
        "tls/tls.crt": hub.tls["tls.crt"]!,
        "tls/tls.key": hub.tls["tls.key"]!,
        "tls/ca.crt": hub.tls["ca.crt"]!,
      },
      config: [
        `server_name: hub-${i}`,
        'include "accounts.conf"',
        'include "hub.conf"',
        `port: ${p.client}`,
        `http_port: ${p.monitor}`,
        ...(count > 1 ? [`cluster { name: hub, port: ${p.cluster}, routes: [${ports.map((q) => `"nats://127.0.0.1:${q.cluster}"`).join(", ")}] }`] : []),
        `jetstream { store_dir: "${dir}/js", max_file_store: ${opts.jetstream.maxFileStore}, max_memory_store: ${opts.jetstream.maxMemoryStore} }`,
        // As the program configures the chart: the leaf listener serves the hub certificate and
        // verifies client certificates under ca.crt of the same Secret (the platform root).
        "leafnodes {",
        `  port: ${p.leaf}`,
        `  tls { cert_file: "${dir}/tls/tls.crt", key_file: "${dir}/tls/tls.key", ca_file: "${dir}/tls/ca.crt", verify: true, timeout: 2 }`,
        "}",
        "",
      ].join("\n"),
    });
    servers[i] = { index: i, server, leafPort: p.leaf, monitorPort: p.monitor };
  };
  const ready = async () => {
    await waitForFullMesh(ports.map((p) => p.monitor));
    if (count > 1) await waitForJetStreamMeta(ports.map((p) => p.monitor));
  };
  const stopAll = async () => {
    await Promise.allSettled(servers.filter(Boolean).map((s) => s.server.stop()));
    fs.rmSync(root, { recursive: true, force: true });
  };
  const urls = () => servers.map((s) => s.server.url);
  const withTarget = (inputs: AccountPushInputs): AccountPushInputs => ({
    ...inputs,
    target: { ...inputs.target, servers: urls(), expectedResolvers: servers.length, tlsCaPem: undefined, tlsServerName: undefined },
  });
  const result: TlsPushedHub = {
    servers,
    urls,
    hub,
    async push(p, previous) {
      if (previous) {
        const r = await accountPushProvider.update!("id", { ...withTarget(previous.inputs), jti: "", resolvers: 0 }, withTarget(p.inputs));
        return { jti: r.outs!.jti, resolvers: r.outs!.resolvers };
      }
      const r = await accountPushProvider.create(withTarget(p.inputs));
      return { jti: r.outs!.jti, resolvers: r.outs!.resolvers };
    },
    async remove(p) {
      await accountPushProvider.delete!("id", { ...withTarget(p.inputs), jti: "", resolvers: 0 });
    },
    async outage(meanwhile) {
      await Promise.all(servers.map((s) => s.server.stop()));
      await meanwhile();
      await Promise.all(Array.from({ length: count }, (_, i) => start(i)));
      await ready();
    },
    kill: (i) => servers[i]!.server.kill(),
    async restart(i) {
      await start(i);
      await ready();
    },
    stop: stopAll,
  };
  try {
    await Promise.all(Array.from({ length: count }, (_, i) => start(i)));
    await ready();
    for (const p of hub.pushes) {
      const pushed = await result.push(p);
      if (pushed.resolvers !== count) throw new Error(`${p.tenant}: ${pushed.resolvers} of ${count} resolvers acknowledged its account`);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return result;
}

/** Every server knows the JetStream meta leader of a cluster of all of them (GET /jsz). */
async function waitForJetStreamMeta(monitorPorts: number[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(monitorPorts.map((p) => monitor(p, "/jsz")));
    if (states.every((s) => s?.meta_cluster?.leader && (s.meta_cluster.cluster_size ?? 0) >= monitorPorts.length)) return;
    if (Date.now() > deadline) throw new Error(`the hub's JetStream cluster did not form: ${JSON.stringify(states.map((s) => s?.meta_cluster))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
