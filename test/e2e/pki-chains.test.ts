/**
 * The rendered PKI, checked as a TLS peer would check it: with openssl 3 (`openssl verify`) and
 * X.509 parsers (node's crypto.X509Certificate, @peculiar/x509), on the material a revealed render
 * of the example tenants writes. Expected values come from the tenant files and the README's rules
 * (section "Certificates (PKI)"), never from the program's own functions.
 *
 * Two self-signed CAs: the platform root (→ tenant CAs → components) and the NATS hub CA (→ the hub
 * certificate only). Whatever dials the hub trusts the hub CA (`hub-ca.crt`), so a hub certificate
 * minted with a tenant CA key — which chains to the root — is refused by every tenant.
 */
import "reflect-metadata"; // @peculiar/x509 (tsyringe) needs it loaded first
import * as x509 from "@peculiar/x509";
import { X509Certificate, createPrivateKey, webcrypto } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

import { REPO, readTree } from "../support/fixtures";
import { caKeyOf } from "../support/issued";
import { render as renderCli } from "../support/render";
import { openssl, opensslVerify, splitCerts, spki, type VerifyFiles } from "../support/openssl";
/** The render's clock, passed explicitly: every certificate starts there. */
const CLOCK = new Date("2026-01-01T00:00:00Z");
const HOUR = 3_600_000;
/** A moment inside every certificate's validity (one day after issue), for `openssl verify -attime`. */
const AT = String(Math.floor(CLOCK.getTime() / 1000) + 86_400);
/** Stack defaults (Pulumi.yaml / README): lifetimes per class, platform namespace and hub Service. */
const VALIDITY_HOURS = { root: 87_600, tenantCa: 43_800, component: 8_760 };
const PLATFORM_NS = "platform";
const HUB_SERVICE = "nats";
/** README: the two self-signed CAs. The hub CA lives as long as the root (same class). */
const ROOT_CN = "serviceradar platform root CA";
const HUB_CA_CN = "serviceradar NATS hub CA";
/** README: the hub certificate's CN (also its first DNS name); the hub lives as long as a component. */
const HUB_CN = `nats.${PLATFORM_NS}.serviceradar`;
/** The name NACK and the leaf nodes dial (README: natsHubUrl tls://nats.<platformNamespace>.svc:4222). */
const HUB_DIALED = `${HUB_SERVICE}.${PLATFORM_NS}.svc`;
const HUB_TLS_FILE = `manifests/${PLATFORM_NS}/secret-nats-hub-tls.yaml`;
const HUB_CA_FILE = `manifests/${PLATFORM_NS}/secret-nats-hub-ca.yaml`;
/** README: components that accept TLS get server_auth and their Service DNS names. */
const LISTENERS = new Set(["flowgger", "otel", "leaf"]);
const EKU = { serverAuth: "1.3.6.1.5.5.7.3.1", clientAuth: "1.3.6.1.5.5.7.3.2" };

type X509Crypto = NonNullable<Parameters<typeof x509.X509CertificateGenerator.create>[1]>;
type X509Key = Extract<Parameters<typeof x509.X509CertificateGenerator.create>[0], { signingKey: unknown }>["signingKey"];
const cryptoImpl = webcrypto as unknown as X509Crypto;

// ---------------------------------------------------------------------------------------------
// Expectations from the tenant files

interface ExpectedComponent {
  slug: string;
  component: string;
  partition: string;
  /** README: CN <component>.<partition>.<slug>.serviceradar */
  cn: string;
  listens: boolean;
  /** DNS SANs: the CN, plus the Service names for listeners. */
  dnsNames: string[];
  /** manifests/<namespace>/secret-<component>-<partition>-tls.yaml (since issue 14's diet also its creds) */
  secretFile: string;
}

interface ExpectedTenant {
  slug: string;
  components: ExpectedComponent[];
}

const serviceDns = (svc: string, ns: string) => [svc, `${svc}.${ns}`, `${svc}.${ns}.svc`, `${svc}.${ns}.svc.cluster.local`];

function expectedTenants(): ExpectedTenant[] {
  const dir = path.join(REPO, "tenants");
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => {
      const doc = parseYaml(fs.readFileSync(path.join(dir, f), "utf8")) as { slug: string; status?: string; collectors?: { type: string; partition: string }[] };
      // Components run in the edge namespace, which a tenant has when it lists collectors.
      const ns = `tenant-${doc.slug}-edge`;
      // The Service in front of a collector is <type>-<partition>; the leaf node's is nats-leaf.
      const parts =
        doc.status === "decommissioned" || (doc.collectors ?? []).length === 0
          ? []
          : [...(doc.collectors ?? []).map((c) => ({ component: c.type, partition: c.partition, service: `${c.type}-${c.partition}` })), { component: "leaf", partition: "edge", service: "nats-leaf" }];
      return {
        slug: doc.slug,
        components: parts.map(({ component, partition, service }) => {
          const cn = `${component}.${partition}.${doc.slug}.serviceradar`;
          const listens = LISTENERS.has(component);
          // The leaf is also dialled over localhost, by what keeps its local streams in its own pod.
          const dnsNames = [cn, ...(listens ? serviceDns(service, ns) : []), ...(component === "leaf" ? ["localhost"] : [])];
          return { slug: doc.slug, component, partition, cn, listens, dnsNames, secretFile: `manifests/${ns}/secret-${component}-${partition}-tls.yaml` };
        }),
      };
    });
}

// ---------------------------------------------------------------------------------------------
// Rendering and reading the output

async function render(out: string, options: { revealSecrets?: boolean } = {}): Promise<Map<string, string>> {
  return readTree(await renderCli({ out, clock: CLOCK.toISOString(), ...options }), "utf8");
}

/** The base64 body of a PEM, without whitespace: what to look for in any file, however indented. */
const pemBody = (pemText: string) => pemText.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
const squash = (text: string) => text.replace(/\s+/g, "");

// ---------------------------------------------------------------------------------------------
// openssl

