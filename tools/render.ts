/**
 * npm run render -- [--out DIR] [--seed S] [--clock RFC3339] [--reveal-secrets] [--tenants DIR] [--stack NAME]
 *                    [--config key=value …]   (stack config, `tenancy:` prefix optional; JSON values allowed)
 *                    [--previous FILE]        (outputs.yaml of an earlier render: the last update's outputs)
 *                    [--platform | --cell NAME | --all-cells]   (a fleet with cells: docs/cells.md)
 * Evaluates the program offline and writes DIR/manifests/… (default out/). With cells: the platform
 * stack into DIR/platform/, a cell's stack into DIR/cells/<name>/, each reading the other stacks'
 * outputs from there as a StackReference would; `--all-cells` renders every stack, cells in
 * parallel processes (cells first for their identities, the platform, then the cells again).
 * Those processes are workers that render one stack after another as asked: each loads the
 * program once, and every stack starts from a fresh engine run (engine/offline.ts).
 */
import { fork, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { parseArgs } from "node:util";
import { DEFAULT_SEED, ENGINE_NODE_FLAGS, OfflineRunError, runOffline } from "../engine/offline";
import { summaryText, writeRender } from "../engine/render";
import type { CellsModel } from "../model/cells";
import { ValidationError } from "../model/problems";
import { fleetOutputs, readCellsFile, snapshotOutputs } from "./stack-outputs";

function options(args: string[]) {
  return parseArgs({
    args,
    options: {
      out: { type: "string", default: "out" },
      seed: { type: "string", default: DEFAULT_SEED },
      clock: { type: "string" },
      "reveal-secrets": { type: "boolean", default: false },
      tenants: { type: "string" },
      stack: { type: "string", default: "dev" },
      config: { type: "string", multiple: true, default: [] },
      previous: { type: "string" },
      platform: { type: "boolean", default: false },
      cell: { type: "string" },
      "all-cells": { type: "boolean", default: false },
      "cells-file": { type: "string", default: "cells/cells.yaml" },
      /** Internal (--all-cells): a directory laid out as --out, whose outputs the other stacks' StackReferences read. */
      "stack-outputs": { type: "string" },
      quiet: { type: "boolean", default: false },
      /** Internal (--all-cells): render the stacks the parent sends, one after another, until it disconnects. */
      worker: { type: "boolean", default: false },
    },
  }).values;
}

type Options = ReturnType<typeof options>;

function configOf(values: Options): Record<string, string> {
  const config: Record<string, string> = {};
  if (values.tenants) config["tenancy:tenantsDir"] = values.tenants;
  for (const pair of values.config!) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new Error(`--config: expected key=value, got ${JSON.stringify(pair)}`);
    const key = pair.slice(0, at);
    config[key.includes(":") ? key : `tenancy:${key}`] = pair.slice(at + 1);
  }
  return config;
}

/** One stack, in this process. */
async function renderOne(values: Options, config: Record<string, string>, out: string, stack: string, stackOutputs?: Record<string, Record<string, unknown>>): Promise<void> {
  // As the last update would have left them: the lifecycle guard compares the tenants with these.
  const previousOutputs = values.previous === undefined ? undefined : (parseYaml(fs.readFileSync(values.previous, "utf8")) as Record<string, unknown>);
  const result = await runOffline({
    config,
    seed: values.seed,
    clock: values.clock === undefined ? undefined : parseClock(values.clock),
    stack,
    configStack: values.stack,
    previousOutputs,
    stackOutputs,
  });
  const summary = writeRender(out, result, { revealSecrets: values["reveal-secrets"] });
  if (values.quiet) return;
  process.stdout.write(summaryText(summary));
  process.stdout.write(`\nwrote ${path.relative(process.cwd(), out) || "."}/manifests (${summary.kubernetesObjects} files)` + `${values["reveal-secrets"] ? " WITH SECRETS REVEALED" : ""}\n`);
}

