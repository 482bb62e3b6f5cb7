/**
 * Fakes for @pulumi/tls (5.6.1, i.e. terraform-provider-tls under pulumi-tls), used by the offline
 * engine. They make what the provider makes, with the same Go `crypto/x509` choices, from
 * deterministic material instead of `crypto/rand`:
 *
 * - PrivateKey: ECDSA (P256, P384, P521) and ED25519 keys derived from the engine's seed and the
 *   resource URN; PEM (SEC1 for ECDSA, PKCS#8 for ED25519), PKCS#8, OpenSSH, PKIX public key,
 *   authorized_keys line and fingerprints; id = hex SHA-1 of the public key DER. The provider's
 *   default curve is P224, which is kept as the default and refused offline (no RFC 6979 signer
 *   here), as is RSA (no cheap deterministic key generation).
 * - CertRequest: a real PKCS#10 request signed with the given key; id = hex SHA-1 of its DER.
 * - SelfSignedCert / LocallySignedCert: real X.509 v3 certificates built with @peculiar/x509
 *   (as its generators build them, without their round trips: see "Building" below), signed
 *   deterministically (RFC 6979 ECDSA, byte for byte @noble/curves' signer; Ed25519 via node)
 *   with the given key. Extensions follow the provider's template through Go's
 *   `x509.CreateCertificate`: KeyUsage (critical, only if non-empty), ExtKeyUsage,
 *   BasicConstraints (critical, always), SubjectKeyId (CA or set_subject_key_id), AuthorityKeyId
 *   (the issuer's SKI for a locally signed certificate; the own SKI when a self-signed one asks),
 *   SubjectAltName (critical when the subject is empty). As in Go, `max_path_length = 0` does NOT produce `pathlen:0`: the provider
 *   never sets `MaxPathLenZero`, so 0 and -1 both mean "no constraint"; a positive value on a
 *   non-CA certificate fails like Go ("only CAs are allowed to specify MaxPathLen").
 *
 * Validity starts at the engine's clock (not the wall clock), serial numbers are 128 bits derived
 * from the URN, inputs and clock, so a render is byte-reproducible.
 *
 * Speed: what one resource makes, the next ones read (a tenant CA's key signs all the tenant's
 * certificates, a request is signed right after it is made), so parsed keys, requests, CA
 * certificates, names and extensions are kept in bounded caches keyed by the exact PEM (or
 * content) they come from. They hold only what that text determines: outputs do not depend on
 * them (test/tls-fakes.test.ts makes the same resources with the caches emptied before each one).
 */
import "reflect-metadata"; // @peculiar/x509 (tsyringe) needs it loaded first
import * as x509 from "@peculiar/x509";
// @peculiar/x509's own ASN.1 model and encoder (its dependencies, pinned with it in package-lock.json)
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn1Csr from "@peculiar/asn1-csr";
import * as asn1X509 from "@peculiar/asn1-x509";
import { p256 } from "@noble/curves/p256";
import { p384 } from "@noble/curves/p384";
import { p521 } from "@noble/curves/p521";
import { invert } from "@noble/curves/abstract/modular";
import { createECDH, createHash, createHmac, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type JsonWebKey, type KeyObject } from "node:crypto";
import { isIP } from "node:net";
import type { FakeArgs, FakeResult } from "./fake-types";

type Bytes = (identity: string, length: number) => Buffer;

// ---------------------------------------------------------------------------------------------
// Curves and keys

interface NobleCurve {
  CURVE: { n: bigint };
}

