/**
 * Reading issued certificates out of a render's declared resources. The program computes each
 * certificate request (lib/x509/certificate-request.ts), so a certificate is found by the subject
 * of the request in its LocallySignedCert's inputs, and a CA's key, which is in no manifest (it signs
 * in state), by the certificates it signed: their `caPrivateKeyPem` input (revealed renders).
 */
import "reflect-metadata"; // @peculiar/x509 (tsyringe) needs it loaded first
import * as x509 from "@peculiar/x509";

const LOCALLY_SIGNED = "tls:index/locallySignedCert:LocallySignedCert";

/** What these helpers need of a declared resource: its URN and (revealed) inputs. */
export interface DeclaredCertificateInputs {
  urn: string;
  inputs: Record<string, any>;
}

const typeOf = (urn: string) => urn.split("::")[2].split("$").pop()!;

/** The common name a PEM certificate request asks for. */
export function requestCommonName(certRequestPem: string): string | undefined {
  return new x509.Pkcs10CertificateRequest(certRequestPem).subjectName.getField("CN")[0];
}

/** The LocallySignedCerts whose request asks for `commonName`. */
export function certificatesFor<T extends DeclaredCertificateInputs>(declared: Iterable<T>, commonName: string): T[] {
  return [...declared].filter((r) => typeOf(r.urn) === LOCALLY_SIGNED && typeof r.inputs.certRequestPem === "string" && requestCommonName(r.inputs.certRequestPem) === commonName);
}

/** The key of the CA whose certificate is `caCertPem`, from a certificate it signed (throws when it signed none). */
export function caKeyOf(declared: Iterable<DeclaredCertificateInputs>, caCertPem: string): string {
  const signed = [...declared].find((r) => typeOf(r.urn) === LOCALLY_SIGNED && r.inputs.caCertPem === caCertPem && typeof r.inputs.caPrivateKeyPem === "string");
  if (!signed) throw new Error("no certificate in the render is signed by this CA: its key cannot be read");
  return signed.inputs.caPrivateKeyPem;
}
