/**
 * NATS JWTs: the compact encoding (fixed header, canonical JSON payload, Ed25519 signature),
 * content-derived ids, decoding and signature checks.
 *
 * Why not the jwt.js packages: they stamp `iat = now` and derive `jti` from it, so every
 * `pulumi preview` would show a diff and every `pulumi up` would re-sign every account. Here the
 * caller passes `iat` (a stable "claims epoch") and `jti` is a hash of the claims' content, so:
 *   - identical inputs give byte-identical tokens (Ed25519 signatures are deterministic);
 *   - any change of any claim gives a new `jti`, which is what the server's full resolver uses to
 *     decide that a pushed JWT is new (it skips a JWT whose `jti` it already holds).
 * The caller must still make sure `iat` never goes backwards: the full resolver refuses a JWT
 * whose `iat` is older than the one it stores.
 */
import { createHash } from "node:crypto";
import { publicOf, signWith, verifyWith, type KeyPair } from "./nkeys";

const te = new TextEncoder();


/**
 * The only header NATS v2 JWTs use. Written as a literal so its bytes never depend on object
 * key order.
 */
export const JWT_HEADER = '{"typ":"JWT","alg":"ed25519-nkey"}';

function b64url(bytes: Uint8Array | string): string {
  return Buffer.from(typeof bytes === "string" ? te.encode(bytes) : bytes).toString("base64url");
}

function fromB64url(s: string): Buffer {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error("not base64url (no padding)");
  return Buffer.from(s, "base64url");
}

/**
 * JSON with object keys sorted at every level and `undefined` members dropped. This is the one
 * serialisation used for both the token payload and the `jti` hash, so the bytes of a token depend
 * only on the claims' values, never on the order in which the code happened to build them.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`canonicalJson: non-finite number ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  }
  if (typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
  }
  throw new Error(`canonicalJson: cannot serialise ${typeof value}`);
}

/** RFC 4648 base32, upper case, no padding (what the Go library's `jti` looks like). */
function base32NoPad(bytes: Uint8Array): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let out = "";
  let bits = 0;
  let acc = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1; // keep only the unconsumed bits so `acc` never overflows
  }
  if (bits > 0) out += alphabet[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * Content-derived JWT id: base32(SHA-512/256(canonical JSON of the claims without `jti` and
 * `iat`)). SHA-512/256 and base32 match what the Go library uses, so ids look familiar; unlike
 * the Go library, `iat` is excluded, so re-signing unchanged claims at a later epoch keeps the id
 * and a change of any other claim (including the issuer) always changes it.
 */
export function computeJti(claims: object): string {
  const { jti: _jti, iat: _iat, ...rest } = claims as Record<string, unknown>;
  const digest = createHash("sha512-256").update(canonicalJson(rest)).digest();
  return base32NoPad(digest);
}

/** The registered claims every NATS JWT carries, plus the type-specific `nats` object. */
export interface JwtClaims {
  /** Content hash, see {@link computeJti}; computed by {@link encodeJwt}. */
  jti?: string;
  /** Issued-at, whole seconds since the epoch. Always explicit (a claims epoch), never "now". */
  iat: number;
  /** Public key of the signer; filled in by {@link encodeJwt}. */
  iss?: string;
  sub: string;
  name: string;
  exp?: number;
  nbf?: number;
  aud?: string;
  nats: Record<string, unknown> & { type: string; version: 2 };
}

/**
 * Signs `claims` with `signer` and returns the compact JWT. `iss` is set to the signer's public
 * key (a different `iss` in `claims` is an error: it would produce a token nobody can verify) and
 * `jti` is (re)computed from the content, like the Go library's `Encode` does. `iat` is kept as
 * given; it must be a whole number of seconds.
 */
export function encodeJwt(claims: object, signer: KeyPair): string {
  const c = { ...(claims as Record<string, unknown>) };
  const issuer = publicOf(signer);
  if (c.iss !== undefined && c.iss !== issuer) {
    throw new Error(`encodeJwt: claims.iss ${String(c.iss)} is not the signer ${issuer}`);
  }
  c.iss = issuer;
  checkIssuedAt(c.iat);
  delete c.jti;
  c.jti = computeJti(c);
  const signingInput = `${b64url(JWT_HEADER)}.${b64url(canonicalJson(c))}`;
  const sig = signWith(signer, te.encode(signingInput));
  return `${signingInput}.${b64url(sig)}`;
}

function checkIssuedAt(iat: unknown): void {
  // 1e11 s is the year 5138: anything larger is almost certainly milliseconds (Date.now()).
  if (typeof iat !== "number" || !Number.isSafeInteger(iat) || iat < 0 || iat >= 1e11) {
    throw new Error(`iat must be whole seconds since the epoch (a fixed claims epoch), got ${String(iat)}`);
  }
}

export interface DecodedJwt {
  header: { typ?: string; alg?: string } & Record<string, unknown>;
  claims: JwtClaims & Record<string, unknown>;
  /** `b64(header).b64(payload)`, the bytes the signature covers. */
  signingInput: string;
  signature: Uint8Array;
}

/** Splits and parses a token without checking its signature (for tests and tooling). */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.trim().split(".");
  if (parts.length !== 3) throw new Error(`decodeJwt: expected 3 dot-separated parts, got ${parts.length}`);
  const [h, p, s] = parts as [string, string, string];
  return {
    header: JSON.parse(fromB64url(h).toString("utf8")),
    claims: JSON.parse(fromB64url(p).toString("utf8")),
    signingInput: `${h}.${p}`,
    signature: new Uint8Array(fromB64url(s)),
  };
}

/**
 * True when `token` is an ed25519-nkey JWT issued (`iss`) and signed by `issuerPub`. Does not
 * judge expiry or whether that issuer is trusted for this claim type; the server does that.
 */
export function verifyJwt(token: string, issuerPub: string): boolean {
  let d: DecodedJwt;
  try {
    d = decodeJwt(token);
  } catch {
    return false;
  }
  if (d.header.alg !== "ed25519-nkey" || d.claims.iss !== issuerPub) return false;
  try {
    return verifyWith(issuerPub, te.encode(d.signingInput), d.signature);
  } catch {
    return false;
  }
}


/** Plain string order (byte order for ASCII), as the Go library sorts. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
