/**
 * What a LocallySignedCert reads from its inputs, as the provider parses them: the CA certificate
 * (its key, subject and key id) and the certificate request (its key, subject and alternative
 * names, once its signature is checked). Both are cached by their exact PEM, and entered as the
 * fakes issue them, so that signing what was made here parses nothing.
 */
import "reflect-metadata"; // @peculiar/x509 (tsyringe) needs it loaded first
import * as x509 from "@peculiar/x509";
import { createPublicKey, verify as nodeVerify, type KeyObject } from "node:crypto";
import { sharedCache } from "./caches";
import { OID_SAN } from "./extensions";
import { publicKeyFromSpki, type PublicKey } from "./keys";
import { goNameFromParsed, jsonName, type GoName } from "./names";
import { decodePem } from "./pem";

/** What the provider's parseCertificate yields that signing needs: key, raw subject, SKI. */
export interface CaFacts {
  spki: Buffer;
  subjectDer: Buffer;
  ski?: Buffer;
}

/** CA certificate PEM → CaFacts: one CA signs many certificates; the CAs made here are entered as they are issued. */
const caCache = sharedCache<string, CaFacts>(4096);

function caFactsFrom(cert: x509.X509Certificate): CaFacts {
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  return { spki: Buffer.from(cert.publicKey.rawData), subjectDer: Buffer.from(cert.subjectName.toArrayBuffer()), ski: ski ? Buffer.from(ski, "hex") : undefined };
}

export function parseCaCertificate(text: string): CaFacts {
  const cached = caCache.get(text);
  if (cached) return cached;
  const block = decodePem(text, "CERTIFICATE");
  if (block.type !== "CERTIFICATE") throw new Error(`invalid PEM type - expected "CERTIFICATE", got "${block.type}"`);
  const parsed = caFactsFrom(new x509.X509Certificate(block.der));
  caCache.set(text, parsed);
  return parsed;
}

/** Enters a CA certificate made here with what parsing it would yield. */
export function rememberCaCertificate(text: string, facts: CaFacts): void {
  caCache.set(text, facts);
}

/** What a LocallySignedCert takes from a certificate request (read-only: shared through csrCache). */
export interface CsrFacts {
  publicKey: PublicKey;
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
const csrCache = sharedCache<string, CsrFacts>(8192);

export function csrFactsFrom(subjectName: x509.Name, publicKey: CsrFacts["publicKey"], san: readonly x509.GeneralName[]): CsrFacts {
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
export function parseCertRequest(text: string): () => CsrFacts {
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
    const sanExtension = csr.getExtension(OID_SAN);
    const san = sanExtension ? new x509.SubjectAlternativeNameExtension(sanExtension.rawData).names.items : [];
    const facts = csrFactsFrom(csr.subjectName, publicKeyFromSpki(csrSpki, csrPublicKey), san);
    csrCache.set(text, facts);
    return facts;
  };
}

/** Enters a certificate request made here with what parsing it would yield. */
export function rememberCertRequest(text: string, facts: CsrFacts): void {
  csrCache.set(text, facts);
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
