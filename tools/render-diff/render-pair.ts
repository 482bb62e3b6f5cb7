/**
 * Renders base and head offline, each with its own renderer and the same seed and clock (never
 * revealing secrets), the head as the update after the base — the one stack, or with cells the
 * stacks compared (./stacks.ts says which and in which order) — and removes every temporary
 * checkout, also on failure or interruption. The only place the render diff runs the repository's code.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readManifests } from "./manifests";
import { exportCommit, fileAt, sourceLabel, type RenderSource } from "./sources";
import { CELLS_FILE } from "../changed-cells/cells-file";
import { cellsAt, renderPhases, type ComparedStack } from "./stacks";

/** Seed and clock handed to both renders, so only the repository's content can make them differ. */
export interface RenderSettings {
  seed: string;
  /** RFC 3339, e.g. 2026-01-01T00:00:00.000Z. */
  clock: string;
}

/** A render that did not finish; `output` is what the renderer printed on stderr, unchanged. */
export class RenderFailure extends Error {
  constructor(
    readonly source: string,
    readonly output: string,
  ) {
    super(`render of ${source} failed:\n${output}`);
    this.name = "RenderFailure";
  }
}

/** Arguments of every render: never `--reveal-secrets`. `stack` selects a stack of a fleet with cells. */
function renderArguments(outDir: string, settings: RenderSettings, previous?: string, stack: string[] = []): string[] {
  return ["run", "--silent", "render", "--", ...stack, "--out", outDir, "--seed", settings.seed, "--clock", settings.clock, ...(previous ? ["--previous", previous] : [])];
}

/** Runs `npm run render` in `cwd`, resolving when it succeeds; rejects with the renderer's stderr. */
function runRender(cwd: string, outDir: string, settings: RenderSettings, label: string, previous?: string, stack: string[] = []): Promise<void> {
  // Under `npm run diff` npm tells us where it lives; elsewhere it is on PATH.
  const npmCli = process.env.npm_execpath;
  const [command, prefix] = npmCli && path.basename(npmCli) === "npm-cli.js" ? [process.execPath, [npmCli]] : ["npm", []];
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...prefix, ...renderArguments(outDir, settings, previous, stack)], {
      cwd,
      env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stderr: Buffer[] = [];
    const stdout: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (err) => reject(new RenderFailure(label, String(err))));
    child.on("close", (code, signal) => {
      if (code === 0) return resolve();
      const output = Buffer.concat(stderr).toString("utf8") || Buffer.concat(stdout).toString("utf8") || `exit ${code ?? signal}`;
      reject(new RenderFailure(label, output));
    });
  });
}

/**
 * Runs `render(cwd)` in a checkout of `source` with the renderer of that same source: a commit is
 * exported to a temporary directory under `scratch` that borrows this checkout's node_modules (a
 * symlink), the working tree renders in place. The exported copy is removed afterwards, also on failure.
 */
async function inCheckout<T>(root: string, source: RenderSource, scratch: string, render: (cwd: string) => Promise<T>): Promise<T> {
  if (source.kind === "worktree") return render(root);
  const modules = path.join(root, "node_modules");
  if (!fs.existsSync(modules)) throw new Error(`${modules} is missing: run npm ci first`);
  const copy = fs.mkdtempSync(path.join(scratch, "checkout-"));
  try {
    exportCommit(root, source.sha, copy);
    // Whatever a commit holds at node_modules (a committed symlink, say) is not what renders it.
    fs.rmSync(path.join(copy, "node_modules"), { recursive: true, force: true });
    fs.symlinkSync(fs.realpathSync(modules), path.join(copy, "node_modules"), "dir");
    return await render(copy);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

/** Renders the one stack of `source` into `outDir` (see inCheckout). */
export function renderSource(root: string, source: RenderSource, outDir: string, scratch: string, settings: RenderSettings, previous?: string): Promise<void> {
  return inCheckout(root, source, scratch, (cwd) => runRender(cwd, outDir, settings, sourceLabel(source), previous));
}

/** Renders of a phase that may run at once: each is a process of its own (the offline engine runs once per process). */
const PARALLEL_RENDERS = Math.max(1, Math.min(4, os.cpus().length));

async function inParallel<T>(items: readonly T[], run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(PARALLEL_RENDERS, items.length) }, async () => {
    while (next < items.length) await run(items[next++]!);
  }));
}

/**
 * Renders the compared stacks of `source` into `outDir` (out/platform, out/cells/<name>, as
 * `--all-cells` lays them out), phase by phase; a compared stack's render gets the base's outputs
 * of that stack from `previousDir` (the head as the update after the base). Returns what ran, in order.
 */
