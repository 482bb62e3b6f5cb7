/**
 * npm run bench -- --tenants 100,1000,2000 [--cell-size 100]
 * For each N, writes N synthetic tenants and renders them through the offline engine in fresh
 * processes. Without --cell-size: one stack holding every tenant (wall time from program start to
 * last registration, render included; peak RSS; resources; process start-up apart). With it: a fleet
 * of ⌈N / size⌉ cells (tools/bench/cells.ts): one cell's time and memory, the whole fleet's render
 * in parallel, resources per tenant and what a one-tenant pull request previews. Ends with one line
 * of JSON holding the figures, for scripts.
 */
import * as os from "node:os";
import { parseArgs } from "node:util";
import { cellFleetBench } from "./bench/cells";
import { machineLine } from "./bench/run";
import { singleStackBench } from "./bench/single";

const { values } = parseArgs({ options: { tenants: { type: "string", default: "100,1000,2000" }, "cell-size": { type: "string" } } });
const counts = values.tenants!.split(",").map(Number);
if (counts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--tenants: expected positive whole numbers separated by commas, got ${JSON.stringify(values.tenants)}`);
console.log(machineLine());
const machine = { cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version };
if (values["cell-size"] === undefined) {
  const { rows } = singleStackBench(counts);
  console.log(JSON.stringify({ bench: "single-stack", machine, fleets: rows }));
} else {
  const cellSize = Number(values["cell-size"]);
  const { rows } = cellFleetBench(counts, cellSize);
  console.log(JSON.stringify({ bench: "cells", cellSize, machine, fleets: rows }));
}
