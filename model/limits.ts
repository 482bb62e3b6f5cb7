/**
 * A tenant's limits: its plan with its overrides merged in, and the consistency rules that make a
 * combination contradictory (checked before anything is declared).
 */
import type { Overrides, Plan } from "./schema";
import { formatQuantity, parseQuantityMilli, parseDurationNs } from "../lib/quantity";
import { quantityKind, shareMilli, type QuotaKey, type QuotaReservation } from "./quota-share";

export type Limits = Omit<Plan, "description">;

/** Recursively replaces plan values by the tenant's; objects merge key by key, scalars replace. */
export function mergeLimits(plan: Plan, overrides: Overrides | undefined): Limits {
  const merge = (base: unknown, over: unknown): unknown => {
    if (over === undefined) return base;
    if (isPlainObject(base) && isPlainObject(over)) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(base)) out[key] = merge(base[key], over[key]);
      return out;
    }
    return over;
  };
  const { description: _description, ...limits } = plan;
  return merge(limits, overrides ?? {}) as Limits;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export interface LimitProblem {
  /** Path segments inside the limits, e.g. ["kubernetes", "quota", "requests.cpu"]. */
  path: string[];
  /** Other values that take part in the contradiction (any of them may be the one to change). */
  related?: string[][];
  rule: string;
}

/** The four streams every tenant has (events, snmp traps, netflow, otel). */
export const STREAMS_PER_TENANT = 4;

/** Largest quantity Kubernetes can hold (int64 of milli-units, as resource.Quantity does). */
const MAX_QUANTITY_MILLI = (1n << 63n) - 1n;
/** Go's time.Duration is an int64 of nanoseconds: about 2562047h. */
const MAX_DURATION_NS = 2 ** 63 - 1;

/** Quantities the schema's pattern admits but Kubernetes cannot represent, before any arithmetic. */
function quantityProblems(limits: Limits): LimitProblem[] {
  const problems: LimitProblem[] = [];
  const walk = (value: unknown, path: string[]) => {
    if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    } else if (typeof value === "string" && path.join(".") !== "retention.maxAge") {
      const milli = parseQuantityMilli(value);
      if (milli === undefined) problems.push({ path, rule: `${value} is finer than one milli-unit` });
      else if (milli > MAX_QUANTITY_MILLI) problems.push({ path, rule: `${value} is larger than Kubernetes can represent` });
    }
  };
  walk(limits, []);
  const age = parseDurationNs(limits.retention.maxAge) ?? 0;
  if (age <= 0) problems.push({ path: ["retention", "maxAge"], rule: "must be longer than zero" });
  if (age > MAX_DURATION_NS) problems.push({ path: ["retention", "maxAge"], rule: `${limits.retention.maxAge} overflows a Go duration (max about 2562047h)` });
  return problems;
}

/**
 * Contradictions within a set of limits for a tenant with `namespaceCount` namespaces: things
 * Kubernetes or NATS would accept one by one but that cannot work together.
 */
