/**
 * How far a tenant file may raise its plan: every value it raises must have a ceiling in the plan
 * (`ceilings:`), and may not exceed it; lowering a value needs none. Without this a file could set `pods: 1000000` and take
 * the cluster from every other tenant; with it, what a tenant can be given is decided by whoever
 * writes the plans.
 */
import { parseDurationNs, parseQuantityMilli } from "../lib/quantity";
import { DATABASE_ISOLATION_LEVELS, type Ceilings, type Overrides } from "./schema";

export interface CeilingProblem {
  /** Path segments inside `overrides`. */
  path: string[];
  rule: string;
}

/** NATS limits read -1 as unlimited: above every number. */
const UNLIMITED = 1n << 200n;

/**
 * A value's size for comparison: durations in nanoseconds, NATS -1 as unlimited, quantities in
 * milli-units, a database isolation level by how much it provisions (attribute < schema < database).
 */
function magnitude(path: readonly string[], value: unknown): bigint | undefined {
  if (path.join(".") === "database.isolation") {
    const level = DATABASE_ISOLATION_LEVELS.indexOf(value as (typeof DATABASE_ISOLATION_LEVELS)[number]);
    return level < 0 ? undefined : BigInt(level);
  }
  if (path.join(".") === "retention.maxAge" || (path[0] === "database" && /Timeout$/.test(path[1] ?? ""))) {
    const ns = parseDurationNs(String(value));
    return ns === undefined ? undefined : BigInt(Math.round(ns));
  }
  if (value === -1 && path[0] === "nats") return UNLIMITED;
  return typeof value === "string" || typeof value === "number" ? parseQuantityMilli(value) : undefined;
}

function valueAt(obj: unknown, path: readonly string[]): unknown {
  let cur = obj;
  for (const segment of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[segment];
  }
  return cur;
}

/** Every scalar of a nested object, with its path. */
function* leaves(value: unknown, path: string[] = []): Generator<[string[], unknown]> {
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) yield* leaves(v, [...path, k]);
  } else yield [path, value];
}

/**
 * Every overridden value that raises its plan's without a ceiling, or above it, for a tenant on
 * plan `plan` (`limits` are the plan's own values). Lowering a value grants less and needs none.
 */
export function ceilingProblems(overrides: Overrides | undefined, ceilings: Ceilings, plan: string, limits: unknown): CeilingProblem[] {
  const problems: CeilingProblem[] = [];
  for (const [path, value] of leaves(overrides ?? {})) {
    const own = magnitude(path, valueAt(limits, path));
    const got = magnitude(path, value);
    if (own !== undefined && got !== undefined && got <= own) continue;
    const ceiling = valueAt(ceilings, path);
    if (ceiling === undefined) {
      problems.push({ path, rule: `plan "${plan}" states no ceiling for ${path.join(".")}: it cannot be overridden (a plan's ceilings: say how far each value may go)` });
      continue;
    }
    const most = magnitude(path, ceiling);
    if (got !== undefined && most !== undefined && got > most) {
      problems.push({ path, rule: `${JSON.stringify(value)} is above plan "${plan}"'s ceiling ${JSON.stringify(ceiling)}` });
    }
  }
  return problems;
}

/** A plan whose ceiling is below its own value contradicts itself (no override could ever restore it). */
export function ceilingsBelowPlan(limits: unknown, ceilings: Ceilings): CeilingProblem[] {
  const problems: CeilingProblem[] = [];
  for (const [path, ceiling] of leaves(ceilings)) {
    const own = valueAt(limits, path);
    const a = magnitude(path, own);
    const b = magnitude(path, ceiling);
    if (a !== undefined && b !== undefined && b < a) problems.push({ path, rule: `ceiling ${JSON.stringify(ceiling)} is below the plan's own ${JSON.stringify(own)}` });
  }
  return problems;
}
