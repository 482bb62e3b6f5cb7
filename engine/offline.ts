/**
 * The offline engine: runs the real Pulumi program on Pulumi's mock runtime with the fakes in
 * fakes.ts, and records every resource registration with its inputs and resource options. No
 * Pulumi CLI, cloud or cluster is involved. The runtime's state is process-global: one run at a
 * time in a process, each starting from a reset runtime (connecting the monitor resets the
 * runtime's store, as the Automation API's language server does before each run of an inline
 * program) with its own fakes, config and monitor. What it takes from Pulumi's runtime internals
 * comes through pulumi-internals.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import {
  EngineMonitor,
  connectMonitor,
  disconnect,
  isSecretValue,
  readResourceFields,
  readResourceResponse,
  registerResourceFields,
  registerResourceOutputsFields,
  registerResourceResponse,
  runInPulumiStack,
  secretValue,
  serializeProperties,
  setAllConfig,
  suppressResourceCallsites,
  useInProcessStructs,
  type MonitorCallback,
  type ReadResourceRequest,
  type RegisterResourceOutputsRequest,
  type RegisterResourceRequest,
} from "./pulumi-internals";
import { FakeProviders } from "./fakes";

export { isSecretValue } from "./pulumi-internals";

/**
 * V8 flags for processes that run the engine at scale: a larger young generation lets the many
 * short-lived objects of each registration die young instead of being promoted and marked again.
 */
export const ENGINE_NODE_FLAGS = ["--max-semi-space-size=64"];

export const DEFAULT_SEED = "tenancy-offline-engine";
export const PROJECT = "tenancy";

export interface ResourceOptionsSeen {
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  dependsOn: string[];
  aliases: string[];
  ignoreChanges: string[];
  additionalSecretOutputs: string[];
  replaceOnChanges: string[];
}

export interface Registration {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent: string;
  provider: string;
  /** Inputs as the engine received them; secrets are wrapped (see `isSecretValue`). */
  inputs: Record<string, any>;
  options: ResourceOptionsSeen;
}

export interface OfflineRun {
  registrations: Registration[];
  /** The stack outputs, resolved (secrets wrapped). */
  outputs: Record<string, any>;
}

export interface OfflineOptions {
  /** Stack config, keyed `tenancy:<key>`; objects are JSON-encoded as Pulumi does. */
  config?: Record<string, string>;
  seed?: string;
  /** The providers' clock (certificate validity, renewal); default DEFAULT_CLOCK in fakes.ts. */
  clock?: Date;
  stack?: string;
  /** Whose Pulumi.<stack>.yaml holds the stack config (default: `stack`'s own). */
  configStack?: string;
  preview?: boolean;
  /** The program's entry point (default: the repository's index.ts). */
  program?: string;
  /** The stack's outputs as the last update left them (what a StackReference to itself reads); none by default. */
  previousOutputs?: Record<string, unknown>;
  /**
   * Other stacks' outputs by the name a StackReference gives (a cell reads the platform's, the
   * platform the cells'): `{}` for a stack that exists and never ran; a name not here does not exist.
   */
  stackOutputs?: Record<string, Record<string, unknown>>;
}

class OfflineMonitor extends EngineMonitor {
  readonly registrations: Registration[] = [];
  private readonly urns = new Set<string>();
  constructor(
    private readonly fakes: FakeProviders,
    private readonly previousOutputs: Record<string, unknown> = {},
    /** The StackReference name of this stack, as the service names it. */
    private readonly ownStackName = "",
    /** Other stacks, by name: a name missing here is a stack that never ran (no outputs). */
    private readonly otherStacks: Record<string, Record<string, unknown>> = {},
  ) {
    super();
  }

  // Reads: only StackReferences — to this stack (the lifecycle guard: the previous update's outputs)
  // or to another stack of the fleet (its last outputs, given by the caller). A stack that never
  // ran has none.
  override async readResource(message: ReadResourceRequest, callback: MonitorCallback): Promise<void> {
    try {
      const req = readResourceFields(message);
      if (req.type !== "pulumi:pulumi:StackReference") throw new Error(`offline engine: cannot read ${req.type} ${req.name}`);
      const name = req.properties().name as string;
      if (name !== this.ownStackName && !(name in this.otherStacks)) {
        throw new Error(`offline engine: no stack "${name}" (known: this stack "${this.ownStackName}"${Object.keys(this.otherStacks).map((n) => `, "${n}"`).join("")})`);
      }
      const outputs = name === this.ownStackName ? this.previousOutputs : this.otherStacks[name]!;
      const urn = this.urn(req.parent, req.type, req.name);
      const state = { name, outputs, secretOutputNames: [] };
      callback(null, readResourceResponse(urn, await serializeProperties(state)));
    } catch (err) {
      callback(err, undefined);
    }
  }

