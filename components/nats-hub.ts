/**
 * The hub's configuration as a component: the include-able nats-server fragment with the operator,
 * the system account and the preloaded system and platform accounts, and the hub's resolver and
 * limits (a ConfigMap, not a Secret: JWTs are signed public claims), and optionally the official
 * NATS Helm chart wired to it. No tenant is in it: tenant accounts are pushed (components/account-push.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { hubConfigFragment } from "../lib/nats/hub-config";
import type { HubConfigPlan } from "../plan/platform";
import type { PlatformNats } from "./nats";

export interface NatsHubConfigArgs {
  /** The accounts ConfigMap and the optional chart (`planHubConfig`). */
  plan: HubConfigPlan;
  /** The platform's operator and accounts (`Platform.context.nats`). */
  platform: PlatformNats;
  /** Namespace of the hub. */
  namespace: pulumi.Input<string>;
}

export class NatsHubConfig extends pulumi.ComponentResource {
  public readonly fragment: pulumi.Output<string>;
  public readonly configMap: k8s.core.v1.ConfigMap;

  constructor(name: string, args: NatsHubConfigArgs, opts?: pulumi.ComponentResourceOptions) {
    // No inputs for the engine: @pulumi/pulumi 3.x records a component's args in state, and the
    // plan is large and already spelled out by the children.
    super("tenancy:index:NatsHubConfig", name, {}, opts);
    if (name !== args.plan.name) throw new Error(`NatsHubConfig "${name}": its plan is for "${args.plan.name}"`);
    const { plan } = args;
    this.fragment = pulumi
      .all([args.platform.operatorJwt, args.platform.systemAccountPub, args.platform.accounts])
      .apply(([operatorJwt, systemAccountPub, accounts]) => hubConfigFragment({ operatorJwt, systemAccountPub, accounts }));
    this.configMap = new k8s.core.v1.ConfigMap(
      plan.accountsConfigMap.logicalName,
      {
        metadata: { name: plan.accountsConfigMap.name, namespace: args.namespace, labels: plan.accountsConfigMap.labels },
        data: { [plan.accountsConfigMap.accountsKey]: this.fragment, [plan.accountsConfigMap.serverKey]: plan.accountsConfigMap.serverConfig },
      },
      { parent: this },
    );
    if (plan.chart) {
      new k8s.helm.v3.Release(
        plan.chart.logicalName,
        {
          name: plan.chart.releaseName,
          chart: plan.chart.chart,
          version: plan.chart.version,
          repositoryOpts: { repo: plan.chart.repo },
          namespace: args.namespace,
          values: plan.chart.values,
        },
        // The server must find its accounts file when it starts.
        { parent: this, dependsOn: [this.configMap] },
      );
    }
    this.registerOutputs({ fragmentBytes: this.fragment.apply((f) => Buffer.byteLength(f)) });
  }
}
