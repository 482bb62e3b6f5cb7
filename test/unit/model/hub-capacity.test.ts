import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { hubCapacityProblems, tenantHubShare } from "../../../model/hub-capacity";
import { DEFAULT_HUB_RULES, hubConnectionCaps } from "../../../model/limits";
import { loadTenants } from "../../../model/load";
import { validatePlans } from "../../../model/plans";
import { formatProblem, ValidationError, type Problem } from "../../../model/problems";
import { validateTenants } from "../../../model/tenants";
import { PLANS_FILE, goodTenant, tenantsDir, yamlOf, CELLS_FILE } from "../../support/fixtures";

const plans = validatePlans({ file: "plans/plans.yaml", text: fs.readFileSync(PLANS_FILE, "utf8") }, [])!;
const GiB = 2 ** 30;

/** `count` pro tenants named t0…, resolved. */
function proTenants(count: number) {
  const problems: Problem[] = [];
  const tenants = validateTenants(
    Array.from({ length: count }, (_, i) => ({ file: `tenants/t${i}.yaml`, text: yamlOf(goodTenant(`t${i}`)) })),
    plans,
    problems,
  );
  expect(problems).toEqual([]);
  return tenants;
}

describe("what one connection may do on the hub", () => {
  it("is the most any plan grants, read from the plans", () => {
    const caps = hubConnectionCaps(plans);
    expect(caps.subscriptions).toBe(Math.max(...Object.values(plans).map((p) => p.nats.subscriptions)));
    expect(caps.payload).toBe(8 * 2 ** 20);
    expect(hubConnectionCaps({ a: { nats: { ...plans.pro.nats, subscriptions: -1 } } }).subscriptions).toBe(-1);
  });

  it("refuses an override past it, blaming the override and naming the server's limit", () => {
    const problems: Problem[] = [];
    const text = yamlOf({ ...goodTenant(), plan: "enterprise", overrides: { nats: { payload: "16Mi", subscriptions: 200000 } } });
    validateTenants([{ file: "tenants/acme.yaml", text }], plans, problems);
    expect(problems.map(formatProblem)).toEqual([
      'tenants/acme.yaml: overrides.nats.payload: plan "enterprise" states no ceiling for nats.payload: it cannot be overridden (a plan\'s ceilings: say how far each value may go)',
      'tenants/acme.yaml: overrides.nats.subscriptions: 200000 is above plan "enterprise"\'s ceiling 100000',
      "tenants/acme.yaml: overrides.nats.subscriptions: 200000 exceeds the hub's max_subscriptions 100000, the most any plan grants (raise a plan in the plans file, not one tenant)",
      "tenants/acme.yaml: overrides.nats.payload: 16Mi exceeds the hub's max_payload 8388608, the most any plan grants (raise a plan in the plans file, not one tenant)",
    ]);
  });
});

describe("what all tenants together may take of one hub server", () => {
  it("counts an R1 tenant's storage whole and an R3 tenant's a third", () => {
    const [pro] = proTenants(1);
    const share = tenantHubShare(pro!);
    expect(pro!.limits.nats.jetstream.replicas).toBe(3);
    expect(share).toEqual({ slug: "t0", connections: 100, fileStore: 32 * GiB, memoryStore: Math.ceil((256 * 2 ** 20) / 3) });
  });

  it("fits many pro tenants in the default connections and refuses one too many, naming the key, the figures and the largest", () => {
    // 100 connections each: 645 fit the default 65536 less the platform's 1000, 646 do not
    // (storage made ample here: 32 GiB of each pro tenant lands on every server).
    const rules = { ...DEFAULT_HUB_RULES, fileStorePerServer: 2 ** 50, memoryStorePerServer: 2 ** 50 };
    expect(hubCapacityProblems(proTenants(645), rules, "stack config")).toEqual([]);
    const problems = hubCapacityProblems(proTenants(646), rules, "stack config");
    expect(problems.map(formatProblem)).toEqual([
      "stack config: tenancy:natsHubMaxConnections: 65536 per hub server is less than the 646 tenants' 64600 plus the platform's 1000 (largest: t0 100, t1 100, t10 100): raise it, or move tenants to another cell",
    ]);
  });

  it("refuses storage past a server's JetStream, each capacity on its own", () => {
    const tenants = proTenants(3);
    const rules = { ...DEFAULT_HUB_RULES, fileStorePerServer: 95 * GiB, memoryStorePerServer: GiB };
    const problems = hubCapacityProblems(tenants, rules, "stack config");
    expect(problems.map((p) => p.path)).toEqual(["tenancy:natsHubFileStore"]);
    expect(problems[0]!.rule).toMatch(/^102005473280 bytes \(95\.0 GiB\) per hub server is less than the 3 tenants' 103079215104 bytes \(96\.0 GiB\)/);
    // A malformed capacity (config validation reports it) checks nothing rather than everything.
    expect(hubCapacityProblems(tenants, { ...rules, fileStorePerServer: Number.NaN }, "stack config")).toEqual([]);
  });

  it("stops the load, with every other problem, when the tenants do not fit", () => {
    const files = Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`t${i}.yaml`, yamlOf(goodTenant(`t${i}`))]));
    const dir = tenantsDir(files);
    try {
      expect(() => loadTenants({ tenantsDir: dir, plansFile: PLANS_FILE, cellsFile: CELLS_FILE, hub: { ...DEFAULT_HUB_RULES, maxConnections: 1200 }, configSource: "Pulumi.dev.yaml" })).toThrow(ValidationError);
      expect(() => loadTenants({ tenantsDir: dir, plansFile: PLANS_FILE, cellsFile: CELLS_FILE, hub: { ...DEFAULT_HUB_RULES, maxConnections: 1200 }, configSource: "Pulumi.dev.yaml" })).toThrow(
        /Pulumi\.dev\.yaml: tenancy:natsHubMaxConnections: 1200 per hub server is less than the 3 tenants' 300 plus the platform's 1000/,
      );
      expect(loadTenants({ tenantsDir: dir, plansFile: PLANS_FILE, cellsFile: CELLS_FILE, hub: { ...DEFAULT_HUB_RULES, maxConnections: 1300 } }).tenants).toHaveLength(3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
