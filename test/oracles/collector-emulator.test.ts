/**
 * The collector emulator on configurations written the way carverauto/serviceradar documents them
 * (Helm chart templates, the loaders' own tests): it accepts what the real loaders accept, refuses
 * what they refuse with their reasons, starts as the images start, and checks streams as each
 * collector does. No input here comes from this program.
 */
import { describe, expect, it } from "vitest";
import { CollectorExit, otelSubjectMatches, startCollector, streamMismatches, type CollectorContainer } from "./collector-emulator";

const LOG = "registry.carverauto.dev/serviceradar/serviceradar-log-collector:1.2.27";
const TRAPD = "registry.carverauto.dev/serviceradar/serviceradar-trapd:1.2.27";
const FLOW = "registry.carverauto.dev/serviceradar/serviceradar-flow-collector@sha256:" + "a".repeat(64);

const container = (image: string, files: Record<string, string>, env: Record<string, string> = {}, args?: string[]): CollectorContainer => ({
  image,
  env,
  ...(args ? { args } : {}),
  readFile: (p) => files[p],
});

const FLOWGGER = `[input]
type = "udp"
listen = "0.0.0.0:514"
format = "rfc3164"

[output]
type = "nats"
format = "gelf"
framing = "noop"
nats_url = "tls://serviceradar-nats:4222"
nats_subject = "logs.syslog"
nats_stream = "events"
nats_stream_replicas = 1
nats_tls_ca_file = "/etc/serviceradar/certs/root.pem"
nats_tls_cert = "/etc/serviceradar/certs/log-collector.pem"
nats_tls_key = "/etc/serviceradar/certs/log-collector-key.pem"
nats_tls_skip_verify = false

[logging]
level = "info"
`;
const WRAPPER = `[flowgger]\nenabled = true\nconfig_file = "/c/flowgger.toml"\n\n[otel]\nenabled = false\n`;

