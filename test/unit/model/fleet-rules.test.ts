/**
 * The rules between tenant files hold over the whole fleet, not only within a cell: a cell's stack
 * validates and declares only its own files, yet refuses a collision with a file of another cell
 * (derived names, edge clusters, groups), naming both files, the field and the rule. Without cells
 * the stack reads every file as before.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { fleetFiles } from "../../../model/fleet-index";
import { loadTenants } from "../../../model/load";
import type { EdgeOptions } from "../../../model/model";
import { validatePlans } from "../../../model/plans";
import { formatProblem, ValidationError, type Problem } from "../../../model/problems";
import { validateTenants } from "../../../model/tenants";
import { PLANS_FILE, goodTenant, tenantsDir, yamlOf } from "../../support/fixtures";

const CELLS = ["platform: { stack: platform }", "defaultCell: a", "cells:", "  - { name: a, stack: cell-a }", "  - { name: b, stack: cell-b }", "  - { name: c, stack: cell-c }", ""].join("\n");
const EDGE: EdgeOptions = { clusters: ["site-a"], publicHubLeafUrl: "nats-leaf://hub.example.net:7422", serviceType: "ClusterIP", edgeClusterPodCidrs: { "site-a": ["10.42.0.0/16"] } };

/** A tenant file of `cell` (none: the default), changed by `fn`. */
function tenant(slug: string, cell: string | undefined, fn: (t: Record<string, any>) => void = () => {}): string {
  const t = goodTenant(slug);
  if (cell !== undefined) t.cell = cell;
  fn(t);
  return yamlOf(t);
}

