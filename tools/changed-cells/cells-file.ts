/**
 * A minimal reader of cells/cells.yaml for tools/changed-cells.ts: only what the CI needs (the
 * platform stack, the default cell, each cell's name and stack). The program's own loader and the
 * JSON Schema (schema/cells.schema.json) are the reference; this one refuses what the CI cannot
 * use safely — names that are not plain identifiers end up in job outputs and command lines.
 */
import { parseYaml } from "../../model/yaml";
import type { Problem } from "../../model/problems";

export const CELLS_FILE = "cells/cells.yaml";

/** The platform stack's name when cells/cells.yaml names none. */
export const DEFAULT_PLATFORM_STACK = "platform";

export interface Cell {
  name: string;
  stack: string;
}

export interface CellsConfig {
  platformStack: string;
  /** The cell of a tenant file that names none; undefined when the file names no default. */
  defaultCell?: string;
  cells: Cell[];
}

export class CellsFileError extends Error {}

/** Cell and stack names: they become job outputs, matrix values and `--cells a,b` arguments. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * cells/cells.yaml's text (undefined: the file is absent) → its cells, or undefined when there are
 * none (one stack holds the platform and every tenant). `where` names the revision in messages.
 */
export function parseCellsFile(text: string | undefined, where: string): CellsConfig | undefined {
  if (text === undefined) return undefined;
  const fail = (message: string): never => {
    throw new CellsFileError(`${CELLS_FILE} at ${where}: ${message}`);
  };
  const problems: Problem[] = [];
  const doc = parseYaml({ file: CELLS_FILE, text }, problems);
  if (problems.length > 0) fail(problems.map((p) => p.rule).join("; "));
  if (doc === null || doc === undefined) return undefined;
  if (!isRecord(doc)) fail("not a mapping");
  const data = doc as Record<string, unknown>;
  if (data.cells === undefined || data.cells === null) return undefined;
  if (!Array.isArray(data.cells)) fail("cells: not a list");
  const list = data.cells as unknown[];
  if (list.length === 0) return undefined;

  const cells: Cell[] = list.map((entry, i) => {
    if (!isRecord(entry)) return fail(`cells[${i}]: not a mapping`);
    const { name, stack } = entry;
    if (typeof name !== "string" || !NAME.test(name)) return fail(`cells[${i}].name: ${JSON.stringify(name)} is not a name (${NAME.source})`);
    if (typeof stack !== "string" || !NAME.test(stack)) return fail(`cells[${i}].stack: ${JSON.stringify(stack)} is not a stack name (${NAME.source})`);
    return { name, stack };
  });

  let platformStack = DEFAULT_PLATFORM_STACK;
  if (data.platform !== undefined) {
    if (!isRecord(data.platform)) fail("platform: not a mapping");
    const stack = (data.platform as Record<string, unknown>).stack;
    if (stack !== undefined) {
      if (typeof stack !== "string" || !NAME.test(stack)) fail(`platform.stack: ${JSON.stringify(stack)} is not a stack name (${NAME.source})`);
      platformStack = stack as string;
    }
  }

  const names = new Set<string>();
  const stacks = new Set<string>([platformStack]);
  for (const cell of cells) {
    if (names.has(cell.name)) fail(`cell ${cell.name} is listed twice`);
    if (stacks.has(cell.stack)) fail(`stack ${cell.stack} (cell ${cell.name}) is used twice`);
    names.add(cell.name);
    stacks.add(cell.stack);
  }

  let defaultCell: string | undefined;
  if (data.defaultCell !== undefined && data.defaultCell !== null) {
    if (typeof data.defaultCell !== "string" || !names.has(data.defaultCell)) fail(`defaultCell: ${JSON.stringify(data.defaultCell)} is not one of the cells`);
    defaultCell = data.defaultCell as string;
  }
  return { platformStack, defaultCell, cells };
}
