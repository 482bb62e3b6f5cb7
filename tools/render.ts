/**
 * npm run render -- [--out DIR] [--seed S] [--clock RFC3339] [--reveal-secrets] [--tenants DIR] [--stack NAME]
 *                    [--config key=value …]   (stack config, `tenancy:` prefix optional; JSON values allowed)
 *                    [--previous FILE]        (outputs.yaml of an earlier render: the last update's outputs)
 * Evaluates the program offline and writes DIR/manifests/… (default out/).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { parseArgs } from "node:util";
import { DEFAULT_SEED, OfflineRunError, runOffline } from "../engine/offline";
import { summaryText, writeRender } from "../engine/render";
import { ValidationError } from "../model/problems";

async function main() {
  const { values } = parseArgs({
    options: {
      out: { type: "string", default: "out" },
      seed: { type: "string", default: DEFAULT_SEED },
      clock: { type: "string" },
      "reveal-secrets": { type: "boolean", default: false },
      tenants: { type: "string" },
      stack: { type: "string", default: "dev" },
      config: { type: "string", multiple: true, default: [] },
      previous: { type: "string" },
    },
  });
  const config: Record<string, string> = {};
  if (values.tenants) config["tenancy:tenantsDir"] = values.tenants;
  for (const pair of values.config!) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new Error(`--config: expected key=value, got ${JSON.stringify(pair)}`);
    const key = pair.slice(0, at);
    config[key.includes(":") ? key : `tenancy:${key}`] = pair.slice(at + 1);
  }
  // As the last update would have left them: the lifecycle guard compares the tenants with these.
  const previousOutputs = values.previous === undefined ? undefined : (parseYaml(fs.readFileSync(values.previous, "utf8")) as Record<string, unknown>);
  const run = await runOffline({ config, seed: values.seed, clock: values.clock === undefined ? undefined : parseClock(values.clock), stack: values.stack, previousOutputs });
  const out = path.resolve(values.out!);
  const summary = writeRender(out, run, { revealSecrets: values["reveal-secrets"] });
  process.stdout.write(summaryText(summary));
  process.stdout.write(`\nwrote ${path.relative(process.cwd(), out) || "."}/manifests (${summary.kubernetesObjects} files)` +
    `${values["reveal-secrets"] ? " WITH SECRETS REVEALED" : ""}\n`);
}

/** --clock: an RFC 3339 timestamp with a zone, e.g. 2026-06-01T00:00:00Z. */
function parseClock(text: string): Date {
  const date = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(text) || Number.isNaN(date.getTime())) {
    throw new Error(`--clock: expected an RFC 3339 timestamp such as 2026-01-01T00:00:00Z, got ${JSON.stringify(text)}`);
  }
  return date;
}

main().catch((err) => {
  const cause = err instanceof OfflineRunError ? err.cause : err;
  // The program (and its model/problems.ts) is loaded through tsx's require: its ValidationError is
  // another copy of the class than this file's, so test the shape, not the identity.
  const isValidation = cause instanceof ValidationError || (cause instanceof Error && cause.name === "ValidationError" && Array.isArray((cause as { problems?: unknown }).problems));
  console.error(isValidation ? (cause as Error).message : cause);
  process.exit(1);
});
