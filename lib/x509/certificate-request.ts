/**
 * PKCS#10 certificate requests (RFC 2986) computed by the program rather than declared as
 * tls.CertRequest resources: a request is only the step between a key and its certificate, and
 * as a resource it cost one more state entry per certificate (docs/pki.md, "Certificate requests").
 *
 * What @pulumi/tls's CertRequest would write for the subjects and names the plan uses, as Go's
 * x509.CreateCertificateRequest encodes them: the subject in ToRDNSequence's order (O, OU, CN),
 * PrintableString where Go would pick it, otherwise UTF8String; the DNS names as an extensionRequest
 * holding a non-critical subjectAltName; ecdsa-with-SHA256 for P-256 and -SHA384 for P-384 keys.
 * One difference, on purpose: the signature is deterministic (RFC 6979, @noble/curves), so the
 * same key, subject and names give the same bytes on every run and the certificate signed from it
 * sees no change (a random nonce would re-issue every certificate on every update).
 */
import { createHash, createPrivateKey, createPublicKey } from "node:crypto";
import { p256 } from "@noble/curves/p256";
import { p384 } from "@noble/curves/p384";

export interface RequestSubject {
  commonName: string;
  organization: string;
  organizationalUnit?: string;
}

const OID = {
  organization: "2.5.4.10",
  organizationalUnit: "2.5.4.11",
  commonName: "2.5.4.3",
  extensionRequest: "1.2.840.113549.1.9.14",
  subjectAltName: "2.5.29.17",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  ecdsaWithSha384: "1.2.840.10045.4.3.3",
};

/** How each curve signs (Go's signingParamsForKey): hash and algorithm, and noble's signer. */
const SIGNERS = {
  "P-256": { hash: "sha256", algorithm: OID.ecdsaWithSha256, sign: (digest: Uint8Array, d: Uint8Array) => p256.sign(digest, d, { lowS: false }).toDERRawBytes() },
  "P-384": { hash: "sha384", algorithm: OID.ecdsaWithSha384, sign: (digest: Uint8Array, d: Uint8Array) => p384.sign(digest, d, { lowS: false }).toDERRawBytes() },
} as const;

// ---- DER, only what a request needs -------------------------------------------------------------

function element(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
const sequence = (...items: Buffer[]) => element(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => element(0x31, Buffer.concat(items));

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const bytes = [40 * a + b];
  for (const arc of rest) {
    const septets = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) septets.unshift((v & 0x7f) | 0x80);
    bytes.push(...septets);
  }
  return element(0x06, Buffer.from(bytes));
}

/** Go's asn1 PrintableString set as it marshals (asterisk and ampersand rejected). */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** A directory string as Go marshals an untyped string: PrintableString if it can, else UTF8String. */
const directoryString = (value: string) => element(PRINTABLE.test(value) ? 0x13 : 0x0c, Buffer.from(value, "utf8"));

/** The subject as Go's pkix.Name.ToRDNSequence orders it; empty fields are left out, as Go does. */
export function subjectDer(subject: RequestSubject): Buffer {
  const rdns: Buffer[] = [];
  const add = (type: string, value: string | undefined) => {
    if (value) rdns.push(set(sequence(oid(type), directoryString(value))));
  };
  add(OID.organization, subject.organization);
  add(OID.organizationalUnit, subject.organizationalUnit);
  add(OID.commonName, subject.commonName);
  return sequence(...rdns);
}

/** [0] attributes: one extensionRequest with the subjectAltName when there are DNS names, else empty (as Go writes it). */
function attributes(dnsNames: readonly string[]): Buffer {
  if (dnsNames.length === 0) return element(0xa0, Buffer.alloc(0));
  for (const name of dnsNames) if (!/^[\x20-\x7e]*$/.test(name)) throw new Error(`certificate request: DNS name ${JSON.stringify(name)} is not IA5 text`);
  const san = sequence(...dnsNames.map((name) => element(0x82, Buffer.from(name, "ascii"))));
  const extension = sequence(oid(OID.subjectAltName), element(0x04, san));
  return element(0xa0, sequence(oid(OID.extensionRequest), set(sequence(extension))));
}

const CURVE_OIDS: Record<string, keyof typeof SIGNERS> = { "06082a8648ce3d030107": "P-256", "06052b81040022": "P-384" };
const EC_PUBLIC_KEY = Buffer.from("06072a8648ce3d0201", "hex");

