/**
 * The offline fakes of @pulumi/postgresql against the provider's rules (terraform-provider-postgresql,
 * postgresql/*.go): ids, defaults filled in by its schema and read, the provider's database and user
 * as defaults, and the refusals of its Create functions and of PostgreSQL's names.
 */
import { describe, expect, it } from "vitest";
import { FakePostgresql } from "../../../engine/postgresql";

const PROVIDER_URN = "urn:pulumi:dev::tenancy::pulumi:providers:postgresql::postgresql";
function fake() {
  const f = new FakePostgresql();
  f.registerProvider(PROVIDER_URN, "pg-id", { database: "platform", username: "admin", port: "5432" });
  return f;
}
const create = (f: FakePostgresql, resource: string, inputs: Record<string, any>) =>
  f.create({ urn: `urn:pulumi:dev::tenancy::postgresql:index/x:${resource}::r`, type: `postgresql:index/x:${resource}`, name: "r", custom: true, inputs, provider: `${PROVIDER_URN}::pg-id` });

describe("postgresql fakes", () => {
  it("Role: the name is the id; unset flags take the provider schema's defaults", () => {
    const { id, state } = create(fake(), "Role", { name: "tenant_a", login: true });
    expect(id).toBe("tenant_a");
    expect(state).toMatchObject({ login: true, superuser: false, inherit: true, connectionLimit: -1, validUntil: "infinity", encryptedPassword: true, searchPaths: [], statementTimeout: 0 });
  });

  it("Schema: '<database>.<name>', the provider's database and user when unset", () => {
    expect(create(fake(), "Schema", { name: "s" })).toMatchObject({ id: "platform.s", state: { database: "platform", owner: "admin", dropCascade: false, ifNotExists: true } });
    expect(create(fake(), "Schema", { name: "s", database: "d", owner: "o" })).toMatchObject({ id: "d.s", state: { owner: "o" } });
  });

  it("Database: defaults of createDatabase (template0, UTF8, no limit), owner the connecting user", () => {
    expect(create(fake(), "Database", { name: "d" })).toMatchObject({ id: "d", state: { owner: "admin", template: "template0", encoding: "UTF8", connectionLimit: -1, allowConnections: true } });
  });

  it("Grant and DefaultPrivileges: generateGrantID and generateDefaultPrivilegesID", () => {
    expect(create(fake(), "Grant", { role: "r", database: "d", objectType: "database", privileges: ["CONNECT"] }).id).toBe("r_d_database");
    expect(create(fake(), "Grant", { role: "r", database: "d", schema: "s", objectType: "table", privileges: [] }).id).toBe("r_d_s_table");
    expect(create(fake(), "DefaultPrivileges", { role: "r", database: "d", owner: "o", schema: "s", objectType: "table", privileges: ["SELECT"] }).id).toBe("r_d_s_o_table");
    expect(create(fake(), "DefaultPrivileges", { role: "r", database: "d", owner: "o", objectType: "sequence", privileges: [] }).id).toBe("r_d_noschema_o_sequence");
  });

  const refusals: [string, string, Record<string, any>, RegExp][] = [
    ["a table grant without a schema", "Grant", { role: "r", database: "d", objectType: "table", privileges: ["SELECT"] }, /parameter 'schema' is mandatory/],
    ["a privilege the object type has not", "Grant", { role: "r", database: "d", objectType: "database", privileges: ["SELECT"] }, /SELECT is not an allowed privilege for object type database/],
    ["objects on a schema grant", "Grant", { role: "r", database: "d", schema: "s", objectType: "schema", objects: ["x"], privileges: [] }, /cannot specify `objects`/],
    ["an unknown object type", "Grant", { role: "r", database: "d", objectType: "view", privileges: [] }, /expected object_type to be one of/],
    ["a grant option for PUBLIC's default privileges", "DefaultPrivileges", { role: "public", database: "d", owner: "o", objectType: "table", privileges: ["SELECT"], withGrantOption: true }, /cannot be true for role 'public'/],
    ["a role name PostgreSQL would truncate", "Role", { name: "r".repeat(64) }, /64 bytes: PostgreSQL truncates it to 63/],
    ["a reserved schema name", "Schema", { name: "pg_tenant" }, /prefix "pg_" is reserved/],
    ["a connection limit below -1", "Role", { name: "r", connectionLimit: -2 }, /at least \(-1\)/],
  ];
  for (const [what, resource, inputs, error] of refusals) {
    it(`refuses ${what}`, () => expect(() => create(fake(), resource, inputs)).toThrow(error));
  }

  it("refuses a resource without a PostgreSQL provider", () => {
    expect(() => new FakePostgresql().create({ urn: "u", type: "postgresql:index/role:Role", name: "r", custom: true, inputs: { name: "r" } })).toThrow(/no PostgreSQL provider/);
  });
});
