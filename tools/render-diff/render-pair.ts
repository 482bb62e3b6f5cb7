/**
 * Renders base and head offline, each with its own renderer and the same seed and clock (never
 * revealing secrets), the head as the update after the base, and removes every temporary checkout,
 * also on failure or interruption. The only place the render diff runs the repository's code.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readManifests } from "./manifests";
import { exportCommit, fileAt, sourceLabel, type RenderSource } from "./sources";

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

/** Arguments of every render: never `--reveal-secrets`. */
function renderArguments(outDir: string, settings: RenderSettings, previous?: string): string[] {
  return ["run", "--silent", "render", "--", "--out", outDir, "--seed", settings.seed, "--clock", settings.clock, ...(previous ? ["--previous", previous] : [])];
}

/** Runs `npm run render` in `cwd`, resolving when it succeeds; rejects with the renderer's stderr. */
function runRender(cwd: string, outDir: string, settings: RenderSettings, label: string, previous?: string): Promise<void> {
  // Under `npm run diff` npm tells us where it lives; elsewhere it is on PATH.
  const npmCli = process.env.npm_execpath;
  const [command, prefix] = npmCli && path.basename(npmCli) === "npm-cli.js" ? [process.execPath, [npmCli]] : ["npm", []];
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...prefix, ...renderArguments(outDir, settings, previous)], {
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
 * Renders `source` into `outDir` with the renderer of that same source: a commit is exported to a
 * temporary directory under `scratch` that borrows this checkout's node_modules (a symlink), the
 * working tree renders in place. The exported copy is removed afterwards, also on failure.
 */
export async function renderSource(root: string, source: RenderSource, outDir: string, scratch: string, settings: RenderSettings, previous?: string): Promise<void> {
  const label = sourceLabel(source);
  if (source.kind === "worktree") return runRender(root, outDir, settings, label, previous);
  const modules = path.join(root, "node_modules");
  if (!fs.existsSync(modules)) throw new Error(`${modules} is missing: run npm ci first`);
  const copy = fs.mkdtempSync(path.join(scratch, "checkout-"));
  try {
    exportCommit(root, source.sha, copy);
    fs.symlinkSync(fs.realpathSync(modules), path.join(copy, "node_modules"), "dir");
    await runRender(copy, outDir, settings, label, previous);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

export interface RenderedPair {
  base: Map<string, string>;
  head: Map<string, string>;
  /** Notes for the reader, e.g. that the two sources pin different dependencies. */
  notes: string[];
}

/**
 * Renders base, then head (as the next update: see below), and returns both manifest trees. Temporary directories are removed before returning, whatever happened.
 */
export async function renderPair(root: string, base: RenderSource, head: RenderSource, settings: RenderSettings): Promise<RenderedPair> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-render-diff-"));
  const cleanup = () => fs.rmSync(scratch, { recursive: true, force: true });
  // An interrupted run (Ctrl-C, a cancelled CI job) must not leave exported checkouts behind.
  const onSignal = (signal: NodeJS.Signals) => {
    cleanup();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
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
    const notes: string[] = [];
    if (fileAt(root, base, "package-lock.json") !== fileAt(root, head, "package-lock.json")) {
      notes.push("package-lock.json differs between base and head; both were rendered with this checkout's node_modules.");
    }
    return { base: readManifests(baseOut), head: readManifests(headOut), notes };
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    cleanup();
  }
}
