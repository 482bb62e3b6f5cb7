/**
 * The database layer of isolation on a real PostgreSQL (Debian's, started by the test): what the
 * program declares for the example tenants (globex and umbrella at `schema`, acme-corp at
 * `database`, initech at `attribute`) is rendered, then applied by the provider oracle
 * (test/oracles/postgresql-provider.ts: the SQL terraform-provider-postgresql issues), and the
 * server decides: every ordered pair of tenants is refused every way into the other's data; each
 * role is held to its connection limit and cannot create in `public`; the platform's migration
 * role and the tenant's workers can do their jobs; suspension, resumption, export and restore,
 * decommissioning and removal work; and what the catalog still shows other tenants is recorded.
 *
 * Expectations come from the tenant files and plans (levels, limits) and from PostgreSQL's answers,
 * never from the program's planning functions. Figures are printed with a `[postgres]` prefix.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { EXAMPLES_DIR, PLANS_FILE } from "../support/fixtures";
import { PostgresqlProviderOracle, typeOf, type DeclaredResource } from "../oracles/postgresql-provider";
import { startPostgres, type PostgresServer } from "../support/postgres-server";
import { RenderFailed, render } from "../support/render";

const MIGRATOR = { user: "serviceradar", password: "migrator-password" };
const PLATFORM_DB = "serviceradar";

/** The examples' database levels, read from the files and the plans file (not from the program). */
const plans = parse(readFileSync(PLANS_FILE, "utf8")).plans as Record<string, any>;
const exampleFiles = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith(".yaml"));
const examples = exampleFiles.map((f) => parse(readFileSync(path.join(EXAMPLES_DIR, f), "utf8")) as Record<string, any>);
const levelOf = (t: Record<string, any>): string => t.overrides?.database?.isolation ?? plans[t.plan].database.isolation;
const limitOf = (t: Record<string, any>): number => t.overrides?.database?.connectionLimit ?? plans[t.plan].database.connectionLimit;
const provisioned = examples.filter((t) => levelOf(t) !== "attribute").sort((a, b) => a.slug.localeCompare(b.slug));
const identifier = (slug: string) => `tenant_${slug.replace(/-/g, "_")}`;
const databaseOf = (t: Record<string, any>) => (levelOf(t) === "database" ? identifier(t.slug) : PLATFORM_DB);

let server: PostgresServer;
let work: string;
const oracle = () => state.oracle!;
const state: { oracle?: PostgresqlProviderOracle; renders: Record<string, string> } = { renders: {} };

/** A copy of the example tenants with some files changed (status) or removed. */
function tenantsVariant(name: string, change: (slug: string, doc: Record<string, any>) => Record<string, any> | undefined): string {
  const dir = path.join(work, `tenants-${name}`);
  cpSync(EXAMPLES_DIR, dir, { recursive: true });
  for (const t of examples) {
    const next = change(t.slug, structuredClone(t));
    const file = path.join(dir, `${t.slug}.yaml`);
    if (next === undefined) rmSync(file);
    else writeFileSync(file, stringify(next));
  }
  return dir;
}

const withStatus = (slug: string, status: string) => (s: string, doc: Record<string, any>) => (s === slug ? { ...doc, status } : doc);
const withoutFile = (slug: string) => (s: string, doc: Record<string, any>) => (s === slug ? undefined : doc);
const activeUmbrella = withStatus("umbrella", "active");
// Basic's ceiling is "schema": a database of its own comes with the move to pro, whose ceiling allows it.
const movedUmbrella = (moving: boolean) => (s: string, doc: Record<string, any>) =>
  s === "umbrella" ? { ...doc, plan: "pro", overrides: { ...doc.overrides, database: { isolation: "database" } }, ...(moving ? { database: { moveFrom: "schema" } } : {}) } : doc;

function declared(out: string): DeclaredResource[] {
  return parse(readFileSync(path.join(out, "resources.yaml"), "utf8")) as DeclaredResource[];
}

