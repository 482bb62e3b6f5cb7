/**
 * The curves the fakes sign with, and the deterministic ECDSA signer. The provider draws each
 * ECDSA nonce from crypto/rand; here it comes from the key and the digest (RFC 6979), so the same
 * inputs give the same signature bytes. What cannot be signed that way offline (RSA, P224) is
 * refused with OfflineUnsupported.
 */
import { p256 } from "@noble/curves/p256";
import { p384 } from "@noble/curves/p384";
import { p521 } from "@noble/curves/p521";
import { invert } from "@noble/curves/abstract/modular";
import { createECDH, createHash, createHmac } from "node:crypto";

interface NobleCurve {
  CURVE: { n: bigint };
}

export interface CurveInfo {
  /** The provider's name (`ecdsa_curve`). */
  name: "P256" | "P384" | "P521";
  /** OpenSSL's name (node's createECDH, KeyObject.asymmetricKeyDetails.namedCurve). */
  openssl: string;
  /** WebCrypto / JWK name. */
  web: "P-256" | "P-384" | "P-521";
  ssh: "nistp256" | "nistp384" | "nistp521";
  /** Scalar / coordinate length in bytes. */
  size: number;
  /** Bit length of the group order (bits2int truncates to it). */
  bits: number;
  /** Go's x509 signature hash for this curve (signingParamsForPublicKey). */
  hash: "sha256" | "sha384" | "sha512";
  webHash: "SHA-256" | "SHA-384" | "SHA-512";
  noble: NobleCurve;
}

export const CURVES: Record<CurveInfo["name"], CurveInfo> = {
  P256: { name: "P256", openssl: "prime256v1", web: "P-256", ssh: "nistp256", size: 32, bits: 256, hash: "sha256", webHash: "SHA-256", noble: p256 as unknown as NobleCurve },
  P384: { name: "P384", openssl: "secp384r1", web: "P-384", ssh: "nistp384", size: 48, bits: 384, hash: "sha384", webHash: "SHA-384", noble: p384 as unknown as NobleCurve },
  P521: { name: "P521", openssl: "secp521r1", web: "P-521", ssh: "nistp521", size: 66, bits: 521, hash: "sha512", webHash: "SHA-512", noble: p521 as unknown as NobleCurve },
};
export const CURVE_BY_OPENSSL = new Map(Object.values(CURVES).map((c) => [c.openssl, c]));

export const SUPPORTED_OFFLINE = "the offline engine signs with ECDSA P256/P384/P521 and ED25519 keys";

const bigintFrom = (bytes: Uint8Array): bigint => (bytes.length ? BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`) : 0n);
const octetsFrom = (value: bigint, size: number): Buffer => Buffer.from(value.toString(16).padStart(size * 2, "0"), "hex");

/**
 * x(k·G) from OpenSSL: one ECDH object per curve, whose setPrivateKey(k) computes the public point
 * k·G. ~10 µs for P-256 where @noble/curves takes ~250 µs, and, for P-384 / P-521, no base-point
 * table to build first (~70 / ~140 ms in noble) at a similar cost per signature.
 */
const baseMultipliers = new Map<CurveInfo, (k: bigint) => bigint>();

function baseMultiplierX(curve: CurveInfo): (k: bigint) => bigint {
  let multiply = baseMultipliers.get(curve);
  if (!multiply) {
    const ecdh = createECDH(curve.openssl);
    multiply = (k) => {
      ecdh.setPrivateKey(octetsFrom(k, curve.size));
      return bigintFrom(ecdh.getPublicKey().subarray(1, 1 + curve.size)); // uncompressed: 04 || x || y
    };
    baseMultipliers.set(curve, multiply);
  }
  return multiply;
}

/**
 * The deterministic ECDSA signer: P1363 r||s over `data` hashed with the curve's hash, the nonce
 * from RFC 6979 (HMAC-DRBG over the key and the digest, no extra entropy), s not normalised to the
 * lower half. This is @noble/curves' `sign(digest, d, { lowS: false })` step for step (bits2int,
 * int2octets, the DRBG's reseed after a rejected k, r = 0 or s = 0), with node's HMACs and
 * OpenSSL's k·G: the same bytes (test/tls-fakes.test.ts checks them against noble's), several
 * times faster.
 */
export function ecdsaSigner(curve: CurveInfo, dBytes: Uint8Array): (data: Uint8Array) => Uint8Array {
  const n = curve.noble.CURVE.n;
  const size = curve.size;
  const d = bigintFrom(dBytes);
  const dOctets = octetsFrom(d, size);
  const bits2int = (bytes: Buffer): bigint => {
    const delta = bytes.length * 8 - curve.bits;
    const num = bigintFrom(bytes);
    return delta > 0 ? num >> BigInt(delta) : num;
  };
  const hashLength = createHash(curve.hash).digest().length;
  const ZERO = Buffer.from([0]);
  const ONE = Buffer.from([1]);
  const baseX = baseMultiplierX(curve);
  return (data) => {
    const h1 = bits2int(createHash(curve.hash).update(data).digest()) % n;
    const seed = Buffer.concat([dOctets, octetsFrom(h1, size)]);
    // RFC 6979 3.2 b-g, as an HMAC-DRBG
    let v: Buffer = Buffer.alloc(hashLength, 1);
    let k: Buffer = Buffer.alloc(hashLength, 0);
    const hmac = (...parts: Buffer[]): Buffer => {
      const mac = createHmac(curve.hash, k).update(v);
      for (const part of parts) mac.update(part);
      return mac.digest();
    };
    k = hmac(ZERO, seed);
    v = hmac();
    k = hmac(ONE, seed);
    v = hmac();
    for (let attempt = 0; attempt < 1000; attempt++) {
      const blocks: Buffer[] = [];
      for (let length = 0; length < size; length += v.length) blocks.push((v = hmac()));
      const nonce = bits2int(blocks.length === 1 ? blocks[0] : Buffer.concat(blocks));
      if (nonce >= 1n && nonce < n) {
        const r = baseX(nonce) % n;
        if (r !== 0n) {
          const s = (invert(nonce, n) * ((h1 + r * d) % n)) % n;
          if (s !== 0n) return Buffer.concat([octetsFrom(r, size), octetsFrom(s, size)]);
        }
      }
      k = hmac(ZERO); // RFC 6979 3.2 h.3
      v = hmac();
    }
    throw new Error("ECDSA: no valid nonce after 1000 attempts");
  };
}

/** Something the provider does that the offline engine does not (reported as "offline engine: …"). */
export class OfflineUnsupported extends Error {}
