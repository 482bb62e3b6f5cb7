/**
 * npx tsx tools/certificates-due.ts --state <pulumi stack export file> [--now RFC3339]
 *                                     [--github-output FILE] [--fail-if-due]
 *
 * Prints (Markdown) the @pulumi/tls certificates of the stack that are within their early-renewal
 * window. With --github-output, appends `due=<count>` to that file (a step output). With
 * --fail-if-due, exits 1 when any is due: after the rotation job's `pulumi up --refresh` that means
 * the provider did not replace them (pulumi-tls#39) and a rotation counter must be bumped instead.
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { dueCertificates, dueReport } from "./lib-certificates-due";

function main(): number {
  const { values } = parseArgs({
    options: {
      state: { type: "string" },
      now: { type: "string" },
      "github-output": { type: "string" },
      "fail-if-due": { type: "boolean", default: false },
    },
  });
  if (!values.state) {
    process.stderr.write("--state <file> is required (the output of pulumi stack export)\n");
    return 2;
  }
  const now = values.now ? new Date(values.now) : new Date();
  if (Number.isNaN(now.getTime())) {
    process.stderr.write(`--now: not a timestamp: ${values.now}\n`);
    return 2;
  }
  const due = dueCertificates(JSON.parse(fs.readFileSync(values.state, "utf8")), now);
  process.stdout.write(dueReport(due, now));
  if (values["github-output"]) fs.appendFileSync(values["github-output"], `due=${due.length}\n`);
  if (values["fail-if-due"] && due.length > 0) {
    process.stderr.write(
      `${due.length} certificate(s) are still due after pulumi up --refresh: the provider did not replace them (pulumi-tls#39).\n` +
        "Bump the matching rotation counter (certificates.rotation / certificates.caRotation in the tenant file, or tenancy:pki*Rotation) and merge.\n",
    );
    return 1;
  }
  return 0;
}

process.exitCode = main();
