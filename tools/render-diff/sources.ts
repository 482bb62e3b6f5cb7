/**
 * The sources a render diff compares, as git knows them: the checkout's root, refs resolved to
 * commits, a file's text at a source, a commit's files exported. The only code of the render diff
 * that runs git; an export goes through `git archive`, so nothing is registered in the repository.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** A commit to render, with the ref it was named by. */
export interface CommitSource {
  kind: "commit";
  ref: string;
  sha: string;
}

/** What to render: a commit (exported from git) or the working tree of the checkout, as it is on disk. */
export type RenderSource = CommitSource | { kind: "worktree" };

/** How a source is named in reports: the ref as given and the abbreviated commit. */
export function sourceLabel(source: RenderSource): string {
  if (source.kind === "worktree") return "working tree";
  const short = source.sha.slice(0, 12);
  return source.ref === source.sha || source.ref === short ? short : `${source.ref} (${short})`;
}

const git = (cwd: string, args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

/** The top directory of the git checkout containing `cwd`. */
export function repositoryRoot(cwd: string): string {
  try {
    return git(cwd, ["rev-parse", "--show-toplevel"]);
  } catch {
    throw new Error(`${cwd} is not inside a git checkout`);
  }
}

/** Resolves a ref to the commit it names; the message says what to do in a shallow clone. */
export function resolveCommit(root: string, ref: string): CommitSource {
  // A ref starting with "-" would be read as an option by git.
  if (!ref || ref.startsWith("-")) throw new Error(`not a git ref: ${JSON.stringify(ref)}`);
  try {
    return { kind: "commit", ref, sha: git(root, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]) };
  } catch {
    throw new Error(`unknown revision ${JSON.stringify(ref)} (in a shallow clone fetch it first, e.g. git fetch --depth=1 origin ${ref})`);
  }
}

/** The text of `file` at a source, or undefined when it does not exist there. */
export function fileAt(root: string, source: RenderSource, file: string): string | undefined {
  if (source.kind === "worktree") {
    const full = path.join(root, file);
    return fs.existsSync(full) ? fs.readFileSync(full, "utf8") : undefined;
  }
  try {
    return execFileSync("git", ["show", `${source.sha}:${file}`], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 28 });
  } catch {
    return undefined;
  }
}

/** Writes the files of `sha` into `dir` (no .git: nothing is registered in the repository). */
export function exportCommit(root: string, sha: string, dir: string): void {
  const tar = execFileSync("git", ["archive", "--format=tar", sha], { cwd: root, maxBuffer: 1 << 30 });
  execFileSync("tar", ["-x", "-C", dir], { input: tar });
}