interface CurveInfo {
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

const CURVES: Record<CurveInfo["name"], CurveInfo> = {
  P256: { name: "P256", openssl: "prime256v1", web: "P-256", ssh: "nistp256", size: 32, bits: 256, hash: "sha256", webHash: "SHA-256", noble: p256 as unknown as NobleCurve },
  P384: { name: "P384", openssl: "secp384r1", web: "P-384", ssh: "nistp384", size: 48, bits: 384, hash: "sha384", webHash: "SHA-384", noble: p384 as unknown as NobleCurve },
  P521: { name: "P521", openssl: "secp521r1", web: "P-521", ssh: "nistp521", size: 66, bits: 521, hash: "sha512", webHash: "SHA-512", noble: p521 as unknown as NobleCurve },
};
const CURVE_BY_OPENSSL = new Map(Object.values(CURVES).map((c) => [c.openssl, c]));
const SUPPORTED_ALGORITHMS = ["RSA", "ECDSA", "ED25519"];
const SUPPORTED_CURVES = ["P224", "P256", "P384", "P521"];

type KeyAlgorithm = "RSA" | "ECDSA" | "ED25519";

/** A private key parsed from PEM, able to sign deterministically. */
interface SigningKey {
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

const SUPPORTED_OFFLINE = "the offline engine signs with ECDSA P256/P384/P521 and ED25519 keys";

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
function ecdsaSigner(curve: CurveInfo, dBytes: Uint8Array): (data: Uint8Array) => Uint8Array {
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

class OfflineUnsupported extends Error {}

/** Go's pem.Decode for the first block, and the provider's preamble check. */
function decodePem(text: string, what: string): { type: string; der: Buffer } {
  const m = /-----BEGIN ([^\n-]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text ?? "");
  if (!m) throw new Error(`failed to decode ${what} PEM block`);
  return { type: m[1], der: Buffer.from(m[2].replace(/[^A-Za-z0-9+/=]/g, ""), "base64") };
}

/** Go's pem.EncodeToMemory: 64-column base64 body, trailing newline. */
function pem(type: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${type}-----\n${lines.join("\n")}${lines.length ? "\n" : ""}-----END ${type}-----\n`;
}

/**
 * A bounded map that forgets its least recently used entry. The caches below are keyed by the
 * exact PEM text they were parsed from (or made as), and hold only what that text determines, so
 * they are shared by every FakeTls (any seed, any clock) without changing an output.
 */
class Lru<K, V> {
  private readonly entries = new Map<K, V>();
  constructor(private readonly capacity: number) {}
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as K);
  }
  clear(): void {
    this.entries.clear();
  }
}

/** Private key PEM → its signer: a tenant CA's key signs every certificate of the tenant, the root's every tenant CA. */
const keyCache = new Lru<string, SigningKey>(16384);

/** The provider's parsePrivateKeyPEM: RSA PRIVATE KEY (PKCS#1), EC PRIVATE KEY (SEC1), PRIVATE KEY (PKCS#8). */
function parsePrivateKey(text: string): SigningKey {
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

/** A private key's JWK export, once per key (PrivateKey reads it for the signer and for OpenSSH). */
const jwks = new WeakMap<KeyObject, JsonWebKey>();

function privateJwk(key: KeyObject): JsonWebKey {
  let jwk = jwks.get(key);
  if (!jwk) jwks.set(key, (jwk = key.export({ format: "jwk" })));
  return jwk;
}

function signingKeyFrom(key: KeyObject): SigningKey {
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
function subjectKeyId(key: { algorithm: KeyAlgorithm; publicRaw: Buffer; spki: Buffer }): Buffer {
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
function requireSigner(key: SigningKey): SigningKey {
  if (key.algorithm === "RSA") throw new OfflineUnsupported(`RSA signatures are not supported by the offline engine (${SUPPORTED_OFFLINE})`);
  return key;
}

/** A public key from its SubjectPublicKeyInfo, enough for SKI and key comparisons. */
function publicKeyFromSpki(spki: Buffer, key = createPublicKey({ key: spki, format: "der", type: "spki" })): { algorithm: KeyAlgorithm; publicRaw: Buffer; spki: Buffer } {
  if (key.asymmetricKeyType === "ec") {
    const jwk = key.export({ format: "jwk" });
    return { algorithm: "ECDSA", spki, publicRaw: Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]) };
  }
  if (key.asymmetricKeyType === "ed25519") return { algorithm: "ED25519", spki, publicRaw: spki.subarray(spki.length - 32) };
  if (key.asymmetricKeyType === "rsa") return { algorithm: "RSA", spki, publicRaw: spki };
  throw new Error(`x509: unsupported public key type ${key.asymmetricKeyType}`);
}

// ---------------------------------------------------------------------------------------------
// Building certificates and requests: X509CertificateGenerator.create and
// Pkcs10CertificateRequestGenerator.create of @peculiar/x509 2.2.0, step for step, on the same
// @peculiar/asn1-x509 / asn1-csr model and @peculiar/asn1-schema encoder (the ones its public
// types are made of), with @peculiar/x509's own algorithm provider and signature formatters. What
// is left out are the generators' round trips, which were most of the fakes' time: every extension,
// name and key is serialized, parsed back and serialized again, and the result is parsed once
// more. Here the parsed parts are cached and the encoder runs once per structure; the bytes are
// the same (test/tls-fakes.test.ts compares them with the generators'). The signature comes
// straight from the deterministic signer: nothing can ask for randomness.

const algorithmProvider = new x509.AlgorithmProvider();
const signatureFormatters = [new x509.AsnEcSignatureFormatter(), new x509.AsnDefaultSignatureFormatter()]; // the generators' order

type WebAlgorithm = Parameters<x509.AsnEcSignatureFormatter["toAsnSignature"]>[0];

/** The WebCrypto algorithm the generators sign with, and its AlgorithmIdentifier (shared: the encoder only reads it). */
interface SignatureAlgorithm {
  web: WebAlgorithm;
  asn: asn1X509.AlgorithmIdentifier;
}
const signatureAlgorithms = new Map<string, SignatureAlgorithm>();

/**
 * `{ ...defaults, ...signingAlgorithm, ...key.algorithm }` as each generator merges them: the
 * certificate generator defaults the hash to SHA-256, the request generator does not.
 */
function signatureAlgorithm(key: SigningKey, kind: "certificate" | "request"): SignatureAlgorithm {
  const signingAlgorithm = key.curve ? { name: "ECDSA", hash: key.curve.webHash } : { name: "Ed25519" };
  const web: WebAlgorithm = { ...(kind === "certificate" ? { hash: "SHA-256" } : {}), ...signingAlgorithm, ...key.webAlgorithm };
  const id = JSON.stringify(web);
  let algorithm = signatureAlgorithms.get(id);
  if (!algorithm) signatureAlgorithms.set(id, (algorithm = { web, asn: algorithmProvider.toAsnAlgorithm(web) }));
  return algorithm;
}

/** Signs the encoded to-be-signed part and encodes the signature as the generators do (ECDSA-Sig-Value for ECDSA). */
function asnSignature(algorithm: SignatureAlgorithm, key: SigningKey, tbs: ArrayBuffer): ArrayBuffer {
  const signature = key.sign(new Uint8Array(tbs));
  for (const formatter of signatureFormatters) {
    const encoded = formatter.toAsnSignature(algorithm.web, signature);
    if (encoded) return encoded;
  }
  throw new Error("Cannot convert WebCrypto signature value to ASN.1 format");
}

/** @peculiar/x509's toPositiveIntegerOctets: the serial as a positive INTEGER's content octets. */
function positiveIntegerOctets(bytes: Uint8Array): ArrayBuffer {
  let first = 0;
  while (first < bytes.length - 1 && bytes[first] === 0) first++;
  const value = bytes.subarray(first);
  const out = new Uint8Array(value.length + (value[0] > 0x7f ? 1 : 0));
  out.set(value, out.length - value.length);
  return out.buffer;
}

/** Public keys parsed from their SubjectPublicKeyInfo, as the generators parse them (the request's, then the certificate's). */
const spkiCache = new Lru<string, asn1X509.SubjectPublicKeyInfo>(8192);

function parsedSpki(spki: Buffer): asn1X509.SubjectPublicKeyInfo {
  const key = spki.toString("latin1");
  let parsed = spkiCache.get(key);
  if (!parsed) spkiCache.set(key, (parsed = AsnConvert.parse(spki, asn1X509.SubjectPublicKeyInfo)));
  return parsed;
}

/** An extension parsed from its encoding, as the generators parse each one they are given; once per (cached) extension. */
const parsedExtensions = new WeakMap<x509.Extension, asn1X509.Extension>();

function parsedExtension(extension: x509.Extension): asn1X509.Extension {
  let asn = parsedExtensions.get(extension);
  if (!asn) parsedExtensions.set(extension, (asn = AsnConvert.parse(extension.rawData, asn1X509.Extension)));
  return asn;
}

function buildCertificate(p: {
  serial: Buffer;
  subject: asn1X509.Name;
  issuer: asn1X509.Name;
  notBefore: Date;
  notAfter: Date;
  publicKeySpki: Buffer;
  extensions: x509.Extension[];
  signer: SigningKey;
}): Buffer {
  const algorithm = signatureAlgorithm(p.signer, "certificate");
  const tbsCertificate = new asn1X509.TBSCertificate({
    version: asn1X509.Version.v3,
    serialNumber: positiveIntegerOctets(p.serial),
    validity: new asn1X509.Validity({ notBefore: p.notBefore, notAfter: p.notAfter }),
    extensions: new asn1X509.Extensions(p.extensions.map(parsedExtension)),
    subjectPublicKeyInfo: parsedSpki(p.publicKeySpki),
    subject: p.subject,
    issuer: p.issuer,
    signature: algorithm.asn,
  });
  const signatureValue = asnSignature(algorithm, p.signer, AsnConvert.serialize(tbsCertificate));
  return Buffer.from(AsnConvert.serialize(new asn1X509.Certificate({ tbsCertificate, signatureAlgorithm: algorithm.asn, signatureValue })));
}

function buildCertRequest(p: { subject: x509.Name; key: SigningKey; extensions: x509.Extension[] }): { der: Buffer; asn: asn1Csr.CertificationRequest } {
  const info = new asn1Csr.CertificationRequestInfo({
    subjectPKInfo: parsedSpki(p.key.spki),
    subject: AsnConvert.parse(p.subject.toArrayBuffer(), asn1X509.Name),
  });
  if (p.extensions.length) {
    const attribute = new asn1X509.Attribute({ type: ID_EXTENSION_REQUEST });
    attribute.values.push(AsnConvert.serialize(new asn1X509.Extensions(p.extensions.map(parsedExtension))));
    info.attributes.push(attribute);
  }
  const algorithm = signatureAlgorithm(p.key, "request");
  const signature = asnSignature(algorithm, p.key, AsnConvert.serialize(info));
  const asn = new asn1Csr.CertificationRequest({ certificationRequestInfo: info, signatureAlgorithm: algorithm.asn, signature });
  return { der: Buffer.from(AsnConvert.serialize(asn)), asn };
}

// ---------------------------------------------------------------------------------------------
// Names, usages, alternative names: the provider's template as Go's crypto/x509 encodes it

const OID = {
  C: "2.5.4.6",
  ST: "2.5.4.8",
  L: "2.5.4.7",
  STREET: "2.5.4.9",
  PC: "2.5.4.17",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  CN: "2.5.4.3",
  SERIALNUMBER: "2.5.4.5",
  EMAIL: "1.2.840.113549.1.9.1",
  SAN: "2.5.29.17",
};
/** PKCS#9 extensionRequest: the attribute a request's extensions travel in. */
const ID_EXTENSION_REQUEST = "1.2.840.113549.1.9.14";

/** Go's pkix.Name fields (the subset the provider sets). */
interface GoName {
  country: string[];
  province: string[];
  locality: string[];
  streetAddress: string[];
  postalCode: string[];
  organization: string[];
  organizationalUnit: string[];
  commonName: string;
  serialNumber: string;
  /** ExtraNames: the provider puts emailAddress there as an IA5String. */
  email?: string;
}

const emptyName = (): GoName => ({
  country: [],
  province: [],
  locality: [],
  streetAddress: [],
  postalCode: [],
  organization: [],
  organizationalUnit: [],
  commonName: "",
  serialNumber: "",
});

/** The provider's createSubjectDistinguishedNames (set fields only; an empty string still counts, as in Go). */
function nameFromSubject(subject: Record<string, any> | undefined): GoName {
  const n = emptyName();
  if (!subject) return n;
  const one = (v: unknown) => (v === undefined || v === null ? [] : [String(v)]);
  n.commonName = subject.commonName ?? "";
  n.organization = one(subject.organization);
  n.organizationalUnit = one(subject.organizationalUnit);
  n.streetAddress = Array.isArray(subject.streetAddresses) ? subject.streetAddresses.map(String) : [];
  n.locality = one(subject.locality);
  n.province = one(subject.province);
  n.country = one(subject.country);
  n.postalCode = one(subject.postalCode);
  n.serialNumber = subject.serialNumber ?? "";
  if (subject.emailAddress !== undefined && subject.emailAddress !== null) n.email = String(subject.emailAddress);
  return n;
}

/** cmp.Equal(name, pkix.Name{}) as the provider checks it for CAs. */
function isEmptyName(n: GoName): boolean {
  return (
    !n.commonName && !n.serialNumber && n.email === undefined &&
    [n.country, n.province, n.locality, n.streetAddress, n.postalCode, n.organization, n.organizationalUnit].every((a) => a.length === 0)
  );
}

/** Go's encoding/asn1 default string type: PrintableString when every byte is printable, else UTF8String. */
function goStringValue(value: string): { printableString: string } | { utf8String: string } {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value) ? { printableString: value } : { utf8String: value };
}

/** Sort key of an AttributeTypeAndValue of one type in DER (Go sorts SET OF since 1.15). */
function derSortKey(value: string): Buffer {
  const body = Buffer.from(value, "utf8");
  const tag = "printableString" in goStringValue(value) ? 0x13 : 0x0c;
  const len = (n: number) => (n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]));
  const str = Buffer.concat([Buffer.from([tag]), len(body.length), body]);
  return Buffer.concat([len(5 + str.length), str]); // SEQUENCE length first: the OID is the same for all
}

/** Go's pkix.Name.ToRDNSequence: one RDN per field, multi-valued when the field has several values. */
function jsonName(n: GoName): x509.JsonNameParams {
  const rdns: x509.JsonNameParams = [];
  const add = (values: string[], oid: string) => {
    if (values.length === 0) return;
    const sorted = values.length > 1 ? [...values].sort((a, b) => Buffer.compare(derSortKey(a), derSortKey(b))) : values;
    rdns.push({ [oid]: sorted.map(goStringValue) });
  };
  add(n.country, OID.C);
  add(n.province, OID.ST);
  add(n.locality, OID.L);
  add(n.streetAddress, OID.STREET);
  add(n.postalCode, OID.PC);
  add(n.organization, OID.O);
  add(n.organizationalUnit, OID.OU);
  if (n.commonName) add([n.commonName], OID.CN);
  if (n.serialNumber) add([n.serialNumber], OID.SERIALNUMBER);
  if (n.email !== undefined) rdns.push({ [OID.EMAIL]: [{ ia5String: n.email }] });
  return rdns;
}

/** @peculiar/x509's short names back to OIDs (Name.toJSON uses them). */
const SHORT_NAME_OIDS: Record<string, string> = { CN: "2.5.4.3", L: "2.5.4.7", ST: "2.5.4.8", O: "2.5.4.10", OU: "2.5.4.11", C: "2.5.4.6" };

/** Go's pkix.Name.FillFromRDNSequence: what survives of a parsed subject (known string attributes). */
function goNameFromParsed(name: x509.Name): { name: GoName; attributes: number } {
  const n = emptyName();
  let attributes = 0;
  for (const rdn of name.toJSON()) {
    for (const [type, values] of Object.entries(rdn)) {
      const oid = SHORT_NAME_OIDS[type] ?? type;
      for (const value of values) {
        attributes++;
        if (value.startsWith("#")) continue; // not a string
        switch (oid) {
          case OID.CN: n.commonName = value; break;
          case OID.SERIALNUMBER: n.serialNumber = value; break;
          case OID.C: n.country.push(value); break;
          case OID.L: n.locality.push(value); break;
          case OID.ST: n.province.push(value); break;
          case OID.STREET: n.streetAddress.push(value); break;
          case OID.O: n.organization.push(value); break;
          case OID.OU: n.organizationalUnit.push(value); break;
          case OID.PC: n.postalCode.push(value); break;
          default: // kept in pkix.Name.Names only, which ToRDNSequence ignores
        }
      }
    }
  }
  return { name: n, attributes };
}

const KEY_USAGES: Record<string, number> = {
  digital_signature: x509.KeyUsageFlags.digitalSignature,
  content_commitment: x509.KeyUsageFlags.nonRepudiation,
  key_encipherment: x509.KeyUsageFlags.keyEncipherment,
  data_encipherment: x509.KeyUsageFlags.dataEncipherment,
  key_agreement: x509.KeyUsageFlags.keyAgreement,
  cert_signing: x509.KeyUsageFlags.keyCertSign,
  crl_signing: x509.KeyUsageFlags.cRLSign,
  encipher_only: x509.KeyUsageFlags.encipherOnly,
  decipher_only: x509.KeyUsageFlags.decipherOnly,
};

const EXT_KEY_USAGES: Record<string, string> = {
  any_extended: "2.5.29.37.0",
  server_auth: "1.3.6.1.5.5.7.3.1",
  client_auth: "1.3.6.1.5.5.7.3.2",
  code_signing: "1.3.6.1.5.5.7.3.3",
  email_protection: "1.3.6.1.5.5.7.3.4",
  ipsec_end_system: "1.3.6.1.5.5.7.3.5",
  ipsec_tunnel: "1.3.6.1.5.5.7.3.6",
  ipsec_user: "1.3.6.1.5.5.7.3.7",
  timestamping: "1.3.6.1.5.5.7.3.8",
  ocsp_signing: "1.3.6.1.5.5.7.3.9",
  microsoft_server_gated_crypto: "1.3.6.1.4.1.311.10.3.3",
  netscape_server_gated_crypto: "2.16.840.1.113730.4.1",
  microsoft_commercial_code_signing: "1.3.6.1.4.1.311.2.1.22",
  microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};

const SUPPORTED_USES = [...Object.keys(KEY_USAGES), ...Object.keys(EXT_KEY_USAGES)].sort();

/** An IP address as Go's net.ParseIP reads it and x509 writes it (4 bytes for IPv4 and IPv4-mapped IPv6). */
function normalizeIp(text: string): string {
  const s = String(text);
  if (isIP(s) === 4) {
    if (s.split(".").some((p) => p.length > 1 && p.startsWith("0"))) throw new Error(`Invalid IP address: Failed to parse "${s}"`);
    return s;
  }
  if (isIP(s) !== 6 || s.includes("%")) throw new Error(`Invalid IP address: Failed to parse "${s}"`);
  let hex = s;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split(".").map(Number);
    hex = `${s.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left, right] = hex.includes("::") ? hex.split("::") : [hex, undefined];
  const l = left ? left.split(":") : [];
  const r = right === undefined ? [] : right ? right.split(":") : [];
  const groups = [...l, ...Array(8 - l.length - r.length).fill("0"), ...r].map((g) => parseInt(g, 16));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6] >> 8}.${groups[6] & 0xff}.${groups[7] >> 8}.${groups[7] & 0xff}`;
  }
  return groups.map((g) => g.toString(16)).join(":");
}

/** Go's marshalSANs order: DNS names, (emails), IP addresses, URIs. */
function sanItems(dnsNames: string[], ips: string[], uris: string[]): x509.JsonGeneralName[] {
  for (const name of [...dnsNames, ...uris]) {
    // eslint-disable-next-line no-control-regex
    if (!/^[\x00-\x7f]*$/.test(name)) throw new Error(`x509: "${name}" cannot be encoded as an IA5String`);
  }
  return [
    ...dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...ips.map((value) => ({ type: "ip" as const, value: normalizeIp(value) })),
    ...uris.map((value) => ({ type: "url" as const, value })),
  ];
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/**
 * Extensions by content: @peculiar/x509 builds one by serializing and parsing it back (twice for a
 * SAN), and the generators only read its `rawData`, so one object serves every certificate that
 * carries the same extension (a tenant's usages and basic constraints, its CA's key id, a
 * component's names in its request and its certificate).
 */
const extensionCache = new Lru<string, x509.Extension>(8192);

function cachedExtension<E extends x509.Extension>(key: string, make: () => E): E {
  let extension = extensionCache.get(key) as E | undefined;
  if (!extension) extensionCache.set(key, (extension = make()));
  return extension;
}

const sanExtension = (items: x509.JsonGeneralName[], critical: boolean): x509.SubjectAlternativeNameExtension =>
  cachedExtension(`san\0${critical}\0${JSON.stringify(items)}`, () => new x509.SubjectAlternativeNameExtension(items, critical));

/** Issuer names parsed from their DER, as the generator parses them (an issuer names every certificate its CA signs). */
const nameCache = new Lru<string, asn1X509.Name>(4096);

function parsedIssuerName(der: Buffer): asn1X509.Name {
  const key = der.toString("latin1");
  let name = nameCache.get(key);
  if (!name) nameCache.set(key, (name = AsnConvert.parse(der, asn1X509.Name)));
  return name;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Go's time.Time.MarshalText (RFC 3339 with nanoseconds, trailing zeros trimmed), in UTC. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.(\d*?)0*Z$/, (_, frac: string) => (frac ? `.${frac}Z` : "Z"));
}

function sha1Hex(data: Uint8Array): string {
  return createHash("sha1").update(data).digest("hex");
}

/** SSH wire encoding: uint32 length-prefixed strings, mpints. */
function sshString(data: Uint8Array | string): Buffer {
  const body = typeof data === "string" ? Buffer.from(data) : Buffer.from(data);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}
function sshMpint(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  return sshString(v.length && v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}
function sshUint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function integer(v: unknown, name: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got ${JSON.stringify(v)}`);
  if (n < min) throw new Error(`Attribute ${name} value must be at least ${min}, got: ${n}`);
  return n;
}

