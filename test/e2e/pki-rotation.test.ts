/**
 * Certificate rotation (README "Rotation"): bumping a tenant's counter re-issues that tenant's
 * certificates and nothing else. Six revealed renders of copies of the example tenants: as they
 * are, with `certificates.rotation: 1` in acme-corp's file, with `certificates.caRotation: 1`, and
 * (unchanged files) with the stack-wide counters `tenancy:pkiComponentRotation=1`,
 * `tenancy:pkiRootRotation=1` and `tenancy:pkiHubRotation=1` passed as `render --config`.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify } from "yaml";

import { REPO, readTree } from "../support/fixtures";
import { render as renderCli } from "../support/render";
import { caKeyOf, certificatesFor } from "../support/issued";
import { opensslVerify, splitCerts, spki } from "../support/openssl";
const TENANTS = path.join(REPO, "tenants");
const SLUG = "acme-corp";
const CLOCK = "2026-01-01T00:00:00Z";
/** Half a day after CLOCK: certificates issued then are valid at AT too. */
const REISSUE_CLOCK = "2026-01-01T12:00:00Z";
/** One day after the clock: inside every certificate's validity. */
const AT = String(Math.floor(new Date(CLOCK).getTime() / 1000) + 86_400);
const PLATFORM_NS = "platform";

// ---------------------------------------------------------------------------------------------
// Rendering

interface Declared {
  urn: string;
  parent?: string;
  options: Record<string, any>;
  inputs: Record<string, any>;
}

interface Render {
  files: Map<string, string>;
  /** resources.yaml, one block of text per declared resource, by URN. */
  blocks: Map<string, string>;
  resources: Map<string, Declared>;
}

async function render(tenantsDir: string, out: string, config: Record<string, string> = {}, clock = CLOCK): Promise<Render> {
  await renderCli({ out, revealSecrets: true, clock, tenants: tenantsDir, config });
  const files = readTree(out, "utf8");
  const text = files.get("resources.yaml")!;
  const blocks = new Map(text.split(/^(?=- urn: )/m).filter((b) => b.startsWith("- urn: ")).map((b) => [b.slice(7, b.indexOf("\n")), b]));
  const list = parseYaml(text) as Declared[];
  return { files, blocks, resources: new Map(list.map((r) => [r.urn, r])) };
}

/** A copy of the example tenant files, with `certificates` set in acme-corp's. */
function tenantsCopy(name: string, certificates?: Record<string, number>): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  for (const f of fs.readdirSync(TENANTS).filter((f) => f.endsWith(".yaml"))) fs.copyFileSync(path.join(TENANTS, f), path.join(dir, f));
  if (certificates) {
    const file = path.join(dir, `${SLUG}.yaml`);
    const doc = parseYaml(fs.readFileSync(file, "utf8"));
    expect(doc.certificates).toBeUndefined(); // the example starts at generation 0
    fs.writeFileSync(file, stringify({ ...doc, certificates }));
  }
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Reading a render

const urnType = (urn: string) => urn.split("::")[2].split("$").pop()!;
const urnName = (urn: string) => urn.split("::").slice(3).join("::");

/** The tenant (Tenant component name) a declared resource belongs to, following parents. */
function ownerOf(r: Render, urn: string): string | undefined {
  for (let cur = r.resources.get(urn); cur; cur = cur.parent ? r.resources.get(cur.parent) : undefined) {
    if (urnType(cur.urn) === "tenancy:index:Tenant") return urnName(cur.urn);
  }
  return undefined;
}

const secretData = (r: Render, file: string): Record<string, string> => {
  const text = r.files.get(file);
  if (!text) throw new Error(`not rendered: ${file}`);
  return parseYaml(text).stringData;
};
const configMapData = (r: Render, file: string): Record<string, string> => parseYaml(r.files.get(file)!).data;

/**
 * A tenant CA as a kubernetes.io/tls Secret would hold it: its certificate and the root (published
 * in ConfigMap tenant-ca), and its key, which is in no manifest (it signs in state): the
 * certificates it signed name it.
 */
function tenantCa(r: Render, slug: string): Record<string, string> {
  const published = configMapData(r, caConfigMap(slug));
  return { "tls.crt": published["ca.crt"], "ca.crt": published["root-ca.crt"], "tls.key": caKeyOf(r.resources.values(), published["ca.crt"]) };
}

