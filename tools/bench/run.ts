/**
 * How the bench runs the real thing: each sample and each fleet render in a fresh process with the
 * engine's node flags (the offline engine runs once per process, and a fresh process is what CI
 * pays), and the hub capacity a set of tenant files needs, read through the program's own loader.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CONFIG_KEYS } from "../../config/keys";
import { ENGINE_NODE_FLAGS, stackConfig } from "../../engine/offline";
import { tenantHubShare, type TenantHubShare } from "../../model/hub-capacity";
import { loadTenants } from "../../model/load";
import type { SampleJob, SampleResult } from "../bench-sample";
import { hubCapacityConfig, hubCapacityNeed, type HubCapacityNeed } from "./fleet";

export const REPO = path.resolve(__dirname, "..", "..");

/** Runs a TypeScript tool of this repository in a fresh process; returns its stdout. */
export function runTool(script: string, args: string[]): string {
  try {
    return execFileSync(process.execPath, [...ENGINE_NODE_FLAGS, "--import", "tsx", path.join(REPO, script), ...args], { cwd: REPO, encoding: "utf8", maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${script} ${args.join(" ")}: ${(e.stderr ?? "").trim() || e.message}`);
  }
}

/** One sample (tools/bench-sample.ts) in its own process, with the time the process took overall. */
export function runSample(job: SampleJob, scratch: string): SampleResult & { processSeconds: number } {
  const file = path.join(scratch, "sample-job.json");
  fs.writeFileSync(file, JSON.stringify(job));
  const started = Date.now();
  const out = runTool("tools/bench-sample.ts", [file]);
  const processSeconds = (Date.now() - started) / 1000;
  return { ...(JSON.parse(out.trim().split("\n").pop()!) as SampleResult), processSeconds };
}

/**
 * The hub capacity the tenant files need, each cell checking its even share (one group without a
 * cells file), with the platform's reserve as the dev stack sets it.
 */
export function hubCapacityFor(tenantsDir: string, cellsFile?: string): { need: HubCapacityNeed; config: Record<string, string> } {
  const { tenants, cells } = loadTenants({ tenantsDir, plansFile: path.join(REPO, "plans", "plans.yaml"), relativeTo: REPO, ...(cellsFile ? { cellsFile } : {}) });
  const groups = new Map<string, TenantHubShare[]>();
  for (const tenant of tenants) {
    const cell = tenant.cell ?? "";
    if (cellsFile && !tenant.cell) throw new Error(`${tenant.slug}: no cell after loading with ${cellsFile}`);
    if (!groups.has(cell)) groups.set(cell, []);
    groups.get(cell)!.push(tenantHubShare(tenant));
  }
  const reserve = Number(stackConfig("dev", REPO)["tenancy:natsHubPlatformConnections"] ?? CONFIG_KEYS.natsHubPlatformConnections.default);
  const need = hubCapacityNeed([...groups.values()], reserve, cells?.cells.length ?? 1);
  return { need, config: hubCapacityConfig(need) };
}

export function machineLine(): string {
  return `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

export const GiB = (n: number) => `${(n / 2 ** 30).toFixed(0)} GiB`;
