/**
 * The @pulumi/tls fakes, checked with tools that do not share their code: OpenSSL 3 (`openssl
 * verify` path validation, `openssl x509/req` decoding) and OpenSSH's ssh-keygen, besides node's
 * X509Certificate / KeyObject; the fakes with their caches emptied make what OpenSSL verifies. No
 * Pulumi runtime is involved. What needs no external tool (node's X.509 reading, @noble/curves'
 * RFC 6979 signer, @peculiar/x509's generators, the provider's validation) is
 * test/program/tls-fakes.test.ts; the fakes' helpers are test/support/tls-fakes.ts.
 */
import { execFileSync } from "node:child_process";
import { X509Certificate, createHash, createPrivateKey, createPublicKey } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeResult } from "../../engine/fakes";
import { clearTlsFakeCaches } from "../../engine/tls";
import {
  CA_USES,
  CLOCK,
  HOUR,
  LEAF_USES,
  T,
  caHierarchy,
  create,
  everything,
  intermediateInputs,
  issue,
  leafInputs,
  leafRequest,
  rootCa,
  spkiDer,
  tlsFor,
  type Issued,
  type Made,
} from "../support/tls-fakes";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tls-fakes-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let fileCounter = 0;
function file(content: string, name = "f.pem"): string {
  const p = path.join(dir, `${fileCounter++}-${name}`);
  fs.writeFileSync(p, content, { mode: 0o600 });
  return p;
}

