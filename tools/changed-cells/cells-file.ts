/**
 * cells/cells.yaml for tools/changed-cells.ts, read with the program's own validator
 * (model/cells.ts, schema/cells.schema.json): the CI computes the stacks from exactly what the
 * stacks will read. A file that is absent, empty or lists no cell means one stack holds everything.
 */
import { validateCells } from "../../model/cells";
import { formatProblem, type Problem } from "../../model/problems";
import { parseYaml } from "../../model/yaml";

export const CELLS_FILE = "cells/cells.yaml";

export interface Cell {
  name: string;
  stack: string;
}

export interface CellsConfig {
  platformStack: string;
  /** The cell of a tenant file that names none. */
  defaultCell?: string;
  cells: Cell[];
}

export class CellsFileError extends Error {}

/** The file's text (undefined: absent) → its cells, or undefined when it has none. `where` names the revision. */
export function parseCellsFile(text: string | undefined, where: string): CellsConfig | undefined {
  if (text === undefined) return undefined;
  const problems: Problem[] = [];
  const doc = parseYaml({ file: `${CELLS_FILE} at ${where}`, text }, problems) as { cells?: unknown } | null | undefined;
  if (problems.length > 0) throw new CellsFileError(problems.map(formatProblem).join("; "));
  if (doc === null || doc === undefined) return undefined;
  // A mapping without cells is one stack; anything else (a list, a scalar) is the validator's to refuse.
  const mapping = typeof doc === "object" && !Array.isArray(doc);
  if (mapping && (doc.cells === undefined || doc.cells === null || (Array.isArray(doc.cells) && doc.cells.length === 0))) return undefined;
  const cells = validateCells({ file: `${CELLS_FILE} at ${where}`, text }, problems);
  if (!cells) throw new CellsFileError(problems.map(formatProblem).join("; "));
  return { platformStack: cells.platformStack, defaultCell: cells.defaultCell, cells: cells.cells };
}
