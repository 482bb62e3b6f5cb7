/**
 * A fleet with cells (docs/cells.md) in the render diff: which stacks `--cells a,b [--platform]`
 * compares, and in which order each revision renders them. Every stack reads the others' outputs as
 * a StackReference would, so a cell needs the platform's render, and the platform needs every cell's
 * published identity: every cell's identity first (cheap: a cell the platform has not endorsed
 * declares nothing else), then the platform, then only the cells compared. That is the order of
 * `npm run render -- --all-cells` without its expensive part, the tenants of the cells nobody asked
 * about: a one-tenant change renders n identities, the platform and one cell, not the whole fleet.
 * (A reduced platform, endorsing only the compared cells, would be cheaper still and wrong: a cell's
 * leaf configuration embeds the operator JWT, which lists every endorsed cell's signing key.)
 */
import { parseCellsFile, CELLS_FILE, type CellsConfig } from "../changed-cells/cells-file";

/** What to compare: some cells, the platform, or both. */
export interface StackSelection {
  cells: string[];
  platform: boolean;
}

/** One stack the report covers: how it is named, and where its render lands (as --all-cells lays it out). */
export interface ComparedStack {
  /** "platform" or "cell <name>". */
  label: string;
  /** The Pulumi stack's name in the cells file, at head if it exists there, else at base. */
  stack: string;
  /** out/platform or out/cells/<name>, relative to the render's --out. */
  dir: string;
}

/** One `npm run render` of a revision; `stack` is set when the render is one the report compares. */
export interface RenderStep {
  args: string[];
  /** The directory it writes, relative to --out. */
  dir: string;
  compared?: ComparedStack;
  /** Why it runs, for the log: "cell a (identity)", "platform", "cell b". */
  what: string;
}

export class SelectionError extends Error {}

const cellDir = (name: string) => `cells/${name}`;

/** `--cells a,b`: names as the cells file spells them, each once, in the order given. */
export function parseCellList(text: string): string[] {
  const names = text.split(",").map((n) => n.trim());
  if (names.some((n) => !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(n))) throw new SelectionError(`--cells: expected a comma-separated list of cell names, got ${JSON.stringify(text)}`);
  return [...new Set(names)];
}

/** The cells file at a revision (undefined: none, or no cell in it); `where` names the revision in messages. */
export function cellsAt(text: string | undefined, where: string): CellsConfig | undefined {
  try {
    return parseCellsFile(text, where);
  } catch (err) {
    // Not a usage error: the revision's file is bad (exit 1, as a failed render).
    throw new Error(err instanceof Error ? err.message : String(err));
  }
}

/**
 * The stacks the report covers, from the cells file at each side: a cell may exist at one side only
 * (added or removed by the change: its render is empty at the other). A cell at neither side, or a
 * selection at a pair of revisions without cells, is a usage error.
 */
export function comparedStacks(selection: StackSelection, base: CellsConfig | undefined, head: CellsConfig | undefined): ComparedStack[] {
  if (!base && !head) throw new SelectionError(`--cells/--platform: neither revision has cells (${CELLS_FILE} absent or empty); without them, leave both out`);
  const known = (side: CellsConfig | undefined, name: string) => side?.cells.find((c) => c.name === name);
  const unknown = selection.cells.filter((name) => !known(base, name) && !known(head, name));
  if (unknown.length > 0) throw new SelectionError(`--cells: no cell ${unknown.join(", ")} in ${CELLS_FILE} at base or head (known: ${[...new Set([...(base?.cells ?? []), ...(head?.cells ?? [])].map((c) => c.name))].join(", ")})`);
  const stacks: ComparedStack[] = [];
  if (selection.platform) stacks.push({ label: "platform", stack: (head ?? base)!.platformStack, dir: "platform" });
  for (const name of selection.cells) stacks.push({ label: `cell ${name}`, stack: (known(head, name) ?? known(base, name))!.stack, dir: cellDir(name) });
  return stacks;
}

/**
 * The renders of one revision, in order (each phase after the one before; the renders of a phase
 * are independent): every cell's identity, the platform, the compared cells that exist here.
 * Nothing when the revision has no cells (the compared stacks do not exist there).
 */
export function renderPhases(compared: readonly ComparedStack[], cells: CellsConfig | undefined): RenderStep[][] {
  if (!cells) return [];
  const platform = compared.find((s) => s.dir === "platform");
  const here = compared.filter((s) => s.dir !== "platform" && cells.cells.some((c) => cellDir(c.name) === s.dir));
  return [
    cells.cells.map((c) => ({ args: ["--cell", c.name], dir: cellDir(c.name), what: `cell ${c.name} (identity)` })),
    [{ args: ["--platform"], dir: "platform", compared: platform, what: "platform" }],
    here.map((s) => ({ args: ["--cell", s.dir.slice("cells/".length)], dir: s.dir, compared: s, what: s.label })),
  ].filter((phase) => phase.length > 0);
}
