/**
 * A tenant's edge workloads as data: one Deployment (with its Service and ConfigMap) per listed
 * collector and one for the leaf NATS node, with replicas, images, mounts, ports, probes and
 * update strategy. A suspended tenant keeps every object with zero replicas; a decommissioned one
 * runs nothing.
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import type { EdgeSettings } from "../../config/settings";
import type { CollectorModel, EdgeServiceType, TenantModel } from "../../model/model";
import {
  CREDS_KEY,
  LABELS,
  LEAF_COMPONENT,
  LEAF_CONFIGMAP,
  LEAF_CONFIG_KEY,
  LEAF_PARTITION,
  LEAF_SERVICE_NAME,
  STREAMS_CREDS_KEY,
  LEAF_USER_ID,
  collectorConfigMapName,
  streamDefinitionFile,
  collectorUserId,
  collectorServiceName,
  componentLabels,
  componentSecretName,
  managedLabels,
} from "../../model/names";
import type { CollectorType } from "../../model/schema";
import { componentCertificateId } from "../pki";
import { COLLECTOR_KINDS, collectorConfigPath, type IngestPort } from "./collectors";
import type { EdgeLocation } from "./locations";
import { streamsScript } from "./leaf";
import { COLLECTOR_PATHS, LEAF_CLIENT_PORT, LEAF_MONITOR_PORT, LEAF_PATHS, leafUrl } from "./paths";

export interface EdgeMount {
  volume: string;
  mountPath: string;
  source: { secret: string } | { configMap: string };
  /** Keys of the Secret or ConfigMap and the file name each becomes under `mountPath`. */
  items: { key: string; path: string }[];
}

/** What an edge workload's Secret holds under a key: issued in state, filled in by components/edge.ts. */
export type EdgeSecretValue = "certChain" | "key" | "tenantCa" | "hubCa" | "creds" | "streamsCreds";

/**
 * The workload's one Secret: everything its pod reads that is issued (certificate chain, key, the
 * CAs it trusts, its NATS creds), each key mounted where the process reads it; nothing it does not read.
 */
export interface EdgeSecretPlan {
  name: string;
  labels: Record<string, string>;
  /** Key → what it holds. */
  keys: Record<string, EdgeSecretValue>;
}

