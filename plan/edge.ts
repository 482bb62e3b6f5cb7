/**
 * A tenant's edge as data: the leaf NATS node and the collectors its file lists, with their
 * configuration files, mounts, ports, pod specs, network policies and onboarding bundles. Pure, so
 * it is tested without Pulumi; components/edge.ts declares it.
 *
 *   device ──514/udp──▶ flowgger ─┐                                   ┌── hub (platform)
 *   device ──162/udp──▶ trapd    ─┼─tls+creds─▶ nats-leaf ──tls 7422──┤   account TENANT_<slug>
 *   device ─2055/udp──▶ netflow  ─┤  (4222)     (operator mode,       └── tenant streams
 *   app ─4317/4318───▶ otel     ─┘              tenant account only)
 *
 * The leaf runs in operator mode with only the tenant's account (and the system account the
 * operator names): a collector authenticates there with its own creds, so its permissions
 * (publish `<slug>.>` only) hold at the edge already, and the leaf's remote binds everything to
 * the tenant's account on the hub. Collectors and leaf authenticate each other with certificates
 * of the tenant CA; the leaf verifies the hub with the hub CA and presents its own certificate.
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import { stringify as stringifyToml } from "smol-toml";
import { stringify as stringifyYaml } from "yaml";
import type { Limits, QuotaReservation } from "../model/limits";
import type { TenantModel } from "../model/model";
import { parseQuantityMilli } from "../lib/quantity";
import { LABELS, MANAGED_BY, PART_OF } from "../model/names";
import { CREDS_KEY, EDGE_INBOX_PREFIX } from "./nats";
import type { CollectorType } from "../model/schema";
import { LEAF_COMPONENT, LEAF_PARTITION, LEAF_SERVICE_NAME, collectorServiceName, componentSecretName } from "./pki";
import type { NetworkPolicySpec, PlatformNetwork } from "./network";
import { EDGE_SERVICE_TYPES, type EdgeServiceType, type EdgeSettings } from "../config/settings";
import type { Problem } from "../model/validate";

/** Port of the leaf's listener for collectors (inside the edge namespace or the customer's site). */
export const LEAF_CLIENT_PORT = 4222;
/** The leaf's monitoring endpoint: health probes only, never exposed by a Service or a policy. */
export const LEAF_MONITOR_PORT = 8222;
export const LEAF_CREDS_SECRET = "nats-leaf-creds";
export const leafConfigMapName = "nats-leaf-config";
export const LEAF_CONFIG_KEY = "nats-leaf.conf";

/** Unprivileged uid/gid every edge container runs as (the distroless "nonroot" user). */
export const EDGE_UID = 65532;

/** Where a collector finds its files; the same paths in the cluster and in an onboarding bundle. */
export const COLLECTOR_PATHS = {
  configDir: "/etc/serviceradar/config",
  certDir: "/etc/serviceradar/certs",
  cert: "/etc/serviceradar/certs/collector.pem",
  key: "/etc/serviceradar/certs/collector-key.pem",
  /** The tenant CA: the only anchor a collector trusts, so it talks to its own tenant's leaf only. */
  ca: "/etc/serviceradar/certs/ca.pem",
  credsDir: "/etc/serviceradar/nats",
  creds: `/etc/serviceradar/nats/${CREDS_KEY}`,
} as const;

export const LEAF_PATHS = {
  configDir: "/etc/nats/config",
  config: `/etc/nats/config/${LEAF_CONFIG_KEY}`,
  tlsDir: "/etc/nats/tls",
  cert: "/etc/nats/tls/tls.crt",
  key: "/etc/nats/tls/tls.key",
  ca: "/etc/nats/tls/ca.crt",
  hubCa: "/etc/nats/tls/hub-ca.crt",
  credsDir: "/etc/nats/creds",
  creds: `/etc/nats/creds/${CREDS_KEY}`,
} as const;

/** An ingest port: what the Service exposes (the well-known port) and what the container binds. */
export interface IngestPort {
  name: string;
  protocol: "UDP" | "TCP";
  /** The well-known port devices send to (on the Service). */
  servicePort: number;
  /**
   * The port the container binds: above 1024 for privileged well-known ports, because the
   * container runs as non-root without NET_BIND_SERVICE (Pod Security `restricted`).
   */
  containerPort: number;
}

interface CollectorKind {
  /** The collector's own configuration format and file name. */
  format: "toml" | "json" | "yaml";
  configFile: string;
  ingest: IngestPort[];
  /** Subjects as the collector is configured with them; it prefixes `<tenant_slug>.` (seed 000 §2). */
  subjects: Record<string, string>;
}

