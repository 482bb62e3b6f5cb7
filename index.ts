/**
 * The program: stack config and tenant files → validated tenants (model/) → plans (plan/) → the
 * Platform, one Tenant per file and the hub configuration listing every tenant's account
 * (components/). Everything is validated and planned before the first resource is declared.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as postgresql from "@pulumi/postgresql";
import { AdmissionPolicies } from "./components/admission";
import { NatsHubConfig } from "./components/nats-hub";
import { Platform } from "./components/platform";
import { Tenant } from "./components/tenant";
import { EDGE_KUBECONFIG_PREFIX, STACK_RESOURCE_NAMES } from "./model/names";
import { POSTGRES_ADMIN_PASSWORD_KEY } from "./config/keys";
import { databaseOptions, hubRules, readSettings } from "./config/settings";
import { CONFIG_SOURCE, configProblems } from "./config/validate";
import { loadTenants } from "./model/load";
import { ValidationError } from "./model/problems";
import { removalProblems, type PreviousTenant } from "./model/lifecycle";
import { edgeKubeconfigProblems } from "./config/kubeconfig";
import { planAdmission } from "./plan/admission";
import { planHubConfig, planPlatform } from "./plan/platform";
import { planTenant, type TenantSummary } from "./plan/tenant";

export = async () => {
  const config = new pulumi.Config("tenancy");
  const get = (key: string) => config.get(key);
  const settings = readSettings(get, Object.keys(pulumi.runtime.allConfig()));
  // Every file is validated before anything is declared: one bad file stops the whole update.
  // Edge kubeconfigs are read here, once, to be checked (never printed); the providers still take them as secrets.
  const { tenants, plans } = loadTenants(
    { ...settings, hub: hubRules(settings.nats), configSource: CONFIG_SOURCE, database: databaseOptions(settings.postgres) },
    [...configProblems(get, Object.keys(pulumi.runtime.allConfig())), ...edgeKubeconfigProblems(get, settings.edge.clusters)],
  );
  // No tenant (or organization) disappears without being decommissioned first: compared with what
  // the last update of this very stack left (its `tenants` output).
  if (settings.guardRemovedTenants) {
    const selfName = settings.guardStackName ?? `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
    const self = new pulumi.StackReference(STACK_RESOURCE_NAMES.previousUpdate, { name: selfName });
    const previous = (await self.getOutputValue("tenants").catch((err: unknown) => {
      throw new Error(
        `the lifecycle guard cannot read this stack's previous outputs as "${selfName}" (${err instanceof Error ? err.message : String(err)}): ` +
          "set tenancy:guardStackName to the name a StackReference to this stack takes on your backend (legacy DIY backends: the bare stack name)",
      );
    })) as Record<string, PreviousTenant> | undefined;
    const problems = removalProblems(previous, tenants, (slug) => path.relative(process.cwd(), path.resolve(settings.tenantsDir, `${slug}.yaml`)));
    if (problems.length > 0) throw new ValidationError(problems);
  }
  const platformPlan = planPlatform(settings);
  const tenantPlans = tenants.map((tenant) => planTenant(tenant, settings));
  const hubPlan = planHubConfig(settings, plans);
  const admissionPlan = planAdmission(settings, plans, STACK_RESOURCE_NAMES.admission);

  const provider = new k8s.Provider(STACK_RESOURCE_NAMES.provider, { renderYamlToDirectory: settings.renderYamlToDirectory });
  // The platform's PostgreSQL, when the stack names one. Unset, the password comes from PGPASSWORD in
  // pulumi's environment (the provider's default), never from plain config.
  const pg = settings.postgres;
  const postgresProvider =
    pg.host === undefined
      ? undefined
      : new postgresql.Provider(STACK_RESOURCE_NAMES.postgresProvider, {
          host: pg.host,
          port: pg.port,
          database: pg.database,
          username: pg.adminUser,
          password: config.getSecret(POSTGRES_ADMIN_PASSWORD_KEY),
          sslmode: pg.sslMode,
          superuser: pg.superuser,
        });
  const platform = new Platform(platformPlan.name, { plan: platformPlan, postgresProvider }, { providers: [provider] });
  // Before any tenant: a tenant namespace is never without its admission policies.
  const admission = new AdmissionPolicies(admissionPlan.name, { plan: admissionPlan, namespace: platform.namespace }, { providers: [provider] });
  // Edges in their own clusters: one provider per cluster a tenant names; the kubeconfig is secret config.
  const edgeProviders: Record<string, k8s.Provider> = {};
  for (const cluster of [...new Set(tenantPlans.flatMap((p) => (p.edge?.cluster !== undefined ? [p.edge.cluster] : [])))].sort()) {
    edgeProviders[cluster] = new k8s.Provider(STACK_RESOURCE_NAMES.edgeProvider(cluster), {
      kubeconfig: config.requireSecret(`${EDGE_KUBECONFIG_PREFIX}${cluster}`),
      renderYamlToDirectory: settings.renderYamlToDirectory && `${settings.renderYamlToDirectory}/clusters/${cluster}`,
    });
  }

  const summaries: Record<string, TenantSummary> = {};
  const bundles: Record<string, pulumi.Output<Record<string, Record<string, string>>>> = {};
  for (const plan of tenantPlans) {
    const declared = new Tenant(plan.name, { plan, platform: platform.context, edgeProviders, postgresProvider }, { providers: [provider], dependsOn: [admission] });
    summaries[plan.slug] = declared.summary;
    if (plan.edge) bundles[plan.slug] = declared.onboardingBundles;
    // Let this tenant's registrations go out before declaring the next: with thousands of tenants
    // memory stays flat instead of holding every pending registration at once.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const hub = new NatsHubConfig(hubPlan.name, { plan: hubPlan, platform: platform.context.nats, namespace: platform.namespace }, { providers: [provider] });
  return {
    platformNamespace: platform.namespace,
    natsHubConfigBytes: hub.fragment.apply((f) => Buffer.byteLength(f)),
    tenants: summaries,
    // Secret: `pulumi stack output --show-secrets onboardingBundles` hands a site its files.
    onboardingBundles: pulumi.secret(pulumi.all(bundles)),
  };
};
