/**
 * Runs the policy pack's real Policy objects the way the policy engine does, without the engine:
 * properties go through the same wire form (a protobuf Struct, secrets as `{sig, value}`), are
 * deserialized by @pulumi/policy's own `deserializeProperties` (secrets unwrapped) and wrapped in
 * its unknown-checking proxy, so a policy sees exactly what it would see under `pulumi preview`.
 */
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type { Policy, PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { observeInspections } from "../../policy/policies";
import type { Registration } from "../../engine/offline";
import type { AnalyzeResponse, AnalyzerInfo } from "@pulumi/pulumi/proto/analyzer_pb";

// Internal modules of @pulumi/policy (their .d.ts are stripped): the engine-side code paths.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const deserialize = require("@pulumi/policy/deserialize") as { deserializeProperties(s: Struct, proxySecrets: boolean): Record<string, any> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as {
  unknownCheckingProxy<T>(o: T): T;
  UnknownValueError: new (...args: any[]) => Error;
  unknownStringValue: string;
  unknownObjectValue: string;
};

export const UnknownValueError = proxy.UnknownValueError;
/** What the engine sends for a string (object) that cannot be known during preview. */
export const UNKNOWN_STRING = proxy.unknownStringValue;
export const UNKNOWN_OBJECT = proxy.unknownObjectValue;

/** Pulumi's serialized secret marker (rpc.specialSigKey / rpc.specialSecretSig). */
export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const secret = (value: unknown) => ({ [SECRET_SIG_KEY]: SECRET_SIG, value });

/** A resource as the engine knows it: type, names and properties in wire form (secrets wrapped). */
export interface StackResource {
  type: string;
  name: string;
  urn: string;
  props: Record<string, any>;
  parent?: string;
  protect?: boolean;
}

export const urnOf = (type: string, name: string) => `urn:pulumi:dev::tenancy::${type}::${name}`;

