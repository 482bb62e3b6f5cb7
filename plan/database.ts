/**
 * What a tenant gets in the platform's PostgreSQL at its isolation level (seed 003 option E; seed
 * 004's "separate database credentials per tenant, no cross-tenant data access"), as the inputs of
 * @pulumi/postgresql's resources, so the components only pass them on and the tests can read what
 * is declared:
 *
 * - `schema`: a schema `tenant_<slug>` in the platform's database; `database`: a database
 *   `tenant_<slug>` of its own with the schema in it. Either is owned by the platform's migration
 *   role (which creates the tables), never by the tenant, so the tenant's role can grant nothing on it.
 * - a login role `tenant_<slug>` with no elevated attribute, the plan's connection limit and
 *   timeouts, its search_path on its schema, NOLOGIN while the tenant is not active;
 * - grants: CONNECT on its database, USAGE on its schema, DML on the tables and sequences there,
 *   and the same by default privileges for what the migration role creates later; PUBLIC pinned to
 *   nothing on the tenant's schema, tables and (at `database`) its database and `public` schema —
 *   a grant with no privileges is the provider's REVOKE ALL, re-applied whenever it drifts.
 *
 * The schema and database hold the tenant's data: protected, and dropped only with CASCADE once
 * the tenant is decommissioned (or left behind by a move between levels).
 */
import type { PostgresSettings } from "../config/settings";
import { durationMs } from "../model/limits";
import type { TenantModel } from "../model/model";
import { POSTGRES_CREDS_KEYS, POSTGRES_PUBLIC_ROLE, POSTGRES_PUBLIC_SCHEMA, componentLabels, platformResourceNames, postgresCredsSecretName, postgresTenantIdentifier, tenantResourceNames } from "../model/names";
import type { DatabaseIsolation } from "../model/schema";

export type ProvisionedLevel = Exclude<DatabaseIsolation, "attribute">;

/** @pulumi/postgresql Role inputs this program sets (the password comes from the tenant's RandomPassword). */
export interface RoleInputs {
  name: string;
  login: boolean;
  superuser: false;
  createDatabase: false;
  createRole: false;
  replication: false;
  bypassRowLevelSecurity: false;
  /** No memberships are granted; not inheriting keeps it so if one ever were. */
  inherit: false;
  connectionLimit: number;
  /** Milliseconds. */
  statementTimeout: number;
  /** Milliseconds. */
  idleInTransactionSessionTimeout: number;
  searchPaths: string[];
}

export interface SchemaInputs {
  name: string;
  database: string;
  owner: string;
  /** DROP SCHEMA … CASCADE on delete: only once the data may go (the provider's default is RESTRICT). */
  dropCascade: boolean;
}

export interface DatabaseInputs {
  name: string;
  owner: string;
}

export type GrantObjectType = "database" | "schema" | "table" | "sequence";

/** A postgresql.Grant: the provider revokes everything `role` has on the object, then grants `privileges` (none: a revoke). */
export interface GrantInputs {
  database: string;
  role: string;
  objectType: GrantObjectType;
  schema?: string;
  privileges: string[];
}

/** A postgresql.DefaultPrivileges: what `role` gets on objects `owner` creates later in `schema`. */
export interface DefaultPrivilegesInputs {
  database: string;
  owner: string;
  role: string;
  schema: string;
  objectType: "table" | "sequence";
  privileges: string[];
}

export interface Planned<I> {
  logicalName: string;
  inputs: I;
}

/** What one isolation level declares. */
export interface LevelPlan {
  level: ProvisionedLevel;
  /** The database the tenant's schema is in. */
  databaseName: string;
  /** At `database` level: the tenant's own database. */
  database?: Planned<DatabaseInputs> & { protect: boolean };
  schema: Planned<SchemaInputs> & { protect: boolean };
  grants: Planned<GrantInputs>[];
  defaultPrivileges: Planned<DefaultPrivilegesInputs>[];
}

