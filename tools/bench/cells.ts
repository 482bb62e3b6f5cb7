/**
 * The bench of a fleet split into cells (--cell-size): the whole fleet rendered as CI would run it
 * (`npm run render -- --all-cells`: cells' identities, the platform, then the cells, in parallel
 * processes), then one full cell sampled alone as a one-tenant pull request previews it — its own
 * process, with the cell's config, the other stacks' outputs from that render as its
 * StackReferences read them, and its own as its last update's. What must not grow with the fleet
 * is that one cell.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RenderSummary } from "../../engine/render";
import { outputsIn } from "../stack-outputs";
import { writeSyntheticTenants } from "../synthetic-tenants";
import { blockAssignment, cellName, cellsFileText, cellStack, PLATFORM_STACK, tenantResourcesByType } from "./fleet";
import { GiB, hubCapacityFor, runSample, runTool } from "./run";

export interface CellFleetRow {
  tenants: number;
  cells: number;
  /** One full cell rendered alone (bench-sample.ts): program start to last registration, render included. */
  cell: { name: string; tenants: number; resources: number; kubernetesObjects: number; wallSeconds: number; processSeconds: number; peakRssMiB: number };
  /** The whole fleet, `render --all-cells`, as one process tree from start to finish. */
  fleet: { wallSeconds: number; parallelism: number; stacks: number };
  /** Resources of every cell stack over the tenants (cells' own identities included). */
  resourcesPerTenant: number;
  /** What the tenants' components declare, by resource type, over the tenants. */
  tenantResourcesByType: Record<string, number>;
  /** A one-tenant pull request previews that tenant's cell (and nothing else). */
  pullRequestPreview: { stack: string; resources: number };
  platform: { stack: string; resources: number; kubernetesObjects: number };
  hubCapacity: Record<string, string>;
  /** The machine's 1-minute load average before the fleet render and before the cell's (others share it). */
  loadAverage: { fleet: number; cell: number };
}

const readSummary = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, "summary.json"), "utf8")) as RenderSummary;

export function cellFleetBench(counts: number[], cellSize: number): { rows: CellFleetRow[] } {
  const rows: CellFleetRow[] = [];
  for (const n of counts) {
    const { cellCount, cellOf } = blockAssignment(n, cellSize);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), `tenancy-bench-cells-${n}-`));
    try {
      rows.push(fleetRow(work, n, cellCount, cellOf));
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  printTable(rows, cellSize);
  return { rows };
}

function fleetRow(work: string, n: number, cellCount: number, cellOf: (i: number) => string): CellFleetRow {
  const tenantsDir = path.join(work, "tenants");
  const cellsFile = path.join(work, "cells.yaml");
  const out = path.join(work, "out");
  writeSyntheticTenants(tenantsDir, n, cellOf);
  fs.writeFileSync(cellsFile, cellsFileText(cellCount));
  const { need, config } = hubCapacityFor(tenantsDir, cellsFile);
  console.log(
    `${n} tenants in ${cellCount} cells: hub capacity set to ${need.maxConnections} connections, ${GiB(need.fileStore)} file store, ${GiB(need.memoryStore)} memory store per server ` +
      `(${cellCount} even shares, each holding the fullest cell's ${need.largestCell.connections} connections, ${GiB(need.largestCell.fileStore)} file, ${GiB(need.largestCell.memoryStore)} memory)`,
  );

  // The fleet, as `npm run render -- --all-cells` renders it.
  const configArgs = Object.entries(config).flatMap(([k, v]) => ["--config", `${k}=${v}`]);
  const fleetLoad = os.loadavg()[0]!;
  const started = Date.now();
  const printed = runTool("tools/render.ts", ["--all-cells", "--tenants", tenantsDir, "--cells-file", cellsFile, "--out", out, ...configArgs]);
  const fleetSeconds = (Date.now() - started) / 1000;
  const parallelism = Number(/\((\d+) at a time\)/.exec(printed)?.[1]);
  if (!Number.isInteger(parallelism)) throw new Error(`render --all-cells did not say how many cells it ran at a time:\n${printed}`);

  const platformDir = path.join(out, "platform");
  const cellDirs = Array.from({ length: cellCount }, (_, i) => path.join(out, "cells", cellName(i)));
  const platform = readSummary(platformDir);
  const cellSummaries = cellDirs.map(readSummary);
  const cellResources = cellSummaries.reduce((sum, s) => sum + s.resources, 0);
  const byType: Record<string, number> = {};
  for (const dir of cellDirs) tenantResourcesByType(fs.readFileSync(path.join(dir, "resources.yaml"), "utf8"), byType);
  // The two readings of the render must agree: the summary's per-tenant counts and the URNs by type.
  const tenantTotal = cellSummaries.reduce((sum, s) => sum + Object.values(s.tenants).reduce((a, t) => a + t.resources, 0), 0);
  const typedTotal = Object.values(byType).reduce((a, b) => a + b, 0);
  if (tenantTotal !== typedTotal) throw new Error(`tenants' resources: ${tenantTotal} in the summaries, ${typedTotal} in resources.yaml`);
  const tenantsRendered = cellSummaries.reduce((sum, s) => sum + Object.keys(s.tenants).length, 0);
  if (tenantsRendered !== n) throw new Error(`${n} tenant files, ${tenantsRendered} tenants rendered over the cells`);

  const sampled = cellName(0);
  // A pull request previews a cell that has run: its lifecycle guard reads what the cell's last
  // update left (the fleet render's), so only a tenant new to the cell is looked for in the others.
  const previousOutputsFile = path.join(work, "previous-outputs.json");
  fs.writeFileSync(previousOutputsFile, JSON.stringify(outputsIn(cellDirs[0]!)));
  const cellLoad = os.loadavg()[0]!;
  const cell = runSample(
    {
      config: { "tenancy:tenantsDir": tenantsDir, "tenancy:cellsFile": cellsFile, "tenancy:stackRole": "cell", "tenancy:cell": sampled, ...config },
      stack: cellStack(sampled),
      // The other stacks' outputs as the render left them, read as the cell's StackReferences ask.
      fleet: { outDir: out, cellsFile },
      previousOutputsFile,
    },
    work,
  );
  const rendered = cellSummaries[0]!;
  // The sample is the same stack the fleet render wrote: same resources, same objects.
  if (cell.resources !== rendered.resources || cell.kubernetesObjects !== rendered.kubernetesObjects) {
    throw new Error(`cell ${sampled}: the sample declared ${cell.resources} resources (${cell.kubernetesObjects} objects), the fleet render ${rendered.resources} (${rendered.kubernetesObjects})`);
  }
  return {
    tenants: n,
    cells: cellCount,
    cell: { name: sampled, tenants: Object.keys(rendered.tenants).length, resources: cell.resources, kubernetesObjects: cell.kubernetesObjects, wallSeconds: cell.wallMs / 1000, processSeconds: cell.processSeconds, peakRssMiB: cell.peakRssMiB },
    fleet: { wallSeconds: fleetSeconds, parallelism, stacks: cellCount + 1 },
    resourcesPerTenant: cellResources / n,
    tenantResourcesByType: Object.fromEntries(Object.keys(byType).sort().map((t) => [t, byType[t]! / n])),
    pullRequestPreview: { stack: cellStack(sampled), resources: rendered.resources },
    platform: { stack: PLATFORM_STACK, resources: platform.resources, kubernetesObjects: platform.kubernetesObjects },
    hubCapacity: config,
    loadAverage: { fleet: Number(fleetLoad.toFixed(2)), cell: Number(cellLoad.toFixed(2)) },
  };
}

