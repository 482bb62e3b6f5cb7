/**
 * What engine/pulumi-internals.ts relies on in @pulumi/pulumi's internals, checked against the
 * installed version: an upgrade that changes any of it fails here, naming what changed, before
 * the offline engine fails (or, worse, quietly records less). No program runs. The modules are
 * loaded once the first checks (version, module paths) have run, so that a module gone missing
 * fails by name too.
 */
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const REPO = path.resolve(__dirname, "../..");
const FILE = path.join(REPO, "engine", "pulumi-internals.ts");
const RECHECK = "re-check engine/pulumi-internals.ts against the new version, then bump the pin";
const requireFromFile = createRequire(FILE);
const source = fs.readFileSync(FILE, "utf8");
/** The pin, read from the file's text (importing it needs every module it loads). */
const PULUMI_VERSION = /export const PULUMI_VERSION = "([^"]+)";/.exec(source)?.[1];

let pulumi: typeof import("@pulumi/pulumi");
let MockMonitor: typeof import("@pulumi/pulumi/runtime/mocks").MockMonitor;
let rpc: typeof import("@pulumi/pulumi/runtime/rpc");
let settings: typeof import("@pulumi/pulumi/runtime/settings");
let resproto: typeof import("@pulumi/pulumi/proto/resource_pb");
let aliasproto: typeof import("@pulumi/pulumi/proto/alias_pb");
let Struct: typeof import("google-protobuf/google/protobuf/struct_pb").Struct;
let internals: typeof import("../../engine/pulumi-internals");
/** The runtime's store as loading left it, before anything set a flag. */
let initialStore: Record<string, unknown>;

async function load(): Promise<void> {
  pulumi = requireFromFile("@pulumi/pulumi");
  MockMonitor = requireFromFile("@pulumi/pulumi/runtime/mocks").MockMonitor;
  rpc = requireFromFile("@pulumi/pulumi/runtime/rpc");
  settings = requireFromFile("@pulumi/pulumi/runtime/settings");
  resproto = requireFromFile("@pulumi/pulumi/proto/resource_pb");
  aliasproto = requireFromFile("@pulumi/pulumi/proto/alias_pb");
  Struct = requireFromFile("google-protobuf/google/protobuf/struct_pb").Struct;
  internals = await import("../../engine/pulumi-internals");
  initialStore = { ...internals.runtimeStore() };
}

/** The protobuf accessors the file calls, by the message that has them. */
const ACCESSORS: Record<string, string[]> = {
  RegisterResourceRequest: [
    "getType",
    "getName",
    "getParent",
    "getProvider",
    "getCustom",
    "getObject",
    "getProtect",
    "getRetainondelete",
    "getDeletebeforereplace",
    "getDependenciesList",
    "getAliasesList",
    "getIgnorechangesList",
    "getAdditionalsecretoutputsList",
    "getReplaceonchangesList",
  ],
  ReadResourceRequest: ["getType", "getName", "getParent", "getProperties"],
  RegisterResourceOutputsRequest: ["getUrn", "getOutputs"],
  RegisterResourceResponse: ["setUrn", "setId", "setObject"],
  ReadResourceResponse: ["setUrn", "setProperties"],
};
/** The other get…/set… calls in the file: functions of the runtime, checked below. */
const RUNTIME_ACCESSORS = ["getStore", "setMockOptions", "setAllConfig"];
/** What the file's in-process Struct answers besides toJavaScript (checked with it, below). */
const STRUCT_ACCESSORS = ["getFieldsMap"];

