/**
 * Keys as the provider reads them: private keys in the PEM encodings it accepts (PKCS#1, SEC1,
 * PKCS#8), each turned into a deterministic signer (curves.ts); public keys from a
 * SubjectPublicKeyInfo; the subject key id the provider derives from a key. Parsed private keys
 * are cached by their exact PEM.
 */
import { createHash, createPrivateKey, createPublicKey, sign as nodeSign, type JsonWebKey, type KeyObject } from "node:crypto";
import { sharedCache } from "./caches";
import { CURVE_BY_OPENSSL, OfflineUnsupported, SUPPORTED_OFFLINE, ecdsaSigner, type CurveInfo } from "./curves";
import { decodePem } from "./pem";

export type KeyAlgorithm = "RSA" | "ECDSA" | "ED25519";

/** A public key, as much of it as key ids and key comparisons need. */
export interface PublicKey {
  algorithm: KeyAlgorithm;
  /** SubjectPublicKeyInfo DER. */
  spki: Buffer;
  /** Raw public key: the uncompressed EC point, the 32 Ed25519 bytes, or (RSA) the SPKI again. */
  publicRaw: Buffer;
}

/** A private key parsed from PEM, able to sign deterministically. */
export interface SigningKey {
  algorithm: KeyAlgorithm;
  /** SubjectPublicKeyInfo DER of the public key. */
  spki: Buffer;
  curve?: CurveInfo;
  /** Raw public key: the uncompressed EC point, or the 32 Ed25519 bytes. */
  publicRaw: Buffer;
  /** The algorithm @peculiar/x509 reads from the key to pick the signature algorithm. */
  webAlgorithm: { name: "ECDSA"; namedCurve: string } | { name: "Ed25519" };
  /** Signature over `data`: P1363 (r||s) for ECDSA, as WebCrypto returns it; raw for Ed25519. */
  sign(data: Uint8Array): Uint8Array;
}

/** Private key PEM → its signer: a tenant CA's key signs every certificate of the tenant, the root's every tenant CA. */
const keyCache = sharedCache<string, SigningKey>(16384);

/** The provider's parsePrivateKeyPEM: RSA PRIVATE KEY (PKCS#1), EC PRIVATE KEY (SEC1), PRIVATE KEY (PKCS#8). */
export function parsePrivateKey(text: string): SigningKey {
  const cached = keyCache.get(text);
  if (cached) return cached;
  const block = decodePem(text, "private key");
  const type = ({ "RSA PRIVATE KEY": "pkcs1", "EC PRIVATE KEY": "sec1", "PRIVATE KEY": "pkcs8" } as const)[block.type];
  if (!type) throw new Error(`unable to determine parser for PEM preamble: ${block.type}`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: block.der, format: "der", type });
  } catch (err) {
    throw new Error(`failed to parse private key given PEM preamble '${block.type}': ${(err as Error).message}`);
  }
  const signing = signingKeyFrom(key);
  keyCache.set(text, signing);
  return signing;
}

/** Enters a key made here under a PEM it was written as, so that signing with it parses nothing. */
export function rememberPrivateKey(text: string, key: SigningKey): void {
  keyCache.set(text, key);
}

/** A private key's JWK export, once per key (PrivateKey reads it for the signer and for OpenSSH). */
const jwks = new WeakMap<KeyObject, JsonWebKey>();

export function privateJwk(key: KeyObject): JsonWebKey {
  let jwk = jwks.get(key);
  if (!jwk) jwks.set(key, (jwk = key.export({ format: "jwk" })));
  return jwk;
}

export function signingKeyFrom(key: KeyObject): SigningKey {
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  switch (key.asymmetricKeyType) {
    case "ec": {
      const named = key.asymmetricKeyDetails?.namedCurve ?? "";
      const curve = CURVE_BY_OPENSSL.get(named);
      if (!curve) throw new OfflineUnsupported(`ECDSA curve ${named === "secp224r1" ? "P224" : named} is not supported offline (${SUPPORTED_OFFLINE})`);
      const jwk = privateJwk(key);
      const d = Buffer.from(jwk.d!, "base64url");
      const publicRaw = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
      return {
        algorithm: "ECDSA",
        spki,
        curve,
        publicRaw,
        webAlgorithm: { name: "ECDSA", namedCurve: curve.web },
        // RFC 6979: the nonce is derived from the key and the digest, so the signature is too.
        sign: ecdsaSigner(curve, d),
      };
    }
    case "ed25519":
      return {
        algorithm: "ED25519",
        spki,
        publicRaw: spki.subarray(spki.length - 32),
        webAlgorithm: { name: "Ed25519" },
        sign: (data) => nodeSign(null, data, key), // Ed25519 is deterministic by construction
      };
    case "rsa":
      return {
        algorithm: "RSA",
        spki,
        publicRaw: spki,
        webAlgorithm: { name: "ECDSA", namedCurve: "none" },
        sign: () => {
          throw new OfflineUnsupported(`RSA signatures are not supported by the offline engine (${SUPPORTED_OFFLINE})`);
        },
      };
    default:
      throw new Error(`unsupported private key type: ${key.asymmetricKeyType}`);
  }
}

/** The provider's generateSubjectKeyID: SHA-1 of the EC point, of the DER OCTET STRING of an Ed25519 key. */
export function subjectKeyId(key: PublicKey): Buffer {
  switch (key.algorithm) {
    case "ECDSA":
      return createHash("sha1").update(key.publicRaw).digest();
    case "ED25519": // asn1.Marshal(ed25519.PublicKey): an OCTET STRING, tag and length included
      return createHash("sha1").update(Buffer.from([0x04, 0x20])).update(key.publicRaw).digest();
    default: // asn1.Marshal(rsa.PublicKey): the PKCS#1 RSAPublicKey
      return createHash("sha1").update(createPublicKey({ key: key.spki, format: "der", type: "spki" }).export({ type: "pkcs1", format: "der" })).digest();
  }
}

/** RSA keys can be read (and certified) but not signed with offline. */
export function requireSigner(key: SigningKey): SigningKey {
  if (key.algorithm === "RSA") throw new OfflineUnsupported(`RSA signatures are not supported by the offline engine (${SUPPORTED_OFFLINE})`);
  return key;
}

/** A public key from its SubjectPublicKeyInfo, enough for SKI and key comparisons. */
export function publicKeyFromSpki(spki: Buffer, key = createPublicKey({ key: spki, format: "der", type: "spki" })): PublicKey {
  if (key.asymmetricKeyType === "ec") {
    const jwk = key.export({ format: "jwk" });
    return { algorithm: "ECDSA", spki, publicRaw: Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]) };
  }
  if (key.asymmetricKeyType === "ed25519") return { algorithm: "ED25519", spki, publicRaw: spki.subarray(spki.length - 32) };
  if (key.asymmetricKeyType === "rsa") return { algorithm: "RSA", spki, publicRaw: spki };
  throw new Error(`x509: unsupported public key type ${key.asymmetricKeyType}`);
}
