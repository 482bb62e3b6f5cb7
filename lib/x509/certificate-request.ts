/**
 * PKCS#10 certificate requests (RFC 2986) computed by the program rather than declared as
 * tls.CertRequest resources: a request is only the step between a key and its certificate, and
 * as a resource it cost one more state entry per certificate (docs/pki.md, "Certificate requests").
 *
 * What terraform-provider-tls's CertRequest writes for the subjects and names the plan uses, as
 * Go's x509.CreateCertificateRequest encodes them: the subject in ToRDNSequence's order (O, OU,
 * CN; an empty organization or unit written as an empty value, as the provider sets it, an empty
 * common name left out, as Go does), PrintableString where Go would pick it, otherwise UTF8String;
 * the DNS names as an extensionRequest holding a non-critical subjectAltName; ecdsa-with-SHA256 for
 * P-256 and -SHA384 for P-384 keys. One difference, on purpose: the signature is deterministic
 * (RFC 6979), so the same key, subject and names give the same bytes on every run and the
 * certificate signed from it sees no change (a random nonce would re-issue every certificate on
 * every update).
 */
import { element, oid, sequence, set } from "./der";
import { CURVES, deterministicSignature, ecdsaKey } from "./ecdsa";

export interface RequestSubject {
  commonName: string;
  organization: string;
  organizationalUnit?: string;
}

/** The object identifiers a request carries, encoded once. */
const OID = {
  organization: oid("2.5.4.10"),
  organizationalUnit: oid("2.5.4.11"),
  commonName: oid("2.5.4.3"),
  extensionRequest: oid("1.2.840.113549.1.9.14"),
  subjectAltName: oid("2.5.29.17"),
};

/** Go's asn1 PrintableString set as it marshals (asterisk and ampersand rejected). */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** A directory string as Go marshals an untyped string: PrintableString if it can, else UTF8String. */
const directoryString = (value: string) => element(PRINTABLE.test(value) ? 0x13 : 0x0c, Buffer.from(value, "utf8"));

function subjectDer(subject: RequestSubject): Buffer {
  const rdn = (type: Buffer, value: string) => set(sequence(type, directoryString(value)));
  return sequence(
    ...(subject.organization !== undefined ? [rdn(OID.organization, subject.organization)] : []),
    ...(subject.organizationalUnit !== undefined ? [rdn(OID.organizationalUnit, subject.organizationalUnit)] : []),
    ...(subject.commonName ? [rdn(OID.commonName, subject.commonName)] : []),
  );
}

/** [0] attributes: one extensionRequest with the subjectAltName when there are DNS names, else empty (as Go writes it). */
function attributes(dnsNames: readonly string[]): Buffer {
  if (dnsNames.length === 0) return element(0xa0, Buffer.alloc(0));
  // Go's isIA5String: nothing above U+007F.
  for (const name of dnsNames) if (/[^\x00-\x7f]/.test(name)) throw new Error(`certificate request: DNS name ${JSON.stringify(name)} is not IA5 text`);
  const san = sequence(...dnsNames.map((name) => element(0x82, Buffer.from(name, "ascii"))));
  const extension = sequence(OID.subjectAltName, element(0x04, san));
  return element(0xa0, sequence(OID.extensionRequest, set(sequence(extension))));
}

/**
 * The request for `subject` and `dnsNames`, signed with the ECDSA key in `privateKeyPem` (SEC1 or
 * PKCS#8, as tls.PrivateKey writes them), as PEM. Throws for a key that is not P-256 or P-384.
 */
export function certificateRequestPem(privateKeyPem: string, subject: RequestSubject, dnsNames: readonly string[] = []): string {
  let key;
  try {
    key = ecdsaKey(privateKeyPem);
  } catch (err) {
    throw new Error(`certificate request: ${err instanceof Error ? err.message : String(err)}`);
  }
  const info = sequence(element(0x02, Buffer.from([0])), subjectDer(subject), key.spki, attributes(dnsNames));
  const signature = deterministicSignature(key, info);
  const der = sequence(info, sequence(oid(CURVES[key.curve].algorithmOid)), element(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const body = der.toString("base64").replace(/.{1,64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE REQUEST-----\n${body}-----END CERTIFICATE REQUEST-----\n`;
}