describe("log-collector (wrapper, flowgger, otel)", () => {
  it("loads an upstream-shaped flowgger config: unknown keys and tables ignored, the subject published verbatim, the stream checked literally", () => {
    const [p] = startCollector(container(LOG, { "/c/log-collector.toml": WRAPPER, "/c/flowgger.toml": FLOWGGER }, { CONFIG_PATH: "/c/log-collector.toml" }));
    expect(p).toMatchObject({ program: "flowgger", url: "tls://serviceradar-nats:4222", stream: "events", replicas: 1, publishes: ["logs.syslog"], check: { kind: "literal", subjects: ["logs.syslog"] }, onStartFailure: "retry-forever", listen: ["udp 0.0.0.0:514"] });
    expect(p!.tls).toEqual({ ca: "/etc/serviceradar/certs/root.pem", cert: "/etc/serviceradar/certs/log-collector.pem", key: "/etc/serviceradar/certs/log-collector-key.pem" });
  });

  it("panics like flowgger on a missing nats_subject, a non-string URL, an unknown input format", () => {
    const run = (text: string) => () => startCollector(container(LOG, { "/c/log-collector.toml": WRAPPER, "/c/flowgger.toml": text }, { CONFIG_PATH: "/c/log-collector.toml" }));
    expect(run(FLOWGGER.replace(/^nats_subject.*$/m, ""))).toThrow(/output.nats_subject is required/);
    expect(run(FLOWGGER.replace(/^nats_url.*$/m, "nats_url = 4222"))).toThrow(/must be a string/);
    expect(run(FLOWGGER.replace('format = "rfc3164"', 'format = "bsd"'))).toThrow(/Unknown input format: bsd/);
  });

  it("starts both inputs when the wrapper says nothing, from the image's own files: not the rendered ones", () => {
    expect(() => startCollector(container(LOG, { "/etc/serviceradar/log-collector.toml": "" }))).toThrow(/image's own default file/);
    expect(() => startCollector(container(LOG, { "/c/l.toml": "[flowgger]\nenabled = false\n[otel]\nenabled = false\n" }, { CONFIG_PATH: "/c/l.toml" }))).toThrow(/No inputs enabled/);
    expect(() => startCollector(container(LOG, {}, { CONFIG_PATH: "/c/missing.toml" }))).toThrow(/Configuration file not found/);
    // The entrypoint rewrites its config through a temp file when patch variables are set.
    expect(() => startCollector(container(LOG, { "/c/log-collector.toml": WRAPPER, "/c/flowgger.toml": FLOWGGER }, { CONFIG_PATH: "/c/log-collector.toml", FLOWGGER_NATS_URL: "x" }))).toThrow(/read-only/);
  });

  it("loads otel with serde's rules: [nats] url required, defaults filled, [grpc_tls] ca_file turns on client certificates", () => {
    const wrapper = `[flowgger]\nenabled = false\n[otel]\nconfig_file = "/c/otel.toml"\n`;
    const otel = `[server]\nport = 4317\n\n[nats]\nurl = "tls://n:4222"\nsubject = "otel"\nlogs_subject = "logs.otel"\n\n[grpc_tls]\ncert_file = "c"\nkey_file = "k"\nca_file = "ca"\n`;
    const [p] = startCollector(container(LOG, { "/c/w.toml": wrapper, "/c/otel.toml": otel }, { CONFIG_PATH: "/c/w.toml" }));
    expect(p).toMatchObject({ program: "otel", stream: "events", publishes: ["otel.traces.raw", "otel.metrics.raw", "otel.metrics.derived", "logs.otel"], otlpClientAuth: true, onStartFailure: "fatal" });
    expect(p!.check).toEqual({ kind: "wildcard", subjects: ["otel.traces.>", "otel.metrics.>", "logs.otel"], maxBytes: 2 * 1024 ** 3, maxAgeSeconds: 1800 });
    const files = (text: string) => container(LOG, { "/c/w.toml": wrapper, "/c/otel.toml": text }, { CONFIG_PATH: "/c/w.toml" });
    expect(() => startCollector(files(otel.replace(/^url.*$/m, "")))).toThrow(/missing field `url`/);
    expect(() => startCollector(files("[server]\nport = 4317\n"))).toThrow(/publishes nothing/);
    expect(() => startCollector(files(otel.replace("port = 4317", "port = 70000")))).toThrow(/invalid type for `port`/);
  });
});

describe("trapd", () => {
  const TRAPD_JSON = { listen_addr: "0.0.0.0:162", nats_url: "tls://n:4222", subject: "snmp.traps", stream_name: "events", nats_creds_file: "nats.creds", security: { mode: "mtls", cert_dir: "/certs", cert_file: "t.pem", key_file: "t-key.pem", ca_file: "/ca.pem" } };
  const run = (cfg: unknown, env = { CONFIG_PATH: "/c/trapd.json" }) => startCollector(container(TRAPD, { "/c/trapd.json": JSON.stringify(cfg) }, env));

  it("resolves relative files (and the creds) against cert_dir, accepts the `security` alias, and only warns on a stream mismatch", () => {
    const [p] = run(TRAPD_JSON);
    expect(p).toMatchObject({ creds: "/certs/nats.creds", tls: { cert: "/certs/t.pem", key: "/certs/t-key.pem", ca: "/ca.pem" }, publishes: ["snmp.traps"], onStartFailure: "warn", apiPrefix: "$JS.API" });
    expect(run({ ...TRAPD_JSON, nats_domain: "hub" })[0]!.apiPrefix).toBe("$JS.hub.API");
  });

  it("ends like serde and Config::validate do", () => {
    const { subject: _s, ...noSubject } = TRAPD_JSON;
    expect(() => run(noSubject)).toThrow(/missing field `subject`/);
    expect(() => run({ ...TRAPD_JSON, stream_replicas: 0 })).toThrow(/stream_replicas must be > 0/);
    expect(() => run({ ...TRAPD_JSON, security: { mode: "mtls", cert_file: "c" } })).toThrow(/requires cert_file, key_file, and ca_file/);
    expect(() => run({ ...TRAPD_JSON, grpc_listen_addr: "0.0.0.0:50043" })).toThrow(/grpc_security is required/);
    expect(() => run(TRAPD_JSON, {} as never)).toThrow(/image's own default file/);
  });
});

describe("flow-collector", () => {
  const FLOW_JSON = { nats_url: "tls://n:4222", stream_name: "flows", stream_subjects: ["flows.extra"], security: { mode: "mtls", cert_dir: "/certs", tls: { cert_file: "f.pem", key_file: "f-key.pem", ca_file: "ca.pem" } }, listeners: [{ protocol: "netflow", listen_addr: "0.0.0.0:2055", subject: "flows.netflow" }] };
  const run = (cfg: unknown, args: string[] | "image" = ["--config", "/c/f.json"]) => startCollector(container(FLOW, { "/c/f.json": JSON.stringify(cfg) }, {}, args === "image" ? undefined : args));

  it("takes --config (its ENTRYPOINT is the binary), joins tls files to cert_dir, needs its extra and listener subjects literally", () => {
    const [p] = run(FLOW_JSON);
    expect(p).toMatchObject({ program: "flow-collector", tls: { cert: "/certs/f.pem", key: "/certs/f-key.pem", ca: "/certs/ca.pem" }, publishes: ["flows.netflow"], check: { kind: "literal", subjects: ["flows.extra", "flows.netflow"] }, onStartFailure: "exit-after-60" });
    expect(() => run(FLOW_JSON, "image")).toThrow(/image's own default file/);
    expect(() => run(FLOW_JSON, ["--bogus"])).toThrow(/unexpected argument/);
  });

  it("ends like serde: listeners and security.mode required, known protocols only, no duplicate address", () => {
    const { listeners: _l, ...none } = FLOW_JSON;
    expect(() => run(none)).toThrow(/missing field `listeners`/);
    expect(() => run({ ...FLOW_JSON, security: { cert_dir: "/x" } })).toThrow(/missing field `mode`/);
    expect(() => run({ ...FLOW_JSON, listeners: [{ protocol: "ipfix", listen_addr: "a", subject: "s" }] })).toThrow(/unknown variant `ipfix`/);
    expect(() => run({ ...FLOW_JSON, listeners: [...FLOW_JSON.listeners, { ...FLOW_JSON.listeners[0] }] })).toThrow(/duplicate listen_addr/);
  });
});

describe("the stream check each collector makes at start", () => {
  it("matches subjects as otel's subject_matches does (its own tests' cases)", () => {
    expect(otelSubjectMatches("otel.metrics.>", "otel.metrics.raw")).toBe(true);
    // Unlike NATS, its `>` also matches no token at all.
    expect(otelSubjectMatches("otel.metrics.>", "otel.metrics")).toBe(true);
    expect(otelSubjectMatches("otel.metrics.>", "otel.traces.raw")).toBe(false);
    expect(otelSubjectMatches("otel.*.raw", "otel.traces.raw")).toBe(true);
    expect(otelSubjectMatches("otel.>", "otel.traces.>")).toBe(true);
  });

  it("finds what would make a collector change its stream: a literal subject covered only by a wildcard, other replicas, otel's limits", () => {
    const literal = startCollector(container(LOG, { "/c/log-collector.toml": WRAPPER, "/c/flowgger.toml": FLOWGGER }, { CONFIG_PATH: "/c/log-collector.toml" }))[0]!;
    expect(streamMismatches(literal, { subjects: ["logs.syslog"], num_replicas: 1, max_bytes: -1, max_age: 0 })).toEqual([]);
    expect(streamMismatches(literal, { subjects: ["logs.>"], num_replicas: 1, max_bytes: -1, max_age: 0 }).join()).toMatch(/not listed literally/);
    expect(streamMismatches(literal, { subjects: ["logs.syslog"], num_replicas: 3, max_bytes: -1, max_age: 0 }).join()).toMatch(/replicas 3/);
    expect(streamMismatches(literal, undefined).join()).toMatch(/does not exist/);
    const otel = { ...literal, program: "otel" as const, check: { kind: "wildcard" as const, subjects: ["o.traces.>", "o.metrics.>", "o.logs"], maxBytes: 100, maxAgeSeconds: 60 } };
    const exact = { subjects: ["o.logs", "o.metrics.>", "o.traces.>"], num_replicas: 1, max_bytes: 100, max_age: 60e9 };
    expect(streamMismatches(otel, exact)).toEqual([]);
    expect(streamMismatches(otel, { ...exact, max_bytes: 101 }).join()).toMatch(/max_bytes/);
    expect(streamMismatches(otel, { ...exact, subjects: [...exact.subjects, "o.metrics.raw"] }).join()).toMatch(/would remove it/);
  });

  it("refuses an image that is not a collector's, or a replaced entrypoint", () => {
    expect(() => startCollector(container("nats:2.10", {}))).toThrow(CollectorExit);
    expect(() => startCollector({ ...container(TRAPD, {}), command: ["/bin/sh"] })).toThrow(/entrypoint is replaced/);
  });
});