let tmp = "";
let fileCount = 0;
/** Writes PEM text to a fresh file and returns its path. */
function pemFile(text: string, name = "x.pem"): string {
  const file = path.join(tmp, `${fileCount++}-${name}`);
  fs.writeFileSync(file, text);
  return file;
}

const verify = (cert: string, o: Omit<VerifyFiles, "at">) => opensslVerify(cert, { ...o, at: AT });

// ---------------------------------------------------------------------------------------------
// Parsing

const peculiar = (pemText: string) => new x509.X509Certificate(pemText);
const field = (cert: x509.X509Certificate, short: string) => cert.subjectName.getField(short);
const basicConstraints = (c: x509.X509Certificate) => c.getExtension(x509.BasicConstraintsExtension);
const keyUsage = (c: x509.X509Certificate) => c.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
const extKeyUsages = (c: x509.X509Certificate) => (c.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? []).map(String);
const dnsSans = (c: x509.X509Certificate) =>
  (c.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? []).filter((n) => n.type === "dns").map((n) => n.value);
const namedCurve = (pemText: string) => new X509Certificate(pemText).publicKey.asymmetricKeyDetails?.namedCurve;
const keyMatches = (certPem: string, keyPem: string) => new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
const F = x509.KeyUsageFlags;

// ---------------------------------------------------------------------------------------------
// The rendered material

interface ComponentMaterial extends ExpectedComponent {
  tlsCrt: string;
  /** First certificate of tls.crt. */
  certPem: string;
  keyPem: string;
  caCrt: string;
  hubCa?: string;
  certFile: string;
  keyFile: string;
}

interface TenantMaterial {
  slug: string;
  caCertPem: string;
  caKeyPem: string;
  /** root-ca.crt of the tenant's ConfigMap tenant-ca. */
  caSecretRoot: string;
  configMap: Record<string, string>;
  caFile: string;
  /** ca-chain.crt of ConfigMap tenant-ca. */
  chainFile: string;
  components: ComponentMaterial[];
}

const tenants = expectedTenants();
let revealed = new Map<string, string>();
let hidden = new Map<string, string>();
let manifests = new Map<string, any>();
let rootPem = "";
let rootFile = "";
let rootKeyPem = "";
let hubCaPem = "";
let hubCaFile = "";
let hubCaKeyPem = "";
/** The hub's certificate (tls.crt of nats-hub-tls). */
let hubPem = "";
let hubFile = "";
const material = new Map<string, TenantMaterial>();
const counts = { chains: 0, tenantCas: 0, crossTenantRefusals: 0, chainAnchorAccepts: 0, hubNames: 0, rogueHubs: 0, hubCaCopies: 0, rogueHubRefusals: 0, hubImpersonationRefusals: 0 };

const manifest = (file: string) => {
  const m = manifests.get(file);
  if (!m) throw new Error(`not rendered: ${file}`);
  return m;
};

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-pki-chains-"));
  [revealed, hidden] = await Promise.all([render(path.join(tmp, "revealed"), { revealSecrets: true }), render(path.join(tmp, "hidden"))]);
  manifests = new Map([...revealed].filter(([f]) => f.startsWith("manifests/")).map(([f, text]) => [f, parseYaml(text)]));

  rootPem = manifest(`manifests/${PLATFORM_NS}/configmap-platform-root-ca.yaml`).data["ca.crt"];
  rootFile = pemFile(rootPem, "root.crt");
  hubCaPem = manifest(HUB_CA_FILE).stringData["ca.crt"];
  hubCaFile = pemFile(hubCaPem, "hub-ca.crt");
  hubPem = splitCerts(manifest(HUB_TLS_FILE).stringData["tls.crt"])[0];
  hubFile = pemFile(hubPem, "hub.crt");
  // The CA keys are in no manifest; the self-signed certificates' declared inputs name them (revealed).
  const declared = parseYaml(revealed.get("resources.yaml")!) as { urn: string; inputs: Record<string, any> }[];
  const selfSigned = declared.filter((r) => r.urn.includes("tls:index/selfSignedCert:SelfSignedCert::"));
  expect(selfSigned.map((r) => r.inputs.subject?.commonName).sort()).toEqual([HUB_CA_CN, ROOT_CN].sort());
  rootKeyPem = selfSigned.find((r) => r.inputs.subject.commonName === ROOT_CN)!.inputs.privateKeyPem;
  hubCaKeyPem = selfSigned.find((r) => r.inputs.subject.commonName === HUB_CA_CN)!.inputs.privateKeyPem;

  // Tenant CA keys are in no manifest either (signing happens in state): the certificates they signed name them.
  const tenantCaKey = (slug: string) => caKeyOf(declared, manifest(`manifests/tenant-${slug}/configmap-tenant-ca.yaml`).data["ca.crt"]);
  for (const t of tenants) {
    const configMap = manifest(`manifests/tenant-${t.slug}/configmap-tenant-ca.yaml`).data;
    material.set(t.slug, {
      slug: t.slug,
      caCertPem: configMap["ca.crt"],
      caKeyPem: tenantCaKey(t.slug),
      caSecretRoot: configMap["root-ca.crt"],
      configMap,
      caFile: pemFile(configMap["ca.crt"], `${t.slug}-ca.crt`),
      chainFile: pemFile(configMap["ca-chain.crt"], `${t.slug}-ca-chain.crt`),
      components: t.components.map((c) => {
        const s = manifest(c.secretFile).stringData;
        const certPem = splitCerts(s["tls.crt"])[0];
        return {
          ...c,
          tlsCrt: s["tls.crt"],
          certPem,
          keyPem: s["tls.key"],
          caCrt: s["ca.crt"],
          hubCa: s["hub-ca.crt"],
          certFile: pemFile(certPem, `${c.component}-${c.partition}.crt`),
          keyFile: pemFile(s["tls.key"], `${c.component}-${c.partition}.key`),
        };
      }),
    });
  }
});