/** `openssl verify` at clock + 1h (or `at`); returns whether it accepted and what it said. */
function opensslVerify(leafPem: string, opts: { root: string; untrusted?: string[]; purpose?: string; at?: Date }): { ok: boolean; output: string } {
  const at = Math.floor((opts.at ?? new Date(CLOCK.getTime() + HOUR)).getTime() / 1000);
  const args = ["verify", "-attime", String(at), "-CAfile", file(opts.root, "root.pem")];
  if (opts.untrusted?.length) args.push("-untrusted", file(opts.untrusted.join(""), "untrusted.pem"));
  if (opts.purpose) args.push("-purpose", opts.purpose);
  args.push(file(leafPem, "leaf.pem"));
  try {
    return { ok: true, output: execFileSync("openssl", args, { encoding: "utf8", stdio: "pipe" }) };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

/** `openssl x509 -noout -ext …`: the extension as OpenSSL prints it. */
function opensslExt(certPem: string, ext: string): string {
  const [header, ...lines] = execFileSync("openssl", ["x509", "-noout", "-ext", ext, "-in", file(certPem, "cert.pem")], { encoding: "utf8" }).split("\n");
  const values = lines.map((l) => l.trim()).filter(Boolean);
  return [...(/: critical$/.test(header ?? "") ? ["critical"] : []), ...values].join(" | ");
}

describe("tls fakes: a CA hierarchy that real X.509 path validation accepts", () => {
  const tls = tlsFor();
  let root: Issued;
  let inter: Issued;
  let leaf: Issued;
  beforeAll(async () => {
    ({ root, inter, leaf } = await caHierarchy(tls));
  });

  it("verifies root → intermediate → leaf with openssl, for TLS clients and servers", () => {
    for (const purpose of [undefined, "sslclient", "sslserver"]) {
      const result = opensslVerify(leaf.certPem, { root: root.certPem, untrusted: [inter.certPem], purpose });
      expect(result.output).toContain("OK");
      expect(result.ok).toBe(true);
    }
  });

  it("is not valid before the clock nor after validityPeriodHours", () => {
    expect(opensslVerify(leaf.certPem, { root: root.certPem, untrusted: [inter.certPem], at: new Date(CLOCK.getTime() - HOUR) }).output).toMatch(/not yet valid/);
    expect(opensslVerify(leaf.certPem, { root: root.certPem, untrusted: [inter.certPem], at: new Date(CLOCK.getTime() + 721 * HOUR) }).output).toMatch(/expired/);
  });

  it("maps allowed_uses, is_ca_certificate, max_path_length and key ids like the provider", () => {
    expect(opensslExt(root.certPem, "keyUsage")).toBe("critical | Certificate Sign, CRL Sign");
    expect(opensslExt(root.certPem, "basicConstraints")).toBe("critical | CA:TRUE, pathlen:1");
    expect(opensslExt(leaf.certPem, "keyUsage")).toBe("critical | Digital Signature");
    expect(opensslExt(leaf.certPem, "extendedKeyUsage")).toBe("TLS Web Client Authentication, TLS Web Server Authentication");
    expect(opensslExt(leaf.certPem, "basicConstraints")).toBe("critical | CA:FALSE");
    // SKI on CAs (and on request); the issuer's SKI becomes the AKI
    const rootSki = opensslExt(root.certPem, "subjectKeyIdentifier");
    const interSki = opensslExt(inter.certPem, "subjectKeyIdentifier");
    expect(rootSki).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    expect(opensslExt(inter.certPem, "authorityKeyIdentifier")).toBe(rootSki);
    expect(opensslExt(leaf.certPem, "authorityKeyIdentifier")).toBe(interSki);
    expect(opensslExt(leaf.certPem, "subjectKeyIdentifier")).toBe("");
    expect(opensslExt(root.certPem, "authorityKeyIdentifier")).toBe(""); // set_authority_key_id defaults to false
    // RFC 5280 method 1, which is what the provider computes for ECDSA keys
    const point = spkiDer(inter.publicKeyPem).subarray(-65);
    const sha1 = (b: Buffer) => createHash("sha1").update(b).digest("hex").toUpperCase().match(/../g)!.join(":");
    expect(interSki).toBe(sha1(point));
  });

  it("signs with SHA-384 under the P-384 root and SHA-256 under the P-256 intermediate, as Go picks", () => {
    const text = (pem: string) => execFileSync("openssl", ["x509", "-noout", "-text", "-in", file(pem)], { encoding: "utf8" });
    expect(text(inter.certPem)).toMatch(/Signature Algorithm: ecdsa-with-SHA384/);
    expect(text(leaf.certPem)).toMatch(/Signature Algorithm: ecdsa-with-SHA256/);
  });

  it("uses the issuer's subject bytes as the issuer name", () => {
    const i = new X509Certificate(inter.certPem);
    const l = new X509Certificate(leaf.certPem);
    // node prints names; OpenSSL's -nameopt RFC2253 with raw hashing compares the DER
    const hash = (pem: string, which: string) => execFileSync("openssl", ["x509", "-noout", which, "-in", file(pem)], { encoding: "utf8" }).trim();
    expect(hash(leaf.certPem, "-issuer_hash")).toBe(hash(inter.certPem, "-subject_hash"));
    expect(l.issuer).toBe(i.subject);
  });

  it("fails path validation against another root with the same name (different URN, different key)", async () => {
    const other = await rootCa(tls, "other-root", { maxPathLength: 1 });
    expect(new X509Certificate(other.certPem).subject).toBe(new X509Certificate(root.certPem).subject);
    const result = opensslVerify(leaf.certPem, { root: other.certPem, untrusted: [inter.certPem] });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/certificate signature failure|unable to get local issuer/);
    // and a leaf issued under the other root's own intermediate does not verify under this root
    const otherInter = await issue(tls, "other-tenant-ca", other, { subject: { commonName: "acme tenant CA", organization: "acme" } }, intermediateInputs);
    const otherLeaf = await issue(tls, "other-collector", otherInter, leafRequest, leafInputs);
    expect(opensslVerify(otherLeaf.certPem, { root: other.certPem, untrusted: [otherInter.certPem] }).ok).toBe(true);
    expect(opensslVerify(otherLeaf.certPem, { root: root.certPem, untrusted: [otherInter.certPem] }).ok).toBe(false);
    expect(opensslVerify(otherLeaf.certPem, { root: root.certPem, untrusted: [inter.certPem] }).ok).toBe(false);
  });

  it("lets a leaf 'issue' a certificate (the provider only warns) that path validation rejects", async () => {
    const fake = await issue(tls, "issued-by-leaf", { keyPem: leaf.keyPem, certPem: leaf.certPem }, { subject: { commonName: "impostor" } }, leafInputs);
    const issued = new X509Certificate(fake.certPem);
    const issuer = new X509Certificate(leaf.certPem);
    // signed by the leaf's key under the leaf's name …
    expect(issued.issuer).toBe(issuer.subject);
    expect(issued.verify(issuer.publicKey)).toBe(true);
    // … but the leaf is no CA (CA:FALSE, no keyCertSign), so neither OpenSSL nor node accept it as issuer
    expect(issued.checkIssued(issuer)).toBe(false);
    const result = opensslVerify(fake.certPem, { root: root.certPem, untrusted: [inter.certPem, leaf.certPem] });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/invalid CA certificate/);
  });

  it("enforces a positive max_path_length: root pathlen 1 → intermediate → sub-CA → leaf fails", async () => {
    const sub = await issue(tls, "sub-ca", inter, { subject: { commonName: "sub CA" } }, intermediateInputs);
    const subLeaf = await issue(tls, "sub-leaf", sub, leafRequest, leafInputs);
    const result = opensslVerify(subLeaf.certPem, { root: root.certPem, untrusted: [inter.certPem, sub.certPem] });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/path length constraint exceeded/);
  });

  it("treats max_path_length = 0 as no constraint, like the provider (Go's MaxPathLenZero is never set)", async () => {
    // The intermediate above was created with maxPathLength: 0 and carries no pathlen …
    expect(opensslExt(inter.certPem, "basicConstraints")).toBe("critical | CA:TRUE");
    expect(inter.cert.state.maxPathLength).toBe(0);
    // … so under a root without a constraint, a sub-CA below it validates.
    const open = await rootCa(tls, "unconstrained-root");
    const openInter = await issue(tls, "open-tenant-ca", open, { subject: { commonName: "open tenant CA" } }, intermediateInputs);
    const sub = await issue(tls, "open-sub-ca", openInter, { subject: { commonName: "sub CA" } }, intermediateInputs);
    const subLeaf = await issue(tls, "open-sub-leaf", sub, leafRequest, leafInputs);
    expect(opensslVerify(subLeaf.certPem, { root: open.certPem, untrusted: [openInter.certPem, sub.certPem] }).ok).toBe(true);
    // A positive value on an intermediate is encoded and enforced.
    const one = await issue(tls, "pathlen-1-ca", open, { subject: { commonName: "pathlen 1 CA" } }, { ...intermediateInputs, maxPathLength: 1 });
    expect(opensslExt(one.certPem, "basicConstraints")).toBe("critical | CA:TRUE, pathlen:1");
  });

});

