/**
 * The stack config a fleet with cells shares: every key not marked `perStack` in config/keys.ts.
 * The platform stack publishes its values; a cell's stack compares its own with them before it
 * declares anything, so a stack file edited for one cell (hub capacity, unlimited values, the
 * platform namespace, what tenants may have…) is refused instead of diverging from what the
 * platform built the shared hub and cluster for.
 */
import type { Problem } from "../model/problems";
import { CONFIG_KEYS, type ConfigKeyName } from "./keys";
import { configValue, type ConfigGetter } from "./settings";

/** Keys whose value is the fleet's, in the registry's order. */
export const FLEET_KEYS: readonly ConfigKeyName[] = (Object.keys(CONFIG_KEYS) as ConfigKeyName[]).filter((k) => !(CONFIG_KEYS[k] as { perStack?: true }).perStack);

/** A value in a form that compares equal whatever the order of its maps' keys. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.keys(value as object).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/**
 * The fleet's values as this stack reads them (defaults included), JSON-encoded per key: what the
 * platform publishes. None of these keys is secret (secrets are dynamic keys, config/keys.ts).
 */
export function fleetConfig(get: ConfigGetter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of FLEET_KEYS) {
    const value = configValue(get, key);
    // A key without a value and without a default (computed) is published as null: unset.
    out[key] = JSON.stringify(canonical(value ?? null));
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
  for (const key of FLEET_KEYS) {
    if (!(key in platform) || own[key] === platform[key]) continue;
    problems.push({
      file: source,
      path: `tenancy:${key}`,
      rule: `is ${own[key]} here and ${platform[key]} in the platform stack (${platformStack}): every stack of the fleet sets the same value (only per-stack keys may differ, docs/configuration.md)`,
    });
  }
  return problems;
}
