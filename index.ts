import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { Platform } from "./components/platform";
import { Tenant, type TenantSummary } from "./components/tenant";
import { readSettings } from "./lib/settings";
import { loadTenants } from "./lib/validate";

export = async () => {
  const config = new pulumi.Config("tenancy");
  const settings = readSettings((key) => config.getObject(key));
  // Every file is validated before anything is declared: one bad file stops the whole update.
  const { tenants } = loadTenants(settings);

  const provider = new k8s.Provider("kubernetes", { renderYamlToDirectory: settings.renderYamlToDirectory });
  const platform = new Platform("platform", { network: settings }, { providers: [provider] });

  const summaries: Record<string, TenantSummary> = {};
  for (const [index, tenant] of tenants.entries()) {
    summaries[tenant.slug] = new Tenant(tenant.slug, { tenant, platform: platform.network }, { providers: [provider] }).summary;
    // Let each batch's registrations finish before declaring the next: memory stays flat with thousands of tenants.
    if ((index + 1) % settings.declareBatchSize === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return { platformNamespace: platform.namespace, tenants: summaries };
};
