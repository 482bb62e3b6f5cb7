/** Stack configuration (Pulumi config namespace `tenancy`), with defaults, as plain data. */

export interface StackSettings {
  /** Directory holding tenants/<slug>.yaml. */
  tenantsDir: string;
  /** The plans file. */
  plansFile: string;
  /** Namespace of the shared platform (NATS hub, platform services, CA keys). */
  platformNamespace: string;
  natsHub: {
    /** Labels of the NATS hub pods in the platform namespace. */
    podLabels: Record<string, string>;
    clientPort: number;
    leafPort: number;
  };
  dns: {
    namespace: string;
    podLabels: Record<string, string>;
  };
  /** When set, the Kubernetes provider writes YAML here instead of talking to a cluster. */
  renderYamlToDirectory?: string;
}

/**
 * Pulumi hands every config value to the program as a string; structured values (label maps,
 * numbers) arrive JSON-encoded.
 */
export function decodeConfigValue(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Reads settings through a getter of decoded config values; missing keys get defaults. */
export function readSettings(get: (key: string) => unknown): StackSettings {
  const str = (key: string, fallback: string) => (get(key) as string | undefined) ?? fallback;
  const num = (key: string, fallback: number) => (get(key) as number | undefined) ?? fallback;
  const labels = (key: string, fallback: Record<string, string>) =>
    (get(key) as Record<string, string> | undefined) ?? fallback;
  return {
    tenantsDir: str("tenantsDir", "tenants"),
    plansFile: str("plansFile", "plans/plans.yaml"),
    platformNamespace: str("platformNamespace", "platform"),
    natsHub: {
      podLabels: labels("natsHubPodLabels", { "app.kubernetes.io/name": "nats", "app.kubernetes.io/component": "nats" }),
      clientPort: num("natsClientPort", 4222),
      leafPort: num("natsLeafPort", 7422),
    },
    dns: {
      namespace: str("dnsNamespace", "kube-system"),
      podLabels: labels("dnsPodLabels", { "k8s-app": "kube-dns" }),
    },
    renderYamlToDirectory: get("renderYamlToDirectory") as string | undefined,
  };
}
