/**
 * The cells file (cells/cells.yaml): which stacks hold the fleet. A cell is a stack that declares
 * only the tenants whose file names it; the platform stack declares what they share. Without the
 * file, one stack holds the platform and every tenant.
 */
import type { ValidateFunction } from "ajv";
import type { Problem } from "./problems";
import { CellsFileSchema, type CellsFile } from "./schema";
import { compileSchema, schemaProblems } from "./schema-check";
import { parseYaml, type SourceFile } from "./yaml";

export interface CellModel {
  name: string;
  /** Its stack, as a StackReference names it. */
  stack: string;
}

export interface CellsModel {
  /** The file, for messages. */
  file: string;
  platformStack: string;
  defaultCell: string;
  /** In the file's order. */
  cells: CellModel[];
}

let validator: ValidateFunction | undefined;

/** Validates the cells file; returns the cells, or undefined when the file is bad. */
export function validateCells(source: SourceFile, problems: Problem[]): CellsModel | undefined {
  const before = problems.length;
  const data = parseYaml(source, problems);
  if (data === undefined) return undefined;
  validator ??= compileSchema(CellsFileSchema);
  if (!validator(data)) {
    problems.push(...schemaProblems(source.file, validator.errors ?? []));
    return undefined;
  }
  const f = data as CellsFile;
  const names = new Map<string, number>();
  const stacks = new Map<string, string>([[f.platform.stack, "platform.stack"]]);
  f.cells.forEach((c, i) => {
    if (names.has(c.name)) problems.push({ file: source.file, path: `cells[${i}].name`, rule: `duplicate cell "${c.name}" (also cells[${names.get(c.name)}])` });
    else names.set(c.name, i);
    const owner = stacks.get(c.stack);
    if (owner) problems.push({ file: source.file, path: `cells[${i}].stack`, rule: `stack "${c.stack}" is already ${owner}'s: every cell has a stack of its own` });
    else stacks.set(c.stack, `cells[${i}]`);
  });
  if (!names.has(f.defaultCell)) problems.push({ file: source.file, path: "defaultCell", rule: `no cell "${f.defaultCell}" in cells (known: ${[...names.keys()].join(", ")})` });
  if (problems.length > before) return undefined;
  return { file: source.file, platformStack: f.platform.stack, defaultCell: f.defaultCell, cells: f.cells.map((c) => ({ name: c.name, stack: c.stack })) };
}

/** A tenant file's cell: what it names, or the default. */
export const cellOf = (cells: CellsModel, named: string | undefined) => named ?? cells.defaultCell;

/**
 * The cell a tenant file names on a top-level `cell:` line, read without parsing the file (a cell's
 * stack must not parse the whole fleet to find its own files). A file that names its cell any other
 * way is read as the default cell's, where validation refuses it.
 */
export function cellLine(text: string): string | undefined {
  const m = /^cell:[ \t]*(["']?)([a-z0-9-]+)\1[ \t]*(#.*)?$/m.exec(text);
  return m?.[2];
}
