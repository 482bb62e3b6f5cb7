/**
 * Oracle of terraform-provider-postgresql (the commit @pulumi/postgresql 3.18.1 bridges): applies
 * declared @pulumi/postgresql resources to a real PostgreSQL by issuing the SQL the provider's
 * Create, Update and Delete functions issue, in their order and transactions, for the inputs this
 * program uses. Written from the provider's source (postgresql/*.go), never from this project's
 * files; the server then decides what is allowed. Each function names the Go function it follows.
 *
 * The admin is a superuser here (the provider's default `superuser = true`), so the provider's
 * withRolesGranted is its no-op branch; the applier refuses to go on if it is not. Features are
 * those of PostgreSQL ≥ 13 (the provider's feature table: CREATE ROLE … WITH, BYPASSRLS,
 * REPLICATION, ALLOW_CONNECTIONS, IS_TEMPLATE, CREATE SCHEMA IF NOT EXISTS, DROP DATABASE … FORCE).
 * The role's schema defaults are the provider's as transcribed once, in engine/postgresql.ts.
 *
 * Like the Pulumi engine it stands beside, it keeps a state (URN → inputs, protect) between
 * applies: a resource gone from the declaration is deleted (refused while its state says
 * `protect`), one whose inputs changed is updated, a ForceNew input change is refused (replacement
 * is not needed by this program's lifecycle and is not emulated).
 */
import pg from "pg";
import { ROLE_DEFAULTS } from "../../engine/postgresql";

/** One declared resource, as out/resources.yaml lists it (inputs revealed). */
export interface DeclaredResource {
  urn: string;
  provider?: string;
  options: { protect?: boolean; dependsOn?: string[] };
  inputs: Record<string, any>;
}

export interface ProviderConfig {
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
}

export const typeOf = (urn: string) => urn.split("::")[2].split("$").pop()!.split(":").pop()!;

