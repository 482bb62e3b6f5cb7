/**
 * npm run bench -- --tenants 100,1000,2000
 * For each N: writes N synthetic tenants, evaluates the program in the offline engine in a fresh
 * process, and prints wall time (program start to last registration, render included), peak RSS
 * and resources declared. Process start-up and module loading are reported separately.
 */
import { execFileSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ENGINE_NODE_FLAGS } from "../engine/offline";
import { writeSyntheticTenants } from "./synthetic-tenants";

const { values } = parseArgs({ options: { tenants: { type: "string", default: "100,1000,2000" } } });
const counts = values.tenants!.split(",").map(Number);
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`);
console.log("tenants  resources  k8s objects   wall (s)  process (s)  peak RSS (MiB)  µs/resource  hub config (KiB)");
const rows: { n: number; wall: number }[] = [];
for (const n of counts) {
  const dir = path.join(os.tmpdir(), `tenancy-bench-${n}`);
  writeSyntheticTenants(dir, n);
  const started = Date.now();
  const out = execFileSync(process.execPath, [...ENGINE_NODE_FLAGS, "--import", "tsx", path.join(__dirname, "bench-sample.ts"), dir], {
    cwd: path.resolve(__dirname, ".."),
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  const processSeconds = (Date.now() - started) / 1000;
  const r = JSON.parse(out.trim().split("\n").pop()!);
  rows.push({ n, wall: r.wallMs / 1000 });
  console.log(
    `${String(n).padStart(7)}  ${String(r.resources).padStart(9)}  ${String(r.kubernetesObjects).padStart(11)}  ${(r.wallMs / 1000).toFixed(2).padStart(9)}  ${processSeconds.toFixed(2).padStart(11)}  ${r.peakRssMiB.toFixed(0).padStart(14)}  ${((r.wallMs * 1000) / r.resources).toFixed(0).padStart(11)}  ${(r.natsHubConfigBytes / 1024).toFixed(0).padStart(16)}`,
  );
}
for (let i = 1; i < rows.length; i++) {
  const ratio = rows[i].wall / rows[i - 1].wall;
  console.log(`growth ${rows[i - 1].n} → ${rows[i].n}: ×${ratio.toFixed(2)} time for ×${(rows[i].n / rows[i - 1].n).toFixed(1)} tenants`);
}