export const COLLECTOR_KINDS: Record<CollectorType, CollectorKind> = {
  flowgger: {
    format: "toml",
    configFile: "flowgger.toml",
    ingest: [{ name: "syslog", protocol: "UDP", servicePort: 514, containerPort: 1514 }],
    subjects: { events: "events.syslog" },
  },
  trapd: {
    format: "json",
    configFile: "trapd.json",
    ingest: [{ name: "snmp-trap", protocol: "UDP", servicePort: 162, containerPort: 1162 }],
    subjects: { traps: "snmp.traps" },
  },
  netflow: {
    format: "json",
    configFile: "netflow.json",
    ingest: [{ name: "netflow", protocol: "UDP", servicePort: 2055, containerPort: 2055 }],
    subjects: { flows: "netflow.flows" },
  },
  otel: {
    format: "yaml",
    configFile: "otel.yaml",
    ingest: [
      { name: "otlp-grpc", protocol: "TCP", servicePort: 4317, containerPort: 4317 },
      { name: "otlp-http", protocol: "TCP", servicePort: 4318, containerPort: 4318 },
    ],
    subjects: { metrics: "otel.metrics", traces: "otel.traces" },
  },
};

/** The leaf's address inside the edge (cluster namespace or the site's container network). */
export const leafUrl = () => `tls://${LEAF_SERVICE_NAME}:${LEAF_CLIENT_PORT}`;

/** A collector's configuration, in its own format, as a plain object (serialized by `configText`). */
export function collectorConfig(type: CollectorType, slug: string): Record<string, unknown> {
  const kind = COLLECTOR_KINDS[type];
  const listen = (p: IngestPort) => `0.0.0.0:${p.containerPort}`;
  const nats = { url: leafUrl(), creds_file: COLLECTOR_PATHS.creds, inbox_prefix: EDGE_INBOX_PREFIX };
  const tls = { cert_file: COLLECTOR_PATHS.cert, key_file: COLLECTOR_PATHS.key, ca_file: COLLECTOR_PATHS.ca };
  switch (type) {
    case "flowgger":
      // seed 000 §2: [output] with tenant_slug and the unprefixed subject; [security] with the mTLS files.
      return {
        input: { type: "udp", listen: listen(kind.ingest[0]), format: "rfc5424" },
        output: { type: "nats", tenant_slug: slug, nats_subject: kind.subjects.events, nats_url: nats.url, nats_creds_file: nats.creds_file, nats_inbox_prefix: nats.inbox_prefix },
        security: tls,
      };
    case "trapd":
    case "netflow":
      // One listener, one subject: the same JSON shape for both.
      return {
        listen_addr: listen(kind.ingest[0]),
        tenant_slug: slug,
        nats_url: nats.url,
        nats_subject: Object.values(kind.subjects)[0],
        nats_creds_file: nats.creds_file,
        nats_inbox_prefix: nats.inbox_prefix,
        security: { mode: "mtls", ...tls },
      };
    case "otel":
      return {
        tenant_slug: slug,
        receivers: { otlp: { protocols: { grpc: { endpoint: listen(kind.ingest[0]) }, http: { endpoint: listen(kind.ingest[1]) } }, tls: { cert_file: COLLECTOR_PATHS.cert, key_file: COLLECTOR_PATHS.key } } },
        nats: { ...nats, subjects: kind.subjects, tls },
      };
  }
}

export interface EdgeMount {
  volume: string;
  mountPath: string;
  source: { secret: string } | { configMap: string };
  /** Keys of the Secret or ConfigMap and the file name each becomes under `mountPath`. */
  items: { key: string; path: string }[];
}

export interface EdgeWorkloadPlan {
  /** Deployment, Service and ConfigMap stem: `<type>-<partition>` or `nats-leaf`. */
  name: string;
  component: CollectorType | typeof LEAF_COMPONENT;
  partition: string;
  replicas: number;
  image: string;
  args: string[];
  labels: Record<string, string>;
  configMap: { name: string; key: string };
  mounts: EdgeMount[];
  /** Container ports (name, protocol, port the container binds). */
  ports: { name: string; protocol: "UDP" | "TCP"; containerPort: number }[];
  /** Service ports: the well-known port mapped onto the container's. */
  servicePorts: { name: string; protocol: "UDP" | "TCP"; port: number; targetPort: number }[];
  /** Ports the outside may send to (the collectors' ingest ports), with the container port. */
  ingest: IngestPort[];
  tlsSecret: string;
  credsSecret: string;
  probe?: k8s.core.v1.Probe;
  /**
   * Collectors roll (the new pod starts before the old stops). The leaf is recreated: a surge
   * leaf would be a second leaf connection (plans may admit one) and, Ready before its hub link is
   * up, would take collector traffic it cannot forward.
   */
  strategy: k8s.apps.v1.DeploymentStrategy;
  /** The Service's type: collectors' from `tenancy:edgeServiceType`, the leaf's always ClusterIP. */
  serviceType: EdgeServiceType;
}

