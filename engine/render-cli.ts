/**
 * npm run render -- [--out DIR] [--seed S] [--reveal-secrets] [--tenants DIR] [--stack NAME]
 * Evaluates the program offline and writes DIR/manifests/… (default out/).
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_SEED, OfflineRunError, runOffline } from "./offline";
import { summaryText, writeRender } from "./render";
import { ValidationError } from "../lib/validate";

async function main() {
  const { values } = parseArgs({
    options: {
      out: { type: "string", default: "out" },
      seed: { type: "string", default: DEFAULT_SEED },
      "reveal-secrets": { type: "boolean", default: false },
      tenants: { type: "string" },
      stack: { type: "string", default: "dev" },
    },
  });
  const config: Record<string, string> = {};
  if (values.tenants) config["tenancy:tenantsDir"] = values.tenants;
  const run = await runOffline({ config, seed: values.seed, stack: values.stack });
  const out = path.resolve(values.out!);
  const summary = writeRender(out, run, { revealSecrets: values["reveal-secrets"] });
  process.stdout.write(summaryText(summary));
  process.stdout.write(`\nwrote ${path.relative(process.cwd(), out) || "."}/manifests (${summary.kubernetesObjects} files)` +
    `${values["reveal-secrets"] ? " WITH SECRETS REVEALED" : ""}\n`);
}

main().catch((err) => {
  const cause = err instanceof OfflineRunError ? err.cause : err;
  console.error(cause instanceof ValidationError ? cause.message : cause);
  process.exit(1);
});
