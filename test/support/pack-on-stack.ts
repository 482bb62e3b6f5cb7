/**
 * One stack of a fleet with cells, evaluated by the offline engine in this process and checked by
 * every policy of the pack (run as a script, one stack per process: the engine runs once per
 * process). Arguments: a JSON file {config, stack, stackOutputs, policyConfig?, moveSecrets?}:
 * `policyConfig` is what `--policy-pack-config` gives each policy (by policy name); `moveSecrets`
 * breaks the stack on purpose (a Secret `namespace/name` declared in another namespace). Prints one
 * JSON line: the policies' violations and what each says it inspected.
 */
import * as fs from "node:fs";
import { runOffline } from "../../engine/offline";
import { policies } from "../../policy/policies";
import { fromRegistrations, runPolicy } from "./policy-harness";

export interface PackOnStackArgs {
  config: Record<string, string>;
  stack: string;
  stackOutputs: Record<string, Record<string, unknown>>;
  policyConfig?: Record<string, Record<string, unknown>>;
  moveSecrets?: { from: string; to: string }[];
}

export interface PackOnStackResult {
  violations: { policy: string; message: string; urn?: string }[];
  inspected: Record<string, Record<string, number>>;
  resources: number;
  /** The URNs of the Secrets moved, in the order asked. */
  moved: string[];
}

async function main() {
  const args = JSON.parse(fs.readFileSync(process.argv[2]!, "utf8")) as PackOnStackArgs;
  const run = await runOffline({ config: args.config, stack: args.stack, configStack: "dev", stackOutputs: args.stackOutputs });
  const resources = fromRegistrations(run.registrations);
  const moved: string[] = [];
  for (const move of args.moveSecrets ?? []) {
    const [namespace, name] = move.from.split("/");
    const secret = resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.props.metadata?.namespace === namespace && r.props.metadata?.name === name);
    if (!secret) throw new Error(`${args.stack} declares no Secret ${move.from}`);
    secret.props.metadata.namespace = move.to;
    moved.push(secret.urn);
  }
  const result: PackOnStackResult = { violations: [], inspected: {}, resources: resources.length, moved };
  for (const p of policies) {
    const r = await runPolicy(p, resources, args.policyConfig?.[p.name] ?? {});
    result.violations.push(...r.violations);
    result.inspected[p.name] = r.inspected;
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