const ROLLING: k8s.apps.v1.DeploymentStrategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
const RECREATE: k8s.apps.v1.DeploymentStrategy = { type: "Recreate" };

const byRole = (slug: string, component: string, instance: string) => ({
  [LABELS.tenant]: slug,
  "app.kubernetes.io/name": component,
  "app.kubernetes.io/instance": instance,
  "app.kubernetes.io/component": component === LEAF_COMPONENT ? "leaf" : "collector",
  [LABELS.managedBy]: MANAGED_BY,
  [LABELS.partOf]: PART_OF,
});

/** Selects every collector pod of an edge namespace (and no leaf). */
export const COLLECTOR_SELECTOR = { "app.kubernetes.io/component": "collector" };
/** Selects the leaf pod of an edge namespace. */
export const LEAF_SELECTOR = { "app.kubernetes.io/component": "leaf" };

/** Annotation on bundle Secrets: `<slug>/<collector>`, where a revealed render writes the files. */
export const BUNDLE_ANNOTATION = "tenancy.serviceradar.io/onboarding-bundle";

export const collectorCredsSecretName = (type: string, partition: string) => `${collectorServiceName(type, partition)}-nats-creds`;
export const onboardingSecretName = (type: string, partition: string) => `onboarding-${collectorServiceName(type, partition)}`;

/**
 * The edge's workloads. A suspended tenant keeps every object with zero replicas; a decommissioned
 * one runs nothing (its certificates and creds are gone, see lib/pki.ts and lib/nats-plan.ts).
 */