export interface EdgeWorkloadPlan {
  /** Deployment, Service and ConfigMap stem: `<type>-<partition>` or `nats-leaf`. */
  name: string;
  component: CollectorType | typeof LEAF_COMPONENT;
  partition: string;
  replicas: number;
  image: string;
  args: string[];
  /** Environment of its container (the log-collector and trapd images read CONFIG_PATH). */
  env: { name: string; value: string }[];
  labels: Record<string, string>;
  /** Its ConfigMap and the files (keys) it holds. */
  configMap: { name: string; keys: string[] };
  mounts: EdgeMount[];
  /** A writable scratch volume besides /tmp: the leaf's JetStream store. */
  data?: { volume: string; mountPath: string; sizeLimit: string };
  /** A second container (the leaf's: what keeps its local streams). */
  sidecar?: EdgeSidecarPlan;
  /** Container ports (name, protocol, port the container binds). */
  ports: { name: string; protocol: "UDP" | "TCP"; containerPort: number }[];
  /** Service ports: the well-known port mapped onto the container's. */
  servicePorts: { name: string; protocol: "UDP" | "TCP"; port: number; targetPort: number }[];
  /** Ports the outside may send to (the collectors' ingest ports), with the container port. */
  ingest: IngestPort[];
  secret: EdgeSecretPlan;
  /** The certificate it presents (`ComponentCertificatePlan.id`) and the NATS user it connects as (`NatsUserPlan.id`). */
  certificateId: string;
  userId: string;
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

/** A second container of an edge pod, with its own mounts and the pod's `sharedMounts` volumes. */
export interface EdgeSidecarPlan {
  name: string;
  image: string;
  command: string[];
  env: { name: string; value: string }[];
  mounts: EdgeMount[];
  /** Volumes of the main container it mounts too (by volume name, at the same path). */
  sharedMounts: string[];
}

const LEAF_SECRET = componentSecretName(LEAF_COMPONENT, LEAF_PARTITION);
/** Every edge workload's certificate chain, key and tenant CA, and its own NATS creds. */
const OWN_KEYS: Record<string, EdgeSecretValue> = { "tls.crt": "certChain", "tls.key": "key", "ca.crt": "tenantCa", [CREDS_KEY]: "creds" };
/** Whose Secret it is: the tenant and component (secret placement), and the NATS user its creds are (`nats-user`). */
const secretLabels = (slug: string, component: string, user: "collector" | "leaf") => ({ ...componentLabels(slug, component), [LABELS.natsUser]: user });

const ROLLING: k8s.apps.v1.DeploymentStrategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
const RECREATE: k8s.apps.v1.DeploymentStrategy = { type: "Recreate" };

const byRole = (slug: string, component: string, instance: string) => ({
  [LABELS.tenant]: slug,
  [LABELS.name]: component,
  [LABELS.instance]: instance,
  [LABELS.component]: component === LEAF_COMPONENT ? "leaf" : "collector",
  ...managedLabels(),
});

/** Selects every collector pod of an edge namespace (and no leaf). */
export const COLLECTOR_SELECTOR = { [LABELS.component]: "collector" };

/** Selects the leaf pod of an edge namespace. */
export const LEAF_SELECTOR = { [LABELS.component]: "leaf" };
/** Selects the pods of one workload (its Deployment's selector and its Service's). */
export const workloadSelector = (w: Pick<EdgeWorkloadPlan, "name" | "labels">) => ({ [LABELS.instance]: w.name, [LABELS.name]: w.labels[LABELS.name] });

/**
 * The edge's workloads. A suspended tenant keeps every object with zero replicas; a decommissioned
 * one runs nothing (its certificates and creds are gone, see plan/pki.ts and plan/nats.ts).
 */
export function edgeWorkloads(tenant: TenantModel, settings: EdgeSettings, cluster: EdgeLocation | undefined): EdgeWorkloadPlan[] {
  if (tenant.status === "decommissioned" || tenant.collectors.length === 0 || !cluster) return [];
  const running = tenant.status === "active";
  const collectors = tenant.collectors.map((c) => collectorWorkload(tenant.slug, c, settings, running));
  const leaf: EdgeWorkloadPlan = {
    name: LEAF_SERVICE_NAME,
    component: LEAF_COMPONENT,
    partition: LEAF_PARTITION,
    replicas: running ? 1 : 0,
    image: settings.leafImage,
    args: ["--config", LEAF_PATHS.config],
    env: [],
    labels: byRole(tenant.slug, LEAF_COMPONENT, LEAF_SERVICE_NAME),
    // Its config and, for the container beside it, its local streams' definitions: one ConfigMap.
    configMap: { name: LEAF_CONFIGMAP, keys: [LEAF_CONFIG_KEY, ...cluster.streams.map((s) => streamDefinitionFile(s.name))] },
    secret: {
      name: LEAF_SECRET,
      labels: secretLabels(tenant.slug, LEAF_COMPONENT, "leaf"),
      keys: { ...OWN_KEYS, "hub-ca.crt": "hubCa", [STREAMS_CREDS_KEY]: "streamsCreds" },
    },
    certificateId: componentCertificateId(LEAF_COMPONENT, LEAF_PARTITION),
    userId: LEAF_USER_ID,
    mounts: [
      { volume: "config", mountPath: LEAF_PATHS.configDir, source: { configMap: LEAF_CONFIGMAP }, items: [{ key: LEAF_CONFIG_KEY, path: LEAF_CONFIG_KEY }] },
      leafTlsMount(["tls.crt", "tls.key", "ca.crt", "hub-ca.crt"]),
      { volume: "nats-creds", mountPath: LEAF_PATHS.credsDir, source: { secret: LEAF_SECRET }, items: [{ key: CREDS_KEY, path: CREDS_KEY }] },
    ],
    // In the cluster the buffer covers the hub's restarts; a new leaf pod starts empty (docs/edge.md).
    data: { volume: "jetstream", mountPath: LEAF_PATHS.dataDir, sizeLimit: storeSizeLimit(cluster.bufferBytes) },
    sidecar: streamsSidecar(settings, cluster),
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

/** A collector's Deployment: the real image, started on its rendered file as the image starts. */
function collectorWorkload(slug: string, c: CollectorModel, settings: EdgeSettings, running: boolean): EdgeWorkloadPlan {
  const name = collectorServiceName(c.type, c.partition);
  const kind = COLLECTOR_KINDS[c.type];
  const tcp = kind.ingest.find((p) => p.protocol === "TCP");
  const entry = collectorConfigPath(kind.entryFile);
  const secret = componentSecretName(c.type, c.partition);
  return {
    name,
    component: c.type,
    partition: c.partition,
    replicas: running ? c.replicas : 0,
    image: settings.collectorImages[c.type],
    args: kind.start.kind === "args" ? ["--config", entry] : [],
    env: kind.start.kind === "env" ? [{ name: kind.start.variable, value: entry }] : [],
    labels: byRole(slug, c.type, name),
    configMap: { name: collectorConfigMapName(name), keys: kind.files },
    secret: { name: secret, labels: secretLabels(slug, c.type, "collector"), keys: OWN_KEYS },
    certificateId: componentCertificateId(c.type, c.partition),
    userId: collectorUserId(c),
    mounts: [
      { volume: "config", mountPath: COLLECTOR_PATHS.configDir, source: { configMap: collectorConfigMapName(name) }, items: kind.files.map((f) => ({ key: f, path: f })) },
      {
        volume: "certs",
        mountPath: COLLECTOR_PATHS.certDir,
        source: { secret },
        items: [
          { key: "tls.crt", path: basename(COLLECTOR_PATHS.cert) },
          { key: "tls.key", path: basename(COLLECTOR_PATHS.key) },
          { key: "ca.crt", path: basename(COLLECTOR_PATHS.ca) },
        ],
      },
      { volume: "nats-creds", mountPath: COLLECTOR_PATHS.credsDir, source: { secret }, items: [{ key: CREDS_KEY, path: CREDS_KEY }] },
    ],
    ports: kind.ingest.map((p) => ({ name: p.name, protocol: p.protocol, containerPort: p.containerPort })),
    servicePorts: kind.ingest.map((p) => ({ name: p.name, protocol: p.protocol, port: p.servicePort, targetPort: p.containerPort })),
    ingest: kind.ingest,
    strategy: ROLLING,
    serviceType: settings.serviceType,
    // UDP listeners cannot be probed; TCP ones are probed on their port.
    probe: tcp ? { tcpSocket: { port: tcp.containerPort }, periodSeconds: 10 } : undefined,
  };
}

const leafTlsMount = (keys: string[]): EdgeMount => ({
  volume: "tls",
  mountPath: LEAF_PATHS.tlsDir,
  source: { secret: LEAF_SECRET },
  items: keys.map((key) => ({ key, path: key })),
});

/**
 * The leaf's store: its JetStream buffer plus room for the store's own files (indexes, metadata),
 * so the kubelet never evicts a leaf whose streams are within their limits.
 */
export function storeSizeLimit(bufferBytes: number): string {
  const mi = Math.ceil((bufferBytes * 1.25) / 2 ** 20) + 64;
  return `${mi}Mi`;
}

/** The leaf pod's second container: it keeps the leaf's local streams. */
export const STREAMS_CONTAINER = "streams";

/**
 * The container beside the leaf that keeps its local streams (`streamsScript`), with the location's
 * streams user: in the same pod, so a new leaf pod (an empty store) gets its streams back at once.
 */
function streamsSidecar(settings: EdgeSettings, cluster: EdgeLocation): EdgeSidecarPlan {
  const files = cluster.streams.map((s) => streamDefinitionFile(s.name));
  return {
    name: STREAMS_CONTAINER,
    image: settings.streamsImage,
    command: ["/bin/sh", "-c", streamsScript(cluster.streams.map((s) => s.name))],
    // Beside the leaf in its pod: over localhost, which no NetworkPolicy sees.
    env: streamsEnv(`tls://localhost:${LEAF_CLIENT_PORT}`),
    mounts: [
      // The definitions, from the leaf's ConfigMap: the same pod, so the same object.
      { volume: "streams", mountPath: LEAF_PATHS.streamsDir, source: { configMap: LEAF_CONFIGMAP }, items: files.map((f) => ({ key: f, path: f })) },
      // The streams user's creds, from the leaf's Secret, at the path the nats CLI is told (NATS_CREDS).
      { volume: "streams-creds", mountPath: LEAF_PATHS.streamsCredsDir, source: { secret: LEAF_SECRET }, items: [{ key: STREAMS_CREDS_KEY, path: CREDS_KEY }] },
    ],
    // It dials the leaf like a collector, with a certificate of the tenant CA: the leaf's own.
    sharedMounts: ["tls"],
  };
}

/** The nats CLI's connection settings, from the files the streams step mounts. */
export function streamsEnv(url: string = leafUrl()): { name: string; value: string }[] {
  return [
    { name: "NATS_URL", value: url },
    { name: "NATS_CREDS", value: LEAF_PATHS.streamsCreds },
    { name: "NATS_CERT", value: LEAF_PATHS.cert },
    { name: "NATS_KEY", value: LEAF_PATHS.key },
    { name: "NATS_CA", value: LEAF_PATHS.ca },
    // The CLI keeps its contexts under $HOME; the root filesystem is read-only.
    { name: "HOME", value: "/tmp" },
  ];
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