/** The DER element at `at`: its tag, where its content starts and where it ends. */
function read(der: Buffer, at: number): { tag: number; start: number; end: number } {
  const first = der[at + 1];
  if (first === undefined) throw new Error("truncated");
  let length = first;
  let start = at + 2;
  if (first & 0x80) {
    length = 0;
    for (let i = 0; i < (first & 0x7f); i++) length = length * 256 + der[start + i];
    start += first & 0x7f;
  }
  if (start + length > der.length) throw new Error("truncated");
  return { tag: der[at], start, end: start + length };
}

/**
 * A SEC1 key ("EC PRIVATE KEY", what tls.PrivateKey writes for ECDSA) read without OpenSSL:
 * parsing a PEM with createPrivateKey costs about half a millisecond, as much as signing. Anything
 * else, or a SEC1 key without its curve or public point, is left to node.
 */
function sec1Key(privateKeyPem: string): { curve: keyof typeof SIGNERS; d: Buffer; spki: Buffer } | undefined {
  const match = /^-----BEGIN EC PRIVATE KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END EC PRIVATE KEY-----\s*$/.exec(privateKeyPem.trim() + "\n");
  if (!match) return undefined;
  try {
    const der = Buffer.from(match[1], "base64");
    const outer = read(der, 0);
    const version = read(der, outer.start);
    const secret = read(der, version.end);
    if (outer.tag !== 0x30 || version.tag !== 0x02 || der[version.start] !== 1 || secret.tag !== 0x04) return undefined;
    let curve: keyof typeof SIGNERS | undefined;
    let point: Buffer | undefined;
    for (let at = secret.end; at < outer.end; ) {
      const field = read(der, at);
      const inner = read(der, field.start);
      if (field.tag === 0xa0 && inner.tag === 0x06) curve = CURVE_OIDS[der.subarray(field.start, inner.end).toString("hex")];
      if (field.tag === 0xa1 && inner.tag === 0x03) point = der.subarray(field.start, inner.end);
      at = field.end;
    }
    if (!curve || !point) return undefined;
    const curveOid = Object.entries(CURVE_OIDS).find(([, c]) => c === curve)![0];
    return { curve, d: der.subarray(secret.start, secret.end), spki: sequence(sequence(EC_PUBLIC_KEY, Buffer.from(curveOid, "hex")), point) };
  } catch {
    return undefined;
  }
}

/** Curve, private scalar and public key (SPKI DER) of a PEM key, or why it cannot sign a request. */
function signingKey(privateKeyPem: string): { curve: keyof typeof SIGNERS; d: Buffer; spki: Buffer } {
  const fast = sec1Key(privateKeyPem);
  if (fast) return fast;
  const key = createPrivateKey(privateKeyPem);
  const jwk = key.export({ format: "jwk" });
  if (jwk.kty !== "EC" || (jwk.crv !== "P-256" && jwk.crv !== "P-384") || !jwk.d) throw new Error(`certificate request: expected an ECDSA P-256 or P-384 key, got ${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ""}`);
  return { curve: jwk.crv, d: Buffer.from(jwk.d, "base64url"), spki: createPublicKey(key).export({ format: "der", type: "spki" }) };
}

/**
 * The request for `subject` and `dnsNames`, signed with the ECDSA key in `privateKeyPem` (SEC1 or
 * PKCS#8, as tls.PrivateKey writes them), as PEM. Throws for a key that is not P-256 or P-384.
 */
export function certificateRequestPem(privateKeyPem: string, subject: RequestSubject, dnsNames: readonly string[] = []): string {
  const { curve, d, spki } = signingKey(privateKeyPem);
  const signer = SIGNERS[curve];
  const info = sequence(element(0x02, Buffer.from([0])), subjectDer(subject), spki, attributes(dnsNames));
  const digest = createHash(signer.hash).update(info).digest();
  const signature = signer.sign(digest, d);
  const der = sequence(info, sequence(oid(signer.algorithm)), element(0x03, Buffer.concat([Buffer.from([0]), Buffer.from(signature)])));
  const body = der.toString("base64").replace(/.{1,64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE REQUEST-----\n${body}-----END CERTIFICATE REQUEST-----\n`;
}