describe("tls fakes: every key algorithm the engine signs with", () => {
  it.each([
    ["P256", "ecdsa-with-SHA256"],
    ["P384", "ecdsa-with-SHA384"],
    ["P521", "ecdsa-with-SHA512"],
    ["ED25519", "ED25519"],
  ])("a %s CA issues a chain openssl verifies, signed with %s", async (curve, signatureAlgorithm) => {
    const tls = tlsFor();
    const caKey = await create(tls, T.key, `ca-key-${curve}`, curve === "ED25519" ? { algorithm: "ED25519" } : { algorithm: "ECDSA", ecdsaCurve: curve });
    const ca = await create(tls, T.self, `ca-${curve}`, {
      privateKeyPem: caKey.state.privateKeyPem,
      subject: { commonName: `${curve} CA` },
      isCaCertificate: true,
      allowedUses: CA_USES,
      validityPeriodHours: 24,
    });
    expect(ca.state.keyAlgorithm).toBe(curve === "ED25519" ? "ED25519" : "ECDSA");
    const leaf = await issue(tls, `leaf-${curve}`, { keyPem: caKey.state.privateKeyPem, certPem: ca.state.certPem }, leafRequest, leafInputs, curve);
    expect(leaf.cert.state.caKeyAlgorithm).toBe(ca.state.keyAlgorithm);
    const result = opensslVerify(leaf.certPem, { root: ca.state.certPem, purpose: "sslserver" });
    expect(result.output).toContain("OK");
    const text = execFileSync("openssl", ["x509", "-noout", "-text", "-in", file(leaf.certPem)], { encoding: "utf8" });
    expect(text).toContain(`Signature Algorithm: ${signatureAlgorithm}`);
    // the provider's SKI: SHA-1 of the EC point, or of asn1.Marshal(ed25519.PublicKey) (an OCTET STRING)
    const spki = spkiDer(caKey.state.publicKeyPem);
    const raw = curve === "ED25519" ? Buffer.concat([Buffer.from([0x04, 0x20]), spki.subarray(-32)]) : spki.subarray(spki.length - (1 + 2 * { P256: 32, P384: 48, P521: 66 }[curve]!));
    const expected = createHash("sha1").update(raw).digest("hex").toUpperCase().match(/../g)!.join(":");
    expect(opensslExt(ca.state.certPem, "subjectKeyIdentifier")).toBe(expected);
    expect(opensslExt(leaf.certPem, "authorityKeyIdentifier")).toBe(expected);
  });
});

