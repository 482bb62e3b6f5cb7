/**
 * The collectors a tenant file may list, as the real ServiceRadar collectors take them (read from
 * carverauto/serviceradar at 1e940288, app 1.2.27): each one's image, how its container finds its
 * configuration, the ports devices send to, and its configuration files' text in the collector's
 * own format, with only keys its loader reads. Tenant context is where the collectors take it: the
 * literal tenant-prefixed subject, the location account's creds, the certificate's CN. The same
 * text goes into the ConfigMap and into the onboarding bundle.
 */
import { stringify as stringifyToml } from "smol-toml";
import type { CollectorModel } from "../../model/model";
import { collectorServiceName } from "../../model/names";
import type { CollectorType } from "../../model/schema";
import { COLLECTOR_STREAM_KIND, collectorSubject, type LocalStreamPlan } from "./locations";
import { COLLECTOR_PATHS, leafUrl } from "./paths";

/** An ingest port: what the Service exposes (the well-known port) and what the container binds. */
export interface IngestPort {
  name: string;
  protocol: "UDP" | "TCP";
  /** The well-known port devices send to (on the Service). */
  servicePort: number;
  /**
   * The port the container binds (the one its config names): above 1024 for privileged
   * well-known ports, so the container needs no NET_BIND_SERVICE.
   */
  containerPort: number;
}

/**
 * How the image starts the collector on a config file. log-collector's and trapd's entrypoints
 * ignore their arguments and run the binary with `--config "$CONFIG_PATH"`
 * (docker/compose/entrypoint-{log-collector,trapd}.sh); flow-collector's ENTRYPOINT is the binary,
 * which takes `--config` (docker/images/BUILD.bazel, rust/flow-collector/src/main.rs).
 */
export type CollectorStart = { kind: "env"; variable: "CONFIG_PATH" } | { kind: "args" };

interface CollectorKind {
  /** The file the process is started on (the log-collector wrapper for flowgger and otel). */
  entryFile: string;
  /** Every file of its configuration, the entry file first. */
  files: string[];
  start: CollectorStart;
  ingest: IngestPort[];
}

/** log-collector's wrapper (rust/log-collector/src/config.rs): it names the input's own file. */
const WRAPPER = "log-collector.toml";

export const COLLECTOR_KINDS: Record<CollectorType, CollectorKind> = {
  flowgger: {
    entryFile: WRAPPER,
    files: [WRAPPER, "flowgger.toml"],
    start: { kind: "env", variable: "CONFIG_PATH" },
    ingest: [{ name: "syslog", protocol: "UDP", servicePort: 514, containerPort: 1514 }],
  },
  otel: {
    entryFile: WRAPPER,
    files: [WRAPPER, "otel.toml"],
    start: { kind: "env", variable: "CONFIG_PATH" },
    // OTLP over gRPC only: nothing in rust/otel serves OTLP/HTTP.
    ingest: [{ name: "otlp-grpc", protocol: "TCP", servicePort: 4317, containerPort: 4317 }],
  },
  trapd: {
    entryFile: "trapd.json",
    files: ["trapd.json"],
    start: { kind: "env", variable: "CONFIG_PATH" },
    ingest: [{ name: "snmp-trap", protocol: "UDP", servicePort: 162, containerPort: 1162 }],
  },
  netflow: {
    entryFile: "flow-collector.json",
    files: ["flow-collector.json"],
    start: { kind: "args" },
    ingest: [{ name: "netflow", protocol: "UDP", servicePort: 2055, containerPort: 2055 }],
  },
};

/** Where a collector's configuration file is mounted. */
export const collectorConfigPath = (file: string) => `${COLLECTOR_PATHS.configDir}/${file}`;

const listen = (p: IngestPort) => `0.0.0.0:${p.containerPort}`;

