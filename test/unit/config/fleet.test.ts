/**
 * The stack config a fleet shares: what the platform publishes and what a cell's stack refuses.
 */
import { describe, expect, it } from "vitest";
import { FLEET_KEYS, fleetConfig, fleetConfigProblems } from "../../../config/fleet";
import { CONFIG_KEYS } from "../../../config/keys";

const getter = (values: Record<string, unknown>) => (key: string) => values[key];

describe("the fleet's stack config", () => {
  it("is every key but the per-stack ones: a stack's role, its cell, its files' paths, its output, its push timeout, its database admin and its guard's own name", () => {
    const perStack = Object.keys(CONFIG_KEYS).filter((k) => !FLEET_KEYS.includes(k as never));
    expect(perStack.sort()).toEqual(["cell", "cellsFile", "guardRemovedTenants", "guardStackName", "natsPushTimeoutMs", "pkiComponentRotation", "pkiTenantCaRotation", "plansFile", "postgresAdminUser", "postgresSuperuser", "renderYamlToDirectory", "stackRole", "tenantsDir"]);
    expect(FLEET_KEYS).toContain("natsHubMaxConnections");
    expect(FLEET_KEYS).toContain("natsAllowUnlimited");
    expect(FLEET_KEYS).toContain("platformNamespace");
  });

  it("publishes a digest of each value, defaults included, and of maps whatever the order of their keys", () => {
    const a = fleetConfig(getter({ edgeClusterPodCidrs: '{"x":["10.0.0.0/16"],"a":["10.1.0.0/16"]}' }));
    const b = fleetConfig(getter({ edgeClusterPodCidrs: { a: ["10.1.0.0/16"], x: ["10.0.0.0/16"] } }));
    expect(a).toEqual(b);
    expect(a.platformNamespace).toBe(fleetConfig(getter({ platformNamespace: "platform" })).platformNamespace);
    expect(a.platformNamespace).not.toBe(fleetConfig(getter({ platformNamespace: "other" })).platformNamespace);
    // Digests only: no value of the stack file is published.
    expect(Object.values(a).every((v) => /^[0-9a-f]{64}$/.test(v))).toBe(true);
    expect(a).not.toHaveProperty("stackRole");
  });

  it("refuses each fleet key a cell sets differently from the platform, one problem per key, and ignores per-stack keys", () => {
    const platform = fleetConfig(getter({ natsHubMaxConnections: "1000" }));
    const cell = fleetConfig(getter({ natsHubMaxConnections: "5000", natsAllowUnlimited: "true", stackRole: "cell", cell: "b", postgresAdminUser: "tenancy_cell_b" }));
    const problems = fleetConfigProblems(cell, platform, "stack config", "platform");
    expect(problems.map((p) => p.path)).toEqual(["tenancy:natsAllowUnlimited", "tenancy:natsHubMaxConnections"].sort((x, y) => FLEET_KEYS.indexOf(x.slice(8) as never) - FLEET_KEYS.indexOf(y.slice(8) as never)));
    expect(problems.find((p) => p.path === "tenancy:natsHubMaxConnections")!.rule).toMatch(/^differs from its value in the platform stack \(platform\)/);
    expect(problems.every((p) => p.file === "stack config")).toBe(true);
    expect(fleetConfigProblems(platform, platform, "stack config", "platform")).toEqual([]);
  });

  it("does not compare a key the platform has not published yet (a platform older than the key)", () => {
    const platform = fleetConfig(getter({}));
    delete platform.natsHubMaxConnections;
    expect(fleetConfigProblems(fleetConfig(getter({ natsHubMaxConnections: "5" })), platform, "stack config", "platform")).toEqual([]);
  });

  it("compares what the plans say, wherever the file is", () => {
    const plans = { free: { nats: { connections: 5 } } };
    const platform = fleetConfig(getter({}), { plans });
    expect(fleetConfigProblems(fleetConfig(getter({ plansFile: "elsewhere/plans.yaml" }), { plans: structuredClone(plans) }), platform, "stack config", "platform")).toEqual([]);
    const generous = fleetConfigProblems(fleetConfig(getter({}), { plans: { free: { nats: { connections: 500 } } } }), platform, "stack config", "platform");
    expect(generous.map((p) => `${p.path}: ${p.rule}`)).toEqual(["tenancy:plansFile: the plans it names differ from those the platform stack (platform) read: every stack of the fleet reads the same plans file"]);
  });

  it("compares the cells file's content: a cell listing fewer cells would give itself a bigger share of the hub", () => {
    const cells = { platformStack: "platform", defaultCell: "a", cells: [{ name: "a", stack: "cell-a" }, { name: "b", stack: "cell-b" }, { name: "c", stack: "cell-c" }] };
    const platform = fleetConfig(getter({}), { cells });
    expect(fleetConfigProblems(fleetConfig(getter({}), { cells: structuredClone(cells) }), platform, "stack config", "platform")).toEqual([]);
    const alone = fleetConfigProblems(fleetConfig(getter({}), { cells: { ...cells, cells: cells.cells.slice(0, 1) } }), platform, "stack config", "platform");
    expect(alone.map((p) => p.path)).toEqual(["tenancy:cellsFile"]);
  });
});