/**
 * A certificate the real provider made (pulumi-tls's recorded provider-upgrade test state,
 * examples/testdata/recorded/TestProviderUpgrade/ts/5.0.0/stack.json): a P-384 key, subject
 * CN=api.example.com, allowed_uses ["cert_signing"], validity_period_hours 876000.
 */
const PROVIDER_CERT = `-----BEGIN CERTIFICATE-----
MIIBkDCCARegAwIBAgIQWj2DRerd318eeXfQGPqbiTAKBggqhkjOPQQDAzAaMRgw
FgYDVQQDEw9hcGkuZXhhbXBsZS5jb20wIBcNMjYwMzE2MTgzMjMyWhgPMjEyNjAy
MjAxODMyMzJaMBoxGDAWBgNVBAMTD2FwaS5leGFtcGxlLmNvbTB2MBAGByqGSM49
AgEGBSuBBAAiA2IABPt2IRtIZKpsS9L63b+zz3zbt/WX+ecbZbYC3MRZyXpPKxEk
7ymS8+Hh3xcbDRCcvtobCM9wgxwsAfb0hi65yNrwJqbvHHpiB5TJAeMcfQaaiHAa
ynR5K24pZvnRYcpSkKMgMB4wDgYDVR0PAQH/BAQDAgIEMAwGA1UdEwEB/wQCMAAw
CgYIKoZIzj0EAwMDZwAwZAIwSJ+0gZYoRRmOCPrV+s3nVZdiQotv3JYRd79ylwny
eVZfAkhJOh735ptM8BR3g9EgAjAToQiP5y/0SwH9ZSqArC4HtQ/8N6BSsrc99Wut
VyAmhxSuGb8MTGywpCGLs7IBq/8=
-----END CERTIFICATE-----
`;

