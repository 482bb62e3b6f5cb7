/**
 * npm run render -- [--out DIR] [--seed S] [--clock RFC3339] [--reveal-secrets] [--tenants DIR] [--stack NAME]
 *                    [--config key=value …]   (stack config, `tenancy:` prefix optional; JSON values allowed)
 *                    [--previous FILE]        (outputs.yaml of an earlier render: the last update's outputs)
 *                    [--platform | --cell NAME | --all-cells]   (a fleet with cells: docs/cells.md)
 * Evaluates the program offline and writes DIR/manifests/… (default out/). With cells: the platform
 * stack into DIR/platform/, a cell's stack into DIR/cells/<name>/, each reading the other stacks'
 * outputs from there as a StackReference would; `--all-cells` renders every stack, cells in
 * parallel processes (cells first for their identities, the platform, then the cells again).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { parseArgs, promisify } from "node:util";
import { DEFAULT_SEED, ENGINE_NODE_FLAGS, OfflineRunError, runOffline } from "../engine/offline";
import { summaryText, writeRender } from "../engine/render";
import type { CellsModel } from "../model/cells";
import { ValidationError } from "../model/problems";
import { fleetOutputs, readCellsFile, snapshotOutputs } from "./stack-outputs";

const run = promisify(execFile);

function options() {
  return parseArgs({
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

/**
 * Runs this script for one stack in a process of its own (the offline engine runs once per process),
 * reading the other stacks' outputs from `view`: a copy of the out directory taken before the pass,
 * which other stacks of the same pass do not write to.
 */
async function child(args: string[], view: string, label: string): Promise<void> {
  try {
    await run(process.execPath, [...ENGINE_NODE_FLAGS, "--import", "tsx", __filename, ...args, "--stack-outputs", view, "--quiet"], { cwd: process.cwd(), maxBuffer: 1 << 26 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${label}: ${(e.stderr ?? "").trim() || e.message}`);
  }
}

/** `limit` at a time, in order of `items`. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function allCells(values: Options, cells: CellsModel, out: string): Promise<void> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-render-cells-"));
  const passOn = process.argv.slice(2).filter((a, i, all) => !["--all-cells", "--out"].includes(a) && all[i - 1] !== "--out");
  const parallel = Math.max(1, os.cpus().length);
  const cellArgs = (name: string) => [...passOn, "--cell", name, "--out", out];
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
    await pool(cells.cells, parallel, (c) => child(cellArgs(c.name), nothingYet, `cell-${c.name}-identity`));
    // 2. The platform endorses the cells it can read.
    await child([...passOn, "--platform", "--out", out], viewBefore("platform"), "platform");
    // 3. Each cell declares its tenants with what the platform published (one view of the fleet for all).
    const fleet = viewBefore("cells");
    await pool(cells.cells, parallel, (c) => child(cellArgs(c.name), fleet, `cell-${c.name}`));
    if (!values.quiet) {
      for (const dir of [path.join(out, "platform"), ...cells.cells.map((c) => path.join(out, "cells", c.name))]) {
        const summary = JSON.parse(fs.readFileSync(path.join(dir, "summary.json"), "utf8")) as { resources?: number; kubernetesObjects?: number };
        process.stdout.write(`${path.relative(process.cwd(), dir)}: ${summary.resources ?? "?"} resources, ${summary.kubernetesObjects ?? "?"} Kubernetes objects\n`);
      }
      process.stdout.write(`rendered the platform and ${cells.cells.length} cells in ${((Date.now() - started) / 1000).toFixed(1)} s (${parallel} at a time)\n`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function main() {
  const values = options();
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

main().catch((err) => {
  const cause = err instanceof OfflineRunError ? err.cause : err;
  // The program (and its model/problems.ts) is loaded through tsx's require: its ValidationError is
  // another copy of the class than this file's, so test the shape, not the identity.
  const isValidation = cause instanceof ValidationError || (cause instanceof Error && cause.name === "ValidationError" && Array.isArray((cause as { problems?: unknown }).problems));
  console.error(isValidation ? (cause as Error).message : cause);
  process.exit(1);
});
