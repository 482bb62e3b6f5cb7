/**
 * The database level of tenant files against plans and the stack's PostgreSQL: what is refused
 * (one problem per rule, blamed on the plan or on the override that set the value), the names'
 * PostgreSQL rules, and the lifecycle guard's refusal to drop a schema or database by a file edit.
 */
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { removalProblems } from "../../../model/lifecycle";
import type { DatabaseOptions } from "../../../model/model";
import { validatePlans } from "../../../model/plans";
import { formatProblem, type Problem } from "../../../model/problems";
import { derivedNameProblems, validateTenants } from "../../../model/tenants";
import { PLANS_FILE, goodTenant, yamlOf } from "../../support/fixtures";

const plans = validatePlans({ file: "plans/plans.yaml", text: fs.readFileSync(PLANS_FILE, "utf8") }, [])!;
const configured: DatabaseOptions = {
  configured: true,
  maxTenantConnections: 80,
  reservedNames: [{ what: "migration role (tenancy:postgresMigrationRole)", name: "serviceradar" }],
};

function check(doc: Record<string, any>, options: DatabaseOptions | undefined = configured) {
  const problems: Problem[] = [];
  const tenants = validateTenants([{ file: `tenants/${doc.slug}.yaml`, text: yamlOf(doc) }], plans, problems, { database: options });
  return { tenants, problems: problems.map(formatProblem) };
}
const tenant = (change: (t: Record<string, any>) => void) => {
  const t = goodTenant();
  change(t);
  return t;
};

describe("database isolation in tenant files", () => {
  it("resolves the plan's level and the tenant's override", () => {
    expect(check(goodTenant()).tenants[0].limits.database).toEqual({ isolation: "attribute", connectionLimit: 20, statementTimeout: "120s", idleInTransactionTimeout: "120s" });
    const enterprise = check(tenant((t) => (t.plan = "enterprise"))).tenants[0];
    expect(enterprise.limits.database.isolation).toBe("schema");
    const overridden = check(tenant((t) => (t.overrides = { database: { isolation: "database", connectionLimit: 5 } }))).tenants[0];
    expect(overridden.limits.database).toMatchObject({ isolation: "database", connectionLimit: 5 });
  });

  const cases: [string, Record<string, any>, DatabaseOptions | undefined, string[]][] = [
    [
      "a schema tenant in a stack without PostgreSQL (the plan's level)",
      tenant((t) => (t.plan = "enterprise")),
      { ...configured, configured: false },
      ['tenants/acme.yaml: plan: database.isolation: schema isolation needs the platform\'s PostgreSQL, and the stack configures none: set tenancy:postgresHost (docs/database.md) (plan "enterprise"; override it at overrides.database.isolation)'],
    ],
    [
      "a database tenant in a stack without PostgreSQL (the override)",
      tenant((t) => (t.overrides = { database: { isolation: "database" } })),
      { ...configured, configured: false },
      ["tenants/acme.yaml: overrides.database.isolation: database isolation needs the platform's PostgreSQL, and the stack configures none: set tenancy:postgresHost (docs/database.md)"],
    ],
    [
      "a connection limit that eats the platform's reserve",
      tenant((t) => (t.overrides = { database: { isolation: "schema", connectionLimit: 81 } })),
      configured,
      [
        'tenants/acme.yaml: overrides.database.connectionLimit: 81 is above plan "pro"\'s ceiling 40',
        "tenants/acme.yaml: overrides.database.connectionLimit: 81 connections would leave the platform less than its reserve: at most 80 (tenancy:postgresMaxConnections less tenancy:postgresReservedConnections)",
      ],
    ],
    [
      "a move from the level the tenant is at",
      tenant((t) => {
        t.plan = "enterprise";
        t.database = { moveFrom: "schema" };
      }),
      configured,
      ['tenants/acme.yaml: database.moveFrom: the tenant is at schema isolation already (plan "enterprise"): moveFrom names the level it leaves'],
    ],
    [
      "timeouts PostgreSQL cannot hold, all at once",
      tenant((t) => (t.overrides = { database: { statementTimeout: "0s", idleInTransactionTimeout: "1500us" } })),
      configured,
      [
        "tenants/acme.yaml: overrides.database.statementTimeout: 0s is less than 1ms: PostgreSQL counts whole milliseconds, and 0 disables the timeout",
        "tenants/acme.yaml: overrides.database.idleInTransactionTimeout: 1500us is not a whole number of milliseconds",
      ],
    ],
    [
      "a timeout beyond PostgreSQL's int of milliseconds",
      tenant((t) => (t.overrides = { database: { statementTimeout: "600h" } })),
      configured,
      [
        'tenants/acme.yaml: overrides.database.statementTimeout: plan "pro" states no ceiling for database.statementTimeout: it cannot be overridden (a plan\'s ceilings: say how far each value may go)',
        "tenants/acme.yaml: overrides.database.statementTimeout: 600h exceeds PostgreSQL's largest timeout (2147483647ms, about 596h)",
      ],
    ],
    [
      "a tenant whose identifier is a name the platform holds",
      tenant(() => {}),
      { ...configured, reservedNames: [{ what: "migration role (tenancy:postgresMigrationRole)", name: "tenant_acme" }] },
      ['tenants/acme.yaml: slug: PostgreSQL role, schema and database "tenant_acme" collides with the stack\'s migration role (tenancy:postgresMigrationRole)'],
    ],
    ["an unknown level", tenant((t) => (t.overrides = { database: { isolation: "row" } })), configured, ['tenants/acme.yaml: overrides.database.isolation: must be one of "attribute", "schema", "database" (got "row")']],
  ];
  for (const [what, doc, options, expected] of cases) {
    it(`refuses ${what}`, () => {
      const { tenants, problems } = check(doc, options);
      expect(problems).toEqual(expected);
      expect(tenants).toEqual([]);
    });
  }

  it("checks derived PostgreSQL identifiers: bytes, form and the reserved pg_ prefix", () => {
    const pgName = (name: string) => derivedNameProblems({ what: "schema", name, system: "postgresql" });
    expect(pgName("tenant_acme")).toEqual([]);
    expect(pgName(`tenant_${"a".repeat(57)}`)).toEqual([`schema "tenant_${"a".repeat(57)}" is 64 bytes; PostgreSQL allows 63`]);
    expect(pgName("Tenant-X")).toEqual(['schema "Tenant-X" is not a lower-case PostgreSQL identifier (a letter or _, then letters, digits, _ or $)']);
    expect(pgName("pg_tenant")).toEqual(['schema "pg_tenant" starts with "pg_", which PostgreSQL reserves']);
    expect(derivedNameProblems({ what: "root namespace", name: "x".repeat(64), system: "kubernetes" })).toEqual([`root namespace "${"x".repeat(64)}" is 64 characters; Kubernetes allows 63`]);
  });
});

