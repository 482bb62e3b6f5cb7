/**
 * Arithmetic of a tenant's quota over its namespaces: what is set aside for the edge first, then
 * an even split rounded down, so the namespaces together never exceed the tenant's total. Both
 * validation (does each namespace get enough?) and planning (each namespace's ResourceQuota) use it.
 */
import type { Plan } from "./schema";
import { formatQuantity, parseQuantityMilli } from "../lib/quantity";

type Quota = Plan["kubernetes"]["quota"];
export type QuotaKey = keyof Quota;

export function quantityKind(key: string): "cpu" | "bytes" | "count" {
  if (key.endsWith("cpu")) return "cpu";
  if (key.endsWith("memory") || key.endsWith("storage")) return "bytes";
  return "count";
}

/** Quota set aside before the split (the edge namespace's exact needs), in milli-units. */
export type QuotaReservation = Partial<Record<QuotaKey, bigint>>;

/**
 * Splits the tenant's quota, less what is `reserved` for the edge, evenly over `namespaceCount`
 * namespaces, rounding down in milli-units (and whole units for counts), so the namespaces
 * together never exceed the tenant's total.
 */
export function splitQuota(quota: Quota, namespaceCount: number, reserved: QuotaReservation = {}): Record<QuotaKey, string> {
  const out = {} as Record<QuotaKey, string>;
  for (const key of Object.keys(quota) as QuotaKey[]) {
    out[key] = formatQuantity(shareMilli(quota[key], key, namespaceCount, reserved[key]), quantityKind(key));
  }
  return out;
}

/** A reservation as quota values (the edge namespace's own quota). */
export function reservationQuota(quota: Quota, reserved: QuotaReservation): Record<QuotaKey, string> {
  const out = {} as Record<QuotaKey, string>;
  for (const key of Object.keys(quota) as QuotaKey[]) out[key] = formatQuantity(reserved[key] ?? 0n, quantityKind(key));
  return out;
}

export function shareMilli(value: string | number, key: string, namespaceCount: number, reserved = 0n): bigint {
  const left = parseQuantityMilli(value)! - reserved;
  const total = left < 0n ? 0n : left;
  const kind = quantityKind(key);
  // Counts split in whole units, cpu in millicores, bytes in whole mebibytes (readable, and a
  // namespace never needs finer than that).
  const unit = kind === "cpu" ? 1n : kind === "bytes" ? 1000n << 20n : 1000n;
  return ((total / unit) / BigInt(namespaceCount)) * unit;
}
