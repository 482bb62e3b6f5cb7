/**
 * The stack config a fleet shares: what the platform publishes and what a cell's stack refuses.
 */
import { describe, expect, it } from "vitest";
import { FLEET_KEYS, fleetConfig, fleetConfigProblems } from "../../../config/fleet";
import { CONFIG_KEYS } from "../../../config/keys";

const getter = (values: Record<string, unknown>) => (key: string) => values[key];

describe("the fleet's stack config", () => {
  it("is every key but the per-stack ones: a stack's role, its cell, its output, its push timeout, its database admin and its guard's own name", () => {
    const perStack = Object.keys(CONFIG_KEYS).filter((k) => !FLEET_KEYS.includes(k as never));
    expect(perStack.sort()).toEqual(["cell", "guardStackName", "natsPushTimeoutMs", "postgresAdminUser", "postgresSuperuser", "renderYamlToDirectory", "stackRole"]);
    expect(FLEET_KEYS).toContain("natsHubMaxConnections");
    expect(FLEET_KEYS).toContain("natsAllowUnlimited");
    expect(FLEET_KEYS).toContain("platformNamespace");
  });

  it("publishes defaults as the values they are, and maps whatever the order of their keys", () => {
    const a = fleetConfig(getter({ edgeClusterPodCidrs: '{"x":["10.0.0.0/16"],"a":["10.1.0.0/16"]}' }));
    const b = fleetConfig(getter({ edgeClusterPodCidrs: { a: ["10.1.0.0/16"], x: ["10.0.0.0/16"] } }));
    expect(a).toEqual(b);
    expect(a.platformNamespace).toBe('"platform"');
    expect(a).not.toHaveProperty("stackRole");
  });

  it("refuses each fleet key a cell sets differently from the platform, one problem per key, and ignores per-stack keys", () => {
    const platform = fleetConfig(getter({ natsHubMaxConnections: "1000" }));
    const cell = fleetConfig(getter({ natsHubMaxConnections: "5000", natsAllowUnlimited: "true", stackRole: "cell", cell: "b", postgresAdminUser: "tenancy_cell_b" }));
    const problems = fleetConfigProblems(cell, platform, "stack config", "platform");
    expect(problems.map((p) => p.path)).toEqual(["tenancy:natsAllowUnlimited", "tenancy:natsHubMaxConnections"].sort((x, y) => FLEET_KEYS.indexOf(x.slice(8) as never) - FLEET_KEYS.indexOf(y.slice(8) as never)));
    expect(problems.find((p) => p.path === "tenancy:natsHubMaxConnections")!.rule).toMatch(/^is 5000 here and 1000 in the platform stack \(platform\)/);
    expect(fleetConfigProblems(platform, platform, "stack config", "platform")).toEqual([]);
  });

  it("does not compare a key the platform has not published yet (a platform older than the key)", () => {
    const platform = fleetConfig(getter({}));
    delete platform.natsHubMaxConnections;
    expect(fleetConfigProblems(fleetConfig(getter({ natsHubMaxConnections: "5" })), platform, "stack config", "platform")).toEqual([]);
  });
});