/** URNs of the certificate (by its request's common name) and of the key declared with it, in one render. */
function issuance(r: Render, commonName: string): { key: string; cert: string } {
  const certs = certificatesFor(r.resources.values(), commonName);
  expect(certs, commonName).toHaveLength(1);
  const cert = certs[0];
  // Its own key, named after the same stem (the issuer's key is among its dependencies too).
  const key = cert.urn.replace("tls:index/locallySignedCert:LocallySignedCert::", "tls:index/privateKey:PrivateKey::").replace(/\/cert$/, "/key");
  expect(cert.options.dependsOn ?? [], `key of ${commonName}`).toContain(key);
  expect(r.resources.has(key), `key of ${commonName}`).toBe(true);
  return { key, cert: cert.urn };
}

/** Manifest files whose bytes differ between two renders (or exist in one only). */
function changedManifests(a: Render, b: Render): string[] {
  const names = new Set([...a.files.keys(), ...b.files.keys()].filter((f) => f.startsWith("manifests/")));
  return [...names].filter((f) => a.files.get(f) !== b.files.get(f)).sort();
}

/** Declared resources (resources.yaml blocks) of everything but `slug`: identical bytes, same set. */
function expectOthersIdentical(a: Render, b: Render, slug: string) {
  const others = (r: Render) => [...r.blocks.keys()].filter((u) => ownerOf(r, u) !== slug).sort();
  expect(others(b)).toEqual(others(a));
  const differing = others(a).filter((u) => a.blocks.get(u) !== b.blocks.get(u));
  expect(differing).toEqual([]);
  // Every other tenant has resources of its own, and they are among those compared.
  for (const t of expectedOtherSlugs) expect(others(a).filter((u) => ownerOf(a, u) === t).length, t).toBeGreaterThan(10);
}

// ---------------------------------------------------------------------------------------------
// openssl

let tmp = "";
let n = 0;
const pemFile = (text: string) => {
  const file = path.join(tmp, `${n++}.pem`);
  fs.writeFileSync(file, text);
  return file;
};
/** `openssl verify` of PEM texts (written to files first). */
function verify(certPem: string, o: { caPem: string; untrusted?: string[]; partialChain?: boolean; purpose?: string; hostname?: string }): { ok: boolean; out: string } {
  const { caPem, untrusted, ...rest } = o;
  return opensslVerify(pemFile(certPem), { ...rest, at: AT, caFile: pemFile(caPem), untrusted: untrusted?.map(pemFile) });
}

// ---------------------------------------------------------------------------------------------
// Expectations from the tenant files: every tenant's components (collectors and the leaf node) and their Secrets

interface Component {
  slug: string;
  component: string;
  partition: string;
  cn: string;
  secretFile: string;
}

const tenantFiles = fs
  .readdirSync(TENANTS)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => parseYaml(fs.readFileSync(path.join(TENANTS, f), "utf8")) as { slug: string; status?: string; collectors?: { type: string; partition: string }[] });
const componentsOf = (slug: string): Component[] => {
  const t = tenantFiles.find((x) => x.slug === slug)!;
  if (t.status === "decommissioned" || (t.collectors ?? []).length === 0) return [];
  return [...(t.collectors ?? []).map((c) => ({ component: c.type, partition: c.partition })), { component: "leaf", partition: "edge" }].map((c) => ({
    slug,
    ...c,
    cn: `${c.component}.${c.partition}.${slug}.serviceradar`,
    secretFile: `manifests/tenant-${slug}-edge/secret-${c.component}-${c.partition}-tls.yaml`,
  }));
};
/**
 * What re-issuing a tenant's component certificates also changes in its edge: every Deployment
 * (its restart annotation: processes read certificates at start) and every onboarding bundle
 * (it carries the certificates).
 */
