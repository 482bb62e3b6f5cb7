/**
 * The @pulumi/tls fakes, checked in process with code they do not share: node's X509Certificate /
 * KeyObject, @noble/curves' RFC 6979 signer and @peculiar/x509's generators (which the fakes no
 * longer call), and the provider's own validation rules; keys and certificates are reproducible
 * from the seed, the URN and the clock. No Pulumi runtime is involved. What OpenSSL and OpenSSH
 * make of the fakes' output is test/e2e/tls-fakes.test.ts.
 */
import { X509Certificate, createHash, createPrivateKey, createPublicKey, type webcrypto } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { p256 } from "@noble/curves/p256";
import { p384 } from "@noble/curves/p384";
import { p521 } from "@noble/curves/p521";
import { FakeProviders } from "../../engine/fakes";
import {
  CLOCK,
  HOUR,
  LEAF_USES,
  T,
  caHierarchy,
  create,
  everything,
  issue,
  leafInputs,
  leafRequest,
  rootCa,
  spkiDer,
  tlsFor,
  type Issued,
  type Made,
} from "../support/tls-fakes";

describe("tls fakes: a CA hierarchy that real X.509 path validation accepts", () => {
  const tls = tlsFor();
  let root: Issued;
  let inter: Issued;
  let leaf: Issued;
  beforeAll(async () => {
    ({ root, inter, leaf } = await caHierarchy(tls));
  });

  it("encodes subject, SANs, CA flags and validity as node's X509Certificate reads them", () => {
    const r = new X509Certificate(root.certPem);
    const i = new X509Certificate(inter.certPem);
    const l = new X509Certificate(leaf.certPem);
    expect(l.subject).toBe("CN=collector.default.acme.serviceradar");
    expect(l.issuer).toBe(i.subject);
    expect(i.subject).toBe("O=acme\nCN=acme tenant CA");
    expect(i.issuer).toBe("O=Example Platform\nCN=Tenancy Root CA");
    expect(l.subjectAltName).toBe("DNS:collector.acme.svc, DNS:collector.acme.svc.cluster.local");
    expect([r.ca, i.ca, l.ca]).toEqual([true, true, false]);
    expect(new Date(l.validFrom).getTime()).toBe(CLOCK.getTime());
    expect(new Date(l.validTo).getTime()).toBe(CLOCK.getTime() + 720 * HOUR);
    expect(new Date(i.validTo).getTime()).toBe(CLOCK.getTime() + 8760 * HOUR);
    expect(l.checkIssued(i) && i.checkIssued(r)).toBe(true);
    expect(l.verify(i.publicKey)).toBe(true);
    expect(i.verify(r.publicKey)).toBe(true);
    expect(l.verify(r.publicKey)).toBe(false);
    expect(l.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1"]); // node's name for the EKU list
    expect(leaf.cert.state.validityStartTime).toBe("2026-01-01T00:00:00Z");
    expect(leaf.cert.state.validityEndTime).toBe("2026-01-31T00:00:00Z");
    expect(leaf.cert.id).toBe(BigInt(`0x${l.serialNumber}`).toString()); // the provider's id: the serial in decimal
  });

  it("signs with the CA key it is given: a wrong CA key with the right CA certificate is refused", async () => {
    const other = await rootCa(tls, "wrong-key-root");
    const csr = await create(tls, T.csr, "wrong-key-csr", { privateKeyPem: leaf.keyPem, subject: { commonName: "x" } });
    await expect(
      create(tls, T.signed, "wrong-key", { certRequestPem: csr.state.certRequestPem, caCertPem: inter.certPem, caPrivateKeyPem: other.keyPem, ...leafInputs }),
    ).rejects.toThrow(/provided PrivateKey doesn't match parent's PublicKey/);
  });

  it("issues certificates whose key is the request's key, with private keys node can load", () => {
    for (const issued of [inter, leaf]) {
      const fromCert = new X509Certificate(issued.certPem).publicKey.export({ type: "spki", format: "der" });
      expect(fromCert.equals(spkiDer(issued.publicKeyPem))).toBe(true);
      const priv = createPrivateKey(issued.keyPem);
      expect(createPublicKey(priv).export({ type: "spki", format: "der" }).equals(fromCert)).toBe(true);
      expect(new X509Certificate(issued.certPem).checkPrivateKey(priv)).toBe(true);
    }
  });
});

describe("tls fakes: keys", () => {
  const tls = tlsFor();

  it("keeps the provider's P224 default, and refuses it (and RSA) offline with a clear error", async () => {
    await expect(create(tls, T.key, "default-curve", { algorithm: "ECDSA" })).rejects.toThrow(/offline engine: ECDSA curve P224 is not supported offline.*set ecdsaCurve/);
    await expect(create(tls, T.key, "rsa", { algorithm: "RSA" })).rejects.toThrow(/offline engine: RSA keys are not supported by the offline engine/);
    await expect(create(tls, T.key, "bad", { algorithm: "DSA" })).rejects.toThrow(/algorithm value must be one of/);
    await expect(create(tls, T.key, "bad-curve", { algorithm: "ECDSA", ecdsaCurve: "P-256" })).rejects.toThrow(/ecdsa_curve value must be one of/);
  });

  it("derives keys from the seed and the URN: same inputs, same bytes; another seed or URN, another key", async () => {
    const a = await create(tlsFor("seed-a"), T.key, "k", { algorithm: "ECDSA", ecdsaCurve: "P384" });
    const again = await create(tlsFor("seed-a"), T.key, "k", { algorithm: "ECDSA", ecdsaCurve: "P384" });
    const otherSeed = await create(tlsFor("seed-b"), T.key, "k", { algorithm: "ECDSA", ecdsaCurve: "P384" });
    const otherUrn = await create(tlsFor("seed-a"), T.key, "k2", { algorithm: "ECDSA", ecdsaCurve: "P384" });
    expect(again).toEqual(a);
    for (const other of [otherSeed, otherUrn]) {
      expect(other.state.privateKeyPem).not.toBe(a.state.privateKeyPem);
      expect(other.state.publicKeyPem).not.toBe(a.state.publicKeyPem);
      expect(other.id).not.toBe(a.id);
    }
  });
});

describe("tls fakes: requests and certificates", () => {
  it("copies the request's subject and SANs into the certificate and refuses a tampered request", async () => {
    const tls = tlsFor();
    const root = await rootCa(tls, "root");
    const leaf = await issue(tls, "leaf", root, { subject: { commonName: "leaf" }, dnsNames: ["a.example"], ipAddresses: ["192.0.2.9"] }, leafInputs);
    expect(new X509Certificate(leaf.certPem).subjectAltName).toBe("DNS:a.example, IP Address:192.0.2.9");
    const der = Buffer.from(leaf.csrPem.split("\n").slice(1, -2).join(""), "base64");
    der[der.length - 5] ^= 0xff; // inside the signature
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(create(tls, T.signed, "tampered", { certRequestPem: tampered, caPrivateKeyPem: root.keyPem, caCertPem: root.certPem, ...leafInputs })).rejects.toThrow(/signature does not verify/);
  });

  it("is byte-identical for identical inputs, seed and clock; the clock moves the validity", async () => {
    const build = async (seed: string, clock: Date) => {
      const tls = tlsFor(seed, clock);
      const root = await rootCa(tls, "root");
      const leaf = await issue(tls, "leaf", root, leafRequest, leafInputs);
      return { root: root.cert, leaf: leaf.cert, csr: leaf.csrPem };
    };
    const a = await build("s", CLOCK);
    const b = await build("s", CLOCK);
    expect(b).toEqual(a);
    const later = await build("s", new Date(CLOCK.getTime() + 24 * HOUR));
    expect(later.csr).toBe(a.csr);
    expect(later.leaf.state.validityStartTime).toBe("2026-01-02T00:00:00Z");
    expect(later.leaf.state.certPem).not.toBe(a.leaf.state.certPem);
    expect(later.leaf.id).not.toBe(a.leaf.id);
    const otherSeed = await build("t", CLOCK);
    expect(otherSeed.root.state.certPem).not.toBe(a.root.state.certPem);
  });

  it("reports readyForRenewal when the clock is inside the early-renewal window", async () => {
    const tls = tlsFor();
    const root = await rootCa(tls, "root");
    const ready = async (validityPeriodHours: number, earlyRenewalHours?: number) =>
      (await issue(tls, `r-${validityPeriodHours}-${earlyRenewalHours}`, root, leafRequest, { allowedUses: LEAF_USES, validityPeriodHours, ...(earlyRenewalHours === undefined ? {} : { earlyRenewalHours }) })).cert.state.readyForRenewal;
    expect(await ready(10, 9)).toBe(false);
    expect(await ready(10, 10)).toBe(true);
    expect(await ready(10, 11)).toBe(true);
    expect(await ready(0)).toBe(true);
    expect(await ready(10)).toBe(false);
    expect(root.cert.state).toMatchObject({ readyForRenewal: false, earlyRenewalHours: 0, setAuthorityKeyId: false, keyAlgorithm: "ECDSA", maxPathLength: -1 });
  });

  it("is reached through FakeProviders, which passes its clock", async () => {
    const providers = new FakeProviders("s", new Date("2027-03-04T05:06:07.5Z"));
    const key = await providers.newResource({ urn: "urn:k", type: "tls:index/privateKey:PrivateKey", name: "k", custom: true, inputs: { algorithm: "ED25519" } });
    const cert = await providers.newResource({
      urn: "urn:c",
      type: "tls:index/selfSignedCert:SelfSignedCert",
      name: "c",
      custom: true,
      inputs: { privateKeyPem: key.state.privateKeyPem, subject: { commonName: "c" }, allowedUses: ["server_auth"], validityPeriodHours: 2 },
    });
    expect(cert.state.validityStartTime).toBe("2027-03-04T05:06:07.5Z");
    expect(new Date(new X509Certificate(cert.state.certPem).validFrom).toISOString()).toBe("2027-03-04T05:06:07.000Z");
  });
});

describe("tls fakes: caches and fast paths change no byte", () => {
  const NOBLE = { P256: [p256, "sha256", "P-256"], P384: [p384, "sha384", "P-384"], P521: [p521, "sha512", "P-521"] } as const;
  type EcAlgorithm = Parameters<x509.AsnEcSignatureFormatter["toWebSignature"]>[0];
  type CryptoKey = webcrypto.CryptoKey;

  /** The to-be-signed part of a certificate or request: the first element inside the outer SEQUENCE. */
  const tbsOf = (pem: string): Buffer => {
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
    const header = (at: number) => (der[at + 1] < 0x80 ? 2 : 2 + (der[at + 1] & 0x7f));
    const length = (at: number) => (der[at + 1] < 0x80 ? der[at + 1] : der.subarray(at + 2, at + header(at)).reduce((n, b) => n * 256 + b, 0));
    const start = header(0);
    return der.subarray(start, start + header(start) + length(start));
  };

  let warm: Made[];
  beforeAll(async () => {
    warm = await everything(tlsFor("cache-seed"), () => {});
  });

  it("signs ECDSA exactly as @noble/curves' RFC 6979 signer does (lowS: false), on every curve", () => {
    let checked = 0;
    for (const { result, signer } of warm) {
      const signed: string | undefined = result.state.certPem ?? result.state.certRequestPem; // a certificate's state echoes its request
      if (!signed || !signer || signer.curve === "ED25519") continue;
      const [curve, hash, namedCurve] = NOBLE[signer.curve];
      const parsed = result.state.certPem ? new x509.X509Certificate(signed) : new x509.Pkcs10CertificateRequest(signed);
      const d = Buffer.from(createPrivateKey(signer.keyPem).export({ format: "jwk" }).d!, "base64url");
      const expected = curve.sign(createHash(hash).update(tbsOf(signed)).digest(), d, { lowS: false }).toCompactRawBytes();
      const actual = new x509.AsnEcSignatureFormatter().toWebSignature({ name: "ECDSA", namedCurve } as EcAlgorithm, parsed.signature);
      expect(Buffer.from(actual!).toString("hex")).toBe(Buffer.from(expected).toString("hex"));
      checked++;
    }
    expect(checked).toBe(50); // 60 signed, 10 of them by Ed25519 keys
  });

  it("encodes certificates and requests exactly as @peculiar/x509's generators do", async () => {
    type GeneratorCrypto = NonNullable<Parameters<typeof x509.X509CertificateGenerator.create>[1]>;
    let checked = 0;
    for (const { result, signer } of warm) {
      const state = result.state;
      if (!signer) continue;
      const web = signer.curve === "ED25519" ? { name: "Ed25519" } : { name: "ECDSA", namedCurve: NOBLE[signer.curve][2] };
      const hash = signer.curve === "ED25519" ? undefined : NOBLE[signer.curve][1].replace("sha", "SHA-");
      const p1363 = (signature: ArrayBuffer) => (signer.curve === "ED25519" ? signature : new x509.AsnEcSignatureFormatter().toWebSignature(web as EcAlgorithm, signature)!);
      if (state.certPem) {
        const cert = new x509.X509Certificate(state.certPem);
        const crypto = { subtle: { sign: async () => p1363(cert.signature) } } as unknown as GeneratorCrypto;
        const again = await x509.X509CertificateGenerator.create(
          {
            serialNumber: cert.serialNumber,
            subject: cert.subjectName,
            issuer: cert.issuerName,
            notBefore: cert.notBefore,
            notAfter: cert.notAfter,
            publicKey: cert.publicKey,
            signingKey: { algorithm: web } as CryptoKey,
            signingAlgorithm: hash ? { name: "ECDSA", hash } : { name: "Ed25519" },
            extensions: cert.extensions,
          },
          crypto,
        );
        expect(again.toString("pem").replace(/\r/g, "")).toBe(state.certPem.trim());
      } else {
        const csr = new x509.Pkcs10CertificateRequest(state.certRequestPem);
        const crypto = { subtle: { sign: async () => p1363(csr.signature), exportKey: async () => csr.publicKey.rawData } } as unknown as GeneratorCrypto;
        const again = await x509.Pkcs10CertificateRequestGenerator.create(
          {
            name: csr.subjectName,
            keys: { privateKey: { algorithm: web } as CryptoKey, publicKey: {} as CryptoKey },
            signingAlgorithm: hash ? { name: "ECDSA", hash } : { name: "Ed25519" },
            extensions: csr.extensions,
          },
          crypto,
        );
        expect(Buffer.from(again.rawData).equals(Buffer.from(csr.rawData))).toBe(true);
      }
      checked++;
    }
    expect(checked).toBe(60);
  });
});
