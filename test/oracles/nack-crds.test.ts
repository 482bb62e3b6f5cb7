import { beforeAll, describe, expect, it } from "vitest";
import { supportedKinds, validateManifest } from "./k8s-validate";
import {
  NACK_ACCOUNT_V1BETA2_SCHEMA,
  NACK_API_VERSION,
  NACK_CRD_SOURCE,
  NACK_STREAM_V1BETA2_SCHEMA,
  registerNackSchemas,
  strictSchema,
  validateNack,
} from "./nack-crds";

const NS = "platform";

type Manifest = { apiVersion: string; kind: string; metadata: Record<string, unknown>; spec: Record<string, unknown> } & Record<string, unknown>;

const STREAM: Manifest = {
  apiVersion: NACK_API_VERSION,
  kind: "Stream",
  metadata: { name: "tenant-x-events", namespace: NS, labels: { "app.kubernetes.io/component": "jetstream" } },
  spec: {
    name: "tenant-x-events",
    subjects: ["tenant-x.events.>"],
    storage: "file",
    retention: "limits",
    maxAge: "72h",
    maxBytes: 268435456,
    replicas: 1,
    discard: "old",
    account: "tenant-x",
  },
};

const ACCOUNT: Manifest = {
  apiVersion: NACK_API_VERSION,
  kind: "Account",
  metadata: { name: "tenant-x", namespace: NS },
  spec: {
    name: "tenant-x",
    servers: ["nats://nats.platform.svc:4222"],
    creds: { secret: { name: "tenant-x-manager-creds" }, file: "nats.creds" },
    tls: { secret: { name: "tenant-x-nack-tls" }, ca: "ca.crt", cert: "tls.crt", key: "tls.key" },
  },
};

/** A deep copy of `base` with `edit` applied, so no test can leak into another. */
function variant(base: Manifest, edit: (m: Manifest) => void): Manifest {
  const copy = structuredClone(base);
  edit(copy);
  return copy;
}

/** Reads a nested value of a schema by property path, for asserting facts about the vendored data. */
function at(schema: unknown, ...path: string[]): unknown {
  let node = schema;
  for (const key of path) node = (node as Record<string, unknown> | undefined)?.[key];
  return node;
}

beforeAll(() => registerNackSchemas());

describe("vendored NACK CRD schemas", () => {
  it("record their source and stay untouched", () => {
    expect(NACK_CRD_SOURCE).toEqual({
      repo: "nats-io/nack",
      path: "deploy/crds.yml",
      commit: "991b2182aefc3970db2f930e0fcaeba1050af464",
      version: "v1beta2",
    });
    expect(Object.isFrozen(NACK_STREAM_V1BETA2_SCHEMA)).toBe(true);
    expect(Object.isFrozen(at(NACK_ACCOUNT_V1BETA2_SCHEMA, "properties", "spec", "properties", "tls"))).toBe(true);
    // Strictness is added to a copy: the vendored data has no additionalProperties of its own except spec.metadata's map.
    strictSchema("Stream");
    expect(at(NACK_STREAM_V1BETA2_SCHEMA, "properties", "spec", "additionalProperties")).toBeUndefined();
    expect(at(NACK_STREAM_V1BETA2_SCHEMA, "properties", "spec", "properties", "metadata", "additionalProperties")).toEqual({ type: "string" });
  });

  it("say what the API server defaults and requires (facts the renderer relies on)", () => {
    const spec = (p: string, ...rest: string[]) => at(NACK_STREAM_V1BETA2_SCHEMA, "properties", "spec", "properties", p, ...rest);
    // Nothing is required by the CRD, and an omitted storage is memory, not file.
    expect(at(NACK_STREAM_V1BETA2_SCHEMA, "required")).toBeUndefined();
    expect(at(NACK_STREAM_V1BETA2_SCHEMA, "properties", "spec", "required")).toBeUndefined();
    expect(spec("storage", "default")).toBe("memory");
    expect(spec("storage", "enum")).toEqual(["file", "memory"]);
    expect(spec("retention", "default")).toBe("limits");
    expect(spec("discard", "default")).toBe("old");
    expect(spec("replicas", "default")).toBe(1);
    expect(spec("maxBytes", "type")).toBe("integer");
    expect(spec("maxAge", "type")).toBe("string");
    expect(spec("account", "type")).toBe("string");
    expect(Object.keys(at(NACK_ACCOUNT_V1BETA2_SCHEMA, "properties", "spec", "properties") as object)).toEqual([
      "name",
      "creds",
      "servers",
      "tls",
      "token",
      "user",
      "tlsFirst",
    ]);
  });
});

