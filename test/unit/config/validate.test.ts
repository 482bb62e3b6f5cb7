import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { configProblems } from "../../../config/validate";
import { loadTenants } from "../../../model/load";
import { formatProblem, type ValidationError } from "../../../model/problems";
import { PLANS_FILE, goodTenant, tenantsDir, yamlOf, CELLS_FILE } from "../../support/fixtures";

const mutate = (fn: (t: Record<string, any>) => void, slug = "acme") => {
  const t = goodTenant(slug);
  fn(t);
  return yamlOf(t);
};

/** Stack config problems for these raw values (as Pulumi hands them, decoded), over a stack that sets its pod network. */
const stackProblems = (raw: Record<string, unknown>) => configProblems((key) => ({ clusterPodCidrs: ["10.244.0.0/16"], ...raw })[key]);

describe("stack config validation (PKI)", () => {
  it("accepts the defaults", () => {
    expect(stackProblems({})).toEqual([]);
  });

  it("refuses a certificate outliving its issuer, a renewal window longer than the validity, an unknown curve and a negative counter, all at once", () => {
    const raw = { pkiComponentValidityHours: 43800 + 1, pkiRootEarlyRenewalHours: 87600, pkiTenantCaCurve: "P224", pkiComponentRotation: -1 };
    expect(stackProblems(raw).map(formatProblem)).toEqual([
      "stack config: tenancy:pkiRootEarlyRenewalHours: must be a whole number of hours, at least 0 and less than the validity (87600)",
      "stack config: tenancy:pkiTenantCaCurve: must be one of P256, P384",
      "stack config: tenancy:pkiComponentValidityHours: must not exceed the tenant CA's validity (43800 hours)",
      "stack config: tenancy:pkiComponentRotation: must be a whole number, at least 0",
    ]);
  });

  it("reports stack config problems together with tenant file problems", () => {
    const dir = tenantsDir({ "acme.yaml": mutate((t) => (t.plan = "gold")) });
    let error: unknown;
    try {
      loadTenants({ tenantsDir: dir, plansFile: PLANS_FILE, cellsFile: CELLS_FILE, relativeTo: path.dirname(dir) }, stackProblems({ pkiRootValidityHours: 0 }));
    } catch (e) {
      error = e;
    }
    const messages = (error as ValidationError).problems.map(formatProblem);
    expect(messages.some((m) => m.startsWith("stack config: tenancy:pkiRootValidityHours: must be a positive whole number"))).toBe(true);
    expect(messages.some((m) => m.includes('plan: must be one of'))).toBe(true);
  });
});

describe("stack config validation (NATS)", () => {
  it("accepts the defaults and refuses a bare string for the hub's public names, bad replicas, a non-boolean switch and a bad epoch, all at once", () => {
    expect(stackProblems({})).toEqual([]);
    // Pulumi hands config values as strings; "nats.example.com" is not JSON, so it stays a string.
    const raw: Record<string, unknown> = { natsHubPublicDnsNames: "nats.example.com", natsHubServers: 12, natsDeployHub: "yes", natsClaimsIssuedAt: 1.5 };
    expect(stackProblems(raw).map(formatProblem)).toEqual([
      'stack config: tenancy:natsHubPublicDnsNames: must be a list of DNS names, e.g. ["nats.example.com"]',
      "stack config: tenancy:natsHubServers: must be a whole number from 1 to 9 (servers of the hub cluster)",
      "stack config: tenancy:natsClaimsIssuedAt: must be a positive whole number of Unix seconds",
      "stack config: tenancy:natsDeployHub: must be true or false",
    ]);
    expect(stackProblems({ natsHubPublicDnsNames: ["nats.example.com", "Bad_Name"] }).map(formatProblem)).toEqual(['stack config: tenancy:natsHubPublicDnsNames[1]: "Bad_Name" is not a DNS name']);
  });
});

describe("stack config validation (edge)", () => {
  it("reports bad edge stack config, every problem at once", () => {
    const raw = { edgeServiceType: "NodePort", clusterPodCidrs: ["10.0.0/8"], edgeIngestCidrs: "0.0.0.0/0", edgeLeafImage: "" };
    expect(stackProblems(raw).map((p) => `${p.path}: ${p.rule}`)).toEqual([
      "tenancy:edgeServiceType: must be one of ClusterIP, LoadBalancer",
      'tenancy:edgeIngestCidrs: must be a list of IPv4 CIDRs, e.g. ["10.244.0.0/16"]',
      'tenancy:clusterPodCidrs[0]: "10.0.0/8" is not an IPv4 CIDR',
      "tenancy:edgeLeafImage: must be a container image reference",
    ]);
    // The platform cluster's pod network has no safe default: it must be set.
    expect(configProblems(() => undefined).map((p) => p.path)).toEqual(["tenancy:clusterPodCidrs"]);
    expect(configProblems((key) => (key === "clusterPodCidrs" ? ["10.244.0.0/16"] : undefined))).toEqual([]);
  });
});

describe("stack config validation (PostgreSQL names)", () => {
  it("refuses a platform role or database named like a tenant's (tenant_<slug>), each key once", () => {
    expect(stackProblems({ postgresAdminUser: "tenant_ops", postgresMigrationRole: "tenant_migrations", postgresDatabase: "tenant_x" }).map((p) => `${p.path}: ${p.rule}`)).toEqual([
      'tenancy:postgresDatabase: must not start with "tenant_": tenants\' roles and databases are tenant_<slug>',
      'tenancy:postgresAdminUser: must not start with "tenant_": tenants\' roles and databases are tenant_<slug>',
      'tenancy:postgresMigrationRole: must not start with "tenant_": tenants\' roles and databases are tenant_<slug>',
    ]);
    expect(stackProblems({ postgresAdminUser: "tenancy_cell_b", postgresDatabase: "tenants" })).toEqual([]);
  });
});