  // Same protocol as MockMonitor.registerResource, but the fakes see the URN and the resource
  // options are recorded (MockMonitor drops them).
  override async registerResource(message: RegisterResourceRequest, callback: MonitorCallback): Promise<void> {
    try {
      const req = registerResourceFields(message);
      const urn = this.urn(req.parent, req.type, req.name);
      // The engine refuses a second resource with the same URN (a URN names the parent's type,
      // not the parent): so must the offline run, or two tenants could silently merge.
      if (this.urns.has(urn)) throw new Error(`Duplicate resource URN '${urn}'; try giving it a unique name`);
      this.urns.add(urn);
      const inputs = req.inputs();
      const custom = req.custom;
      const result = await this.fakes.newResource({
        urn,
        type: req.type,
        name: req.name,
        custom,
        inputs: containsSecret(inputs) ? unwrapSecrets(inputs) : inputs,
        ...(req.provider ? { provider: req.provider } : {}),
      });
      this.registrations.push({
        urn,
        type: req.type,
        name: req.name,
        custom,
        parent: req.parent,
        provider: req.provider,
        inputs,
        options: {
          protect: req.protect === true,
          retainOnDelete: req.retainOnDelete === true,
          deleteBeforeReplace: req.deleteBeforeReplace === true,
          dependsOn: req.dependencies,
          aliases: req.aliases,
          ignoreChanges: req.ignoreChanges,
          additionalSecretOutputs: req.additionalSecretOutputs,
          replaceOnChanges: req.replaceOnChanges,
        },
      });
      // The engine marks these outputs secret whatever the provider says (e.g. @pulumi/tls's
      // private keys); do the same, so a program that forgets pulumi.secret() is caught offline too.
      const state = { ...result.state };
      for (const key of req.additionalSecretOutputs) {
        if (key in state && !isSecretValue(state[key])) state[key] = secretValue(state[key]);
      }
      const serializedState = await serializeProperties(state);
      // MockMonitor keeps every state for reads and invokes, which this program does not use; at
      // tens of thousands of resources that copy is a tenth of the heap.
      callback(null, registerResourceResponse(urn, result.id ?? "", serializedState));
    } catch (err) {
      callback(err, undefined);
    }
  }

  /** The stack's outputs as registered, secrets still wrapped (the program's return value is not). */
  stackOutputs: Record<string, any> | undefined;

  // Component outputs are not recorded (see above); the runtime only needs the acknowledgement.
  override registerResourceOutputs(message: RegisterResourceOutputsRequest, callback: MonitorCallback): void {
    try {
      const req = registerResourceOutputsFields(message);
      if (req.urn.includes("::pulumi:pulumi:Stack::")) this.stackOutputs = req.outputs();
      callback(null, {});
    } catch (err) {
      callback(err, undefined);
    }
  }
}

/**
 * The stack's config from Pulumi.<stack>.yaml, encoded as the CLI hands it to programs (strings;
 * objects as JSON). Encrypted (`secure:`) values cannot be read offline and are left out.
 */
export function stackConfig(stack: string, root = path.resolve(__dirname, "..")): Record<string, string> {
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) return {};
  const config = (parseYaml(fs.readFileSync(file, "utf8")) ?? {}).config ?? {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries<unknown>(config)) {
    if (value && typeof value === "object" && "secure" in value) continue;
    out[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}

function containsSecret(v: any): boolean {
  if (isSecretValue(v)) return true;
  if (v && typeof v === "object") return Object.values(v).some(containsSecret);
  return false;
}

/** Replaces secret wrappers by their values (what a provider sees). */
export function unwrapSecrets(v: any): any {
  if (isSecretValue(v)) return unwrapSecrets(v.value);
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

/** The program failed; `registrations` is what it had declared until then. */
export class OfflineRunError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly registrations: Registration[],
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "OfflineRunError";
  }
}

let running = false;

/** Evaluates the program and returns what it declared (one run at a time: the runtime's state is global). */
export async function runOffline(options: OfflineOptions = {}): Promise<OfflineRun> {
  if (running) throw new Error("offline engine: one run at a time in a process (Pulumi's runtime state is global)");
  const monitor = new OfflineMonitor(new FakeProviders(options.seed ?? DEFAULT_SEED, options.clock), options.previousOutputs, `organization/${PROJECT}/${options.stack ?? "dev"}`, options.stackOutputs);
  connectMonitor(monitor, { project: PROJECT, stack: options.stack ?? "dev", preview: options.preview ?? false, organization: "organization" });
  setAllConfig({ ...stackConfig(options.configStack ?? options.stack ?? "dev"), ...options.config });

  // The runtime captures a stack trace for every promise and resource (for leak reports and
  // source positions). Offline nobody reads them, and at thousands of resources they dominate.
  const stackTraceLimit = Error.stackTraceLimit;
  const restoreCallsites = suppressResourceCallsites();
  const restoreStructs = useInProcessStructs();
  Error.stackTraceLimit = 0;
  running = true;
  try {
    const program = options.program ?? path.resolve(__dirname, "..", "index.ts");
    // A failing program is caught inside the stack so the runtime's own promises settle normally
    // (otherwise they surface as unhandled rejections), and reported once, below.
    let failure: { error: unknown } | undefined;
    const outputs = await runInPulumiStack(async () => {
      try {
        // The program is TypeScript, as `pulumi up` runs it; tsx compiles it the same way whether
        // the engine itself runs under tsx (render, bench) or under vitest.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { require: tsxRequire } = require("tsx/cjs/api") as { require: (id: string, from: string) => any };
        const mod = tsxRequire(program, __filename);
        const entry = mod && typeof mod === "object" && "default" in mod && Object.keys(mod).length === 1 ? mod.default : mod;
        return typeof entry === "function" ? await entry() : entry;
      } catch (error) {
        failure = { error };
        return {};
      }
    });
    await disconnect();
    if (failure) throw new OfflineRunError(failure.error, monitor.registrations);
    return { registrations: monitor.registrations, outputs: (monitor.stackOutputs ?? outputs ?? {}) as Record<string, any> };
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    restoreCallsites();
    restoreStructs();
    running = false;
  }
}
