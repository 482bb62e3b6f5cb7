/**
 * A stack that holds everything (no cells, or stackRole "all"): the platform, the hub's
 * configuration and every tenant, the root CA signing tenant CAs directly.
 */
import * as pulumi from "@pulumi/pulumi";
import { AdmissionPolicies } from "../components/admission";
import { NatsHubConfig } from "../components/nats-hub";
import { Platform } from "../components/platform";
import { STACK_RESOURCE_NAMES } from "../model/names";
import { planAdmission } from "../plan/admission";
import { planHubConfig, planPlatform } from "../plan/platform";
import { planTenant } from "../plan/tenant";
import { declareTenants, guardRemovals, kubernetesProvider, postgresProvider, type StackInputs } from "./shared";

export async function allInOneStack({ config, settings, loaded }: StackInputs) {
  const { tenants, plans } = loaded;
  await guardRemovals(settings, tenants);
  const platformPlan = planPlatform(settings);
  const tenantPlans = tenants.map((tenant) => planTenant(tenant, settings));
  const hubPlan = planHubConfig(settings, plans);
  const admissionPlan = planAdmission(settings, plans, STACK_RESOURCE_NAMES.admission);

  const provider = kubernetesProvider(settings);
  const pg = postgresProvider(config, settings);
  const platform = new Platform(platformPlan.name, { plan: platformPlan, postgresProvider: pg }, { providers: [provider] });
  // Before any tenant: a tenant namespace is never without its admission policies.
  const admission = new AdmissionPolicies(admissionPlan.name, { plan: admissionPlan, namespace: platform.namespace }, { providers: [provider] });
  const { summaries, bundles } = await declareTenants(tenantPlans, platform.context, { config, settings, provider, postgresProvider: pg, dependsOn: [admission] });
  const hub = new NatsHubConfig(hubPlan.name, { plan: hubPlan, platform: platform.context.nats, namespace: platform.namespace }, { providers: [provider] });
  return {
    platformNamespace: platform.namespace,
    natsHubConfigBytes: hub.fragment.apply((f) => Buffer.byteLength(f)),
    tenants: summaries,
    // Secret: `pulumi stack output --show-secrets onboardingBundles` hands a site its files.
    onboardingBundles: pulumi.secret(pulumi.all(bundles)),
  };
}
