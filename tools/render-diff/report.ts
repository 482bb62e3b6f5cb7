/**
 * The report formats: unified (patch tools, people), JSON (tools, tests) and Markdown (a
 * pull-request comment, fitted to GitHub's size limit with what a reviewer must not miss first).
 * Together because they share one summary line and provenance, so every format says the same.
 */
import { countByTenant, type Counts, type FileDiff, type FileStatus, type RenderDiff, type StackSummary } from "./compare";
import { PLATFORM } from "./manifests";

const summaryLine = (c: Counts) => `${c.changed} changed, ${c.added} added, ${c.removed} removed`;

/** A compared stack as the reports name it: `cell b (stack cell-b)`, and whether it exists at each side. */
const stackName = (s: StackSummary) => `${s.label} (stack ${s.stack})${s.atBase ? (s.atHead ? "" : ", removed at head") : s.atHead ? ", new at head" : ", at neither side"}`;

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
    ...(diff.stacks ?? []).map((st) => `  stack ${stackName(st)}: ${summaryLine(st.counts)}; ${st.unchanged} unchanged; files under ${st.dir}/`),
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
        ...(diff.stacks ? { stacks: diff.stacks } : {}),
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
  if (diff.stacks) {
    head.push(
      `Stacks compared: ${diff.stacks.map((st) => code(st.label)).join(", ")} (the others are not touched by the change and were not compared).`,
      "",
      "| stack | changed | added | removed | unchanged |",
      "|---|--:|--:|--:|--:|",
      ...diff.stacks.map((st) => `| ${code(stackName(st))} | ${st.counts.changed} | ${st.counts.added} | ${st.counts.removed} | ${st.unchanged} |`),
      "",
    );
  }
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
