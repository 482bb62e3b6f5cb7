/**
 * Values for the official NATS Helm chart (nats-io/k8s, chart 1.x) wired to what this program
 * generates: the accounts fragment is mounted from its ConfigMap and `$include`d, the hub's
 * certificate serves the client and leaf listeners, JetStream stores on a volume. Users who run
 * NATS already leave `natsDeployHub` off and include the fragment themselves.
 */
import type { NatsSettings } from "./settings";

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
}

/** The chart renders its config in /etc/nats-config; the fragment is mounted beside it. */
const ACCOUNTS_DIR = "/etc/nats-tenancy";

export function natsHubChartValues(inputs: HubChartInputs): Record<string, unknown> {
  const volume = { name: "tenancy-accounts", configMap: { name: inputs.accountsConfigMap } };
  const mount = { name: "tenancy-accounts", mountPath: ACCOUNTS_DIR, readOnly: true };
  return {
    config: {
      nats: { port: inputs.clientPort, tls: { enabled: true, secretName: inputs.tlsSecret } },
      leafnodes: { enabled: true, port: inputs.leafPort, tls: { enabled: true, secretName: inputs.tlsSecret } },
      jetstream: { enabled: true },
      // nats-server resolves includes relative to the including file (/etc/nats-config/nats.conf).
      merge: { $include: `..${ACCOUNTS_DIR.slice("/etc".length)}/${inputs.accountsKey}` },
    },
    podTemplate: { patch: [{ op: "add", path: "/spec/volumes/-", value: volume }] },
    container: { patch: [{ op: "add", path: "/volumeMounts/-", value: mount }] },
    // The reloader signals the server when a watched file changes: a tenant's new account JWT
    // reaches the running hub without a restart.
    reloader: { patch: [{ op: "add", path: "/volumeMounts/-", value: mount }] },
  };
}
