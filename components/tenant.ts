import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { namespacePlans, type TenantModel } from "../model/model";
import { LABELS, MANAGED_BY, PART_OF } from "../model/names";
import { tenantNetworkPolicies } from "../plan/network";
import { edgeNetworkPolicies } from "../plan/edge";
import type { EdgeSettings } from "../config/settings";
import type { PlatformContext } from "./platform";
import { declareTenantEdge } from "./edge";
import { declareTenantNats } from "./nats";
import { declareTenantPki } from "./pki";
import { declareTenantStreams } from "./streams";
import type { HubAccount } from "../lib/nats-jwt";
import { declareNamespace, type ChildOptions } from "./namespaces";
import { declareNetworkPolicies } from "./network";
import { declareQuota } from "./quota";
import { declareRbac } from "./rbac";

export interface TenantArgs {
  /** The validated tenant, from `loadTenants` (lib/validate.ts). */
  tenant: TenantModel;
  /** The shared platform: its network, namespace and root CA (`Platform.context`). */
  platform: PlatformContext;
  /** Images, ingest sources and hub addresses of the edge, from stack config. */
  edge: EdgeSettings;
  /** Providers of the edge clusters (by name), for tenants whose edge runs outside the platform cluster. */
  edgeProviders?: Record<string, k8s.Provider>;
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
}

/** Everything one tenant file declares: namespaces, network isolation, quotas, access, PKI, NATS and edge. */
export class Tenant extends pulumi.ComponentResource {
  public readonly summary: TenantSummary;
  /** The tenant's account for the hub configuration (public key, name, signed JWT). */
  public readonly natsAccount: pulumi.Output<HubAccount>;
  /** Secret: each collector's onboarding bundle (file name → content). */
  public readonly onboardingBundles: pulumi.Output<Record<string, Record<string, string>>>;

  constructor(name: string, args: TenantArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:index:Tenant", name, {}, opts);
    const { tenant, platform } = args;
    const plans = namespacePlans(tenant);
    const protect = tenant.status !== "decommissioned";
    const childLabels = { [LABELS.tenant]: tenant.slug, [LABELS.managedBy]: MANAGED_BY, [LABELS.partOf]: PART_OF };
    const edgeProvider = tenant.edge.cluster === undefined ? undefined : args.edgeProviders?.[tenant.edge.cluster];
    if (tenant.edge.cluster !== undefined && !edgeProvider) throw new Error(`${tenant.file}: no provider for edge cluster "${tenant.edge.cluster}"`);

    const namespaces = plans.map((ns) => {
      const childOpts: ChildOptions = ns.role === "edge" && edgeProvider ? { parent: this, provider: edgeProvider } : { parent: this };
      // The edge holds nothing that cannot be re-created (configs, certificates, creds): removing
      // the last collector may delete it; the tenant's other namespaces are protected.
      const namespace = declareNamespace(childOpts, ns, protect && ns.role !== "edge");
      // The edge's policies follow its workloads (below); the others only the namespace plan.
      if (ns.role !== "edge") declareNetworkPolicies(childOpts, namespace, ns.name, tenantNetworkPolicies(ns, platform.network), childLabels);
      declareQuota(childOpts, namespace, ns, tenant.limits, childLabels);
      declareRbac(childOpts, namespace, ns, childLabels);
      return { namespace, plan: ns, childOpts };
    });
    const rootNamespace = namespaces[0].namespace.metadata.name;
    const edgeNamespace = namespaces.find((n) => n.plan.role === "edge");
    const edge = edgeNamespace && { ...edgeNamespace.childOpts, namespace: edgeNamespace.namespace.metadata.name };
    const pki = declareTenantPki(this, tenant, platform.pki, { ca: platform.ca, namespace: platform.namespace }, rootNamespace, edge);
    const nats = declareTenantNats(this, tenant, platform.nats, platform.namespace, edge, protect);
    const manager = nats.users.find((u) => u.plan.role === "manager")!;
    const streams = declareTenantStreams(this, tenant, { namespace: platform.namespace, managerCredsSecret: manager.secret, settings: platform.nats.settings, protect });
    const edgeDeclared = edge
      ? declareTenantEdge(this, tenant, { edge, settings: args.edge, pki, nats, platformNats: platform.nats })
      : { workloads: [], bundles: pulumi.secret(pulumi.output<Record<string, Record<string, string>>>({})) };
    // One ingest policy per collector, besides the edge's fixed ones.
    if (edgeNamespace) {
      const cluster = edgeNamespace.plan.cluster;
      const hub = cluster === undefined ? ({ kind: "platform" } as const) : ({ kind: "external", cidrs: args.edge.publicHubCidrs } as const);
      // Validation made sure the cluster's pod network is known (stack config).
      const podCidrs = cluster === undefined ? args.edge.clusterPodCidrs! : args.edge.edgeClusterPodCidrs[cluster]!;
      declareNetworkPolicies(edgeNamespace.childOpts, edgeNamespace.namespace, edgeNamespace.plan.name, edgeNetworkPolicies(edgeDeclared.workloads, platform.network, args.edge, hub, podCidrs), childLabels);
    }
    this.natsAccount = nats.account;
    this.onboardingBundles = edgeDeclared.bundles;

    this.summary = {
      plan: tenant.plan,
      status: tenant.status,
      namespaces: plans.map((p) => p.name),
      organizations: tenant.organizations.map((o) => o.id),
      collectors: tenant.collectors.map((c) => `${c.type}/${c.partition}`),
      ...(tenant.collectors.length > 0 ? { edgeCluster: tenant.edge.cluster ?? "platform" } : {}),
      certificates: pki.components.map((c) => c.plan.subject.commonName),
      natsUsers: nats.users.map((u) => u.plan.id),
      streams: streams.map((s) => s.plan.name),
    };
    this.registerOutputs({ summary: this.summary });
  }
}
