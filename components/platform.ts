/**
 * The Platform component: what every tenant shares, from its plan (plan/platform.ts) — the
 * platform namespace and the hub's side of tenant traffic, the ClusterRoles of the tenants' access
 * levels, the root and hub CAs, and the NATS operator with the system and platform accounts.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type * as postgresql from "@pulumi/postgresql";
import type { PlatformPlan } from "../plan/platform";
import { declarePlatformDatabase } from "./database";
import { declarePlatformNats, type PlatformNats } from "./nats";
import { declarePlatformPki, type PlatformCa } from "./pki";

export interface PlatformArgs {
  /** The platform's plan (`planPlatform`). */
  plan: PlatformPlan;
  /** The platform's PostgreSQL: required when the plan has a database part. */
  postgresProvider?: postgresql.Provider;
}

/** What a tenant needs from the platform: where platform-side objects go, the CA that signs its CA, the operator. */
export interface PlatformContext {
  namespace: pulumi.Output<string>;
  ca: PlatformCa;
  nats: PlatformNats;
}

/**
 * The ClusterRoles of the tenants' access levels: declared once for the stack, bound only by the
 * RoleBindings of tenant namespaces (which grant their rules in that namespace alone); no
 * ClusterRoleBinding binds them, so they grant nothing cluster-wide. Shared by every tenant, so
 * they belong with the platform (a platform stack, once the fleet is split into cells).
 */
export function declareTenantClusterRoles(parent: pulumi.Resource, roles: PlatformPlan["tenantClusterRoles"]): k8s.rbac.v1.ClusterRole[] {
  return roles.map((r) => new k8s.rbac.v1.ClusterRole(r.logicalName, { metadata: { name: r.name, labels: r.labels }, rules: r.rules }, { parent }));
}

export class Platform extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  /** Handed to every Tenant. */
  public readonly context: PlatformContext;
  /** Each endorsed cell's CA certificate (a platform stack of cells). */
  public readonly cellCaCertPems: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    // No inputs for the engine: @pulumi/pulumi 3.x records a component's args in state, and the
    // plan is large and already spelled out by the children.
    super("tenancy:index:Platform", name, {}, opts);
    // Children are named after the component: a plan made for another name would not be this one's.
    if (name !== args.plan.name) throw new Error(`Platform "${name}": its plan is for "${args.plan.name}"`);
    const { plan } = args;
    const namespace = new k8s.core.v1.Namespace(plan.namespace.logicalName, { metadata: { name: plan.namespace.name, labels: plan.namespace.labels } }, { parent: this, protect: true });
    new k8s.networking.v1.NetworkPolicy(
      plan.hubIngressPolicy.logicalName,
      { metadata: { name: plan.hubIngressPolicy.name, namespace: namespace.metadata.name, labels: plan.hubIngressPolicy.labels }, spec: plan.hubIngressPolicy.spec },
      { parent: this },
    );
    for (const policy of plan.networkPolicies) {
      new k8s.networking.v1.NetworkPolicy(policy.logicalName, { metadata: { name: policy.name, namespace: namespace.metadata.name, labels: policy.labels }, spec: policy.spec }, { parent: this });
    }
    new k8s.core.v1.ServiceAccount(plan.suspender.logicalName, { metadata: { name: plan.suspender.name, namespace: namespace.metadata.name, labels: plan.suspender.labels } }, { parent: this });
    declareTenantClusterRoles(this, plan.tenantClusterRoles);
    this.namespace = namespace.metadata.name;
    const ca = declarePlatformPki(this, plan.pki, plan.cells, this.namespace);
    const nats = declarePlatformNats(this, plan.nats);
    if (plan.database) {
      if (!args.postgresProvider) throw new Error(`Platform "${name}": its plan has a PostgreSQL part and there is no PostgreSQL provider`);
      declarePlatformDatabase(this, plan.database, args.postgresProvider);
    }
    this.context = { namespace: this.namespace, ca, nats };
    this.cellCaCertPems = ca.cellCaCertPems;
    this.registerOutputs({ namespace: this.namespace, rootCaCertPem: ca.certPem });
  }
}
