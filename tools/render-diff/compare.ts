/**
 * Two manifest trees compared file by file (line diffs), and the counts per tenant: the one result
 * every report format writes out, so that the formats cannot disagree on what changed.
 */
import { diffLines, diffStat, splitLines, unifiedHunks, type DiffStat } from "./line-diff";
import { PLATFORM, namespaceTenants, tenantOfManifest } from "./manifests";
import type { RenderSettings } from "./render-pair";

export type FileStatus = "added" | "removed" | "changed";

export interface FileDiff {
  /** `manifests/<namespace>/<kind>-<name>.yaml` */
  file: string;
  status: FileStatus;
  /** The tenant the object belongs to, or PLATFORM. */
  tenant: string;
  stat: DiffStat;
  /** Unified-diff hunk lines (`@@ … @@`, then ` `/`-`/`+` lines). */
  hunks: string[];
}

export interface RenderDiff {
  base: string;
  head: string;
  settings: RenderSettings;
  baseFiles: number;
  headFiles: number;
  unchanged: number;
  files: FileDiff[];
  notes: string[];
}

/** Compares two manifest trees file by file; the result is sorted by path. */
export function compareTrees(base: Map<string, string>, head: Map<string, string>, context = 3): { files: FileDiff[]; unchanged: number } {
  const namespaces = namespaceTenants([base, head]);
  const paths = [...new Set([...base.keys(), ...head.keys()])].sort();
  const files: FileDiff[] = [];
  let unchanged = 0;
  for (const file of paths) {
    const before = base.get(file);
    const after = head.get(file);
    if (before === after) {
      unchanged++;
      continue;
    }
    const status: FileStatus = before === undefined ? "added" : after === undefined ? "removed" : "changed";
    const edits = diffLines(splitLines(before ?? ""), splitLines(after ?? ""));
    files.push({ file, status, tenant: tenantOfManifest((after ?? before)!, namespaces), stat: diffStat(edits), hunks: unifiedHunks(edits, context) });
  }
  return { files, unchanged };
}

export interface Counts {
  added: number;
  removed: number;
  changed: number;
}

/** Added/removed/changed files in total and per tenant (tenants sorted, PLATFORM last). */
export function countByTenant(files: readonly FileDiff[]): { total: Counts; tenants: [string, Counts][] } {
  const total: Counts = { added: 0, removed: 0, changed: 0 };
  const tenants = new Map<string, Counts>();
  for (const f of files) {
    total[f.status]++;
    let counts = tenants.get(f.tenant);
    if (!counts) tenants.set(f.tenant, (counts = { added: 0, removed: 0, changed: 0 }));
    counts[f.status]++;
  }
  const order = (t: string) => (t === PLATFORM ? `~${t}` : t);
  return { total, tenants: [...tenants].sort(([a], [b]) => (order(a) < order(b) ? -1 : 1)) };
}
