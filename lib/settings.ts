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
  /** Certificate lifetimes, key curves and stack-wide rotation counters. */
  pki: PkiSettings;
  /** NATS operator and hub wiring. */
  nats: NatsSettings;
  /** When set, the Kubernetes provider writes YAML here instead of talking to a cluster. */
  renderYamlToDirectory?: string;
}

export interface NatsSettings {
  operatorName: string;
  /**
   * `iat` of every JWT, in Unix seconds. Fixed so unchanged claims give identical tokens (no
   * spurious diffs); it never goes backwards. Any claim change still gets a new `jti`.
   */
  claimsIssuedAt: number;
  /** URL NACK and the platform's readers use to reach the hub's client port. */
  hubUrl: string;
  /** Deploy the official NATS Helm chart wired to the generated hub config. */
  deployHub: boolean;
  /** Chart version when `deployHub` is on. */
  hubChartVersion: string;
  /** JetStream replicas of every tenant stream (3 for a clustered hub). */
  streamReplicas: number;
}

export type EcdsaCurve = "P256" | "P384";

/** One class of certificate: how long it lives and when it is due for re-issue. */
export interface CertificateClass {
  validityHours: number;
  /** `readyForRenewal` turns true this many hours before expiry; the rotation job acts on it. */
  earlyRenewalHours: number;
  curve: EcdsaCurve;
}

export interface PkiSettings {
  root: CertificateClass;
  tenantCa: CertificateClass;
  component: CertificateClass;
  /** Stack-wide counters: bumping one re-issues that class (and what it signs) for every tenant. */
  rotation: { root: number; tenantCa: number; component: number; hub: number };
  /** Name of the NATS hub's Service in the platform namespace (the hub certificate's DNS names). */
  hubServiceName: string;
  /** Extra DNS names for the hub certificate: the public name remote leaf nodes dial. */
  hubPublicDnsNames: string[];
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
  const hubServiceName = str("natsHubServiceName", "nats");
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
    nats: {
      operatorName: str("natsOperatorName", "serviceradar"),
      claimsIssuedAt: num("natsClaimsIssuedAt", 1767225600),
      hubUrl: str("natsHubUrl", `tls://${hubServiceName}.${str("platformNamespace", "platform")}.svc:${num("natsClientPort", 4222)}`),
      deployHub: (get("natsDeployHub") as boolean | undefined) ?? false,
      hubChartVersion: str("natsHubChartVersion", "1.3.16"),
      streamReplicas: num("natsStreamReplicas", 1),
    },
    pki: {
      root: {
        validityHours: num("pkiRootValidityHours", 87600),
        earlyRenewalHours: num("pkiRootEarlyRenewalHours", 8760),
        curve: str("pkiRootCurve", "P384") as EcdsaCurve,
      },
      tenantCa: {
        validityHours: num("pkiTenantCaValidityHours", 43800),
        earlyRenewalHours: num("pkiTenantCaEarlyRenewalHours", 4380),
        curve: str("pkiTenantCaCurve", "P256") as EcdsaCurve,
      },
      component: {
        validityHours: num("pkiComponentValidityHours", 8760),
        earlyRenewalHours: num("pkiComponentEarlyRenewalHours", 720),
        curve: str("pkiComponentCurve", "P256") as EcdsaCurve,
      },
      rotation: {
        root: num("pkiRootRotation", 0),
        tenantCa: num("pkiTenantCaRotation", 0),
        component: num("pkiComponentRotation", 0),
        hub: num("pkiHubRotation", 0),
      },
      hubServiceName,
      hubPublicDnsNames: (get("natsHubPublicDnsNames") as string[] | undefined) ?? [],
    },
    renderYamlToDirectory: get("renderYamlToDirectory") as string | undefined,
  };
}