export function limitProblems(limits: Limits, namespaceCount: number, reserved: QuotaReservation = {}): LimitProblem[] {
  const malformed = quantityProblems(limits);
  if (malformed.length > 0) return malformed;
  const problems: LimitProblem[] = [];
  const q = limits.kubernetes.quota;
  // Keys the edge alone exhausts: reported once here, not again as an empty share below.
  const exhausted = new Set<string>();
  for (const key of Object.keys(reserved) as QuotaKey[]) {
    const need = reserved[key]!;
    if (need > parseQuantityMilli(q[key])!) {
      exhausted.add(key);
      problems.push({
        path: ["kubernetes", "quota", key],
        rule: `the edge (leaf node and collectors) needs ${formatQuantity(need, quantityKind(key))} of ${key}, more than the tenant's ${q[key]}`,
      });
    }
  }
  const afterEdge = (key: string) => (reserved[key as QuotaKey] ? ` after the edge's ${formatQuantity(reserved[key as QuotaKey]!, quantityKind(key))}` : "");
  const lr = limits.kubernetes.limitRange;
  const milli = (v: string | number) => parseQuantityMilli(v)!;
  const quotaPath = (key: string) => ["kubernetes", "quota", key];
  const lrPath = (level: string, resource: string) => ["kubernetes", "limitRange", level, resource];

  for (const resource of ["cpu", "memory"] as const) {
    const kind = quantityKind(resource);
    const fmt = (m: bigint) => formatQuantity(m, kind);
    if (milli(lr.defaultRequest[resource]) > milli(lr.default[resource])) {
      problems.push({
        path: lrPath("defaultRequest", resource),
        related: [lrPath("default", resource)],
        rule: `default request ${lr.defaultRequest[resource]} exceeds the default limit ${lr.default[resource]}`,
      });
    }
    if (milli(lr.default[resource]) > milli(lr.max[resource])) {
      problems.push({
        path: lrPath("default", resource),
        related: [lrPath("max", resource)],
        rule: `default limit ${lr.default[resource]} exceeds the maximum ${lr.max[resource]}`,
      });
    }
    const requestsKey = `requests.${resource}` as QuotaKey;
    const limitsKey = `limits.${resource}` as QuotaKey;
    if (milli(q[requestsKey]) > milli(q[limitsKey])) {
      problems.push({
        path: quotaPath(requestsKey),
        related: [quotaPath(limitsKey)],
        rule: `${requestsKey} ${q[requestsKey]} exceeds ${limitsKey} ${q[limitsKey]}`,
      });
    }
    const limitShare = shareMilli(q[limitsKey], limitsKey, namespaceCount, reserved[limitsKey]);
    if (!exhausted.has(limitsKey) && milli(lr.max[resource]) > limitShare) {
      problems.push({
        path: lrPath("max", resource),
        related: [quotaPath(limitsKey)],
        rule: `a container may use ${lr.max[resource]} but each of the ${namespaceCount} namespace(s) gets only ${fmt(limitShare)} of ${limitsKey} ${q[limitsKey]}${afterEdge(limitsKey)}`,
      });
    }
    const requestShare = shareMilli(q[requestsKey], requestsKey, namespaceCount, reserved[requestsKey]);
    if (!exhausted.has(requestsKey) && milli(lr.defaultRequest[resource]) > requestShare) {
      problems.push({
        path: quotaPath(requestsKey),
        related: [lrPath("defaultRequest", resource)],
        rule: `each of the ${namespaceCount} namespace(s) gets ${fmt(requestShare)}${afterEdge(requestsKey)}, less than one container's default request ${lr.defaultRequest[resource]}`,
      });
    }
  }
  for (const key of Object.keys(q) as QuotaKey[]) {
    const value = Number(q[key]) - Number((reserved[key] ?? 0n) / 1000n);
    if (quantityKind(key) === "count" && !exhausted.has(key) && Number(q[key]) > 0 && value < namespaceCount) {
      const left = reserved[key] ? `${q[key]}${afterEdge(key)} leaves ${value}, which` : `${q[key]}`;
      problems.push({ path: quotaPath(key), rule: `${left} cannot give each of the ${namespaceCount} namespaces at least one` });
    }
  }

  const js = limits.nats.jetstream;
  if (js.streams !== -1 && js.streams < STREAMS_PER_TENANT) {
    problems.push({ path: ["nats", "jetstream", "streams"], rule: `${js.streams} is fewer than the ${STREAMS_PER_TENANT} streams every tenant has` });
  }
  // nats-server reads 0 streams or consumers as "no limit", not "none" (unlike every other limit).
  if (js.consumers === 0) {
    problems.push({ path: ["nats", "jetstream", "consumers"], rule: "0 means unlimited to JetStream; write -1 for unlimited or a positive number" });
  }
  if (js.diskStorage !== -1) {
    const needed = milli(limits.retention.maxBytes) * BigInt(STREAMS_PER_TENANT);
    if (milli(js.diskStorage) === 0n) {
      problems.push({ path: ["nats", "jetstream", "diskStorage"], rule: "0 disables file storage, but tenant streams are file-backed" });
    } else if (needed > milli(js.diskStorage)) {
      problems.push({
        path: ["retention", "maxBytes"],
        related: [["nats", "jetstream", "diskStorage"]],
        rule: `${STREAMS_PER_TENANT} streams of ${limits.retention.maxBytes} need ${formatQuantity(needed, "bytes")}, more than jetstream.diskStorage ${js.diskStorage}`,
      });
    }
  }
  if (milli(limits.retention.edgeBuffer) === 0n) {
    problems.push({ path: ["retention", "edgeBuffer"], rule: "must be more than zero: every edge leaf node keeps its collectors' messages in local JetStream" });
  }
  if (limits.nats.payload !== -1 && limits.nats.data !== -1 && milli(limits.nats.payload) > milli(limits.nats.data)) {
    problems.push({ path: ["nats", "payload"], related: [["nats", "data"]], rule: `payload ${limits.nats.payload} exceeds data ${limits.nats.data}` });
  }
  return problems;
}
