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
  /** With cells: the stack it belongs to ("platform", "cell b"); `file` is then under that stack's directory. */
  stack?: string;
}

/** With cells: one compared stack's totals. */
export interface StackSummary {
  /** "platform" or "cell <name>". */
  label: string;
  /** Its Pulumi stack's name (cells/cells.yaml). */
  stack: string;
  /** Where its files are in the report: platform/…, cells/<name>/…. */
  dir: string;
  /** False at a side where the stack does not exist (a cell added or removed by the change). */
  atBase: boolean;
  atHead: boolean;
  baseFiles: number;
  headFiles: number;
  unchanged: number;
  counts: Counts;
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
  /** With cells: the stacks compared, in order (the platform first); files are under their directories. */
  stacks?: StackSummary[];
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

/**
 * With cells: each stack's trees compared on their own (a tenant's namespaces are found within its
 * stack), its files put under the stack's directory, in the order of `stacks`.
 */
export function compareStacks(
  stacks: readonly { label: string; stack: string; dir: string }[],
  base: Map<string, Map<string, string>>,
  head: Map<string, Map<string, string>>,
): { files: FileDiff[]; unchanged: number; summaries: StackSummary[]; baseFiles: number; headFiles: number } {
  const files: FileDiff[] = [];
  const summaries: StackSummary[] = [];
  for (const s of stacks) {
    const before = base.get(s.dir) ?? new Map<string, string>();
    const after = head.get(s.dir) ?? new Map<string, string>();
    const compared = compareTrees(before, after);
    files.push(...compared.files.map((f) => ({ ...f, file: `${s.dir}/${f.file}`, stack: s.label })));
    summaries.push({ ...s, atBase: base.has(s.dir), atHead: head.has(s.dir), baseFiles: before.size, headFiles: after.size, unchanged: compared.unchanged, counts: countByTenant(compared.files).total });
  }
  const sum = (key: "unchanged" | "baseFiles" | "headFiles") => summaries.reduce((n, s) => n + s[key], 0);
  return { files, unchanged: sum("unchanged"), summaries, baseFiles: sum("baseFiles"), headFiles: sum("headFiles") };
}