/** A job for a worker: this script's arguments for one stack. */
interface WorkerJob {
  args: string[];
}
type WorkerAnswer = { ok: true } | { ok: false; error: string };

/**
 * A process that renders stacks for `--all-cells` one after another, each as `render` with its
 * arguments would in a process of its own (every stack a fresh engine run), reading the other
 * stacks' outputs from the view its job names: a copy of the out directory taken before the pass,
 * which other stacks of the same pass do not write to. Loading the program once per worker rather
 * than once per stack is most of what a small stack costs.
 */
class Worker {
  private readonly process: ChildProcess;
  private stderr = "";
  private waiting: { resolve: () => void; reject: (err: Error) => void; label: string } | undefined;

  constructor() {
    this.process = fork(__filename, ["--worker"], { execArgv: [...ENGINE_NODE_FLAGS, "--import", "tsx"], cwd: process.cwd(), stdio: ["ignore", "ignore", "pipe", "ipc"] });
    this.process.stderr!.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.process.on("message", (answer: WorkerAnswer) => this.settle(answer.ok ? undefined : answer.error));
    this.process.on("exit", (code, signal) => this.settle(`worker exited (${signal ?? `code ${code}`}) ${this.stderr.trim()}`));
  }

  /** Renders one stack (`args` as for this script, `view` the outputs it reads); rejects with what went wrong, labelled. */
  render(args: string[], view: string, label: string): Promise<void> {
    if (this.waiting) throw new Error(`worker busy with ${this.waiting.label}`);
    this.stderr = "";
    return new Promise<void>((resolve, reject) => {
      this.waiting = { resolve, reject, label };
      this.process.send({ args: [...args, "--stack-outputs", view, "--quiet"] } satisfies WorkerJob);
    });
  }

  private settle(error: string | undefined): void {
    const waiting = this.waiting;
    if (!waiting) return;
    this.waiting = undefined;
    if (error === undefined) waiting.resolve();
    else waiting.reject(new Error(`${waiting.label}: ${error.trim() || this.stderr.trim()}`));
  }

  stop(): void {
    if (this.process.connected) this.process.disconnect();
  }
}

/** The worker's side: each job rendered in turn, answered with how it went. */
function serveJobs(): void {
  let queue = Promise.resolve();
  process.on("message", (job: WorkerJob) => {
    queue = queue.then(async () => {
      let answer: WorkerAnswer;
      try {
        await renderArgs(job.args);
        answer = { ok: true };
      } catch (err) {
        answer = { ok: false, error: failureText(err) };
      }
      process.send!(answer);
    });
  });
  // The parent is done with this worker: nothing keeps the process alive any longer.
  process.on("disconnect", () => void queue.then(() => process.exit(0)));
}

