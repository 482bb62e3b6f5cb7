/**
 * nkeys: NATS identities as Ed25519 key pairs in the nkey text encoding (prefix, raw key, CRC-16,
 * base32). Keys come from 32 raw bytes (stable random bytes kept in Pulumi state), and signing goes
 * through Node's native Ed25519. Nothing here touches the clock, the network or randomness.
 */
import { createHash, createPrivateKey, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from "node:crypto";
import { fromPublic, fromSeed, Prefix, type KeyPair } from "nkeys.js";

export type { KeyPair } from "nkeys.js";

// nkeys.js exports no "key pair from 32 raw bytes" API; its internal codec does the standard
// encoding (prefix byte(s), raw bytes, CRC-16, base32), which is exactly what a seed is.
const { Codec } = require("nkeys.js/lib/codec") as {
  Codec: {
    encodeSeed(role: Prefix, src: Uint8Array): Uint8Array;
    encode(prefix: Prefix, src: Uint8Array): Uint8Array;
    decodeSeed(src: Uint8Array): { prefix: Prefix; buf: Uint8Array };
    decode(expected: Prefix, src: Uint8Array): Uint8Array;
  };
};

const te = new TextEncoder();
const td = new TextDecoder();

export type NKeyKind = "operator" | "account" | "user";

const PREFIX: Record<NKeyKind, Prefix> = {
  operator: Prefix.Operator,
  account: Prefix.Account,
  user: Prefix.User,
};

/** Public-key first letter per kind ("O…", "A…", "U…"), used to reject swapped keys early. */
const PUBLIC_LETTER: Record<NKeyKind, string> = { operator: "O", account: "A", user: "U" };

/**
 * The nkey pair whose Ed25519 seed is `raw32`. Callers feed it stable random bytes (e.g. from
 * `@pulumi/random`'s RandomBytes), so the identity survives re-runs and the secret stays in state.
 */
export function nkeyFromRaw(kind: NKeyKind, raw32: Uint8Array): KeyPair {
  if (!(raw32 instanceof Uint8Array) || raw32.length !== 32) {
    throw new Error(`nkeyFromRaw(${kind}): expected exactly 32 raw bytes, got ${raw32?.length ?? typeof raw32}`);
  }
  // Copy: the codec must not alias caller memory that might be zeroed or reused later.
  return fromSeed(Codec.encodeSeed(PREFIX[kind], Uint8Array.from(raw32)));
}

/** The key pair of an encoded seed ("SO…", "SA…", "SU…"). */
export function keyPairFromSeed(seed: string): KeyPair {
  return fromSeed(te.encode(seed.trim()));
}

/** The public key ("O…", "A…" or "U…") of an encoded seed ("SO…", "SA…", "SU…"). */
export function publicKeyOf(seed: string): string {
  return nodeKey(fromSeed(te.encode(seed.trim()))).pub;
}

// Signing goes through Node's native Ed25519 rather than nkeys.js (tweetnacl in plain JS): the
// signatures are identical (Ed25519 is deterministic, RFC 8032) but about a hundred times faster,
// and nkeys.js even re-derives the public key on every getPublicKey(). With several tokens per
// tenant that is the difference between milliseconds and a minute for a thousand tenants.
// nkeys.js still does the nkey text encoding (prefix, CRC-16, base32).
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex"); // + 32-byte seed
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex"); // + 32-byte public key
const nodeKeys = new WeakMap<KeyPair, { priv: KeyObject; pub: string }>();
// The same seed comes back as a new KeyPair many times (each token a tenant signs re-reads its
// seeds), and OpenSSL's key import is most of a signature's cost: the keys are kept by the seed's
// digest too (not the seed itself), a bounded number of them.
const bySeed = new Map<string, { priv: KeyObject; pub: string }>();
const BY_SEED_LIMIT = 16_384;

function nodeKey(kp: KeyPair): { priv: KeyObject; pub: string } {
  let k = nodeKeys.get(kp);
  if (!k) {
    const seed = kp.getSeed();
    const digest = createHash("sha256").update(seed).digest("base64");
    k = bySeed.get(digest);
    if (!k) {
      const { prefix, buf } = Codec.decodeSeed(seed);
      const priv = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, buf]), format: "der", type: "pkcs8" });
      const spki = createPublicKey(priv).export({ format: "der", type: "spki" });
      k = { priv, pub: td.decode(Codec.encode(prefix, new Uint8Array(spki.subarray(SPKI_ED25519.length)))) };
      if (bySeed.size >= BY_SEED_LIMIT) bySeed.clear();
      bySeed.set(digest, k);
    }
    nodeKeys.set(kp, k);
  }
  return k;
}

/** Public key of a key pair (cached; same value as kp.getPublicKey()). */
export function publicOf(kp: KeyPair): string {
  return nodeKey(kp).pub;
}

/** Ed25519 signature by `kp` (same bytes as kp.sign(data)). */
export function signWith(kp: KeyPair, data: Uint8Array): Uint8Array {
  return new Uint8Array(edSign(null, data, nodeKey(kp).priv));
}

/** Ed25519 check of `sig` over `data` by the holder of the public nkey `pub` (any kind). */
export function verifyWith(pub: string, data: Uint8Array, sig: Uint8Array): boolean {
  const kind = (Object.keys(PUBLIC_LETTER) as NKeyKind[]).find((k) => pub.startsWith(PUBLIC_LETTER[k]));
  if (!kind) return false;
  const raw = Codec.decode(PREFIX[kind], te.encode(pub)); // checks prefix and CRC
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: "der", type: "spki" });
  return edVerify(null, data, key, sig);
}

/** The encoded seed of a key pair, as a string (what a creds file carries). */
export function seedOf(kp: KeyPair): string {
  return td.decode(kp.getSeed());
}

export function assertPublicKey(kind: NKeyKind, key: string, what: string): void {
  let ok = typeof key === "string" && key.startsWith(PUBLIC_LETTER[kind]);
  if (ok) {
    try {
      fromPublic(key); // checks length, prefix and CRC
    } catch {
      ok = false;
    }
  }
  if (!ok) throw new Error(`${what}: ${JSON.stringify(key)} is not a valid ${kind} public key`);
}
