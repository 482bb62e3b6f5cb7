/**
 * Test support: real edge leaves from a render (the hub they dial: test/support/pushed-hub-tls.ts).
 * A leaf is a real
 * nats-server started from its rendered configuration (an in-cluster Deployment's, laid out as
 * the kubelet would, or a site's, laid out by its install.sh), with only path prefixes, listen
 * addresses (free loopback ports) and the hub's address (localhost) rewritten. Its local streams
 * are made from the rendered definitions with the location's streams user, as the container
 * beside the leaf does with `nats stream add --config`.
 */
import * as path from "node:path";
import { connect, credsAuthenticator } from "nats";
import { containerOf, type DockerRun } from "./edge-pods";
import { freePort, startNatsServer, type NatsServer } from "./nats-server";
import { eventually, tempDir, type Rendered } from "./rendered";

const te = new TextEncoder();

export const rootCaPem = (r: Rendered) => r.objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "platform-root-ca")!.data!["ca.crt"]!;

function replaceOnce(text: string, from: RegExp, to: string, what: string): string {
  const n = [...text.matchAll(new RegExp(from.source, "gm"))].length;
  if (n !== 1) throw new Error(`leaf config: expected exactly one ${what}, found ${n}`);
  return text.replace(new RegExp(from.source, "m"), to);
}

/** A leaf's rendered config with its file paths mapped (container → host), loopback ports and the hub at localhost. */
export async function leafConfig(text: string, mounts: (p: string) => string, hubLeafPort: number): Promise<(ctx: { port: number }) => string> {
  const httpPort = await freePort();
  const paths = text.replace(/"(\/(?:etc\/nats|data)\/[^"]*)"/g, (_m, p: string) => JSON.stringify(mounts(p)));
  return (ctx) => {
    let t = replaceOnce(paths, /^port: 4222$/, `listen: "127.0.0.1:${ctx.port}"`, "client port");
    t = replaceOnce(t, /^http_port: 8222$/, `http: "127.0.0.1:${httpPort}"`, "monitoring port");
    return replaceOnce(t, /nats-leaf:\/\/[a-z0-9.-]+:7422/, `nats-leaf://localhost:${hubLeafPort}`, "hub URL");
  };
}

export interface EdgeLeaf {
  server: NatsServer;
  /** Where its files are (a pod's root, a site's prefix). */
  root: string;
  /** Its local stream definitions, by file name. */
  definitions: Record<string, string>;
  /** The streams user: creds and the TLS files it dials the leaf with. */
  streamsUser: { creds: string; tls: { ca: string; cert: string; key: string } };
  rootCa: string;
}

/**
 * Starts a tenant's in-cluster leaf from its rendered Deployment (the leaf container and the one
 * beside it). `root`: an earlier leaf's, to restart its containers with the render's files laid
 * over it and its store kept, as a restart in the same pod keeps the emptyDir.
 */
export async function startInClusterLeaf(r: Rendered, slug: string, hubLeafPort: number, root = tempDir(`leaf-${slug}-`)): Promise<EdgeLeaf> {
  const d = r.objects.find((o) => o.kind === "Deployment" && o.metadata.namespace === `tenant-${slug}-edge` && o.metadata.name === "nats-leaf")!;
  const leaf = containerOf(d, r.objects, root);
  const sidecar = containerOf(d, r.objects, root, 1);
  const mounts = (p: string) => (p.startsWith("/data/") ? path.join(root, p) : leaf.pod.at(p));
  const server = await startNatsServer({ config: await leafConfig(leaf.readFile(leaf.args![1]!)!, mounts, hubLeafPort) });
  const env = sidecar.env;
  const definitions = Object.fromEntries([...sidecar.pod.files.keys()].filter((p) => p.startsWith("/etc/nats/streams/")).map((p) => [path.basename(p), sidecar.readFile(p)!]));
  return { server, root, definitions, rootCa: rootCaPem(r), streamsUser: { creds: sidecar.readFile(env.NATS_CREDS!)!, tls: { ca: sidecar.readFile(env.NATS_CA!)!, cert: sidecar.readFile(env.NATS_CERT!)!, key: sidecar.readFile(env.NATS_KEY!)! } } };
}

