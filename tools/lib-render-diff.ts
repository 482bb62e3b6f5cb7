/**
 * The render diff behind `npm run diff`: renders two versions of the repository offline with each
 * version's own renderer (same seed, same clock), compares their `manifests/` trees file by file and
 * formats the result as Markdown (a pull-request comment), a unified diff or JSON. Renders never
 * reveal secrets, and every output is checked for secret material before it is written.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { LABELS } from "../model/names";
import { diffLines, diffStat, splitLines, unifiedHunks, type DiffStat } from "./lib-line-diff";

/** Seed and clock handed to both renders, so only the repository's content can make them differ. */
export interface RenderSettings {
  seed: string;
  /** RFC 3339, e.g. 2026-01-01T00:00:00.000Z. */
  clock: string;
}

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

// ---------------------------------------------------------------------------------------------
// git and rendering

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
function fileAt(root: string, source: RenderSource, file: string): string | undefined {
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
function exportCommit(root: string, sha: string, dir: string): void {
  const tar = execFileSync("git", ["archive", "--format=tar", sha], { cwd: root, maxBuffer: 1 << 30 });
  execFileSync("tar", ["-x", "-C", dir], { input: tar });
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

/** Every file under `<renderDir>/manifests`, keyed `manifests/<namespace>/<file>`. */
export function readManifests(renderDir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(renderDir, full).split(path.sep).join("/"), fs.readFileSync(full, "utf8"));
    }
  };
  const manifests = path.join(renderDir, "manifests");
  if (!fs.existsSync(manifests)) throw new Error(`${manifests} was not written by the render`);
  walk(manifests);
  return files;
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

// ---------------------------------------------------------------------------------------------
// secret material

/** What must never appear in a render diff, whatever the renderer did. */
export const SECRET_PATTERNS: readonly { what: string; pattern: RegExp }[] = [
  { what: "a PEM private key", pattern: /PRIVATE KEY/ },
  { what: "a NATS creds seed block", pattern: /NKEY SEED/ },
  // An nkey seed: "S", the key type, then the rest of 36 bytes in base32 — 58 characters in all.
  { what: "an nkey seed", pattern: /\bS[A-Z2-7]{57}\b/ },
];

const BASE64_RUN = /[A-Za-z0-9+/]{24,}={0,2}/g;

/**
 * Names the first kind of secret material in `text` (never the material itself), looking at the
 * text and inside every base64 run in it (a Secret's `data` is base64), or undefined if none.
 */
export function findSecretMaterial(text: string): string | undefined {
  for (const { what, pattern } of SECRET_PATTERNS) if (pattern.test(text)) return what;
  for (const run of text.match(BASE64_RUN) ?? []) {
    const decoded = Buffer.from(run, "base64").toString("latin1");
    for (const { what, pattern } of SECRET_PATTERNS) if (pattern.test(decoded)) return `${what} (base64-encoded)`;
  }
  return undefined;
}

/** Thrown when secret material is found; the message says where, never what. */
export class SecretMaterialError extends Error {
  constructor(readonly where: string, readonly what: string) {
    super(`refusing to write the render diff: ${where} contains ${what}. Renders must show secrets as "[secret]"; this is a bug in the renderer.`);
    this.name = "SecretMaterialError";
  }
}

/** Throws SecretMaterialError if any of the texts (by name) contains secret material. */
export function assertNoSecretMaterial(texts: Iterable<[string, string]>): void {
  for (const [where, text] of texts) {
    const what = findSecretMaterial(text);
    if (what) throw new SecretMaterialError(where, what);
  }
}

// ---------------------------------------------------------------------------------------------
// comparing

export type FileStatus = "added" | "removed" | "changed";

export interface FileDiff {
  /** `manifests/<namespace>/<kind>-<name>.yaml` */
  file: string;
  status: FileStatus;
  /** The tenant the object belongs to, or PLATFORM. */
  tenant: string;
  stat: DiffStat;
  /** Unified-diff hunk lines (`@@ … @@`, then ` `/`-`/`+` lines). */
  hunks: string[];
}

export interface RenderDiff {
  base: string;
  head: string;
  settings: RenderSettings;
  baseFiles: number;
  headFiles: number;
  unchanged: number;
  files: FileDiff[];
  notes: string[];
}

/** The bucket for objects that belong to no tenant (platform namespace, hub configuration). */
export const PLATFORM = "(platform)";

function parseManifest(text: string): Record<string, any> | undefined {
  try {
    const doc = parseYaml(text);
    return doc && typeof doc === "object" ? doc : undefined;
  } catch {
    return undefined;
  }
}

