/**
 * Test harness: a real PostgreSQL (Debian's, /usr/lib/postgresql/<major>/bin) in a temporary
 * directory, started and stopped by the test itself: initdb with SCRAM authentication for every
 * connection (so a wrong password is refused, as on a real server), listening on 127.0.0.1 at a
 * port the harness picked and a socket inside the directory only. As root, initdb refuses to run:
 * the server then runs as the `postgres` system user Debian's package creates (`runuser`).
 *
 * Clients connect over TCP with a user and password (pg); pg_dump and pg_restore run as the admin.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./nats-server";

export const ADMIN_USER = "tenancy_admin";

export interface PostgresServer {
  host: string;
  port: number;
  adminUser: string;
  adminPassword: string;
  /** A client connected as `user` to `database`; the caller ends it. */
  connect(user: string, password: string, database: string): Promise<pg.Client>;
  /** A client connected as the admin. */
  admin(database: string): Promise<pg.Client>;
  /** Runs one of the server's client programs (pg_dump, pg_restore, createdb …) as the admin; returns stdout. */
  run(program: string, args: string[]): Buffer;
  stop(): Promise<void>;
}

/** The directory of Debian's PostgreSQL binaries (the newest major installed), or POSTGRES_BIN. */
export function postgresBinDir(): string {
  if (process.env.POSTGRES_BIN) return process.env.POSTGRES_BIN;
  const root = "/usr/lib/postgresql";
  const majors = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a)) : [];
  if (majors.length === 0) throw new Error("no PostgreSQL under /usr/lib/postgresql: `apt-get install postgresql` (.ci/run does)");
  return join(root, majors[0], "bin");
}

const asRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/** Runs a server program as the server's owner: `postgres` when we are root, else ourselves. */
function serverCommand(program: string, args: string[]): [string, string[]] {
  const bin = join(postgresBinDir(), program);
  return asRoot() ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, args];
}

export async function startPostgres(options: { maxConnections?: number } = {}): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), "tenancy-pg-"));
  const data = join(dir, "data");
  const adminPassword = `admin-${Math.random().toString(36).slice(2)}`;
  const pwfile = join(dir, "pwfile");
  writeFileSync(pwfile, `${adminPassword}\n`);
  if (asRoot()) {
    const { uid, gid } = postgresIds();
    chownSync(dir, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  chmodSync(dir, 0o700);
  const [initdb, initArgs] = serverCommand("initdb", ["-D", data, "-U", ADMIN_USER, "--pwfile", pwfile, "--auth", "scram-sha-256", "--encoding", "UTF8", "--locale", "C", "--no-sync"]);
  const init = spawnSync(initdb, initArgs, { encoding: "utf8" });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const [postgres, args] = serverCommand("postgres", [
    "-D",
    data,
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    `port=${port}`,
    "-c",
    `unix_socket_directories=${dir}`,
    "-c",
    `max_connections=${options.maxConnections ?? 100}`,
    "-c",
    "fsync=off",
    "-c",
    "log_min_messages=warning",
  ]);
  const child = spawn(postgres, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const connect = async (user: string, password: string, database: string) => {
    const client = new pg.Client({ host: "127.0.0.1", port, user, password, database, connectionTimeoutMillis: 5000 });
    // An error after connecting (the server ending the session) must not crash the test process.
    client.on("error", () => {});
    await client.connect();
    return client;
  };
  const server: PostgresServer = {
    host: "127.0.0.1",
    port,
    adminUser: ADMIN_USER,
    adminPassword,
    connect,
    admin: (database) => connect(ADMIN_USER, adminPassword, database),
    run: (program, programArgs) =>
      execFileSync(join(postgresBinDir(), program), ["--host", "127.0.0.1", "--port", String(port), "--username", ADMIN_USER, ...programArgs], {
        env: { ...process.env, PGPASSWORD: adminPassword },
        maxBuffer: 64 * 1024 * 1024,
      }),
    stop: async () => {
      child.kill("SIGINT"); // fast shutdown
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // Ready when it accepts the admin's connection (bounded: 100 tries, 100 ms apart).
  for (let attempt = 0; ; attempt++) {
    try {
      const c = await server.admin("postgres");
      await c.end();
      return server;
    } catch (err) {
      if (child.exitCode !== null || attempt >= 100) {
        await server.stop().catch(() => {});
        throw new Error(`PostgreSQL did not start: ${err instanceof Error ? err.message : String(err)}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function postgresIds(): { uid: number; gid: number } {
  const out = execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim();
  const gid = execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim();
  return { uid: Number(out), gid: Number(gid) };
}
