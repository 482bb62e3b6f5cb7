/**
 * Offline fakes of @pulumi/postgresql 3.18.1, which bridges terraform-provider-postgresql (cyrilgdn,
 * the commit pulumi-postgresql's `upstream` pins). What each resource answers is what the provider's
 * Create and Read set in state, from its schema's defaults and the provider configuration; what it
 * refuses is what the provider's Create refuses before or while it issues its SQL (its validation,
 * and PostgreSQL's own refusals of names). Source of each rule, in postgresql/ of the provider:
 *
 * - Role (resource_postgresql_role.go): id = name; defaults connection_limit -1, valid_until
 *   "infinity", inherit true, encrypted_password true, every other flag false; search_path, timeouts
 *   and assume_role read back from rolconfig (absent: [], 0, "").
 * - Schema (resource_postgresql_schema.go): id = "<database>.<name>" (generateSchemaID); database
 *   defaults to the provider's, owner to the connecting user (CREATE SCHEMA without AUTHORIZATION);
 *   if_not_exists true, drop_cascade false.
 * - Database (resource_postgresql_database.go): id = name; owner defaults to the connecting user,
 *   template to template0, encoding to UTF8, connection_limit -1, allow_connections true, is_template
 *   false, tablespace pg_default. lc_collate and lc_ctype come from the server: unknowable offline,
 *   they are left out unless given.
 * - Grant (resource_postgresql_grant.go): id = generateGrantID; the checks of
 *   resourcePostgreSQLGrantCreateOrUpdate and validatePrivileges (helpers.go).
 * - DefaultPrivileges (resource_postgresql_default_privileges.go): id = generateDefaultPrivilegesID;
 *   the checks of resourcePostgreSQLDefaultPrivilegesCreate.
 *
 * PostgreSQL itself truncates identifiers longer than 63 bytes (NAMEDATALEN - 1) with a NOTICE, after
 * which the provider's Read finds nothing under the name it created; and it refuses role and schema
 * names starting with "pg_". Both are refused here, so a render fails where `pulumi up` would.
 */
import type { FakeArgs, FakeResult } from "./fake-types";

const IDENTIFIER_BYTES = 63;

/**
 * postgresql_role's schema defaults (resourcePostgreSQLRole), which its read also reports when the
 * catalog has nothing else: an unset search_path, timeout or assume_role reads back empty or 0.
 * The provider oracle (test/oracles/postgresql-provider.ts) takes them from here too.
 */
export const ROLE_DEFAULTS = {
  superuser: false,
  createDatabase: false,
  createRole: false,
  inherit: true,
  login: false,
  replication: false,
  bypassRowLevelSecurity: false,
  connectionLimit: -1,
  validUntil: "infinity",
  encryptedPassword: true,
  skipDropRole: false,
  skipReassignOwned: false,
  roles: [] as string[],
  searchPaths: [] as string[],
  statementTimeout: 0,
  idleInTransactionSessionTimeout: 0,
  assumeRole: "",
};

/** validatePrivileges' allowed privileges per object type (helpers.go `allowedPrivileges`, PostgreSQL < 17: no MAINTAIN). */
const ALLOWED_PRIVILEGES: Record<string, string[]> = {
  database: ["ALL", "CREATE", "CONNECT", "TEMPORARY"],
  table: ["ALL", "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"],
  sequence: ["ALL", "USAGE", "SELECT", "UPDATE"],
  schema: ["ALL", "CREATE", "USAGE"],
  function: ["ALL", "EXECUTE"],
  procedure: ["ALL", "EXECUTE"],
  routine: ["ALL", "EXECUTE"],
  type: ["ALL", "USAGE"],
  foreign_data_wrapper: ["ALL", "USAGE"],
  foreign_server: ["ALL", "USAGE"],
  column: ["ALL", "SELECT", "INSERT", "UPDATE", "REFERENCES"],
};
/** resource_postgresql_grant.go `allowedObjectTypes`. */
const GRANT_OBJECT_TYPES = ["database", "function", "procedure", "routine", "schema", "sequence", "table", "foreign_data_wrapper", "foreign_server", "column"];
/** The object types of resource_postgresql_default_privileges.go's schema. */
const DEFAULT_PRIVILEGES_OBJECT_TYPES = ["table", "sequence", "function", "routine", "type", "schema"];
const WITHOUT_SCHEMA = ["database", "foreign_data_wrapper", "foreign_server"];

/** What a provider resource was configured with (resolved; its fields may arrive JSON-encoded). */
interface ProviderConfig {
  database: string;
  username: string;
}

export class FakePostgresql {
  private readonly providers = new Map<string, ProviderConfig>();

  /** Records a `pulumi:providers:postgresql` resource's configuration, with the provider's defaults (provider.go). */
  registerProvider(urn: string, id: string, inputs: Record<string, any>): void {
    this.providers.set(`${urn}::${id}`, {
      database: decoded(inputs.database) ?? "postgres",
      username: decoded(inputs.username) ?? "postgres",
    });
  }