export function edgeWorkloads(tenant: TenantModel, settings: EdgeSettings): EdgeWorkloadPlan[] {
  if (tenant.status === "decommissioned" || tenant.collectors.length === 0) return [];
  const running = tenant.status === "active";
  const collectors = tenant.collectors.map((c): EdgeWorkloadPlan => {
    const name = collectorServiceName(c.type, c.partition);
    const kind = COLLECTOR_KINDS[c.type];
    return {
      name,
      component: c.type,
      partition: c.partition,
      replicas: running ? c.replicas : 0,
      image: settings.collectorImages[c.type],
      args: ["--config", `${COLLECTOR_PATHS.configDir}/${kind.configFile}`],
      labels: byRole(tenant.slug, c.type, name),
      configMap: { name: `${name}-config`, key: kind.configFile },
      tlsSecret: componentSecretName(c.type, c.partition),
      credsSecret: collectorCredsSecretName(c.type, c.partition),
      mounts: [
        { volume: "config", mountPath: COLLECTOR_PATHS.configDir, source: { configMap: `${name}-config` }, items: [{ key: kind.configFile, path: kind.configFile }] },
        {
          volume: "certs",
          mountPath: COLLECTOR_PATHS.certDir,
          source: { secret: componentSecretName(c.type, c.partition) },
          items: [
            { key: "tls.crt", path: basename(COLLECTOR_PATHS.cert) },
            { key: "tls.key", path: basename(COLLECTOR_PATHS.key) },
            { key: "ca.crt", path: basename(COLLECTOR_PATHS.ca) },
          ],
        },
        { volume: "nats-creds", mountPath: COLLECTOR_PATHS.credsDir, source: { secret: collectorCredsSecretName(c.type, c.partition) }, items: [{ key: CREDS_KEY, path: CREDS_KEY }] },
      ],
      ports: kind.ingest.map((p) => ({ name: p.name, protocol: p.protocol, containerPort: p.containerPort })),
      servicePorts: kind.ingest.map((p) => ({ name: p.name, protocol: p.protocol, port: p.servicePort, targetPort: p.containerPort })),
      ingest: kind.ingest,
      strategy: ROLLING,
      serviceType: settings.serviceType,
      // UDP listeners cannot be probed; TCP ones are probed on their port.
      probe: kind.ingest.some((p) => p.protocol === "TCP") ? { tcpSocket: { port: kind.ingest.find((p) => p.protocol === "TCP")!.containerPort }, periodSeconds: 10 } : undefined,
    };
  });
  const leaf: EdgeWorkloadPlan = {
    name: LEAF_SERVICE_NAME,
    component: LEAF_COMPONENT,
    partition: LEAF_PARTITION,
    replicas: running ? 1 : 0,
    image: settings.leafImage,
    args: ["--config", LEAF_PATHS.config],
    labels: byRole(tenant.slug, LEAF_COMPONENT, LEAF_SERVICE_NAME),
    configMap: { name: leafConfigMapName, key: LEAF_CONFIG_KEY },
    tlsSecret: componentSecretName(LEAF_COMPONENT, LEAF_PARTITION),
    credsSecret: LEAF_CREDS_SECRET,
    mounts: [
      { volume: "config", mountPath: LEAF_PATHS.configDir, source: { configMap: leafConfigMapName }, items: [{ key: LEAF_CONFIG_KEY, path: LEAF_CONFIG_KEY }] },
      {
        volume: "tls",
        mountPath: LEAF_PATHS.tlsDir,
        source: { secret: componentSecretName(LEAF_COMPONENT, LEAF_PARTITION) },
        items: ["tls.crt", "tls.key", "ca.crt", "hub-ca.crt"].map((key) => ({ key, path: key })),
      },
      { volume: "nats-creds", mountPath: LEAF_PATHS.credsDir, source: { secret: LEAF_CREDS_SECRET }, items: [{ key: CREDS_KEY, path: CREDS_KEY }] },
    ],
    ports: [
      { name: "nats", protocol: "TCP", containerPort: LEAF_CLIENT_PORT },
      { name: "monitor", protocol: "TCP", containerPort: LEAF_MONITOR_PORT },
    ],
    servicePorts: [{ name: "nats", protocol: "TCP", port: LEAF_CLIENT_PORT, targetPort: LEAF_CLIENT_PORT }],
    ingest: [],
    strategy: RECREATE,
    serviceType: "ClusterIP",
    probe: { httpGet: { path: "/healthz", port: LEAF_MONITOR_PORT }, periodSeconds: 10 },
  };
  return [...collectors, leaf];
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

/**
 * The pod spec of an edge workload: Pod Security `restricted` (non-root, no privilege escalation,
 * every capability dropped, RuntimeDefault seccomp, read-only root filesystem), no service account
 * token (nothing here talks to the Kubernetes API), requests and limits from the plan's LimitRange
 * defaults so the quota reserved for the edge (`edgeQuotaNeeds`) is exactly what it uses.
 */
export function edgePodSpec(w: EdgeWorkloadPlan, tenant: TenantModel): k8s.core.v1.PodSpec {
  const lr = tenant.limits.kubernetes.limitRange;
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: { runAsNonRoot: true, runAsUser: EDGE_UID, runAsGroup: EDGE_UID, fsGroup: EDGE_UID, seccompProfile: { type: "RuntimeDefault" } },
    containers: [
      {
        name: w.component,
        image: w.image,
        args: w.args,
        ports: w.ports.map((p) => ({ name: p.name, protocol: p.protocol, containerPort: p.containerPort })),
        resources: {
          requests: { cpu: String(lr.defaultRequest.cpu), memory: String(lr.defaultRequest.memory) },
          limits: { cpu: String(lr.default.cpu), memory: String(lr.default.memory) },
        },
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } },
        volumeMounts: [...w.mounts.map((m) => ({ name: m.volume, mountPath: m.mountPath, readOnly: true })), { name: "tmp", mountPath: "/tmp" }],
        ...(w.probe ? { readinessProbe: w.probe, livenessProbe: { ...w.probe, initialDelaySeconds: 10 } } : {}),
      },
    ],
    volumes: [
      ...w.mounts.map((m) =>
        "secret" in m.source
          ? { name: m.volume, secret: { secretName: m.source.secret, items: m.items, defaultMode: 0o440 } }
          : { name: m.volume, configMap: { name: m.source.configMap, items: m.items } },
      ),
      // The root filesystem is read-only; scratch space is memory-backed and bounded.
      { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
    ],
  };
}

/**
 * Pods the edge may run at once: every collector replica plus one surge pod per collector
 * Deployment (rolling updates start the new pod before stopping the old), so an update never
 * waits on the quota; and the leaf, recreated (never two at once).
 */
export function edgePodCount(collectors: readonly { replicas?: number }[]): number {
  if (collectors.length === 0) return 0;
  return collectors.reduce((n, c) => n + (c.replicas ?? 1) + 1, 0) + 1;
}

/** Object counts the edge namespace holds (besides pods), for its ResourceQuota. */
export function edgeObjectCounts(collectorCount: number, serviceType: EdgeServiceType = "ClusterIP"): { services: number; loadBalancers: number; configmaps: number; secrets: number } {
  if (collectorCount === 0) return { services: 0, loadBalancers: 0, configmaps: 0, secrets: 0 };
  return {
    services: collectorCount + 1,
    // One per collector; no node ports (`allocateLoadBalancerNodePorts: false`).
    loadBalancers: serviceType === "LoadBalancer" ? collectorCount : 0,
    // + kube-root-ca.crt, which Kubernetes puts in every namespace and counts against the quota.
    configmaps: collectorCount + 2,
    // Per collector: certificate, creds, onboarding bundle; the leaf: certificate, creds.
    secrets: 3 * collectorCount + 2,
  };
}

