/**
 * The @pulumi/tls fakes, checked with tools that do not share their code: OpenSSL 3 (`openssl
 * verify` path validation, `openssl x509/req` decoding), OpenSSH's ssh-keygen, and node's
 * X509Certificate / KeyObject. The fast paths are held to what they replace: @noble/curves'
 * RFC 6979 signer and @peculiar/x509's generators, which the fakes no longer call, and the fakes
 * themselves with their caches emptied. No Pulumi runtime is involved.
 */
import { execFileSync } from "node:child_process";
import { X509Certificate, createHash, createPrivateKey, createPublicKey, type webcrypto } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { p256 } from "@noble/curves/p256";
import { p384 } from "@noble/curves/p384";
import { p521 } from "@noble/curves/p521";
import { DEFAULT_CLOCK, FakeProviders, type FakeResult } from "../engine/fakes";
import { FakeTls, clearTlsFakeCaches } from "../engine/tls";

const CLOCK = DEFAULT_CLOCK;
const HOUR = 3_600_000;
const T = {
  key: "tls:index/privateKey:PrivateKey",
  csr: "tls:index/certRequest:CertRequest",
  self: "tls:index/selfSignedCert:SelfSignedCert",
  signed: "tls:index/locallySignedCert:LocallySignedCert",
};
const CA_USES = ["cert_signing", "crl_signing"];
const LEAF_USES = ["client_auth", "server_auth", "digital_signature"];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tls-fakes-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let fileCounter = 0;
function file(content: string, name = "f.pem"): string {
  const p = path.join(dir, `${fileCounter++}-${name}`);
  fs.writeFileSync(p, content, { mode: 0o600 });
  return p;
}

function tlsFor(seed = "tls-test-seed", clock = CLOCK): FakeTls {
  const providers = new FakeProviders(seed);
  return new FakeTls((identity, length) => providers.bytes(identity, length), clock);
}

const urn = (type: string, name: string) => `urn:pulumi:dev::tenancy::${type}::${name}`;
const create = (tls: FakeTls, type: string, name: string, inputs: Record<string, any>): Promise<FakeResult> =>
  tls.create({ urn: urn(type, name), type, name, custom: true, inputs });

interface Issued {
  keyPem: string;
  publicKeyPem: string;
  certPem: string;
  cert: FakeResult;
}

