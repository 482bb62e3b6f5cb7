/**
 * A tenant's limits: its plan with its overrides merged in, and the consistency rules that make a
 * combination contradictory (checked before anything is declared).
 */
import type { Overrides, Plan } from "./schema";
import { formatQuantity, parseQuantityMilli, parseDurationNs } from "../lib/quantity";
import { quantityKind, shareMilli, tenantQuota, type ClusterOffer, type QuotaKey, type QuotaReservation } from "./quota-share";

/** A tenant's limits: its plan's values (overrides applied), without the plan's description and ceilings. */
export type Limits = Omit<Plan, "description" | "ceilings">;

/** A cluster that offers nothing beyond cpu, memory and storage (tests, and plans checked on their own). */
export const NO_CLUSTER_OFFER: ClusterOffer = { storageClasses: [], extendedResources: [], hugepageSizes: [] };

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
  const { description: _description, ceilings: _ceilings, ...limits } = plan;
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

const SERVICE_ACCOUNTS = "count/serviceaccounts";
/** Owner kind, the kind its controller creates, and why the second must be at least the first. */
const OWNED_OBJECTS: [QuotaKey, QuotaKey, string][] = [
  ["count/deployments.apps", "count/replicasets.apps", "each Deployment runs its pods through at least one ReplicaSet"],
  ["count/cronjobs.batch", "count/jobs.batch", "each CronJob runs through Jobs"],
];

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
    // Admission allowances are names (priority classes, tolerations), not quantities.
    if (path[0] === "kubernetes" && path[1] === "admission") return;
    if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    } else if (typeof value === "string" && path.join(".") !== "retention.maxAge" && path[0] !== "database") {
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

/** PostgreSQL keeps both timeouts as an int of milliseconds, and 0 turns them off. */
const MAX_POSTGRES_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The role's timeouts: whole milliseconds (what the provider's statement_timeout and
 * idle_in_transaction_session_timeout take), more than zero (0 is PostgreSQL's "no timeout": a
 * tenant's statements would run unbounded on the shared server) and within PostgreSQL's int.
 */
function databaseTimeoutProblems(limits: Limits): LimitProblem[] {
  const problems: LimitProblem[] = [];
  for (const key of ["statementTimeout", "idleInTransactionTimeout"] as const) {
    const text = limits.database[key];
    const ns = parseDurationNs(text) ?? 0;
    const path = ["database", key];
    if (ns < 1e6) problems.push({ path, rule: `${text} is less than 1ms: PostgreSQL counts whole milliseconds, and 0 disables the timeout` });
    else if (ns % 1e6 !== 0) problems.push({ path, rule: `${text} is not a whole number of milliseconds` });
    else if (ns / 1e6 > MAX_POSTGRES_TIMEOUT_MS) problems.push({ path, rule: `${text} exceeds PostgreSQL's largest timeout (2147483647ms, about 596h)` });
  }
  return problems;
}

/** A duration the limits checks accepted, in the milliseconds PostgreSQL takes. */
export const durationMs = (text: string): number => Math.round((parseDurationNs(text) ?? 0) / 1e6);

/**
 * Contradictions within a set of limits for a tenant with `namespaceCount` namespaces: things
 * Kubernetes or NATS would accept one by one but that cannot work together.
 */
export function limitProblems(
  limits: Limits,
  namespaceCount: number,
  reserved: QuotaReservation = {},
  hub: HubRules = DEFAULT_HUB_RULES,
  offer: ClusterOffer = NO_CLUSTER_OFFER,
): LimitProblem[] {
  // The database's timeouts share no value with the rest: reported whatever else is wrong.
  const database = databaseTimeoutProblems(limits);
  const malformed = quantityProblems(limits);
  if (malformed.length > 0) return [...malformed, ...database];
  const problems: LimitProblem[] = [];
  const q = tenantQuota(limits.kubernetes, offer);
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

  for (const resource of ["cpu", "memory", "ephemeral-storage"] as const) {
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
    const requestsKey: QuotaKey = `requests.${resource}`;
    const limitsKey: QuotaKey = `limits.${resource}`;
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
  const left = (key: QuotaKey) => Number(q[key]) - Number((reserved[key] ?? 0n) / 1000n);
  for (const key of Object.keys(q)) {
    // Only the keys a tenant file can change are named in its quota; the bought ones are the plan's.
    if (!(key in limits.kubernetes.quota)) continue;
    const value = left(key);
    // Every namespace has its `default` service account (pods run as it): it needs room even at 0.
    const needsOne = key === SERVICE_ACCOUNTS || Number(q[key]) > 0;
    if (quantityKind(key) === "count" && !exhausted.has(key) && needsOne && value < namespaceCount) {
      const what = reserved[key] ? `${q[key]}${afterEdge(key)} leaves ${value}, which` : `${q[key]}`;
      const why = key === SERVICE_ACCOUNTS ? " (the default service account Kubernetes creates in each)" : "";
      problems.push({ path: quotaPath(key), rule: `${what} cannot give each of the ${namespaceCount} namespaces at least one${why}` });
    }
  }
  // Objects that need others to work: a Deployment needs a ReplicaSet, a CronJob needs Jobs.
  for (const [owner, owned, why] of OWNED_OBJECTS) {
    if (exhausted.has(owner) || exhausted.has(owned)) continue;
    if (left(owner) > 0 && left(owned) < left(owner)) {
      problems.push({
        path: quotaPath(owned),
        related: [quotaPath(owner)],
        rule: `${q[owned]}${afterEdge(owned)} is fewer than the ${left(owner)} ${owner} the quota admits${owner in reserved ? " besides the edge's" : ""}: ${why}`,
      });
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
    // A stream reserves max_bytes on every replica, and the account's tier counts them all.
    const needed = milli(limits.retention.maxBytes) * BigInt(STREAMS_PER_TENANT * js.replicas);
    if (milli(js.diskStorage) === 0n) {
      problems.push({ path: ["nats", "jetstream", "diskStorage"], rule: "0 disables file storage, but tenant streams are file-backed" });
    } else if (needed > milli(js.diskStorage)) {
      problems.push({
        path: ["retention", "maxBytes"],
        related: [["nats", "jetstream", "diskStorage"], ["nats", "jetstream", "replicas"]],
        rule: `${STREAMS_PER_TENANT} streams of ${limits.retention.maxBytes} with ${js.replicas} replica(s) need ${formatQuantity(needed, "bytes")}, more than jetstream.diskStorage ${js.diskStorage}`,
      });
    }
  }
  if (js.replicas > hub.servers) {
    problems.push({ path: ["nats", "jetstream", "replicas"], rule: `${js.replicas} replicas need a hub of at least ${js.replicas} servers; the stack's hub has ${hub.servers} (tenancy:natsHubServers)` });
  }
  if (milli(limits.retention.edgeBuffer) === 0n) {
    problems.push({ path: ["retention", "edgeBuffer"], rule: "must be more than zero: every edge leaf node keeps its collectors' messages in local JetStream" });
  }
  if (limits.nats.payload !== -1 && limits.nats.data !== -1 && milli(limits.nats.payload) > milli(limits.nats.data)) {
    problems.push({ path: ["nats", "payload"], related: [["nats", "data"]], rule: `payload ${limits.nats.payload} exceeds data ${limits.nats.data}` });
  }
  for (const role of ["collector", "leaf"] as const) {
    const user = limits.nats.userLimits[role];
    for (const key of ["subscriptions", "data", "payload"] as const) {
      const own = user[key];
      const account = limits.nats[key];
      if (account !== -1 && (own === -1 || milli(own) > milli(account))) {
        problems.push({ path: ["nats", "userLimits", role, key], related: [["nats", key]], rule: `${own} exceeds the account's ${key} ${account}` });
      }
    }
  }
  if (!hub.allowUnlimited) {
    // One tenant must not be able to exhaust what every tenant shares.
    const bounded: string[][] = [
      ["nats", "connections"],
      ["nats", "leafNodeConnections"],
      ["nats", "subscriptions"],
      ["nats", "data"],
      ["nats", "payload"],
      ...(["collector", "leaf"] as const).flatMap((role) => ["subscriptions", "data", "payload"].map((key) => ["nats", "userLimits", role, key])),
      ["nats", "jetstream", "diskStorage"],
      ["nats", "jetstream", "memoryStorage"],
      ["nats", "jetstream", "streams"],
      ["nats", "jetstream", "consumers"],
    ];
    for (const path of bounded) {
      if (valueAt(limits, path) === -1) problems.push({ path, rule: "-1 (unlimited) is not allowed on the shared hub: set a bound (or let the stack allow it with tenancy:natsAllowUnlimited)" });
    }
  }
  return [...problems, ...database];
}

/** What the stack's hub allows of a tenant's NATS limits, and what every tenant together may take of it. */
export interface HubRules {
  /** Servers in the hub cluster: the most replicas a stream can have. */
  servers: number;
  /** Whether a tenant may have unlimited (-1) NATS limits on the shared hub. */
  allowUnlimited: boolean;
  /** Client connections each server admits, and how many of them the platform keeps for itself. */
  maxConnections: number;
  platformConnections: number;
  /** JetStream storage of each server, in bytes (NaN when the stack's value is malformed: config problems report it). */
  fileStorePerServer: number;
  memoryStorePerServer: number;
}

/** A hub of three servers that bounds every tenant: the stack's defaults (config/keys.ts takes them from here). */
export const DEFAULT_HUB_RULES: HubRules = Object.freeze({
  servers: 3,
  allowUnlimited: false,
  maxConnections: 65536,
  platformConnections: 1000,
  fileStorePerServer: 2 * 2 ** 40,
  memoryStorePerServer: 64 * 2 ** 30,
});

/**
 * What one connection may do on the hub whoever it belongs to (the server's max_subscriptions and
 * max_payload): the most any plan grants, so the hub's own configuration changes with the plans
 * file, never with a tenant file. -1 when a plan is unlimited (the stack allows it).
 */
export interface HubConnectionCaps {
  subscriptions: number;
  payload: number;
}

export function hubConnectionCaps(plans: Record<string, Pick<Plan, "nats">>): HubConnectionCaps {
  const most = (values: number[]) => (values.length === 0 ? 0 : values.some((v) => v < 0) ? -1 : Math.max(...values));
  const all = Object.values(plans);
  return {
    subscriptions: most(all.map((p) => p.nats.subscriptions)),
    payload: most(all.map((p) => (p.nats.payload === -1 ? -1 : Number(parseQuantityMilli(p.nats.payload)! / 1000n)))),
  };
}

/** An override beyond what the hub lets any connection do would be cut down by the server without a word. */
export function connectionCapProblems(limits: Limits, caps: HubConnectionCaps): LimitProblem[] {
  const problems: LimitProblem[] = [];
  const check = (path: string[], value: number | string, cap: number, what: string) => {
    if (cap < 0) return;
    const n = value === -1 ? Infinity : typeof value === "number" ? value : Number(parseQuantityMilli(value)! / 1000n);
    if (n > cap) problems.push({ path, rule: `${value} exceeds the hub's ${what} ${cap}, the most any plan grants (raise a plan in the plans file, not one tenant)` });
  };
  check(["nats", "subscriptions"], limits.nats.subscriptions, caps.subscriptions, "max_subscriptions");
  check(["nats", "payload"], limits.nats.payload, caps.payload, "max_payload");
  return problems;
}

function valueAt(obj: unknown, path: readonly string[]): unknown {
  let cur = obj;
  for (const segment of path) cur = (cur as Record<string, unknown> | undefined)?.[segment];
  return cur;
}
