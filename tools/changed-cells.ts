/**
 * npm run changed-cells -- --base <rev> [--head <rev>] [--repo DIR] [--github-output FILE] [--summary FILE]
 * npm run changed-cells -- --all [--head <rev>] [--repo DIR] [--github-output FILE] [--summary FILE]
 *
 * Which Pulumi stacks a change touches, from the git history: the files that differ between --base
 * and --head (default HEAD; `git diff --name-status -M`) and their contents at each side. Prints one
 * line of JSON, e.g.
 *   {"mode":"cells","platform":false,"platformStack":"platform","cells":["a"],
 *    "matrix":{"include":[{"cell":"a","stack":"cell-a"}]},"reasons":{"a":["tenants/acme.yaml"]},...}
 * or {"mode":"single","platform":true,...} when cells/cells.yaml is absent at head (one stack holds
 * everything). --all: every stack at --head (the drift job, a deploy by hand). The rules are in
 * tools/changed-cells/rules.ts and docs/gitops.md.
 *
 * --github-output FILE appends the step outputs the workflows read (mode, platform, platform-stack,
 * cells, cells-list, has-cells, matrix, stacks, any); --summary FILE appends a Markdown table (the
 * job summary).
 *
 * Exit status: 0 when computed; 1 when it cannot be (unknown revision, cells/cells.yaml at head
 * unreadable); 2 for bad usage.
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { CellsFileError } from "./changed-cells/cells-file";
import { changedFiles, fileAt, repositoryRoot, resolveCommit } from "./changed-cells/git";
import { allStacks, changedStacks, githubOutputs, summary, type ChangedStacks } from "./changed-cells/rules";

class UsageError extends Error {}

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        base: { type: "string" },
        head: { type: "string", default: "HEAD" },
        all: { type: "boolean", default: false },
        repo: { type: "string", default: "." },
        "github-output": { type: "string" },
        summary: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(fs.readFileSync(__filename, "utf8").match(/\/\*\*([\s\S]*?)\*\//)![1].replace(/^ \* ?/gm, "") + "\n");
    process.exit(0);
  }
  if (values.all === (values.base !== undefined)) throw new UsageError("give either --base <rev> (the stacks a change touches) or --all (every stack)");
  return values as { base?: string; head: string; all: boolean; repo: string; "github-output"?: string; summary?: string };
}

function main(): number {
  const opts = options();
  const repo = repositoryRoot(opts.repo);
  const head = resolveCommit(repo, opts.head);
  let result: ChangedStacks;
  let range: string;
  if (opts.all) {
    result = allStacks((path) => fileAt(repo, head, path));
    range = `every stack at ${head.slice(0, 12)}`;
  } else {
    const base = resolveCommit(repo, opts.base!);
    const changes = changedFiles(repo, base, head);
    result = changedStacks(changes, (side, path) => fileAt(repo, side === "base" ? base : head, path));
    range = `${base.slice(0, 12)}..${head.slice(0, 12)}`;
  }
  process.stdout.write(JSON.stringify(result) + "\n");
  if (opts["github-output"]) {
    const lines = Object.entries(githubOutputs(result)).map(([k, v]) => `${k}=${v}\n`);
    fs.appendFileSync(opts["github-output"], lines.join(""));
  }
  if (opts.summary) fs.appendFileSync(opts.summary, summary(result, range));
  for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\nusage: npm run changed-cells -- --base <rev> [--head <rev>] [--repo DIR] [--github-output FILE] [--summary FILE]\n       npm run changed-cells -- --all [--head <rev>] ...\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`${err instanceof CellsFileError ? "" : "changed-cells: "}${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