/** Namespace name → tenant, from the rendered Namespace objects' tenant label. */
function namespaceTenants(trees: Map<string, string>[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const tree of trees) {
    for (const [file, text] of tree) {
      if (!file.startsWith("manifests/_cluster/namespace-")) continue;
      const object = parseManifest(text);
      const tenant = object?.metadata?.labels?.[LABELS.tenant];
      if (object?.metadata?.name && typeof tenant === "string") owners.set(object.metadata.name, tenant);
    }
  }
  return owners;
}

/** The tenant of one rendered object: its tenant label, else its namespace's, else PLATFORM. */
function tenantOfManifest(text: string, namespaces: Map<string, string>): string {
  const object = parseManifest(text);
  const label = object?.metadata?.labels?.[LABELS.tenant];
  if (typeof label === "string") return label;
  const namespace = object?.metadata?.namespace;
  return (typeof namespace === "string" && namespaces.get(namespace)) || PLATFORM;
}

/** Compares two manifest trees file by file; the result is sorted by path. */
export function compareTrees(base: Map<string, string>, head: Map<string, string>, context = 3): { files: FileDiff[]; unchanged: number } {
  const namespaces = namespaceTenants([base, head]);
  const paths = [...new Set([...base.keys(), ...head.keys()])].sort();
  const files: FileDiff[] = [];
  let unchanged = 0;
  for (const file of paths) {
    const before = base.get(file);
    const after = head.get(file);
    if (before === after) {
      unchanged++;
      continue;
    }
    const status: FileStatus = before === undefined ? "added" : after === undefined ? "removed" : "changed";
    const edits = diffLines(splitLines(before ?? ""), splitLines(after ?? ""));
    files.push({ file, status, tenant: tenantOfManifest((after ?? before)!, namespaces), stat: diffStat(edits), hunks: unifiedHunks(edits, context) });
  }
  return { files, unchanged };
}

export interface Counts {
  added: number;
  removed: number;
  changed: number;
}

/** Added/removed/changed files in total and per tenant (tenants sorted, PLATFORM last). */
export function countByTenant(files: readonly FileDiff[]): { total: Counts; tenants: [string, Counts][] } {
  const total: Counts = { added: 0, removed: 0, changed: 0 };
  const tenants = new Map<string, Counts>();
  for (const f of files) {
    total[f.status]++;
    let counts = tenants.get(f.tenant);
    if (!counts) tenants.set(f.tenant, (counts = { added: 0, removed: 0, changed: 0 }));
    counts[f.status]++;
  }
  const order = (t: string) => (t === PLATFORM ? `~${t}` : t);
  return { total, tenants: [...tenants].sort(([a], [b]) => (order(a) < order(b) ? -1 : 1)) };
}

// ---------------------------------------------------------------------------------------------
// formatting

const summaryLine = (c: Counts) => `${c.changed} changed, ${c.added} added, ${c.removed} removed`;

/** One line saying what was compared and how it was rendered. */
function provenance(diff: RenderDiff): string {
  return `offline render, seed "${diff.settings.seed}", clock ${diff.settings.clock}; secrets appear as "[secret]"`;
}

/** The diff as a unified diff (`--- a/…`, `+++ b/…`), preceded by a summary that patch tools ignore. */
export function formatUnified(diff: RenderDiff): string {
  const { total, tenants } = countByTenant(diff.files);
  const lines = [
    `render diff: ${diff.base} -> ${diff.head}`,
    `${summaryLine(total)}; ${diff.unchanged} unchanged (${provenance(diff)})`,
    ...tenants.map(([tenant, c]) => `  ${tenant}: ${summaryLine(c)}`),
    ...diff.notes.map((n) => `note: ${n}`),
  ];
  if (diff.files.length === 0) lines.push("no changes");
  for (const f of diff.files) {
    lines.push(`--- ${f.status === "added" ? "/dev/null" : `a/${f.file}`}`, `+++ ${f.status === "removed" ? "/dev/null" : `b/${f.file}`}`, ...f.hunks);
  }
  return lines.join("\n") + "\n";
}

/** The diff as JSON (stable key order), for tools and tests. */
export function formatJson(diff: RenderDiff): string {
  const { total, tenants } = countByTenant(diff.files);
  return (
    JSON.stringify(
      {
        base: diff.base,
        head: diff.head,
        settings: diff.settings,
        summary: { ...total, unchanged: diff.unchanged, baseFiles: diff.baseFiles, headFiles: diff.headFiles },
        tenants: Object.fromEntries(tenants),
        notes: diff.notes,
        files: diff.files,
      },
      null,
      2,
    ) + "\n"
  );
}

