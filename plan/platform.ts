/**
 * What every tenant shares, planned once per stack: the platform namespace and the hub's side of
 * tenant traffic, the root and hub CAs and the hub's certificate, the NATS operator with the
 * system and platform accounts, and the hub configuration that lists every account. The Platform
 * and NatsHubConfig components turn this into resources.
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import type { CertificateClass, NatsSettings, StackSettings } from "../config/settings";
import {
  HUB_ACCOUNTS_CONFIGMAP,
  HUB_ACCOUNTS_KEY,
  HUB_SERVER_KEY,
  HUB_TLS_HUB_CA_KEY,
  HUB_CA_SECRET,
  HUB_RELEASE_NAME,
  HUB_TLS_SECRET,
  LABELS,
  ROOT_CA_CONFIGMAP,
  SUSPENDER_SERVICE_ACCOUNT,
  TENANT_CLUSTER_ROLES,
  componentLabels,
  generationSuffix,
  hubResourceNames,
  managedLabels,
  platformResourceNames,
} from "../model/names";
import { NATS_CHART_REPO, natsHubChartValues } from "./hub-chart-values";
import { hubServerConfig, planHubServer, type HubServerPlan } from "./hub-server";
import type { Plan } from "../model/schema";
import type { CellEndorsementPlan } from "./cells";
import { platformDatabasePlan, type PlatformDatabasePlan } from "./database";
import type { TrustedCellKeys } from "./nats-credentials";
import { natsHubIngressPolicy, platformNetworkPolicies } from "./network";
import { adminRules, viewerRules, type PolicyRule } from "./rbac";
import { CA_USES, hubCaSubject, hubCertificatePlan, rootCaSubject, type CertificateRequestPlan, type SubjectPlan } from "./pki";

/** A self-signed CA: its key and certificate resources. */
export interface SelfSignedCaPlan {
  keyLogicalName: string;
  logicalName: string;
  subject: SubjectPlan;
  cls: CertificateClass;
  /** Root → tenant CA → component: one intermediate level below the root, no more. */
  maxPathLength?: number;
  allowedUses: string[];
}

export interface PlatformPlan {
  /** The Platform component's name: the stem of its children's logical names. */
  name: string;
  namespace: { logicalName: string; name: string; labels: Record<string, string> };
  hubIngressPolicy: { logicalName: string; name: string; labels: Record<string, string>; spec: k8s.networking.v1.NetworkPolicySpec };
  /** The ServiceAccount suspension Jobs run as (bound only in suspended tenants' namespaces). */
  suspender: { logicalName: string; name: string; labels: Record<string, string> };
  /**
   * The tenants' access levels, once per stack (a tenant namespace's RoleBindings bind them; no
   * ClusterRoleBinding does, so by themselves they grant nothing). Admins before viewers.
   */
  tenantClusterRoles: { level: "admin" | "viewer"; logicalName: string; name: string; labels: Record<string, string>; rules: PolicyRule[] }[];
  /** Default deny in the platform namespace, and the explicit allows. */
  networkPolicies: { logicalName: string; name: string; labels: Record<string, string>; spec: k8s.networking.v1.NetworkPolicySpec }[];
  pki: {
    root: SelfSignedCaPlan;
    rootConfigMap: { logicalName: string; name: string; labels: Record<string, string> };
    hubCa: SelfSignedCaPlan;
    hubCaSecret: { logicalName: string; name: string; labels: Record<string, string> };
    hubCertificate: CertificateRequestPlan;
    hubTlsSecret: { logicalName: string; name: string; labels: Record<string, string> };
    /** The hub trusts the cells' CAs for leaf certificates, not the root (a platform stack of cells). */
    trustCellCas: boolean;
  };
  nats: { operatorKey: string; operatorSigningKey: string; systemAccountKey: string; platformAccountKey: string; claimsPusherKey: string; settings: NatsSettings; cells: TrustedCellKeys[] };
  /** The platform stack of a fleet with cells: the cells it endorses (none in a stack that holds everything). */
  cells: CellEndorsementPlan[];
  /** The platform's database, when the stack has a PostgreSQL. */
  database?: PlatformDatabasePlan;
}

