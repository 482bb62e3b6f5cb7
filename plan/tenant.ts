/**
 * Everything one tenant gets, planned and joined before anything is declared: its namespaces with
 * their policies, quota, limits and access; its CA and certificates; its NATS account, users and
 * streams; its edge. Every name comes from model/names.ts. The Tenant component only turns this
 * into resources; tests check it without Pulumi.
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import type { StackSettings } from "../config/settings";
import type { TenantModel } from "../model/model";
import { NAMESPACE_OBJECTS, TENANT_CLUSTER_ROLES, namespaceResourceNames, tenantLabels } from "../model/names";
import type { TenantStatus } from "../model/schema";
import { tenantDatabasePlan, type TenantDatabasePlan, type TenantDatabaseSummary } from "./database";
import { edgePlan, type EdgePlan } from "./edge/plan";
import { namespacePlans, type NamespacePlan } from "./namespaces";
import { tenantNatsPlan, type TenantNatsPlan } from "./nats";
import { tenantNetworkPolicies, type NetworkPolicySpec } from "./network";
import { tenantPkiPlan, type TenantPkiPlan } from "./pki";
import { limitRangeSpec, priorityClassQuotaSpec, resourceQuotaSpec } from "./quota";
import { tenantStreamsPlan, type TenantStreamsPlan } from "./streams";
import { suspenderAccess, suspensionJob, type SuspenderAccessPlan, type SuspensionJobPlan } from "./suspension";

/** A namespaced object of the tenant: its logical name, Kubernetes name and spec. */
export interface Declared<S> {
  logicalName: string;
  name: string;
  spec: S;
}

/**
 * An access level in one namespace: the RoleBinding of every group that gets it to the platform's
 * ClusterRole of that level (plan/platform.ts), which grants its rules in this namespace only.
 */
export interface AccessPlan {
  level: "admin" | "viewer";
  binding: { logicalName: string; name: string; groups: string[]; clusterRole: string };
}

export interface NamespaceResourcesPlan extends Omit<NamespacePlan, "quota"> {
  logicalName: string;
  /** Protected while the tenant is not decommissioned, except the edge (nothing in it is data). */
  protect: boolean;
  networkPolicies: Declared<k8s.networking.v1.NetworkPolicySpec>[];
  quota: Declared<k8s.core.v1.ResourceQuotaSpec>;
  /**
   * No pod of a priority class outside the plan's, where the platform's admission policies do not
   * run (an edge in the tenant's own cluster). In the platform cluster the pod-scheduling policy
   * (plan/admission.ts) refuses those pods, controllers' included, so the quota is not declared.
   */
  priorityQuota?: Declared<k8s.core.v1.ResourceQuotaSpec>;
  limitRange: Declared<k8s.core.v1.LimitRangeSpec>;
  /** Levels with at least one group. */
  access: AccessPlan[];
  /** While the tenant is not active: what lets the platform's suspender stop the namespace's pods. */
  suspender?: SuspenderAccessPlan;
}

/** What a tenant looks like from the outside: the stack output per tenant. */
export interface TenantSummary {
  plan: string;
  status: string;
  namespaces: string[];
  organizations: string[];
  collectors: string[];
  /** Where the edge runs: "platform" or the edge cluster's name (absent without collectors). */
  edgeCluster?: string;
  /** CNs of the tenant's component certificates. */
  certificates: string[];
  natsUsers: string[];
  /** JetStream stream names. */
  streams: string[];
  /** Its PostgreSQL isolation and what it holds there (the lifecycle guard compares the level). */
  database: TenantDatabaseSummary;
}

export interface TenantPlan {
  /** The Tenant component's name: the stem of its children's logical names. */
  name: string;
  slug: string;
  file: string;
  status: TenantStatus;
  /** Labels of the tenant's namespace-scoped isolation objects. */
  labels: Record<string, string>;
  namespaces: NamespaceResourcesPlan[];
  pki: TenantPkiPlan;
  nats: TenantNatsPlan;
  streams: TenantStreamsPlan;
  /** Present when the tenant lists collectors. */
  edge?: EdgePlan;
  /** Present when the tenant has a schema or database (or is moving away from one). */
  database?: TenantDatabasePlan;
  /** While the tenant is not active: the Job that stops its running pods. */
  suspension?: SuspensionJobPlan;
  summary: TenantSummary;
}

