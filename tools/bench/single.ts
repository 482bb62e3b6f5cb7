/**
 * The single-stack bench (no --cell-size): every synthetic tenant and the platform in one stack, as
 * a fleet without cells is; the hub sized to hold them all, as such a stack would have to be.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeSyntheticTenants } from "../synthetic-tenants";
import { GiB, hubCapacityFor, runSample } from "./run";

export interface SingleStackRow {
  tenants: number;
  resources: number;
  kubernetesObjects: number;
  wallSeconds: number;
  processSeconds: number;
  peakRssMiB: number;
  natsHubConfigBytes: number | null;
  hubCapacity: Record<string, string>;
}

export function singleStackBench(counts: number[]): { rows: SingleStackRow[] } {
  const rows: SingleStackRow[] = [];
  const table: string[] = [];
  for (const n of counts) {
    const dir = path.join(os.tmpdir(), `tenancy-bench-${n}`);
    writeSyntheticTenants(dir, n);
    const { need, config } = hubCapacityFor(dir);
    console.log(`${n} tenants: hub capacity set to ${need.maxConnections} connections, ${GiB(need.fileStore)} file store, ${GiB(need.memoryStore)} memory store per server (what they promise)`);
    const r = runSample({ config: { "tenancy:tenantsDir": dir, ...config } }, os.tmpdir());
    fs.rmSync(dir, { recursive: true, force: true });
    rows.push({ tenants: n, resources: r.resources, kubernetesObjects: r.kubernetesObjects, wallSeconds: r.wallMs / 1000, processSeconds: r.processSeconds, peakRssMiB: r.peakRssMiB, natsHubConfigBytes: r.natsHubConfigBytes ?? null, hubCapacity: config });
    table.push(
      `${String(n).padStart(7)}  ${String(r.resources).padStart(9)}  ${String(r.kubernetesObjects).padStart(11)}  ${(r.wallMs / 1000).toFixed(2).padStart(9)}  ${r.processSeconds.toFixed(2).padStart(11)}  ${r.peakRssMiB.toFixed(0).padStart(14)}  ${((r.wallMs * 1000) / r.resources).toFixed(0).padStart(11)}  ${((r.natsHubConfigBytes ?? 0) / 1024).toFixed(0).padStart(16)}`,
    );
  }
  console.log("tenants  resources  k8s objects   wall (s)  process (s)  peak RSS (MiB)  µs/resource  hub config (KiB)");
  for (const line of table) console.log(line);
  for (let i = 1; i < rows.length; i++) {
    const ratio = rows[i]!.wallSeconds / rows[i - 1]!.wallSeconds;
    console.log(`growth ${rows[i - 1]!.tenants} → ${rows[i]!.tenants}: ×${ratio.toFixed(2)} time for ×${(rows[i]!.tenants / rows[i - 1]!.tenants).toFixed(1)} tenants`);
  }
  return { rows };
}