export interface TenantDatabasePlan {
  isolation: ProvisionedLevel | "attribute";
  /** The role's password: a RandomPassword, re-generated when `credentials.rotation` changes. */
  password: { logicalName: string; length: number; keepers: Record<string, string> };
  role: Planned<RoleInputs>;
  /** The levels declared: the current one and, during a move, the one being left. */
  levels: LevelPlan[];
  /** Where the platform's per-tenant workers read the credentials: a Secret in the platform namespace. */
  credentials: { logicalName: string; name: string; labels: Record<string, string>; values: Record<string, string>; passwordKey: string };
  summary: TenantDatabaseSummary;
}

/** The tenant's database, as the stack output shows it. */
export interface TenantDatabaseSummary {
  isolation: DatabaseIsolation;
  role?: string;
  database?: string;
  schema?: string;
  credentialsSecret?: string;
  /** During a move: the level whose schema (or database) is kept until the file drops `database.moveFrom`. */
  movingFrom?: ProvisionedLevel;
  /** How to export the tenant's data (decommissioning, backups): a pg_dump of its schema or database. */
  export?: string;
}

/** Privileges of the tenant's role on the tables and sequences of its schema: what the workers do. */
export const TABLE_PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE"];
export const SEQUENCE_PRIVILEGES = ["USAGE", "SELECT"];
const PASSWORD_LENGTH = 32;

/** The export command of a level (docs/database.md, "Export and restore"). */
export function exportCommand(level: ProvisionedLevel, schema: string, databaseName: string): string {
  return level === "schema" ? `pg_dump --format=custom --schema=${schema} --file=${schema}.dump ${databaseName}` : `pg_dump --format=custom --file=${databaseName}.dump ${databaseName}`;
}

function levelPlan(name: string, identifier: string, level: ProvisionedLevel, postgres: PostgresSettings, keepData: boolean): LevelPlan {
  const names = tenantResourceNames(name).postgres.at(level);
  const databaseName = level === "schema" ? postgres.database : identifier;
  const owner = postgres.migrationRole;
  const grant = (what: string, inputs: GrantInputs): Planned<GrantInputs> => ({ logicalName: names.grant(what), inputs });
  const onSchema = (role: string, objectType: GrantObjectType, privileges: string[]): GrantInputs => ({ database: databaseName, role, objectType, schema: identifier, privileges });
  const defaults = (objectType: DefaultPrivilegesInputs["objectType"], privileges: string[]): Planned<DefaultPrivilegesInputs> => ({
    logicalName: names.defaultPrivileges(objectType === "table" ? "tables" : "sequences"),
    inputs: { database: databaseName, owner, role: identifier, schema: identifier, objectType, privileges },
  });
  const ownDatabase =
    level === "database"
      ? [
          // A new database lets PUBLIC connect and create temporary tables; its `public` schema lets PUBLIC use it.
          grant("public-connect", { database: databaseName, role: POSTGRES_PUBLIC_ROLE, objectType: "database", privileges: [] }),
          grant("public-public-schema", { database: databaseName, role: POSTGRES_PUBLIC_ROLE, objectType: "schema", schema: POSTGRES_PUBLIC_SCHEMA, privileges: [] }),
        ]
      : [];
  return {
    level,
    databaseName,
    ...(level === "database" ? { database: { logicalName: names.database, inputs: { name: databaseName, owner }, protect: keepData } } : {}),
    schema: { logicalName: names.schema, inputs: { name: identifier, database: databaseName, owner, dropCascade: !keepData }, protect: keepData },
    grants: [
      ...ownDatabase,
      grant("connect", { database: databaseName, role: identifier, objectType: "database", privileges: ["CONNECT"] }),
      grant("usage", onSchema(identifier, "schema", ["USAGE"])),
      grant("tables", onSchema(identifier, "table", TABLE_PRIVILEGES)),
      grant("sequences", onSchema(identifier, "sequence", SEQUENCE_PRIVILEGES)),
      // Nobody else: PUBLIC has nothing on a new schema, and re-applying the revoke undoes a grant made by hand.
      grant("public-schema", onSchema(POSTGRES_PUBLIC_ROLE, "schema", [])),
      grant("public-tables", onSchema(POSTGRES_PUBLIC_ROLE, "table", [])),
    ],
    defaultPrivileges: [defaults("table", TABLE_PRIVILEGES), defaults("sequence", SEQUENCE_PRIVILEGES)],
  };
}

