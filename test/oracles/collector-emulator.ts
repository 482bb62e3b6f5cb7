/**
 * Test oracle: the ServiceRadar collectors as their own source has them (carverauto/serviceradar
 * at 1e940288, app 1.2.27), emulated from a container's image, environment, arguments and files
 * alone — never from this program's plans. It does what the real process does up to the first
 * message: the image's start (docker/images/BUILD.bazel, docker/compose/entrypoint-*.sh), the
 * config loader's rules (serde for log-collector's wrapper, otel, trapd and flow-collector: a
 * missing required field or a wrong type ends the process, unknown keys are ignored; flowgger's
 * untyped lookups, which panic on a missing `output.nats_url`/`nats_subject` or a non-string), the
 * NATS connection with the files the config names (async-nats: creds file, root CA, client
 * certificate, replies on `_INBOX.`), the stream check each collector makes at start (flowgger,
 * trapd and flow-collector compare subjects literally and replicas; otel is wildcard-aware and
 * also compares max_bytes, max_age and replicas), what each does when that fails (retry forever,
 * exit after 60 attempts, warn and go on, or fail), and publishing with a JetStream ack.
 *
 * Sources, per rule: rust/log-collector/src/{config,main}.rs; rust/flowgger/src/flowgger/mod.rs,
 * input/udp_input.rs, output/nats_output.rs; rust/otel/src/{config,nats_output}.rs;
 * rust/trapd/src/{config,main}.rs; rust/flow-collector/src/{config,publisher,main}.rs.
 */
import { parse as parseToml } from "smol-toml";
import { connect, credsAuthenticator, type NatsConnection, type PubAck } from "nats";

/** What the container runtime hands the process. */
export interface CollectorContainer {
  image: string;
  env: Record<string, string>;
  /** The container's args (Kubernetes `args`, or what follows the image in `docker run`); undefined: the image's CMD. */
  args?: string[];
  /** Kubernetes `command` / `--entrypoint`: replaces the image's entrypoint. */
  command?: string[];
  /** The file at an in-container path, or undefined when nothing is mounted there. */
  readFile(path: string): string | undefined;
}

/** The process ended (or never started) the way the real one would. */
export class CollectorExit extends Error {
  constructor(readonly program: string, reason: string) {
    super(`${program}: ${reason}`);
  }
}

export type Program = "flowgger" | "otel" | "trapd" | "flow-collector";

