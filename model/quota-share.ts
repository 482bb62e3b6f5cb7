/**
 * Arithmetic of a tenant's quota over its namespaces: the plan's values flattened into the
 * ResourceQuota keys Kubernetes counts (per StorageClass, extended resource and huge page size
 * included, at 0 for whatever the stack's cluster offers and the plan does not buy), what is set
 * aside for the edge first, then an even split rounded down, so the namespaces together never
 * exceed the tenant's total. Both validation (does each namespace get enough?) and planning (each
 * namespace's ResourceQuota) use it.
 */
import type { Plan } from "./schema";
import { formatQuantity, parseQuantityMilli } from "../lib/quantity";

/** A ResourceQuota key: `pods`, `requests.cpu`, `count/jobs.batch`, `gold.storageclass.storage.k8s.io/requests.storage`… */
export type QuotaKey = string;
/** The tenant's total per key, as the plan states it (quantities or whole counts). */
export type QuotaTotal = Record<QuotaKey, string | number>;

/** What the stack's cluster offers that a plan may buy (stack config `tenancy:cluster…`). */
export interface ClusterOffer {
  storageClasses: readonly string[];
  extendedResources: readonly string[];
  hugepageSizes: readonly string[];
}

/** The ResourceQuota keys of one StorageClass (Kubernetes' `<class>.storageclass.storage.k8s.io/…`). */
export const storageClassQuotaKeys = (cls: string) => ({
  storage: `${cls}.storageclass.storage.k8s.io/requests.storage`,
  claims: `${cls}.storageclass.storage.k8s.io/persistentvolumeclaims`,
});
/** Extended resources are quota'd by their requests only (they cannot be overcommitted). */
export const extendedResourceQuotaKey = (name: string) => `requests.${name}`;
/** Huge pages: requests equal limits for them, so the request is the bound. */
export const hugepageQuotaKey = (size: string) => `requests.hugepages-${size}`;

type PlanKubernetes = Pick<Plan["kubernetes"], "quota" | "storageClasses" | "extendedResources" | "hugepages">;

/**
 * The tenant's whole quota: the plan's `quota` keys, then every StorageClass, extended resource
 * and huge page size the plan buys or the cluster offers (0 unless bought), in a stable order.
 */
export function tenantQuota(kubernetes: PlanKubernetes, offer: ClusterOffer): QuotaTotal {
  const out: QuotaTotal = { ...kubernetes.quota };
  const classes = [...new Set([...Object.keys(kubernetes.storageClasses), ...offer.storageClasses])].sort();
  for (const cls of classes) {
    const keys = storageClassQuotaKeys(cls);
    out[keys.storage] = kubernetes.storageClasses[cls]?.["requests.storage"] ?? "0";
    out[keys.claims] = kubernetes.storageClasses[cls]?.persistentvolumeclaims ?? 0;
  }
  for (const name of [...new Set([...Object.keys(kubernetes.extendedResources), ...offer.extendedResources])].sort()) {
    out[extendedResourceQuotaKey(name)] = kubernetes.extendedResources[name] ?? 0;
  }
  for (const size of [...new Set([...Object.keys(kubernetes.hugepages), ...offer.hugepageSizes])].sort()) {
    out[hugepageQuotaKey(size)] = kubernetes.hugepages[size] ?? "0";
  }
  return out;
}

export function quantityKind(key: string): "cpu" | "bytes" | "count" {
  if (key.includes(".storageclass.storage.k8s.io/")) return key.endsWith("/persistentvolumeclaims") ? "count" : "bytes";
  if (key.startsWith("count/")) return "count";
  // Extended resources (`requests.nvidia.com/gpu`) are whole devices.
  if (/^(requests|limits)\.[^/]+\/./.test(key)) return "count";
  if (key.endsWith("cpu")) return "cpu";
  if (key.endsWith("memory") || key.endsWith("storage") || key.includes("hugepages-")) return "bytes";
  return "count";
}

/** Quota set aside before the split (the edge namespace's exact needs), in milli-units. */
export type QuotaReservation = Partial<Record<QuotaKey, bigint>>;

/**
 * Splits the tenant's quota, less what is `reserved` for the edge, evenly over `namespaceCount`
 * namespaces, rounding down in milli-units (and whole units for counts), so the namespaces
 * together never exceed the tenant's total.
 */
export function splitQuota(quota: QuotaTotal, namespaceCount: number, reserved: QuotaReservation = {}): Record<QuotaKey, string> {
  const out: Record<QuotaKey, string> = {};
  for (const key of Object.keys(quota)) {
    out[key] = formatQuantity(shareMilli(quota[key], key, namespaceCount, reserved[key]), quantityKind(key));
  }
  return out;
}

/** A reservation as quota values (the edge namespace's own quota). */
export function reservationQuota(quota: QuotaTotal, reserved: QuotaReservation): Record<QuotaKey, string> {
  const out: Record<QuotaKey, string> = {};
  for (const key of Object.keys(quota)) out[key] = formatQuantity(reserved[key] ?? 0n, quantityKind(key));
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
