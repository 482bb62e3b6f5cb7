/**
 * The program's certificate requests (lib/x509/certificate-request.ts), held to openssl 3 (it
 * parses each request, checks its self-signature and shows its subject, names, algorithm and ASN.1
 * string types) on keys openssl made, and to the tls.CertRequest stand-in (engine/tls, Go's
 * x509.CreateCertificateRequest step for step): for the same key, subject and names the program
 * writes the stand-in's bytes, so a certificate signed from either is the same.
 */
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { certificateRequestPem, type RequestSubject } from "../../../lib/x509/certificate-request";
import { openssl } from "../../support/openssl";
import { T, create, tlsFor } from "../../support/tls-fakes";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "csr-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
const file = (text: string) => {
  const f = path.join(tmp, `f${n++}.pem`);
  fs.writeFileSync(f, text);
  return f;
};

/** An ECDSA key as openssl writes it: SEC1 ("EC PRIVATE KEY", what tls.PrivateKey's privateKeyPem holds) or PKCS#8. */
function opensslKey(curve: "prime256v1" | "secp384r1", pkcs8 = false): string {
  const out = path.join(tmp, `key${n++}.pem`);
  const made = openssl(["ecparam", "-name", curve, "-genkey", "-noout", "-out", out]);
  expect(made.ok, made.out).toBe(true);
  if (!pkcs8) return fs.readFileSync(out, "utf8");
  const converted = openssl(["pkcs8", "-topk8", "-nocrypt", "-in", out]);
  expect(converted.ok, converted.out).toBe(true);
  return converted.out;
}

const req = (csrPem: string, ...args: string[]) => openssl(["req", "-in", file(csrPem), "-noout", ...args]);

const SUBJECT: RequestSubject = { commonName: "flowgger.hq.acme-corp.serviceradar", organization: "acme-corp.serviceradar", organizationalUnit: "flowgger" };
const NAMES = ["flowgger.hq.acme-corp.serviceradar", "flowgger-hq.tenant-acme-corp-edge.svc"];