/** One NATS publisher the process runs, as its loader read it. */
export interface NatsPipeline {
  program: Program;
  url: string;
  /** async-nats's JetStream API prefix (trapd's `nats_domain`: `$JS.<domain>.API`). */
  apiPrefix: string;
  creds?: string;
  tls: { ca?: string; cert?: string; key?: string };
  stream: string;
  replicas: number;
  /** What it publishes, in order. */
  publishes: string[];
  /** What it needs the stream to hold, and how it compares. */
  check: { kind: "literal"; subjects: string[] } | { kind: "wildcard"; subjects: string[]; maxBytes: number; maxAgeSeconds: number };
  /** What a failed connect or stream check does to the process. */
  onStartFailure: "retry-forever" | "exit-after-60" | "warn" | "fatal";
  ackTimeoutMs: number;
  /** What it listens on for devices. */
  listen: string[];
  /** OTLP server TLS (otel): whether client certificates are required. */
  otlpClientAuth?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Images: how each starts (docker/images/BUILD.bazel, docker/compose/entrypoint-*.sh)
// ---------------------------------------------------------------------------------------------

interface ImageRules {
  /** The entrypoint reads CONFIG_PATH (default below) and ignores its arguments. */
  configPathEnv?: string;
  defaultConfig: string;
  /** Files the image itself ships (a process reading one of these reads upstream's defaults, not ours). */
  shipped: string[];
  /** ENTRYPOINT is the binary and this is its CMD. */
  cmd?: string[];
}

const IMAGES: Record<string, ImageRules> = {
  "serviceradar-log-collector": {
    configPathEnv: "CONFIG_PATH",
    defaultConfig: "/etc/serviceradar/log-collector.toml",
    shipped: ["/etc/serviceradar/log-collector.toml", "/etc/serviceradar/flowgger.toml", "/etc/serviceradar/otel.toml"],
  },
  "serviceradar-trapd": { configPathEnv: "CONFIG_PATH", defaultConfig: "/etc/serviceradar/trapd.json", shipped: ["/etc/serviceradar/trapd.json"] },
  "serviceradar-flow-collector": {
    defaultConfig: "/etc/serviceradar/flow-collector.json",
    shipped: ["/etc/serviceradar/flow-collector.json"],
    cmd: ["--config", "/etc/serviceradar/flow-collector.json"],
  },
};

/** The image repository's last path segment (`…/serviceradar-trapd:1.2.27` → `serviceradar-trapd`). */
export function imageName(image: string): string {
  const noDigest = image.split("@")[0]!;
  const last = noDigest.slice(noDigest.lastIndexOf("/") + 1);
  return last.includes(":") ? last.slice(0, last.indexOf(":")) : last;
}

/** The patches entrypoint-log-collector.sh applies (through a temp file beside the config) when these are set. */
const PATCH_VARIABLES = ["LOG_COLLECTOR_HEALTH_LISTEN_ADDR", "FLOWGGER_LISTEN_ADDR", "FLOWGGER_NATS_URL", "FLOWGGER_NATS_CREDS_FILE", "FLOWGGER_NATS_SUBJECT", "FLOWGGER_NATS_STREAM", "OTEL_BIND_ADDRESS", "OTEL_PORT", "OTEL_NATS_URL", "OTEL_NATS_CREDS_FILE", "OTEL_SUBJECT", "OTEL_LOGS_SUBJECT", "OTEL_STREAM"];

/** A file the process reads: the mounted one, never the image's own. */
function readConfig(c: CollectorContainer, program: string, path: string, shipped: string[]): string {
  const text = c.readFile(path);
  if (text !== undefined) return text;
  if (shipped.includes(path)) throw new CollectorExit(program, `reads ${path}, the image's own default file: nothing is mounted there`);
  throw new CollectorExit(program, `cannot read ${path}: no such file`);
}

/** Starts the container as its image does and loads its configuration; the pipelines it would run. */
export function startCollector(c: CollectorContainer): NatsPipeline[] {
  const name = imageName(c.image);
  const rules = IMAGES[name];
  if (!rules) throw new CollectorExit(name, `not a ServiceRadar collector image (${c.image})`);
  if (c.command) throw new CollectorExit(name, "its entrypoint is replaced: the image would not start as built");
  let configPath: string;
  if (rules.configPathEnv) {
    configPath = c.env[rules.configPathEnv] ?? rules.defaultConfig;
    // `[ ! -f "$CONFIG_PATH" ]` → exit 1.
    if (c.readFile(configPath) === undefined && !rules.shipped.includes(configPath)) throw new CollectorExit(name, `Error: Configuration file not found at ${configPath}`);
    const patching = PATCH_VARIABLES.filter((v) => c.env[v] !== undefined);
    if (name === "serviceradar-log-collector" && patching.length > 0) throw new CollectorExit(name, `${patching.join(", ")} make the entrypoint rewrite its config beside it (${configPath}.tmp), which a read-only mount refuses`);
  } else {
    const args = c.args ?? rules.cmd ?? [];
    configPath = clapConfig(args) ?? "/var/lib/serviceradar/flow-collector.json";
  }
  switch (name) {
    case "serviceradar-log-collector":
      return logCollector(c, readConfig(c, "log-collector", configPath, rules.shipped), rules.shipped);
    case "serviceradar-trapd":
      return [trapd(readConfig(c, "trapd", configPath, rules.shipped))];
    default:
      return [flowCollector(readConfig(c, "flow-collector", configPath, rules.shipped))];
  }
}

/** flow-collector's `-c/--config <file>` (clap); the default is relative to the image's workdir. */
function clapConfig(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--config" || a === "-c") {
      if (args[i + 1] === undefined) throw new CollectorExit("flow-collector", "a value is required for '--config <CONFIG>'");
      return args[i + 1];
    }
    if (a.startsWith("--config=")) return a.slice("--config=".length);
    throw new CollectorExit("flow-collector", `unexpected argument '${a}'`);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// serde, as the Rust structs declare their fields
// ---------------------------------------------------------------------------------------------

type Field = "string" | "bool" | "u16" | "u64" | "usize" | "i64" | "u32" | "object" | "array";

/** serde's view of one field: required unless a default or Option; a wrong type is an error. */
function field<T>(program: string, obj: Record<string, unknown>, key: string, type: Field, opts: { required?: boolean; default?: T; where: string }): T | undefined {
  const v = obj[key];
  if (v === undefined || (v === null && !opts.required)) {
    if (opts.required) throw new CollectorExit(program, `missing field \`${key}\` in ${opts.where}`);
    return opts.default;
  }
  const ok = (() => {
    switch (type) {
      case "string":
        return typeof v === "string";
      case "bool":
        return typeof v === "boolean";
      case "object":
        return typeof v === "object" && v !== null && !Array.isArray(v);
      case "array":
        return Array.isArray(v);
      default: {
        const n = typeof v === "bigint" ? Number(v) : v;
        if (typeof n !== "number" || !Number.isInteger(n)) return false;
        const min = type === "i64" ? -(2 ** 63) : 0;
        const max = type === "u16" ? 65535 : type === "u32" ? 2 ** 32 - 1 : 2 ** 64;
        return n >= min && n <= max;
      }
    }
  })();
  if (!ok) throw new CollectorExit(program, `invalid type for \`${key}\` in ${opts.where}: expected ${type}, got ${JSON.stringify(v)}`);
  return (typeof v === "bigint" ? Number(v) : v) as T;
}

const obj = (v: unknown) => v as Record<string, unknown>;

function toml(program: string, text: string, path: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (e) {
    throw new CollectorExit(program, `Failed to parse config file: ${path}: ${(e as Error).message}`);
  }
}

function json(program: string, text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text);
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("expected a map");
    return v;
  } catch (e) {
    throw new CollectorExit(program, `config is not valid JSON: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// log-collector: its wrapper, then flowgger and otel from their own files
// ---------------------------------------------------------------------------------------------

function logCollector(c: CollectorContainer, text: string, shipped: string[]): NatsPipeline[] {
  const cfg = toml("log-collector", text, "log-collector.toml");
  const input = (key: "flowgger" | "otel") => {
    const t = field<Record<string, unknown>>("log-collector", cfg, key, "object", { default: {}, where: "log-collector.toml" })!;
    return {
      enabled: field<boolean>("log-collector", t, "enabled", "bool", { default: true, where: `[${key}]` })!,
      file: field<string>("log-collector", t, "config_file", "string", { default: `/etc/serviceradar/${key}.toml`, where: `[${key}]` })!,
    };
  };
  const health = field<Record<string, unknown>>("log-collector", cfg, "health", "object", { default: {}, where: "log-collector.toml" })!;
  field("log-collector", health, "listen_addr", "string", { default: "0.0.0.0:50044", where: "[health]" });
  const fg = input("flowgger");
  const ot = input("otel");
  if (!fg.enabled && !ot.enabled) throw new CollectorExit("log-collector", "No inputs enabled — enable at least one of [flowgger] or [otel]");
  return [...(fg.enabled ? [flowgger(readConfig(c, "flowgger", fg.file, shipped), fg.file)] : []), ...(ot.enabled ? otel(readConfig(c, "otel", ot.file, shipped), ot.file) : [])];
}

/** flowgger's `lookup("a.b")`: untyped, unknown keys and tables ignored. */
function lookup(cfg: Record<string, unknown>, dotted: string): unknown {
  let cur: unknown = cfg;
  for (const part of dotted.split(".")) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function flowgger(text: string, path: string): NatsPipeline {
  const p = "flowgger";
  const cfg = toml(p, text, path);
  const str = (key: string, dflt?: string, must?: string) => {
    const v = lookup(cfg, key);
    if (v === undefined) {
      if (dflt === undefined) throw new CollectorExit(p, must ?? `${key} is required`);
      return dflt;
    }
    // `.as_str().unwrap()` / `.expect(...)`
    if (typeof v !== "string") throw new CollectorExit(p, `${key} must be a string (panic)`);
    return v;
  };
  const int = (key: string, dflt: number) => {
    const v = lookup(cfg, key);
    if (v === undefined) return dflt;
    const n = typeof v === "bigint" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n)) throw new CollectorExit(p, `${key}: as_integer().unwrap() on ${JSON.stringify(v)} (panic)`);
    return n;
  };
  const format = str("input.format", "rfc5424");
  if (!["capnp", "gelf", "ltsv", "rfc5424", "rfc3164"].includes(format)) throw new CollectorExit(p, `Unknown input format: ${format}`);
  const inputType = str("input.type", "syslog-tls");
  const known = ["redis", "stdin", "tcp", "syslog-tcp", "tcp_co", "tcpco", "syslog-tcp_co", "syslog-tcpco", "tls", "syslog-tls", "tls_co", "tlsco", "syslog-tls_co", "syslog-tlsco", "udp", "file"];
  if (!known.includes(inputType)) throw new CollectorExit(p, `Invalid input type: ${inputType}`);
  const listen: string[] = [];
  if (inputType === "udp") {
    const l = str("input.listen", "0.0.0.0:514");
    if (!/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:]+\]):\d{1,5}$/i.test(l)) throw new CollectorExit(p, "unable to parse ip:port string from input.listen");
    listen.push(`udp ${l}`);
  }
  const outFormat = str("output.format", "gelf");
  if (!["capnp", "gelf", "json", "ltsv", "rfc3164", "rfc5424", "passthrough"].includes(outFormat)) throw new CollectorExit(p, `Unknown output format: ${outFormat}`);
  const outType = str("output.type", "tls");
  if (outType !== "nats") throw new CollectorExit(p, `output.type is ${outType}: it publishes nothing to NATS`);
  const framing = lookup(cfg, "output.framing");
  if (framing !== undefined && (typeof framing !== "string" || !["noop", "nop", "none", "capnp", "line", "nul", "syslen"].includes(framing))) throw new CollectorExit(p, `Invalid framing type: ${String(framing)}`);
  const url = str("output.nats_url", undefined, "output.nats_url is required");
  const subject = str("output.nats_subject", undefined, "output.nats_subject is required");
  const stream = str("output.nats_stream", "events");
  const replicas = int("output.nats_stream_replicas", 1);
  const creds = lookup(cfg, "output.nats_creds_file") === undefined ? undefined : str("output.nats_creds_file").trim() || undefined;
  const opt = (key: string) => (lookup(cfg, key) === undefined ? undefined : str(key));
  const attempts = int("output.nats_connect_attempts", 0);
  return {
    program: p,
    url,
    apiPrefix: "$JS.API",
    ...(creds ? { creds } : {}),
    tls: { ca: opt("output.nats_tls_ca_file"), cert: opt("output.nats_tls_cert"), key: opt("output.nats_tls_key") },
    stream,
    replicas,
    publishes: [subject],
    check: { kind: "literal", subjects: [subject] },
    // connect_with_retry: 0 attempts = forever; a worker that gives up exits the process.
    onStartFailure: attempts === 0 ? "retry-forever" : "fatal",
    ackTimeoutMs: int("output.nats_timeout", 30_000),
    listen,
  };
}

function otel(text: string, path: string): NatsPipeline[] {
  const p = "otel";
  const cfg = toml(p, text, path);
  const server = field<Record<string, unknown>>(p, cfg, "server", "object", { default: {}, where: path })!;
  const bind = field<string>(p, server, "bind_address", "string", { default: "0.0.0.0", where: "[server]" })!;
  const port = field<number>(p, server, "port", "u16", { default: 4317, where: "[server]" })!;
  const grpcTls = field<Record<string, unknown>>(p, cfg, "grpc_tls", "object", { where: path });
  let clientAuth = false;
  if (grpcTls) {
    field(p, grpcTls, "cert_file", "string", { required: true, where: "[grpc_tls]" });
    field(p, grpcTls, "key_file", "string", { required: true, where: "[grpc_tls]" });
    clientAuth = field<string>(p, grpcTls, "ca_file", "string", { where: "[grpc_tls]" }) !== undefined;
  }
  const nats = field<Record<string, unknown>>(p, cfg, "nats", "object", { where: path });
  // Without [nats] the output is a no-op (NATSOutput::disabled): nothing is published.
  if (!nats) throw new CollectorExit(p, "no [nats] table: its NATS output is disabled and it publishes nothing");
  const w = "[nats]";
  const url = field<string>(p, nats, "url", "string", { required: true, where: w })!;
  const subject = field<string>(p, nats, "subject", "string", { default: "otel", where: w })!;
  const logs = field<string>(p, nats, "logs_subject", "string", { where: w }) ?? `${subject}.logs`;
  const stream = field<string>(p, nats, "stream", "string", { default: "events", where: w })!;
  const creds = field<string>(p, nats, "creds_file", "string", { where: w })?.trim() || undefined;
  const timeout = field<number>(p, nats, "timeout_secs", "u64", { default: 30, where: w })!;
  const maxBytes = field<number>(p, nats, "max_bytes", "i64", { default: 2 * 1024 ** 3, where: w })!;
  const maxAge = field<number>(p, nats, "max_age_secs", "u64", { default: 1800, where: w })!;
  const replicas = field<number>(p, nats, "stream_replicas", "usize", { default: 1, where: w })!;
  const tls = field<Record<string, unknown>>(p, nats, "tls", "object", { where: w });
  const t = tls
    ? {
        cert: field<string>(p, tls, "cert_file", "string", { required: true, where: "[nats.tls]" }),
        key: field<string>(p, tls, "key_file", "string", { required: true, where: "[nats.tls]" }),
        ca: field<string>(p, tls, "ca_file", "string", { where: "[nats.tls]" }),
      }
    : {};
  return [
    {
      program: p,
      url,
      apiPrefix: "$JS.API",
      ...(creds ? { creds } : {}),
      tls: t,
      stream,
      replicas,
      publishes: [`${subject}.traces.raw`, `${subject}.metrics.raw`, `${subject}.metrics.derived`, logs],
      check: { kind: "wildcard", subjects: [`${subject}.traces.>`, `${subject}.metrics.>`, logs], maxBytes, maxAgeSeconds: maxAge },
      // NATSOutput::new → ensure_stream: an error there is fatal to the otel input.
      onStartFailure: "fatal",
      ackTimeoutMs: timeout * 1000,
      listen: [`tcp ${bind}:${port}`],
      otlpClientAuth: clientAuth,
    },
  ];
}

/** trapd's SecurityConfig (alias `security`), its `resolve_path` joining relative paths to cert_dir. */
function trapdSecurity(p: string, sec: Record<string, unknown>, where: string) {
  const mode = field<string>(p, sec, "mode", "string", { default: "mtls", where }) ?? "mtls";
  const m = mode === "" ? "mtls" : mode;
  if (!["mtls", "spiffe", "none"].includes(m)) throw new CollectorExit(p, `unknown variant \`${mode}\` in ${where}.mode`);
  const certDir = field<string>(p, sec, "cert_dir", "string", { where });
  const resolve = (x?: string) => (x === undefined ? undefined : x.trim().startsWith("/") || certDir === undefined ? x.trim() : `${certDir.replace(/\/$/, "")}/${x.trim()}`);
  for (const k of ["client_ca_file", "trust_domain", "workload_socket"]) field(p, sec, k, "string", { where });
  return {
    mode: m,
    resolve,
    cert: field<string>(p, sec, "cert_file", "string", { where }),
    key: field<string>(p, sec, "key_file", "string", { where }),
    ca: field<string>(p, sec, "ca_file", "string", { where }),
  };
}

