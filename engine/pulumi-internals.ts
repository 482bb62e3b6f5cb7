/**
 * Everything the offline engine takes from @pulumi/pulumi beyond its documented API, in one file.
 * Written against @pulumi/pulumi 3.248.0 (PULUMI_VERSION, the version package.json pins).
 *
 * None of this is a public contract: MockMonitor and its private newUrn (runtime/mocks); the wire
 * format of properties and secrets (runtime/rpc); setMockOptions, disconnect and the global
 * store's feature flags (runtime/settings, runtime/state); the generated protobuf messages of the
 * resource monitor protocol, with their getter and setter names (proto/resource_pb, google-protobuf's
 * struct_pb), and which Struct methods the runtime calls (fromJavaScript, toJavaScript,
 * getFieldsMap); Resource.callsites; and runInPulumiStack / setAllConfig, the language host's entry
 * points. An upgrade may rename or reshape any of it without notice, and what breaks is the offline
 * engine, loudly or not: a missing getter or setter fails every registration; a getter whose field
 * changed meaning records wrong resource options; a changed secret signature stops secrets being
 * recognised (and redacted); a renamed newUrn, flag or callsites breaks URNs, secrets or speed; a
 * Struct method the runtime starts calling that useInProcessStructs does not answer reads nothing.
 * test/pulumi-internals.test.ts checks all of it against the installed version and fails first:
 * after an upgrade, re-check this file against the new version, then bump PULUMI_VERSION.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import * as settings from "@pulumi/pulumi/runtime/settings";
import * as state from "@pulumi/pulumi/runtime/state";
import type { ReadResourceRequest, RegisterResourceOutputsRequest, RegisterResourceRequest } from "@pulumi/pulumi/proto/resource_pb";
import type { Struct } from "google-protobuf/google/protobuf/struct_pb";

// Generated CommonJS without static export names (what `import` makes of it depends on the loader): required.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const resproto = require("@pulumi/pulumi/proto/resource_pb") as typeof import("@pulumi/pulumi/proto/resource_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const structproto = require("google-protobuf/google/protobuf/struct_pb") as typeof import("google-protobuf/google/protobuf/struct_pb");

/** The @pulumi/pulumi version this file was checked against. */
export const PULUMI_VERSION = "3.248.0";

// ---------------------------------------------------------------------------------------------
// Secrets on the wire

/** True for a value the runtime marked secret (its serialized form carries the secret signature). */
export function isSecretValue(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[rpc.specialSigKey] === rpc.specialSecretSig;
}

/** `value` marked secret, as the runtime serializes a secret. */
export function secretValue(value: unknown): Record<string, unknown> {
  return { [rpc.specialSigKey]: rpc.specialSecretSig, value };
}

// ---------------------------------------------------------------------------------------------
// The resource monitor

export type { ReadResourceRequest, RegisterResourceOutputsRequest, RegisterResourceRequest };

/** How MockMonitor's calls answer: an error, or the response message. */
export type MonitorCallback = (err: unknown, response: unknown) => void;

/** What the engine reads of a RegisterResourceRequest. */
export interface RegisterResourceFields {
  type: string;
  name: string;
  parent: string;
  provider: string;
  custom: boolean;
  /** The inputs, deserialized (secrets wrapped; see isSecretValue). */
  inputs(): Record<string, any>;
  /** Optional fields: typed as maybe undefined, read as false when the program did not set them. */
  protect: boolean | undefined;
  retainOnDelete: boolean | undefined;
  deleteBeforeReplace: boolean;
  dependencies: string[];
  /** Each alias as its URN, or as the JSON of its spec. */
  aliases: string[];
  ignoreChanges: string[];
  additionalSecretOutputs: string[];
  replaceOnChanges: string[];
}

/** What the engine reads of a ReadResourceRequest. */
export interface ReadResourceFields {
  type: string;
  name: string;
  parent: string;
  /** The read's properties, deserialized. */
  properties(): Record<string, any>;
}