/** The tenant's database plan; undefined when it has nothing in PostgreSQL (attribute isolation, no move under way). */
export function tenantDatabasePlan(name: string, tenant: TenantModel, postgres: PostgresSettings): TenantDatabasePlan | undefined {
  const { isolation } = tenant.limits.database;
  const moveFrom = tenant.databaseMoveFrom;
  if (isolation === "attribute" && moveFrom === undefined) return undefined;
  const identifier = postgresTenantIdentifier(tenant.slug);
  const names = tenantResourceNames(name).postgres;
  const keepData = tenant.status !== "decommissioned";
  const levels = [
    ...(isolation !== "attribute" ? [levelPlan(name, identifier, isolation, postgres, keepData)] : []),
    // The level being left keeps its data for the copy; it may be dropped once the file lets it go.
    ...(moveFrom !== undefined ? [levelPlan(name, identifier, moveFrom, postgres, false)] : []),
  ];
  const current = levels[0];
  const { database } = tenant.limits;
  return {
    isolation,
    password: { logicalName: names.password, length: PASSWORD_LENGTH, keepers: { credentialsRotation: String(tenant.credentialsRotation) } },
    role: {
      logicalName: names.role,
      inputs: {
        name: identifier,
        // Suspended or decommissioned: new connections are refused, the data stays.
        login: tenant.status === "active",
        superuser: false,
        createDatabase: false,
        createRole: false,
        replication: false,
        bypassRowLevelSecurity: false,
        inherit: false,
        connectionLimit: database.connectionLimit,
        statementTimeout: durationMs(database.statementTimeout),
        idleInTransactionSessionTimeout: durationMs(database.idleInTransactionTimeout),
        searchPaths: [identifier],
      },
    },
    levels,
    credentials: {
      logicalName: names.credsSecret,
      name: postgresCredsSecretName(tenant.slug),
      labels: componentLabels(tenant.slug, "postgresql-credentials"),
      values: {
        [POSTGRES_CREDS_KEYS.host]: postgres.host ?? "",
        [POSTGRES_CREDS_KEYS.port]: String(postgres.port),
        [POSTGRES_CREDS_KEYS.database]: current.databaseName,
        [POSTGRES_CREDS_KEYS.user]: identifier,
        [POSTGRES_CREDS_KEYS.sslmode]: postgres.sslMode,
      },
      passwordKey: POSTGRES_CREDS_KEYS.password,
    },
    summary: {
      isolation,
      role: identifier,
      ...(current && isolation !== "attribute" ? { database: current.databaseName, schema: identifier, credentialsSecret: postgresCredsSecretName(tenant.slug) } : {}),
      ...(moveFrom !== undefined ? { movingFrom: moveFrom } : {}),
      export: levels.map((l) => exportCommand(l.level, identifier, l.databaseName)).join("; "),
    },
  };
}

/** What the platform's database gets once per stack: PUBLIC stripped of its default CONNECT, TEMPORARY and use of `public`. */
export interface PlatformDatabasePlan {
  grants: Planned<GrantInputs>[];
}

export function platformDatabasePlan(platform: string, postgres: PostgresSettings): PlatformDatabasePlan | undefined {
  if (postgres.host === undefined) return undefined;
  const names = platformResourceNames(platform);
  return {
    grants: [
      // Only roles granted CONNECT reach the platform's database: a database-level tenant's role does not.
      { logicalName: names.postgresGrant("public-connect"), inputs: { database: postgres.database, role: POSTGRES_PUBLIC_ROLE, objectType: "database", privileges: [] } },
      { logicalName: names.postgresGrant("public-public-schema"), inputs: { database: postgres.database, role: POSTGRES_PUBLIC_ROLE, objectType: "schema", schema: POSTGRES_PUBLIC_SCHEMA, privileges: [] } },
    ],
  };
}
