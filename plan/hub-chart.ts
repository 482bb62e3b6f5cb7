/**
 * Values for the official NATS Helm chart (nats-io/k8s, chart 1.x) wired to what this program
 * generates: the accounts fragment is mounted from its ConfigMap and `$include`d, the hub's
 * certificate serves the client and leaf listeners, JetStream stores on a volume. Users who run
 * NATS already leave `natsDeployHub` off and include the fragment themselves.
 */
import type { NatsSettings } from "../config/settings";

export const NATS_CHART_REPO = "https://nats-io.github.io/k8s/helm/charts/";

export interface HubChartInputs {
  settings: NatsSettings;
  clientPort: number;
  leafPort: number;
  /** ConfigMap holding the accounts fragment, and its key. */
  accountsConfigMap: string;
  accountsKey: string;
  /** `kubernetes.io/tls` Secret of the hub certificate. */
  tlsSecret: string;
  /** Every tenant account's limits: the hub must be as large as what it promises them. */
  tenants: { payload: number; diskStorage: number; memoryStorage: number }[];
}

/** nats-server refuses a max_payload above 64 MiB. */
export const MAX_SERVER_PAYLOAD = 64 * 1024 * 1024;

/**
 * The hub's size from the tenants' limits. A server's max_payload caps every account's (the
 * default 1 MiB would silently cut a plan promising 8 MiB), and an account whose disk storage does
 * not fit in what the server has left gets no JetStream at all (10047 in the server log, 503 for
 * its clients). Unlimited (-1) tenants cannot be sized: then the chart's defaults stay.
 */
export function hubSizing(tenants: HubChartInputs["tenants"]): { maxPayload?: number; fileStore?: number; memoryStore?: number } {
  const sum = (values: number[]) => (values.some((v) => v < 0) ? undefined : values.reduce((a, b) => a + b, 0));
  const payloads = tenants.map((t) => t.payload);
  return {
    maxPayload: payloads.length === 0 ? undefined : payloads.some((p) => p < 0) ? MAX_SERVER_PAYLOAD : Math.min(Math.max(...payloads), MAX_SERVER_PAYLOAD),
    fileStore: sum(tenants.map((t) => t.diskStorage)),
    memoryStore: sum(tenants.map((t) => t.memoryStorage)),
  };
}

/** The chart renders its config in /etc/nats-config; the fragment is mounted beside it. */
const ACCOUNTS_DIR = "/etc/nats-tenancy";

export function natsHubChartValues(inputs: HubChartInputs): Record<string, unknown> {
  const volume = { name: "tenancy-accounts", configMap: { name: inputs.accountsConfigMap } };
  const mount = { name: "tenancy-accounts", mountPath: ACCOUNTS_DIR, readOnly: true };
  const size = hubSizing(inputs.tenants);
  return {
    config: {
      nats: { port: inputs.clientPort, tls: { enabled: true, secretName: inputs.tlsSecret } },
      // Leaf nodes must present a certificate chaining to the platform root (the Secret's ca.crt,
      // see `tlsCA`); which account a leaf binds to is still decided by its creds alone.
      leafnodes: { enabled: true, port: inputs.leafPort, tls: { enabled: true, secretName: inputs.tlsSecret, merge: { verify: true } } },
      jetstream: {
        enabled: true,
        ...(size.fileStore ? { fileStore: { maxSize: size.fileStore, pvc: { size: String(size.fileStore) } } } : {}),
        ...(size.memoryStore ? { memoryStore: { enabled: true, maxSize: size.memoryStore } } : {}),
      },
      merge: {
        // nats-server resolves includes relative to the including file (/etc/nats-config/nats.conf).
        $include: `..${ACCOUNTS_DIR.slice("/etc".length)}/${inputs.accountsKey}`,
        ...(size.maxPayload !== undefined ? { max_payload: size.maxPayload } : {}),
      },
    },
    // ca_file of every TLS block: the platform root, which tenant CAs (and their leaves) chain to.
    tlsCA: { enabled: true, secretName: inputs.tlsSecret, key: "ca.crt" },
    podTemplate: { patch: [{ op: "add", path: "/spec/volumes/-", value: volume }] },
    container: { patch: [{ op: "add", path: "/volumeMounts/-", value: mount }] },
    // The reloader signals the server when a watched file changes: a tenant's new account JWT
    // reaches the running hub without a restart.
    reloader: { patch: [{ op: "add", path: "/volumeMounts/-", value: mount }] },
  };
}