  create(args: FakeArgs): FakeResult {
    const provider = this.providers.get(args.provider ?? "");
    if (!provider) throw new Error(`postgresql: ${args.urn} has no PostgreSQL provider this engine knows (set \`provider\`)`);
    const resource = args.type.split(":").pop();
    const i = args.inputs;
    const fail = (message: string): never => {
      throw new Error(`postgresql: ${args.urn}: ${message}`);
    };
    switch (resource) {
      case "Role": {
        checkIdentifier(i.name, "role", fail);
        if (Number(i.connectionLimit ?? -1) < -1) fail("connection_limit: expected to be at least (-1)");
        for (const key of ["statementTimeout", "idleInTransactionSessionTimeout"]) if (Number(i[key] ?? 0) < 0) fail(`${key}: expected to be at least (0)`);
        if (i.password !== undefined && i.passwordWo !== undefined) fail('"password": conflicts with password_wo');
        for (const part of i.searchPaths ?? []) if (String(part).includes(", ")) fail(`search_path cannot contain \`, \`: ${part}`);
        return { id: i.name, state: { ...ROLE_DEFAULTS, ...i } };
      }
      case "Schema": {
        checkIdentifier(i.name, "schema", fail);
        const database = i.database ?? provider.database;
        return { id: `${database}.${i.name}`, state: { ifNotExists: true, dropCascade: false, policies: [], ...i, database, owner: i.owner ?? provider.username } };
      }
      case "Database": {
        checkIdentifier(i.name, "database", fail);
        const state = {
          template: "template0",
          encoding: "UTF8",
          connectionLimit: -1,
          allowConnections: true,
          isTemplate: false,
          tablespaceName: "pg_default",
          alterObjectOwnership: false,
          ...i,
          owner: i.owner ?? provider.username,
        };
        return { id: i.name, state };
      }
      case "Grant": {
        const objectType = String(i.objectType);
        if (!GRANT_OBJECT_TYPES.includes(objectType)) fail(`expected object_type to be one of ${JSON.stringify(GRANT_OBJECT_TYPES)}, got ${objectType}`);
        const objects: string[] = i.objects ?? [];
        const columns: string[] = i.columns ?? [];
        const privileges: string[] = i.privileges ?? fail('The argument "privileges" is required');
        if (!i.role) fail('The argument "role" is required');
        if (!i.database) fail('The argument "database" is required');
        if (!i.schema && !WITHOUT_SCHEMA.includes(objectType)) fail("parameter 'schema' is mandatory for postgresql_grant resource");
        if (objects.length > 0 && (objectType === "database" || objectType === "schema")) fail("cannot specify `objects` when `object_type` is `database` or `schema`");
        if (columns.length > 0 && objectType !== "column") fail("cannot specify `columns` when `object_type` is not `column`");
        if (columns.length === 0 && objectType === "column") fail("must specify `columns` when `object_type` is `column`");
        if (objectType === "column" && privileges.length !== 1) fail("must specify exactly 1 `privileges` when `object_type` is `column`");
        if (objectType === "column" && objects.length !== 1) fail("must specify exactly 1 table in the `objects` field when `object_type` is `column`");
        if (objects.length !== 1 && (objectType === "foreign_data_wrapper" || objectType === "foreign_server")) {
          fail("one element must be specified in `objects` when `object_type` is `foreign_data_wrapper` or `foreign_server`");
        }
        checkPrivileges(objectType, privileges, fail);
        // generateGrantID
        const parts = [i.role, i.database, ...(WITHOUT_SCHEMA.includes(objectType) ? [] : [i.schema ?? ""]), objectType, ...objects, ...columns];
        return { id: parts.join("_"), state: { objects: [], columns: [], withGrantOption: false, ...i, schema: i.schema ?? "" } };
      }
      case "DefaultPrivileges": {
        const objectType = String(i.objectType);
        if (!DEFAULT_PRIVILEGES_OBJECT_TYPES.includes(objectType)) fail(`expected object_type to be one of ${JSON.stringify(DEFAULT_PRIVILEGES_OBJECT_TYPES)}, got ${objectType}`);
        for (const key of ["role", "database", "owner", "privileges"]) if (i[key] === undefined) fail(`The argument "${key}" is required`);
        if (i.schema && objectType === "schema") fail("cannot specify `schema` when `object_type` is `schema`");
        if (i.withGrantOption === true && String(i.role).toLowerCase() === "public") fail("with_grant_option cannot be true for role 'public'");
        checkPrivileges(objectType, i.privileges, fail);
        // generateDefaultPrivilegesID
        const id = [i.role, i.database, i.schema || "noschema", i.owner, objectType].join("_");
        return { id, state: { withGrantOption: false, ...i, schema: i.schema ?? "" } };
      }
      default:
        return fail(`no fake for resource type ${args.type}`);
    }
  }
}

/** A provider input as the engine hands it: plain, or JSON-encoded as provider inputs may be. */
function decoded(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  return String(value);
}

function checkIdentifier(name: unknown, what: "role" | "schema" | "database", fail: (message: string) => never): void {
  if (typeof name !== "string" || name === "") fail(`error setting ${what} name to an empty string`);
  const text = name as string;
  if (Buffer.byteLength(text) > IDENTIFIER_BYTES) {
    fail(`${what} name "${text}" is ${Buffer.byteLength(text)} bytes: PostgreSQL truncates it to ${IDENTIFIER_BYTES} and the provider's read then finds no ${what} "${text}"`);
  }
  // PostgreSQL: CreateRole's "role name is reserved", CreateSchemaCommand's "unacceptable schema name".
  if (what !== "database" && text.startsWith("pg_")) fail(`${what} name "${text}" is reserved: the prefix "pg_" is reserved for system ${what}s`);
}

function checkPrivileges(objectType: string, privileges: unknown, fail: (message: string) => never): void {
  const allowed = ALLOWED_PRIVILEGES[objectType];
  if (!allowed) fail(`unknown object type ${objectType}`);
  for (const p of (privileges as string[]) ?? []) if (!allowed.includes(p)) fail(`${p} is not an allowed privilege for object type ${objectType}`);
}