describe("@pulumi/pulumi", () => {
  it("is the version engine/pulumi-internals.ts was written against, installed and declared", () => {
    expect(PULUMI_VERSION, "engine/pulumi-internals.ts no longer says `export const PULUMI_VERSION = \"…\";`").toBeDefined();
    const installed = JSON.parse(fs.readFileSync(requireFromFile.resolve("@pulumi/pulumi/package.json"), "utf8")).version;
    expect(installed, `@pulumi/pulumi ${installed} is installed, engine/pulumi-internals.ts pins ${PULUMI_VERSION}: ${RECHECK}`).toBe(PULUMI_VERSION);
    const declared = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).dependencies["@pulumi/pulumi"];
    expect(declared, `package.json declares @pulumi/pulumi ${declared}, engine/pulumi-internals.ts pins ${PULUMI_VERSION}: ${RECHECK}`).toBe(PULUMI_VERSION);
  });

  it("has every module engine/pulumi-internals.ts loads", () => {
    const modules = [...new Set([...source.matchAll(/(?:\bfrom |\brequire\(|\bimport\()"([^"]+)"/g)].map((m) => m[1]))];
    expect(modules).toEqual(
      expect.arrayContaining([
        "@pulumi/pulumi",
        "@pulumi/pulumi/runtime/mocks",
        "@pulumi/pulumi/runtime/rpc",
        "@pulumi/pulumi/runtime/settings",
        "@pulumi/pulumi/runtime/state",
        "@pulumi/pulumi/proto/resource_pb",
        "google-protobuf/google/protobuf/struct_pb",
      ]),
    );
    for (const name of modules) {
      expect(() => requireFromFile.resolve(name), `${name} no longer resolves: ${RECHECK}`).not.toThrow();
    }
  });
});

describe("what engine/pulumi-internals.ts uses", () => {
  beforeAll(load);

  it("exports the pin its text says", () => {
    expect(internals.PULUMI_VERSION).toBe(PULUMI_VERSION);
  });

  it("MockMonitor has the calls the offline engine replaces, and the URN scheme it uses", () => {
    for (const name of ["registerResource", "readResource", "registerResourceOutputs", "newUrn"]) {
      expect(typeof (MockMonitor.prototype as unknown as Record<string, unknown>)[name], `MockMonitor.prototype.${name} is gone: ${RECHECK}`).toBe("function");
    }
    class ProbeMonitor extends internals.EngineMonitor {
      urnOf(parent: string, type: string, name: string): string {
        return this.urn(parent, type, name);
      }
    }
    const monitor = new ProbeMonitor();
    internals.connectMonitor(monitor, { project: "proj", stack: "stk", preview: false, organization: "org" });
    expect(monitor.urnOf("", "a:b:Parent", "p"), `MockMonitor's URNs changed: ${RECHECK}`).toBe("urn:pulumi:stk::proj::a:b:Parent::p");
    expect(monitor.urnOf("urn:pulumi:stk::proj::a:b:Parent::p", "c:d:Child", "c"), `MockMonitor's URNs changed: ${RECHECK}`).toBe("urn:pulumi:stk::proj::a:b:Parent$c:d:Child::c");
  });

  it("rpc marks secrets with the signature the engine reads", async () => {
    expect(rpc.specialSigKey, `rpc.specialSigKey changed: ${RECHECK}`).toBe("4dabf18193072939515e22adb298388d");
    expect(rpc.specialSecretSig, `rpc.specialSecretSig changed: ${RECHECK}`).toBe("1b47061264138c4ac30d75fd1eb44270");
    // A secret the engine wraps survives serialization and comes back wrapped.
    const request = new resproto.RegisterResourceOutputsRequest();
    request.setUrn("urn:pulumi:stk::proj::pulumi:pulumi:Stack::proj-stk");
    request.setOutputs(Struct.fromJavaScript(await internals.serializeProperties({ plain: "a", hidden: internals.secretValue("b") })));
    const outputs = internals.registerResourceOutputsFields(request).outputs();
    expect(outputs.plain, `serialized properties changed: ${RECHECK}`).toBe("a");
    expect(internals.isSecretValue(outputs.hidden), `a serialized secret no longer comes back wrapped: ${RECHECK}`).toBe(true);
    expect(outputs.hidden.value).toBe("b");
  });

  it("resource_pb's messages have every getter and setter the file calls", () => {
    for (const [message, names] of Object.entries(ACCESSORS)) {
      const cls = (resproto as unknown as Record<string, { prototype: Record<string, unknown> } | undefined>)[message];
      expect(typeof cls, `resource_pb.${message} is gone: ${RECHECK}`).toBe("function");
      for (const name of names) expect(typeof cls!.prototype[name], `resource_pb.${message}.prototype.${name} is gone: ${RECHECK}`).toBe("function");
    }
    // The lists above are what the file calls: a new accessor there must be listed (and so checked) here.
    const listed = new Set([...Object.values(ACCESSORS).flat(), ...RUNTIME_ACCESSORS, ...STRUCT_ACCESSORS]);
    const called = [...new Set([...source.matchAll(/\.((?:get|set)[A-Z]\w*)\(/g)].map((m) => m[1]))];
    expect(called.filter((name) => !listed.has(name)), "engine/pulumi-internals.ts calls accessors this test does not check: add them above").toEqual([]);
  });

  it("resource_pb's requests decode as the engine reads them", () => {
    const object = Struct.fromJavaScript({ a: 1 });
    const alias = new aliasproto.Alias();
    alias.setUrn("urn:pulumi:stk::proj::a:b:C::old");
    const register = new resproto.RegisterResourceRequest();
    register.setType("a:b:C");
    register.setName("n");
    register.setParent("urn:pulumi:stk::proj::a:b:Parent::p");
    register.setProvider("urn:pulumi:stk::proj::pulumi:providers:a::default::id");
    register.setCustom(true);
    register.setObject(object);
    register.setProtect(true);
    register.setRetainondelete(true);
    register.setDeletebeforereplace(true);
    register.setDependenciesList(["urn:dep"]);
    register.setAliasesList([alias]);
    register.setIgnorechangesList(["spec"]);
    register.setAdditionalsecretoutputsList(["secret"]);
    register.setReplaceonchangesList(["data"]);
    const fields = internals.registerResourceFields(register);
    expect({ ...fields, inputs: fields.inputs() }, `RegisterResourceRequest's fields changed: ${RECHECK}`).toEqual({
      type: "a:b:C",
      name: "n",
      parent: "urn:pulumi:stk::proj::a:b:Parent::p",
      provider: "urn:pulumi:stk::proj::pulumi:providers:a::default::id",
      custom: true,
      inputs: { a: 1 },
      protect: true,
      retainOnDelete: true,
      deleteBeforeReplace: true,
      dependencies: ["urn:dep"],
      aliases: [JSON.stringify({ urn: "urn:pulumi:stk::proj::a:b:C::old" })],
      ignoreChanges: ["spec"],
      additionalSecretOutputs: ["secret"],
      replaceOnChanges: ["data"],
    });
    // Options the program did not set must not read as set (the engine records `=== true`).
    const bare = internals.registerResourceFields(new resproto.RegisterResourceRequest());
    expect([bare.protect, bare.retainOnDelete, bare.deleteBeforeReplace].filter((v) => v === true), `RegisterResourceRequest's unset options read as set: ${RECHECK}`).toEqual([]);

    const read = new resproto.ReadResourceRequest();
    read.setType("pulumi:pulumi:StackReference");
    read.setName("ref");
    read.setParent("urn:parent");
    read.setProperties(Struct.fromJavaScript({ name: "organization/proj/stk" }));
    const readFields = internals.readResourceFields(read);
    expect({ ...readFields, properties: readFields.properties() }, `ReadResourceRequest's fields changed: ${RECHECK}`).toEqual({ type: "pulumi:pulumi:StackReference", name: "ref", parent: "urn:parent", properties: { name: "organization/proj/stk" } });
  });

  it("resource_pb's responses encode the engine's answers", () => {
    const registered = internals.registerResourceResponse("urn:x", "id-1", { a: "b" }) as InstanceType<typeof resproto.RegisterResourceResponse>;
    expect([registered.getUrn(), registered.getId(), registered.getObject()?.toJavaScript()], `RegisterResourceResponse changed: ${RECHECK}`).toEqual(["urn:x", "id-1", { a: "b" }]);
    const read = internals.readResourceResponse("urn:y", { c: 1 }) as InstanceType<typeof resproto.ReadResourceResponse>;
    expect([read.getUrn(), read.getProperties()?.toJavaScript()], `ReadResourceResponse changed: ${RECHECK}`).toEqual(["urn:y", { c: 1 }]);
  });

  it("in-process Structs read back what a protobuf Struct's round trip does", () => {
    const encode = Struct.fromJavaScript;
    const roundTrip = (v: Record<string, unknown>) => JSON.stringify(encode(v as Parameters<typeof encode>[0]).toJavaScript());
    const fields = (struct: InstanceType<typeof Struct>) => {
      const pairs: [string, unknown][] = [];
      struct.getFieldsMap().forEach((value, key) => pairs.push([key, value.toJavaScript()]));
      return JSON.stringify(pairs);
    };
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const keys = ["b", "a", "10", "2", "A", "_", "aa", "é", "", "z-1"];
    const random = (depth: number): unknown => {
      const pick = next();
      if (depth > 3 || pick < 0.4) return [null, true, false, 0, -1.5, 1e21, "", "x", "\u0000", "ü"][Math.floor(next() * 10)];
      if (pick < 0.7) return Array.from({ length: Math.floor(next() * 4) }, () => random(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(next() * 5) }, () => [keys[Math.floor(next() * keys.length)], random(depth + 1)]));
    };
    const samples: Record<string, unknown>[] = [{}, { b: 1, a: { d: [1, { y: 2, x: null }], c: "s" } }, { "10": 1, "2": 2, b: 3, a: 4 }];
    for (let i = 0; i < 300; i++) samples.push({ top: random(0), [keys[i % keys.length]!]: random(1) });
    for (const name of [...STRUCT_ACCESSORS, "toJavaScript"]) expect(typeof (Struct.prototype as unknown as Record<string, unknown>)[name], `Struct.prototype.${name} is gone: ${RECHECK}`).toBe("function");
    const restore = internals.useInProcessStructs();
    try {
      expect(Struct.fromJavaScript, "useInProcessStructs did not replace Struct.fromJavaScript").not.toBe(encode);
      for (const sample of samples) {
        const inProcess = Struct.fromJavaScript(sample as Parameters<typeof encode>[0]);
        expect(inProcess).toBeInstanceOf(Struct);
        expect(JSON.stringify(inProcess.toJavaScript()), JSON.stringify(sample)).toBe(roundTrip(sample));
        // A fresh copy each time, and none shared with what was encoded.
        const first = inProcess.toJavaScript();
        expect(first).not.toBe(inProcess.toJavaScript());
        if (typeof sample.top === "object" && sample.top !== null) expect(first.top).not.toBe(sample.top);
        expect(fields(inProcess), `getFieldsMap of ${JSON.stringify(sample)}`).toBe(fields(encode(sample as Parameters<typeof encode>[0])));
      }
      // What the real encoding refuses, refused the same way.
      for (const bad of [{ u: undefined }, { f: () => 1 }, { n: [undefined] }]) {
        expect(() => encode(bad as never)).toThrow("Unexpected struct type.");
        expect(() => Struct.fromJavaScript(bad as never)).toThrow("Unexpected struct type.");
      }
      // Encoded when given, as the real one: a later change of the object is not seen.
      const later: Record<string, unknown> = { a: 1 };
      const held = Struct.fromJavaScript(later as Parameters<typeof encode>[0]);
      later.a = 2;
      expect(held.toJavaScript()).toEqual({ a: 1 });
      // A request or response carries it as it does a real Struct.
      const req = new resproto.RegisterResourceRequest();
      req.setObject(held);
      expect(req.getObject()?.toJavaScript()).toEqual({ a: 1 });
    } finally {
      restore();
    }
    expect(Struct.fromJavaScript, "useInProcessStructs' restore left Struct.fromJavaScript replaced").toBe(encode);
  });

  it("the runtime's store has the feature flags the engine sets, and none it does not know of", () => {
    const store = initialStore;
    for (const flag of Object.keys(internals.MOCK_FEATURES)) expect(typeof store[flag], `the runtime's store has no ${flag}: ${RECHECK}`).toBe("boolean");
    const known = [
      "supportsAliasSpecs",
      "supportsDeletedWith",
      "supportsErrorHooks",
      "supportsInvokeTransforms",
      "supportsOutputValues",
      "supportsParameterization",
      "supportsReplaceWith",
      "supportsResourceHooks",
      "supportsResourceReferences",
      "supportsSecrets",
      "supportsTransforms",
    ];
    expect(Object.keys(store).filter((k) => k.startsWith("supports")).sort(), `the runtime's feature flags changed (is one the offline engine should set?): ${RECHECK}`).toEqual(known);
  });

  it("the runtime has the entry points the engine calls, and callsites can be suppressed", () => {
    const fns: Record<string, unknown> = {
      "runtime/settings.setMockOptions": settings.setMockOptions,
      "runtime/settings.disconnect": settings.disconnect,
      "pulumi.runtime.setAllConfig": pulumi.runtime.setAllConfig,
      "pulumi.runtime.runInPulumiStack": pulumi.runtime.runInPulumiStack,
      "pulumi.Resource.callsites": (pulumi.Resource as unknown as { callsites?: unknown }).callsites,
    };
    for (const [name, fn] of Object.entries(fns)) expect(typeof fn, `${name} is gone: ${RECHECK}`).toBe("function");
    const resourceClass = pulumi.Resource as unknown as { callsites: () => unknown[] };
    const callsites = resourceClass.callsites;
    const restore = internals.suppressResourceCallsites();
    expect(resourceClass.callsites()).toEqual([]);
    restore();
    expect(resourceClass.callsites).toBe(callsites);
  });
});
