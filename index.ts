import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { NatsHubConfig } from "./components/nats";
import { Platform } from "./components/platform";
import { Tenant, type TenantSummary } from "./components/tenant";
import { EDGE_KUBECONFIG_PREFIX, EDGE_PROVIDER_PREFIX, decodeConfigValue, readSettings } from "./config/settings";
import { ValidationError, loadTenants } from "./model/validate";
import { removalProblems, type PreviousTenant } from "./model/lifecycle";
import { natsSettingsProblems, pkiSettingsProblems } from "./plan/pki";
import { edgeSettingsProblems } from "./plan/edge";
import { tenantAccountLimits } from "./plan/nats";
import type { HubAccount } from "./lib/nats-jwt";

export = async () => {
  const config = new pulumi.Config("tenancy");
  const settings = readSettings((key) => decodeConfigValue(config.get(key)), Object.keys(pulumi.runtime.allConfig()));
  // Every file is validated before anything is declared: one bad file stops the whole update.
  const { tenants } = loadTenants(settings, [...pkiSettingsProblems(settings.pki), ...natsSettingsProblems(settings.nats, settings.pki), ...edgeSettingsProblems(settings.edge)]);
  // No tenant (or organization) disappears without being decommissioned first: compared with what
  // the last update of this very stack left (its `tenants` output).
  if (settings.guardRemovedTenants) {
    const selfName = settings.guardStackName ?? `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
    const self = new pulumi.StackReference("previous-update", { name: selfName });
    const previous = (await self.getOutputValue("tenants").catch((err: unknown) => {
      throw new Error(
        `the lifecycle guard cannot read this stack's previous outputs as "${selfName}" (${err instanceof Error ? err.message : String(err)}): ` +
          "set tenancy:guardStackName to the name a StackReference to this stack takes on your backend (legacy DIY backends: the bare stack name)",
      );
    })) as Record<string, PreviousTenant> | undefined;
    const problems = removalProblems(previous, tenants, (slug) => path.relative(process.cwd(), path.resolve(settings.tenantsDir, `${slug}.yaml`)));
    if (problems.length > 0) throw new ValidationError(problems);
  }

  const provider = new k8s.Provider("kubernetes", { renderYamlToDirectory: settings.renderYamlToDirectory });
  const platform = new Platform("platform", { network: settings, pki: settings.pki, nats: settings.nats, edge: settings.edge }, { providers: [provider] });
  // Edges in their own clusters: one provider per cluster a tenant names; the kubeconfig is secret config.
  const edgeProviders: Record<string, k8s.Provider> = {};
  for (const cluster of [...new Set(tenants.flatMap((t) => (t.edge.cluster ? [t.edge.cluster] : [])))].sort()) {
    edgeProviders[cluster] = new k8s.Provider(`${EDGE_PROVIDER_PREFIX}${cluster}`, {
      kubeconfig: config.requireSecret(`${EDGE_KUBECONFIG_PREFIX}${cluster}`),
      renderYamlToDirectory: settings.renderYamlToDirectory && `${settings.renderYamlToDirectory}/clusters/${cluster}`,
    });
  }

  const summaries: Record<string, TenantSummary> = {};
  const bundles: Record<string, pulumi.Output<Record<string, Record<string, string>>>> = {};
  const accounts: pulumi.Output<HubAccount>[] = [];
  for (const tenant of tenants) {
    const declared = new Tenant(tenant.slug, { tenant, platform: platform.context, edge: settings.edge, edgeProviders }, { providers: [provider] });
    summaries[tenant.slug] = declared.summary;
    accounts.push(declared.natsAccount);
    if (tenant.collectors.length > 0) bundles[tenant.slug] = declared.onboardingBundles;
    // Let this tenant's registrations go out before declaring the next: with thousands of tenants
    // memory stays flat instead of holding every pending registration at once.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const hub = new NatsHubConfig("nats-hub", { platform: platform.context.nats, namespace: platform.namespace, accounts, ports: { client: settings.natsHub.clientPort, leaf: settings.natsHub.leafPort }, tenantLimits: tenants.map(tenantAccountLimits) }, { providers: [provider] });
  return {
    platformNamespace: platform.namespace,
    natsHubConfigBytes: hub.fragment.apply((f) => Buffer.byteLength(f)),
    tenants: summaries,
    // Secret: `pulumi stack output --show-secrets onboardingBundles` hands a site its files.
    onboardingBundles: pulumi.secret(pulumi.all(bundles)),
  };
};