function trapd(text: string): NatsPipeline {
  const p = "trapd";
  const cfg = json(p, text);
  const w = "trapd.json";
  const listen = field<string>(p, cfg, "listen_addr", "string", { required: true, where: w })!;
  const url = field<string>(p, cfg, "nats_url", "string", { required: true, where: w })!;
  const domain = field<string>(p, cfg, "nats_domain", "string", { where: w });
  const stream = field<string>(p, cfg, "stream_name", "string", { default: "events", where: w })!;
  const replicas = field<number>(p, cfg, "stream_replicas", "usize", { default: 1, where: w })!;
  const subject = field<string>(p, cfg, "subject", "string", { required: true, where: w })!;
  const credsRaw = field<string>(p, cfg, "nats_creds_file", "string", { where: w });
  const secRaw = field<Record<string, unknown>>(p, cfg, "nats_security", "object", { where: w }) ?? field<Record<string, unknown>>(p, cfg, "security", "object", { where: w });
  const sec = secRaw ? trapdSecurity(p, secRaw, "nats_security") : undefined;
  // Config::validate
  if (listen === "") throw new CollectorExit(p, "listen_addr is required");
  if (url === "") throw new CollectorExit(p, "nats_url is required");
  if (stream === "") throw new CollectorExit(p, "stream_name is required");
  if (replicas === 0) throw new CollectorExit(p, "stream_replicas must be > 0");
  if (subject === "") throw new CollectorExit(p, "subject is required");
  if (credsRaw !== undefined && credsRaw.trim() === "") throw new CollectorExit(p, "nats_creds_file cannot be empty");
  if (sec?.mode === "spiffe") throw new CollectorExit(p, 'nats_security.mode "spiffe" is not supported');
  if (sec?.mode === "mtls" && (!sec.cert || !sec.key || !sec.ca)) throw new CollectorExit(p, "nats_security requires cert_file, key_file, and ca_file when using mTLS");
  if (field(p, cfg, "grpc_listen_addr", "string", { where: w }) !== undefined && field(p, cfg, "grpc_security", "object", { where: w }) === undefined) throw new CollectorExit(p, "grpc_security is required when grpc_listen_addr is set");
  // nats_creds_path: resolved against cert_dir when a security block exists.
  const creds = credsRaw === undefined ? undefined : sec ? sec.resolve(credsRaw) : credsRaw.trim();
  return {
    program: p,
    url,
    apiPrefix: domain ? `$JS.${domain}.API` : "$JS.API",
    ...(creds ? { creds } : {}),
    tls: sec?.mode === "mtls" ? { ca: sec.resolve(sec.ca), cert: sec.resolve(sec.cert), key: sec.resolve(sec.key) } : {},
    stream,
    replicas,
    publishes: [subject],
    check: { kind: "literal", subjects: [subject] },
    // Connecting is fatal (`?` in main); ensure_stream only warns; a send error is fatal, a failed ack warns.
    onStartFailure: "warn",
    // async-nats's default ack timeout.
    ackTimeoutMs: 5_000,
    listen: [`udp ${listen}`],
  };
}