afterAll(() => {
  const components = tenants.reduce((n, t) => n + t.components.length, 0);
  console.log(
    `PKI chains: ${counts.chains} component chains verified (component → tenant CA → root, and tenant CA alone), ` +
      `${counts.tenantCas} tenant CAs under the root, ${counts.crossTenantRefusals} cross-tenant verifications refused ` +
      `(${components} component certificates × ${tenants.length - 1} other tenants, each refused alone and under the root), ` +
      `${counts.chainAnchorAccepts} accepted when ca-chain.crt is the anchor; ` +
      `hub certificate verified under the hub CA for ${counts.hubNames} names and refused under the root, ` +
      `${counts.rogueHubRefusals} verifications of hub certificates minted with a tenant CA key refused by hub-ca.crt ` +
      `(${counts.rogueHubs} tenant CA keys × ${counts.hubCaCopies} copies: leaf Secrets, ${tenants.length} ConfigMaps tenant-ca, Secret nats-hub-ca), ` +
      `${counts.hubImpersonationRefusals} listener certificates refused as the hub`,
  );
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Every file of the revealed render's manifests whose text (or decoded Secret data) contains the key. */
function manifestsHolding(keyPem: string): string[] {
  const body = pemBody(keyPem);
  const holders: string[] = [];
  for (const [file, text] of revealed) {
    if (!file.startsWith("manifests/")) continue;
    const object = manifests.get(file);
    const decoded = object?.kind === "Secret" && object.data ? Object.values<string>(object.data).map((v) => Buffer.from(v, "base64").toString("utf8")).join("") : "";
    if (squash(text).includes(body) || squash(decoded).includes(body)) holders.push(file);
  }
  return holders;
}

// ---------------------------------------------------------------------------------------------

describe("the platform root CA", () => {
  it("is self-signed and verifies against itself", async () => {
    const root = peculiar(rootPem);
    expect(root.subject).toBe(root.issuer);
    expect(await root.isSelfSigned(cryptoImpl)).toBe(true);
    expect(new X509Certificate(rootPem).verify(new X509Certificate(rootPem).publicKey)).toBe(true);
    const v = verify(rootFile, { caFile: rootFile });
    expect(v.out).toMatch(/: OK/);
    expect(v.ok).toBe(true);
  });

  it("is an ECDSA P-384 CA (pathlen:1) that signs certificates and CRLs, valid for 87600 hours from the clock", () => {
    const root = peculiar(rootPem);
    expect(field(root, "CN")).toEqual([ROOT_CN]);
    expect(namedCurve(rootPem)).toBe("secp384r1");
    expect(basicConstraints(root)?.ca).toBe(true);
    expect(basicConstraints(root)?.pathLength).toBe(1);
    const ku = keyUsage(root);
    expect(ku & F.keyCertSign).toBe(F.keyCertSign);
    expect(ku & F.cRLSign).toBe(F.cRLSign);
    expect(ku & F.digitalSignature).toBe(F.digitalSignature);
    expect(ku & F.keyEncipherment).toBe(0);
    expect(root.notBefore.getTime()).toBe(CLOCK.getTime());
    expect(root.notAfter.getTime() - root.notBefore.getTime()).toBe(VALIDITY_HOURS.root * HOUR);
  });

  it("is published as ConfigMap platform-root-ca and as the hub's client anchor (ca.crt of nats-hub-tls), no longer as a Secret, and its key is in no manifest", () => {
    expect(manifests.has(`manifests/${PLATFORM_NS}/secret-platform-root-ca.yaml`)).toBe(false);
    const secretsNamed = [...manifests].filter(([, o]) => o.kind === "Secret" && o.metadata?.name === "platform-root-ca").map(([f]) => f);
    expect(secretsNamed).toEqual([]);
    expect(manifest(HUB_TLS_FILE).stringData["ca.crt"]).toBe(rootPem);
    expect(keyMatches(rootPem, rootKeyPem)).toBe(true);
    expect(manifestsHolding(rootKeyPem)).toEqual([]);
  });
});

describe("the NATS hub CA", () => {
  it("is self-signed and verifies against itself, with a key of its own: neither CA vouches for the other", async () => {
    const hubCa = peculiar(hubCaPem);
    expect(hubCa.subject).toBe(hubCa.issuer);
    expect(await hubCa.isSelfSigned(cryptoImpl)).toBe(true);
    const v = verify(hubCaFile, { caFile: hubCaFile });
    expect(v.out).toMatch(/: OK/);
    expect(v.ok).toBe(true);
    expect(keyMatches(hubCaPem, hubCaKeyPem)).toBe(true);
    expect(spki(hubCaPem)).not.toBe(spki(rootPem));
    expect(keyMatches(hubCaPem, rootKeyPem)).toBe(false);
    expect(verify(hubCaFile, { caFile: rootFile }).ok).toBe(false);
    expect(verify(rootFile, { caFile: hubCaFile }).ok).toBe(false);
  });

  it("is an ECDSA CA on the root's curve (P-384) named serviceradar NATS hub CA / O serviceradar / OU nats-hub, signing certificates and CRLs, valid for the root's 87600 hours", () => {
    const hubCa = peculiar(hubCaPem);
    expect(field(hubCa, "CN")).toEqual([HUB_CA_CN]);
    expect(field(hubCa, "O")).toEqual(["serviceradar"]);
    expect(field(hubCa, "OU")).toEqual(["nats-hub"]);
    expect(namedCurve(hubCaPem)).toBe("secp384r1");
    expect(namedCurve(hubCaPem)).toBe(namedCurve(rootPem));
    expect(basicConstraints(hubCa)?.ca).toBe(true);
    const ku = keyUsage(hubCa);
    expect(ku & F.keyCertSign).toBe(F.keyCertSign);
    expect(ku & F.cRLSign).toBe(F.cRLSign);
    expect(ku & F.digitalSignature).toBe(F.digitalSignature);
    expect(ku & F.keyEncipherment).toBe(0);
    expect(hubCa.notBefore.getTime()).toBe(CLOCK.getTime());
    expect(hubCa.notAfter.getTime() - hubCa.notBefore.getTime()).toBe(VALIDITY_HOURS.root * HOUR);
  });

  it("is published as Secret nats-hub-ca (Opaque, ca.crt only) and as hub-ca.crt of every ConfigMap tenant-ca and leaf Secret; its key is in no manifest", () => {
    const secret = manifest(HUB_CA_FILE);
    expect(secret.type).toBe("Opaque");
    expect(Object.keys(secret.stringData ?? secret.data)).toEqual(["ca.crt"]);
    let published = 0;
    for (const m of material.values()) {
      expect(m.configMap["hub-ca.crt"], m.slug).toBe(hubCaPem);
      published++;
      // Changed by the resource diet: only what dials the hub (the leaf) holds the hub CA.
      for (const c of m.components.filter((x) => x.component === "leaf")) {
        expect(c.hubCa, c.cn).toBe(hubCaPem);
        published++;
      }
    }
    expect(published).toBe(tenants.length + tenants.reduce((n, t) => n + t.components.filter((c) => c.component === "leaf").length, 0));
    expect(manifestsHolding(hubCaKeyPem)).toEqual([]);
  });
});

describe("tenant CAs", () => {
  it("each verifies under the root, is an ECDSA P-256 CA for certSign+cRLSign, names its tenant and lives 43800 hours", () => {
    for (const t of tenants) {
      const m = material.get(t.slug)!;
      const ca = peculiar(m.caCertPem);
      const v = verify(m.caFile, { caFile: rootFile });
      expect(v.ok, `${t.slug}: ${v.out}`).toBe(true);
      expect(field(ca, "CN"), t.slug).toEqual([`${t.slug} tenant CA`]);
      expect(field(ca, "O"), t.slug).toEqual([`${t.slug}.serviceradar`]);
      expect(ca.issuer).toBe(peculiar(rootPem).subject);
      expect(namedCurve(m.caCertPem)).toBe("prime256v1");
      expect(basicConstraints(ca)?.ca, t.slug).toBe(true);
      const ku = keyUsage(ca);
      expect(ku & (F.keyCertSign | F.cRLSign), t.slug).toBe(F.keyCertSign | F.cRLSign);
      expect(ku & F.keyEncipherment).toBe(0);
      expect(ca.notBefore.getTime()).toBe(CLOCK.getTime());
      expect(ca.notAfter.getTime() - ca.notBefore.getTime()).toBe(VALIDITY_HOURS.tenantCa * HOUR);
      counts.tenantCas++;
    }
    expect(counts.tenantCas).toBe(tenants.length);
  });

  it("each CA key matches its certificate and is in no manifest (it signs in state, nothing in the cluster reads it)", () => {
    for (const t of tenants) {
      const m = material.get(t.slug)!;
      expect(keyMatches(m.caCertPem, m.caKeyPem), t.slug).toBe(true);
      expect(m.caSecretRoot).toBe(rootPem);
      expect(manifestsHolding(m.caKeyPem), t.slug).toEqual([]);
    }
  });

  it("each tenant's ConfigMap tenant-ca publishes its CA, CA + root chain, root and hub CA, and no key", () => {
    for (const t of tenants) {
      const m = material.get(t.slug)!;
      expect(Object.keys(m.configMap).sort(), t.slug).toEqual(["ca-chain.crt", "ca.crt", "hub-ca.crt", "root-ca.crt"]);
      expect(m.configMap["ca.crt"], t.slug).toBe(m.caCertPem);
      expect(splitCerts(m.configMap["ca-chain.crt"])).toEqual([m.caCertPem, rootPem]);
      expect(m.configMap["root-ca.crt"]).toBe(rootPem);
      expect(m.configMap["hub-ca.crt"]).toBe(hubCaPem);
      expect(JSON.stringify(m.configMap)).not.toContain("PRIVATE KEY");
    }
    // No ConfigMap anywhere holds a private key.
    for (const [file, object] of manifests) if (object.kind === "ConfigMap") expect(JSON.stringify(object), file).not.toContain("PRIVATE KEY");
  });

  // README says "pathlen 0"; @pulumi/tls (Go's x509 without MaxPathLenZero) cannot encode it, so
  // the tenant CA carries no path length. The limit still holds for anyone anchored at the root,
  // because the root says pathlen:1. Anchored at the tenant CA (ca.crt), a sub-CA is accepted.
  it("a CA minted with a tenant CA key is refused under the root (root pathlen:1), though the tenant CA itself carries no pathlen:0", async () => {
    const m = material.get(tenants[0].slug)!;
    expect(basicConstraints(peculiar(m.caCertPem))?.pathLength).toBeUndefined();
    const tenantCaKey = await importKey(m.caKeyPem);
    const sub = await mint({ subject: "CN=rogue sub-CA", issuer: peculiar(m.caCertPem), signingKey: tenantCaKey, ca: true });
    const leaf = await mint({ subject: "CN=rogue leaf", issuer: sub.cert, signingKey: sub.keys.privateKey, ca: false });
    const subFile = pemFile(sub.cert.toString("pem"), "sub.crt");
    const leafFile = pemFile(leaf.cert.toString("pem"), "rogue-leaf.crt");
    const underRoot = verify(leafFile, { caFile: rootFile, untrusted: [m.caFile, subFile] });
    expect(underRoot.ok).toBe(false);
    expect(underRoot.out).toMatch(/path length constraint exceeded/);
    // Control: the same construction directly under the tenant CA verifies, so the refusal above is the path length.
    const direct = await mint({ subject: "CN=direct leaf", issuer: peculiar(m.caCertPem), signingKey: tenantCaKey, ca: false });
    expect(verify(pemFile(direct.cert.toString("pem")), { caFile: rootFile, untrusted: [m.caFile] }).ok).toBe(true);
    // The gap, pinned so that a fix shows up here: with only ca.crt as anchor the sub-CA's leaf passes.
    expect(verify(leafFile, { caFile: m.caFile, untrusted: [subFile], partialChain: true }).ok).toBe(true);
  });
});

describe("component certificates", () => {
  it("every component of every tenant file (collectors and the leaf node) has exactly one Secret <component>-<partition>-tls, and no other exists", () => {
    const expected = tenants.flatMap((t) => t.components.map((c) => c.secretFile)).sort();
    const rendered = [...manifests]
      .filter(([file, o]) => o.kind === "Secret" && o.type === "kubernetes.io/tls" && /^manifests\/tenant-/.test(file))
      .map(([file]) => file)
      .sort();
    expect(rendered).toEqual(expected);
    expect(expected.length).toBeGreaterThan(tenants.length);
  });

  it("each verifies along component → tenant CA → root, and with only the tenant CA (ca.crt) as anchor", () => {
    for (const m of material.values()) {
      for (const c of m.components) {
        const full = verify(c.certFile, { caFile: rootFile, untrusted: [m.caFile] });
        expect(full.ok, `${c.cn}: ${full.out}`).toBe(true);
        const anchoredAtTenant = verify(c.certFile, { caFile: pemFile(c.caCrt), partialChain: true });
        expect(anchoredAtTenant.ok, `${c.cn}: ${anchoredAtTenant.out}`).toBe(true);
        counts.chains++;
      }
    }
    expect(counts.chains).toBe(tenants.reduce((n, t) => n + t.components.length, 0));
  });

  it("each has CN <component>.<partition>.<slug>.serviceradar, O <slug>.serviceradar, and the CN plus (for listeners) the Service DNS names as SANs", () => {
    for (const m of material.values()) {
      for (const c of m.components) {
        const cert = peculiar(c.certPem);
        expect(field(cert, "CN")).toEqual([c.cn]);
        expect(field(cert, "O")).toEqual([`${c.slug}.serviceradar`]);
        expect(cert.issuer).toBe(peculiar(m.caCertPem).subject);
        expect(dnsSans(cert).sort(), c.cn).toEqual([...c.dnsNames].sort());
        for (const name of c.dnsNames) expect(new X509Certificate(c.certPem).checkHost(name), `${c.cn} for ${name}`).toBe(name);
      }
    }
  });

  it("each is an ECDSA P-256 end-entity certificate: digitalSignature without keyEncipherment, clientAuth, and serverAuth exactly for listeners", () => {
    for (const m of material.values()) {
      for (const c of m.components) {
        const cert = peculiar(c.certPem);
        expect(namedCurve(c.certPem)).toBe("prime256v1");
        expect(basicConstraints(cert)?.ca, c.cn).toBe(false);
        const ku = keyUsage(cert);
        expect(ku & F.digitalSignature, c.cn).toBe(F.digitalSignature);
        expect(ku & F.keyEncipherment, c.cn).toBe(0);
        expect(ku & (F.keyCertSign | F.cRLSign), c.cn).toBe(0);
        expect(extKeyUsages(cert).sort(), c.cn).toEqual((c.listens ? [EKU.clientAuth, EKU.serverAuth] : [EKU.clientAuth]).sort());
        const asClient = verify(c.certFile, { caFile: rootFile, untrusted: [m.caFile], purpose: "sslclient" });
        expect(asClient.ok, `${c.cn}: ${asClient.out}`).toBe(true);
        const asServer = verify(c.certFile, { caFile: rootFile, untrusted: [m.caFile], purpose: "sslserver" });
        expect(asServer.ok, `${c.cn} as a server: ${asServer.out}`).toBe(c.listens);
      }
    }
  });

  it("each is valid from the render clock for 8760 hours (the component default)", () => {
    for (const m of material.values()) {
      for (const c of m.components) {
        const cert = peculiar(c.certPem);
        expect(cert.notBefore.toISOString(), c.cn).toBe(CLOCK.toISOString());
        expect(cert.notAfter.toISOString(), c.cn).toBe(new Date(CLOCK.getTime() + VALIDITY_HOURS.component * HOUR).toISOString());
      }
    }
  });

  it("each Secret holds the certificate then its tenant CA, the matching key (only there), the tenant CA as ca.crt, its creds, and for the leaf the hub CA (not the root) as hub-ca.crt", () => {
    for (const m of material.values()) {
      for (const c of m.components) {
        const leaf = c.component === "leaf";
        expect(manifest(c.secretFile).type).toBe("kubernetes.io/tls");
        // Changed by the resource diet: the component's creds are here too (its one Secret); a
        // collector never dials the hub: no hub CA; the leaf's also holds its streams user's creds.
        expect(Object.keys(manifest(c.secretFile).stringData).sort(), c.cn).toEqual(["ca.crt", ...(leaf ? ["hub-ca.crt"] : []), "nats.creds", ...(leaf ? ["streams.creds"] : []), "tls.crt", "tls.key"]);
        expect(splitCerts(c.tlsCrt), c.cn).toEqual([c.certPem, m.caCertPem]);
        expect(c.caCrt).toBe(m.caCertPem);
        if (leaf) {
          expect(c.hubCa, c.cn).toBe(hubCaPem);
          expect(c.hubCa, c.cn).not.toBe(rootPem);
        } else expect(c.hubCa, c.cn).toBeUndefined();
        expect(keyMatches(c.certPem, c.keyPem), c.cn).toBe(true);
        expect(openssl(["pkey", "-in", c.keyFile, "-pubout"]).out.trim()).toBe(openssl(["x509", "-in", c.certFile, "-noout", "-pubkey"]).out.trim());
        // Besides its Secret, a collector's key is in its own onboarding bundle; the in-cluster
        // leaf's is in no bundle (each site's leaf has a key of its own, in its site's bundles only).
        const edgeDir = path.dirname(c.secretFile);
        const bundles = c.component === "leaf" ? [] : [`${edgeDir}/secret-onboarding-${c.component}-${c.partition}.yaml`];
        expect(manifestsHolding(c.keyPem), c.cn).toEqual([c.secretFile, ...bundles].sort());
      }
    }
  });
});

describe("the NATS hub certificate", () => {
  /** README: the chart's StatefulSet pods under its headless Service, which the routes dial (natsHubServers = 3). */
  const podNames = () => [0, 1, 2].flatMap((i) => serviceDns(`${HUB_SERVICE}-${i}.${HUB_SERVICE}-headless`, PLATFORM_NS));
  const hubNames = () => [HUB_CN, ...serviceDns(HUB_SERVICE, PLATFORM_NS), ...podNames()];

  it("is issued by the hub CA and verifies under it as a TLS server and client, and as a server for each of its DNS names: its CN, Service nats in namespace platform, and each server's pod", () => {
    const cert = peculiar(hubPem);
    expect(cert.issuer).toBe(peculiar(hubCaPem).subject);
    for (const purpose of ["sslserver", "sslclient"]) {
      const v = verify(hubFile, { caFile: hubCaFile, purpose });
      expect(v.ok, `${purpose}: ${v.out}`).toBe(true);
    }
    // No tenancy:natsHubPublicDnsNames in the stack: exactly the CN, the Service names and the pods'.
    expect(dnsSans(cert).sort()).toEqual(hubNames().sort());
    for (const name of hubNames()) {
      const v = verify(hubFile, { caFile: hubCaFile, purpose: "sslserver", hostname: name });
      expect(v.ok, `${name}: ${v.out}`).toBe(true);
      counts.hubNames++;
    }
    // Control: the hostname check is real.
    expect(verify(hubFile, { caFile: hubCaFile, purpose: "sslserver", hostname: `${HUB_SERVICE}.tenant-${tenants[0].slug}.svc` }).ok).toBe(false);
  });

  it("FAILS under the platform root, and under every tenant's ca.crt and ca-chain.crt", () => {
    const underRoot = verify(hubFile, { caFile: rootFile, purpose: "sslserver", hostname: HUB_DIALED });
    expect(underRoot.ok).toBe(false);
    expect(underRoot.out).toMatch(/unable to get local issuer certificate/);
    expect(verify(hubFile, { caFile: rootFile, partialChain: true }).ok).toBe(false);
    for (const m of material.values()) {
      expect(verify(hubFile, { caFile: m.chainFile }).ok, `${m.slug} ca-chain.crt`).toBe(false);
      expect(verify(hubFile, { caFile: m.caFile, partialChain: true }).ok, `${m.slug} ca.crt`).toBe(false);
    }
  });

  it("has CN nats.platform.serviceradar (O serviceradar, OU nats-hub), is an ECDSA end-entity certificate for serverAuth and clientAuth without keyEncipherment, valid for the component class's 8760 hours", () => {
    const cert = peculiar(hubPem);
    expect(field(cert, "CN")).toEqual([HUB_CN]);
    expect(field(cert, "O")).toEqual(["serviceradar"]);
    expect(field(cert, "OU")).toEqual(["nats-hub"]);
    expect(new X509Certificate(hubPem).publicKey.asymmetricKeyType).toBe("ec");
    expect(basicConstraints(cert)?.ca).toBe(false);
    expect(extKeyUsages(cert).sort()).toEqual([EKU.clientAuth, EKU.serverAuth].sort());
    const ku = keyUsage(cert);
    expect(ku & F.digitalSignature).toBe(F.digitalSignature);
    expect(ku & F.keyEncipherment).toBe(0);
    expect(ku & (F.keyCertSign | F.cRLSign)).toBe(0);
    expect(cert.notBefore.toISOString()).toBe(CLOCK.toISOString());
    expect(cert.notAfter.getTime() - cert.notBefore.getTime()).toBe(VALIDITY_HOURS.component * HOUR);
  });

  it("Secret nats-hub-tls holds the hub certificate alone as tls.crt, its key (only there), the platform root as ca.crt (what the hub trusts for client certificates) and the hub CA as hub-ca.crt (what its servers verify each other's routes with)", () => {
    const secret = manifest(HUB_TLS_FILE);
    const s = secret.stringData;
    expect(secret.type).toBe("kubernetes.io/tls");
    expect(Object.keys(s).sort()).toEqual(["ca.crt", "hub-ca.crt", "tls.crt", "tls.key"]);
    expect(s["hub-ca.crt"]).toBe(hubCaPem);
    expect(splitCerts(s["tls.crt"])).toEqual([hubPem]);
    expect(s["ca.crt"]).toBe(rootPem);
    expect(keyMatches(hubPem, s["tls.key"])).toBe(true);
    expect(manifestsHolding(s["tls.key"])).toEqual([HUB_TLS_FILE]);
  });
});

// The property the hub CA exists for. A tenant CA key chains to the root; had the hub been signed
// by the root (and hub-ca.crt been the root), the holder of any one tenant CA key could present a
// hub certificate that every tenant's components, leaf nodes and NACK accept.
describe("a hub certificate minted with a tenant CA key", () => {
  it("is REFUSED by hub-ca.crt (every component Secret, every ConfigMap tenant-ca, Secret nats-hub-ca), for every tenant's CA key, though it chains to the root", async () => {
    const names = [HUB_CN, ...serviceDns(HUB_SERVICE, PLATFORM_NS)];
    const anchors = [
      ...[...material.values()].flatMap((m) => m.components.flatMap((c) => (c.hubCa !== undefined ? [{ where: c.secretFile, pem: c.hubCa }] : []))),
      ...[...material.values()].map((m) => ({ where: `manifests/tenant-${m.slug}/configmap-tenant-ca.yaml`, pem: m.configMap["hub-ca.crt"] })),
      { where: HUB_CA_FILE, pem: hubCaPem },
    ].map((a) => ({ ...a, file: pemFile(a.pem, "hub-ca.crt") }));
    expect(anchors.length).toBeGreaterThan(tenants.length + 1);
    // Control: the same check with the same anchors accepts the real hub.
    for (const a of anchors) {
      const v = verify(hubFile, { caFile: a.file, purpose: "sslserver", hostname: HUB_DIALED });
      expect(v.ok, `real hub under ${a.where}: ${v.out}`).toBe(true);
    }
    let refused = 0;
    for (const m of material.values()) {
      const rogue = await mint({
        subject: `CN=${HUB_CN}, O=serviceradar, OU=nats-hub`,
        issuer: peculiar(m.caCertPem),
        signingKey: await importKey(m.caKeyPem),
        ca: false,
        dnsNames: names,
        serverAuth: true,
      });
      const roguePem = rogue.cert.toString("pem");
      const rogueFile = pemFile(roguePem, `rogue-hub-${m.slug}.crt`);
      // It is a working forgery: signed by the tenant CA key, the hub's names, and accepted by a
      // peer anchored at the root (what hub-ca.crt was before) when presented with its tenant CA.
      expect(await rogue.cert.verify({ publicKey: peculiar(m.caCertPem).publicKey, signatureOnly: true }, cryptoImpl)).toBe(true);
      const underRoot = verify(rogueFile, { caFile: rootFile, untrusted: [m.caFile], purpose: "sslserver", hostname: HUB_DIALED });
      expect(underRoot.ok, `${m.slug}: ${underRoot.out}`).toBe(true);
      for (const a of anchors) {
        // The rogue hub presents its whole chain: the certificate and the tenant CA.
        const v = verify(rogueFile, { caFile: a.file, untrusted: [m.caFile], purpose: "sslserver", hostname: HUB_DIALED });
        expect(v.ok, `hub minted with ${m.slug}'s CA key accepted under ${a.where}`).toBe(false);
        expect(v.out, `${m.slug} vs ${a.where}`).toMatch(/unable to get local issuer certificate/);
        const partial = verify(rogueFile, { caFile: a.file, untrusted: [m.caFile], partialChain: true, purpose: "sslserver", hostname: HUB_DIALED });
        expect(partial.ok, `hub minted with ${m.slug}'s CA key accepted under ${a.where} (partial chain)`).toBe(false);
        refused++;
      }
    }
    expect(refused).toBe(tenants.length * anchors.length);
    counts.rogueHubRefusals = refused;
    counts.rogueHubs = material.size;
    counts.hubCaCopies = anchors.length;
  });

  it("nor can a tenant's listener certificate (serverAuth, chained to the root) pass for the hub under another tenant's hub-ca.crt", () => {
    let refused = 0;
    for (const a of material.values()) {
      for (const b of material.values()) {
        if (a.slug === b.slug || b.components.length === 0) continue;
        const anchor = pemFile(b.components.find((c) => c.component === "leaf")!.hubCa!, `${b.slug}-hub-ca.crt`);
        for (const c of a.components.filter((x) => x.listens)) {
          // It is a valid server certificate under the root (the old hub-ca.crt) …
          expect(verify(c.certFile, { caFile: rootFile, untrusted: [a.caFile], purpose: "sslserver" }).ok, c.cn).toBe(true);
          // … and refused under the hub CA.
          const v = verify(c.certFile, { caFile: anchor, untrusted: [a.caFile], purpose: "sslserver" });
          expect(v.ok, `${c.cn} accepted as a server by ${b.slug}'s hub-ca.crt`).toBe(false);
          expect(v.out).toMatch(/unable to get local issuer certificate/);
          refused++;
        }
      }
    }
    const listeners = tenants.reduce((n, t) => n + t.components.filter((c) => c.listens).length, 0);
    expect(refused).toBe(listeners * (tenants.length - 1));
    counts.hubImpersonationRefusals = refused;
  });
});

describe("isolation between tenants' chains", () => {
  it("every component certificate of tenant A is refused by tenant B's CA, alone and under the root, for every A ≠ B", () => {
    let refused = 0;
    for (const a of material.values()) {
      for (const b of material.values()) {
        if (a.slug === b.slug) continue;
        for (const c of a.components) {
          const alone = verify(c.certFile, { caFile: b.caFile, partialChain: true });
          expect(alone.ok, `${c.cn} accepted by ${b.slug}'s CA`).toBe(false);
          expect(alone.out, `${c.cn} vs ${b.slug}`).toMatch(/unable to get local issuer certificate/);
          const underRoot = verify(c.certFile, { caFile: rootFile, untrusted: [b.caFile] });
          expect(underRoot.ok, `${c.cn} accepted under the root via ${b.slug}'s CA`).toBe(false);
          expect(underRoot.out, `${c.cn} vs ${b.slug}`).toMatch(/unable to get local issuer certificate/);
          refused++;
        }
      }
    }
    const expected = tenants.reduce((n, t) => n + t.components.length * (tenants.length - 1), 0);
    expect(refused).toBe(expected);
    counts.crossTenantRefusals = refused;
  });

  // Only ca.crt isolates: ca-chain.crt (and root-ca.crt) contain the shared root, and a peer
  // presenting its whole tls.crt (certificate + its tenant CA) chains to that root.
  it("anchoring on ca-chain.crt instead of ca.crt does not isolate: another tenant's presented chain is accepted", () => {
    let accepted = 0;
    for (const a of material.values()) {
      for (const b of material.values()) {
        if (a.slug === b.slug) continue;
        for (const c of a.components) {
          const v = verify(c.certFile, { caFile: b.chainFile, untrusted: [a.caFile] });
          expect(v.ok, `${c.cn} under ${b.slug}'s ca-chain.crt: ${v.out}`).toBe(true);
          accepted++;
        }
      }
    }
    counts.chainAnchorAccepts = accepted;
    expect(accepted).toBe(tenants.reduce((n, t) => n + t.components.length * (tenants.length - 1), 0));
  });
});

describe("a component certificate cannot sign", () => {
  it("a certificate signed with a component's key is refused, under the root and even with the component certificate as the only anchor", async () => {
    const m = material.get(tenants[0].slug)!;
    const c = m.components[0];
    const forged = await mint({ subject: "CN=forged by a component", issuer: peculiar(c.certPem), signingKey: await importKey(c.keyPem), ca: false });
    const forgedFile = pemFile(forged.cert.toString("pem"), "forged.crt");
    // Signed by the component key indeed (the refusals below are not a broken signature).
    expect(await forged.cert.verify({ publicKey: peculiar(c.certPem).publicKey, signatureOnly: true }, cryptoImpl)).toBe(true);
    // Under the root: the chain is complete, and the component is refused as an issuer (CA:FALSE, no keyCertSign).
    const underRoot = verify(forgedFile, { caFile: rootFile, untrusted: [m.caFile, c.certFile] });
    expect(underRoot.ok).toBe(false);
    expect(underRoot.out).toMatch(/invalid CA certificate/);
    // Even a peer that (wrongly) trusted the component certificate itself refuses what it signs.
    const anchored = verify(forgedFile, { caFile: c.certFile, partialChain: true });
    expect(anchored.ok).toBe(false);
    expect(anchored.out).toMatch(/invalid CA certificate|key usage does not include certificate signing/);
    // Control: the same construction signed by the tenant CA key verifies.
    const legit = await mint({ subject: "CN=issued by the tenant CA", issuer: peculiar(m.caCertPem), signingKey: await importKey(m.caKeyPem), ca: false });
    expect(verify(pemFile(legit.cert.toString("pem")), { caFile: rootFile, untrusted: [m.caFile] }).ok).toBe(true);
  });
});

describe("a default render (secrets not revealed)", () => {
  it("writes the same files (but the onboarding bundles, revealed renders only), none holding 'PRIVATE KEY' or any private key body of the revealed render", () => {
    const bundles = [...revealed.keys()].filter((f) => f.startsWith("bundles/"));
    expect(bundles.length).toBeGreaterThan(0);
    expect([...hidden.keys()].some((f) => f.startsWith("bundles/"))).toBe(false);
    expect([...hidden.keys()].sort()).toEqual([...revealed.keys()].filter((f) => !f.startsWith("bundles/")).sort());
    for (const f of ["resources.yaml", "outputs.yaml", "summary.json", "summary.txt"]) expect(hidden.has(f), f).toBe(true);
    // Every private key the revealed render contains, wherever it appears.
    const keys = new Set<string>();
    for (const text of revealed.values()) for (const k of text.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/g) ?? []) keys.add(pemBody(k));
    // root, hub CA, hub, tenant CAs, components, and one leaf key per site (in its bundles only).
    const sites = tenants.reduce((n, t) => n + new Set(t.components.filter((c) => c.component !== "leaf").map((c) => c.partition)).size, 0);
    const expectedKeys = 1 + 1 + 1 + tenants.length + tenants.reduce((n, t) => n + t.components.length, 0) + sites;
    expect(keys.size).toBe(expectedKeys);
    const leaks: string[] = [];
    for (const [file, text] of hidden) {
      // Secret `data` is base64: look inside it too.
      const object = file.startsWith("manifests/") ? (parseYaml(text) as Record<string, any>) : undefined;
      const decoded = object?.kind === "Secret" && object.data ? Object.values<string>(object.data).map((v) => Buffer.from(v, "base64").toString("utf8")).join("\n") : "";
      const haystack = `${text}\n${decoded}`;
      if (haystack.includes("PRIVATE KEY")) leaks.push(`${file}: PRIVATE KEY`);
      const flat = squash(haystack);
      for (const body of keys) if (flat.includes(body) || flat.includes(body.slice(16, 64))) leaks.push(`${file}: key ${body.slice(16, 32)}…`);
    }
    expect(leaks).toEqual([]);
  });

  it("outputs.yaml holds no key material, except in the secret onboardingBundles output", () => {
    const { onboardingBundles, ...plain } = parseYaml(revealed.get("outputs.yaml")!) as Record<string, unknown>;
    expect(JSON.stringify(onboardingBundles)).toMatch(/PRIVATE KEY/);
    for (const out of [hidden.get("outputs.yaml")!, JSON.stringify(plain)]) {
      expect(out).not.toMatch(/PRIVATE KEY|-----BEGIN|NKEY SEED|\bSU[A-Z2-7]{50,}/);
    }
    const flat = squash(hidden.get("outputs.yaml")!);
    for (const k of [rootKeyPem, hubCaKeyPem, manifest(HUB_TLS_FILE).stringData["tls.key"]]) expect(flat).not.toContain(pemBody(k).slice(0, 48));
    for (const m of material.values()) {
      expect(flat).not.toContain(pemBody(m.caKeyPem).slice(0, 48));
      for (const c of m.components) expect(flat).not.toContain(pemBody(c.keyPem).slice(0, 48));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Minting test certificates (with explicit dates inside the rendered certificates' validity)

async function importKey(keyPem: string): Promise<X509Key> {
  const key = createPrivateKey(keyPem);
  const curve = key.asymmetricKeyDetails?.namedCurve === "secp384r1" ? "P-384" : "P-256";
  const pkcs8 = key.export({ type: "pkcs8", format: "der" });
  return (await webcrypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: curve }, false, ["sign"])) as unknown as X509Key;
}

let serial = 1;
async function mint(o: { subject: string; issuer: x509.X509Certificate; signingKey: X509Key; ca: boolean; dnsNames?: string[]; serverAuth?: boolean }) {
  const keys = (await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as unknown as { privateKey: X509Key; publicKey: X509Key };
  const issuerCurve = (o.issuer.publicKey.algorithm as { namedCurve?: string }).namedCurve;
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: (serial++).toString(16).padStart(2, "0"),
      subject: o.subject,
      issuer: o.issuer.subject,
      notBefore: CLOCK,
      notAfter: new Date(CLOCK.getTime() + 30 * 24 * HOUR),
      publicKey: keys.publicKey,
      signingKey: o.signingKey,
      signingAlgorithm: { name: "ECDSA", hash: issuerCurve === "P-384" ? "SHA-384" : "SHA-256" },
      extensions: o.ca
        ? [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(F.keyCertSign | F.cRLSign | F.digitalSignature, true)]
        : [
            new x509.BasicConstraintsExtension(false, undefined, true),
            new x509.KeyUsagesExtension(F.digitalSignature, true),
            new x509.ExtendedKeyUsageExtension(o.serverAuth ? [EKU.serverAuth, EKU.clientAuth] : [EKU.clientAuth]),
            ...(o.dnsNames ? [new x509.SubjectAlternativeNameExtension(o.dnsNames.map((value) => ({ type: "dns" as const, value })))] : []),
          ],
    },
    cryptoImpl,
  );
  return { cert, keys };
}
