import * as pulumi from "@pulumi/pulumi";
import { namespacePlans, type TenantModel } from "../lib/model";
import { LABELS, MANAGED_BY, PART_OF } from "../lib/names";
import { tenantNetworkPolicies } from "../lib/network-policies";
import type { PlatformContext } from "./platform";
import { declareTenantNats } from "./nats";
import { declareTenantPki } from "./pki";
import { declareTenantStreams } from "./streams";
import type { HubAccount } from "../lib/nats-jwt";
import { declareNamespace } from "./namespaces";
import { declareNetworkPolicies } from "./network";
import { declareQuota } from "./quota";
import { declareRbac } from "./rbac";

export interface TenantArgs {
  /** The validated tenant, from `loadTenants` (lib/validate.ts). */
  tenant: TenantModel;
  /** The shared platform: its network, namespace and root CA (`Platform.context`). */
  platform: PlatformContext;
}

/** What a tenant looks like from the outside: the stack output per tenant. */
export interface TenantSummary {
  plan: string;
  status: string;
  namespaces: string[];
  organizations: string[];
  collectors: string[];
  /** CNs of the tenant's component certificates. */
  certificates: string[];
  natsUsers: string[];
  /** JetStream stream names. */
  streams: string[];
}

/** Everything one tenant file declares: namespaces, network isolation, quotas and access. */
export class Tenant extends pulumi.ComponentResource {
  public readonly summary: TenantSummary;
  /** The tenant's account for the hub configuration (public key, name, signed JWT). */
  public readonly natsAccount: pulumi.Output<HubAccount>;

  constructor(name: string, args: TenantArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:index:Tenant", name, {}, opts);
    const { tenant, platform } = args;
    const plans = namespacePlans(tenant);
    const protect = tenant.status !== "decommissioned";
    const childLabels = { [LABELS.tenant]: tenant.slug, [LABELS.managedBy]: MANAGED_BY, [LABELS.partOf]: PART_OF };

    const namespaces = plans.map((ns) => {
      const namespace = declareNamespace(this, ns, protect);
      declareNetworkPolicies(this, namespace, ns.name, tenantNetworkPolicies(ns, platform.network), childLabels);
      declareQuota(this, namespace, ns, tenant.limits, childLabels);
      declareRbac(this, namespace, ns, childLabels);
      return namespace;
    });
    const rootNamespace = namespaces[0].metadata.name;
    const pki = declareTenantPki(this, tenant, platform.pki, { ca: platform.ca, namespace: platform.namespace }, rootNamespace);
    const nats = declareTenantNats(this, tenant, platform.nats, { tenant: rootNamespace, platform: platform.namespace }, protect);
    const manager = nats.users.find((u) => u.plan.role === "manager")!;
    const streams = declareTenantStreams(this, tenant, { namespace: platform.namespace, managerCredsSecret: manager.secret, settings: platform.nats.settings, protect });
    this.natsAccount = nats.account;

    this.summary = {
      plan: tenant.plan,
      status: tenant.status,
      namespaces: plans.map((p) => p.name),
      organizations: tenant.organizations.map((o) => o.id),
      collectors: tenant.collectors.map((c) => `${c.type}/${c.partition}`),
      certificates: pki.components.map((c) => c.plan.subject.commonName),
      natsUsers: nats.users.map((u) => u.plan.id),
      streams: streams.map((s) => s.plan.name),
    };
    this.registerOutputs({ summary: this.summary });
  }
}
