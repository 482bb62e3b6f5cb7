/**
 * ECDSA keys as the program signs with them: the curve, private scalar and public key of a PEM key
 * (as tls.PrivateKey writes it), and deterministic signatures (RFC 6979, @noble/curves), so the same
 * key and message always give the same bytes.
 */
import { createECDH, createHash, createPrivateKey, createPublicKey } from "node:crypto";
import { p256, p384 } from "@noble/curves/nist";
import { oid, readElement, sequence } from "./der";

export type EcdsaCurve = "P-256" | "P-384";

interface CurveFacts {
  /** OpenSSL's name (createECDH). */
  openssl: string;
  /** Scalar length in bytes. */
  size: number;
  /** Go's x509 signature hash for the curve, and the matching ecdsa-with-SHA* algorithm. */
  hash: "sha256" | "sha384";
  algorithmOid: string;
  /** The namedCurve OID (DER) as SEC1 and SPKI carry it. */
  curveOid: Buffer;
  sign: (digest: Uint8Array, d: Uint8Array) => Uint8Array;
}

// lowS off: Go's ecdsa.Sign does not normalise s, and RFC 6979's vectors are the unnormalised ones.
export const CURVES: Record<EcdsaCurve, CurveFacts> = {
  "P-256": { openssl: "prime256v1", size: 32, hash: "sha256", algorithmOid: "1.2.840.10045.4.3.2", curveOid: oid("1.2.840.10045.3.1.7"), sign: (h, d) => p256.sign(h, d, { lowS: false, prehash: false }).toDERRawBytes() },
  "P-384": { openssl: "secp384r1", size: 48, hash: "sha384", algorithmOid: "1.2.840.10045.4.3.3", curveOid: oid("1.3.132.0.34"), sign: (h, d) => p384.sign(h, d, { lowS: false, prehash: false }).toDERRawBytes() },
};

const EC_PUBLIC_KEY = oid("1.2.840.10045.2.1");

export interface EcdsaKey {
  curve: EcdsaCurve;
  /** The private scalar, big-endian, padded to the curve's size. */
  d: Buffer;
  /** SubjectPublicKeyInfo DER, the uncompressed point computed from `d`. */
  spki: Buffer;
}

/** One ECDH object per curve: creating one costs more than the point it computes. */
const multipliers = new Map<EcdsaCurve, ReturnType<typeof createECDH>>();

/** The key for a scalar: its public point computed by OpenSSL (never taken from the file, as Go recomputes it). */
function keyFor(curve: EcdsaCurve, scalar: Buffer): EcdsaKey {
  const facts = CURVES[curve];
  if (scalar.length > facts.size) throw new Error(`ECDSA key: a ${curve} scalar longer than ${facts.size} bytes`);
  const d = Buffer.concat([Buffer.alloc(facts.size - scalar.length), scalar]);
  let ecdh = multipliers.get(curve);
  if (!ecdh) multipliers.set(curve, (ecdh = createECDH(facts.openssl)));
  ecdh.setPrivateKey(d); // refuses 0 and scalars not below the group order
  const point = ecdh.getPublicKey();
  return { curve, d, spki: sequence(sequence(EC_PUBLIC_KEY, facts.curveOid), Buffer.concat([Buffer.from([0x03, point.length + 1, 0]), point])) };
}

/**
 * A SEC1 key ("EC PRIVATE KEY", what tls.PrivateKey writes for ECDSA) read without OpenSSL's
 * decoder, which costs about half a millisecond a key (as much as a signature). A SEC1 key without
 * its curve parameters, or on another curve, is left to node.
 */
function sec1Key(privateKeyPem: string): EcdsaKey | undefined {
  const match = /^-----BEGIN EC PRIVATE KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END EC PRIVATE KEY-----$/.exec(privateKeyPem.trim());
  if (!match) return undefined;
  const der = Buffer.from(match[1]!, "base64");
  let curve: EcdsaCurve | undefined;
  let secret: { start: number; end: number };
  try {
    const outer = readElement(der, 0);
    const version = readElement(der, outer.start);
    secret = readElement(der, version.end);
    if (outer.tag !== 0x30 || version.tag !== 0x02 || version.end - version.start !== 1 || der[version.start] !== 1 || der[version.end] !== 0x04) return undefined;
    for (let at = secret.end; at < outer.end && !curve; ) {
      const field = readElement(der, at);
      if (field.tag === 0xa0) {
        const params = der.subarray(field.start, field.end);
        curve = (Object.keys(CURVES) as EcdsaCurve[]).find((c) => CURVES[c].curveOid.equals(params));
        if (!curve) return undefined;
      }
      at = field.end;
    }
  } catch {
    return undefined; // malformed: node's decoder says why
  }
  return curve ? keyFor(curve, der.subarray(secret.start, secret.end)) : undefined;
}

/** Curve, scalar and public key of an ECDSA P-256 or P-384 key in PEM (SEC1 or PKCS#8); throws naming what else it got. */
export function ecdsaKey(privateKeyPem: string): EcdsaKey {
  const fast = sec1Key(privateKeyPem);
  if (fast) return fast;
  const key = createPrivateKey(privateKeyPem);
  const jwk = key.export({ format: "jwk" });
  if (jwk.kty !== "EC" || (jwk.crv !== "P-256" && jwk.crv !== "P-384") || !jwk.d) throw new Error(`expected an ECDSA P-256 or P-384 key, got ${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ""}`);
  const own = keyFor(jwk.crv, Buffer.from(jwk.d, "base64url"));
  // The same SPKI as node's (the point recomputed equals the one in the key).
  if (!own.spki.equals(createPublicKey(key).export({ format: "der", type: "spki" }))) throw new Error("ECDSA key: its public key does not match its private scalar");
  return own;
}

/** The DER ECDSA-Sig-Value of `message` (hashed with the curve's hash), with RFC 6979's nonce. */
export function deterministicSignature(key: EcdsaKey, message: Buffer): Buffer {
  const facts = CURVES[key.curve];
  return Buffer.from(facts.sign(createHash(facts.hash).update(message).digest(), key.d));
}