const isEdgeDependent = (urn: string) => /\/edge\/[^/]+\/(deployment|onboarding)$/.test(urnName(urn));
const edgeDependents = (slug: string): string[] => {
  const t = tenantFiles.find((x) => x.slug === slug)!;
  if (t.status === "decommissioned" || (t.collectors ?? []).length === 0) return [];
  const dir = `manifests/tenant-${slug}-edge`;
  return [
    ...(t.collectors ?? []).flatMap((c) => [`${dir}/deployment-${c.type}-${c.partition}.yaml`, `${dir}/secret-onboarding-${c.type}-${c.partition}.yaml`]),
    `${dir}/deployment-nats-leaf.yaml`,
  ];
};
const slugs = tenantFiles.map((t) => t.slug);
const allComponents = slugs.flatMap(componentsOf);
const components = componentsOf(SLUG);
const caCn = (slug: string) => `${slug} tenant CA`;
const caConfigMap = (slug: string) => `manifests/tenant-${slug}/configmap-tenant-ca.yaml`;
const CA_CN = caCn(SLUG);
const CA_CONFIGMAP = caConfigMap(SLUG);
const ROOT_CONFIGMAP = `manifests/${PLATFORM_NS}/configmap-platform-root-ca.yaml`;
const HUB_SECRET = `manifests/${PLATFORM_NS}/secret-nats-hub-tls.yaml`;
const HUB_CA_SECRET = `manifests/${PLATFORM_NS}/secret-nats-hub-ca.yaml`;
/** README: the hub certificate's CN; Service nats in the platform namespace is what NACK and leaf nodes dial. */
const HUB_CN = `nats.${PLATFORM_NS}.serviceradar`;
const HUB_DIALED = `nats.${PLATFORM_NS}.svc`;
const expectedOtherSlugs = slugs.filter((s) => s !== SLUG);

let base: Render;
let rotated: Render;
let caRotated: Render;
let stackComponents: Render;
let stackRoot: Render;
let stackHub: Render;
/** The same files rendered half a day later: every certificate re-issued (new validity), no key changed. */
let reissued: Render;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-pki-rotation-"));
  const dirs = [tenantsCopy("base"), tenantsCopy("rotation", { rotation: 1 }), tenantsCopy("ca-rotation", { caRotation: 1 })];
  [base, rotated, caRotated, stackComponents, stackRoot, stackHub, reissued] = await Promise.all([
    ...dirs.map((d) => render(d, `${d}-out`)),
    render(dirs[0], path.join(tmp, "stack-component-out"), { "tenancy:pkiComponentRotation": "1" }),
    render(dirs[0], path.join(tmp, "stack-root-out"), { "tenancy:pkiRootRotation": "1" }),
    render(dirs[0], path.join(tmp, "stack-hub-out"), { "tenancy:pkiHubRotation": "1" }),
    render(dirs[0], path.join(tmp, "reissued-out"), {}, REISSUE_CLOCK),
  ]);
  expect(expectedOtherSlugs.length).toBeGreaterThan(0);
  expect(components.length).toBeGreaterThan(1);
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("certificates.rotation: 1 in one tenant's file", () => {
  it("gives each of the tenant's components a new key and certificate in the same Secret, issued by the unchanged tenant CA", () => {
    const ca = tenantCa(base, SLUG);
    for (const c of components) {
      const before = secretData(base, c.secretFile);
      const after = secretData(rotated, c.secretFile);
      const [oldCert, oldChainCa] = splitCerts(before["tls.crt"]);
      const [newCert, newChainCa] = splitCerts(after["tls.crt"]);
      expect(after["tls.key"], c.cn).not.toBe(before["tls.key"]);
      expect(newCert, c.cn).not.toBe(oldCert);
      expect(spki(newCert), c.cn).not.toBe(spki(oldCert));
      expect(new X509Certificate(newCert).checkPrivateKey(createPrivateKey(after["tls.key"])), c.cn).toBe(true);
      expect(new X509Certificate(newCert).subject).toBe(new X509Certificate(oldCert).subject);
      expect(new X509Certificate(newCert).subjectAltName).toBe(new X509Certificate(oldCert).subjectAltName);
      // Same issuer, same trust material
      expect(newChainCa).toBe(oldChainCa);
      expect(after["ca.crt"]).toBe(before["ca.crt"]);
      expect(after["ca.crt"]).toBe(ca["tls.crt"]);
      expect(after["hub-ca.crt"]).toBe(before["hub-ca.crt"]);
      const v = verify(newCert, { caPem: ca["ca.crt"], untrusted: [ca["tls.crt"]] });
      expect(v.ok, `${c.cn}: ${v.out}`).toBe(true);
    }
  });

  it("leaves the tenant CA alone: its key and certificate (in state) are the same and ConfigMap tenant-ca is byte-identical", () => {
    expect(tenantCa(rotated, SLUG)).toEqual(tenantCa(base, SLUG));
    expect(rotated.files.get(CA_CONFIGMAP)).toBe(base.files.get(CA_CONFIGMAP));
    const ca = issuance(base, CA_CN);
    expect(issuance(rotated, CA_CN)).toEqual(ca);
    expect(rotated.blocks.get(ca.key)).toBe(base.blocks.get(ca.key));
  });

  it("renames the components' key and certificate resources (the counter is in the name) and keeps the Secret resources and names", () => {
    for (const c of components) {
      const before = issuance(base, c.cn);
      const after = issuance(rotated, c.cn);
      for (const kind of ["key", "cert"] as const) {
        expect(after[kind], `${c.cn} ${kind}`).not.toBe(before[kind]);
        expect(rotated.resources.has(before[kind]), `old ${kind} of ${c.cn} is gone`).toBe(false);
        expect(base.resources.has(after[kind]), `new ${kind} of ${c.cn} is new`).toBe(false);
      }
      expect(urnName(after.key)).toMatch(/1/);
    }
    const secrets = (r: Render) => [...r.resources.keys()].filter((u) => ownerOf(r, u) === SLUG && urnType(u) === "kubernetes:core/v1:Secret").sort();
    expect(secrets(rotated)).toEqual(secrets(base));
    for (const c of components) expect(rotated.files.has(c.secretFile), c.secretFile).toBe(true);
  });

  it("changes nothing else: only the components' Secrets differ, and other tenants' and the platform's declared resources are byte-identical", () => {
    expect(changedManifests(base, rotated)).toEqual([...components.map((c) => c.secretFile), ...edgeDependents(SLUG)].sort());
    expectOthersIdentical(base, rotated, SLUG);
    // Within the tenant, only TLS resources and the component Secrets changed.
    const changed = [...new Set([...base.blocks.keys(), ...rotated.blocks.keys()])].filter((u) => base.blocks.get(u) !== rotated.blocks.get(u));
    const unexpected = changed.filter((u) => !urnType(u).startsWith("tls:index/") && !(urnType(u) === "kubernetes:core/v1:Secret" && /\/tls-secret$/.test(urnName(u))) && !isEdgeDependent(u));
    expect(unexpected).toEqual([]);
    // The component Secrets and one onboarding bundle per collector.
    expect(changed.filter((u) => urnType(u) === "kubernetes:core/v1:Secret")).toHaveLength(components.length + components.filter((c) => c.component !== "leaf").length);
  });
});