function printTable(rows: CellFleetRow[], cellSize: number): void {
  console.log(`\ncell size ${cellSize}; one cell = ${rows[0]?.cell.name ?? "c0"} rendered alone after the fleet; fleet = render --all-cells (cells' identities, platform, cells)`);
  console.log("tenants  cells  cell tenants  cell resources  cell wall (s)  cell RSS (MiB)  fleet wall (s)  parallel  resources/tenant  PR preview  platform  load (fleet/cell)");
  for (const r of rows) {
    console.log(
      `${String(r.tenants).padStart(7)}  ${String(r.cells).padStart(5)}  ${String(r.cell.tenants).padStart(12)}  ${String(r.cell.resources).padStart(14)}  ${r.cell.wallSeconds.toFixed(2).padStart(13)}  ${r.cell.peakRssMiB.toFixed(0).padStart(14)}  ${r.fleet.wallSeconds.toFixed(1).padStart(14)}  ${String(r.fleet.parallelism).padStart(8)}  ${r.resourcesPerTenant.toFixed(2).padStart(16)}  ${String(r.pullRequestPreview.resources).padStart(10)}  ${String(r.platform.resources).padStart(8)}  ${r.loadAverage.fleet.toFixed(1)}/${r.loadAverage.cell.toFixed(1)}`,
    );
  }
  const first = rows[0];
  for (const r of rows.slice(1)) {
    console.log(`one cell, ${first!.tenants} → ${r.tenants} tenants: ×${(r.cell.wallSeconds / first!.cell.wallSeconds).toFixed(2)} time, ×${(r.cell.peakRssMiB / first!.cell.peakRssMiB).toFixed(2)} peak RSS (goal ≤ ×1.2)`);
  }
  for (const r of rows) {
    const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
    console.log(
      `${r.tenants} tenants: one cell ${r.cell.wallSeconds.toFixed(2)} s ≤ 10 s ${verdict(r.cell.wallSeconds <= 10)}, ${r.cell.peakRssMiB.toFixed(0)} MiB ≤ 1024 MiB ${verdict(r.cell.peakRssMiB <= 1024)}` +
        (r.tenants >= 10000 ? `; fleet ${r.fleet.wallSeconds.toFixed(0)} s ≤ 900 s ${verdict(r.fleet.wallSeconds <= 900)}` : ""),
    );
  }
  const last = rows[rows.length - 1];
  if (!last) return;
  console.log(`\nresources of the average tenant by type (${last.tenants} tenants; ${Object.values(last.tenantResourcesByType).reduce((a, b) => a + b, 0).toFixed(2)} in all, cells' own resources apart):`);
  for (const [type, perTenant] of Object.entries(last.tenantResourcesByType)) console.log(`  ${perTenant.toFixed(2).padStart(6)}  ${type}`);
}
