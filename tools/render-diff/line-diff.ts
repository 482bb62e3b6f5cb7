/**
 * A line diff (Myers' O(ND) algorithm) and unified-diff hunks, in plain TypeScript so the render
 * diff needs neither GNU diffutils nor git on the machine that formats it. Used by the render
 * diff only (compare.ts).
 */

export type EditOp = "equal" | "delete" | "insert";

export interface Edit {
  op: EditOp;
  /** The line with its terminator ("\n"), or without one if it is the last line of a text that has none. */
  line: string;
}

/**
 * Splits a text into lines that keep their "\n", so a last line without a newline differs from the
 * same line with one (as diff(1) treats it).
 */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * Above this many differences the edit trace would cost O(D²) memory; a file that different is
 * reported as rewritten (every old line deleted, every new line inserted), which is still a correct
 * diff, only not a minimal one.
 */
export const MAX_EDIT_DISTANCE = 4000;

/** The shortest edit script turning `a` into `b` (lines compared exactly). */
export function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  // Common prefix and suffix cost nothing to match and keep the search small.
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  const middleA = a.slice(prefix, a.length - suffix);
  const middleB = b.slice(prefix, b.length - suffix);
  return [
    ...a.slice(0, prefix).map((line): Edit => ({ op: "equal", line })),
    ...myers(middleA, middleB),
    ...a.slice(a.length - suffix).map((line): Edit => ({ op: "equal", line })),
  ];
}

/**
 * Myers (1986), "An O(ND) Difference Algorithm and Its Variations": greedy furthest-reaching
 * D-paths, then a walk back through the saved frontiers. On a tie the deletion is taken first, so a
 * replaced block reads as its old lines, then its new ones, as diff(1) prints it.
 */
function myers(a: readonly string[], b: readonly string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  if (n === 0) return b.map((line) => ({ op: "insert", line }));
  if (m === 0) return a.map((line) => ({ op: "delete", line }));
  // frontier[d] holds, for diagonals k = -d..d, the furthest x reached with d edits.
  const frontiers: Int32Array[] = [];
  let previous = new Int32Array(0);
  const at = (row: Int32Array, d: number, k: number) => row[k + d];
  for (let d = 0; d <= Math.min(n + m, MAX_EDIT_DISTANCE); d++) {
    const row = new Int32Array(2 * d + 1);
    for (let k = -d; k <= d; k += 2) {
      const prevD = d - 1;
      let x: number;
      if (d === 0) x = 0;
      else if (k === -d || (k !== d && at(previous, prevD, k - 1) < at(previous, prevD, k + 1))) x = at(previous, prevD, k + 1); // insertion (down)
      else x = at(previous, prevD, k - 1) + 1; // deletion (right)
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      row[k + d] = x;
      if (x >= n && y >= m) {
        frontiers.push(row);
        return backtrack(a, b, frontiers);
      }
    }
    frontiers.push(row);
    previous = row;
  }
  return [...a.map((line): Edit => ({ op: "delete", line })), ...b.map((line): Edit => ({ op: "insert", line }))];
}

function backtrack(a: readonly string[], b: readonly string[], frontiers: Int32Array[]): Edit[] {
  const edits: Edit[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = frontiers.length - 1; d > 0; d--) {
    const previous = frontiers[d - 1];
    const prevD = d - 1;
    const k = x - y;
    const down = k === -d || (k !== d && previous[k - 1 + prevD] < previous[k + 1 + prevD]);
    const prevK = down ? k + 1 : k - 1;
    const prevX = previous[prevK + prevD];
    const prevY = prevX - prevK;
    // The snake after the edit, then the edit itself.
    while (x > (down ? prevX : prevX + 1) && y > (down ? prevY + 1 : prevY)) {
      edits.push({ op: "equal", line: a[x - 1] });
      x--;
      y--;
    }
    if (down) edits.push({ op: "insert", line: b[y - 1] });
    else edits.push({ op: "delete", line: a[x - 1] });
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    edits.push({ op: "equal", line: a[x - 1] });
    x--;
    y--;
  }
  return edits.reverse();
}

export interface DiffStat {
  added: number;
  removed: number;
}

/** Lines inserted and deleted by an edit script. */
export function diffStat(edits: readonly Edit[]): DiffStat {
  let added = 0;
  let removed = 0;
  for (const e of edits) {
    if (e.op === "insert") added++;
    else if (e.op === "delete") removed++;
  }
  return { added, removed };
}

const NO_NEWLINE = "\\ No newline at end of file";

/**
 * Unified-diff hunks (`@@ -a,b +c,d @@` and the lines) with `context` lines around each change, as
 * `diff -u` prints them; hunks closer than 2×context lines are merged. Empty when nothing changed.
 */
export function unifiedHunks(edits: readonly Edit[], context = 3): string[] {
  // Position of each edit in the old and new texts (0-based, before the edit).
  const oldAt: number[] = [];
  const newAt: number[] = [];
  let o = 0;
  let n = 0;
  for (const e of edits) {
    oldAt.push(o);
    newAt.push(n);
    if (e.op !== "insert") o++;
    if (e.op !== "delete") n++;
  }
  const changes = edits.flatMap((e, i) => (e.op === "equal" ? [] : [i]));
  if (changes.length === 0) return [];

  const ranges: [number, number][] = []; // [start, end) over edits
  for (const i of changes) {
    const start = Math.max(0, i - context);
    const end = Math.min(edits.length, i + 1 + context);
    const last = ranges[ranges.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else ranges.push([start, end]);
  }

  const lines: string[] = [];
  for (const [start, end] of ranges) {
    const slice = edits.slice(start, end);
    const oldCount = slice.filter((e) => e.op !== "insert").length;
    const newCount = slice.filter((e) => e.op !== "delete").length;
    lines.push(`@@ -${range(oldAt[start], oldCount)} +${range(newAt[start], newCount)} @@`);
    for (const e of slice) {
      const mark = e.op === "equal" ? " " : e.op === "delete" ? "-" : "+";
      if (e.line.endsWith("\n")) lines.push(mark + e.line.slice(0, -1));
      else lines.push(mark + e.line, NO_NEWLINE);
    }
  }
  return lines;
}

/** diff(1)'s range notation: an empty range names the line before it; a single line has no count. */
function range(start: number, count: number): string {
  if (count === 0) return `${start},0`;
  if (count === 1) return `${start + 1}`;
  return `${start + 1},${count}`;
}
