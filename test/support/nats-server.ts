/**
 * Test harness: a real nats-server on loopback, started from a config text the test composes.
 *
 * The server binary is NATS_SERVER_BIN, else Debian's 2.9.10 (/usr/sbin/nats-server; the
 * package does not put it in /usr/bin), see {@link serverBinary}. Every server gets its own temp directory holding its config, any files the config
 * includes, and whatever the test wants there (e.g. a JetStream store_dir).
 *
 * Ports are picked by the harness (bind to 127.0.0.1:0, read the port, release it) and handed to
 * the config builder, so tests running in parallel files never collide. The monitoring port is
 * never set, so it stays disabled.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { createServer, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";

export interface ServerContext {
  /** Client port on 127.0.0.1. */
  port: number;
  /** Leafnode port on 127.0.0.1, when `leafnodes: true` was asked for. */
  leafPort?: number;
  /** The server's private directory (config, included files, store_dir, …). */
  dir: string;
}

/** A full config text, or a function building it from the ports and directory the harness chose. */
export type ConfigSource = string | ((ctx: ServerContext) => string);

export interface StartOptions {
  config: ConfigSource;
  /** Use this directory instead of a fresh mkdtemp one (it is then not deleted on stop). */
  dir?: string;
  /** Files written beside the config before start (relative names), e.g. `{ "hub.conf": … }`. */
  files?: Record<string, string>;
  /** Reserve a leafnode port too (`ctx.leafPort`). */
  leafnodes?: boolean;
  /** How long to wait for readiness (default 10 s). */
  readyTimeoutMs?: number;
  /**
   * Use this client port (and leaf port) instead of free ones: a cluster's configs name each
   * other's ports, and a server restarted after `stop()` (with its own `dir`, which `stop()` then
   * keeps) comes back where its clients and leaf nodes reconnect to.
   */
  port?: number;
  leafPort?: number;
  /** Environment of the server process, on top of this one's (the chart's config reads $SERVER_NAME). */
  env?: Record<string, string>;
  /** The config file's path relative to the server directory (default server.conf), for configs with relative includes. */
  configName?: string;
}

export interface NatsServer extends ServerContext {
  /** `nats://127.0.0.1:<port>`. */
  url: string;
  /** Writes a file beside the config (for `include`), e.g. a regenerated hub fragment. */
  writeFile(name: string, text: string): void;
  /**
   * Rewrites the config (when given; otherwise keeps it and only re-reads it and its includes),
   * sends SIGHUP and waits until the server logs that it reloaded. A rejected reload throws with
   * the server's reason.
   */
  reload(config?: ConfigSource): Promise<void>;
  /** SIGTERM, wait for exit (SIGKILL after 5 s), remove the temp dir. */
  stop(): Promise<void>;
  /** SIGKILL, as a crashed server or a lost node: nothing is flushed or removed. */
  kill(): Promise<void>;
  /** Everything the server logged so far. */
  logs(): string;
}

const CONFIG_NAME = "server.conf";

