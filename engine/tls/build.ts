/**
 * Building and signing certificates and requests: X509CertificateGenerator.create and
 * Pkcs10CertificateRequestGenerator.create of @peculiar/x509 2.2.0, step for step, on the same
 * @peculiar/asn1-x509 / asn1-csr model and @peculiar/asn1-schema encoder (the ones its public
 * types are made of), with @peculiar/x509's own algorithm provider and signature formatters. What
 * is left out are the generators' round trips, which were most of the fakes' time: every extension,
 * name and key is serialized, parsed back and serialized again, and the result is parsed once
 * more. Here the parsed parts are cached and the encoder runs once per structure; the bytes are
 * the same (test/tls-fakes.test.ts compares them with the generators'). The signature comes
 * straight from the deterministic signer: nothing can ask for randomness.
 */
import "reflect-metadata"; // @peculiar/x509 (tsyringe) needs it loaded first
import * as x509 from "@peculiar/x509";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn1Csr from "@peculiar/asn1-csr";
import * as asn1X509 from "@peculiar/asn1-x509";
import { sharedCache } from "./caches";
import type { SigningKey } from "./keys";

/** PKCS#9 extensionRequest: the attribute a request's extensions travel in. */
const ID_EXTENSION_REQUEST = "1.2.840.113549.1.9.14";

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
const spkiCache = sharedCache<string, asn1X509.SubjectPublicKeyInfo>(8192);

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

export function buildCertificate(p: {
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

export function buildCertRequest(p: { subject: x509.Name; key: SigningKey; extensions: x509.Extension[] }): { der: Buffer; asn: asn1Csr.CertificationRequest } {
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