/** What the engine reads of a RegisterResourceOutputsRequest. */
export interface RegisterResourceOutputsFields {
  urn: string;
  /** The outputs, deserialized, unknowns kept. */
  outputs(): Record<string, any>;
}

/** rpc.deserializeProperties of a request's struct (which the runtime always sets: unset, this throws). */
function deserialize(struct: Struct | undefined, keepUnknowns?: boolean): Record<string, any> {
  return rpc.deserializeProperties(struct as Struct, keepUnknowns);
}

export function registerResourceFields(req: RegisterResourceRequest): RegisterResourceFields {
  return {
    type: req.getType(),
    name: req.getName(),
    parent: req.getParent(),
    provider: req.getProvider(),
    custom: req.getCustom(),
    inputs: () => deserialize(req.getObject()),
    protect: req.getProtect(),
    retainOnDelete: req.getRetainondelete(),
    deleteBeforeReplace: req.getDeletebeforereplace(),
    dependencies: req.getDependenciesList(),
    aliases: req.getAliasesList().map((a) => (typeof a === "string" ? a : JSON.stringify(a.toObject()))),
    ignoreChanges: req.getIgnorechangesList(),
    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    replaceOnChanges: req.getReplaceonchangesList(),
  };
}

export function readResourceFields(req: ReadResourceRequest): ReadResourceFields {
  return { type: req.getType(), name: req.getName(), parent: req.getParent(), properties: () => deserialize(req.getProperties()) };
}

export function registerResourceOutputsFields(req: RegisterResourceOutputsRequest): RegisterResourceOutputsFields {
  return { urn: req.getUrn(), outputs: () => deserialize(req.getOutputs(), true) };
}

/** A resource's state (or properties) as the runtime sends it: rpc.serializeProperties, the very promise. */
export function serializeProperties(props: Record<string, unknown>): Promise<Record<string, any>> {
  return rpc.serializeProperties("", props);
}

/** The answer to a registration: the resource's URN, id ("" for none) and serialized state. */
export function registerResourceResponse(urn: string, id: string, serializedState: Record<string, any>): unknown {
  const response = new resproto.RegisterResourceResponse();
  response.setUrn(urn);
  response.setId(id);
  response.setObject(structproto.Struct.fromJavaScript(serializedState));
  return response;
}

/** The answer to a read: the resource's URN and serialized properties. */
export function readResourceResponse(urn: string, serializedProperties: Record<string, any>): unknown {
  const response = new resproto.ReadResourceResponse();
  response.setUrn(urn);
  response.setProperties(structproto.Struct.fromJavaScript(serializedProperties));
  return response;
}

/** MockMonitor, for a subclass that replaces its calls; with its URN scheme, typed. */
export abstract class EngineMonitor extends MockMonitor {
  constructor() {
    super({ newResource: () => ({ id: undefined, state: {} }), call: () => ({}) });
  }

  /** The URN the engine gives a resource (MockMonitor's newUrn: a URN names its parent's type, not its parent). */
  protected urn(parent: string, type: string, name: string): string {
    return (this as unknown as { newUrn(parent: string, type: string, name: string): string }).newUrn(parent, type, name);
  }
}

// ---------------------------------------------------------------------------------------------
// The runtime

/**
 * The feature flags the offline run sets in the runtime's store: six of those
 * pulumi.runtime.setMocks sets (3.248.0's also turns on supportsReplaceWith,
 * supportsParameterization, supportsResourceHooks and supportsErrorHooks; the offline engine
 * leaves those at their default, off).
 */
export const MOCK_FEATURES = {
  supportsSecrets: true,
  supportsResourceReferences: true,
  supportsOutputValues: false,
  supportsDeletedWith: true,
  supportsAliasSpecs: true,
  supportsTransforms: false,
} as const;

/** The runtime's process-global store (getStore is internal: not in the type declarations). */
export function runtimeStore(): Record<string, unknown> {
  return (state as unknown as { getStore(): Record<string, unknown> }).getStore();
}

