/**
 * The program's certificate requests (lib/x509/certificate-request.ts), held to openssl 3 (it
 * parses each request, checks its self-signature and shows its subject, names, algorithm and ASN.1
 * string types) on keys openssl made, and to the tls.CertRequest stand-in (engine/tls, Go's
 * x509.CreateCertificateRequest step for step): for the same key, subject and names the program
 * writes the stand-in's bytes, so a certificate signed from either is the same.
 */
import { createECDH, createPrivateKey, generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { certificateRequestPem, type RequestSubject } from "../../../lib/x509/certificate-request";
import { deterministicSignature, ecdsaKey } from "../../../lib/x509/ecdsa";
import { openssl } from "../../support/openssl";
import { T, create, tlsFor } from "../../support/tls-fakes";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "csr-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
const file = (text: string, encoding: BufferEncoding = "utf8") => {
  const f = path.join(tmp, `f${n++}.pem`);
  fs.writeFileSync(f, text, encoding);
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

/** A SEC1 PEM for a known private scalar (hex), its public point computed by OpenSSL. */
function sec1Pem(curve: "prime256v1" | "secp384r1", scalarHex: string): string {
  const ecdh = createECDH(curve);
  ecdh.setPrivateKey(Buffer.from(scalarHex, "hex"));
  const point = ecdh.getPublicKey();
  const size = (point.length - 1) / 2;
  const b64 = (b: Buffer) => b.toString("base64url");
  const jwk = { kty: "EC", crv: curve === "prime256v1" ? "P-256" : "P-384", d: b64(Buffer.from(scalarHex, "hex")), x: b64(point.subarray(1, 1 + size)), y: b64(point.subarray(1 + size)) };
  return createPrivateKey({ key: jwk, format: "jwk" }).export({ format: "pem", type: "sec1" }).toString();
}

const req = (csrPem: string, ...args: string[]) => openssl(["req", "-in", file(csrPem), "-noout", ...args]);

const SUBJECT: RequestSubject = { commonName: "flowgger.hq.acme-corp.serviceradar", organization: "acme-corp.serviceradar", organizationalUnit: "flowgger" };
/** certificateRequestPem(RFC 6979's P-256 key, SUBJECT, NAMES) when this test was written (openssl verifies it). */
const GOLDEN_REQUEST = [
  "-----BEGIN CERTIFICATE REQUEST-----",
  "MIIBhTCCASoCAQAwYTEfMB0GA1UEChMWYWNtZS1jb3JwLnNlcnZpY2VyYWRhcjER",
  "MA8GA1UECxMIZmxvd2dnZXIxKzApBgNVBAMTImZsb3dnZ2VyLmhxLmFjbWUtY29y",
  "cC5zZXJ2aWNlcmFkYXIwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARg/tS6JVqd",
  "Mclh63TGNW1owEm4kjth+mzmaWIuYPKftnkD/hAIuLyZpBrp6VYovGTy8bIMLX6f",
  "UXejwpTURiKZoGcwZQYJKoZIhvcNAQkOMVgwVjBUBgNVHREETTBLgiJmbG93Z2dl",
  "ci5ocS5hY21lLWNvcnAuc2VydmljZXJhZGFygiVmbG93Z2dlci1ocS50ZW5hbnQt",
  "YWNtZS1jb3JwLWVkZ2Uuc3ZjMAoGCCqGSM49BAMCA0kAMEYCIQCZ34gLRcAlgRlI",
  "vpa7jaRXuwN9zd33tXKV/A7Q+/4YlAIhAJi2krn49jeGJVOwCAnSKPKQsd4hIoHe",
  "8RuYvNhgJjvj",
  "-----END CERTIFICATE REQUEST-----",
].join("\n") + "\n";
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
    const subjects: RequestSubject[] = [
      SUBJECT,
      { commonName: "x", organization: "" },
      { commonName: "x", organization: "o", organizationalUnit: "" },
      { commonName: "", organization: "o", organizationalUnit: "u" },
      { commonName: "*.acme", organization: "R&D", organizationalUnit: "Zürich" },
    ];
    let i = 0;
    for (const [curve, names] of [["P256", NAMES], ["P384", []], ["P256", []], ["P384", NAMES]] as const) {
      for (const subject of subjects) {
        const key = await create(tls, T.key, `key-${i}`, { algorithm: "ECDSA", ecdsaCurve: curve });
        const request = await create(tls, T.csr, `csr-${i++}`, { privateKeyPem: key.state.privateKeyPem, subject, ...(names.length ? { dnsNames: [...names] } : {}) });
        expect(certificateRequestPem(key.state.privateKeyPem, subject, names), `${curve} ${names.length} names ${JSON.stringify(subject)}`).toBe(request.state.certRequestPem);
      }
    }
  });

  it("signs with RFC 6979's nonces: the RFC's P-256 / SHA-256 and P-384 / SHA-384 vectors (A.2.5, A.2.6), s not normalised", () => {
    const vectors = [
      { curve: "prime256v1", x: "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721", message: "sample", r: "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716", s: "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8" },
      { curve: "prime256v1", x: "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721", message: "test", r: "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367", s: "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083" },
      {
        curve: "secp384r1",
        x: "6B9D3DAD2E1B8C1C05B19875B6659F4DE23C3B667BF297BA9AA47740787137D896D5724E4C70A825F872C9EA60D2EDF5",
        message: "sample",
        r: "94EDBB92A5ECB8AAD4736E56C691916B3F88140666CE9FA73D64C4EA95AD133C81A648152E44ACF96E36DD1E80FABE46",
        s: "99EF4AEB15F178CEA1FE40DB2603138F130E740A19624526203B6351D0A3A94FA329C145786E679E7B82C71A38628AC8",
      },
    ] as const;
    for (const v of vectors) {
      const signature = deterministicSignature(ecdsaKey(sec1Pem(v.curve, v.x)), Buffer.from(v.message));
      const parsed = openssl(["asn1parse", "-inform", "DER", "-in", file(signature.toString("binary"), "binary")]);
      const integers = [...parsed.out.matchAll(/INTEGER\s*:([0-9A-F]+)/g)].map((m) => m[1]!.padStart(v.r.length, "0"));
      expect(integers, `${v.curve} ${v.message}`).toEqual([v.r, v.s]);
    }
  });

  it("writes the same bytes as when this test was written, for a fixed key (a change of the signer would re-issue every certificate)", () => {
    const key = sec1Pem("prime256v1", "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721");
    expect(req(GOLDEN_REQUEST, "-verify").out).toMatch(/self-signature verify OK/);
    expect(certificateRequestPem(key, SUBJECT, NAMES)).toBe(GOLDEN_REQUEST);
  });

  it("refuses keys it cannot sign a request with, naming what it got", () => {
    const pem = (k: ReturnType<typeof generateKeyPairSync>["privateKey"]) => k.export({ format: "pem", type: "pkcs8" }).toString();
    expect(() => certificateRequestPem(pem(generateKeyPairSync("ed25519").privateKey), SUBJECT)).toThrow(/expected an ECDSA P-256 or P-384 key, got OKP Ed25519/);
    expect(() => certificateRequestPem(pem(generateKeyPairSync("ec", { namedCurve: "secp521r1" }).privateKey), SUBJECT)).toThrow(/got EC P-521/);
    expect(() => certificateRequestPem(pem(generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey), SUBJECT)).toThrow(/got RSA/);
    expect(() => certificateRequestPem(opensslKey("prime256v1"), SUBJECT, ["bad\u00e9.example"])).toThrow(/is not IA5 text/);
  });
});
