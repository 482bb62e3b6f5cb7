/**
 * One benchmark sample (its own process, as the offline engine runs once per process): evaluate the
 * program for one stack as a job file describes it — a stack holding every tenant, or a cell's
 * stack reading the other stacks' outputs as its StackReferences would — and time it from program
 * start to the last registration, render included.
 */
import * as fs from "node:fs";
import { runOffline } from "../engine/offline";
import { renderManifests } from "../engine/render";
import { fleetOutputs, readCellsFile } from "./stack-outputs";

/** What tools/bench.ts writes for a sample. */
export interface SampleJob {
  /** Stack config, `tenancy:` keys (the stack file's config applies beneath it). */
  config: Record<string, string>;
  /** The stack's name (a cell's stack: as the cells file names it); default dev. */
  stack?: string;
  /**
   * A fleet render's out directory and its cells file: the other stacks' outputs, read as its
   * StackReferences ask for them (tools/stack-outputs.ts; a cell's render reads the platform's).
   */
  fleet?: { outDir: string; cellsFile: string };
  /**
   * A JSON file of this stack's own last outputs (what its lifecycle guard reads): a pull request's
   * preview runs on a stack that has run before. Unset, the stack is new (every tenant arrives).
   */
  previousOutputsFile?: string;
}

export interface SampleResult {
  wallMs: number;
  peakRssMiB: number;
  resources: number;
  kubernetesObjects: number;
  /** The hub's own configuration, in a stack that declares the hub (none in a cell's). */
  natsHubConfigBytes?: number;
}

async function main() {
  const job = JSON.parse(fs.readFileSync(process.argv[2]!, "utf8")) as SampleJob;
  const stackOutputs = job.fleet ? fleetOutputs(readCellsFile(job.fleet.cellsFile), job.fleet.outDir) : undefined;
  const previousOutputs = job.previousOutputsFile ? (JSON.parse(fs.readFileSync(job.previousOutputsFile, "utf8")) as Record<string, unknown>) : undefined;
  const started = process.hrtime.bigint();
  // The stack file of dev holds the fleet's settings, as `npm run render` reads them for every stack.
  const run = await runOffline({ config: job.config, stack: job.stack ?? "dev", configStack: "dev", ...(stackOutputs ? { stackOutputs } : {}), ...(previousOutputs ? { previousOutputs } : {}) });
  const manifests = renderManifests(run);
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const hubBytes = run.outputs.natsHubConfigBytes;
  const result: SampleResult = {
    wallMs,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    resources: run.registrations.length,
    kubernetesObjects: manifests.length,
    ...(hubBytes === undefined ? {} : { natsHubConfigBytes: Number(hubBytes) }),
  };
  process.stdout.write(JSON.stringify(result) + "\n");
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