describe("certificates.caRotation: 1 in one tenant's file", () => {
  it("gives the tenant a new CA key and certificate, same subject, still signed by the root, and publishes it", () => {
    const before = tenantCa(base, SLUG);
    const after = tenantCa(caRotated, SLUG);
    expect(after["tls.key"]).not.toBe(before["tls.key"]);
    expect(after["tls.crt"]).not.toBe(before["tls.crt"]);
    expect(spki(after["tls.crt"])).not.toBe(spki(before["tls.crt"]));
    expect(new X509Certificate(after["tls.crt"]).subject).toBe(new X509Certificate(before["tls.crt"]).subject);
    expect(new X509Certificate(after["tls.crt"]).checkPrivateKey(createPrivateKey(after["tls.key"]))).toBe(true);
    expect(after["ca.crt"]).toBe(before["ca.crt"]);
    const v = verify(after["tls.crt"], { caPem: after["ca.crt"] });
    expect(v.ok, v.out).toBe(true);
    const published = configMapData(caRotated, CA_CONFIGMAP);
    expect(published["ca.crt"]).toBe(after["tls.crt"]);
    expect(published["ca-chain.crt"]).toBe(`${after["tls.crt"]}${after["ca.crt"]}`);
  });

  it("re-signs every component certificate with the new CA: it verifies under the new CA, and the old CA no longer verifies it", () => {
    const oldCa = tenantCa(base, SLUG);
    const newCa = tenantCa(caRotated, SLUG);
    for (const c of components) {
      const before = secretData(base, c.secretFile);
      const after = secretData(caRotated, c.secretFile);
      const [oldCert] = splitCerts(before["tls.crt"]);
      const [newCert, chainCa] = splitCerts(after["tls.crt"]);
      expect(newCert, c.cn).not.toBe(oldCert);
      expect(chainCa).toBe(newCa["tls.crt"]);
      expect(after["ca.crt"]).toBe(newCa["tls.crt"]);
      const full = verify(newCert, { caPem: newCa["ca.crt"], untrusted: [newCa["tls.crt"]] });
      expect(full.ok, `${c.cn}: ${full.out}`).toBe(true);
      expect(verify(newCert, { caPem: newCa["tls.crt"], partialChain: true }).ok, c.cn).toBe(true);
      expect(verify(newCert, { caPem: oldCa["tls.crt"], partialChain: true }).ok, `${c.cn} under the old CA`).toBe(false);
      // Peers that trust the new ca.crt refuse what the old CA key signed.
      const stale = verify(oldCert, { caPem: after["ca.crt"], partialChain: true });
      expect(stale.ok, `${c.cn} (old) under the new ca.crt`).toBe(false);
      expect(verify(oldCert, { caPem: oldCa["tls.crt"], partialChain: true }).ok, `${c.cn} (old) under the old CA`).toBe(true);
      // Re-signed, not re-keyed: new keys come from certificates.rotation.
      expect(after["tls.key"], c.cn).toBe(before["tls.key"]);
      expect(spki(newCert)).toBe(spki(oldCert));
    }
  });

  it("renames the CA's key and certificate resources only; component keys and Secrets keep their resource names", () => {
    const before = issuance(base, CA_CN);
    const after = issuance(caRotated, CA_CN);
    for (const kind of ["key", "cert"] as const) {
      expect(after[kind], kind).not.toBe(before[kind]);
      expect(caRotated.resources.has(before[kind]), `old CA ${kind} is gone`).toBe(false);
    }
    for (const c of components) expect(issuance(caRotated, c.cn), c.cn).toEqual(issuance(base, c.cn));
    const secrets = (r: Render) => [...r.resources.keys()].filter((u) => ownerOf(r, u) === SLUG && urnType(u) === "kubernetes:core/v1:Secret").sort();
    expect(secrets(caRotated)).toEqual(secrets(base));
  });

  it("changes nothing outside the tenant's PKI: other tenants' and the platform's resources and manifests are byte-identical", () => {
    expect(changedManifests(base, caRotated)).toEqual([...components.map((c) => c.secretFile), ...edgeDependents(SLUG), CA_CONFIGMAP].sort());
    expectOthersIdentical(base, caRotated, SLUG);
  });
});