/** A currently free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

// Servers still running when the test process exits (a crashed test) are killed, never orphaned.
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of running) p.kill("SIGKILL");
});

export async function startNatsServer(opts: StartOptions): Promise<NatsServer> {
  const bin = serverBinary();
  const ownDir = opts.dir === undefined;
  const dir = resolve(opts.dir ?? mkdtempSync(join(tmpdir(), "nats-test-")));
  mkdirSync(dir, { recursive: true });
  const ctx: ServerContext = {
    port: opts.port ?? (await freePort()),
    leafPort: opts.leafPort ?? (opts.leafnodes ? await freePort() : undefined),
    dir,
  };
  const configPath = join(dir, opts.configName ?? CONFIG_NAME);
  mkdirSync(dirname(configPath), { recursive: true });

  const writeFile = (name: string, text: string) => {
    const path = resolve(dir, name);
    if (!path.startsWith(dir + sep)) throw new Error(`writeFile: ${name} is outside the server directory`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  };
  const render = (src: ConfigSource) => (typeof src === "function" ? src(ctx) : src);

  for (const [name, text] of Object.entries(opts.files ?? {})) writeFile(name, text);
  writeFileSync(configPath, render(opts.config));

  let log = "";
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };

  const child = spawn(bin, ["-c", configPath], { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...opts.env } });
  running.add(child);
  const onData = (chunk: Buffer) => {
    log += chunk.toString("utf8");
    notify();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  // Settles on exit, and also when spawning failed (then no "exit" event ever comes).
  const exitPromise = new Promise<void>((res) => {
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      notify();
      res();
    });
    child.on("error", (err) => {
      log += `\n[harness] cannot run ${bin}: ${err.message}\n`;
      exited ??= { code: null, signal: null };
      running.delete(child);
      notify();
      res();
    });
  });

  let currentConfig = opts.config;
  const describe = (what: string) =>
    `${what} (nats-server ${bin}, config ${configPath})\n--- server log ---\n${log}\n--- config ---\n${render(currentConfig)}`;

  /** Resolves once `pred(logSince)` holds; rejects if the server exits or the time runs out. */
  const waitFor = (from: number, pred: (text: string) => boolean, what: string, timeoutMs: number) =>
    new Promise<void>((res, rej) => {
      const check = () => {
        if (pred(log.slice(from))) return done(res);
        if (exited) return done(() => rej(new Error(describe(`nats-server exited (${JSON.stringify(exited)}) while waiting for ${what}`))));
      };
      const timer = setTimeout(() => done(() => rej(new Error(describe(`timed out after ${timeoutMs} ms waiting for ${what}`)))), timeoutMs);
      const done = (f: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        f();
      };
      waiters.add(check);
      check();
    });

  try {
    await waitFor(0, (t) => t.includes("Server is ready"), "\"Server is ready\"", opts.readyTimeoutMs ?? 10_000);
    await tcpReachable(ctx.port);
  } catch (err) {
    child.kill("SIGKILL");
    await exitPromise;
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  let stopped = false;
  return {
    ...ctx,
    url: `nats://127.0.0.1:${ctx.port}`,
    writeFile,
    logs: () => log,
    async reload(config?: ConfigSource) {
      if (exited) throw new Error(describe("reload: the server is not running"));
      if (config !== undefined) {
        currentConfig = config;
        writeFileSync(configPath, render(config));
      }
      const from = log.length;
      child.kill("SIGHUP");
      await waitFor(
        from,
        (t) => t.includes("Reloaded server configuration") || t.includes("Failed to reload"),
        "\"Reloaded server configuration\"",
        10_000,
      );
      const after = log.slice(from);
      if (!after.includes("Reloaded server configuration")) {
        throw new Error(describe(`reload rejected: ${after.trim()}`));
      }
    },
    async kill() {
      stopped = true;
      if (!exited) {
        child.kill("SIGKILL");
        await exitPromise;
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (!exited) {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exitPromise;
        clearTimeout(killer);
      }
      if (ownDir && !process.env.NATS_KEEP_DIR) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * NATS_SERVER_BIN, else the Debian package's binary (which it installs as /usr/sbin/nats-server,
 * not /usr/bin), else whatever `nats-server` PATH finds.
 */
export function serverBinary(): string {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  for (const candidate of ["/usr/bin/nats-server", "/usr/sbin/nats-server"]) {
    if (existsSync(candidate)) return candidate;
  }
  return "nats-server";
}

/** The "ready" log line is printed after the listeners are up; this double-checks the port. */
function tcpReachable(port: number): Promise<void> {
  return new Promise((res, rej) => {
    const s = tcpConnect({ host: "127.0.0.1", port }, () => {
      s.destroy();
      res();
    });
    s.on("error", rej);
  });
}
