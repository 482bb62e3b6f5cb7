/**
 * Which stacks a change touches, from the list of changed files and the files' contents at each
 * side — pure, so the rules are tested without git (tools/changed-cells/git.ts reads git):
 *
 * - tenants/<slug>.yaml added, modified, renamed or deleted: the tenant's cell at base (when the
 *   file existed there) and at head (when it exists there), each resolved with that side's
 *   cells/cells.yaml (its defaultCell when the file names no `cell`). A move between cells touches
 *   both. A tenant file that does not parse, or names a cell its side does not list: every cell
 *   (each preview shows the loader's error).
 * - cells/cells.yaml: the platform and every cell (at head, and those removed since base).
 * - docs/**, *.md anywhere, test/**: nothing.
 * - anything else (program code, plans/, schema/, policy/, package*.json, Pulumi*.yaml, .github/,
 *   tools/, engine/, …): the platform and every cell.
 *
 * Without cells at head (no cells/cells.yaml, or one listing no cell) there is one stack, which
 * holds the platform and every tenant: mode "single", always touched.
 */
import { parseYaml } from "../../model/yaml";
import type { Problem } from "../../model/problems";
import { CELLS_FILE, CellsFileError, parseCellsFile, type CellsConfig } from "./cells-file";

export type Side = "base" | "head";

/** One line of `git diff --name-status`: the status letter(s), the path, and for renames and copies the source. */
export interface Change {
  status: string;
  path: string;
  /** The path at base, for a rename (R) or copy (C). */
  from?: string;
}

/** A file's text at a side, or undefined when it does not exist there. */
export type ReadFile = (side: Side, path: string) => string | undefined;

export interface MatrixEntry {
  cell: string;
  stack: string;
}

export interface CellsResult {
  mode: "cells";
  platform: boolean;
  platformStack: string;
  cells: string[];
  matrix: { include: MatrixEntry[] };
  /** Per touched cell, the files that touch it. */
  reasons: Record<string, string[]>;
  /** The files that touch the platform stack. */
  platformReasons: string[];
  /** What a reviewer should know: files that do not parse, unknown cells, a base cells file that could not be read. */
  notes: string[];
}

export interface SingleResult {
  mode: "single";
  platform: true;
  cells: [];
  matrix: { include: [] };
  reasons: Record<string, never>;
  notes: string[];
}

export type ChangedStacks = CellsResult | SingleResult;

export type PathKind = "tenant" | "cells" | "ignored" | "other";

/** What a path is, for these rules. */
export function classify(path: string): PathKind {
  if (path === CELLS_FILE) return "cells";
  if (/^tenants\/[^/]+\.yaml$/.test(path)) return "tenant";
  if (path.startsWith("docs/") || path.startsWith("test/") || /\.md$/i.test(path)) return "ignored";
  return "other";
}

/** The paths a change has at each side: a deletion only at base, an addition or copy only at head, a rename both (old at base, new at head). */
export function sidesOf(change: Change): [Side, string][] {
  const letter = change.status.charAt(0);
  switch (letter) {
    case "A":
    case "C":
      return [["head", change.path]];
    case "D":
      return [["base", change.path]];
    case "R":
      return [["base", change.from ?? change.path], ["head", change.path]];
    default:
      // M (modified), T (type changed) and anything unusual: both sides.
      return [["base", change.path], ["head", change.path]];
  }
}

const single = (notes: string[] = []): SingleResult => ({ mode: "single", platform: true, cells: [], matrix: { include: [] }, reasons: {}, notes });

type TenantCell = { cell: string } | { problem: string };

/** The cell a tenant file's text puts it in, by `config`'s rules. */
function tenantCell(path: string, text: string, config: CellsConfig): TenantCell {
  const problems: Problem[] = [];
  const doc = parseYaml({ file: path, text }, problems);
  if (problems.length > 0) return { problem: `does not parse (${problems.map((p) => p.rule).join("; ")})` };
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return { problem: "is not a mapping" };
  const named = (doc as Record<string, unknown>).cell;
  if (named !== undefined && typeof named !== "string") return { problem: `cell: ${JSON.stringify(named)} is not a cell name` };
  const cell = named ?? config.defaultCell;
  if (cell === undefined) return { problem: "names no cell and cells/cells.yaml has no defaultCell" };
  if (!config.cells.some((c) => c.name === cell)) return { problem: `names cell ${JSON.stringify(cell)}, which cells/cells.yaml does not list` };
  return { cell };
}