/** A collector's configuration, as its loader reads it: file name → parsed content. */
export function collectorConfig(c: CollectorModel, slug: string, subjects: Record<CollectorType, string>, stream: LocalStreamPlan): Record<string, Record<string, unknown>> {
  const kind = COLLECTOR_KINDS[c.type];
  const subject = collectorSubject(slug, c.type, subjects);
  const url = leafUrl();
  const p = COLLECTOR_PATHS;
  switch (c.type) {
    case "flowgger":
    case "otel": {
      // One input per pod: the wrapper starts both unless told otherwise (both default to enabled).
      const own = kind.files[1]!;
      const wrapper = {
        flowgger: c.type === "flowgger" ? { enabled: true, config_file: collectorConfigPath(own) } : { enabled: false },
        otel: c.type === "otel" ? { enabled: true, config_file: collectorConfigPath(own) } : { enabled: false },
      };
      if (c.type === "flowgger") {
        return {
          [WRAPPER]: wrapper,
          // rust/flowgger/src/flowgger/mod.rs and output/nats_output.rs: untyped lookups.
          [own]: {
            input: { type: "udp", listen: listen(kind.ingest[0]!), format: c.syslogFormat ?? "rfc3164" },
            output: {
              type: "nats",
              format: "gelf",
              framing: "noop",
              nats_url: url,
              nats_subject: subject,
              nats_stream: stream.name,
              nats_stream_replicas: stream.replicas,
              partition: c.partition,
              nats_creds_file: p.creds,
              nats_tls_cert: p.cert,
              nats_tls_key: p.key,
              nats_tls_ca_file: p.ca,
            },
          },
        };
      }
      return {
        [WRAPPER]: wrapper,
        // rust/otel/src/config.rs (serde): [nats] needs `url`; its stream limits must equal the stream's.
        [own]: {
          server: { bind_address: "0.0.0.0", port: kind.ingest[0]!.containerPort },
          nats: {
            url,
            subject,
            stream: stream.name,
            creds_file: p.creds,
            max_bytes: stream.maxBytes,
            max_age_secs: stream.maxAgeSeconds,
            stream_replicas: stream.replicas,
            tls: { cert_file: p.cert, key_file: p.key, ca_file: p.ca },
          },
          // With ca_file, OTLP clients must present a certificate of the tenant CA.
          grpc_tls: { cert_file: p.cert, key_file: p.key, ...(c.otlpClientCertificates !== false ? { ca_file: p.ca } : {}) },
        },
      };
    }
    case "trapd":
      // rust/trapd/src/config.rs (serde): listen_addr, nats_url, subject required.
      return {
        [kind.entryFile]: {
          listen_addr: listen(kind.ingest[0]!),
          nats_url: url,
          subject,
          stream_name: stream.name,
          stream_replicas: stream.replicas,
          nats_creds_file: p.creds,
          nats_security: { mode: "mtls", cert_file: p.cert, key_file: p.key, ca_file: p.ca },
        },
      };
    case "netflow":
      // rust/flow-collector/src/config.rs (serde): nats_url, stream_name, listeners required;
      // security.tls file names are joined to cert_dir.
      return {
        [kind.entryFile]: {
          nats_url: url,
          nats_creds_file: p.creds,
          stream_name: stream.name,
          stream_replicas: stream.replicas,
          partition: c.partition,
          security: { mode: "mtls", cert_dir: p.certDir, tls: { cert_file: basename(p.cert), key_file: basename(p.key), ca_file: basename(p.ca) } },
          listeners: [{ protocol: "netflow", listen_addr: listen(kind.ingest[0]!), subject }],
        },
      };
  }
}

/** A collector's configuration files, serialized in their formats (deterministic key order). */
export function collectorConfigFiles(c: CollectorModel, slug: string, subjects: Record<CollectorType, string>, stream: LocalStreamPlan): Record<string, string> {
  const header = `# ${c.type} collector ${collectorServiceName(c.type, c.partition)} of tenant ${slug}: generated by the tenancy program, do not edit.`;
  return Object.fromEntries(
    Object.entries(collectorConfig(c, slug, subjects, stream)).map(([file, content]) => [
      file,
      file.endsWith(".json") ? `${JSON.stringify(content, null, 2)}\n` : `${header}\n${stringifyToml(content)}\n`,
    ]),
  );
}

/** The local stream a collector publishes into, at its location. */
export function streamOf(c: CollectorModel, streams: readonly LocalStreamPlan[]): LocalStreamPlan {
  const kind = COLLECTOR_STREAM_KIND[c.type];
  const stream = streams.find((s) => s.kind === kind);
  if (!stream) throw new Error(`collector ${c.type}/${c.partition}: its location has no ${kind} stream`);
  return stream;
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}