function stable(value: unknown): string {
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
function oneOf(inputs: Record<string, any>, name: string, wo: string): string {
  const plain = inputs[name];
  const writeOnly = inputs[wo];
  if ((plain === undefined || plain === null) === (writeOnly === undefined || writeOnly === null)) {
    throw new Error(`Exactly one of ${name} or ${wo} must be set`);
  }
  return String(plain ?? writeOnly);
}

const withoutWriteOnly = (inputs: Record<string, any>): Record<string, any> =>
  Object.fromEntries(Object.entries(inputs).filter(([k]) => !k.endsWith("Wo")));

/** What the provider's parseCertificate yields that signing needs: key, raw subject, SKI. */
interface CaFacts {
  spki: Buffer;
  subjectDer: Buffer;
  ski?: Buffer;
}

/** CA certificate PEM → CaFacts: one CA signs many certificates; the CAs made here are entered as they are issued. */
const caCache = new Lru<string, CaFacts>(4096);

function caFactsFrom(cert: x509.X509Certificate): CaFacts {
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  return { spki: Buffer.from(cert.publicKey.rawData), subjectDer: Buffer.from(cert.subjectName.toArrayBuffer()), ski: ski ? Buffer.from(ski, "hex") : undefined };
}

function parseCaCertificate(text: string): CaFacts {
  const cached = caCache.get(text);
  if (cached) return cached;
  const block = decodePem(text, "CERTIFICATE");
  if (block.type !== "CERTIFICATE") throw new Error(`invalid PEM type - expected "CERTIFICATE", got "${block.type}"`);
  const parsed = caFactsFrom(new x509.X509Certificate(block.der));
  caCache.set(text, parsed);
  return parsed;
}

/** What a LocallySignedCert takes from a certificate request (read-only: shared through csrCache). */
interface CsrFacts {
  publicKey: { algorithm: KeyAlgorithm; publicRaw: Buffer; spki: Buffer };
  /** template.Subject = certReq.Subject: the parsed name, and how many attributes it had … */
  subject: GoName;
  subjectAttributes: number;
  /** … re-encoded by ToRDNSequence. */
  subjectDer: Buffer;
  /** The template copies DNSNames, IPAddresses and URIs (not EmailAddresses). */
  dnsNames: string[];
  ips: string[];
  uris: string[];
}

/** Certificate request PEM → what signing it needs; CertRequest fills it, so a LocallySignedCert parses nothing. */
const csrCache = new Lru<string, CsrFacts>(8192);

function csrFactsFrom(subjectName: x509.Name, publicKey: CsrFacts["publicKey"], san: readonly x509.GeneralName[]): CsrFacts {
  const parsed = goNameFromParsed(subjectName);
  return {
    publicKey,
    subject: parsed.name,
    subjectAttributes: parsed.attributes,
    subjectDer: Buffer.from(new x509.Name(jsonName(parsed.name)).toArrayBuffer()),
    dnsNames: san.filter((g) => g.type === "dns").map((g) => g.value),
    ips: san.filter((g) => g.type === "ip").map((g) => g.value),
    uris: san.filter((g) => g.type === "url").map((g) => g.value),
  };
}

/**
 * The provider's certificate request parsing. The PEM is decoded, parsed and its signature checked
 * at once (so errors come in the provider's order); the facts are read when called for.
 */
function parseCertRequest(text: string): () => CsrFacts {
  const cached = csrCache.get(text);
  if (cached) return () => cached;
  const csrBlock = decodePem(text, "CERTIFICATE REQUEST");
  if (csrBlock.type !== "CERTIFICATE REQUEST") throw new Error(`invalid PEM type - expected "CERTIFICATE REQUEST", got "${csrBlock.type}"`);
  const csr = new x509.Pkcs10CertificateRequest(csrBlock.der);
  // The provider does not check it (Go's ParseCertificateRequest does not); a request that does
  // not prove possession of its key is refused here all the same.
  const csrSpki = Buffer.from(csr.publicKey.rawData);
  const csrPublicKey = createPublicKey({ key: csrSpki, format: "der", type: "spki" });
  if (!csrSignatureVerifies(csr, csrBlock.der, csrPublicKey)) throw new Error("Failed to parse certificate request PEM: the request's signature does not verify");
  return () => {
    const sanExtension = csr.getExtension(OID.SAN);
    const san = sanExtension ? new x509.SubjectAlternativeNameExtension(sanExtension.rawData).names.items : [];
    const facts = csrFactsFrom(csr.subjectName, publicKeyFromSpki(csrSpki, csrPublicKey), san);
    csrCache.set(text, facts);
    return facts;
  };
}

/** The header length and content length of the DER element at `offset`. */
function derElement(der: Buffer, offset: number): { header: number; length: number } {
  const first = der[offset + 1];
  if (first < 0x80) return { header: 2, length: first };
  const n = first & 0x7f;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + der[offset + 2 + i];
  return { header: 2 + n, length };
}

/**
 * Checks a PKCS#10 request's self-signature with node's synchronous verifier (WebCrypto would run
 * on the thread pool, and its completion order would leak into the engine's registration order).
 */
function csrSignatureVerifies(csr: x509.Pkcs10CertificateRequest, der: Buffer, key: KeyObject): boolean {
  const outer = derElement(der, 0);
  const inner = derElement(der, outer.header);
  const tbs = der.subarray(outer.header, outer.header + inner.header + inner.length);
  const algorithm = csr.signatureAlgorithm as { name: string; hash?: { name: string } };
  const hash = algorithm.name === "Ed25519" ? null : (algorithm.hash?.name ?? "").replace("-", "").toLowerCase();
  try {
    return nodeVerify(hash, tbs, key, Buffer.from(csr.signature));
  } catch {
    return false;
  }
}

/**
 * Forgets every parsed key, request, CA certificate, name and extension (for tests: the next
 * resources are made from their PEMs alone, and must come out the same).
 */
export function clearTlsFakeCaches(): void {
  for (const cache of [keyCache, spkiCache, extensionCache, nameCache, caCache, csrCache]) cache.clear();
}

// ---------------------------------------------------------------------------------------------

export class FakeTls {
  constructor(
    private readonly bytes: Bytes,
    private readonly clock: Date,
  ) {}

  async create(args: FakeArgs): Promise<FakeResult> {
    const resource = args.type.split(":").pop();
    try {
      switch (resource) {
        case "PrivateKey":
          return this.privateKey(args);
        case "CertRequest":
          return await this.certRequest(args);
        case "SelfSignedCert":
          return await this.selfSignedCert(args);
        case "LocallySignedCert":
          return await this.locallySignedCert(args);
        default:
          throw new Error(`offline engine: no fake for resource type ${args.type}`);
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const prefix = err instanceof OfflineUnsupported ? "offline engine: " : "";
      throw new Error(`${args.type} (${args.urn}): ${prefix}${message}`);
    }
  }

  // -- tls.PrivateKey --------------------------------------------------------------------------

  private privateKey(args: FakeArgs): FakeResult {
    const algorithm = String(args.inputs.algorithm ?? "");
    if (!SUPPORTED_ALGORITHMS.includes(algorithm)) {
      throw new Error(`Attribute algorithm value must be one of: ${JSON.stringify(SUPPORTED_ALGORITHMS)}, got: ${JSON.stringify(algorithm)}`);
    }
    const ecdsaCurve = String(args.inputs.ecdsaCurve ?? "P224"); // the provider's default
    if (!SUPPORTED_CURVES.includes(ecdsaCurve)) {
      throw new Error(`Attribute ecdsa_curve value must be one of: ${JSON.stringify(SUPPORTED_CURVES)}, got: ${JSON.stringify(ecdsaCurve)}`);
    }
    const rsaBits = args.inputs.rsaBits ?? 2048;
    const identity = `${args.urn}\0${algorithm}\0${ecdsaCurve}`;

    let key: KeyObject;
    if (algorithm === "ECDSA") {
      const curve = CURVES[ecdsaCurve as CurveInfo["name"]];
      if (!curve) {
        throw new OfflineUnsupported(
          `ECDSA curve ${ecdsaCurve} is not supported offline (${SUPPORTED_OFFLINE}). ` +
            `P224 is the provider's default when ecdsaCurve is unset: set ecdsaCurve to P256 or P384.`,
        );
      }
      // Uniform scalar in [1, n-1]: 64 extra bits make the modulo bias negligible (FIPS 186-5 A.2.1).
      const n = curve.noble.CURVE.n;
      const d = (BigInt(`0x${this.bytes(identity, curve.size + 8).toString("hex")}`) % (n - 1n)) + 1n;
      const dBytes = Buffer.from(d.toString(16).padStart(curve.size * 2, "0"), "hex");
      const ecdh = createECDH(curve.openssl);
      ecdh.setPrivateKey(dBytes);
      const point = ecdh.getPublicKey();
      const c = curve.size;
      key = createPrivateKey({
        key: { kty: "EC", crv: curve.web, d: dBytes.toString("base64url"), x: point.subarray(1, 1 + c).toString("base64url"), y: point.subarray(1 + c).toString("base64url") },
        format: "jwk",
      });
    } else if (algorithm === "ED25519") {
      // RFC 8410 PKCS#8 wrapper around the 32-byte seed.
      const prefix = Buffer.from("302e020100300506032b657004220420", "hex");
      key = createPrivateKey({ key: Buffer.concat([prefix, this.bytes(identity, 32)]), format: "der", type: "pkcs8" });
    } else {
      throw new OfflineUnsupported(`RSA keys are not supported by the offline engine (no cheap deterministic RSA key generation); ${SUPPORTED_OFFLINE}`);
    }

    const signing = signingKeyFrom(key);
    const privateKeyPemPkcs8 = pem("PRIVATE KEY", key.export({ type: "pkcs8", format: "der" }));
    const privateKeyPem = algorithm === "ECDSA" ? pem("EC PRIVATE KEY", key.export({ type: "sec1", format: "der" })) : privateKeyPemPkcs8;
    const ssh = this.openssh(signing, key, identity);
    const state = {
      ...args.inputs,
      algorithm,
      ecdsaCurve,
      rsaBits,
      privateKeyPem,
      privateKeyPemPkcs8,
      privateKeyOpenssh: ssh.privateKey,
      publicKeyPem: pem("PUBLIC KEY", signing.spki),
      publicKeyOpenssh: ssh.authorizedKey,
      publicKeyFingerprintMd5: ssh.md5,
      publicKeyFingerprintSha256: ssh.sha256,
    };
    keyCache.set(privateKeyPem, signing);
    keyCache.set(privateKeyPemPkcs8, signing);
    return { id: sha1Hex(signing.spki), state };
  }

  /** golang.org/x/crypto/ssh: MarshalAuthorizedKey, fingerprints and MarshalPrivateKey (comment ""). */
  private openssh(key: SigningKey, keyObject: KeyObject, identity: string) {
    let wire: Buffer;
    let keyType: string;
    let privateRest: Buffer;
    if (key.algorithm === "ECDSA") {
      const curve = key.curve!;
      keyType = `ecdsa-sha2-${curve.ssh}`;
      wire = Buffer.concat([sshString(keyType), sshString(curve.ssh), sshString(key.publicRaw)]);
      const d = Buffer.from(privateJwk(keyObject).d!, "base64url");
      privateRest = Buffer.concat([sshString(curve.ssh), sshString(key.publicRaw), sshMpint(d), sshString("")]);
    } else {
      keyType = "ssh-ed25519";
      wire = Buffer.concat([sshString(keyType), sshString(key.publicRaw)]);
      const seed = Buffer.from(privateJwk(keyObject).d!, "base64url");
      privateRest = Buffer.concat([sshString(key.publicRaw), sshString(Buffer.concat([seed, key.publicRaw])), sshString("")]);
    }
    const check = this.bytes(`${identity}\0openssh-check`, 4);
    let block = Buffer.concat([check, check, sshString(keyType), privateRest]);
    const padding: number[] = [];
    for (let i = 0; (block.length + i) % 8 !== 0; i++) padding.push(i + 1);
    block = Buffer.concat([block, Buffer.from(padding)]);
    const body = Buffer.concat([
      Buffer.from("openssh-key-v1\0"),
      sshString("none"),
      sshString("none"),
      sshString(""),
      sshUint32(1),
      sshString(wire),
      sshString(block),
    ]);
    const md5 = createHash("md5").update(wire).digest("hex").match(/../g)!.join(":");
    return {
      authorizedKey: `${keyType} ${wire.toString("base64")}\n`,
      md5,
      sha256: `SHA256:${createHash("sha256").update(wire).digest("base64").replace(/=+$/, "")}`,
      privateKey: pem("OPENSSH PRIVATE KEY", body),
    };
  }

  // -- tls.CertRequest -------------------------------------------------------------------------

  private async certRequest(args: FakeArgs): Promise<FakeResult> {
    const inputs = args.inputs;
    const key = requireSigner(parsePrivateKey(oneOf(inputs, "privateKeyPem", "privateKeyPemWo")));
    const name = nameFromSubject(inputs.subject);
    const items = sanItems(strings(inputs.dnsNames), strings(inputs.ipAddresses), strings(inputs.uris));
    const san = items.length ? sanExtension(items, false) : undefined;
    const csr = buildCertRequest({ subject: new x509.Name(jsonName(name)), key, extensions: san ? [san] : [] });
    const der = csr.der;
    const certRequestPem = pem("CERTIFICATE REQUEST", der);
    // What a LocallySignedCert will read from this request, taken from what `der` encodes (its
    // key is `key`'s, its subject the name parsed back from its encoding, its SAN extension
    // `san`'s bytes, its signature ours), so that signing it needs neither a parse nor a check.
    csrCache.set(certRequestPem, csrFactsFrom(new x509.Name(csr.asn.certificationRequestInfo.subject), { algorithm: key.algorithm, spki: key.spki, publicRaw: key.publicRaw }, san ? san.names.items : []));
    return {
      id: sha1Hex(der),
      state: { ...withoutWriteOnly(inputs), certRequestPem, keyAlgorithm: key.algorithm },
    };
  }

  // -- tls.SelfSignedCert / tls.LocallySignedCert ----------------------------------------------

  private async selfSignedCert(args: FakeArgs): Promise<FakeResult> {
    const inputs = args.inputs;
    const key = parsePrivateKey(oneOf(inputs, "privateKeyPem", "privateKeyPemWo"));
    const subject = nameFromSubject(inputs.subject);
    const common = this.commonInputs(inputs);
    const subjectDer = Buffer.from(new x509.Name(jsonName(subject)).toArrayBuffer());
    const ski = common.isCa || common.setSubjectKeyId ? subjectKeyId(key) : undefined;
    let aki: Buffer | undefined;
    if (inputs.setAuthorityKeyId === true) {
      // template.AuthorityKeyId = parent.SubjectKeyId, and the parent is the template itself
      if (!ski) throw new Error("Invalid Certificate Authority: Could not determine Authority Key Identifier");
      aki = ski;
    }
    const cert = await this.issue(args, {
      subject,
      subjectDer,
      subjectAttributes: isEmptyName(subject) ? 0 : 1,
      issuerDer: subjectDer,
      publicKeySpki: key.spki,
      signer: key,
      ski,
      aki,
      dnsNames: strings(inputs.dnsNames),
      ips: strings(inputs.ipAddresses),
      uris: strings(inputs.uris),
      common,
    });
    return {
      id: cert.id,
      state: {
        ...withoutWriteOnly(inputs),
        ...common.echo,
        setAuthorityKeyId: inputs.setAuthorityKeyId ?? false,
        keyAlgorithm: key.algorithm,
        ...cert.state,
      },
    };
  }

  private async locallySignedCert(args: FakeArgs): Promise<FakeResult> {
    const inputs = args.inputs;
    const common = this.commonInputs(inputs);

    const request = parseCertRequest(String(inputs.certRequestPem ?? ""));

    const caKey = parsePrivateKey(oneOf(inputs, "caPrivateKeyPem", "caPrivateKeyPemWo"));
    const ca = parseCaCertificate(String(inputs.caCertPem ?? ""));
    if (!ca.spki.equals(caKey.spki)) {
      throw new Error("Failed to create certificate: x509: provided PrivateKey doesn't match parent's PublicKey");
    }

    const csr = request();
    const issuerDer = ca.subjectDer;
    const ski = common.isCa || common.setSubjectKeyId ? subjectKeyId(csr.publicKey) : undefined;
    // Go: the parent's SubjectKeyId becomes the AuthorityKeyId unless subject and issuer are equal
    const aki = ca.ski && !csr.subjectDer.equals(issuerDer) ? ca.ski : undefined;

    const cert = await this.issue(args, {
      subject: csr.subject,
      subjectDer: csr.subjectDer,
      subjectAttributes: csr.subjectAttributes,
      issuerDer,
      publicKeySpki: csr.publicKey.spki,
      signer: caKey,
      ski,
      aki,
      dnsNames: csr.dnsNames,
      ips: csr.ips,
      uris: csr.uris,
      common,
    });
    return {
      id: cert.id,
      state: { ...withoutWriteOnly(inputs), ...common.echo, caKeyAlgorithm: caKey.algorithm, ...cert.state },
    };
  }

  /** Inputs shared by both certificate resources, validated and defaulted like the provider's schema. */
  private commonInputs(inputs: Record<string, any>) {
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

  /** The provider's createCertificate followed by Go's x509.CreateCertificate. */
  private async issue(
    args: FakeArgs,
    t: {
      subject: GoName;
      subjectDer: Buffer;
      subjectAttributes: number;
      issuerDer: Buffer;
      publicKeySpki: Buffer;
      signer: SigningKey;
      ski?: Buffer;
      aki?: Buffer;
      dnsNames: string[];
      ips: string[];
      uris: string[];
      common: ReturnType<FakeTls["commonInputs"]>;
    },
  ): Promise<{ id: string; state: Record<string, unknown> }> {
    const { common } = t;
    if (common.isCa && t.subjectAttributes === 0) {
      throw new Error("Invalid Certificate Subject: Must contain at least one Distinguished Name when creating Certificate Authority (CA)");
    }
    // template.MaxPathLen = max_path_length when >= 0; MaxPathLenZero is never set, so 0 means
    // "no constraint" to Go exactly like -1.
    const maxPathLen = common.maxPathLength >= 0 ? common.maxPathLength : 0;
    if (!common.isCa && maxPathLen !== 0) throw new Error("Failed to create certificate: x509: only CAs are allowed to specify MaxPathLen");

    const notBefore = new Date(this.clock.getTime());
    const notAfter = new Date(notBefore.getTime() + common.validityPeriodHours * 3_600_000);

    const serial = this.bytes(`${args.urn}\0serial\0${rfc3339(notBefore)}\0${stable(args.inputs)}`, 16);
    if (serial.every((b) => b === 0)) serial[15] = 1;
    const serialDecimal = BigInt(`0x${serial.toString("hex")}`).toString();

    let keyUsage = 0;
    const extKeyUsages: string[] = [];
    for (const use of common.allowedUses) {
      if (use in KEY_USAGES) keyUsage |= KEY_USAGES[use];
      if (use in EXT_KEY_USAGES) extKeyUsages.push(EXT_KEY_USAGES[use]);
    }

    const extensions: x509.Extension[] = [];
    if (keyUsage !== 0) extensions.push(cachedExtension(`ku\0${keyUsage}`, () => new x509.KeyUsagesExtension(keyUsage, true)));
    if (extKeyUsages.length) extensions.push(cachedExtension(`eku\0${extKeyUsages.join(",")}`, () => new x509.ExtendedKeyUsageExtension(extKeyUsages, false)));
    const pathLen = maxPathLen > 0 ? maxPathLen : undefined;
    extensions.push(cachedExtension(`bc\0${common.isCa}\0${pathLen}`, () => new x509.BasicConstraintsExtension(common.isCa, pathLen, true)));
    if (t.ski) extensions.push(new x509.SubjectKeyIdentifierExtension(t.ski.toString("hex"), false)); // the key's own: not shared
    const aki = t.aki?.toString("hex");
    if (aki) extensions.push(cachedExtension(`aki\0${aki}`, () => new x509.AuthorityKeyIdentifierExtension(aki, false)));
    const items = sanItems(t.dnsNames, t.ips, t.uris);
    const subjectIsEmpty = t.subjectDer.length === 2; // SEQUENCE {}
    if (items.length) extensions.push(sanExtension(items, subjectIsEmpty));

    const cert = buildCertificate({
      serial,
      subject: AsnConvert.parse(t.subjectDer, asn1X509.Name),
      issuer: parsedIssuerName(t.issuerDer),
      notBefore,
      notAfter,
      publicKeySpki: t.publicKeySpki,
      extensions,
      signer: requireSigner(t.signer),
    });
    const readyForRenewal = notAfter.getTime() - common.earlyRenewalHours * 3_600_000 <= this.clock.getTime();
    const certPem = pem("CERTIFICATE", cert);
    // A CA's certificate comes back as the caCertPem of what it signs: note now what parsing it
    // would yield (the key, subject and key id just encoded, in the encodings they came in).
    if (common.isCa) caCache.set(certPem, { spki: t.publicKeySpki, subjectDer: t.subjectDer, ski: t.ski });
    return {
      id: serialDecimal,
      state: {
        certPem,
        validityStartTime: rfc3339(notBefore),
        validityEndTime: rfc3339(notAfter),
        readyForRenewal,
      },
    };
  }
}
