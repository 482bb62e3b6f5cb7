/**
 * Values for the official NATS Helm chart (nats-io/k8s, chart 1.3.16) that run the hub as planned
 * (plan/hub-server.ts): a cluster of full-resolver servers with TLS on the client, leaf and route
 * listeners, the operator and the system and platform accounts from the accounts ConfigMap, and
 * the server-wide limits and JetStream sizes. Written against that chart version's values.yaml and
 * templates (files/config/*.yaml, files/stateful-set/*.yaml), whose rules matter here:
 *
 *   - sizes reach nats.conf through `{{ }}` (jetstream.yaml: `max_file_store: << {{ .maxSize }} >>`),
 *     where a number is printed as Go's %v of a float64 — `1.177894780928e+12`, which nats-server
 *     refuses — so every size is a string ("1536Gi");
 *   - the reloader container already mounts every nats-container volume under /etc/
 *     (`reloader.natsVolumeMountPrefixes`): a mount added to the nats container must not be added
 *     to the reloader again (the API server refuses a duplicate mount path);
 *   - `config.merge` goes through toPrettyRawJson (numbers stay numbers) and turns `$include` keys
 *     into include directives relative to /etc/nats-config/nats.conf.
 */
import { formatQuantity } from "../lib/quantity";
import type { HubServerPlan } from "./hub-server";

export const NATS_CHART_REPO = "https://nats-io.github.io/k8s/helm/charts/";
export const NATS_CHART_VERSION = "1.3.16";

export interface HubChartInputs {
  server: HubServerPlan;
  clientPort: number;
  leafPort: number;
  /** ConfigMap holding the accounts fragment, and its key. */
  accountsConfigMap: string;
  accountsKey: string;
  /** `kubernetes.io/tls` Secret of the hub certificate (with `hub-ca.crt`, for the routes). */
  tlsSecret: string;
  hubCaKey: string;
}

/** The chart renders its config in /etc/nats-config; the accounts fragment is mounted beside it. */
export const ACCOUNTS_DIR = "/etc/nats-tenancy";
/** Where the chart mounts the cluster listener's TLS Secret (`config.cluster.tls.dir` default). */
const CLUSTER_TLS_DIR = "/etc/nats-certs/cluster";

const size = (bytes: number) => formatQuantity(BigInt(bytes) * 1000n, "bytes");

export function natsHubChartValues(inputs: HubChartInputs): Record<string, unknown> {
  const { server } = inputs;
  const volume = { name: "tenancy-accounts", configMap: { name: inputs.accountsConfigMap } };
  const mount = { name: "tenancy-accounts", mountPath: ACCOUNTS_DIR, readOnly: true };
  const limits = server.limits;
  const js = server.jetstream;
  return {
    config: {
      nats: { port: inputs.clientPort, tls: { enabled: true, secretName: inputs.tlsSecret } },
      // Leaf nodes must present a certificate chaining to the platform root (the Secret's ca.crt,
      // see `tlsCA`); which account a leaf binds to is still decided by its creds alone.
      leafnodes: { enabled: true, port: inputs.leafPort, tls: { enabled: true, secretName: inputs.tlsSecret, merge: { verify: true } } },
      // Routes between the hub's servers: the hub certificate both ways, verified under the hub CA
      // (not the tenants' root: no tenant certificate may join the cluster).
      cluster: {
        enabled: true,
        replicas: server.servers,
        tls: { enabled: true, secretName: inputs.tlsSecret, merge: { ca_file: `${CLUSTER_TLS_DIR}/${inputs.hubCaKey}`, verify: true } },
      },
      jetstream: {
        enabled: true,
        ...(js.maxFileStore > 0 ? { fileStore: { maxSize: size(js.maxFileStore), pvc: { size: size(js.maxFileStore) } } } : {}),
        ...(js.maxMemoryStore > 0 ? { memoryStore: { enabled: true, maxSize: size(js.maxMemoryStore) } } : {}),
      },
      resolver: {
        enabled: true,
        dir: server.resolver.dir,
        pvc: { size: size(server.resolver.volumeBytes) },
        merge: { type: server.resolver.type, allow_delete: server.resolver.allowDelete, interval: server.resolver.interval, timeout: server.resolver.timeout, limit: server.resolver.limit },
      },
      merge: {
        // nats-server resolves includes relative to the including file (/etc/nats-config/nats.conf).
        $include: `..${ACCOUNTS_DIR.slice("/etc".length)}/${inputs.accountsKey}`,
        max_payload: limits.maxPayload,
        ...(limits.maxConnections > 0 ? { max_connections: limits.maxConnections } : {}),
        ...(limits.maxSubscriptions > 0 ? { max_subscriptions: limits.maxSubscriptions } : {}),
      },
    },
    // ca_file of every TLS block but the routes': the platform root, which tenant CAs (and their leaves) chain to.
    tlsCA: { enabled: true, secretName: inputs.tlsSecret, key: "ca.crt" },
    podTemplate: { patch: [{ op: "add", path: "/spec/volumes/-", value: volume }] },
    // The reloader gets this mount from the chart itself (natsVolumeMountPrefixes: /etc/).
    container: { patch: [{ op: "add", path: "/volumeMounts/-", value: mount }] },
  };
}