async function renderStacks(root: string, source: RenderSource, compared: readonly ComparedStack[], outDir: string, scratch: string, settings: RenderSettings, previousDir?: string): Promise<string[]> {
  const label = sourceLabel(source);
  const phases = renderPhases(compared, cellsOf(root, source, label));
  if (phases.length === 0) return [];
  const renderer = fileAt(root, source, "tools/render.ts") ?? "";
  if (!/"all-cells"/.test(renderer)) throw new RenderFailure(label, "this revision's renderer (tools/render.ts) cannot render the stacks of a fleet with cells (--platform, --cell)\n");
  const ran: string[] = [];
  await inCheckout(root, source, scratch, async (cwd) => {
    for (const phase of phases) {
      await inParallel(phase, async (step) => {
        const previous = step.compared && previousDir ? path.join(previousDir, step.dir, "outputs.yaml") : undefined;
        await runRender(cwd, outDir, settings, `${label}, ${step.what}`, previous && fs.existsSync(previous) ? previous : undefined, step.args);
      });
      ran.push(...phase.map((step) => step.what));
    }
  });
  return ran;
}

export interface RenderedPair {
  /** The one stack's manifests, keyed as readManifests keys them. */
  base: Map<string, string>;
  head: Map<string, string>;
  /** Notes for the reader, e.g. that the two sources pin different dependencies. */
  notes: string[];
}

/** With cells: each compared stack's manifests by its directory (platform, cells/<name>); a stack absent at a side has none there. */
export interface RenderedStacks {
  base: Map<string, Map<string, string>>;
  head: Map<string, Map<string, string>>;
  notes: string[];
  /** What each side rendered, in order: "cell a (identity)", "platform", "cell b", … */
  renders: { base: string[]; head: string[] };
}

/** A scratch directory for `run`, removed afterwards whatever happened, also on Ctrl-C or a cancelled CI job. */
async function withScratch<T>(run: (scratch: string) => Promise<T>): Promise<T> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-render-diff-"));
  const cleanup = () => fs.rmSync(scratch, { recursive: true, force: true });
  const onSignal = (signal: NodeJS.Signals) => {
    cleanup();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await run(scratch);
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    cleanup();
  }
}

function lockNotes(root: string, base: RenderSource, head: RenderSource): string[] {
  return fileAt(root, base, "package-lock.json") !== fileAt(root, head, "package-lock.json")
    ? ["package-lock.json differs between base and head; both were rendered with this checkout's node_modules."]
    : [];
}

/** The cells file at a source (undefined: none, or no cell in it). */
export const cellsOf = (root: string, source: RenderSource, label = sourceLabel(source)) => cellsAt(fileAt(root, source, CELLS_FILE), label);

/**
 * Renders base, then head (as the next update: see below), and returns both manifest trees. Temporary directories are removed before returning, whatever happened.
 */
export function renderPair(root: string, base: RenderSource, head: RenderSource, settings: RenderSettings): Promise<RenderedPair> {
  return withScratch(async (scratch) => {
    const baseOut = path.join(scratch, "base");
    const headOut = path.join(scratch, "head");
    // The head is rendered as the update after the base: its renderer's lifecycle guard (when it
    // has one) compares the head's tenants with the base's outputs, so a pull request that drops a
    // tenant not decommissioned fails here as `pulumi up` would.
    await renderSource(root, base, baseOut, scratch, settings);
    // The renderer moved from engine/render-cli.ts to tools/render.ts; a base may have either.
    const headRenderer = fileAt(root, head, "tools/render.ts") ?? fileAt(root, head, "engine/render-cli.ts") ?? "";
    const previous = /previous: \{ type: "string" \}/.test(headRenderer) ? path.join(baseOut, "outputs.yaml") : undefined;
    await renderSource(root, head, headOut, scratch, settings, previous);
    return { base: readManifests(baseOut), head: readManifests(headOut), notes: lockNotes(root, base, head) };
  });
}

/**
 * The compared stacks of a fleet with cells at base, then at head (each compared stack as the
 * update after its base render, as for the one stack), and their manifest trees.
 */
export function renderStackPair(root: string, base: RenderSource, head: RenderSource, compared: readonly ComparedStack[], settings: RenderSettings): Promise<RenderedStacks> {
  return withScratch(async (scratch) => {
    const baseOut = path.join(scratch, "base");
    const headOut = path.join(scratch, "head");
    const renders = { base: await renderStacks(root, base, compared, baseOut, scratch, settings), head: await renderStacks(root, head, compared, headOut, scratch, settings, baseOut) };
    const trees = (out: string) => new Map(compared.filter((s) => fs.existsSync(path.join(out, s.dir, "manifests"))).map((s) => [s.dir, readManifests(path.join(out, s.dir))]));
    return { base: trees(baseOut), head: trees(headOut), notes: lockNotes(root, base, head), renders };
  });
}
