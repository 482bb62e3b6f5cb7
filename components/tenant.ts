import * as pulumi from "@pulumi/pulumi";
import { namespacePlans, type TenantModel } from "../lib/model";
import { LABELS, MANAGED_BY, PART_OF } from "../lib/names";
import { tenantNetworkPolicies, type PlatformNetwork } from "../lib/network-policies";
import { declareNamespace } from "./namespaces";
import { declareNetworkPolicies } from "./network";
import { declareQuota } from "./quota";
import { declareRbac } from "./rbac";

export interface TenantArgs {
  /** The validated tenant, from `loadTenants` (lib/validate.ts). */
  tenant: TenantModel;
  /** Where the shared platform lives: its namespace, the NATS hub pods, cluster DNS. */
  platform: PlatformNetwork;
}

/** What a tenant looks like from the outside: the stack output per tenant. */
export interface TenantSummary {
  plan: string;
  status: string;
  namespaces: string[];
  organizations: string[];
  collectors: string[];
}

/** Everything one tenant file declares: namespaces, network isolation, quotas and access. */
export class Tenant extends pulumi.ComponentResource {
  public readonly summary: TenantSummary;

  constructor(name: string, args: TenantArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:index:Tenant", name, {}, opts);
    const { tenant, platform } = args;
    const plans = namespacePlans(tenant);
    const protect = tenant.status !== "decommissioned";
    const childLabels = { [LABELS.tenant]: tenant.slug, [LABELS.managedBy]: MANAGED_BY, [LABELS.partOf]: PART_OF };

    for (const ns of plans) {
      const namespace = declareNamespace(this, ns, protect);
      declareNetworkPolicies(this, namespace, ns.name, tenantNetworkPolicies(ns, platform), childLabels);
      declareQuota(this, namespace, ns, tenant.limits, childLabels);
      declareRbac(this, namespace, ns, childLabels);
    }

    this.summary = {
      plan: tenant.plan,
      status: tenant.status,
      namespaces: plans.map((p) => p.name),
      organizations: tenant.organizations.map((o) => o.id),
      collectors: tenant.collectors.map((c) => `${c.type}/${c.partition}`),
    };
    this.registerOutputs({ summary: this.summary });
  }
}
