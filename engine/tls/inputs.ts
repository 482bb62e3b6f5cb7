/**
 * The resources' inputs as the provider's schema takes them: validated and defaulted with the
 * provider's messages, write-only alternatives, list inputs, and the canonical JSON of the inputs
 * that goes into a certificate's serial.
 */
import { SUPPORTED_USES } from "./extensions";

const SUPPORTED_ALGORITHMS = ["RSA", "ECDSA", "ED25519"];
const SUPPORTED_CURVES = ["P224", "P256", "P384", "P521"];

/** PrivateKey's algorithm, curve and RSA size, validated and defaulted as the provider's schema does. */
export function privateKeyInputs(inputs: Record<string, any>) {
  const algorithm = String(inputs.algorithm ?? "");
  if (!SUPPORTED_ALGORITHMS.includes(algorithm)) {
    throw new Error(`Attribute algorithm value must be one of: ${JSON.stringify(SUPPORTED_ALGORITHMS)}, got: ${JSON.stringify(algorithm)}`);
  }
  const ecdsaCurve = String(inputs.ecdsaCurve ?? "P224"); // the provider's default
  if (!SUPPORTED_CURVES.includes(ecdsaCurve)) {
    throw new Error(`Attribute ecdsa_curve value must be one of: ${JSON.stringify(SUPPORTED_CURVES)}, got: ${JSON.stringify(ecdsaCurve)}`);
  }
  const rsaBits = inputs.rsaBits ?? 2048;
  return { algorithm, ecdsaCurve, rsaBits };
}

/** Inputs shared by both certificate resources, validated and defaulted like the provider's schema. */
export function certificateInputs(inputs: Record<string, any>) {
  const allowedUses = inputs.allowedUses;
  if (!Array.isArray(allowedUses)) throw new Error("The argument \"allowed_uses\" is required");
  allowedUses.forEach((use, i) => {
    if (!SUPPORTED_USES.includes(use)) {
      throw new Error(`Attribute allowed_uses[${i}] value must be one of: ${JSON.stringify(SUPPORTED_USES)}, got: ${JSON.stringify(use)}`);
    }
  });
  if (inputs.validityPeriodHours === undefined || inputs.validityPeriodHours === null) throw new Error("The argument \"validity_period_hours\" is required");
  const validityPeriodHours = integer(inputs.validityPeriodHours, "validity_period_hours", 0);
  const earlyRenewalHours = integer(inputs.earlyRenewalHours ?? 0, "early_renewal_hours", 0);
  const maxPathLength = integer(inputs.maxPathLength ?? -1, "max_path_length", -1);
  const isCa = inputs.isCaCertificate === true;
  const setSubjectKeyId = inputs.setSubjectKeyId === true;
  return {
    allowedUses: allowedUses as string[],
    validityPeriodHours,
    earlyRenewalHours,
    maxPathLength,
    isCa,
    setSubjectKeyId,
    echo: {
      earlyRenewalHours,
      isCaCertificate: isCa,
      maxPathLength,
      setSubjectKeyId,
    },
  };
}

export type CertificateInputs = ReturnType<typeof certificateInputs>;

export const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

function integer(v: unknown, name: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got ${JSON.stringify(v)}`);
  if (n < min) throw new Error(`Attribute ${name} value must be at least ${min}, got: ${n}`);
  return n;
}

/** JSON with sorted keys (undefined as null): the inputs as they go into a certificate's serial. */
export function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Exactly one of `name` / `nameWo` (write-only), as the provider validates. */
export function oneOf(inputs: Record<string, any>, name: string, wo: string): string {
  const plain = inputs[name];
  const writeOnly = inputs[wo];
  if ((plain === undefined || plain === null) === (writeOnly === undefined || writeOnly === null)) {
    throw new Error(`Exactly one of ${name} or ${wo} must be set`);
  }
  return String(plain ?? writeOnly);
}

export const withoutWriteOnly = (inputs: Record<string, any>): Record<string, any> =>
  Object.fromEntries(Object.entries(inputs).filter(([k]) => !k.endsWith("Wo")));