/** Each item by the next free worker, in order of `items`. */
async function pool<T>(workers: Worker[], items: T[], fn: (worker: Worker, item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(workers.map(async (worker) => {
    while (next < items.length) await fn(worker, items[next++]!);
  }));
}

async function allCells(values: Options, cells: CellsModel, out: string): Promise<void> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-render-cells-"));
  const passOn = process.argv.slice(2).filter((a, i, all) => !["--all-cells", "--out"].includes(a) && all[i - 1] !== "--out");
  const parallel = Math.max(1, Math.min(os.cpus().length, cells.cells.length));
  const cellArgs = (name: string) => [...passOn, "--cell", name, "--out", out];
  const workers = Array.from({ length: parallel }, () => new Worker());
  try {
    fs.rmSync(path.join(out, "platform"), { recursive: true, force: true });
    fs.rmSync(path.join(out, "cells"), { recursive: true, force: true });
    const started = Date.now();
    /** The stacks' outputs as the passes before left them: what every stack of the next pass reads. */
    const viewBefore = (pass: string) => {
      const view = path.join(scratch, pass);
      snapshotOutputs(cells, out, view);
      return view;
    };
    // 1. Each cell keys itself and publishes its identity (no platform outputs yet: nothing else).
    const nothingYet = viewBefore("identities");
    await pool(workers, cells.cells, (worker, c) => worker.render(cellArgs(c.name), nothingYet, `cell-${c.name}-identity`));
    // 2. The platform endorses the cells it can read.
    await workers[0]!.render([...passOn, "--platform", "--out", out], viewBefore("platform"), "platform");
    // 3. Each cell declares its tenants with what the platform published (one view of the fleet for all).
    const fleet = viewBefore("cells");
    await pool(workers, cells.cells, (worker, c) => worker.render(cellArgs(c.name), fleet, `cell-${c.name}`));
    if (!values.quiet) {
      for (const dir of [path.join(out, "platform"), ...cells.cells.map((c) => path.join(out, "cells", c.name))]) {
        const summary = JSON.parse(fs.readFileSync(path.join(dir, "summary.json"), "utf8")) as { resources?: number; kubernetesObjects?: number };
        process.stdout.write(`${path.relative(process.cwd(), dir)}: ${summary.resources ?? "?"} resources, ${summary.kubernetesObjects ?? "?"} Kubernetes objects\n`);
      }
      process.stdout.write(`rendered the platform and ${cells.cells.length} cells in ${((Date.now() - started) / 1000).toFixed(1)} s (${parallel} at a time)\n`);
    }
  } finally {
    for (const worker of workers) worker.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** This script with `args`: one stack, or every stack of the fleet (--all-cells). */
async function renderArgs(args: string[]): Promise<void> {
  const values = options(args);
  const config = configOf(values);
  const out = path.resolve(values.out!);
  const modes = [values.platform, values.cell !== undefined, values["all-cells"]].filter(Boolean).length;
  if (modes > 1) throw new Error("--platform, --cell and --all-cells: one at a time");
  if (modes === 0) return renderOne(values, config, out, values.stack!);

  const cellsFile = config["tenancy:cellsFile"] ?? values["cells-file"]!;
  config["tenancy:cellsFile"] = cellsFile;
  const cells = readCellsFile(path.resolve(cellsFile));
  if (values["all-cells"]) return allCells(values, cells, out);
  const given = fleetOutputs(cells, values["stack-outputs"] ?? out);
  if (values.platform) {
    return renderOne(values, { ...config, "tenancy:stackRole": "platform" }, path.join(out, "platform"), cells.platformStack, given);
  }
  const cell = cells.cells.find((c) => c.name === values.cell);
  if (!cell) throw new Error(`--cell ${values.cell}: no such cell in ${cells.file} (known: ${cells.cells.map((c) => c.name).join(", ")})`);
  return renderOne(
    values,
    { ...config, "tenancy:stackRole": "cell", "tenancy:cell": cell.name },
    path.join(out, "cells", cell.name),
    cell.stack,
    given,
  );
}

/** --clock: an RFC 3339 timestamp with a zone, e.g. 2026-06-01T00:00:00Z. */
function parseClock(text: string): Date {
  const date = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(text) || Number.isNaN(date.getTime())) {
    throw new Error(`--clock: expected an RFC 3339 timestamp such as 2026-01-01T00:00:00Z, got ${JSON.stringify(text)}`);
  }
  return date;
}

/** What a failed render prints: a validation error's problems as they are, anything else as thrown. */
function failureText(err: unknown): string {
  const cause = err instanceof OfflineRunError ? err.cause : err;
  // The program (and its model/problems.ts) is loaded through tsx's require: its ValidationError is
  // another copy of the class than this file's, so test the shape, not the identity.
  const isValidation = cause instanceof ValidationError || (cause instanceof Error && cause.name === "ValidationError" && Array.isArray((cause as { problems?: unknown }).problems));
  if (isValidation) return (cause as Error).message;
  return cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
}

if (options(process.argv.slice(2)).worker) serveJobs();
else {
  renderArgs(process.argv.slice(2)).catch((err) => {
    console.error(failureText(err));
    process.exit(1);
  });
}