export type LeafHubTarget = { kind: "platform" } | { kind: "external"; cidrs: string[] };

/**
 * The edge namespace's NetworkPolicies. Nothing in the edge talks to the tenant's other namespaces:
 * collectors reach only the leaf (and DNS), the leaf reaches only the hub's leaf port (and DNS),
 * and only the collectors' ingest ports are open, to addresses outside the cluster's pod network.
 */
export function edgeNetworkPolicies(workloads: EdgeWorkloadPlan[], platform: PlatformNetwork, edge: EdgeSettings, hub: LeafHubTarget, podCidrs: readonly string[]): NetworkPolicySpec[] {
  const podsOf = (labels: Record<string, string>) => ({ podSelector: { matchLabels: labels } });
  // `podCidrs`: the pod network of the cluster the edge runs in; none of its pods is a device.
  const ingestFrom = edge.ingestCidrs.map((cidr) => ({ ipBlock: { cidr, ...(podCidrs.length ? { except: [...podCidrs] } : {}) } }));
  const hubPeers: k8s.networking.v1.NetworkPolicyPeer[] =
    hub.kind === "platform"
      ? [{ namespaceSelector: { matchLabels: { [LABELS.namespaceName]: platform.platformNamespace } }, podSelector: { matchLabels: platform.natsHub.podLabels } }]
      : hub.cidrs.map((cidr) => ({ ipBlock: { cidr } }));
  const policies: NetworkPolicySpec[] = [
    { name: "default-deny", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
    {
      name: "allow-dns",
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { [LABELS.namespaceName]: platform.dns.namespace } }, podSelector: { matchLabels: platform.dns.podLabels } }],
            ports: [
              { protocol: "UDP", port: 53 },
              { protocol: "TCP", port: 53 },
            ],
          },
        ],
      },
    },
    {
      name: "collectors-to-leaf",
      spec: { podSelector: { matchLabels: COLLECTOR_SELECTOR }, policyTypes: ["Egress"], egress: [{ to: [podsOf(LEAF_SELECTOR)], ports: [{ protocol: "TCP", port: LEAF_CLIENT_PORT }] }] },
    },
    {
      name: "leaf-from-collectors",
      spec: { podSelector: { matchLabels: LEAF_SELECTOR }, policyTypes: ["Ingress"], ingress: [{ from: [podsOf(COLLECTOR_SELECTOR)], ports: [{ protocol: "TCP", port: LEAF_CLIENT_PORT }] }] },
    },
    {
      name: "leaf-to-hub",
      spec: { podSelector: { matchLabels: LEAF_SELECTOR }, policyTypes: ["Egress"], egress: [{ to: hubPeers, ports: [{ protocol: "TCP", port: platform.natsHub.leafPort }] }] },
    },
  ];
  for (const w of workloads) {
    if (w.ingest.length === 0) continue;
    policies.push({
      name: `ingest-${w.name}`,
      spec: {
        podSelector: { matchLabels: { "app.kubernetes.io/instance": w.name } },
        policyTypes: ["Ingress"],
        // A policy matches pods by container port, after the Service has mapped the well-known one.
        ingress: [{ from: ingestFrom, ports: w.ingest.map((p) => ({ protocol: p.protocol, port: p.containerPort })) }],
      },
    });
  }
  return policies;
}

/** Public claims the leaf needs to run its tenant's account locally. */
export interface LeafIdentity {
  operatorJwt: string;
  system: { pub: string; jwt: string };
  account: { pub: string; jwt: string };
}

/**
 * The leaf node's nats-server configuration. Operator mode with a MEMORY resolver holding only the
 * tenant's account (and the system account the operator names, which operator mode requires):
 * collectors' creds are checked here, with their permissions. The remote binds the local account
 * to the hub with the leaf user's creds; the hub maps the connection to the account that issued
 * that user, whatever the leaf claims.
 */