describe("stack-wide rotation counters (render --config)", () => {
  it("tenancy:pkiComponentRotation=1 re-keys every tenant's components under their unchanged CAs, and nothing else changes", () => {
    expect(changedManifests(base, stackComponents)).toEqual([...allComponents.map((c) => c.secretFile), ...slugs.flatMap(edgeDependents)].sort());
    for (const c of allComponents) {
      const before = secretData(base, c.secretFile);
      const after = secretData(stackComponents, c.secretFile);
      expect(after["tls.key"], c.cn).not.toBe(before["tls.key"]);
      const [newCert, chainCa] = splitCerts(after["tls.crt"]);
      expect(spki(newCert), c.cn).not.toBe(spki(splitCerts(before["tls.crt"])[0]));
      expect(new X509Certificate(newCert).checkPrivateKey(createPrivateKey(after["tls.key"])), c.cn).toBe(true);
      const ca = tenantCa(stackComponents, c.slug);
      expect(chainCa).toBe(ca["tls.crt"]);
      const v = verify(newCert, { caPem: ca["ca.crt"], untrusted: [ca["tls.crt"]] });
      expect(v.ok, `${c.cn}: ${v.out}`).toBe(true);
      const [was, is] = [issuance(base, c.cn), issuance(stackComponents, c.cn)];
      expect(is.key, c.cn).not.toBe(was.key);
      expect(stackComponents.resources.has(was.key), `old key of ${c.cn} is gone`).toBe(false);
    }
    for (const slug of slugs) expect(issuance(stackComponents, caCn(slug)), slug).toEqual(issuance(base, caCn(slug)));
  });

  it("tenancy:pkiRootRotation=1 replaces the root and re-signs every tenant CA (same key) under it; the old root verifies none of them", () => {
    const oldRoot = configMapData(base, ROOT_CONFIGMAP)["ca.crt"];
    const newRoot = configMapData(stackRoot, ROOT_CONFIGMAP)["ca.crt"];
    expect(spki(newRoot)).not.toBe(spki(oldRoot));
    expect(new X509Certificate(newRoot).subject).toBe(new X509Certificate(oldRoot).subject);
    expect(verify(newRoot, { caPem: newRoot }).ok).toBe(true);
    expect(verify(newRoot, { caPem: oldRoot }).ok).toBe(false);
    // The hub trusts the tenants' root for client certificates: the new one.
    expect(secretData(stackRoot, HUB_SECRET)["ca.crt"]).toBe(newRoot);
    for (const slug of slugs) {
      const before = tenantCa(base, slug);
      const after = tenantCa(stackRoot, slug);
      expect(after["tls.crt"], slug).not.toBe(before["tls.crt"]);
      expect(after["tls.key"], `${slug}: re-signed, not re-keyed`).toBe(before["tls.key"]);
      expect(after["ca.crt"]).toBe(newRoot);
      const v = verify(after["tls.crt"], { caPem: newRoot });
      expect(v.ok, `${slug}: ${v.out}`).toBe(true);
      expect(verify(after["tls.crt"], { caPem: oldRoot }).ok, `${slug} under the old root`).toBe(false);
      const published = configMapData(stackRoot, caConfigMap(slug));
      expect(published["ca.crt"]).toBe(after["tls.crt"]);
      expect(published["ca-chain.crt"]).toBe(`${after["tls.crt"]}${newRoot}`);
      expect(published["root-ca.crt"]).toBe(newRoot);
      // Same key resource, re-signed certificate.
      expect(issuance(stackRoot, caCn(slug)), slug).toEqual(issuance(base, caCn(slug)));
    }
  });

  it("tenancy:pkiRootRotation=1 re-signs every component certificate (its tenant CA's certificate changed): same key, new certificate, chained to the new root only", () => {
    for (const c of allComponents) {
      const before = secretData(base, c.secretFile);
      const after = secretData(stackRoot, c.secretFile);
      const ca = tenantCa(stackRoot, c.slug);
      const [oldCert] = splitCerts(before["tls.crt"]);
      const [newCert, chainCa] = splitCerts(after["tls.crt"]);
      expect(newCert, c.cn).not.toBe(oldCert);
      expect(after["tls.key"], `${c.cn}: re-signed, not re-keyed`).toBe(before["tls.key"]);
      expect(spki(newCert), c.cn).toBe(spki(oldCert));
      expect(new X509Certificate(newCert).subject, c.cn).toBe(new X509Certificate(oldCert).subject);
      expect(new X509Certificate(newCert).subjectAltName, c.cn).toBe(new X509Certificate(oldCert).subjectAltName);
      expect(chainCa, c.cn).toBe(ca["tls.crt"]);
      expect(after["ca.crt"], c.cn).toBe(ca["tls.crt"]);
      const v = verify(newCert, { caPem: ca["ca.crt"], untrusted: [ca["tls.crt"]] });
      expect(v.ok, `${c.cn}: ${v.out}`).toBe(true);
      expect(verify(newCert, { caPem: configMapData(base, ROOT_CONFIGMAP)["ca.crt"], untrusted: [ca["tls.crt"]] }).ok, `${c.cn} under the old root`).toBe(false);
      // The component's key, request and certificate keep their resource names: the certificate is re-signed in place.
      expect(issuance(stackRoot, c.cn), c.cn).toEqual(issuance(base, c.cn));
      const cert = issuance(base, c.cn).cert;
      expect(stackRoot.blocks.get(cert), c.cn).not.toBe(base.blocks.get(cert));
    }
  });

  it("tenancy:pkiRootRotation=1 replaces the hub CA too and re-issues the hub certificate under it: hub-ca.crt everywhere is the new hub CA, and old and new hub certificates do not cross-verify", () => {
    const oldHubCa = secretData(base, HUB_CA_SECRET)["ca.crt"];
    const newHubCa = secretData(stackRoot, HUB_CA_SECRET)["ca.crt"];
    const newRoot = configMapData(stackRoot, ROOT_CONFIGMAP)["ca.crt"];
    expect(spki(newHubCa)).not.toBe(spki(oldHubCa));
    expect(spki(newHubCa)).not.toBe(spki(newRoot));
    expect(new X509Certificate(newHubCa).subject).toBe(new X509Certificate(oldHubCa).subject);
    expect(verify(newHubCa, { caPem: newHubCa }).ok).toBe(true);
    expect(verify(newHubCa, { caPem: oldHubCa }).ok).toBe(false);
    for (const slug of slugs) expect(configMapData(stackRoot, caConfigMap(slug))["hub-ca.crt"], slug).toBe(newHubCa);
    // Changed by the resource diet: of the components only the leaf (which dials the hub) holds hub-ca.crt.
    for (const c of allComponents.filter((x) => x.component === "leaf")) expect(secretData(stackRoot, c.secretFile)["hub-ca.crt"], c.cn).toBe(newHubCa);
    const oldHub = splitCerts(secretData(base, HUB_SECRET)["tls.crt"]);
    const newHub = splitCerts(secretData(stackRoot, HUB_SECRET)["tls.crt"]);
    expect(newHub).toHaveLength(1);
    expect(newHub[0]).not.toBe(oldHub[0]);
    const v = verify(newHub[0], { caPem: newHubCa, purpose: "sslserver", hostname: HUB_DIALED });
    expect(v.ok, v.out).toBe(true);
    expect(verify(newHub[0], { caPem: oldHubCa }).ok, "new hub under the old hub CA").toBe(false);
    expect(verify(newHub[0], { caPem: newRoot }).ok, "new hub under the new root").toBe(false);
    expect(verify(oldHub[0], { caPem: newHubCa }).ok, "old hub under the new hub CA").toBe(false);
  });

  it("tenancy:pkiRootRotation=1 changes only PKI objects: manifests and declared resources", () => {
    const pki = [ROOT_CONFIGMAP, HUB_CA_SECRET, HUB_SECRET, ...slugs.flatMap((s) => [caConfigMap(s), ...edgeDependents(s)]), ...allComponents.map((c) => c.secretFile)];
    expect(changedManifests(base, stackRoot)).toEqual(pki.sort());
    const pkiObjectNames = new Set(["platform-root-ca", "nats-hub-ca", "nats-hub-tls", "tenant-ca", ...slugs.map((s) => `tenant-ca-${s}`)]);
    const changed = [...new Set([...base.blocks.keys(), ...stackRoot.blocks.keys()])].filter((u) => base.blocks.get(u) !== stackRoot.blocks.get(u));
    const unexpected = changed.filter((u) => {
      if (urnType(u).startsWith("tls:index/")) return false;
      // An account push verifies the hub with the hub CA, which rotates with the root: that, and
      // nothing else of it (its JWT above all), may change.
      if (urnType(u) === "pulumi-nodejs:dynamic:Resource") {
        const strip = (r: { inputs: Record<string, any> } | undefined) => JSON.stringify({ ...r?.inputs, target: { ...r?.inputs.target, tlsCaPem: undefined } });
        return strip(base.resources.get(u)) !== strip(stackRoot.resources.get(u));
      }
      const name = (stackRoot.resources.get(u) ?? base.resources.get(u))!.inputs.metadata?.name as string | undefined;
      return !(name && (pkiObjectNames.has(name) || /-tls$/.test(name))) && !isEdgeDependent(u);
    });
    expect(unexpected).toEqual([]);
  });

  it("tenancy:pkiHubRotation=1 gives the hub a new key and certificate under the unchanged hub CA, and changes nothing else", () => {
    expect(changedManifests(base, stackHub)).toEqual([HUB_SECRET]);
    const before = secretData(base, HUB_SECRET);
    const after = secretData(stackHub, HUB_SECRET);
    const hubCa = secretData(stackHub, HUB_CA_SECRET)["ca.crt"];
    expect(hubCa).toBe(secretData(base, HUB_CA_SECRET)["ca.crt"]);
    const [oldHub] = splitCerts(before["tls.crt"]);
    const newChain = splitCerts(after["tls.crt"]);
    expect(newChain).toHaveLength(1);
    const [newHub] = newChain;
    expect(after["tls.key"]).not.toBe(before["tls.key"]);
    expect(spki(newHub)).not.toBe(spki(oldHub));
    expect(new X509Certificate(newHub).checkPrivateKey(createPrivateKey(after["tls.key"]))).toBe(true);
    expect(new X509Certificate(newHub).subject).toBe(new X509Certificate(oldHub).subject);
    expect(new X509Certificate(newHub).subjectAltName).toBe(new X509Certificate(oldHub).subjectAltName);
    expect(after["ca.crt"]).toBe(before["ca.crt"]);
    const v = verify(newHub, { caPem: hubCa, purpose: "sslserver", hostname: HUB_DIALED });
    expect(v.ok, v.out).toBe(true);
    // Every leaf's (unchanged) hub-ca.crt accepts the new hub (collectors never dial the hub: no hub-ca.crt).
    for (const c of allComponents.filter((x) => x.component === "leaf")) expect(verify(newHub, { caPem: secretData(stackHub, c.secretFile)["hub-ca.crt"], purpose: "sslserver", hostname: HUB_DIALED }).ok, c.cn).toBe(true);
    // Declared: the hub's key and certificate are renamed (the counter is in the name) and
    // its Secret updated; every other resource is byte-identical.
    const [was, is] = [issuance(base, HUB_CN), issuance(stackHub, HUB_CN)];
    for (const kind of ["key", "cert"] as const) {
      expect(is[kind], kind).not.toBe(was[kind]);
      expect(stackHub.resources.has(was[kind]), `old hub ${kind} is gone`).toBe(false);
      expect(base.resources.has(is[kind]), `new hub ${kind} is new`).toBe(false);
    }
    const hubSecret = [...base.resources.values()].filter((x) => urnType(x.urn) === "kubernetes:core/v1:Secret" && x.inputs.metadata?.name === "nats-hub-tls").map((x) => x.urn);
    expect(hubSecret).toHaveLength(1);
    const changed = [...new Set([...base.blocks.keys(), ...stackHub.blocks.keys()])].filter((u) => base.blocks.get(u) !== stackHub.blocks.get(u));
    expect(changed.sort()).toEqual([was.key, was.cert, is.key, is.cert, ...hubSecret].sort());
  });
});