describe("tls fakes: fidelity to the real provider's output", () => {
  /** OpenSSL's ASN.1 dump with offsets, lengths and per-certificate values (serial, times, key, signature) left out. */
  const shape = (pem: string) =>
    execFileSync("openssl", ["asn1parse", "-in", file(pem)], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const m = /d=(\d+)\s+hl=\s*\d+\s+l=\s*\d+\s+(cons|prim):\s+([^:]*?)\s*(?::(.*))?$/.exec(line.trim());
        if (!m) throw new Error(`unexpected asn1parse line: ${line}`);
        const [, depth, form, type, value] = m;
        const keep = /^(OBJECT|PRINTABLESTRING|UTF8STRING|BOOLEAN|OCTET STRING)$/.test(type);
        return `${depth} ${form} ${type}${keep && value !== undefined ? ` ${value.trim()}` : ""}`;
      });

  it("builds a self-signed certificate with the same structure, extensions and encodings", async () => {
    const tls = tlsFor();
    const key = await create(tls, T.key, "api-key", { algorithm: "ECDSA", ecdsaCurve: "P384" });
    const cert = await create(tls, T.self, "api", {
      privateKeyPem: key.state.privateKeyPem,
      subject: { commonName: "api.example.com" },
      allowedUses: ["cert_signing"],
      validityPeriodHours: 876000,
    });
    expect(shape(cert.state.certPem)).toEqual(shape(PROVIDER_CERT));
    expect(cert.state.validityEndTime).toBe("2125-12-08T00:00:00Z");
    expect(cert.state).toMatchObject({ earlyRenewalHours: 0, isCaCertificate: false, keyAlgorithm: "ECDSA", readyForRenewal: false, setAuthorityKeyId: false, setSubjectKeyId: false });
  });
});

describe("tls fakes: keys", () => {
  const tls = tlsFor();

  it.each([
    ["ECDSA", "P256", "EC PRIVATE KEY", "ecdsa-sha2-nistp256", 256],
    ["ECDSA", "P384", "EC PRIVATE KEY", "ecdsa-sha2-nistp384", 384],
    ["ECDSA", "P521", "EC PRIVATE KEY", "ecdsa-sha2-nistp521", 521],
    ["ED25519", undefined, "PRIVATE KEY", "ssh-ed25519", 256],
  ])("%s %s: every format the provider outputs loads in node and OpenSSH and names the same key", async (algorithm, curve, pemType, sshType, bits) => {
    const key = await create(tls, T.key, `k-${algorithm}-${curve}`, { algorithm, ...(curve ? { ecdsaCurve: curve } : {}) });
    const s = key.state;
    expect(s.privateKeyPem.startsWith(`-----BEGIN ${pemType}-----\n`)).toBe(true);
    expect(s.privateKeyPemPkcs8.startsWith("-----BEGIN PRIVATE KEY-----\n")).toBe(true);
    expect(s.publicKeyPem.startsWith("-----BEGIN PUBLIC KEY-----\n") && s.publicKeyPem.endsWith("-----END PUBLIC KEY-----\n")).toBe(true);
    const spki = spkiDer(s.publicKeyPem);
    for (const pem of [s.privateKeyPem, s.privateKeyPemPkcs8]) {
      expect(createPublicKey(createPrivateKey(pem)).export({ type: "spki", format: "der" }).equals(spki)).toBe(true);
    }
    // OpenSSH: the private key file yields the authorized_keys line; fingerprints as ssh-keygen prints them
    const sshKey = file(s.privateKeyOpenssh, "id");
    expect(execFileSync("ssh-keygen", ["-y", "-f", sshKey], { encoding: "utf8" })).toBe(s.publicKeyOpenssh);
    expect(s.publicKeyOpenssh.startsWith(`${sshType} `) && s.publicKeyOpenssh.endsWith("\n")).toBe(true);
    const pub = file(s.publicKeyOpenssh, "id.pub");
    expect(execFileSync("ssh-keygen", ["-l", "-f", pub], { encoding: "utf8" }).split(" ").slice(0, 2)).toEqual([String(bits), s.publicKeyFingerprintSha256]);
    expect(execFileSync("ssh-keygen", ["-l", "-E", "md5", "-f", pub], { encoding: "utf8" }).split(" ")[1]).toBe(`MD5:${s.publicKeyFingerprintMd5}`);
    // id: hex SHA-1 of the public key DER, as the provider's hashForState
    expect(key.id).toBe(createHash("sha1").update(spki).digest("hex"));
    expect(s).toMatchObject({ algorithm, ecdsaCurve: curve ?? "P224", rsaBits: 2048 });
  });

});