function credentials(out: string, slug: string): { user: string; password: string; database: string } {
  const secret = parse(readFileSync(path.join(out, "manifests/platform", `secret-postgres-${slug}-creds.yaml`), "utf8"));
  return { user: secret.stringData.PGUSER, password: secret.stringData.PGPASSWORD, database: secret.stringData.PGDATABASE };
}

const connectAs = (out: string, slug: string, database?: string) => {
  const c = credentials(out, slug);
  return server.connect(c.user, c.password, database ?? c.database);
};

/** The error PostgreSQL answers, or undefined when the statement succeeded. */
async function refusal(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

const log = (line: string) => console.log(`[postgres] ${line}`);

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "tenancy-pg-e2e-"));
  server = await startPostgres();
  // What the platform's own installation provides (docs/database.md, "Prerequisites"): its migration role and database.
  const admin = await server.admin("postgres");
  await admin.query(`CREATE ROLE ${MIGRATOR.user} LOGIN PASSWORD '${MIGRATOR.password}'`);
  await admin.query(`CREATE DATABASE ${PLATFORM_DB} OWNER ${MIGRATOR.user}`);
  await admin.end();
  const config = {
    "tenancy:postgresHost": server.host,
    "tenancy:postgresPort": String(server.port),
    "tenancy:postgresAdminUser": server.adminUser,
    "tenancy:postgresAdminPassword": server.adminPassword,
    "tenancy:postgresSslMode": "disable",
  };
  const variants: Record<string, string | undefined> = {
    examples: undefined,
    resumed: tenantsVariant("resumed", activeUmbrella),
    globexSuspended: tenantsVariant("globex-suspended", (s, d) => withStatus("globex", "suspended")(s, activeUmbrella(s, d)!)),
    globexDecommissioned: tenantsVariant("globex-decommissioned", (s, d) => withStatus("globex", "decommissioned")(s, activeUmbrella(s, d)!)),
    globexRemoved: tenantsVariant("globex-removed", (s, d) => withoutFile("globex")(s, activeUmbrella(s, d)!)),
    // Umbrella moves from schema to database (docs/database.md, "Moving between levels"), globex gone.
    umbrellaMoving: tenantsVariant("umbrella-moving", (s, d) => withoutFile("globex")(s, movedUmbrella(true)(s, activeUmbrella(s, d)!)!)),
    umbrellaMoved: tenantsVariant("umbrella-moved", (s, d) => withoutFile("globex")(s, movedUmbrella(false)(s, activeUmbrella(s, d)!)!)),
  };
  const outs = await Promise.all(
    Object.entries(variants).map(async ([name, tenants]) => [name, await render({ out: path.join(work, `out-${name}`), revealSecrets: true, config, ...(tenants ? { tenants } : {}) })] as const),
  );
  state.renders = Object.fromEntries(outs);
  const providerEntry = declared(state.renders.examples).find((r) => r.urn.includes("pulumi:providers:postgresql"))!;
  const p = providerEntry.inputs;
  state.oracle = new PostgresqlProviderOracle({ host: p.host, port: Number(p.port), database: p.database, username: p.username, password: p.password });
}, 240_000);