/** A Kubernetes resource for hand-written tests: `kind` and `apiVersion` give the Pulumi type. */
export function k8s(apiVersion: string, kind: string, props: Record<string, any>): StackResource {
  const group = apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`;
  const type = `kubernetes:${group}:${kind}`;
  const md = props.metadata ?? {};
  const name = md.namespace ? `${md.namespace}/${md.name}` : String(md.name);
  return { type, name, urn: urnOf(type, name), props: { apiVersion, kind, ...props } };
}

/** The offline engine's registrations, as the engine would hand them to the pack (props = inputs). */
export function fromRegistrations(registrations: readonly Registration[]): StackResource[] {
  return registrations.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs, parent: r.parent || undefined, protect: r.options.protect }));
}

/** Properties as the pack receives them: over the wire, deserialized by @pulumi/policy, behind its proxy. */
export function engineProps(props: Record<string, any>): Record<string, any> {
  const wire = Struct.fromJavaScript(JSON.parse(JSON.stringify(props)));
  return proxy.unknownCheckingProxy(deserialize.deserializeProperties(wire, false));
}

const isTypeOf = (type: string, cls: unknown) => (cls as { __pulumiType?: string }).__pulumiType === type;

class NotApplicable extends Error {}

const options = (r: StackResource) => ({
  protect: r.protect ?? false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
  parent: r.parent,
});

export function resourceArgs(r: StackResource, config: Record<string, unknown> = {}): ResourceValidationArgs {
  const props = engineProps(r.props);
  return {
    type: r.type,
    props,
    urn: r.urn,
    name: r.name,
    opts: options(r),
    stackTags: new Map(),
    isType: (cls) => isTypeOf(r.type, cls),
    asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string) => {
      throw new NotApplicable(reason);
    },
  };
}

export function stackArgs(resources: readonly StackResource[], config: Record<string, unknown> = {}): StackValidationArgs {
  const list: PolicyResource[] = resources.map((r) => {
    const props = engineProps(r.props);
    return {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: options(r),
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => isTypeOf(r.type, cls),
      asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
    };
  });
  const byUrn = new Map(list.map((r) => [r.urn, r]));
  resources.forEach((r, i) => {
    if (r.parent && byUrn.has(r.parent)) list[i].parent = byUrn.get(r.parent);
  });
  return {
    resources: list,
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string) => {
      throw new NotApplicable(reason);
    },
  };
}

export interface Reported {
  policy: string;
  message: string;
  /** The resource the violation names (stack policies pass it; resource policies report on the resource validated). */
  urn?: string;
}

export interface PolicyRun {
  violations: Reported[];
  /** Sum of what the policy said it inspected (see observeInspections). */
  inspected: Record<string, number>;
  /** Resources a resource policy was called for (all of them) — not what it applied to. */
  calls: number;
}

const isStackPolicy = (p: Policy): p is StackValidationPolicy => typeof (p as StackValidationPolicy).validateStack === "function";

/** Runs one policy over the resources: validateStack once, or validateResource for each resource. */
export async function runPolicy(policy: Policy, resources: readonly StackResource[], config: Record<string, unknown> = {}): Promise<PolicyRun> {
  const violations: Reported[] = [];
  const inspected: Record<string, number> = {};
  observeInspections((name, counts) => {
    if (name !== policy.name) throw new Error(`policy ${policy.name} reported inspections as ${name}`);
    for (const [k, v] of Object.entries(counts)) inspected[k] = (inspected[k] ?? 0) + v;
  });
  try {
    if (isStackPolicy(policy)) {
      const report: ReportViolation = (message, urn) => violations.push({ policy: policy.name, message, urn });
      await policy.validateStack(stackArgs(resources, config), report);
      return { violations, inspected, calls: 1 };
    }
    const validations = [(policy as ResourceValidationPolicy).validateResource ?? []].flat();
    for (const r of resources) {
      // The engine ignores a urn passed by a resource validation: the violation is the resource's.
      const report: ReportViolation = (message) => violations.push({ policy: policy.name, message, urn: r.urn });
      for (const validate of validations) {
        try {
          await validate(resourceArgs(r, config), report);
        } catch (err) {
          if (!(err instanceof NotApplicable)) throw err;
        }
      }
    }
    return { violations, inspected, calls: resources.length };
  } finally {
    observeInspections(undefined);
  }
}

/** Runs every policy; violations of all of them. */
export async function runPolicies(policies: readonly Policy[], resources: readonly StackResource[], config: Record<string, unknown> = {}): Promise<Reported[]> {
  const all: Reported[] = [];
  for (const p of policies) all.push(...(await runPolicy(p, resources, config)).violations);
  return all;
}

/** A deep copy of the resources, to mutate one test's stack without touching the others'. */
export const cloneStack = (resources: readonly StackResource[]): StackResource[] => JSON.parse(JSON.stringify(resources));

/**
 * A Secret as the Kubernetes provider reports it after the API server has it: `stringData` folded
 * into base64 `data` (the API server keeps only `data`), marked secret.
 */
export function asApiServerSecret(r: StackResource): StackResource {
  const unwrap = (v: any): any => (v && typeof v === "object" && v[SECRET_SIG_KEY] === SECRET_SIG ? unwrap(v.value) : v);
  const props = { ...r.props };
  const data: Record<string, string> = { ...(unwrap(props.data) ?? {}) };
  for (const [k, v] of Object.entries<any>(unwrap(props.stringData) ?? {})) data[k] = Buffer.from(String(unwrap(v)), "utf8").toString("base64");
  delete props.stringData;
  props.data = secret(Object.fromEntries(Object.entries(data).map(([k, v]) => [k, unwrap(v)])));
  return { ...r, props };
}

// ---------------------------------------------------------------------------------------------
// The pack as the Pulumi CLI runs it: policy/index.ts in its own process (Pulumi's run-policy-pack), serving the analyzer
// gRPC protocol; the CLI reads the port from its stdout and calls Analyze / AnalyzeStack.
// ---------------------------------------------------------------------------------------------

export interface Diagnostic {
  policyName: string;
  policyPackName: string;
  enforcementLevel: "advisory" | "mandatory" | "remediate" | "disabled";
  message: string;
  urn: string;
}

export interface PackServer {
  info(): Promise<{ name: string; version: string; policies: { name: string; enforcementLevel: string; configSchema?: unknown }[] }>;
  /** AnalyzeStack, as at the end of a preview or update. */
  analyzeStack(resources: readonly StackResource[]): Promise<Diagnostic[]>;
  /** Analyze, as for each resource before it is created or updated. */
  analyze(resource: StackResource): Promise<Diagnostic[]>;
  stop(): void;
}

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

/** Starts policy/index.ts as the CLI does (Pulumi's run-policy-pack, cwd policy/) and connects to it. */
export async function startPackServer(packDir: string): Promise<PackServer> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { spawn } = require("node:child_process") as typeof import("node:child_process");
  const path = require("node:path") as typeof import("node:path");
  const grpc = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
  const pb = require("@pulumi/pulumi/proto/analyzer_pb") as typeof import("@pulumi/pulumi/proto/analyzer_pb");
  const { AnalyzerClient } = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as typeof import("@pulumi/pulumi/proto/analyzer_grpc_pb");
  const { Empty } = require("google-protobuf/google/protobuf/empty_pb") as typeof import("google-protobuf/google/protobuf/empty_pb");
  /* eslint-enable @typescript-eslint/no-require-imports */

  // Pulumi's own policy-pack runner (what the CLI's analyzer plugin starts): ts-node with the pack's
  // tsconfig.json and type checking, then the program; the engine address argument is unused.
  const runner = path.dirname(require.resolve("@pulumi/pulumi/cmd/run-policy-pack"));
  const child = spawn(process.execPath, [runner, "127.0.0.1:0", "."], { cwd: packDir, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`policy pack did not start in 60 s: ${stderr}`));
    }, 60_000);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`policy pack exited (${code}): ${stderr}`));
    });
  });
  const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { "grpc.max_receive_message_length": 400 * 1024 * 1024, "grpc.max_send_message_length": 400 * 1024 * 1024 });
  const call = <Req, Res>(method: (req: Req, cb: (err: Error | null, res: Res) => void) => unknown, req: Req) =>
    new Promise<Res>((resolve, reject) => method.call(client, req, (err, res) => (err ? reject(err) : resolve(res))));

  const optionsOf = (r: StackResource) => {
    const o = new pb.AnalyzerResourceOptions();
    o.setProtect(r.protect ?? false);
    if (r.parent) o.setParent(r.parent);
    return o;
  };
  const properties = (r: StackResource) => Struct.fromJavaScript(JSON.parse(JSON.stringify(r.props)));
  const diagnostics = (res: AnalyzeResponse): Diagnostic[] =>
    res.getDiagnosticsList().map((d) => ({
      policyName: d.getPolicyname(),
      policyPackName: d.getPolicypackname(),
      enforcementLevel: LEVELS[d.getEnforcementlevel()],
      message: d.getMessage(),
      urn: d.getUrn(),
    }));

  return {
    async info() {
      const res = await call<unknown, AnalyzerInfo>(client.getAnalyzerInfo as never, new Empty());
      return {
        name: res.getName(),
        version: res.getVersion(),
        policies: res.getPoliciesList().map((p) => ({ name: p.getName(), enforcementLevel: LEVELS[p.getEnforcementlevel()], configSchema: p.getConfigschema()?.toObject() })),
      };
    },
    async analyzeStack(resources) {
      const req = new pb.AnalyzeStackRequest();
      req.setResourcesList(
        resources.map((r) => {
          const ar = new pb.AnalyzerResource();
          ar.setType(r.type);
          ar.setName(r.name);
          ar.setUrn(r.urn);
          ar.setProperties(properties(r));
          ar.setOptions(optionsOf(r));
          if (r.parent) ar.setParent(r.parent);
          return ar;
        }),
      );
      return diagnostics(await call<unknown, AnalyzeResponse>(client.analyzeStack as never, req));
    },
    async analyze(r) {
      const req = new pb.AnalyzeRequest();
      req.setType(r.type);
      req.setName(r.name);
      req.setUrn(r.urn);
      req.setProperties(properties(r));
      req.setOptions(optionsOf(r));
      return diagnostics(await call<unknown, AnalyzeResponse>(client.analyze as never, req));
    },
    stop() {
      client.close();
      child.kill();
    },
  };
}