function flowCollector(text: string): NatsPipeline {
  const p = "flow-collector";
  const cfg = json(p, text);
  const w = "flow-collector.json";
  const url = field<string>(p, cfg, "nats_url", "string", { required: true, where: w })!;
  const creds = field<string>(p, cfg, "nats_creds_file", "string", { where: w });
  const stream = field<string>(p, cfg, "stream_name", "string", { required: true, where: w })!;
  const extra = field<unknown[]>(p, cfg, "stream_subjects", "array", { where: w }) ?? [];
  field(p, cfg, "stream_max_bytes", "i64", { where: w });
  const replicas = field<number>(p, cfg, "stream_replicas", "usize", { default: 1, where: w })!;
  field(p, cfg, "partition", "string", { where: w });
  for (const k of ["channel_size", "batch_size"]) field(p, cfg, k, "usize", { where: w });
  const timeout = field<number>(p, cfg, "publish_timeout_ms", "u64", { default: 5000, where: w })!;
  const drop = field<string>(p, cfg, "drop_policy", "string", { where: w });
  if (drop !== undefined && !["drop_oldest", "drop_newest", "block"].includes(drop)) throw new CollectorExit(p, `unknown variant \`${drop}\` for drop_policy`);
  field(p, cfg, "metrics_addr", "string", { where: w });
  const secRaw = field<Record<string, unknown>>(p, cfg, "security", "object", { where: w });
  let tls: NatsPipeline["tls"] = {};
  if (secRaw) {
    const mode = field<string>(p, secRaw, "mode", "string", { required: true, where: "security" })!;
    if (!["mtls", "none"].includes(mode)) throw new CollectorExit(p, `unknown variant \`${mode}\` for security.mode, expected \`mtls\` or \`none\``);
    const dir = field<string>(p, secRaw, "cert_dir", "string", { where: "security" });
    const t = field<Record<string, unknown>>(p, secRaw, "tls", "object", { where: "security" });
    // build_path: PathBuf::join(cert_dir, file) (an absolute file replaces cert_dir).
    const join = (f?: string) => (f === undefined ? undefined : dir === undefined || f.startsWith("/") ? f : `${dir.replace(/\/$/, "")}/${f}`);
    if (mode === "mtls" && t) {
      tls = {
        cert: join(field<string>(p, t, "cert_file", "string", { where: "security.tls" })),
        key: join(field<string>(p, t, "key_file", "string", { where: "security.tls" })),
        ca: join(field<string>(p, t, "ca_file", "string", { where: "security.tls" })),
      };
    }
  }
  const listeners = field<unknown[]>(p, cfg, "listeners", "array", { required: true, where: w })!;
  const subjects: string[] = [];
  const listen: string[] = [];
  const seen = new Set<string>();
  listeners.forEach((l, i) => {
    const at = `listeners[${i}]`;
    if (typeof l !== "object" || l === null) throw new CollectorExit(p, `${at}: invalid type`);
    const proto = field<string>(p, obj(l), "protocol", "string", { required: true, where: at })!;
    if (!["netflow", "sflow"].includes(proto)) throw new CollectorExit(p, `unknown variant \`${proto}\`, expected \`sflow\` or \`netflow\``);
    const addr = field<string>(p, obj(l), "listen_addr", "string", { required: true, where: at })!;
    const subject = field<string>(p, obj(l), "subject", "string", { required: true, where: at })!;
    if (addr === "") throw new CollectorExit(p, `listener[${i}]: listen_addr cannot be empty`);
    if (subject === "") throw new CollectorExit(p, `listener[${i}]: subject cannot be empty`);
    if (seen.has(addr)) throw new CollectorExit(p, `listener[${i}]: duplicate listen_addr '${addr}'`);
    seen.add(addr);
    subjects.push(subject);
    listen.push(`udp ${addr} (${proto})`);
  });
  // Config::validate
  if (url === "") throw new CollectorExit(p, "nats_url cannot be empty");
  if (stream === "") throw new CollectorExit(p, "stream_name cannot be empty");
  if (replicas === 0) throw new CollectorExit(p, "stream_replicas must be > 0");
  if (listeners.length === 0) throw new CollectorExit(p, "at least one listener is required");
  // stream_subjects_resolved: configured extras plus every listener's subject, sorted, deduplicated.
  const required = [...new Set([...extra.map(String), ...subjects])].sort();
  return {
    program: p,
    url,
    apiPrefix: "$JS.API",
    ...(creds ? { creds } : {}),
    tls,
    stream,
    replicas,
    publishes: subjects,
    check: { kind: "literal", subjects: required },
    // connect_with_retry: 60 attempts, then the process exits.
    onStartFailure: "exit-after-60",
    ackTimeoutMs: timeout,
    listen,
  };
}