/** The stacks `changes` touch. Throws CellsFileError when cells/cells.yaml at head cannot be read. */
export function changedStacks(changes: Change[], read: ReadFile): ChangedStacks {
  const head = parseCellsFile(read("head", CELLS_FILE), "head");
  if (!head) return single();
  const notes: string[] = [];
  let base: CellsConfig | undefined;
  try {
    base = parseCellsFile(read("base", CELLS_FILE), "base");
  } catch (err) {
    if (!(err instanceof CellsFileError)) throw err;
    // Then cells/cells.yaml changed, so every cell at head is touched; only removed cells are unknown.
    notes.push(`${err.message} (cells removed since base cannot be listed)`);
  }

  const everyCell = new Set<string>(); // files that touch every cell
  const platform = new Set<string>(); // files that touch the platform
  const byCell = new Map<string, Set<string>>();
  const touch = (cell: string, file: string) => byCell.set(cell, (byCell.get(cell) ?? new Set()).add(file));

  for (const change of changes) {
    for (const [side, path] of sidesOf(change)) {
      const kind = classify(path);
      if (kind === "ignored") continue;
      if (kind === "cells" || kind === "other") {
        everyCell.add(path);
        platform.add(path);
        continue;
      }
      // A tenant file. Without cells at base the base side has no cell (cells/cells.yaml was added: everything is touched anyway).
      const config = side === "head" ? head : base;
      if (!config) continue;
      const text = read(side, path);
      if (text === undefined) throw new Error(`${path}: git lists it as ${change.status} but it cannot be read at ${side}`);
      const found = tenantCell(path, text, config);
      if ("cell" in found) touch(found.cell, path);
      else {
        everyCell.add(path);
        notes.push(`${path} at ${side} ${found.problem}: every cell is previewed`);
      }
    }
  }

  // Head's cells in their order, then those only base lists (removed since: their stacks still exist).
  const known: { name: string; stack: string }[] = [...head.cells, ...(base?.cells ?? []).filter((c) => !head.cells.some((h) => h.name === c.name))];
  const touched = known.filter((c) => everyCell.size > 0 || byCell.has(c.name));
  const reasons: Record<string, string[]> = {};
  for (const c of touched) reasons[c.name] = [...new Set([...(byCell.get(c.name) ?? []), ...everyCell])].sort();
  return {
    mode: "cells",
    platform: platform.size > 0,
    platformStack: head.platformStack,
    cells: touched.map((c) => c.name),
    matrix: { include: touched.map((c) => ({ cell: c.name, stack: c.stack })) },
    reasons,
    platformReasons: [...platform].sort(),
    notes,
  };
}

/** Every stack at head (the drift job, a deploy by hand). */
export function allStacks(read: (path: string) => string | undefined): ChangedStacks {
  const head = parseCellsFile(read(CELLS_FILE), "head");
  if (!head) return single();
  return {
    mode: "cells",
    platform: true,
    platformStack: head.platformStack,
    cells: head.cells.map((c) => c.name),
    matrix: { include: head.cells.map((c) => ({ cell: c.name, stack: c.stack })) },
    reasons: Object.fromEntries(head.cells.map((c) => [c.name, ["(every stack)"]])),
    platformReasons: ["(every stack)"],
    notes: [],
  };
}

/**
 * The step outputs the workflows read (`key=value` lines for $GITHUB_OUTPUT; every value is one
 * line: names are checked by the cells file reader, the rest is JSON).
 */
export function githubOutputs(result: ChangedStacks): Record<string, string> {
  const cells = result.mode === "cells" ? result : undefined;
  const stacks = cells
    ? [...(cells.platform ? [{ name: "platform", stack: cells.platformStack }] : []), ...cells.matrix.include.map((m) => ({ name: `cell ${m.cell}`, cell: m.cell, stack: m.stack }))]
    : [];
  return {
    mode: result.mode,
    platform: String(result.platform),
    "platform-stack": cells?.platformStack ?? "",
    cells: JSON.stringify(result.cells),
    "cells-list": result.cells.join(","),
    "has-cells": String(result.cells.length > 0),
    matrix: JSON.stringify(result.matrix),
    // Every touched stack, the platform first: the drift job's matrix.
    stacks: JSON.stringify({ include: stacks }),
    any: String(result.mode === "single" || result.platform || result.cells.length > 0),
  };
}

/** A short Markdown summary for the job's page. */
export function summary(result: ChangedStacks, range: string): string {
  const code = (s: string) => "`" + s.replace(/[`|\n\r]/g, "?") + "`";
  const lines = [`### Stacks touched by ${range}`, ""];
  if (result.mode === "single") {
    lines.push("No cells (`cells/cells.yaml` absent or listing none): the one stack holds everything and is always previewed.");
  } else if (!result.platform && result.cells.length === 0) {
    lines.push("Nothing to preview: only documentation or tests changed.");
  } else {
    lines.push("| stack | why |", "|---|---|");
    const why = (files: string[]) => (files.length > 6 ? [...files.slice(0, 6).map(code), `… ${files.length - 6} more`] : files.map(code)).join(", ");
    if (result.platform) lines.push(`| ${code(result.platformStack)} (platform) | ${why(result.platformReasons)} |`);
    for (const m of result.matrix.include) lines.push(`| ${code(m.stack)} (cell ${code(m.cell)}) | ${why(result.reasons[m.cell] ?? [])} |`);
  }
  if (result.notes.length > 0) lines.push("", ...result.notes.map((n) => `- ${n.replace(/\n/g, " ")}`));
  return lines.join("\n") + "\n";
}