describe("certificate requests the program computes", () => {
  it.each([
    ["P-256, SEC1 key, with DNS names", "prime256v1", false, NAMES, "ecdsa-with-SHA256", "256 bit"],
    ["P-384, PKCS#8 key, no names", "secp384r1", true, [], "ecdsa-with-SHA384", "384 bit"],
  ] as const)("%s: openssl verifies the self-signature and reads subject, names and algorithm", (_, curve, pkcs8, names, algorithm, bits) => {
    const pem = certificateRequestPem(opensslKey(curve, pkcs8), SUBJECT, names);
    const verified = req(pem, "-verify");
    expect(verified.ok, verified.out).toBe(true);
    expect(verified.out).toMatch(/self-signature verify OK/);
    const text = req(pem, "-text");
    expect(text.ok, text.out).toBe(true);
    // Go's ToRDNSequence order: O, OU, CN.
    expect(text.out).toContain(`Subject: O = ${SUBJECT.organization}, OU = ${SUBJECT.organizationalUnit}, CN = ${SUBJECT.commonName}`);
    expect(text.out).toContain(`Signature Algorithm: ${algorithm}`);
    expect(text.out).toContain(`Public-Key: (${bits})`);
    if (names.length) expect(text.out).toContain(names.map((d) => `DNS:${d}`).join(", "));
    else expect(text.out).not.toContain("Subject Alternative Name");
  });

  it("encodes strings as Go marshals them: PrintableString where it can, UTF8String for other text and for '*' or '&'", () => {
    const key = opensslKey("prime256v1");
    const pem = certificateRequestPem(key, { commonName: "Zürich edge", organization: "R&D", organizationalUnit: "ops (east) = 1/2?" });
    const der = path.join(tmp, "utf8.der");
    expect(openssl(["req", "-in", file(pem), "-outform", "DER", "-out", der]).ok).toBe(true);
    const parsed = openssl(["asn1parse", "-inform", "DER", "-in", der]);
    expect(parsed.ok, parsed.out).toBe(true);
    const strings = parsed.out.split("\n").filter((l) => /STRING\s*:/.test(l) && !/BIT STRING|OCTET STRING/.test(l)).map((l) => l.replace(/.*prim:\s*/, "").replace(/\s+/g, " "));
    expect(strings).toEqual(["UTF8STRING :R&D", "PRINTABLESTRING :ops (east) = 1/2?", "UTF8STRING :Zürich edge"]);
    expect(certificateRequestPem(key, { commonName: "a*b", organization: "o" })).not.toBe(certificateRequestPem(key, { commonName: "a-b", organization: "o" }));
    const star = openssl(["req", "-in", file(certificateRequestPem(key, { commonName: "*.example", organization: "o" })), "-outform", "DER", "-out", der]);
    expect(star.ok).toBe(true);
    expect(openssl(["asn1parse", "-inform", "DER", "-in", der]).out).toMatch(/UTF8STRING\s*:\*\.example/);
  });

  it("is deterministic: the same key, subject and names give the same bytes; any of them changed, other bytes", () => {
    const key = opensslKey("prime256v1");
    const pem = certificateRequestPem(key, SUBJECT, NAMES);
    expect(certificateRequestPem(key, SUBJECT, NAMES)).toBe(pem);
    expect(certificateRequestPem(opensslKey("prime256v1"), SUBJECT, NAMES)).not.toBe(pem);
    expect(certificateRequestPem(key, { ...SUBJECT, organizationalUnit: "trapd" }, NAMES)).not.toBe(pem);
    expect(certificateRequestPem(key, SUBJECT, NAMES.slice(1))).not.toBe(pem);
  });

  it("reads a SEC1 key itself as node reads it: the same key as SEC1, PKCS#8 or SEC1 without its public point gives the same request", () => {
    for (const curve of ["prime256v1", "secp384r1"] as const) {
      const sec1 = opensslKey(curve);
      const keyFile = file(sec1);
      const pkcs8 = openssl(["pkcs8", "-topk8", "-nocrypt", "-in", keyFile]);
      const noPublic = openssl(["ec", "-in", keyFile, "-no_public"]);
      expect(pkcs8.ok && noPublic.ok, `${pkcs8.out}${noPublic.out}`).toBe(true);
      expect(noPublic.out).toContain("BEGIN EC PRIVATE KEY");
      const pem = certificateRequestPem(sec1, SUBJECT, NAMES);
      expect(certificateRequestPem(pkcs8.out, SUBJECT, NAMES), curve).toBe(pem);
      expect(certificateRequestPem(noPublic.out.slice(noPublic.out.indexOf("-----BEGIN")), SUBJECT, NAMES), curve).toBe(pem);
    }
  });

  it("writes what the tls.CertRequest stand-in writes for the same key, subject and names (P-256 and P-384, with and without names)", async () => {
    const tls = tlsFor("certificate-request-test");
    for (const [curve, names] of [["P256", NAMES], ["P384", []], ["P256", []], ["P384", NAMES]] as const) {
      const key = await create(tls, T.key, `key-${curve}-${names.length}`, { algorithm: "ECDSA", ecdsaCurve: curve });
      const request = await create(tls, T.csr, `csr-${curve}-${names.length}`, { privateKeyPem: key.state.privateKeyPem, subject: SUBJECT, ...(names.length ? { dnsNames: [...names] } : {}) });
      expect(certificateRequestPem(key.state.privateKeyPem, SUBJECT, names), `${curve} ${names.length} names`).toBe(request.state.certRequestPem);
    }
  });

  it("refuses keys it cannot sign a request with, naming what it got", () => {
    const pem = (k: ReturnType<typeof generateKeyPairSync>["privateKey"]) => k.export({ format: "pem", type: "pkcs8" }).toString();
    expect(() => certificateRequestPem(pem(generateKeyPairSync("ed25519").privateKey), SUBJECT)).toThrow(/expected an ECDSA P-256 or P-384 key, got OKP Ed25519/);
    expect(() => certificateRequestPem(pem(generateKeyPairSync("ec", { namedCurve: "secp521r1" }).privateKey), SUBJECT)).toThrow(/got EC P-521/);
    expect(() => certificateRequestPem(pem(generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey), SUBJECT)).toThrow(/got RSA/);
    expect(() => certificateRequestPem(opensslKey("prime256v1"), SUBJECT, ["bad\u00e9.example"])).toThrow(/is not IA5 text/);
  });
});