afterAll(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the example tenants on a real PostgreSQL", () => {
  it("applies what the program declares: the examples' schema and database tenants, and nothing for the attribute one", async () => {
    expect(provisioned.map((t) => `${t.slug}:${levelOf(t)}`)).toEqual(["acme-corp:database", "globex:schema", "umbrella:schema"]);
    const resources = declared(state.renders.examples).filter((r) => r.urn.includes("$postgresql:index/"));
    const counts = await oracle().apply(declared(state.renders.examples));
    expect(counts).toEqual({ created: resources.length, updated: 0, deleted: 0 });
    const byType: Record<string, number> = {};
    for (const r of resources) byType[typeOf(r.urn)] = (byType[typeOf(r.urn)] ?? 0) + 1;
    log(`applied ${counts.created} resources (${Object.entries(byType).map(([k, v]) => `${k} ${v}`).join(", ")}) with ${oracle().issued.length} statements`);
    const admin = await server.admin("postgres");
    const roles = (await admin.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'tenant\\_%' ORDER BY 1")).rows.map((r) => r.rolname);
    expect(roles).toEqual(provisioned.map((t) => identifier(t.slug)));
    const databases = (await admin.query("SELECT datname, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname LIKE 'tenant\\_%' ORDER BY 1")).rows;
    expect(databases).toEqual(provisioned.filter((t) => levelOf(t) === "database").map((t) => ({ datname: identifier(t.slug), owner: MIGRATOR.user })));
    await admin.end();
    for (const t of provisioned) {
      const c = await server.admin(databaseOf(t));
      const { rows } = await c.query("SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = $1", [identifier(t.slug)]);
      expect(rows, t.slug).toEqual([{ owner: MIGRATOR.user }]);
      await c.end();
    }
    // initech (attribute) has nothing of its own.
    expect(examples.filter((t) => levelOf(t) === "attribute").map((t) => t.slug)).toEqual(["initech"]);
  });

  it("a suspended tenant's role is refused new connections, keeps its schema, and logs in again once resumed", async () => {
    const umbrella = examples.find((t) => t.slug === "umbrella")!;
    expect(umbrella.status).toBe("suspended");
    const refused = await refusal(async () => (await connectAs(state.renders.examples, "umbrella")).end());
    expect(refused).toMatch(/not permitted to log in/);
    const before = oracle().issued.length;
    const counts = await oracle().apply(declared(state.renders.resumed));
    expect(counts).toEqual({ created: 0, updated: 1, deleted: 0 });
    const updates = oracle().issued.slice(before).filter((s) => s.operation === "update" && s.sql.startsWith("ALTER ROLE"));
    log(`resume: ${updates.map((s) => s.sql).join("; ")}`);
    expect(updates.map((s) => s.sql)).toContain('ALTER ROLE "tenant_umbrella" WITH LOGIN');
    const c = await connectAs(state.renders.resumed, "umbrella");
    expect((await c.query("SELECT current_user")).rows[0].current_user).toBe("tenant_umbrella");
    await c.end();
  });

  it("the platform's migration role creates tables in every tenant's schema; the tenant's workers use them and nothing more", async () => {
    for (const t of provisioned) {
      const schema = identifier(t.slug);
      const m = await server.connect(MIGRATOR.user, MIGRATOR.password, databaseOf(t));
      await m.query(`CREATE TABLE ${schema}.events (id bigserial PRIMARY KEY, body text NOT NULL)`);
      await m.query(`CREATE FUNCTION ${schema}.secret() RETURNS text LANGUAGE sql AS $$ SELECT '${t.slug}' $$`);
      await m.query(`INSERT INTO ${schema}.events (body) VALUES ('from the migration of ${t.slug}')`);
      await m.end();
      const w = await connectAs(state.renders.resumed, t.slug);
      // The role's search_path is its schema: unqualified names are the tenant's.
      expect((await w.query("SELECT current_schemas(false)::text[] AS s")).rows[0].s, t.slug).toEqual([schema]);
      await w.query("INSERT INTO events (body) VALUES ($1), ($2)", [`${t.slug} event 1`, `${t.slug} event 2`]);
      await w.query("UPDATE events SET body = body || ' (seen)' WHERE body LIKE '%event 2'");
      await w.query("DELETE FROM events WHERE body LIKE '%event 1'");
      expect((await w.query("SELECT body FROM events ORDER BY id")).rows.map((r) => r.body)).toEqual([`from the migration of ${t.slug}`, `${t.slug} event 2 (seen)`]);
      expect((await w.query("SELECT secret()")).rows[0].secret).toBe(t.slug);
      // Workers write rows; the schema is the migration role's.
      expect(await refusal(() => w.query("CREATE TABLE mine (id int)"))).toMatch(/permission denied for schema/);
      expect(await refusal(() => w.query("DROP TABLE events"))).toMatch(/must be owner/);
      await w.end();
    }
  });

  it("every ordered pair: A's role cannot read, write, create in, grant on or execute in B's schema or database", async () => {
    let pairs = 0;
    let refusedAttempts = 0;
    const attempts = (b: string) => [
      ["read", `SELECT * FROM ${b}.events`],
      ["write", `INSERT INTO ${b}.events (body) VALUES ('intruder')`],
      ["create", `CREATE TABLE ${b}.intruder (id int)`],
      ["grant on schema", `GRANT USAGE ON SCHEMA ${b} TO CURRENT_USER`],
      ["grant on table", `GRANT SELECT ON ${b}.events TO CURRENT_USER`],
      ["execute", `SELECT ${b}.secret()`],
    ];
    for (const a of provisioned) {
      for (const b of provisioned) {
        if (a === b) continue;
        pairs++;
        const target = identifier(b.slug);
        const sameDatabase = databaseOf(a) === databaseOf(b);
        if (!sameDatabase) {
          // B's data is in another database, which A may not even connect to.
          const why = await refusal(async () => (await connectAs(state.renders.resumed, a.slug, databaseOf(b))).end());
          expect(why, `${a.slug} → ${b.slug}`).toMatch(/permission denied for database/);
          refusedAttempts++;
          continue;
        }
        const c = await connectAs(state.renders.resumed, a.slug);
        for (const [what, sql] of attempts(target)) {
          const why = await refusal(() => c.query(sql));
          expect(why, `${a.slug} ${what} in ${b.slug}`).toMatch(/permission denied/);
          refusedAttempts++;
        }
        // A's own schema: A cannot hand it to B (A has no grant option), by the catalog.
        await c.query(`GRANT USAGE ON SCHEMA ${identifier(a.slug)} TO ${target}`).catch(() => {});
        await c.query(`GRANT SELECT ON ${identifier(a.slug)}.events TO ${target}`).catch(() => {});
        await c.end();
      }
    }
    // Nothing any tenant tried left a trace: no tenant role holds a privilege on another tenant's schema or table.
    for (const database of [...new Set(provisioned.map(databaseOf))]) {
      const admin = await server.admin(database);
      const { rows } = await admin.query(`
        SELECT n.nspname AS object, r.rolname AS grantee FROM pg_namespace n, aclexplode(n.nspacl) a JOIN pg_roles r ON r.oid = a.grantee
          WHERE n.nspname LIKE 'tenant\\_%' AND r.rolname LIKE 'tenant\\_%' AND r.rolname <> n.nspname
        UNION ALL
        SELECT c.relname, r.rolname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a JOIN pg_roles r ON r.oid = a.grantee
          WHERE n.nspname LIKE 'tenant\\_%' AND r.rolname LIKE 'tenant\\_%' AND r.rolname <> n.nspname`);
      expect(rows, database).toEqual([]);
      await admin.end();
    }
    expect(pairs).toBe(provisioned.length * (provisioned.length - 1));
    log(`ordered pairs checked: ${pairs}; attempts refused: ${refusedAttempts} (same database: 6 statements each; other database: the connection)`);
  });

  it("no tenant's role can create in `public`, reach the platform's database unless it lives there, or exceed its connection limit", async () => {
    for (const t of provisioned) {
      const c = await connectAs(state.renders.resumed, t.slug);
      expect(await refusal(() => c.query("CREATE TABLE public.intruder (id int)")), t.slug).toMatch(/permission denied for schema public/);
      expect(await refusal(() => c.query("CREATE SCHEMA intruder")), t.slug).toMatch(/permission denied for database/);
      await c.end();
      if (databaseOf(t) !== PLATFORM_DB) expect(await refusal(async () => (await connectAs(state.renders.resumed, t.slug, PLATFORM_DB)).end())).toMatch(/permission denied for database/);
      const limit = limitOf(t);
      const open: pg.Client[] = [];
      for (let i = 0; i < limit; i++) open.push(await connectAs(state.renders.resumed, t.slug));
      const over = await refusal(async () => (await connectAs(state.renders.resumed, t.slug)).end());
      await Promise.all(open.map((x) => x.end()));
      expect(over, t.slug).toMatch(/too many connections for role/);
      log(`${t.slug}: ${limit} connections admitted, connection ${limit + 1} refused: ${over}`);
    }
  });

  it("the privileges each role ends with, from the server's catalog", async () => {
    const admin = await server.admin("postgres");
    const { rows: roles } = await admin.query(
      "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolinherit, rolcanlogin, rolconnlimit, rolconfig FROM pg_roles WHERE rolname LIKE 'tenant\\_%' ORDER BY 1",
    );
    const { rows: dbs } = await admin.query("SELECT datname, datacl::text[] AS acl FROM pg_database WHERE datname IN ($1, $2) OR datname LIKE 'tenant\\_%' ORDER BY 1", [PLATFORM_DB, "postgres"]);
    await admin.end();
    for (const r of roles) {
      const t = provisioned.find((x) => identifier(x.slug) === r.rolname)!;
      expect(r, r.rolname).toMatchObject({ rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false, rolcanlogin: true, rolconnlimit: limitOf(t) });
      expect(r.rolconfig, r.rolname).toContain(`search_path=${r.rolname}`);
      log(`role ${r.rolname}: login, no superuser/createdb/createrole/replication/bypassrls, inherit=${r.rolinherit}, connlimit ${r.rolconnlimit}, config ${JSON.stringify(r.rolconfig)}`);
    }
    for (const d of dbs) log(`database ${d.datname} ACL ${JSON.stringify(d.acl)}`);
    // PUBLIC (the entry with no grantee, "=…") may not connect to the platform's or a tenant's database.
    for (const d of dbs.filter((x) => x.datname !== "postgres")) expect((d.acl ?? []).some((e: string) => e.startsWith("=")), d.datname).toBe(false);
    for (const database of [...new Set(provisioned.map(databaseOf))]) {
      const c = await server.admin(database);
      const { rows: schemas } = await c.query("SELECT nspname, nspacl::text[] AS acl FROM pg_namespace WHERE nspname = 'public' OR nspname LIKE 'tenant\\_%' ORDER BY 1");
      const { rows: tables } = await c.query("SELECT n.nspname || '.' || c.relname AS name, c.relacl::text[] AS acl FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname LIKE 'tenant\\_%' AND c.relkind IN ('r', 'S') ORDER BY 1");
      const { rows: defaults } = await c.query(
        "SELECT pg_get_userbyid(d.defaclrole) AS owner, n.nspname, d.defaclobjtype AS type, d.defaclacl::text[] AS acl FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace ORDER BY 2, 3",
      );
      await c.end();
      for (const s of schemas) {
        log(`${database}: schema ${s.nspname} ACL ${JSON.stringify(s.acl)}`);
        expect((s.acl ?? []).some((e: string) => e.startsWith("=")), `${database}.${s.nspname}`).toBe(false);
      }
      for (const t of tables) {
        log(`${database}: ${t.name} ACL ${JSON.stringify(t.acl)}`);
        const owner = t.name.split(".")[0];
        // Only the owner (the migration role) and the schema's own tenant.
        expect((t.acl ?? []).map((e: string) => e.split("=")[0]).sort(), t.name).toEqual([MIGRATOR.user, owner].sort());
      }
      for (const d of defaults) log(`${database}: default privileges of ${d.owner} in ${d.nspname} on ${d.type === "r" ? "tables" : "sequences"}: ${JSON.stringify(d.acl)}`);
    }
  });

  it("suspension refuses new connections and keeps the data; resumption restores access to it", async () => {
    const before = await connectAs(state.renders.resumed, "globex");
    const rows = (await before.query("SELECT body FROM events ORDER BY id")).rows;
    expect(await oracle().apply(declared(state.renders.globexSuspended))).toEqual({ created: 0, updated: 1, deleted: 0 });
    expect(await refusal(async () => (await connectAs(state.renders.globexSuspended, "globex")).end())).toMatch(/not permitted to log in/);
    // PostgreSQL checks LOGIN when a session starts: one opened before the suspension goes on (docs/database.md says to end it).
    expect((await before.query("SELECT count(*)::int AS n FROM events")).rows[0].n).toBe(rows.length);
    await before.end();
    expect(await oracle().apply(declared(state.renders.resumed))).toEqual({ created: 0, updated: 1, deleted: 0 });
    const after = await connectAs(state.renders.resumed, "globex");
    expect((await after.query("SELECT body FROM events ORDER BY id")).rows).toEqual(rows);
    await after.end();
  });

  it("a tenant's pg_dump (the export its summary states) restores into a fresh database with its data intact", async () => {
    const outputs = parse(readFileSync(path.join(state.renders.resumed, "outputs.yaml"), "utf8"));
    for (const t of provisioned) {
      const command: string = outputs.tenants[t.slug].database.export;
      const [program, ...args] = command.split(" ");
      expect(program).toBe("pg_dump");
      const file = path.join(work, `${t.slug}.dump`);
      // The same arguments, the dump file in the test's directory.
      server.run("pg_dump", [...args.filter((a) => !a.startsWith("--file=")), `--file=${file}`]);
      const fresh = `restore_${identifier(t.slug)}`;
      server.run("createdb", [fresh]);
      server.run("pg_restore", ["--exit-on-error", `--dbname=${fresh}`, file]);
      const source = await server.admin(databaseOf(t));
      const restored = await server.admin(fresh);
      const q = `SELECT id, body FROM ${identifier(t.slug)}.events ORDER BY id`;
      const original = (await source.query(q)).rows;
      expect((await restored.query(q)).rows, t.slug).toEqual(original);
      // Only the tenant's schema came along.
      const schemas = (await restored.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'")).rows.map((r) => r.nspname);
      expect(schemas, t.slug).toEqual([identifier(t.slug)]);
      await source.end();
      await restored.end();
      // The copy carries the tenant role's grants: left behind, it would stop DROP ROLE at removal
      // ("objects in database restore_…"): docs/database.md restores archives with --no-privileges.
      server.run("dropdb", [fresh]);
      log(`${t.slug}: \`${command}\` → ${original.length} row(s) restored identical into ${fresh}, schemas there: ${schemas.join(", ")}`);
    }
  });

  it("what the catalog does not hide: other schemas' and tables' names in a shared database, every database's and role's name", async () => {
    const globex = await connectAs(state.renders.resumed, "globex");
    const seen = (await globex.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY 1")).rows.map((r) => r.nspname);
    const tables = (await globex.query("SELECT n.nspname || '.' || c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'tenant_umbrella' AND c.relkind = 'r'")).rows.map((r) => r.t);
    const databases = (await globex.query("SELECT datname FROM pg_database WHERE datname LIKE 'tenant\\_%'")).rows.map((r) => r.datname);
    const roles = (await globex.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'tenant\\_%' ORDER BY 1")).rows.map((r) => r.rolname);
    await globex.end();
    // A schema tenant sees the other schema tenants' schema and table names (not their rows).
    expect(seen).toEqual(["tenant_globex", "tenant_umbrella"]);
    expect(tables).toEqual(["tenant_umbrella.events"]);
    const acme = await connectAs(state.renders.resumed, "acme-corp");
    const seenByAcme = (await acme.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY 1")).rows.map((r) => r.nspname);
    await acme.end();
    // A database tenant's catalog holds its own schema only.
    expect(seenByAcme).toEqual(["tenant_acme_corp"]);
    log(`globex (schema) sees schemas ${seen.join(", ")} and tables ${tables.join(", ")}; databases ${databases.join(", ")}; roles ${roles.join(", ")}`);
    log(`acme-corp (database) sees schemas ${seenByAcme.join(", ")}; databases and roles are cluster-wide: ${databases.length} tenant database(s), ${roles.length} tenant role(s)`);
  });

  it("removal drops only after decommissioning: refused while protected, then the schema and role go and nothing else", async () => {
    await expect(oracle().apply(declared(state.renders.globexRemoved))).rejects.toThrow(/protected, cannot delete: .*globex\/postgres-schema\/schema/);
    const counts = await oracle().apply(declared(state.renders.globexDecommissioned));
    expect(counts).toEqual({ created: 0, updated: 2, deleted: 0 }); // the role (NOLOGIN) and the schema (CASCADE from now on)
    expect(await refusal(async () => (await connectAs(state.renders.globexDecommissioned, "globex")).end())).toMatch(/not permitted to log in/);
    const removed = await oracle().apply(declared(state.renders.globexRemoved));
    const globexResources = declared(state.renders.globexDecommissioned).filter((r) => r.urn.includes("$postgresql:index/") && r.urn.includes("::globex/"));
    expect(removed).toEqual({ created: 0, updated: 0, deleted: globexResources.length });
    const admin = await server.admin(PLATFORM_DB);
    expect((await admin.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY 1")).rows.map((r) => r.nspname)).toEqual(["tenant_umbrella"]);
    expect((await admin.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'tenant\\_%' ORDER BY 1")).rows.map((r) => r.rolname)).toEqual(["tenant_acme_corp", "tenant_umbrella"]);
    expect((await admin.query("SELECT count(*)::int AS n FROM tenant_umbrella.events")).rows[0].n).toBe(2);
    await admin.end();
    log(`globex removed after decommissioning: ${removed.deleted} resources deleted (DROP SCHEMA … CASCADE, DROP ROLE); umbrella and acme-corp untouched`);
  });

  it("a move between levels: the new database beside the old schema, the data copied, then the old schema dropped", async () => {
    const moving = await oracle().apply(declared(state.renders.umbrellaMoving));
    expect(moving.deleted).toBe(0);
    expect(moving.created).toBeGreaterThan(0);
    const before = await server.admin(PLATFORM_DB);
    const rows = (await before.query("SELECT id, body FROM tenant_umbrella.events ORDER BY id")).rows;
    await before.end();
    // Step 2: copy the schema's tables into the new database (its schema exists already: skip that entry).
    const file = path.join(work, "umbrella-move.dump");
    server.run("pg_dump", ["--format=custom", "--schema=tenant_umbrella", `--file=${file}`, PLATFORM_DB]);
    const list = server.run("pg_restore", ["--list", file]).toString().split("\n").filter((l) => !/ SCHEMA - tenant_umbrella /.test(l));
    const listFile = path.join(work, "umbrella-move.list");
    writeFileSync(listFile, list.join("\n"));
    server.run("pg_restore", ["--exit-on-error", `--use-list=${listFile}`, "--dbname=tenant_umbrella", file]);
    // The workers follow the Secret, which now names the new database.
    expect(credentials(state.renders.umbrellaMoving, "umbrella").database).toBe("tenant_umbrella");
    const worker = await connectAs(state.renders.umbrellaMoving, "umbrella");
    expect((await worker.query("SELECT id, body FROM events ORDER BY id")).rows).toEqual(rows);
    await worker.query("INSERT INTO events (body) VALUES ('after the move')");
    await worker.end();
    const moved = await oracle().apply(declared(state.renders.umbrellaMoved));
    const oldLevel = declared(state.renders.umbrellaMoving).filter((r) => r.urn.includes("::umbrella/postgres-schema/"));
    expect(moved).toEqual({ created: 0, updated: 0, deleted: oldLevel.length });
    const admin = await server.admin(PLATFORM_DB);
    expect((await admin.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'")).rows).toEqual([]);
    await admin.end();
    const after = await connectAs(state.renders.umbrellaMoved, "umbrella");
    expect((await after.query("SELECT count(*)::int AS n FROM events")).rows[0].n).toBe(rows.length + 1);
    await after.end();
    log(`umbrella moved schema → database: ${moving.created} resources created beside the old schema, ${rows.length} row(s) copied, then ${moved.deleted} resources of the old level deleted`);
  });

  it("the lifecycle guard refuses the removal before anything is declared, naming the file", async () => {
    const previous = path.join(state.renders.resumed, "outputs.yaml");
    const error = await render({ out: path.join(work, "out-guarded"), tenants: tenantsVariant("guarded", (s, d) => withoutFile("globex")(s, activeUmbrella(s, d)!)), previous }).catch((e) => e);
    expect(error).toBeInstanceOf(RenderFailed);
    expect((error as RenderFailed).stderr).toMatch(/globex\.yaml: \(file\): tenant "globex" was active/);
  });
});
