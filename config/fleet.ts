/**
 * The stack config a fleet with cells shares: every key not marked `perStack` in config/keys.ts.
 * The platform stack publishes its values; a cell's stack compares its own with them before it
 * declares anything, so a stack file edited for one cell (hub capacity, unlimited values, the
 * platform namespace, what tenants may have…) is refused instead of diverging from what the
 * platform built the shared hub and cluster for.
 */
import { createHash } from "node:crypto";
import type { Problem } from "../model/problems";
import { CONFIG_KEYS, type ConfigKey, type ConfigKeyName } from "./keys";
import { configValue, type ConfigGetter } from "./settings";

/** Keys whose value is the fleet's, in the registry's order. */
export const FLEET_KEYS: readonly ConfigKeyName[] = (Object.keys(CONFIG_KEYS) as ConfigKeyName[]).filter((k) => !(CONFIG_KEYS[k] as ConfigKey).perStack);

/** Where the fleet config holds the digest of the plans the stack read (not a config key: a file's content). */
const PLANS = "plans";
/** Likewise for the cells file's content (its file name aside: the path differs per checkout). */
const CELLS = "cells";

const digest = (value: unknown) => createHash("sha256").update(JSON.stringify(canonical(value))).digest("hex");

/** A value in a form that compares equal whatever the order of its maps' keys. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.keys(value as object).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/**
 * The fleet's values as this stack reads them (defaults included), one SHA-256 of each value's
 * canonical JSON per key: what the platform publishes. Digests, not values: the platform's output
 * is read by every cell in plain, and a key set with `--secret` by mistake must not end up there.
 */
export function fleetConfig(get: ConfigGetter, files: { plans?: unknown; cells?: unknown } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  // File paths are each checkout's (per stack); what the plans and cells files say is the fleet's
  // (a cell's share of the hub is 1/N of the cells its cells file lists).
  if (files.plans !== undefined) out[PLANS] = digest(files.plans);
  if (files.cells !== undefined) out[CELLS] = digest(files.cells);
  for (const key of FLEET_KEYS) {
    // A key without a value and without a default (computed) counts as null: unset.
    out[key] = digest(configValue(get, key) ?? null);
  }
  return out;
}

/**
 * One problem per fleet key whose value in this cell's stack differs from the platform stack's
 * published one. A key the platform did not publish (an older platform, a key added since) is not
 * compared: the platform's next update publishes it.
 */
export function fleetConfigProblems(own: Record<string, string>, platform: Record<string, string>, source: string, platformStack: string): Problem[] {
  const problems: Problem[] = [];
  for (const key of [PLANS, CELLS, ...FLEET_KEYS]) {
    if (!(key in platform) || !(key in own) || own[key] === platform[key]) continue;
    if (key === PLANS || key === CELLS) {
      problems.push({ file: source, path: `tenancy:${key}File`, rule: `the ${key} it names differ from those the platform stack (${platformStack}) read: every stack of the fleet reads the same ${key} file` });
      continue;
    }
    problems.push({
      file: source,
      path: `tenancy:${key}`,
      rule: `differs from its value in the platform stack (${platformStack}): every stack of the fleet sets the same value (only the keys marked per stack may differ, docs/configuration.md)`,
    });
  }
  return problems;
}