/** Loads `files` as the stack of `cell` (undefined: a stack without cells); the problems, formatted, and the slugs declared. */
function load(files: Record<string, string>, cell: string | undefined, options: { edge?: EdgeOptions; withCells?: boolean } = {}) {
  const dir = tenantsDir(files);
  const cellsFile = path.join(dir, "..", `${path.basename(dir)}-cells.yaml`);
  fs.writeFileSync(cellsFile, CELLS);
  const relativeTo = path.dirname(dir);
  try {
    const { tenants } = loadTenants({ tenantsDir: dir, plansFile: PLANS_FILE, relativeTo, ...(options.withCells !== false ? { cellsFile } : {}), ...(cell !== undefined ? { cell } : {}), ...(options.edge ? { edge: options.edge } : {}) });
    return { problems: [] as string[], slugs: tenants.map((t) => t.slug), base: path.basename(dir) };
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return { problems: e.problems.map(formatProblem), slugs: [] as string[], base: path.basename(dir) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(cellsFile, { force: true });
  }
}

describe("rules between files, over the fleet's cells", () => {
  const edgeFleet = {
    "acme.yaml": tenant("acme", "a", (t) => (t.edge = { cluster: "site-a" })),
    "beta.yaml": tenant("beta", "b", (t) => (t.edge = { cluster: "site-a" })),
    "gamma.yaml": tenant("gamma", "c"),
  };

  it("refuses two tenants of different cells on one edge cluster, in both cells' stacks, with the same problem", () => {
    const a = load(edgeFleet, "a", { edge: EDGE });
    const b = load(edgeFleet, "b", { edge: EDGE });
    const expected = `${a.base}/beta.yaml: edge.cluster: edge cluster "site-a" already serves ${a.base}/acme.yaml; an edge cluster serves one tenant`;
    expect(a.problems).toEqual([expected]);
    expect(b.problems).toEqual([`${b.base}/beta.yaml: edge.cluster: edge cluster "site-a" already serves ${b.base}/acme.yaml; an edge cluster serves one tenant`]);
    // The cell that holds neither declares its own tenant: the problem is not its own.
    expect(load(edgeFleet, "c", { edge: EDGE })).toMatchObject({ problems: [], slugs: ["gamma"] });
  });

  it("finds an edge cluster another cell's file spells with a YAML escape", () => {
    const files = { "acme.yaml": tenant("acme", "a", (t) => (t.edge = { cluster: "site-a" })), "beta.yaml": tenant("beta", "b", (t) => (t.edge = { cluster: "site-a" })).replace(/cluster: site-a/, 'cluster: "site\\x2da"') };
    expect(fs.existsSync(PLANS_FILE)).toBe(true);
    const a = load(files, "a", { edge: EDGE });
    expect(a.problems).toEqual([`${a.base}/beta.yaml: edge.cluster: edge cluster "site-a" already serves ${a.base}/acme.yaml; an edge cluster serves one tenant`]);
  });

  const namesFleet = {
    // x1-org's edge namespace tenant-x1-org-edge is also x1's organization "edge"'s namespace.
    "x1.yaml": tenant("x1", "a", (t) => (t.organizations = [{ id: "netops" }, { id: "edge" }])),
    "x1-org.yaml": tenant("x1-org", "b", (t) => (t.organizations = [{ id: "x" }])),
  };

  it("refuses a derived namespace that collides with another cell's tenant, whichever cell reads it", () => {
    for (const cell of ["a", "b"]) {
      const { problems, base } = load(namesFleet, cell);
      expect(problems, `cell ${cell}`).toEqual([`${base}/x1.yaml: organizations[1].id: namespace of organization "edge" "tenant-x1-org-edge" collides with edge namespace of ${base}/x1-org.yaml`]);
    }
    expect(load(namesFleet, "c")).toMatchObject({ problems: [], slugs: [] });
  });

  it("finds an organization of another cell's tenant whose namespace one of this cell's names is", () => {
    // Here the organization is the other cell's file's: cell b must parse x1's organizations to see it.
    const files = { "x1.yaml": tenant("x1", "a", (t) => (t.organizations = [{ id: "edge" }])), "x1-org.yaml": tenant("x1-org", "b", (t) => (t.organizations = [{ id: "y" }])) };
    const { problems, base } = load(files, "b");
    expect(problems).toEqual([`${base}/x1.yaml: organizations[0].id: namespace of organization "edge" "tenant-x1-org-edge" collides with edge namespace of ${base}/x1-org.yaml`]);
  });

  it("refuses a group of a tenant of another cell", () => {
    const files = { "acme.yaml": tenant("acme", "a", (t) => t.access.admins.push("beta:admins")), "beta.yaml": tenant("beta", "b") };
    const { problems, base } = load(files, "a");
    expect(problems).toEqual([`${base}/acme.yaml: access.admins[1]: "beta:admins" is a group of tenant "beta" (prefix "beta:"): a tenant file grants only its own groups`]);
    expect(load(files, "b")).toMatchObject({ problems: [], slugs: ["beta"] });
  });

  it("a file naming a cell the cells file does not know is refused by the default cell's stack, and no other", () => {
    const files = { "acme.yaml": tenant("acme", "zz"), "beta.yaml": tenant("beta", "b") };
    const a = load(files, "a");
    expect(a.problems).toEqual([`${a.base}/acme.yaml: cell: no cell "zz" in ${a.base}-cells.yaml (known: a, b, c)`]);
    expect(load(files, "b")).toMatchObject({ problems: [], slugs: ["beta"] });
  });

  it("each cell still declares only its own tenants, and another cell's broken file is that cell's to refuse", () => {
    const files = { "acme.yaml": tenant("acme", "a"), "beta.yaml": tenant("beta", "b"), "broken.yaml": "cell: c\nslug: [unclosed\n" };
    expect(load(files, "a")).toMatchObject({ problems: [], slugs: ["acme"] });
    expect(load(files, "b")).toMatchObject({ problems: [], slugs: ["beta"] });
    expect(load(files, "c").problems.length).toBeGreaterThan(0);
  });

  it("a stack without cells reads every file and reports the same collisions as before", () => {
    const files = { "acme.yaml": tenant("acme", undefined, (t) => (t.edge = { cluster: "site-a" })), "beta.yaml": tenant("beta", undefined, (t) => (t.edge = { cluster: "site-a" })) };
    const { problems, base } = load(files, undefined, { edge: EDGE, withCells: false });
    expect(problems).toEqual([`${base}/beta.yaml: edge.cluster: edge cluster "site-a" already serves ${base}/acme.yaml; an edge cluster serves one tenant`]);
    const names = { "x1.yaml": tenant("x1", undefined, (t) => (t.organizations = [{ id: "edge" }])), "x1-org.yaml": tenant("x1-org", undefined) };
    const n = load(names, undefined, { withCells: false });
    expect(n.problems).toEqual([`${n.base}/x1.yaml: organizations[0].id: namespace of organization "edge" "tenant-x1-org-edge" collides with edge namespace of ${n.base}/x1-org.yaml`]);
    expect(load({ "acme.yaml": tenant("acme", undefined), "beta.yaml": tenant("beta", undefined) }, undefined, { withCells: false })).toMatchObject({ problems: [], slugs: ["acme", "beta"] });
  });
});

describe("the stack's own names against another cell's file", () => {
  it("leaves a file of another cell that takes a name the platform reserves to that cell, and refuses its own", () => {
    const plans = validatePlans({ file: "plans/plans.yaml", text: fs.readFileSync(PLANS_FILE, "utf8") }, [])!;
    const database = { configured: true, maxTenantConnections: 80, reservedNames: [{ what: "migration role (tenancy:postgresMigrationRole)", name: "tenant_acme" }] };
    const acme = { file: "tenants/acme.yaml", text: tenant("acme", undefined) };
    const beta = { file: "tenants/beta.yaml", text: tenant("beta", undefined) };
    const run = (sources: typeof acme[], others: typeof acme[]) => {
      const problems: Problem[] = [];
      const tenants = validateTenants(sources, plans, problems, { database }, others);
      return { slugs: tenants.map((t) => t.slug), problems: problems.map(formatProblem) };
    };
    expect(run([beta], [acme])).toEqual({ slugs: ["beta"], problems: [] });
    expect(run([acme], [beta]).problems).toEqual(['tenants/acme.yaml: slug: PostgreSQL role, schema and database "tenant_acme" collides with the stack\'s migration role (tenancy:postgresMigrationRole)']);
  });
});

describe("fleetFiles: another cell's file is read only as far as the rules need", () => {
  const other = (slug: string, doc: Record<string, any>) => ({ file: `tenants/${slug}.yaml`, text: yamlOf(doc) });
  const slugOf = (file: string) => path.basename(file, ".yaml");

  it("takes a file's slug names from its name, its organizations only when one of this cell's names could be theirs", () => {
    const beta = other("beta", goodTenant("beta"));
    const [plain] = fleetFiles([beta], slugOf, { ownNames: ["tenant-acme"], edgeClusters: [] });
    expect(plain!.names.map((n) => n.name)).toEqual(["tenant-beta", "tenant-beta-edge", "tenant_beta"]);
    const [read] = fleetFiles([beta], slugOf, { ownNames: ["tenant-beta-org-netops-x"], edgeClusters: [] });
    expect(read!.names.map((n) => [n.name, n.at])).toEqual([
      ["tenant-beta", "slug"],
      ["tenant-beta-edge", "slug"],
      ["tenant-beta-org-netops", "organizations[0].id"],
      ["tenant-beta-org-secops", "organizations[1].id"],
      ["tenant_beta", "slug"],
    ]);
  });

  it("reads the edge cluster of a file that spells one of the stack's clusters, and of no other", () => {
    const doc = { ...goodTenant("beta"), edge: { cluster: "site-a" } };
    expect(fleetFiles([other("beta", doc)], slugOf, { ownNames: [], edgeClusters: ["site-a"] })[0]!.edgeCluster).toBe("site-a");
    expect(fleetFiles([other("beta", doc)], slugOf, { ownNames: [], edgeClusters: ["site-b"] })[0]!.edgeCluster).toBeUndefined();
  });
});