describe("re-issue without re-keying (the upgrade that stopped declaring certificate requests)", () => {
  // The first update after that upgrade replaces every LocallySignedCert (its request's bytes
  // changed) and keeps every key (docs/pki.md): what a render at a later clock does too.
  it("every certificate is new, every key the same, and certificates handed out before verify under the re-issued tenant CAs", () => {
    const rootPem = configMapData(base, ROOT_CONFIGMAP)["ca.crt"];
    for (const slug of slugs.filter((s) => componentsOf(s).length > 0)) {
      const [was, is] = [tenantCa(base, slug), tenantCa(reissued, slug)];
      expect(is["tls.crt"], slug).not.toBe(was["tls.crt"]);
      expect(is["tls.key"], slug).toBe(was["tls.key"]);
      expect(spki(is["tls.crt"]), slug).toBe(spki(was["tls.crt"]));
    }
    for (const c of allComponents) {
      const before = secretData(base, c.secretFile);
      const after = secretData(reissued, c.secretFile);
      const [oldCert] = splitCerts(before["tls.crt"]);
      const [newCert] = splitCerts(after["tls.crt"]);
      expect(newCert, c.cn).not.toBe(oldCert);
      expect(after["tls.key"], c.cn).toBe(before["tls.key"]);
      // A site still holding its old certificate, dialling a peer that trusts the re-issued CA.
      const newCa = tenantCa(reissued, c.slug)["tls.crt"];
      const old = verify(oldCert, { caPem: newCa, partialChain: true });
      expect(old.ok, `${c.cn} (old) under the re-issued tenant CA: ${old.out}`).toBe(true);
      const chained = verify(oldCert, { caPem: rootPem, untrusted: [newCa] });
      expect(chained.ok, `${c.cn} (old) → re-issued tenant CA → root: ${chained.out}`).toBe(true);
      // And the other way: a new certificate under the CA a site's bundle still carries.
      const back = verify(newCert, { caPem: tenantCa(base, c.slug)["tls.crt"], partialChain: true });
      expect(back.ok, `${c.cn} (new) under the old tenant CA: ${back.out}`).toBe(true);
    }
  });
});