// ---------------------------------------------------------------------------------------------
// Running: connect, check the stream, publish with acks
// ---------------------------------------------------------------------------------------------

/** otel's `subject_matches` (rust/otel/src/nats_output.rs): pattern tokens against a subject's. */
export function otelSubjectMatches(pattern: string, subject: string): boolean {
  const pt = pattern.split(".");
  const st = subject.split(".");
  let si = 0;
  for (let i = 0; i < pt.length; i++) {
    const t = pt[i]!;
    if (t === ">") return i === pt.length - 1;
    if (t === "*") {
      if (si >= st.length) return false;
      si++;
    } else {
      if (si >= st.length || st[si] !== t) return false;
      si++;
    }
  }
  return si === st.length;
}

/** Why the stream check would make the collector try to change (or create) the stream; empty when it would not. */
export function streamMismatches(p: NatsPipeline, info: { subjects: string[]; num_replicas: number; max_bytes: number; max_age: number } | undefined): string[] {
  if (!info) return [`stream ${p.stream} does not exist: it would create it`];
  const out: string[] = [];
  if (p.check.kind === "literal") {
    for (const s of p.check.subjects) if (!info.subjects.includes(s)) out.push(`subject ${s} is not listed literally in ${p.stream} (${info.subjects.join(", ")})`);
  } else {
    for (const s of p.check.subjects) if (!info.subjects.some((e) => otelSubjectMatches(e, s))) out.push(`subject ${s} is not covered by ${p.stream}`);
    // reconcile_subjects: an existing subject covered by a required wildcard is removed.
    for (const req of p.check.subjects.filter((s) => s.split(".").some((t) => t === "*" || t === ">"))) {
      for (const e of info.subjects) if (e !== req && otelSubjectMatches(req, e)) out.push(`subject ${e} of ${p.stream} is covered by ${req}: it would remove it`);
    }
    if (info.max_bytes !== p.check.maxBytes) out.push(`max_bytes ${info.max_bytes} ≠ its ${p.check.maxBytes}`);
    if (info.max_age !== p.check.maxAgeSeconds * 1e9) out.push(`max_age ${info.max_age} ns ≠ its ${p.check.maxAgeSeconds} s`);
  }
  if (info.num_replicas !== p.replicas) out.push(`replicas ${info.num_replicas} ≠ its ${p.replicas}`);
  return out;
}

