/**
 * The @pulumi/tls fakes as the tests drive them (test/program/tls-fakes.test.ts in process,
 * test/e2e/tls-fakes.test.ts against openssl and ssh-keygen): a FakeTls per seed and clock,
 * resources created by type and name, a CA hierarchy like the program's PKI, and "everything", a
 * bit of every kind of resource the fakes make.
 */
import { createPublicKey } from "node:crypto";
import { DEFAULT_CLOCK, FakeProviders, type FakeResult } from "../../engine/fakes";
import { FakeTls } from "../../engine/tls";

export const CLOCK = DEFAULT_CLOCK;
export const HOUR = 3_600_000;
export const T = {
  key: "tls:index/privateKey:PrivateKey",
  csr: "tls:index/certRequest:CertRequest",
  self: "tls:index/selfSignedCert:SelfSignedCert",
  signed: "tls:index/locallySignedCert:LocallySignedCert",
};
export const CA_USES = ["cert_signing", "crl_signing"];
export const LEAF_USES = ["client_auth", "server_auth", "digital_signature"];

export function tlsFor(seed = "tls-test-seed", clock = CLOCK): FakeTls {
  const providers = new FakeProviders(seed);
  return new FakeTls((identity, length) => providers.bytes(identity, length), clock);
}

const urn = (type: string, name: string) => `urn:pulumi:dev::tenancy::${type}::${name}`;
export const create = (tls: FakeTls, type: string, name: string, inputs: Record<string, any>): Promise<FakeResult> =>
  tls.create({ urn: urn(type, name), type, name, custom: true, inputs });

export interface Issued {
  keyPem: string;
  publicKeyPem: string;
  certPem: string;
  cert: FakeResult;
}

/** A self-signed CA like the platform root. */
export async function rootCa(tls: FakeTls, name: string, extra: Record<string, any> = {}): Promise<Issued> {
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
export async function issue(
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

export const intermediateInputs = { isCaCertificate: true, maxPathLength: 0, setSubjectKeyId: true, allowedUses: CA_USES, validityPeriodHours: 8760 };
export const leafInputs = { allowedUses: LEAF_USES, validityPeriodHours: 720, earlyRenewalHours: 168 };
export const leafRequest = { subject: { commonName: "collector.default.acme.serviceradar" }, dnsNames: ["collector.acme.svc", "collector.acme.svc.cluster.local"] };

export const spkiDer = (pem: string) => createPublicKey(pem).export({ type: "spki", format: "der" });

/** root (path length 1) → tenant CA → collector leaf, as the CA-hierarchy tests share it. */
export async function caHierarchy(tls: FakeTls): Promise<{ root: Issued; inter: Issued; leaf: Issued }> {
  const root = await rootCa(tls, "root", { maxPathLength: 1 });
  const inter = await issue(tls, "tenant-ca", root, { subject: { commonName: "acme tenant CA", organization: "acme" } }, intermediateInputs);
  const leaf = await issue(tls, "collector", inter, leafRequest, leafInputs);
  return { root, inter, leaf };
}

/** The curves the fakes sign with. */
export type Curve = "P256" | "P384" | "P521" | "ED25519";

export const keyInputs = (curve: Curve) => (curve === "ED25519" ? { algorithm: "ED25519" } : { algorithm: "ECDSA", ecdsaCurve: curve });

export const richRequest = {
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
export interface Made {
  name: string;
  result: FakeResult;
  signer?: { curve: Curve; keyPem: string };
}

/**
 * A bit of everything the fakes make: roots on every curve, an intermediate, leaves with rich,
 * empty and repeated subjects, key ids on request, write-only inputs, a century-long validity.
 * `before` runs before each resource.
 */
export async function everything(tls: FakeTls, before: () => void): Promise<Made[]> {
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
