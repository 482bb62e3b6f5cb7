/**
 * tenantDatabasePlan without Pulumi: what each level declares, with expectations from the plans
 * file's values and PostgreSQL's meaning (a grant with no privileges is the provider's revoke).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readSettings } from "../../../config/settings";
import { validatePlans } from "../../../model/plans";
import type { Problem } from "../../../model/problems";
import { validateTenants } from "../../../model/tenants";
import { platformDatabasePlan, tenantDatabasePlan } from "../../../plan/database";
import { PLANS_FILE, REPO, goodTenant, yamlOf } from "../../support/fixtures";

const devConfig = parse(fs.readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8")).config as Record<string, unknown>;
const settings = readSettings((key) => devConfig[`tenancy:${key}`]);
const plans = validatePlans({ file: "plans/plans.yaml", text: fs.readFileSync(PLANS_FILE, "utf8") }, [])!;
const plansFile = parse(fs.readFileSync(PLANS_FILE, "utf8")).plans;

function model(change: (t: Record<string, any>) => void) {
  const t = goodTenant();
  change(t);
  const problems: Problem[] = [];
  const [tenant] = validateTenants([{ file: "tenants/acme.yaml", text: yamlOf(t) }], plans, problems);
  expect(problems).toEqual([]);
  return tenant;
}
const plan = (change: (t: Record<string, any>) => void) => tenantDatabasePlan("acme", model(change), settings.postgres);
const grantsOf = (p: ReturnType<typeof plan>, level = 0) => p!.levels[level].grants.map((g) => `${g.inputs.role} ${g.inputs.objectType} ${g.inputs.database}${g.inputs.schema ? `.${g.inputs.schema}` : ""}: ${g.inputs.privileges.join(",") || "(none)"}`);

describe("a tenant's database plan", () => {
  it("attribute isolation provisions nothing", () => {
    expect(plan(() => {})).toBeUndefined();
  });

  it("schema isolation: a role of its own, bounded by the plan, and a schema in the platform's database that only it and the migration role use", () => {
    const p = plan((t) => (t.plan = "enterprise"))!;
    const e = plansFile.enterprise.database;
    expect(p.role.inputs).toEqual({
      name: "tenant_acme",
      login: true,
      superuser: false,
      createDatabase: false,
      createRole: false,
      replication: false,
      bypassRowLevelSecurity: false,
      inherit: false,
      connectionLimit: e.connectionLimit,
      // The enterprise plan's 300s, in the milliseconds PostgreSQL's settings take.
      statementTimeout: 300_000,
      idleInTransactionSessionTimeout: 300_000,
      searchPaths: ["tenant_acme"],
    });
    expect(p.levels.map((l) => l.level)).toEqual(["schema"]);
    expect(p.levels[0].schema.inputs).toEqual({ name: "tenant_acme", database: settings.postgres.database, owner: settings.postgres.migrationRole, dropCascade: false });
    expect(p.levels[0].schema.protect).toBe(true);
    expect(grantsOf(p)).toEqual([
      "tenant_acme database serviceradar: CONNECT",
      "tenant_acme schema serviceradar.tenant_acme: USAGE",
      "tenant_acme table serviceradar.tenant_acme: SELECT,INSERT,UPDATE,DELETE",
      "tenant_acme sequence serviceradar.tenant_acme: USAGE,SELECT",
      "public schema serviceradar.tenant_acme: (none)",
      "public table serviceradar.tenant_acme: (none)",
    ]);
    expect(p.levels[0].defaultPrivileges.map((d) => `${d.inputs.owner}→${d.inputs.role} ${d.inputs.objectType}: ${d.inputs.privileges.join(",")}`)).toEqual([
      "serviceradar→tenant_acme table: SELECT,INSERT,UPDATE,DELETE",
      "serviceradar→tenant_acme sequence: USAGE,SELECT",
    ]);
    expect(p.credentials.name).toBe("postgres-acme-creds");
    expect(p.credentials.values).toEqual({ PGHOST: "127.0.0.1", PGPORT: "5432", PGDATABASE: "serviceradar", PGUSER: "tenant_acme", PGSSLMODE: "disable" });
    expect(p.summary.export).toBe("pg_dump --format=custom --schema=tenant_acme --file=tenant_acme.dump serviceradar");
  });

  it("database isolation: a database of its own, PUBLIC stripped of its connect and of `public`", () => {
    const p = plan((t) => (t.overrides = { database: { isolation: "database" } }))!;
    expect(p.levels[0].database).toEqual({ logicalName: "acme/postgres-database/database", inputs: { name: "tenant_acme", owner: "serviceradar" }, protect: true });
    expect(grantsOf(p).slice(0, 3)).toEqual(["public database tenant_acme: (none)", "public schema tenant_acme.public: (none)", "tenant_acme database tenant_acme: CONNECT"]);
    expect(p.credentials.values.PGDATABASE).toBe("tenant_acme");
  });

  it("suspension refuses logins; decommissioning also lets the schema go with its data, and nothing else changes", () => {
    const active = plan((t) => (t.plan = "enterprise"))!;
    const suspended = plan((t) => ((t.plan = "enterprise"), (t.status = "suspended")))!;
    const decommissioned = plan((t) => ((t.plan = "enterprise"), (t.status = "decommissioned")))!;
    expect(suspended).toEqual({ ...active, role: { ...active.role, inputs: { ...active.role.inputs, login: false } } });
    expect(decommissioned.role.inputs.login).toBe(false);
    expect(decommissioned.levels[0].schema).toMatchObject({ protect: false, inputs: { dropCascade: true } });
  });

  it("a move declares both levels under distinct names; the level being left may be dropped", () => {
    const p = plan((t) => {
      t.overrides = { database: { isolation: "database" } };
      t.database = { moveFrom: "schema" };
    })!;
    expect(p.levels.map((l) => [l.level, l.schema.logicalName, l.schema.protect, l.schema.inputs.database])).toEqual([
      ["database", "acme/postgres-database/schema", true, "tenant_acme"],
      ["schema", "acme/postgres-schema/schema", false, "serviceradar"],
    ]);
    expect(p.summary).toMatchObject({ isolation: "database", movingFrom: "schema", database: "tenant_acme" });
    expect(p.credentials.values.PGDATABASE).toBe("tenant_acme");
  });

  it("the platform's database: PUBLIC loses CONNECT and `public`, only when the stack has a PostgreSQL", () => {
    expect(platformDatabasePlan("platform", settings.postgres)!.grants.map((g) => `${g.logicalName}: ${g.inputs.role} ${g.inputs.objectType} ${g.inputs.schema ?? ""}`)).toEqual([
      "platform-postgres-grant-public-connect: public database ",
      "platform-postgres-grant-public-public-schema: public schema public",
    ]);
    expect(platformDatabasePlan("platform", { ...settings.postgres, host: undefined })).toBeUndefined();
  });
});