describe("registerNackSchemas", () => {
  it("teaches validateManifest both kinds", () => {
    expect(supportedKinds()).toEqual(expect.arrayContaining(["jetstream.nats.io/v1beta2/Stream", "jetstream.nats.io/v1beta2/Account"]));
    // Other versions stay unknown.
    expect(validateManifest({ ...STREAM, apiVersion: "jetstream.nats.io/v1beta1" })[0]?.message).toMatch(/^no schema for/);
  });

  it("accepts a valid Stream and a valid Account", () => {
    expect(validateManifest(STREAM)).toEqual([]);
    expect(validateManifest(ACCOUNT)).toEqual([]);
  });

  it("accepts the optional parts the schema allows: status, spec.metadata map, CA-only tls, token/user auth", () => {
    expect(
      validateManifest(
        variant(STREAM, (m) => {
          m.spec.metadata = { "tenancy/tenant": "x" };
          m.spec.preventDelete = true;
          m.spec.sources = [{ name: "other", subjectTransforms: [{ source: "a.>", dest: "b.>" }] }];
          m.status = { observedGeneration: 2, conditions: [{ type: "Ready", status: "True", reason: "Created", message: "", lastTransitionTime: "" }] };
        }),
      ),
    ).toEqual([]);
    expect(validateManifest(variant(ACCOUNT, (m) => (m.spec.tls = { secret: { name: "nats-hub-ca" }, ca: "ca.crt" })))).toEqual([]);
    expect(
      validateManifest(
        variant(ACCOUNT, (m) => {
          m.spec.token = { secret: { name: "tok" }, token: "token" };
          m.spec.user = { secret: { name: "up" }, user: "user", password: "password" };
          m.spec.tlsFirst = true;
        }),
      ),
    ).toEqual([]);
  });

  it("refuses unknown fields in spec, naming the field and the likely intended one", () => {
    expect(validateManifest(variant(STREAM, (m) => (m.spec.maxAgee = "72h")))).toEqual([
      { path: "spec.maxAgee", message: 'unknown field "maxAgee" (did you mean "maxAge"?)' },
    ]);
    expect(validateManifest(variant(STREAM, (m) => (m.spec.retentionPolicy = "limits")))).toEqual([
      { path: "spec.retentionPolicy", message: 'unknown field "retentionPolicy"' },
    ]);
    // Nested objects are closed too.
    expect(validateManifest(variant(ACCOUNT, (m) => (m.spec.creds = { secret: { name: "c", key: "nats.creds" }, file: "nats.creds" })))).toEqual([
      { path: "spec.creds.secret.key", message: 'unknown field "key"' },
    ]);
    // The Account's tls keys are ca/cert/key, not the Stream's clientCert/clientKey/rootCas.
    expect(validateManifest(variant(ACCOUNT, (m) => (m.spec.tls = { secret: { name: "t" }, rootCas: ["ca.crt"] })))).toEqual([
      { path: "spec.tls.rootCas", message: 'unknown field "rootCas"' },
    ]);
    // And at the root (apiVersion, kind, metadata, spec and status are the only root fields).
    expect(validateManifest(variant(STREAM, (m) => (m.data = {})))).toEqual([{ path: "data", message: 'unknown field "data"' }]);
  });

  it("refuses wrong types, naming the field", () => {
    expect(validateManifest(variant(STREAM, (m) => (m.spec.maxBytes = "256Mi")))).toEqual([{ path: "spec.maxBytes", message: "must be integer" }]);
    expect(validateManifest(variant(STREAM, (m) => (m.spec.maxBytes = 1.5)))).toEqual([{ path: "spec.maxBytes", message: "must be integer" }]);
    expect(validateManifest(variant(STREAM, (m) => (m.spec.subjects = "tenant-x.>")))).toEqual([{ path: "spec.subjects", message: "must be array" }]);
    expect(validateManifest(variant(ACCOUNT, (m) => (m.spec.servers = ["nats://a:4222", 4222])))).toEqual([
      { path: "spec.servers[1]", message: "must be string" },
    ]);
    expect(validateManifest(variant(STREAM, (m) => (m.spec.metadata = { owner: 7 })))).toEqual([{ path: "spec.metadata.owner", message: "must be string" }]);
  });

  it("refuses values outside an enum, pattern or minimum, naming the field", () => {
    expect(validateManifest(variant(STREAM, (m) => (m.spec.storage = "disk")))).toEqual([
      { path: "spec.storage", message: 'must be one of "file", "memory"' },
    ]);
    expect(validateManifest(variant(STREAM, (m) => (m.spec.retention = "workQueue")))).toEqual([
      { path: "spec.retention", message: 'must be one of "limits", "interest", "workqueue"' },
    ]);
    expect(validateManifest(variant(STREAM, (m) => (m.spec.name = "tenant.x")))).toEqual([
      { path: "spec.name", message: 'must match pattern "^[^.*>]*$"' },
    ]);
    expect(validateManifest(variant(STREAM, (m) => (m.spec.account = "tenant.x")))).toEqual([
      { path: "spec.account", message: 'must match pattern "^[^.*>]*$"' },
    ]);
    expect(validateManifest(variant(STREAM, (m) => (m.spec.replicas = 0)))).toEqual([{ path: "spec.replicas", message: "must be >= 1" }]);
    expect(validateManifest(variant(STREAM, (m) => (m.spec.maxBytes = -2)))).toEqual([{ path: "spec.maxBytes", message: "must be >= -1" }]);
  });

  it("reports every problem at once", () => {
    const problems = validateManifest(
      variant(STREAM, (m) => {
        m.spec.storage = "disk";
        m.spec.maxBytes = "1Gi";
        m.spec.maxAgee = "1h";
      }),
    );
    expect(problems).toHaveLength(3);
    expect(problems.map((p) => p.path).sort()).toEqual(["spec.maxAgee", "spec.maxBytes", "spec.storage"]);
  });

  it("checks metadata only for being an object with a name, leaving its rules to validateManifest", () => {
    expect(validateNack("Stream", variant(STREAM, (m) => (m.metadata = { namespace: NS })))).toEqual([
      { path: "metadata.name", message: 'required field "name" is missing' },
    ]);
    expect(validateNack("Account", variant(ACCOUNT, (m) => delete (m as Partial<Manifest>).metadata))).toEqual([
      { path: "metadata.name", message: 'required field "name" is missing' },
    ]);
    expect(validateNack("Stream", variant(STREAM, (m) => (m.metadata = "tenant-x" as unknown as Manifest["metadata"])))).toEqual([
      { path: "metadata", message: "must be object" },
    ]);
    // Any metadata field is fine here; the name rules come from validateManifest.
    expect(validateNack("Stream", variant(STREAM, (m) => (m.metadata.finalizers = ["x"])))).toEqual([]);
    expect(validateManifest(variant(STREAM, (m) => (m.metadata.name = "Tenant_X")))).toEqual([
      { path: "metadata.name", message: expect.stringMatching(/^"Tenant_X" is not a valid DNS-1123 subdomain/) },
    ]);
  });

  it("checks apiVersion and kind when used on its own", () => {
    expect(validateNack("Stream", ACCOUNT)).toContainEqual({ path: "kind", message: 'must be "Stream"' });
    expect(validateNack("Account", { ...ACCOUNT, apiVersion: "jetstream.nats.io/v1beta1" })).toContainEqual({
      path: "apiVersion",
      message: 'must be "jetstream.nats.io/v1beta2"',
    });
  });
});