export interface MarkdownOptions {
  /**
   * Size budget of the whole text. GitHub refuses comments over 65,536 characters; the default
   * leaves room for the marker and header the commenting workflow adds.
   */
  maxChars?: number;
  /** Diff lines shown per file before the rest of that file is elided. */
  maxLinesPerFile?: number;
  /** The command a reader can run for the complete report (shown when truncated). */
  fullCommand?: string;
}

export const DEFAULT_MAX_CHARS = 60_000;
export const DEFAULT_MAX_LINES_PER_FILE = 250;

/** A code fence longer than any backtick run in the content, so YAML cannot close it. */
function fenceFor(content: string): string {
  const longest = Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length));
  return "`".repeat(Math.max(3, longest + 1));
}

const code = (text: string) => "`" + text.replace(/`/g, "'") + "`";

/**
 * The diff as Markdown for a pull-request comment: a summary with a per-tenant table, then one
 * collapsible <details> block per file with its unified diff (removed, then changed, then added
 * files, so a cut drops new objects first). Long files are cut at
 * `maxLinesPerFile` lines; when the whole would exceed `maxChars`, the remaining files are listed
 * by name only, and a note says so.
 */
export function formatMarkdown(diff: RenderDiff, options: MarkdownOptions = {}): string {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const maxLines = options.maxLinesPerFile ?? DEFAULT_MAX_LINES_PER_FILE;
  const { total, tenants } = countByTenant(diff.files);
  const head: string[] = [`### Rendered manifests: ${code(diff.base)} → ${code(diff.head)}`, ""];
  if (diff.files.length === 0) {
    head.push(`**No changes**: both render the same ${diff.headFiles} manifests (${provenance(diff)}).`);
  } else {
    head.push(
      `**${summaryLine(total)}**, ${diff.unchanged} unchanged (${diff.baseFiles} → ${diff.headFiles} manifests; ${provenance(diff)}).`,
      "",
      "| tenant | changed | added | removed |",
      "|---|--:|--:|--:|",
      ...tenants.map(([tenant, c]) => `| ${tenant === PLATFORM ? PLATFORM : code(tenant)} | ${c.changed} | ${c.added} | ${c.removed} |`),
    );
  }
  for (const note of diff.notes) head.push("", `> ${note}`);
  let text = head.join("\n") + "\n";

  const truncationNote = (shown: number) =>
    `\n> Truncated to ${maxChars.toLocaleString("en-US")} characters (a GitHub comment holds at most 65,536): ${shown} of ${diff.files.length} files shown with their diff.` +
    ` For the full report run ${code(options.fullCommand ?? "npm run diff -- --base <base> --format unified")} locally.\n`;
  // Room kept for the truncation note and the list line of one more file.
  const reserve = truncationNote(diff.files.length).length + 200;

  // What a reviewer must not miss comes first when not everything fits: removals, then changes to
  // existing objects, then new objects (each in path order).
  const rank: Record<FileStatus, number> = { removed: 0, changed: 1, added: 2 };
  const ordered = [...diff.files].sort((a, b) => rank[a.status] - rank[b.status] || (a.file < b.file ? -1 : 1));
  let shown = 0;
  let listed = 0;
  for (const f of ordered) {
    const block = detailsBlock(f, maxLines);
    if (listed === 0 && text.length + block.length + reserve <= maxChars) {
      text += block;
      shown++;
      continue;
    }
    // Out of room for diffs: name the remaining files while that still fits.
    const line = `- ${code(f.file)} ${f.status} (+${f.stat.added} -${f.stat.removed})\n`;
    if (listed === 0) text += "\nNot shown:\n\n";
    if (text.length + line.length + reserve > maxChars) {
      text += `- … and ${diff.files.length - shown - listed} more files\n`;
      listed = diff.files.length - shown;
      break;
    }
    text += line;
    listed++;
  }
  if (shown < diff.files.length) text += truncationNote(shown);
  return text;
}

function detailsBlock(f: FileDiff, maxLines: number): string {
  const lines = f.hunks.length > maxLines ? [...f.hunks.slice(0, maxLines), `… ${f.hunks.length - maxLines} more diff lines of this file not shown`] : f.hunks;
  const body = lines.join("\n");
  const fence = fenceFor(body);
  return [
    "",
    `<details><summary><code>${f.file}</code> ${f.status} (+${f.stat.added} -${f.stat.removed})</summary>`,
    "",
    `${fence}diff`,
    body,
    fence,
    "",
    "</details>",
    "",
  ].join("\n");
}