export function leafNodeConfig(args: { slug: string; identity: LeafIdentity; hubLeafUrl: string; maxPayload: number }): string {
  const p = LEAF_PATHS;
  const q = (s: string) => JSON.stringify(s);
  const { identity } = args;
  return [
    `# nats-server leaf node of tenant ${args.slug}: generated by lib/edge.ts, do not edit.`,
    `server_name: ${q(`leaf-${args.slug}`)}`,
    `port: ${LEAF_CLIENT_PORT}`,
    `http_port: ${LEAF_MONITOR_PORT}`,
    ...(args.maxPayload > 0 ? [`max_payload: ${args.maxPayload}`] : []),
    `operator: ${q(identity.operatorJwt)}`,
    `system_account: ${identity.system.pub}`,
    `resolver: MEMORY`,
    `resolver_preload: {`,
    `  ${identity.system.pub}: ${q(identity.system.jwt)}`,
    `  ${identity.account.pub}: ${q(identity.account.jwt)}`,
    `}`,
    `# Collectors present a certificate of the tenant CA; nothing else is accepted.`,
    `tls {`,
    `  cert_file: ${q(p.cert)}`,
    `  key_file: ${q(p.key)}`,
    `  ca_file: ${q(p.ca)}`,
    `  verify: true`,
    `}`,
    `leafnodes {`,
    `  remotes: [`,
    `    {`,
    `      url: ${q(args.hubLeafUrl)}`,
    `      account: ${identity.account.pub}`,
    `      credentials: ${q(p.creds)}`,
    `      tls {`,
    `        cert_file: ${q(p.cert)}`,
    `        key_file: ${q(p.key)}`,
    `        ca_file: ${q(p.hubCa)}`,
    `      }`,
    `    }`,
    `  ]`,
    `}`,
    "",
  ].join("\n");
}

/**
 * The edge namespace's quota: exactly what its workloads use (see `edgePodSpec`, `edgePodCount`,
 * `edgeObjectCounts`). In the platform cluster it is set aside from the tenant's total before the
 * rest is split over the other namespaces, so the edge can always be scheduled.
 */
export function edgeQuotaNeeds(collectors: readonly { replicas?: number }[], limits: Limits, serviceType: EdgeServiceType = "ClusterIP"): QuotaReservation {
  const pods = BigInt(edgePodCount(collectors));
  if (pods === 0n) return {};
  const lr = limits.kubernetes.limitRange;
  const milli = (v: string | number) => parseQuantityMilli(v) ?? 0n;
  const counts = edgeObjectCounts(collectors.length, serviceType);
  return {
    "requests.cpu": milli(lr.defaultRequest.cpu) * pods,
    "requests.memory": milli(lr.defaultRequest.memory) * pods,
    "limits.cpu": milli(lr.default.cpu) * pods,
    "limits.memory": milli(lr.default.memory) * pods,
    "requests.storage": 0n,
    persistentvolumeclaims: 0n,
    pods: pods * 1000n,
    services: BigInt(counts.services) * 1000n,
    "services.loadbalancers": BigInt(counts.loadBalancers) * 1000n,
    "services.nodeports": 0n,
    configmaps: BigInt(counts.configmaps) * 1000n,
    secrets: BigInt(counts.secrets) * 1000n,
  };
}

/** A collector's configuration file, serialized in its format (deterministic key order). */
export function collectorConfigText(type: CollectorType, slug: string): string {
  const config = collectorConfig(type, slug);
  const header = `generated by lib/edge.ts for tenant ${slug}; tenant_slug prefixes every subject`;
  switch (COLLECTOR_KINDS[type].format) {
    case "toml":
      return `# ${header}\n${stringifyToml(config)}\n`;
    case "json":
      return `${JSON.stringify(config, null, 2)}\n`;
    case "yaml":
      return `# ${header}\n${stringifyYaml(config, { lineWidth: 0 })}`;
  }
}

/** Files of an onboarding bundle, as Secret keys (flat: Secret keys cannot hold "/"). */
export interface BundleInputs {
  slug: string;
  type: CollectorType;
  partition: string;
  collectorImage: string;
  leafImage: string;
  /** The collector's config, certificate chain and key, tenant CA, creds. */
  config: string;
  certChainPem: string;
  keyPem: string;
  tenantCaPem: string;
  creds: string;
  /** The leaf node's config (dialling the public hub address), certificate, key, creds. */
  leafConfig: string;
  leafCertChainPem: string;
  leafKeyPem: string;
  hubCaPem: string;
  leafCreds: string;
  /** The hub address the leaf dials, or undefined when the stack has no public one. */
  publicHubLeafUrl?: string;
}

/**
 * Bundle file → where install.sh puts it (under its prefix), and its mode. Each collector has its
 * own directory (`<type>-<partition>/serviceradar`, mounted at /etc/serviceradar): a second
 * bundle on the same site must not replace the first one's certificate, key or creds. The site's
 * leaf files (`nats/`, mounted at /etc/nats) are the same in every bundle of the tenant.
 */
