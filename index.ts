import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { Platform } from "./components/platform";
import { Tenant, type TenantSummary } from "./components/tenant";
import { decodeConfigValue, readSettings } from "./lib/settings";
import { loadTenants } from "./lib/validate";

export = async () => {
  const config = new pulumi.Config("tenancy");
  const settings = readSettings((key) => decodeConfigValue(config.get(key)));
  // Every file is validated before anything is declared: one bad file stops the whole update.
  const { tenants } = loadTenants(settings);

  const provider = new k8s.Provider("kubernetes", { renderYamlToDirectory: settings.renderYamlToDirectory });
  const platform = new Platform("platform", { network: settings }, { providers: [provider] });

  const summaries: Record<string, TenantSummary> = {};
  for (const tenant of tenants) {
    summaries[tenant.slug] = new Tenant(tenant.slug, { tenant, platform: platform.network }, { providers: [provider] }).summary;
    // Let this tenant's registrations go out before declaring the next: with thousands of tenants
    // memory stays flat instead of holding every pending registration at once.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { platformNamespace: platform.namespace, tenants: summaries };
};