export interface RunEnvironment {
  /** Reads a file the config names (in-container path). */
  readFile(path: string): string;
  /** Where the config's URL is reachable from the test, and the TLS name async-nats would verify. */
  resolve(url: string): { servers: string; servername: string };
  /** Extra trust anchors Node's OpenSSL needs to accept a chain that rustls anchors at the config's CA. */
  extraCa?: string[];
  /** How many connect attempts to make before reporting what the real process would keep doing. */
  attempts?: number;
  name?: string;
}

export type StartOutcome =
  | { state: "running"; nc: NatsConnection; updateAttempts: string[] }
  | { state: "retrying" | "exited" | "failed"; reason: string; updateAttempts: string[] };

/** Connects and checks the stream as the collector does at start. */
export async function startPipeline(p: NatsPipeline, env: RunEnvironment): Promise<StartOutcome> {
  const attempts = env.attempts ?? 2;
  const updateAttempts: string[] = [];
  let lastError = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let nc: NatsConnection | undefined;
    try {
      const { servers, servername } = env.resolve(p.url);
      const u = new URL(p.url);
      const wantsTls = u.protocol === "tls:" || p.tls.ca !== undefined || p.tls.cert !== undefined;
      nc = await connect({
        servers,
        name: env.name ?? p.program,
        // async-nats's reply inbox: no collector can change it.
        inboxPrefix: "_INBOX",
        ...(p.creds ? { authenticator: credsAuthenticator(new TextEncoder().encode(env.readFile(p.creds))) } : {}),
        ...(wantsTls
          ? {
              tls: {
                ...(p.tls.ca ? { ca: [env.readFile(p.tls.ca), ...(env.extraCa ?? [])] } : {}),
                ...(p.tls.cert && p.tls.key ? { cert: env.readFile(p.tls.cert), key: env.readFile(p.tls.key) } : {}),
                servername,
              } as never,
            }
          : {}),
        reconnect: false,
        timeout: 3_000,
      });
      const info = await streamInfo(nc, p);
      const mismatch = streamMismatches(p, info);
      if (mismatch.length > 0) {
        // It would update (or create) the stream: that takes a permission its user must not have.
        const verb = info ? "UPDATE" : "CREATE";
        const r = await nc.request(`${p.apiPrefix}.STREAM.${verb}.${p.stream}`, new TextEncoder().encode(JSON.stringify({ name: p.stream })), { timeout: 1_500 }).then(
          (m) => new TextDecoder().decode(m.data),
          (e: Error) => `no reply (${e.message})`,
        );
        updateAttempts.push(`${verb} ${p.stream}: ${mismatch.join("; ")} → ${r}`);
        const ok = /"error"/.test(r) === false && !r.startsWith("no reply");
        if (!ok) {
          // flowgger and flow-collector: the connect attempt failed; otel logs it; trapd warns.
          if (p.program === "otel" || p.program === "trapd") return { state: "running", nc, updateAttempts };
          throw new Error(`stream ${p.stream}: ${mismatch.join("; ")}`);
        }
      }
      return { state: "running", nc, updateAttempts };
    } catch (e) {
      lastError = (e as Error).message;
      await nc?.close().catch(() => undefined);
      if (p.onStartFailure === "fatal" || (p.onStartFailure === "warn" && !nc)) return { state: "failed", reason: lastError, updateAttempts };
    }
  }
  return p.onStartFailure === "exit-after-60"
    ? { state: "retrying", reason: `${lastError} (it exits after 60 attempts)`, updateAttempts }
    : { state: "retrying", reason: `${lastError} (it retries forever)`, updateAttempts };
}