/** A self-signed CA like the platform root. */
async function rootCa(tls: FakeTls, name: string, extra: Record<string, any> = {}): Promise<Issued> {
  const key = await create(tls, T.key, `${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P384" });
  const cert = await create(tls, T.self, name, {
    privateKeyPem: key.state.privateKeyPem,
    subject: { commonName: "Tenancy Root CA", organization: "Example Platform" },
    isCaCertificate: true,
    setSubjectKeyId: true,
    allowedUses: CA_USES,
    validityPeriodHours: 10 * 8760,
    ...extra,
  });
  return { keyPem: key.state.privateKeyPem, publicKeyPem: key.state.publicKeyPem, certPem: cert.state.certPem, cert };
}

/** Key, request and certificate signed by `ca`, as components/pki.ts issues them. */
async function issue(
  tls: FakeTls,
  name: string,
  ca: { keyPem: string; certPem: string },
  request: Record<string, any>,
  inputs: Record<string, any>,
  curve = "P256",
): Promise<Issued & { csrPem: string }> {
  const key = await create(tls, T.key, `${name}-key`, { algorithm: curve === "ED25519" ? "ED25519" : "ECDSA", ...(curve === "ED25519" ? {} : { ecdsaCurve: curve }) });
  const csr = await create(tls, T.csr, `${name}-csr`, { privateKeyPem: key.state.privateKeyPem, ...request });
  const cert = await create(tls, T.signed, name, {
    certRequestPem: csr.state.certRequestPem,
    caPrivateKeyPem: ca.keyPem,
    caCertPem: ca.certPem,
    ...inputs,
  });
  return { keyPem: key.state.privateKeyPem, publicKeyPem: key.state.publicKeyPem, certPem: cert.state.certPem, cert, csrPem: csr.state.certRequestPem };
}

const intermediateInputs = { isCaCertificate: true, maxPathLength: 0, setSubjectKeyId: true, allowedUses: CA_USES, validityPeriodHours: 8760 };
const leafInputs = { allowedUses: LEAF_USES, validityPeriodHours: 720, earlyRenewalHours: 168 };
const leafRequest = { subject: { commonName: "collector.default.acme.serviceradar" }, dnsNames: ["collector.acme.svc", "collector.acme.svc.cluster.local"] };

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

const spkiDer = (pem: string) => createPublicKey(pem).export({ type: "spki", format: "der" });

describe("tls fakes: a CA hierarchy that real X.509 path validation accepts", () => {
  const tls = tlsFor();
  let root: Issued;
  let inter: Issued;
  let leaf: Issued;
  beforeAll(async () => {
    root = await rootCa(tls, "root", { maxPathLength: 1 });
    inter = await issue(tls, "tenant-ca", root, { subject: { commonName: "acme tenant CA", organization: "acme" } }, intermediateInputs);
    leaf = await issue(tls, "collector", inter, leafRequest, leafInputs);
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

  it("signs with the CA key it is given: a wrong CA key with the right CA certificate is refused", async () => {
    const other = await rootCa(tls, "wrong-key-root");
    const csr = await create(tls, T.csr, "wrong-key-csr", { privateKeyPem: leaf.keyPem, subject: { commonName: "x" } });
    await expect(
      create(tls, T.signed, "wrong-key", { certRequestPem: csr.state.certRequestPem, caCertPem: inter.certPem, caPrivateKeyPem: other.keyPem, ...leafInputs }),
    ).rejects.toThrow(/provided PrivateKey doesn't match parent's PublicKey/);
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
  type Curve = keyof typeof NOBLE | "ED25519";
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
  const keyInputs = (curve: Curve) => (curve === "ED25519" ? { algorithm: "ED25519" } : { algorithm: "ECDSA", ecdsaCurve: curve });
  const richRequest = {
    subject: {
      commonName: "edge.acme",
      organization: "acme_corp",
      organizationalUnit: "edge",
      country: "DE",
      locality: "Zürich",
      province: "BE",
      postalCode: "10115",
      serialNumber: "42",
      streetAddresses: ["Main St 1", "Hof 2"],
      emailAddress: "ops@acme.example",
    },
    dnsNames: ["edge.acme", "edge.acme.svc"],
    ipAddresses: ["10.0.0.7", "::ffff:192.0.2.1", "2001:db8::7"],
    uris: ["spiffe://acme/edge"],
  };

  /** What was made, and by which key (the signer's PEM and curve) when it is signed. */
  interface Made {
    name: string;
    result: FakeResult;
    signer?: { curve: Curve; keyPem: string };
  }

  /**
   * A bit of everything the fakes make: roots on every curve, an intermediate, leaves with rich,
   * empty and repeated subjects, key ids on request, write-only inputs, a century-long validity.
   * `before` runs before each resource.
   */
  async function everything(tls: FakeTls, before: () => void): Promise<Made[]> {
    const out: Made[] = [];
    const make = async (type: string, name: string, inputs: Record<string, any>, signer?: Made["signer"]) => {
      before();
      const result = await create(tls, type, name, inputs);
      out.push({ name, result, signer });
      return result;
    };
    for (const curve of ["P256", "P384", "P521", "ED25519"] as const) {
      const rootKey = await make(T.key, `root-key-${curve}`, keyInputs(curve));
      const rootSigner = { curve, keyPem: rootKey.state.privateKeyPem };
      const root = await make(
        T.self,
        `root-${curve}`,
        { privateKeyPem: rootKey.state.privateKeyPem, subject: { commonName: `${curve} root`, organization: "Example Platform" }, isCaCertificate: true, setSubjectKeyId: true, setAuthorityKeyId: true, allowedUses: CA_USES, validityPeriodHours: 876000, maxPathLength: 2 },
        rootSigner,
      );
      const interKey = await make(T.key, `inter-key-${curve}`, keyInputs("P256"));
      const interSigner = { curve: "P256" as const, keyPem: interKey.state.privateKeyPem };
      const interCsr = await make(T.csr, `inter-csr-${curve}`, { privateKeyPemWo: interKey.state.privateKeyPemPkcs8, subject: { commonName: "tenant CA", organization: "acme" } }, interSigner);
      const inter = await make(
        T.signed,
        `inter-${curve}`,
        { certRequestPem: interCsr.state.certRequestPem, caPrivateKeyPem: rootKey.state.privateKeyPem, caCertPem: root.state.certPem, ...intermediateInputs },
        rootSigner,
      );
      const requests: Record<string, any>[] = [richRequest, { dnsNames: ["only.san"] }, leafRequest, { subject: { commonName: "tenant CA", organization: "acme" } }];
      for (const [i, request] of requests.entries()) {
        const leafCurve: Curve = (["P256", "ED25519", "P384", "P521"] as const)[i];
        const key = await make(T.key, `leaf-key-${curve}-${i}`, keyInputs(leafCurve));
        const csr = await make(T.csr, `leaf-csr-${curve}-${i}`, { privateKeyPem: key.state.privateKeyPem, ...request }, { curve: leafCurve, keyPem: key.state.privateKeyPem });
        await make(T.signed, `leaf-${curve}-${i}`, { certRequestPem: csr.state.certRequestPem, caPrivateKeyPemWo: interKey.state.privateKeyPem, caCertPem: inter.state.certPem, ...leafInputs, setSubjectKeyId: i === 0 }, interSigner);
        await make(T.signed, `direct-${curve}-${i}`, { certRequestPem: csr.state.certRequestPem, caPrivateKeyPem: rootKey.state.privateKeyPem, caCertPem: root.state.certPem, ...leafInputs }, rootSigner);
      }
    }
    return out;
  }

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