export function bundleLayout(type: CollectorType, partition: string): { key: string; path: string; mode: string }[] {
  const kind = COLLECTOR_KINDS[type];
  const own = `${collectorServiceName(type, partition)}/`;
  const under = (p: string) => p.replace(/^\/etc\//, "");
  return [
    { key: kind.configFile, path: own + under(`${COLLECTOR_PATHS.configDir}/${kind.configFile}`), mode: "0644" },
    { key: "collector.pem", path: own + under(COLLECTOR_PATHS.cert), mode: "0644" },
    { key: "collector-key.pem", path: own + under(COLLECTOR_PATHS.key), mode: "0600" },
    { key: "ca.pem", path: own + under(COLLECTOR_PATHS.ca), mode: "0644" },
    { key: "collector.creds", path: own + under(COLLECTOR_PATHS.creds), mode: "0600" },
    { key: LEAF_CONFIG_KEY, path: under(LEAF_PATHS.config), mode: "0644" },
    { key: "leaf.crt", path: under(LEAF_PATHS.cert), mode: "0644" },
    { key: "leaf.key", path: under(LEAF_PATHS.key), mode: "0600" },
    { key: "leaf-ca.crt", path: under(LEAF_PATHS.ca), mode: "0644" },
    { key: "hub-ca.crt", path: under(LEAF_PATHS.hubCa), mode: "0644" },
    { key: "leaf.creds", path: under(LEAF_PATHS.creds), mode: "0600" },
  ];
}

/**
 * The onboarding bundle of one collector (seed 000 §4: certs, config, NATS creds, setup script):
 * everything to run the collector and its site's leaf node outside the cluster, with the same
 * paths as in the cluster so the same configuration files work.
 */
export function onboardingBundle(b: BundleInputs): Record<string, string> {
  const kind = COLLECTOR_KINDS[b.type];
  const name = collectorServiceName(b.type, b.partition);
  const layout = bundleLayout(b.type, b.partition);
  const files: Record<string, string> = {
    [kind.configFile]: b.config,
    "collector.pem": b.certChainPem,
    "collector-key.pem": b.keyPem,
    "ca.pem": b.tenantCaPem,
    "collector.creds": b.creds,
    [LEAF_CONFIG_KEY]: b.leafConfig,
    "leaf.crt": b.leafCertChainPem,
    "leaf.key": b.leafKeyPem,
    "leaf-ca.crt": b.tenantCaPem,
    "hub-ca.crt": b.hubCaPem,
    "leaf.creds": b.leafCreds,
  };
  const publish = kind.ingest.map((p) => `-p ${p.servicePort}:${p.containerPort}/${p.protocol.toLowerCase()}`).join(" ");
  const install = [
    "#!/bin/sh",
    `# Runs collector ${name} of tenant ${b.slug} and the site's leaf NATS node with Docker or Podman.`,
    "# Outbound only: the leaf dials the hub's leaf port over TLS; devices send to the published ports.",
    "set -eu",
    'HERE=$(cd "$(dirname "$0")" && pwd)',
    'RUNTIME=${CONTAINER_RUNTIME:-docker}',
    `PREFIX=\${PREFIX:-/etc/serviceradar-edge/${b.slug}}`,
    `NETWORK=\${NETWORK:-serviceradar-${b.slug}}`,
    "",
    ...layout.map((f) => `install -D -m ${f.mode} -o ${EDGE_UID} -g ${EDGE_UID} "$HERE/${f.key}" "$PREFIX/${f.path}"`),
    "",
    '"$RUNTIME" network inspect "$NETWORK" >/dev/null 2>&1 || "$RUNTIME" network create "$NETWORK"',
    "# One leaf per site: a second collector's bundle reuses the running one.",
    `if ! "$RUNTIME" container inspect nats-leaf-${b.slug} >/dev/null 2>&1; then`,
    `  "$RUNTIME" run -d --name nats-leaf-${b.slug} --network "$NETWORK" --network-alias ${LEAF_SERVICE_NAME} --restart unless-stopped \\`,
    `    --read-only --cap-drop ALL --security-opt no-new-privileges --user ${EDGE_UID}:${EDGE_UID} \\`,
    `    -v "$PREFIX/nats:/etc/nats:ro" ${b.leafImage} --config ${LEAF_PATHS.config}`,
    "fi",
    `"$RUNTIME" rm -f ${name}-${b.slug} >/dev/null 2>&1 || true`,
    `"$RUNTIME" run -d --name ${name}-${b.slug} --network "$NETWORK" --restart unless-stopped ${publish} \\`,
    `  --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges --user ${EDGE_UID}:${EDGE_UID} \\`,
    `  -v "$PREFIX/${name}/serviceradar:/etc/serviceradar:ro" ${b.collectorImage} --config ${COLLECTOR_PATHS.configDir}/${kind.configFile}`,
    `echo "collector ${name} of ${b.slug} started; the leaf dials ${b.publicHubLeafUrl ?? "(no public hub address configured)"}"`,
    "",
  ].join("\n");
  const subjects = Object.values(kind.subjects).map((s) => `\`${b.slug}.${s}\``).join(", ");
  const readme = [
    `# Onboarding bundle: ${b.type} collector "${b.partition}" of tenant ${b.slug}`,
    "",
    `This bundle runs the collector and the site's leaf NATS node in your network. It publishes ${subjects}`,
    `to your tenant's account on the ServiceRadar hub through the leaf node; nothing else is reachable with it.`,
    "",
    "Requirements: Docker or Podman; outbound TCP to the hub's leaf port; inbound " +
      kind.ingest.map((p) => `${p.servicePort}/${p.protocol.toLowerCase()} (${p.name})`).join(", ") + " from your devices.",
    "",
    "    sudo ./install.sh            # CONTAINER_RUNTIME=podman PREFIX=/srv/edge ./install.sh to change",
    "",
    b.publicHubLeafUrl
      ? `The leaf dials ${b.publicHubLeafUrl}, verifies it with hub-ca.crt and presents leaf.crt.`
      : "WARNING: the stack has no public hub address (tenancy:natsHubPublicDnsNames); nats-leaf.conf dials the in-cluster address.",
    "",
    "| File | What it is | Secret |",
    "|---|---|---|",
    `| ${kind.configFile} | collector configuration (tenant_slug ${b.slug}) | no |`,
    "| collector.pem, collector-key.pem | the collector's certificate (chain up to your tenant CA) and key | key: yes |",
    "| ca.pem, leaf-ca.crt | your tenant CA: collector and leaf accept each other only under it | no |",
    "| collector.creds | the collector's NATS credentials (publish to your subjects only) | yes |",
    `| ${LEAF_CONFIG_KEY}, leaf.crt, leaf.key, leaf.creds | the leaf node: configuration, certificate, key, credentials | key, creds: yes |`,
    "| hub-ca.crt | the CA of the hub's certificate | no |",
    "",
    "Keys and creds are secrets: keep the bundle where only the installing administrator can read it,",
    "and ask the platform team for a credentials or certificate rotation if it leaks.",
    "",
  ].join("\n");
  return { "README.md": readme, "install.sh": install, ...files };
}

const IPV4_CIDR = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(3[0-2]|[12]?\d)$/;

/** Stack config problems in the edge settings, reported with the tenant files' problems. */
export function edgeSettingsProblems(edge: EdgeSettings, source = "stack config"): Problem[] {
  const problems: Problem[] = [];
  if (!EDGE_SERVICE_TYPES.includes(edge.serviceType)) problems.push({ file: source, path: "tenancy:edgeServiceType", rule: `must be one of ${EDGE_SERVICE_TYPES.join(", ")}` });
  if (edge.clusterPodCidrs === undefined) {
    problems.push({
      file: source,
      path: "tenancy:clusterPodCidrs",
      rule: 'is required: the platform cluster\'s pod network (e.g. ["10.244.0.0/16"]), which no ingest port and no outside leaf source may include',
    });
  }
  const cidrs: [string, unknown][] = [
    ["edgeIngestCidrs", edge.ingestCidrs],
    ...(edge.clusterPodCidrs === undefined ? [] : [["clusterPodCidrs", edge.clusterPodCidrs] as [string, unknown]]),
    ...Object.entries(edge.edgeClusterPodCidrs ?? {}).map(([name, list]): [string, unknown] => [`edgeClusterPodCidrs.${name}`, list]),
    ["edgePublicHubCidrs", edge.publicHubCidrs],
    ["edgeLeafSourceCidrs", edge.leafSourceCidrs],
  ];
  for (const [key, list] of cidrs) {
    if (!Array.isArray(list)) problems.push({ file: source, path: `tenancy:${key}`, rule: 'must be a list of IPv4 CIDRs, e.g. ["10.244.0.0/16"]' });
    else list.forEach((c, i) => {
      if (typeof c !== "string" || !IPV4_CIDR.test(c)) problems.push({ file: source, path: `tenancy:${key}[${i}]`, rule: `${JSON.stringify(c)} is not an IPv4 CIDR` });
    });
  }
  const images: [string, unknown][] = [["edgeLeafImage", edge.leafImage], ...Object.entries(edge.collectorImages).map(([t, i]): [string, unknown] => [`edgeCollectorImages.${t}`, i])];
  for (const [key, image] of images) {
    if (typeof image !== "string" || !/^[a-z0-9][\w./:@-]*$/i.test(image)) problems.push({ file: source, path: `tenancy:${key}`, rule: "must be a container image reference" });
  }
  return problems;
}
