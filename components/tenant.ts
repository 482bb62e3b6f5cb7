/**
 * The Tenant component: everything one tenant file declares, from its plan (plan/tenant.ts) —
 * namespaces with their isolation objects, PKI, NATS account and users, streams and edge.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type * as postgresql from "@pulumi/postgresql";
import type { HubAccount } from "../lib/nats/hub-config";
import type { TenantPlan, TenantSummary } from "../plan/tenant";
import { declareTenantDatabase } from "./database";
import { declareTenantEdge, type Bundles } from "./edge";
import { declareNamespace, type ChildOptions } from "./namespaces";
import { declareTenantNats } from "./nats";
import { declareTenantPki } from "./pki";
import type { PlatformContext } from "./platform";
import { declareTenantStreams } from "./streams";
import { declareSuspension } from "./suspension";

export interface TenantArgs {
  /** The tenant's plan (`planTenant`): what it gets and what everything is called. */
  plan: TenantPlan;
  /** The shared platform: its namespace, root CA and NATS identities (`Platform.context`). */
  platform: PlatformContext;
  /** Providers of the edge clusters (by name), for tenants whose edge runs outside the platform cluster. */
  edgeProviders?: Record<string, k8s.Provider>;
  /** The platform's PostgreSQL, for tenants with a schema or database. */
  postgresProvider?: postgresql.Provider;
}

/** Why these arguments cannot make this Tenant, if they cannot (checked before anything is declared). */
export function tenantArgsProblems(name: string, args: TenantArgs): string[] {
  const problems: string[] = [];
  // Children are named after the component: a plan made for another name would not be this tenant's.
  if (name !== args.plan.name) problems.push(`the plan is for a Tenant named "${args.plan.name}", not "${name}"`);
  const cluster = args.plan.edge?.cluster;
  if (cluster !== undefined && !args.edgeProviders?.[cluster]) problems.push(`no provider for edge cluster "${cluster}"`);
  if (args.plan.database && !args.postgresProvider) problems.push(`its plan has a PostgreSQL ${args.plan.database.isolation} and there is no PostgreSQL provider`);
  return problems;
}

/** Everything one tenant file declares. */
export class Tenant extends pulumi.ComponentResource {
  public readonly summary: TenantSummary;
  /** The tenant's account for the hub configuration (public key, name, signed JWT). */
  public readonly natsAccount: pulumi.Output<HubAccount>;
  /** Secret: each collector's onboarding bundle (file name → content), by `<type>-<partition>`. */
  public readonly onboardingBundles: Bundles;

  constructor(name: string, args: TenantArgs, opts?: pulumi.ComponentResourceOptions) {
    // No inputs for the engine: @pulumi/pulumi 3.x records a component's args in state, and the
    // plan is large and already spelled out by the children.
    super("tenancy:index:Tenant", name, {}, opts);
    const problems = tenantArgsProblems(name, args);
    if (problems.length > 0) throw new Error(`${args.plan.file}: ${problems.join("; ")}`);
    const { plan, platform } = args;
    const edgeProvider = plan.edge?.cluster === undefined ? undefined : args.edgeProviders?.[plan.edge.cluster];

    let rootNamespace: pulumi.Output<string> | undefined;
    const stopping: pulumi.Resource[] = [];
    let edge: (ChildOptions & { namespace: pulumi.Input<string> }) | undefined;
    for (const ns of plan.namespaces) {
      const childOpts: ChildOptions = ns.role === "edge" && edgeProvider ? { parent: this, provider: edgeProvider } : { parent: this };
      const namespace = declareNamespace(childOpts, ns, plan.labels, stopping);
      if (ns.role === "root") rootNamespace = namespace.metadata.name;
      if (ns.role === "edge") edge = { ...childOpts, namespace: namespace.metadata.name };
    }
    if (!rootNamespace) throw new Error(`${plan.file}: the plan has no root namespace`);
    const pki = declareTenantPki(this, plan.pki, { ca: platform.ca, namespace: platform.namespace }, rootNamespace);
    const nats = declareTenantNats(this, plan.nats, platform.nats, platform.namespace, platform.ca.hubCaCertPem);
    const managerCredsSecret = nats.users[plan.streams.account.credsUserId]?.secret;
    if (!managerCredsSecret) throw new Error(`${plan.file}: the streams' manager has no creds Secret`);
    // NACK creates streams in an account the hub must already know; removing the tenant deletes the
    // Stream objects (the data stays, preventDelete) before the account is disabled and deleted.
    declareTenantStreams(this, plan.streams, { namespace: platform.namespace, managerCredsSecret, accountPush: nats.push });
    if (plan.database && args.postgresProvider) declareTenantDatabase(this, plan.database, { provider: args.postgresProvider, platformNamespace: platform.namespace });
    const bundles = plan.edge && edge ? declareTenantEdge(this, plan.edge, { edge, pki, nats, platformNats: platform.nats }) : undefined;
    if (plan.suspension) declareSuspension(this, plan.suspension, platform.namespace, stopping);

    this.natsAccount = nats.account;
    this.onboardingBundles = bundles ?? pulumi.secret(pulumi.output<Record<string, Record<string, string>>>({}));
    this.summary = plan.summary;
    this.registerOutputs({ summary: this.summary });
  }
}