/** The whole plan of one tenant; `name` is its Tenant component's (the slug unless a caller says otherwise). */
export function planTenant(tenant: TenantModel, settings: StackSettings, name = tenant.slug): TenantPlan {
  const labels = tenantLabels(tenant.slug);
  const edge = tenant.collectors.length > 0 ? edgePlan(name, tenant, settings.edge, settings) : undefined;
  const pki = tenantPkiPlan(name, tenant, settings.pki);
  const nats = tenantNatsPlan(name, tenant, settings.nats, settings.edge.collectorSubjects);
  const streams = tenantStreamsPlan(name, tenant, settings.nats, settings.edge.collectorSubjects);
  const database = tenantDatabasePlan(name, tenant, settings.postgres);
  const protect = tenant.status !== "decommissioned";
  const planned = namespacePlans(tenant);
  // The tenant's own namespaces in the platform cluster; the edge is scaled to zero by its plan.
  const stopped = tenant.status === "active" ? [] : planned.filter((ns) => ns.role !== "edge").map((ns) => ns.name);
  const namespaces = planned.map((ns): NamespaceResourcesPlan => {
    const names = namespaceResourceNames(ns.name);
    const policies: NetworkPolicySpec[] = ns.role === "edge" ? (edge?.networkPolicies ?? []) : tenantNetworkPolicies(ns, settings);
    // The edge is the platform's to run: its admins may look, not change (collector configs,
    // certificates and creds are this program's). A tenant that is not active has viewers only:
    // its admins keep reading, but exec, port-forward, Secrets and every write are gone. Where
    // admins only view, they are bound with the viewers: one binding per level granted.
    const adminsManage = ns.role !== "edge" && tenant.status === "active";
    const levels: [AccessPlan["level"], string[]][] = adminsManage
      ? [
          ["admin", ns.admins],
          ["viewer", ns.viewers],
        ]
      : [["viewer", [...new Set([...ns.admins, ...ns.viewers])]]];
    return {
      ...ns,
      logicalName: names.namespace,
      // The edge holds nothing that cannot be re-created (configs, certificates, creds): removing
      // the last collector may delete it; the tenant's other namespaces are protected.
      protect: protect && ns.role !== "edge",
      networkPolicies: policies.map((p) => ({ logicalName: names.networkPolicy(p.name), name: p.name, spec: p.spec })),
      quota: { logicalName: names.quota, name: NAMESPACE_OBJECTS.quota, spec: resourceQuotaSpec(ns) },
      ...(ns.cluster !== undefined
        ? { priorityQuota: { logicalName: names.priorityQuota, name: NAMESPACE_OBJECTS.priorityQuota, spec: priorityClassQuotaSpec(tenant.limits.kubernetes.admission.priorityClasses) } }
        : {}),
      limitRange: { logicalName: names.limitRange, name: NAMESPACE_OBJECTS.limitRange, spec: limitRangeSpec(tenant.limits) },
      ...(stopped.includes(ns.name) ? { suspender: suspenderAccess({ logicalNames: { role: names.suspenderRole, binding: names.suspenderBinding } }, settings.platformNamespace) } : {}),
      access: levels
        .filter(([, groups]) => groups.length > 0)
        .map(([level, groups]) => ({
          level,
          binding: { logicalName: names.roleBinding(level), name: NAMESPACE_OBJECTS.access(level), groups, clusterRole: TENANT_CLUSTER_ROLES[level] },
        })),
    };
  });
  const suspension = suspensionJob(tenant, stopped, settings.suspenderImage, name);
  return {
    name,
    slug: tenant.slug,
    file: tenant.file,
    status: tenant.status,
    labels,
    namespaces,
    pki,
    nats,
    streams,
    ...(edge ? { edge } : {}),
    ...(database ? { database } : {}),
    ...(suspension ? { suspension } : {}),
    summary: {
      plan: tenant.plan,
      status: tenant.status,
      namespaces: namespaces.map((n) => n.name),
      organizations: tenant.organizations.map((o) => o.id),
      collectors: tenant.collectors.map((c) => `${c.type}/${c.partition}`),
      ...(tenant.collectors.length > 0 ? { edgeCluster: tenant.edge.cluster ?? "platform" } : {}),
      certificates: pki.components.map((c) => c.subject.commonName),
      // The tenant account's users, then each edge location's own (`<location>/<user>`).
      natsUsers: [...nats.users.map((u) => u.id), ...nats.edgeAccounts.flatMap((a) => a.users.map((u) => `${a.location}/${u.id}`))],
      streams: streams.streams.map((s) => s.plan.name),
      database: database?.summary ?? { isolation: tenant.limits.database.isolation },
    },
  };
}
