/**
 * The other stacks' outputs an offline render of a fleet with cells reads through its
 * StackReferences, from an out directory laid out as `render` writes it (platform/, cells/<name>/,
 * each with its outputs.yaml). A stack's outputs are parsed when a StackReference first asks for
 * them, not before: a cell's render then reads the stacks it looks at (the platform's, and another
 * cell's only when the lifecycle guard needs it), not the whole fleet's — which would grow with it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { PROJECT } from "../engine/offline";
import { validateCells, type CellsModel } from "../model/cells";
import { ValidationError, type Problem } from "../model/problems";

/** The cells file a tool renders (or samples) a fleet by; throws its problems. */
export function readCellsFile(file: string): CellsModel {
  if (!fs.existsSync(file)) throw new Error(`${file}: no cells file, so no cells to render (a plain \`npm run render\` renders the one stack)`);
  const problems: Problem[] = [];
  const cells = validateCells({ file, text: fs.readFileSync(file, "utf8") }, problems);
  if (!cells) throw new ValidationError(problems);
  return cells;
}

/** How the offline engine's StackReferences name a stack (`tenancy:stackReferencePrefix` unset). */
export const referenceName = (stack: string) => `organization/${PROJECT}/${stack}`;

/** The outputs a render left in `dir` ({} for a stack that exists and never ran). */
export function outputsIn(dir: string): Record<string, unknown> {
  const file = path.join(dir, "outputs.yaml");
  return fs.existsSync(file) ? ((parseYaml(fs.readFileSync(file, "utf8")) as Record<string, unknown> | null) ?? {}) : {};
}

/** Each stack of the fleet's directory under `out`, by its StackReference name. */
function stackDirs(cells: CellsModel, out: string): [string, string][] {
  return [[referenceName(cells.platformStack), path.join(out, "platform")], ...cells.cells.map((c): [string, string] => [referenceName(c.stack), path.join(out, "cells", c.name)])];
}

/** Every stack of the fleet as a StackReference names it, with what its last render in `out` left, read on first use. */
export function fleetOutputs(cells: CellsModel, out: string): Record<string, Record<string, unknown>> {
  const outputs: Record<string, Record<string, unknown>> = {};
  for (const [name, dir] of stackDirs(cells, out)) {
    let read: Record<string, unknown> | undefined;
    Object.defineProperty(outputs, name, { enumerable: true, get: () => (read ??= outputsIn(dir)) });
  }
  return outputs;
}

/** Copies what every stack's last render in `out` left into `into`, laid out the same (a pass's fixed view while others write `out`). */
export function snapshotOutputs(cells: CellsModel, out: string, into: string): void {
  for (const [, dir] of stackDirs(cells, out)) {
    const file = path.join(dir, "outputs.yaml");
    if (!fs.existsSync(file)) continue;
    const copy = path.join(into, path.relative(out, dir));
    fs.mkdirSync(copy, { recursive: true });
    fs.copyFileSync(file, path.join(copy, "outputs.yaml"));
  }
}