/** Points the runtime at `monitor` (project, stack, preview or not, organization), with MOCK_FEATURES. */
export function connectMonitor(monitor: EngineMonitor, o: { project: string; stack: string; preview: boolean; organization: string }): void {
  settings.setMockOptions(monitor, o.project, o.stack, o.preview, o.organization);
  Object.assign(runtimeStore(), MOCK_FEATURES);
}

/** Replaces the program's whole config, keyed `<project>:<key>` (what the CLI hands a program). */
export function setAllConfig(config: Record<string, string>): void {
  pulumi.runtime.setAllConfig(config);
}

/** Runs `program` inside the root Stack resource, as the language host does; its value becomes the stack's outputs. */
export function runInPulumiStack(program: () => Promise<unknown>): Promise<Record<string, unknown> | undefined> {
  return pulumi.runtime.runInPulumiStack(program);
}

/** Waits for the runtime's outstanding RPCs. */
export function disconnect(): Promise<void> {
  return settings.disconnect();
}

/**
 * Stops the runtime capturing a stack trace for every resource (Resource.callsites, for source
 * positions); returns what restores it.
 */
export function suppressResourceCallsites(): () => void {
  const resourceClass = pulumi.Resource as unknown as { callsites?: () => unknown[] };
  const callsites = resourceClass.callsites;
  resourceClass.callsites = () => [];
  return () => {
    resourceClass.callsites = callsites;
  };
}

/**
 * What Struct.fromJavaScript then toJavaScript make of `value`, without the protobuf in between:
 * the same types accepted (anything else throws as Value.fromJavaScript does), every object's
 * enumerable keys (for…in) in sorted order as a Struct's field map yields them, a fresh copy.
 */
function structRoundTrip(value: unknown): unknown {
  if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value !== "object") throw new Error("Unexpected struct type.");
  if (Array.isArray(value)) return value.map(structRoundTrip);
  return fieldsRoundTrip(value as Record<string, unknown>);
}

function fieldsRoundTrip(fields: Record<string, unknown>): Record<string, unknown> {
  const keys: string[] = [];
  for (const key in fields) keys.push(key);
  keys.sort();
  const copy: Record<string, unknown> = {};
  for (const key of keys) copy[key] = structRoundTrip(fields[key]);
  return copy;
}

/** A copy of a tree structRoundTrip made (its keys already in order). */
function copyTree(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(copyTree);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copy[key] = copyTree((value as Record<string, unknown>)[key]);
  return copy;
}

/**
 * Makes Struct.fromJavaScript keep a plain copy of what it is given instead of encoding it into
 * protobuf Values; returns what restores it. Offline no Struct crosses a wire: the runtime encodes
 * every resource's properties only for the monitor to decode them again (toJavaScript), and the
 * monitor's answers go the same way back — about a tenth of a render's CPU at thousands of
 * resources. The copy is what the round trip yields (structRoundTrip: keys sorted, same types
 * refused), taken when encoded, and toJavaScript hands out a fresh copy of it each time, as the
 * real one does. Anything that reads the fields instead (getFieldsMap: a component method call's
 * answer) gets a real Struct's.
 */
export function useInProcessStructs(): () => void {
  const StructClass = structproto.Struct;
  const encode = StructClass.fromJavaScript;
  class InProcessStruct extends StructClass {
    constructor(private readonly plain: Record<string, unknown>) {
      super();
    }
    override toJavaScript(): { [key: string]: any } {
      return copyTree(this.plain) as Record<string, unknown>;
    }
    override getFieldsMap() {
      return encode(this.plain as Parameters<typeof encode>[0]).getFieldsMap();
    }
  }
  StructClass.fromJavaScript = (value) => new InProcessStruct(fieldsRoundTrip(value as Record<string, unknown>));
  return () => {
    StructClass.fromJavaScript = encode;
  };
}
