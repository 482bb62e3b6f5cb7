/**
 * The render CLI (`tools/render.ts`, what `npm run render` runs) in a fresh node process with
 * `--import tsx`, as the tests run it: each render has Pulumi's process-global runtime to itself,
 * and several can run at once ({@link render}) or one in a synchronous hook ({@link renderSync}).
 * The flags are an options object; a failed render throws {@link RenderFailed} with the renderer's
 * stderr. (The in-process render of the example tenants is `renderExamples` in fixtures.ts.)
 */
import { execFile, execFileSync } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { REPO } from "./fixtures";

/** The render CLI's flags, and where it runs. */
export interface RenderOptions {
  /** `--out`: the directory the render writes. */
  out: string;
  /** `--tenants`: the tenant files' directory (relative to `root`, or absolute); unset, the stack config's `tenancy:tenantsDir`. */
  tenants?: string;
  /** `--config key=value`, one per entry, in this order. */
  config?: Record<string, string>;
  /** `--clock`: the render's time, an RFC 3339 timestamp with a zone (e.g. 2026-01-01T00:00:00Z). */
  clock?: string;
  /** `--seed`: what the fake random values derive from. */
  seed?: string;
  /** `--previous`: the outputs.yaml of the last update, for the lifecycle guard. */
  previous?: string;
  /** `--stack`: the stack name (the CLI's default is dev). */
  stack?: string;
  /** `--reveal-secrets`: write Secrets' values instead of `[secret]`. */
  revealSecrets?: boolean;
  /** The checkout whose `tools/render.ts` runs, and the working directory: this repository unless given. */
  root?: string;
  /** A fleet with cells (docs/cells.md): `--all-cells`, `--platform` or `--cell <name>`. */
  cells?: { all: true } | { platform: true } | { cell: string };
  /** `--cells-file`: the cells file (relative to `root`, or absolute). */
  cellsFile?: string;
}

/** A render that exited non-zero: the renderer's stderr (and stdout) as it wrote them. */
export class RenderFailed extends Error {
  constructor(
    readonly args: readonly string[],
    readonly status: number | string | null,
    readonly stderr: string,
    readonly stdout: string,
  ) {
    super(`render ${args.join(" ")} failed (exit ${status}):\n${stderr}${stdout}`);
    this.name = "RenderFailed";
  }
}

/** The CLI's arguments for these options. */
function renderArgs(o: RenderOptions): string[] {
  return [
    "--out", o.out,
    ...(o.tenants !== undefined ? ["--tenants", o.tenants] : []),
    ...Object.entries(o.config ?? {}).flatMap(([key, value]) => ["--config", `${key}=${value}`]),
    ...(o.clock !== undefined ? ["--clock", o.clock] : []),
    ...(o.seed !== undefined ? ["--seed", o.seed] : []),
    ...(o.previous !== undefined ? ["--previous", o.previous] : []),
    ...(o.stack !== undefined ? ["--stack", o.stack] : []),
    ...(o.revealSecrets ? ["--reveal-secrets"] : []),
    ...(o.cells === undefined ? [] : "all" in o.cells ? ["--all-cells"] : "platform" in o.cells ? ["--platform"] : ["--cell", o.cells.cell]),
    ...(o.cellsFile !== undefined ? ["--cells-file", o.cellsFile] : []),
  ];
}

const MAX_BUFFER = 64 << 20;

function command(o: RenderOptions) {
  const root = o.root ?? REPO;
  const args = renderArgs(o);
  return { args, argv: ["--import", "tsx", path.join(root, "tools/render.ts"), ...args], options: { cwd: root, maxBuffer: MAX_BUFFER, encoding: "utf8" as const } };
}

function failure(args: readonly string[], err: unknown): Error {
  const e = err as { status?: number | null; code?: number | string; stderr?: string | Buffer; stdout?: string | Buffer };
  if (e.stderr === undefined && e.stdout === undefined) return err as Error; // not started at all
  return new RenderFailed(args, e.status ?? e.code ?? null, String(e.stderr ?? ""), String(e.stdout ?? ""));
}

/** Renders in a fresh process and waits for it; returns `out`. Throws {@link RenderFailed}. */
export function renderSync(o: RenderOptions): string {
  const { args, argv, options } = command(o);
  try {
    execFileSync(process.execPath, argv, { ...options, stdio: "pipe" });
  } catch (err) {
    throw failure(args, err);
  }
  return o.out;
}

const execFileP = promisify(execFile);

/** Renders in a fresh process; resolves to `out`, rejects with {@link RenderFailed}. Several may run at once. */
export async function render(o: RenderOptions): Promise<string> {
  const { args, argv, options } = command(o);
  try {
    await execFileP(process.execPath, argv, options);
  } catch (err) {
    throw failure(args, err);
  }
  return o.out;
}
