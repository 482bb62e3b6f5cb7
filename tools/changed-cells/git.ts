/**
 * The git side of tools/changed-cells.ts: revisions resolved to commits, the changed files between
 * two commits (`git diff --name-status -M`), a file's text at a commit (`git show <rev>:<path>`).
 */
import { execFileSync } from "node:child_process";
import type { Change } from "./rules";

const git = (repo: string, args: string[]) =>
  execFileSync("git", args, { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 28 });

/** The top directory of the checkout containing `dir`. */
export function repositoryRoot(dir: string): string {
  try {
    return git(dir, ["rev-parse", "--show-toplevel"]).trim();
  } catch {
    throw new Error(`${dir} is not inside a git checkout`);
  }
}

/** The commit a revision names; the message says what to do in a shallow clone. */
export function resolveCommit(repo: string, rev: string): string {
  // A revision starting with "-" would be read as an option.
  if (!rev || rev.startsWith("-")) throw new Error(`not a git revision: ${JSON.stringify(rev)}`);
  try {
    return git(repo, ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]).trim();
  } catch {
    throw new Error(`unknown revision ${JSON.stringify(rev)} (a shallow clone needs the history: actions/checkout with fetch-depth: 0)`);
  }
}

/** The files that differ between two commits, renames detected, as `git diff --name-status -M` lists them. */
export function changedFiles(repo: string, base: string, head: string): Change[] {
  // -z: paths unquoted and NUL-separated, so any file name parses.
  const out = git(repo, ["diff", "--name-status", "-M", "-z", "--no-color", "--no-relative", base, head, "--"]);
  const fields = out.split("\0");
  if (fields[fields.length - 1] === "") fields.pop();
  const changes: Change[] = [];
  for (let i = 0; i < fields.length; ) {
    const status = fields[i++];
    if (/^[RC]/.test(status)) {
      const from = fields[i++];
      changes.push({ status, from, path: fields[i++] });
    } else changes.push({ status, path: fields[i++] });
  }
  return changes;
}

/** The text of `path` at `commit`, or undefined when no such file exists there (any other failure throws). */
export function fileAt(repo: string, commit: string, path: string): string | undefined {
  // ls-tree answers "absent" with an empty listing, so a failing git is never mistaken for a missing file.
  const entry = git(repo, ["ls-tree", "-z", commit, "--", path]);
  if (!/^\d+ blob /.test(entry)) return undefined;
  return git(repo, ["show", "--no-textconv", `${commit}:${path}`]);
}