describe("tls fakes: requests and certificates", () => {
  it("builds a PKCS#10 request OpenSSL verifies, with the subject and SANs asked for", async () => {
    const tls = tlsFor();
    const key = await create(tls, T.key, "csr-key", { algorithm: "ED25519" });
    const csr = await create(tls, T.csr, "csr", {
      privateKeyPem: key.state.privateKeyPem,
      subject: { commonName: "edge.acme", organization: "acme_corp", organizationalUnit: "edge", country: "DE", locality: "Berlin", province: "BE", postalCode: "10115", serialNumber: "42", streetAddresses: ["Main St 1"] },
      dnsNames: ["edge.acme"],
      ipAddresses: ["10.0.0.7", "::ffff:192.0.2.1", "2001:db8::7"],
      uris: ["spiffe://acme/edge"],
    });
    expect(csr.state.keyAlgorithm).toBe("ED25519");
    const text = execFileSync("openssl", ["req", "-verify", "-noout", "-text", "-nameopt", "RFC2253", "-in", file(csr.state.certRequestPem)], { encoding: "utf8", stdio: "pipe" });
    expect(text).toContain("Subject: serialNumber=42,CN=edge.acme,OU=edge,O=acme_corp,postalCode=10115,street=Main St 1,L=Berlin,ST=BE,C=DE");
    expect(text).toContain("DNS:edge.acme, IP Address:10.0.0.7, IP Address:192.0.2.1, IP Address:2001:DB8:0:0:0:0:0:7, URI:spiffe://acme/edge");
    // Go's string types: PrintableString when every character allows it, else UTF8String
    const dump = execFileSync("openssl", ["asn1parse", "-in", file(csr.state.certRequestPem)], { encoding: "utf8" });
    expect(dump).toMatch(/PRINTABLESTRING +:edge\.acme\n/);
    expect(dump).toMatch(/UTF8STRING +:acme_corp\n/);
    expect(csr.id).toBe(createHash("sha1").update(Buffer.from(csr.state.certRequestPem.split("\n").slice(1, -2).join(""), "base64")).digest("hex"));
  });

  it("validates like the provider: uses, CA subjects, path length on non-CAs, authority key ids", async () => {
    const tls = tlsFor();
    const key = await create(tls, T.key, "v-key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const base = { privateKeyPem: key.state.privateKeyPem, subject: { commonName: "v" }, validityPeriodHours: 1 };
    await expect(create(tls, T.self, "v1", { ...base, allowedUses: ["certSigning"] })).rejects.toThrow(/allowed_uses\[0\] value must be one of: .*"cert_signing"/);
    await expect(create(tls, T.self, "v2", { ...base, subject: undefined, isCaCertificate: true, allowedUses: CA_USES })).rejects.toThrow(/Must contain at least one Distinguished Name/);
    await expect(create(tls, T.self, "v3", { ...base, allowedUses: LEAF_USES, maxPathLength: 2 })).rejects.toThrow(/only CAs are allowed to specify MaxPathLen/);
    await expect(create(tls, T.self, "v4", { ...base, allowedUses: LEAF_USES, setAuthorityKeyId: true })).rejects.toThrow(/Could not determine Authority Key Identifier/);
    const both = await create(tls, T.self, "v5", { ...base, allowedUses: ["server_auth"], setSubjectKeyId: true, setAuthorityKeyId: true });
    expect(opensslExt(both.state.certPem, "authorityKeyIdentifier")).toBe(opensslExt(both.state.certPem, "subjectKeyIdentifier"));
    expect(opensslExt(both.state.certPem, "keyUsage")).toBe(""); // only extended usages: no KeyUsage extension
    const noSubject = await create(tls, T.self, "v6", { ...base, subject: undefined, dnsNames: ["only.san"], allowedUses: ["server_auth"] });
    expect(opensslExt(noSubject.state.certPem, "subjectAltName")).toBe("critical | DNS:only.san"); // empty subject: SAN critical
  });

});

describe("tls fakes: caches and fast paths change no byte", () => {
  let warm: Made[];
  beforeAll(async () => {
    warm = await everything(tlsFor("cache-seed"), () => {});
  });
  const made = (name: string) => warm.find((m) => m.name === name)!.result.state;

  it("makes the same bytes when every key, request and CA certificate has to be parsed from its PEM", async () => {
    const cold = await everything(tlsFor("cache-seed"), clearTlsFakeCaches);
    expect(cold).toEqual(warm);
    // and what was made verifies, on every curve (but the leaf named like its issuer, which
    // OpenSSL takes for self-signed: it is there for Go's "no AuthorityKeyId when subject = issuer")
    for (const curve of ["P256", "P384", "P521", "ED25519"]) {
      const root = made(`root-${curve}`).certPem;
      for (let i = 0; i < 4; i++) {
        if (i < 3) expect(opensslVerify(made(`leaf-${curve}-${i}`).certPem, { root, untrusted: [made(`inter-${curve}`).certPem] }).output).toContain("OK");
        expect(opensslVerify(made(`direct-${curve}-${i}`).certPem, { root }).output).toContain("OK");
      }
      expect(opensslExt(made(`leaf-${curve}-3`).certPem, "authorityKeyIdentifier")).toBe("");
    }
  });

  it("never lets a cached key stand in for another PEM", async () => {
    const tls = tlsFor();
    const a = await create(tls, T.key, "a", { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const b = await create(tls, T.key, "b", { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const request = { subject: { commonName: "same" }, dnsNames: ["same.example"] };
    const csr = (keyPem: string) => create(tls, T.csr, "csr", { privateKeyPem: keyPem, ...request }); // same URN, same subject
    const csrA = await csr(a.state.privateKeyPem);
    const csrB = await csr(b.state.privateKeyPem);
    expect(csrB.state.certRequestPem).not.toBe(csrA.state.certRequestPem);
    // each request carries, and is signed by, the key its PEM holds (OpenSSL reads and checks it)
    for (const [req, key] of [[csrA, a], [csrB, b]] as const) {
      const pub = execFileSync("openssl", ["req", "-verify", "-noout", "-pubkey", "-in", file(req.state.certRequestPem)], { encoding: "utf8", stdio: "pipe" });
      expect(pub).toBe(key.state.publicKeyPem);
    }
    // the same key in another encoding (PKCS#8) or another wrapping is the same key
    const lines: string[] = a.state.privateKeyPem.trim().split("\n");
    const rewrapped = `${lines[0]}\n${lines.slice(1, -1).join("").match(/.{1,76}/g)!.join("\n")}\n${lines.at(-1)}\n`;
    expect(rewrapped).not.toBe(a.state.privateKeyPem);
    expect((await csr(a.state.privateKeyPemPkcs8)).state.certRequestPem).toBe(csrA.state.certRequestPem);
    expect((await csr(rewrapped)).state.certRequestPem).toBe(csrA.state.certRequestPem);
    // a CA key is the one its PEM holds, whatever was signed before: B's request signed by A and by B
    const ca = await rootCa(tls, "cache-ca");
    const signedBy = async (caPem: string, req: FakeResult) =>
      create(tls, T.signed, "signed", { certRequestPem: req.state.certRequestPem, caPrivateKeyPem: caPem, caCertPem: ca.certPem, ...leafInputs });
    const leaf = await signedBy(ca.keyPem, csrB);
    expect(new X509Certificate(leaf.state.certPem).verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(spkiDer(new X509Certificate(leaf.state.certPem).publicKey.export({ type: "spki", format: "pem" }) as string).equals(spkiDer(b.state.publicKeyPem))).toBe(true);
    await expect(signedBy(a.state.privateKeyPem, csrB)).rejects.toThrow(/provided PrivateKey doesn't match parent's PublicKey/);
  });
});