export function planPlatform(settings: StackSettings, name = "platform", cells: readonly CellEndorsementPlan[] = []): PlatformPlan {
  const names = platformResourceNames(name);
  const { pki, edge } = settings;
  const rootGeneration = generationSuffix(pki.rotation.root, 0);
  // Leaves outside the cluster exist once the hub has a public address (bundles use it).
  const external = edge.publicHubLeafUrl !== undefined ? { cidrs: edge.leafSourceCidrs, except: edge.clusterPodCidrs ?? [] } : undefined;
  const hubPolicy = natsHubIngressPolicy(settings, external);
  const database = platformDatabasePlan(name, settings.postgres);
  return {
    name,
    namespace: {
      logicalName: names.namespace,
      name: settings.platformNamespace,
      labels: {
        ...managedLabels(),
        // Lets policies (policy/) find the platform namespace from the stack itself.
        [LABELS.role]: "platform",
        // The NATS chart (1.3.16) sets no securityContext on any of its pods (nats, reloader,
        // nats-box): they run as the images' root user, which `restricted` refuses. They are
        // `baseline`-clean (no privilege, host namespace, host path or host port), so baseline is
        // enforced, pinned to the latest policy, and what `restricted` would refuse is reported.
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "latest",
      },
    },
    hubIngressPolicy: { logicalName: names.hubIngressPolicy, name: hubPolicy.name, labels: managedLabels(), spec: hubPolicy.spec },
    suspender: { logicalName: names.suspender, name: SUSPENDER_SERVICE_ACCOUNT, labels: componentLabels(undefined, "suspender") },
    tenantClusterRoles: (["admin", "viewer"] as const).map((level) => ({
      level,
      logicalName: names.tenantClusterRole(level),
      name: TENANT_CLUSTER_ROLES[level],
      labels: componentLabels(undefined, "tenant-access"),
      rules: level === "admin" ? adminRules() : viewerRules(),
    })),
    networkPolicies: platformNetworkPolicies(settings, settings.apiServerCidrs, edge.clusterPodCidrs ?? []).map((p) => ({ logicalName: names.networkPolicy(p.name), name: p.name, labels: managedLabels(), spec: p.spec })),
    pki: {
      // The root key never enters the cluster: it lives in Pulumi state (a secret) and signs tenant CAs there.
      // Root → tenant CA → component; in a platform stack root → cell CA → tenant CA → component.
      root: { keyLogicalName: names.rootCaKey(rootGeneration), logicalName: names.rootCa(rootGeneration), subject: rootCaSubject(), cls: pki.root, maxPathLength: settings.stackRole === "platform" ? 2 : 1, allowedUses: CA_USES },
      rootConfigMap: { logicalName: names.rootCaConfigMap, name: ROOT_CA_CONFIGMAP, labels: componentLabels(undefined, "root-ca") },
      // The hub's own CA (see plan/pki.ts): rotates with the root; the hub certificate also on its own.
      hubCa: { keyLogicalName: names.hubCaKey(rootGeneration), logicalName: names.hubCa(rootGeneration), subject: hubCaSubject(), cls: pki.root, allowedUses: CA_USES },
      hubCaSecret: { logicalName: names.hubCaSecret, name: HUB_CA_SECRET, labels: componentLabels(undefined, "nats-hub") },
      hubCertificate: hubCertificatePlan(pki, settings.platformNamespace, names.hubCertificate(generationSuffix(pki.rotation.root, pki.rotation.hub)), settings.nats.hubServers),
      hubTlsSecret: { logicalName: names.hubTlsSecret, name: HUB_TLS_SECRET, labels: componentLabels(undefined, "nats-hub") },
      trustCellCas: settings.stackRole === "platform",
    },
    nats: {
      operatorKey: names.operatorKey,
      operatorSigningKey: names.operatorSigningKey,
      systemAccountKey: names.systemAccountKey,
      platformAccountKey: names.platformAccountKey,
      claimsPusherKey: names.claimsPusherKey,
      settings: settings.nats,
      cells: cells.map((c) => ({ operatorSigningKeyPub: c.identity.operatorSigningKeyPub, claimsPusherPub: c.identity.claimsPusherPub })),
    },
    cells: [...cells],
    ...(database ? { database } : {}),
  };
}

export interface HubConfigPlan {
  /** The NatsHubConfig component's name. */
  name: string;
  /** The hub's servers: cluster size, resolver, limits, JetStream sizes. */
  server: HubServerPlan;
  /**
   * `accounts.conf`: the operator, the system account and the preloaded system and platform
   * accounts; `hub.conf`: the resolver and the server-wide limits, for a hub not run by the chart.
   */
  accountsConfigMap: { logicalName: string; name: string; accountsKey: string; serverKey: string; serverConfig: string; labels: Record<string, string> };
  /** The official NATS Helm chart, when the stack deploys the hub (`natsDeployHub`). */
  chart?: { logicalName: string; releaseName: string; chart: string; version: string; repo: string; values: Record<string, unknown> };
}

/** The hub's configuration and, optionally, the chart that runs it: from stack config and the plans, never from the tenants. */
export function planHubConfig(settings: StackSettings, plans: Record<string, Pick<Plan, "nats">>, name = "nats-hub"): HubConfigPlan {
  const names = hubResourceNames(name);
  const nats = settings.nats;
  const server = planHubServer(nats, plans);
  return {
    name,
    server,
    accountsConfigMap: {
      logicalName: names.accountsConfigMap,
      name: HUB_ACCOUNTS_CONFIGMAP,
      accountsKey: HUB_ACCOUNTS_KEY,
      serverKey: HUB_SERVER_KEY,
      serverConfig: hubServerConfig(server),
      labels: componentLabels(undefined, "nats-hub"),
    },
    ...(nats.deployHub
      ? {
          chart: {
            logicalName: names.chart,
            releaseName: HUB_RELEASE_NAME,
            chart: "nats",
            version: nats.hubChartVersion,
            repo: NATS_CHART_REPO,
            values: natsHubChartValues({
              server,
              clientPort: settings.natsHub.clientPort,
              leafPort: settings.natsHub.leafPort,
              accountsConfigMap: HUB_ACCOUNTS_CONFIGMAP,
              accountsKey: HUB_ACCOUNTS_KEY,
              tlsSecret: HUB_TLS_SECRET,
              hubCaKey: HUB_TLS_HUB_CA_KEY,
            }),
          },
        }
      : {}),
  };
}