/** pq.QuoteIdentifier. */
export const quoteIdentifier = (name: string) => `"${name.split("\0")[0].replace(/"/g, '""')}"`;
/** The provider's pqQuoteLiteral (helpers.go): backslashes doubled, quotes doubled. */
const quoteLiteral = (text: string) => text.replace(/\\/g, "\\\\").replace(/'/g, "''");

/** The schema defaults of each resource (what d.Get returns when an input is unset). */
const DEFAULTS: Record<string, Record<string, unknown>> = {
  // Unset, the password is "" to d.Get.
  Role: { ...ROLE_DEFAULTS, password: "" },
  Schema: { ifNotExists: true, dropCascade: false, policies: [] },
  Database: { connectionLimit: -1, allowConnections: true, isTemplate: false, alterObjectOwnership: false, template: "", encoding: "", lcCollate: "", lcCtype: "", tablespaceName: "" },
  Grant: { objects: [], columns: [], withGrantOption: false, schema: "" },
  DefaultPrivileges: { withGrantOption: false, schema: "" },
};
/** ForceNew inputs (a change replaces the resource). */
const FORCE_NEW: Record<string, string[]> = {
  Role: [],
  Schema: ["database"],
  Database: ["template", "encoding", "lcCollate", "lcCtype"],
  Grant: ["role", "database", "schema", "objectType", "objects", "columns", "withGrantOption"],
  DefaultPrivileges: ["role", "database", "owner", "schema", "objectType", "withGrantOption"],
};

interface StateEntry {
  type: string;
  inputs: Record<string, any>;
  protect: boolean;
}

/** A statement the applier issued, for the record (`sql` with the password replaced). */
export interface Issued {
  urn: string;
  operation: "create" | "update" | "delete";
  database: string;
  sql: string;
}

const equal = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export class PostgresqlProviderOracle {
  private readonly state = new Map<string, StateEntry>();
  readonly issued: Issued[] = [];

  constructor(private readonly config: ProviderConfig) {}

  private async client(database: string): Promise<pg.Client> {
    const c = new pg.Client({ host: this.config.host, port: this.config.port, user: this.config.username, password: this.config.password, database });
    c.on("error", () => {});
    await c.connect();
    return c;
  }

  /** Runs `fn` in a transaction on `database` (startTransaction), recording each statement. */
  private async transaction(urn: string, operation: Issued["operation"], database: string, fn: (exec: Exec) => Promise<void>): Promise<void> {
    const c = await this.client(database);
    try {
      await c.query("BEGIN");
      await fn(this.executor(c, urn, operation, database));
      await c.query("COMMIT");
    } catch (err) {
      await c.query("ROLLBACK").catch(() => {});
      throw failed(operation, urn, err);
    } finally {
      await c.end();
    }
  }

  /** Statements outside a transaction (db.Exec on the provider's database). */
  private async direct(urn: string, operation: Issued["operation"], database: string, fn: (exec: Exec) => Promise<void>): Promise<void> {
    const c = await this.client(database);
    try {
      await fn(this.executor(c, urn, operation, database));
    } catch (err) {
      throw failed(operation, urn, err);
    } finally {
      await c.end();
    }
  }

  private executor(c: pg.Client, urn: string, operation: Issued["operation"], database: string): Exec {
    return async (sql, params = []) => {
      this.issued.push({ urn, operation, database, sql: sql.replace(/PASSWORD '[^']*'/g, "PASSWORD '…'") });
      return (await c.query(sql, params)).rows;
    };
  }

  /**
   * Applies a declaration as the engine does: creates and updates in dependency order (`dependsOn`),
   * then deletes what is gone in the reverse of the order it was created in.
   */
  async apply(resources: readonly DeclaredResource[]): Promise<{ created: number; updated: number; deleted: number }> {
    const declared = dependencyOrder(resources.filter((r) => r.urn.includes("$postgresql:index/")));
    const wanted = new Set(declared.map((r) => r.urn));
    const gone = [...this.state.keys()].filter((urn) => !wanted.has(urn)).reverse();
    // The engine refuses to delete a protected resource (its state's flag), before deleting anything.
    const protectedGone = gone.filter((urn) => this.state.get(urn)!.protect);
    if (protectedGone.length > 0) throw new Error(`resource(s) protected, cannot delete: ${protectedGone.join(", ")}`);
    const counts = { created: 0, updated: 0, deleted: 0 };
    for (const r of declared) {
      const type = typeOf(r.urn);
      const inputs = { ...DEFAULTS[type], ...r.inputs };
      const before = this.state.get(r.urn);
      if (!before) {
        await this.create(r.urn, type, inputs);
        counts.created++;
      } else if (!equal(before.inputs, inputs)) {
        const replaced = FORCE_NEW[type].filter((k) => !equal(before.inputs[k], inputs[k]));
        if (replaced.length > 0) throw new Error(`${r.urn}: ${replaced.join(", ")} changed, which replaces the resource (not emulated)`);
        await this.update(r.urn, type, before.inputs, inputs);
        counts.updated++;
      }
      this.state.set(r.urn, { type, inputs, protect: r.options.protect === true });
    }
    for (const urn of gone) {
      const entry = this.state.get(urn)!;
      await this.delete(urn, entry.type, entry.inputs);
      this.state.delete(urn);
      counts.deleted++;
    }
    return counts;
  }

  private create(urn: string, type: string, d: Record<string, any>): Promise<void> {
    switch (type) {
      case "Role":
        return this.roleCreate(urn, d);
      case "Schema":
        return this.schemaCreate(urn, d);
      case "Database":
        return this.databaseCreate(urn, d);
      case "Grant":
        return this.grantCreateOrUpdate(urn, d, undefined);
      case "DefaultPrivileges":
        return this.defaultPrivilegesCreate(urn, d);
      default:
        throw new Error(`${urn}: no oracle for ${type}`);
    }
  }

  private update(urn: string, type: string, old: Record<string, any>, d: Record<string, any>): Promise<void> {
    switch (type) {
      case "Role":
        return this.roleUpdate(urn, old, d);
      case "Schema":
        return this.schemaUpdate(urn, old, d);
      case "Database":
        return this.databaseUpdate(urn, old, d);
      case "Grant":
        return this.grantCreateOrUpdate(urn, d, old);
      case "DefaultPrivileges":
        // The provider's Update is its Create.
        return this.defaultPrivilegesCreate(urn, d);
      default:
        throw new Error(`${urn}: no oracle for ${type}`);
    }
  }

  private delete(urn: string, type: string, d: Record<string, any>): Promise<void> {
    switch (type) {
      case "Role":
        return this.roleDelete(urn, d);
      case "Schema":
        return this.schemaDelete(urn, d);
      case "Database":
        return this.databaseDelete(urn, d);
      case "Grant":
        return this.grantDelete(urn, d);
      case "DefaultPrivileges":
        return this.defaultPrivilegesDelete(urn, d);
      default:
        throw new Error(`${urn}: no oracle for ${type}`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // helpers.go

  /** withRolesGranted: a superuser needs no role granted; the other branch is not emulated. */
  private async withRolesGranted(exec: Exec, fn: () => Promise<void>): Promise<void> {
    const [row] = await exec("SELECT rolsuper FROM pg_roles WHERE rolname = $1", [this.config.username]);
    if (!row?.rolsuper) throw new Error(`the oracle emulates withRolesGranted for a superuser admin only (${this.config.username} is not)`);
    await fn();
  }

  /** pgLockRole. */
  private async lockRole(exec: Exec, role: string): Promise<void> {
    await exec("SET statement_timeout = 0");
    await exec("SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_roles WHERE rolname = $1", [role]);
    await exec("SELECT pg_advisory_xact_lock(member::bigint) FROM pg_auth_members JOIN pg_roles ON roleid = pg_roles.oid WHERE rolname = $1", [role]);
  }

  /** pgLockDatabase. */
  private async lockDatabase(exec: Exec, database: string): Promise<void> {
    await exec("SET statement_timeout = 0");
    await exec("SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_database WHERE datname = $1", [database]);
  }

  /** grantRoleMembership (true when it granted), PostgreSQL < 16 (no set_option column). */
  private async grantRoleMembership(exec: Exec, role: string, member: string): Promise<boolean> {
    if (role === member) return false;
    const rows = await exec("SELECT 1 FROM pg_auth_members WHERE pg_get_userbyid(roleid) = $1 AND pg_get_userbyid(member) = $2", [role, member]);
    if (rows.length > 0) return false;
    await exec(`GRANT ${quoteIdentifier(role)} TO ${quoteIdentifier(member)}`);
    return true;
  }

  private async revokeRoleMembership(exec: Exec, role: string, member: string): Promise<void> {
    if (role === member) return;
    const rows = await exec("SELECT 1 FROM pg_auth_members WHERE pg_get_userbyid(roleid) = $1 AND pg_get_userbyid(member) = $2", [role, member]);
    if (rows.length > 0) await exec(`REVOKE ${quoteIdentifier(role)} FROM ${quoteIdentifier(member)}`);
  }

  // ---------------------------------------------------------------------------------------------
  // resource_postgresql_role.go

  /** resourcePostgreSQLRoleCreate. */
  private roleCreate(urn: string, d: Record<string, any>): Promise<void> {
    return this.transaction(urn, "create", this.config.database, async (exec) => {
      const opts: string[] = [];
      if (d.password) {
        if (String(d.password).toUpperCase() === "NULL") opts.push("PASSWORD NULL");
        else opts.push(d.encryptedPassword ? "ENCRYPTED" : "UNENCRYPTED", `PASSWORD '${quoteLiteral(d.password)}'`);
      }
      opts.push(!d.validUntil || String(d.validUntil).toLowerCase() === "infinity" ? "VALID UNTIL 'infinity'" : `VALID UNTIL '${quoteLiteral(d.validUntil)}'`);
      opts.push(`CONNECTION LIMIT ${d.connectionLimit}`);
      const flags: [string, string, string][] = [
        ["superuser", "SUPERUSER", "NOSUPERUSER"],
        ["createDatabase", "CREATEDB", "NOCREATEDB"],
        ["createRole", "CREATEROLE", "NOCREATEROLE"],
        ["inherit", "INHERIT", "NOINHERIT"],
        ["login", "LOGIN", "NOLOGIN"],
        ["bypassRowLevelSecurity", "BYPASSRLS", "NOBYPASSRLS"],
        ["replication", "REPLICATION", "NOREPLICATION"],
      ];
      for (const [key, on, off] of flags) opts.push(d[key] ? on : off);
      await exec(`CREATE ROLE ${quoteIdentifier(d.name)} WITH ${opts.join(" ")}`);
      await this.grantRoles(exec, d);
      await this.alterSearchPath(exec, d);
      // On create, HasChange compares with the zero value.
      await this.setTimeout(exec, d.name, "statement_timeout", 0, d.statementTimeout);
      await this.setTimeout(exec, d.name, "idle_in_transaction_session_timeout", 0, d.idleInTransactionSessionTimeout);
      if (d.assumeRole) await exec(`ALTER ROLE ${quoteIdentifier(d.name)} SET ROLE TO ${quoteIdentifier(d.assumeRole)}`);
    });
  }

  /** resourcePostgreSQLRoleUpdate: one ALTER ROLE per changed attribute, in the provider's order. */
  private roleUpdate(urn: string, old: Record<string, any>, d: Record<string, any>): Promise<void> {
    const changed = (key: string) => !equal(old[key], d[key]);
    return this.transaction(urn, "update", this.config.database, async (exec) => {
      await this.lockRole(exec, old.name);
      const role = () => quoteIdentifier(d.name);
      if (changed("name")) await exec(`ALTER ROLE ${quoteIdentifier(old.name)} RENAME TO ${quoteIdentifier(d.name)}`);
      if ((changed("password") || changed("name")) && d.password) await exec(`ALTER ROLE ${role()} PASSWORD '${quoteLiteral(d.password)}'`);
      const flags: [string, string, string][] = [
        ["bypassRowLevelSecurity", "BYPASSRLS", "NOBYPASSRLS"],
        ["connectionLimit", "", ""],
        ["createDatabase", "CREATEDB", "NOCREATEDB"],
        ["createRole", "CREATEROLE", "NOCREATEROLE"],
        ["inherit", "INHERIT", "NOINHERIT"],
        ["login", "LOGIN", "NOLOGIN"],
        ["replication", "REPLICATION", "NOREPLICATION"],
        ["superuser", "SUPERUSER", "NOSUPERUSER"],
      ];
      for (const [key, on, off] of flags) {
        if (!changed(key)) continue;
        if (key === "connectionLimit") await exec(`ALTER ROLE ${role()} CONNECTION LIMIT ${d.connectionLimit}`);
        else await exec(`ALTER ROLE ${role()} WITH ${d[key] ? on : off}`);
      }
      if (changed("validUntil") && d.validUntil) await exec(`ALTER ROLE ${role()} VALID UNTIL '${quoteLiteral(String(d.validUntil).toLowerCase() === "infinity" ? "infinity" : d.validUntil)}'`);
      // revokeRoles, then grantRoles
      const members = await exec(
        "SELECT pg_get_userbyid(roleid) AS role FROM pg_catalog.pg_auth_members members JOIN pg_catalog.pg_roles ON members.member = pg_roles.oid WHERE rolname = $1",
        [d.name],
      );
      for (const m of members) await exec(`REVOKE ${quoteIdentifier(m.role)} FROM ${role()}`);
      await this.grantRoles(exec, d);
      await this.alterSearchPath(exec, d);
      if (changed("statementTimeout")) await this.setTimeout(exec, d.name, "statement_timeout", old.statementTimeout, d.statementTimeout);
      if (changed("idleInTransactionSessionTimeout")) await this.setTimeout(exec, d.name, "idle_in_transaction_session_timeout", old.idleInTransactionSessionTimeout, d.idleInTransactionSessionTimeout);
      if (changed("assumeRole")) await exec(d.assumeRole ? `ALTER ROLE ${role()} SET ROLE TO ${quoteIdentifier(d.assumeRole)}` : `ALTER ROLE ${role()} RESET ROLE`);
    });
  }

  /** resourcePostgreSQLRoleDelete. */
  private roleDelete(urn: string, d: Record<string, any>): Promise<void> {
    return this.transaction(urn, "delete", this.config.database, async (exec) => {
      await this.lockRole(exec, d.name);
      if (!d.skipReassignOwned) {
        await this.withRolesGranted(exec, async () => {
          await exec(`REASSIGN OWNED BY ${quoteIdentifier(d.name)} TO ${quoteIdentifier(this.config.username)}`);
          await exec(`DROP OWNED BY ${quoteIdentifier(d.name)}`);
        });
      }
      if (!d.skipDropRole) await exec(`DROP ROLE ${quoteIdentifier(d.name)}`);
    });
  }

  /** grantRoles. */
  private async grantRoles(exec: Exec, d: Record<string, any>): Promise<void> {
    for (const r of d.roles ?? []) await exec(`GRANT ${quoteIdentifier(r)} TO ${quoteIdentifier(d.name)}`);
  }

  /** alterSearchPath: always issued. */
  private async alterSearchPath(exec: Exec, d: Record<string, any>): Promise<void> {
    const parts: string[] = d.searchPaths ?? [];
    for (const p of parts) if (p.includes(", ")) throw new Error(`search_path cannot contain \`, \`: ${p}`);
    await exec(`ALTER ROLE ${quoteIdentifier(d.name)} SET search_path TO ${parts.length > 0 ? parts.map(quoteIdentifier).join(", ") : "DEFAULT"}`);
  }

  /** setStatementTimeout / setIdleInTransactionSessionTimeout (only when the value changed). */
  private async setTimeout(exec: Exec, role: string, setting: string, before: number, after: number): Promise<void> {
    if (before === after) return;
    await exec(after !== 0 ? `ALTER ROLE ${quoteIdentifier(role)} SET ${setting} TO ${after}` : `ALTER ROLE ${quoteIdentifier(role)} RESET ${setting}`);
  }

  // ---------------------------------------------------------------------------------------------
  // resource_postgresql_schema.go

  private schemaDatabase = (d: Record<string, any>) => d.database || this.config.database;

  /** resourcePostgreSQLSchemaCreate + createSchema. */
  private schemaCreate(urn: string, d: Record<string, any>): Promise<void> {
    if ((d.policies ?? []).length > 0) throw new Error(`${urn}: schema policies are not emulated`);
    return this.transaction(urn, "create", this.schemaDatabase(d), async (exec) => {
      await exec("SELECT rolname FROM pg_database JOIN pg_roles ON datdba = pg_roles.oid WHERE datname = $1", [this.schemaDatabase(d)]);
      await this.withRolesGranted(exec, async () => {
        const found = await exec("SELECT TRUE FROM pg_catalog.pg_namespace WHERE nspname = $1", [d.name]);
        if (found.length === 0) {
          await exec(`CREATE SCHEMA ${d.ifNotExists ? "IF NOT EXISTS " : ""}${quoteIdentifier(d.name)}${d.owner ? ` AUTHORIZATION ${quoteIdentifier(d.owner)}` : ""}`);
        } else if (d.owner) {
          // The schema exists already: the provider adopts it and only sets its owner.
          await exec(`ALTER SCHEMA ${quoteIdentifier(d.name)} OWNER TO ${quoteIdentifier(d.owner)}`);
        }
      });
    });
  }

  /** resourcePostgreSQLSchemaUpdate: name, owner (drop_cascade is state only). */
  private schemaUpdate(urn: string, old: Record<string, any>, d: Record<string, any>): Promise<void> {
    return this.transaction(urn, "update", this.schemaDatabase(d), async (exec) => {
      if (old.name !== d.name) await exec(`ALTER SCHEMA ${quoteIdentifier(old.name)} RENAME TO ${quoteIdentifier(d.name)}`);
      if (old.owner !== d.owner && d.owner) await exec(`ALTER SCHEMA ${quoteIdentifier(d.name)} OWNER TO ${quoteIdentifier(d.owner)}`);
    });
  }

  /** resourcePostgreSQLSchemaDelete. */
  private schemaDelete(urn: string, d: Record<string, any>): Promise<void> {
    return this.transaction(urn, "delete", this.schemaDatabase(d), async (exec) => {
      const found = await exec("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", [d.name]);
      if (found.length === 0) return;
      await this.withRolesGranted(exec, async () => {
        await exec(`DROP SCHEMA ${quoteIdentifier(d.name)} ${d.dropCascade ? "CASCADE" : "RESTRICT"}`);
      });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // resource_postgresql_database.go

  /** resourcePostgreSQLDatabaseCreate + createDatabase: the owner is granted to the admin around CREATE DATABASE. */
  private databaseCreate(urn: string, d: Record<string, any>): Promise<void> {
    return this.direct(urn, "create", this.config.database, async (exec) => {
      const granted = d.owner ? await this.grantRoleMembership(exec, d.owner, this.config.username) : false;
      const parts = [`CREATE DATABASE ${quoteIdentifier(d.name)}`, ` OWNER ${quoteIdentifier(d.owner || this.config.username)}`];
      if (d.template && String(d.template).toUpperCase() === "DEFAULT") parts.push(" TEMPLATE DEFAULT");
      else parts.push(d.template ? ` TEMPLATE ${quoteIdentifier(d.template)}` : " TEMPLATE template0");
      if (d.encoding && String(d.encoding).toUpperCase() === "DEFAULT") parts.push(" ENCODING DEFAULT");
      else parts.push(d.encoding ? ` ENCODING '${quoteLiteral(d.encoding)}' ` : " ENCODING 'UTF8'");
      if (d.lcCollate) parts.push(` LC_COLLATE '${quoteLiteral(d.lcCollate)}' `);
      if (d.lcCtype) parts.push(` LC_CTYPE '${quoteLiteral(d.lcCtype)}' `);
      if (d.tablespaceName) parts.push(` TABLESPACE ${quoteIdentifier(d.tablespaceName)}`);
      parts.push(` ALLOW_CONNECTIONS ${d.allowConnections}`, ` CONNECTION LIMIT ${d.connectionLimit}`, ` IS_TEMPLATE ${d.isTemplate}`);
      try {
        await exec(parts.join(""));
      } finally {
        if (granted) await this.revokeRoleMembership(exec, d.owner, this.config.username);
      }
    });
  }

  /** resourcePostgreSQLDatabaseUpdate: connection limit and allow_connections, the inputs this program may change. */
  private databaseUpdate(urn: string, old: Record<string, any>, d: Record<string, any>): Promise<void> {
    return this.direct(urn, "update", this.config.database, async (exec) => {
      if (old.name !== d.name) await exec(`ALTER DATABASE ${quoteIdentifier(old.name)} RENAME TO ${quoteIdentifier(d.name)}`);
      if (old.owner !== d.owner && d.owner) await exec(`ALTER DATABASE ${quoteIdentifier(d.name)} OWNER TO ${quoteIdentifier(d.owner)}`);
      if (old.connectionLimit !== d.connectionLimit) await exec(`ALTER DATABASE ${quoteIdentifier(d.name)} CONNECTION LIMIT = ${d.connectionLimit}`);
      if (old.allowConnections !== d.allowConnections) await exec(`ALTER DATABASE ${quoteIdentifier(d.name)} ALLOW_CONNECTIONS ${d.allowConnections}`);
    });
  }

  /** resourcePostgreSQLDatabaseDelete + terminateBConnections. */
  private databaseDelete(urn: string, d: Record<string, any>): Promise<void> {
    return this.direct(urn, "delete", this.config.database, async (exec) => {
      const owner = d.owner || this.config.username;
      const granted = await this.grantRoleMembership(exec, owner, this.config.username);
      try {
        await exec(`ALTER DATABASE ${quoteIdentifier(d.name)} ALLOW_CONNECTIONS false`);
        await exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${d.name}' AND pid <> pg_backend_pid()`);
        await exec(`DROP DATABASE ${quoteIdentifier(d.name)} WITH ( FORCE )`);
      } finally {
        if (granted) await this.revokeRoleMembership(exec, owner, this.config.username);
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // resource_postgresql_grant.go

  /** resourcePostgreSQLGrantCreateOrUpdate: revoke what the role had (the previous inputs on update), then grant. */
  private grantCreateOrUpdate(urn: string, d: Record<string, any>, previous: Record<string, any> | undefined): Promise<void> {
    return this.transaction(urn, previous ? "update" : "create", d.database, async (exec) => {
      await this.lockRole(exec, d.role);
      if (d.objectType === "database") await this.lockDatabase(exec, d.database);
      await this.grantOwners(exec, d);
      await this.withRolesGranted(exec, async () => {
        await exec(revokeQuery(previous ? { ...d, privileges: previous.privileges } : d));
        if (d.privileges.length > 0) await exec(grantQuery(d));
      });
    });
  }

  /** resourcePostgreSQLGrantDelete. */
  private grantDelete(urn: string, d: Record<string, any>): Promise<void> {
    return this.transaction(urn, "delete", d.database, async (exec) => {
      await this.lockRole(exec, d.role);
      if (d.objectType === "database") await this.lockDatabase(exec, d.database);
      await this.grantOwners(exec, d);
      await this.withRolesGranted(exec, async () => {
        await exec(revokeQuery(d));
      });
    });
  }

  /** getRolesToGrant's queries (their answer only matters to a non-superuser admin). */
  private async grantOwners(exec: Exec, d: Record<string, any>): Promise<void> {
    if (["database", "foreign_data_wrapper", "foreign_server"].includes(d.objectType)) return;
    if (d.objectType !== "schema") await exec("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = $1", [d.schema]);
    await exec("SELECT rolname FROM pg_namespace JOIN pg_roles ON nspowner = pg_roles.oid WHERE nspname = $1", [d.schema]);
  }

  // ---------------------------------------------------------------------------------------------
  // resource_postgresql_default_privileges.go

  /** resourcePostgreSQLDefaultPrivilegesCreate (also its Update). */
  private defaultPrivilegesCreate(urn: string, d: Record<string, any>): Promise<void> {
    return this.transaction(urn, "create", d.database, async (exec) => {
      await this.lockRole(exec, d.owner);
      await this.withRolesGranted(exec, async () => {
        await exec(defaultPrivilegesQuery(d, "REVOKE"));
        if (d.privileges.length > 0) await exec(defaultPrivilegesQuery(d, "GRANT"));
      });
    });
  }

  /** resourcePostgreSQLDefaultPrivilegesDelete. */
  private defaultPrivilegesDelete(urn: string, d: Record<string, any>): Promise<void> {
    return this.transaction(urn, "delete", d.database, async (exec) => {
      await this.lockRole(exec, d.owner);
      await this.withRolesGranted(exec, async () => {
        await exec(defaultPrivilegesQuery(d, "REVOKE"));
      });
    });
  }
}

type Exec = (sql: string, params?: unknown[]) => Promise<any[]>;

/** The server's refusal, with its DETAIL (what depends on a role, …). */
function failed(operation: string, urn: string, err: unknown): Error {
  const e = err as { message?: string; detail?: string };
  return new Error(`${operation} ${urn}: ${e.message ?? String(err)}${e.detail ? ` (${e.detail})` : ""}`);
}

/** Resources ordered so that each comes after what it depends on (a listing such as resources.yaml is sorted by URN). */
function dependencyOrder(resources: readonly DeclaredResource[]): DeclaredResource[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const done = new Set<string>();
  const ordered: DeclaredResource[] = [];
  const visit = (r: DeclaredResource, path: string[]) => {
    if (done.has(r.urn)) return;
    if (path.includes(r.urn)) throw new Error(`dependency cycle: ${[...path, r.urn].join(" → ")}`);
    for (const dep of r.options.dependsOn ?? []) {
      const d = byUrn.get(dep);
      if (d) visit(d, [...path, r.urn]);
    }
    done.add(r.urn);
    ordered.push(r);
  };
  for (const r of resources) visit(r, []);
  return ordered;
}

/** createGrantQuery, for the object types without `objects` or `columns` (what this program declares). */
function grantQuery(d: Record<string, any>): string {
  if ((d.objects ?? []).length > 0 || (d.columns ?? []).length > 0) throw new Error("grants on listed objects or columns are not emulated");
  const privileges = d.privileges.join(",");
  const to = quoteIdentifier(d.role);
  let query: string;
  switch (String(d.objectType).toUpperCase()) {
    case "DATABASE":
      query = `GRANT ${privileges} ON DATABASE ${quoteIdentifier(d.database)} TO ${to}`;
      break;
    case "SCHEMA":
      query = `GRANT ${privileges} ON SCHEMA ${quoteIdentifier(d.schema)} TO ${to}`;
      break;
    case "TABLE":
    case "SEQUENCE":
    case "FUNCTION":
    case "PROCEDURE":
    case "ROUTINE":
      query = `GRANT ${privileges} ON ALL ${String(d.objectType).toUpperCase()}S IN SCHEMA ${quoteIdentifier(d.schema)} TO ${to}`;
      break;
    default:
      throw new Error(`grants on ${d.objectType} are not emulated`);
  }
  return d.withGrantOption ? `${query} WITH GRANT OPTION` : query;
}

/** createRevokeQuery, same object types. */
function revokeQuery(d: Record<string, any>): string {
  const from = quoteIdentifier(d.role);
  switch (String(d.objectType).toUpperCase()) {
    case "DATABASE":
      return `REVOKE ALL PRIVILEGES ON DATABASE ${quoteIdentifier(d.database)} FROM ${from}`;
    case "SCHEMA":
      return `REVOKE ALL PRIVILEGES ON SCHEMA ${quoteIdentifier(d.schema)} FROM ${from}`;
    case "TABLE":
    case "SEQUENCE":
    case "FUNCTION":
    case "PROCEDURE":
    case "ROUTINE":
      return `REVOKE ALL PRIVILEGES ON ALL ${String(d.objectType).toUpperCase()}S IN SCHEMA ${quoteIdentifier(d.schema)} FROM ${from}`;
    default:
      throw new Error(`revokes on ${d.objectType} are not emulated`);
  }
}

/** grantRoleDefaultPrivileges / revokeRoleDefaultPrivileges. */
function defaultPrivilegesQuery(d: Record<string, any>, verb: "GRANT" | "REVOKE"): string {
  const inSchema = d.schema ? `IN SCHEMA ${quoteIdentifier(d.schema)}` : "";
  const what = `${String(d.objectType).toUpperCase()}S`;
  if (verb === "REVOKE") return `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdentifier(d.owner)} ${inSchema} REVOKE ALL ON ${what} FROM ${quoteIdentifier(d.role)}`;
  const query = `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdentifier(d.owner)} ${inSchema} GRANT ${d.privileges.join(",")} ON ${what} TO ${quoteIdentifier(d.role)}`;
  return d.withGrantOption ? `${query} WITH GRANT OPTION` : query;
}