describe("the lifecycle guard on database levels", () => {
  const resolve = (doc: Record<string, any>) => check(doc).tenants;
  const previous = (database: { isolation: string; movingFrom?: string }, status = "active") => ({ acme: { status, namespaces: ["tenant-acme"], organizations: ["netops", "secops"], database } });
  const problems = (prev: ReturnType<typeof previous>, doc: Record<string, any>) => removalProblems(prev, resolve(doc), (s) => `tenants/${s}.yaml`).map(formatProblem);
  const atDatabase = tenant((t) => (t.overrides = { database: { isolation: "database" } }));

  it("refuses a level change that would drop the schema with its data", () => {
    expect(problems(previous({ isolation: "schema" }), atDatabase)).toEqual([
      'tenants/acme.yaml: plan: database isolation changes from schema to database: the tenant\'s schema and its data would be dropped. Move it instead: set `database: { moveFrom: schema }` with the new level, copy the data over, then remove moveFrom (docs/database.md, "Moving between levels")',
    ]);
    expect(problems(previous({ isolation: "database" }), goodTenant())).toHaveLength(1);
  });

  it("lets a move start, lets it end, and lets any level go once decommissioned", () => {
    const moving = tenant((t) => {
      t.overrides = { database: { isolation: "database" } };
      t.database = { moveFrom: "schema" };
    });
    expect(problems(previous({ isolation: "schema" }), moving)).toEqual([]);
    expect(problems(previous({ isolation: "database", movingFrom: "schema" }), atDatabase)).toEqual([]);
    expect(problems(previous({ isolation: "schema" }), tenant((t) => (t.status = "decommissioned")))).toEqual([]);
    expect(problems(previous({ isolation: "attribute" }), atDatabase)).toEqual([]);
    // A stack from before the database layer has no level in its outputs.
    expect(removalProblems({ acme: { status: "active", namespaces: [], organizations: ["netops", "secops"] } }, resolve(atDatabase), (s) => s)).toEqual([]);
  });
});