/** Starts a site's leaf as its install.sh runs it (`run`: the leaf's `docker run`, `streams`: the container beside it). */
export async function startSiteLeaf(r: Rendered, prefix: string, run: DockerRun, streams: DockerRun, hubLeafPort: number): Promise<EdgeLeaf> {
  const configPath = run.args[run.args.indexOf("--config") + 1]!;
  const server = await startNatsServer({ dir: path.join(prefix, "server"), config: await leafConfig(run.readFile(configPath)!, (p) => run.hostPath(p)!, hubLeafPort) });
  const dir = streams.hostPath("/etc/nats/streams")!;
  const { readdirSync } = await import("node:fs");
  const definitions = Object.fromEntries(readdirSync(dir).map((f) => [f, streams.readFile(`/etc/nats/streams/${f}`)!]));
  const e = streams.env;
  return { server, root: prefix, definitions, rootCa: rootCaPem(r), streamsUser: { creds: streams.readFile(e.NATS_CREDS!)!, tls: { ca: streams.readFile(e.NATS_CA!)!, cert: streams.readFile(e.NATS_CERT!)!, key: streams.readFile(e.NATS_KEY!)! } } };
}

/** A connection of the location's streams user to its leaf, as the container beside the leaf makes it. */
export function connectStreamsUser(leaf: EdgeLeaf) {
  return connect({
    servers: leaf.server.url,
    authenticator: credsAuthenticator(te.encode(leaf.streamsUser.creds)),
    // OpenSSL (Node) anchors only at a self-signed certificate: the root is added to the tenant CA.
    tls: { ca: [leaf.streamsUser.tls.ca, leaf.rootCa], cert: leaf.streamsUser.tls.cert, key: leaf.streamsUser.tls.key, servername: "nats-leaf" } as never,
    reconnect: false,
    timeout: 3_000,
  });
}

/**
 * What the container beside the leaf does with the nats CLI: each definition added, or brought
 * to it, with the streams user (nats.js stands in for the CLI: the same JetStream API requests).
 */
export async function keepLocalStreams(leaf: EdgeLeaf): Promise<string[]> {
  const nc = await connectStreamsUser(leaf);
  try {
    const jsm = await nc.jetstreamManager({ checkAPI: false });
    const made: string[] = [];
    for (const [file, text] of Object.entries(leaf.definitions).sort()) {
      const cfg = JSON.parse(text);
      if (file !== `${cfg.name}.json`) throw new Error(`${file} defines stream ${cfg.name}`);
      await eventually(`stream ${cfg.name}`, async () => {
        const exists = await jsm.streams.info(cfg.name).then(() => true, () => false);
        await (exists ? jsm.streams.update(cfg.name, cfg) : jsm.streams.add(cfg));
        return true;
      }, 10_000);
      made.push(cfg.name);
    }
    return made;
  } finally {
    await nc.close();
  }
}

/**
 * A collector of a tenant's in-cluster edge, emulated from its Deployment (test/oracles/
 * collector-emulator.ts), connected to `leaf`: what it publishes is acked by the leaf and reaches
 * the hub's stream by sourcing.
 */
export async function inClusterCollector(r: Rendered, slug: string, name: string, leaf: EdgeLeaf) {
  const { publishWithAcks, startCollector, startPipeline } = await import("../oracles/collector-emulator");
  const d = r.objects.find((o) => o.kind === "Deployment" && o.metadata.namespace === `tenant-${slug}-edge` && o.metadata.name === name)!;
  const container = containerOf(d, r.objects, tempDir(`collector-${slug}-`));
  const [pipeline] = startCollector(container);
  const started = await startPipeline(pipeline!, {
    name: `${slug}/${name}`,
    readFile: (p) => container.readFile(p) ?? "",
    resolve: (url) => ({ servers: `tls://127.0.0.1:${leaf.server.port}`, servername: new URL(url).hostname }),
    extraCa: [leaf.rootCa],
  });
  if (started.state !== "running") throw new Error(`${slug}/${name}: ${started.state}: ${started.reason}`);
  return {
    pipeline: pipeline!,
    nc: started.nc,
    /** Publishes one message per payload on its subject, each acked; the acks. */
    async publish(...payloads: string[]) {
      const r = await publishWithAcks(pipeline!, started.nc, (_s, i) => payloads[i]!, payloads.length);
      if (r.failures.length) throw new Error(r.failures.join("; "));
      return r.acks;
    },
    close: () => started.nc.close(),
  };
}