/** `$JS.API.STREAM.INFO.<stream>` (async-nats `get_stream`); undefined when the stream does not exist. */
async function streamInfo(nc: NatsConnection, p: NatsPipeline): Promise<{ subjects: string[]; num_replicas: number; max_bytes: number; max_age: number } | undefined> {
  const m = await nc.request(`${p.apiPrefix}.STREAM.INFO.${p.stream}`, new Uint8Array(), { timeout: 3_000 });
  const r = JSON.parse(new TextDecoder().decode(m.data));
  if (r.error) {
    if (r.error.err_code === 10059 || r.error.code === 404) return undefined;
    throw new Error(`stream info ${p.stream}: ${r.error.description}`);
  }
  return { subjects: r.config.subjects ?? [], num_replicas: r.config.num_replicas, max_bytes: r.config.max_bytes, max_age: r.config.max_age };
}

/** Publishes on every subject the pipeline publishes, waiting for each JetStream ack as the collector does. */
export async function publishWithAcks(p: NatsPipeline, nc: NatsConnection, payload: (subject: string, i: number) => string, count = 1): Promise<{ published: number; acks: PubAck[]; failures: string[] }> {
  const js = nc.jetstream({ apiPrefix: p.apiPrefix, timeout: p.ackTimeoutMs });
  const acks: PubAck[] = [];
  const failures: string[] = [];
  let published = 0;
  for (let i = 0; i < count; i++) {
    for (const subject of p.publishes) {
      published++;
      try {
        acks.push(await js.publish(subject, new TextEncoder().encode(payload(subject, i)), { timeout: Math.min(p.ackTimeoutMs, 5_000) }));
      } catch (e) {
        failures.push(`${subject}: ${(e as Error).message}`);
      }
    }
  }
  return { published, acks, failures };
}
