/**
 * npm run diff -- --base <ref> [--head <ref>] [--out FILE] [--format markdown|unified|json]
 *                 [--seed S] [--clock RFC3339] [--max-chars N] [--cells a,b] [--platform]
 *
 * Renders the repository at <ref> and at --head (default: the working tree, uncommitted changes
 * included) offline, each with its own renderer and the same seed and clock, and reports how the
 * rendered Kubernetes manifests differ: files added, removed and changed, per tenant, with unified
 * diffs. Needs no cluster, cloud or secret, so it runs on pull requests from forks.
 *
 * With cells (cells/cells.yaml, docs/cells.md), --cells a,b and/or --platform compare only those
 * stacks: each revision renders every cell's identity, the platform, then the cells named (what a
 * cell reads from the others, as a StackReference would), and the report is per stack, its files
 * under platform/ and cells/<name>/ (as `npm run render -- --all-cells` lays them out). Without
 * either, the one stack that holds the platform and every tenant, as `npm run render` renders it.
 *
 * Exit status: 0 when the report was written (whether or not anything differs); 1 when a render
 * failed (the renderer's message, e.g. a tenant file's validation problems, is printed unchanged);
 * 2 for bad usage; 3 when secret material was found (nothing is written then).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_CLOCK } from "../engine/fakes";
import { DEFAULT_SEED } from "../engine/offline";
import { compareStacks, compareTrees, countByTenant, type RenderDiff } from "./render-diff/compare";
import { RenderFailure, cellsOf, renderPair, renderStackPair } from "./render-diff/render-pair";
import { DEFAULT_MAX_CHARS, formatJson, formatMarkdown, formatUnified } from "./render-diff/report";
import { SecretMaterialError, assertNoSecretMaterial } from "./render-diff/secret-guard";
import { repositoryRoot, resolveCommit, sourceLabel, type RenderSource } from "./render-diff/sources";
import { SelectionError, comparedStacks, parseCellList, type StackSelection } from "./render-diff/stacks";

const FORMATS = ["markdown", "unified", "json"] as const;
type Format = (typeof FORMATS)[number];

class UsageError extends Error {}

function options() {
  try {
    const { values } = parseArgs({
      options: {
        base: { type: "string" },
        head: { type: "string" },
        out: { type: "string" },
        format: { type: "string", default: "markdown" },
        seed: { type: "string", default: DEFAULT_SEED },
        clock: { type: "string", default: DEFAULT_CLOCK.toISOString() },
        "max-chars": { type: "string", default: String(DEFAULT_MAX_CHARS) },
        cells: { type: "string" },
        platform: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      process.stdout.write(fs.readFileSync(__filename, "utf8").match(/\/\*\*([\s\S]*?)\*\//)![1].replace(/^ \* ?/gm, "") + "\n");
      process.exit(0);
    }
    if (!values.base) throw new UsageError("--base <ref> is required (the commit to compare against, e.g. origin/main)");
    if (!(FORMATS as readonly string[]).includes(values.format!)) throw new UsageError(`--format must be one of ${FORMATS.join(", ")}`);
    const maxChars = Number(values["max-chars"]);
    if (!Number.isInteger(maxChars) || maxChars < 2000) throw new UsageError("--max-chars must be an integer of at least 2000");
    if (Number.isNaN(new Date(values.clock!).getTime())) throw new UsageError(`--clock: not a timestamp: ${values.clock}`);
    const selection: StackSelection | undefined = values.cells !== undefined || values.platform ? { cells: values.cells === undefined ? [] : parseCellList(values.cells), platform: values.platform! } : undefined;
    return { base: values.base, head: values.head, out: values.out, format: values.format as Format, seed: values.seed!, clock: values.clock!, maxChars, selection };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if (err instanceof SelectionError) throw new UsageError(err.message);
    throw new UsageError((err as Error).message);
  }
}

async function main(): Promise<number> {
  const opts = options();
  const root = repositoryRoot(process.cwd());
  const base = resolveCommit(root, opts.base);
  const head: RenderSource = opts.head === undefined ? { kind: "worktree" } : resolveCommit(root, opts.head);
  const settings = { seed: opts.seed, clock: opts.clock };

  let diff: RenderDiff;
  if (opts.selection === undefined) {
    const pair = await renderPair(root, base, head, settings);
    // Checked before anything is compared or written: a renderer that leaks is a bug to stop on.
    assertNoSecretMaterial([...renderedTexts(pair.base, "base"), ...renderedTexts(pair.head, "head")]);
    const { files, unchanged } = compareTrees(pair.base, pair.head);
    diff = { base: sourceLabel(base), head: sourceLabel(head), settings, baseFiles: pair.base.size, headFiles: pair.head.size, unchanged, files, notes: pair.notes };
  } else {
    let compared;
    try {
      compared = comparedStacks(opts.selection, cellsOf(root, base), cellsOf(root, head));
    } catch (err) {
      throw err instanceof SelectionError ? new UsageError(err.message) : err;
    }
    const pair = await renderStackPair(root, base, head, compared, settings);
    assertNoSecretMaterial([...[...pair.base].flatMap(([dir, tree]) => renderedTexts(tree, "base", dir)), ...[...pair.head].flatMap(([dir, tree]) => renderedTexts(tree, "head", dir))]);
    const { files, unchanged, summaries, baseFiles, headFiles } = compareStacks(compared, pair.base, pair.head);
    diff = { base: sourceLabel(base), head: sourceLabel(head), settings, baseFiles, headFiles, unchanged, files, notes: pair.notes, stacks: summaries };
    process.stderr.write(`rendered at base: ${pair.renders.base.join(", ") || "nothing (no cells)"}\nrendered at head: ${pair.renders.head.join(", ") || "nothing (no cells)"}\n`);
  }
  const selectionArgs = opts.selection === undefined ? "" : `${opts.selection.cells.length > 0 ? ` --cells ${opts.selection.cells.join(",")}` : ""}${opts.selection.platform ? " --platform" : ""}`;
  const text =
    opts.format === "json"
      ? formatJson(diff)
      : opts.format === "unified"
        ? formatUnified(diff)
        : formatMarkdown(diff, { maxChars: opts.maxChars, fullCommand: `npm run diff -- --base ${base.sha}${head.kind === "commit" ? ` --head ${head.sha}` : ""}${selectionArgs} --format unified` });
  assertNoSecretMaterial([["the report", text]]);

  if (opts.out) {
    fs.mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
    fs.writeFileSync(opts.out, text);
  } else process.stdout.write(text);
  const { total } = countByTenant(diff.files);
  for (const st of diff.stacks ?? []) process.stderr.write(`  ${st.label}: ${st.counts.changed} changed, ${st.counts.added} added, ${st.counts.removed} removed, ${st.unchanged} unchanged\n`);
  process.stderr.write(`render diff ${diff.base} -> ${diff.head}: ${total.changed} changed, ${total.added} added, ${total.removed} removed, ${diff.unchanged} unchanged${opts.out ? ` (written to ${opts.out})` : ""}\n`);
  return 0;
}

/** A render's files, named for the secret guard's message: `cells/b/manifests/… (head render)`. */
function renderedTexts(tree: Map<string, string>, side: "base" | "head", dir?: string): [string, string][] {
  return [...tree].map(([file, text]): [string, string] => [`${dir ? `${dir}/` : ""}${file} (${side} render)`, text]);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof RenderFailure) {
      // The renderer's own words: validation problems name the file, the field path and the rule.
      process.stderr.write(`render of ${err.source} failed:\n${err.output.endsWith("\n") ? err.output : err.output + "\n"}`);
      process.exit(1);
    }
    if (err instanceof SecretMaterialError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(3);
    }
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\nusage: npm run diff -- --base <ref> [--head <ref>] [--out FILE] [--format ${FORMATS.join("|")}] [--cells a,b] [--platform]\n`);
      process.exit(2);
    }
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
