/**
 * tools/bench/fleet.ts: the bench's fleet of cells. The hub capacity it sets is checked against the
 * program's own loader and capacity validation (model/load.ts, which cuts the hub into even shares
 * per cell): what the bench computes is admitted, and one connection or one GiB less is refused —
 * so the bench never runs with the validation loosened past what the fleet needs.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cellLine, validateCells } from "../../../model/cells";
import { tenantHubShare } from "../../../model/hub-capacity";
import { DEFAULT_HUB_RULES, type HubRules } from "../../../model/limits";
import { loadTenants } from "../../../model/load";
import type { Problem } from "../../../model/problems";
import { blockAssignment, cellsFileText, hubCapacityConfig, hubCapacityNeed, tenantResourcesByType, urnType } from "../../../tools/bench/fleet";
import { writeSyntheticTenants } from "../../../tools/synthetic-tenants";
import { PLANS_FILE } from "../../support/fixtures";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-bench-fleet-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const GiB = 2 ** 30;

/** N synthetic tenants in blocks of `size`, with the cells file naming their cells. */
function fleet(n: number, size: number) {
  const dir = path.join(work, `fleet-${n}-${size}`);
  const { cellCount, cellOf } = blockAssignment(n, size);
  writeSyntheticTenants(path.join(dir, "tenants"), n, cellOf);
  fs.writeFileSync(path.join(dir, "cells.yaml"), cellsFileText(cellCount));
  return { tenantsDir: path.join(dir, "tenants"), cellsFile: path.join(dir, "cells.yaml"), cellCount };
}

describe("the bench's cells", () => {
  it("puts tenants in full blocks, the last one holding the rest", () => {
    const { cellCount, cellOf } = blockAssignment(250, 100);
    expect(cellCount).toBe(3);
    expect([0, 99, 100, 199, 200, 249].map(cellOf)).toEqual(["c0", "c0", "c1", "c1", "c2", "c2"]);
    expect(() => blockAssignment(10, 0)).toThrow(/--cell-size/);
  });

  it("writes a cells file the program's validator accepts, and tenant files that name their cell on a line of its own", () => {
    const { tenantsDir, cellsFile } = fleet(7, 3);
    const problems: Problem[] = [];
    const cells = validateCells({ file: "cells.yaml", text: fs.readFileSync(cellsFile, "utf8") }, problems);
    expect(problems).toEqual([]);
    expect(cells).toMatchObject({ platformStack: "platform", defaultCell: "c0", cells: [{ name: "c0", stack: "cell-c0" }, { name: "c1", stack: "cell-c1" }, { name: "c2", stack: "cell-c2" }] });
    const named = fs.readdirSync(tenantsDir).sort().map((f) => cellLine(fs.readFileSync(path.join(tenantsDir, f), "utf8")));
    expect(named).toEqual(["c0", "c0", "c0", "c1", "c1", "c1", "c2"]);
  });
});

describe("the hub capacity the bench sets", () => {
  const { tenantsDir, cellsFile, cellCount } = fleet(10, 4);
  const load = (hub: HubRules, cell: string) => loadTenants({ tenantsDir, plansFile: PLANS_FILE, cellsFile, hub, cell, configSource: "bench" });
  const { tenants } = loadTenants({ tenantsDir, plansFile: PLANS_FILE, cellsFile });
  const groups = ["c0", "c1", "c2"].map((c) => tenants.filter((t) => t.cell === c).map(tenantHubShare));
  const need = hubCapacityNeed(groups, DEFAULT_HUB_RULES.platformConnections, cellCount);
  const rules = (over: Partial<HubRules> = {}): HubRules => ({ ...DEFAULT_HUB_RULES, maxConnections: need.maxConnections, fileStorePerServer: need.fileStore, memoryStorePerServer: need.memoryStore, ...over });
  /** The keys the validation blames, as each cell's stack loads its own tenants against its share. */
  const refused = (hub: HubRules) => {
    const keys = new Set<string>();
    for (const cell of ["c0", "c1", "c2"]) {
      try {
        expect(load(hub, cell).tenants.length).toBeGreaterThan(0);
      } catch (err) {
        const problems = (err as { problems?: Problem[] }).problems;
        if (!problems) throw err;
        for (const p of problems) keys.add(p.path);
      }
    }
    return [...keys];
  };

  it("is admitted by the program's validation, each cell checking its share", () => {
    expect(groups.map((g) => g.length)).toEqual([4, 4, 2]);
    expect(refused(rules())).toEqual([]);
  });

  it("is the least that is: one connection or one GiB less is refused", () => {
    expect(refused(rules({ maxConnections: need.maxConnections - 1 }))).toEqual(["tenancy:natsHubMaxConnections"]);
    expect(refused(rules({ fileStorePerServer: need.fileStore - GiB }))).toEqual(["tenancy:natsHubFileStore"]);
    expect(refused(rules({ memoryStorePerServer: need.memoryStore - GiB }))).toEqual(["tenancy:natsHubMemoryStore"]);
  });

  it("counts the cells of the cells file, not the cells holding tenants", () => {
    expect(hubCapacityNeed(groups, 1000, 6).maxConnections).toBe(1000 + 6 * need.largestCell.connections);
    expect(() => hubCapacityNeed(groups, 1000, 2)).toThrow(/3 groups/);
  });

  it("is stack config the program reads", () => {
    expect(hubCapacityConfig({ maxConnections: 7, fileStore: 3 * GiB, memoryStore: GiB, largestCell: { connections: 0, fileStore: 0, memoryStore: 0 } })).toEqual({
      "tenancy:natsHubMaxConnections": "7",
      "tenancy:natsHubFileStore": "3Gi",
      "tenancy:natsHubMemoryStore": "1Gi",
    });
  });
});

describe("a tenant's resources by type, from a stack's resources.yaml", () => {
  it("counts the tenant's component and its descendants, by their own type, and nothing else", () => {
    const yaml = [
      "- urn: urn:pulumi:cell-c0::tenancy::pulumi:pulumi:Stack$tenancy:index:CellIdentity::cell",
      "  parent: x",
      "- urn: urn:pulumi:cell-c0::tenancy::pulumi:pulumi:Stack$tenancy:index:Tenant::acme",
      "- urn: urn:pulumi:cell-c0::tenancy::pulumi:pulumi:Stack$tenancy:index:Tenant$kubernetes:core/v1:Namespace::acme-ns",
      "- urn: urn:pulumi:cell-c0::tenancy::pulumi:pulumi:Stack$tenancy:index:Tenant$tenancy:index:Edge$kubernetes:core/v1:Secret::acme-edge",
      "  inputs:",
      "    note: '- urn: not an entry'",
    ].join("\n");
    expect(tenantResourcesByType(yaml)).toEqual({ "tenancy:index:Tenant": 1, "kubernetes:core/v1:Namespace": 1, "kubernetes:core/v1:Secret": 1 });
    expect(() => urnType("not-a-urn")).toThrow(/not a Pulumi URN/);
  });
});
