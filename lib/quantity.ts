/**
 * Kubernetes resource quantities ("500m", "1.5Gi", "2") and Go durations ("72h", "90m"), parsed
 * exactly: quantities become integer milli-units (bigint) so that splitting a tenant's quota over
 * its namespaces never rounds up past the total.
 */

const BINARY_SUFFIXES: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** The grammar of resource.Quantity in k8s.io/apimachinery (sign, digits, optional fraction, suffix). */
export const QUANTITY_PATTERN = "^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|[eE][-+]?[0-9]{1,2})?$";
const QUANTITY_RE = new RegExp(QUANTITY_PATTERN);

/** Parses a quantity into milli-units; undefined when it is not a quantity or finer than 1m. */
export function parseQuantityMilli(text: string | number): bigint | undefined {
  const s = String(text);
  if (!QUANTITY_RE.test(s)) return undefined;
  const m = /^[+]?([0-9]*)(?:\.([0-9]*))?(.*)$/.exec(s)!;
  const intPart = m[1] || "0";
  const frac = m[2] ?? "";
  const suffix = m[3];
  // value = (intPart.frac) * multiplier, computed as a fraction numerator / 10^frac.length
  let numerator = BigInt(intPart + frac) * 1000n;
  let denominator = 10n ** BigInt(frac.length);
  if (suffix in BINARY_SUFFIXES) {
    numerator *= BINARY_SUFFIXES[suffix];
  } else {
    const exponent = suffix in DECIMAL_SUFFIXES ? DECIMAL_SUFFIXES[suffix] : Number(suffix.slice(1));
    if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
    else denominator *= 10n ** BigInt(-exponent);
  }
  if (numerator % denominator !== 0n) return undefined;
  return numerator / denominator;
}

/** True for a quantity Kubernetes accepts and that is not finer than a milli-unit. */
export function isQuantity(text: string | number): boolean {
  return parseQuantityMilli(text) !== undefined;
}

/**
 * Formats milli-units canonically for the given resource kind: CPU as millicores ("1500m") or
 * whole cores ("2"); bytes as the largest exact binary unit ("1536Mi"), else plain bytes; counts
 * as integers.
 */
export function formatQuantity(milli: bigint, kind: "cpu" | "bytes" | "count"): string {
  if (kind === "cpu") return milli % 1000n === 0n ? String(milli / 1000n) : `${milli}m`;
  const whole = milli / 1000n;
  if (kind === "count") return String(whole);
  for (const suffix of ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"]) {
    const unit = BINARY_SUFFIXES[suffix];
    if (whole !== 0n && whole % unit === 0n) return `${whole / unit}${suffix}`;
  }
  return String(whole);
}

/** Go's time.ParseDuration grammar, which NATS and NACK use for max_age: "72h", "1h30m", "90s". */
export const DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$";
const DURATION_UNITS_NS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Parses a Go duration into nanoseconds; undefined when it is not one (e.g. "7d": Go has no days). */
export function parseDurationNs(text: string): number | undefined {
  if (!new RegExp(DURATION_PATTERN).test(text)) return undefined;
  let total = 0;
  for (const [, value, , unit] of text.matchAll(/([0-9]+(\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(value) * DURATION_UNITS_NS[unit];
  }
  return total;
}

/** Bytes of a quantity, or a plain number of bytes (-1, NATS's "unlimited", stays -1). */
export function bytes(value: number | string): number {
  if (typeof value === "number") return value;
  const milli = parseQuantityMilli(value);
  if (milli === undefined) throw new Error(`${JSON.stringify(value)} is not a quantity`);
  return Number(milli / 1000n);
}
