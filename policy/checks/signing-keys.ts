/**
 * Certificates and signing keys: a CA's private key or a NATS operator/account seed can mint
 * identities for any tenant, so they may live only in the platform namespace. Finding them means
 * parsing PEM (certificates and private keys) and matching keys to CA certificates anywhere in
 * the stack.
 */
import { X509Certificate, createPrivateKey, createPublicKey } from "node:crypto";
import { describe, namespaceOf, valuesOf, type K8sObject, type Violation } from "./objects";

export function pemBlocks(text: string): { label: string; pem: string }[] {
  const blocks: { label: string; pem: string }[] = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)) blocks.push({ label: m[1], pem: m[0] });
  return blocks;
}

const spkiOf = (key: ReturnType<typeof createPublicKey>) => key.export({ type: "spki", format: "der" }).toString("base64");

/** A parsed certificate: what the checks need of it. */
export interface CertInfo {
  ca: boolean;
  /** Public key, SPKI DER in base64: equal exactly when two certificates share a key. */
  spki: string;
  subject: string;
}

// The same CA certificates appear in many Secrets (every component's ca.crt): parse each PEM once.
const certCache = new Map<string, CertInfo | null>();

function parseCertificate(pem: string): CertInfo | undefined {
  if (!certCache.has(pem)) {
    if (certCache.size > 20_000) certCache.clear();
    let info: CertInfo | null = null;
    try {
      const cert = new X509Certificate(pem);
      info = { ca: cert.ca, spki: spkiOf(cert.publicKey), subject: cert.subject.replace(/\n/g, ", ") };
    } catch {
      info = null; // not a certificate after all
    }
    certCache.set(pem, info);
  }
  return certCache.get(pem) ?? undefined;
}

/** Every certificate in the text (PEM), parsed; unparseable blocks are skipped. */
export function certificatesIn(text: string): CertInfo[] {
  const certs: CertInfo[] = [];
  for (const b of pemBlocks(text)) {
    if (b.label !== "CERTIFICATE") continue;
    const info = parseCertificate(b.pem);
    if (info) certs.push(info);
  }
  return certs;
}

/** SPKIs (base64 DER) of the CA certificates in a Secret's or ConfigMap's values. */
export function caPublicKeysIn(o: K8sObject): Set<string> {
  const keys = new Set<string>();
  for (const value of valuesOf(o).values()) for (const c of certificatesIn(value)) if (c.ca) keys.add(c.spki);
  return keys;
}

const keyCache = new Map<string, string | null>();

/** The public key (SPKI, base64) of a PEM private key; undefined when it cannot be read. */
function privateKeySpki(pem: string): string | undefined {
  if (!keyCache.has(pem)) {
    if (keyCache.size > 20_000) keyCache.clear();
    let spki: string | null = null;
    try {
      spki = spkiOf(createPublicKey(createPrivateKey(pem)));
    } catch {
      spki = null;
    }
    keyCache.set(pem, spki);
  }
  return keyCache.get(pem) ?? undefined;
}

/** NATS operator (SO…) and account (SA…) seeds: keys that sign accounts or users. */
const NATS_SIGNING_SEED = /\bS[OA][A-Z2-7]{56}\b/;

/**
 * What signing key a Secret holds, if any: the private key of a CA certificate (found in the Secret
 * itself, or among `knownCaKeys` — the CA certificates declared anywhere in the stack), a private key
 * in `tls.key` next to a CA `tls.crt` that no other certificate in the Secret accounts for, or a
 * NATS operator/account seed.
 */
export function signingKeysIn(secret: K8sObject, knownCaKeys: ReadonlySet<string> = new Set()): string[] {
  const values = valuesOf(secret);
  const found: string[] = [];
  const certs: { key: string; cert: CertInfo }[] = [];
  for (const [k, value] of values) for (const cert of certificatesIn(value)) certs.push({ key: k, cert });
  const matchedToLeaf = new Set<string>();
  for (const [k, value] of values) {
    for (const b of pemBlocks(value)) {
      if (!b.label.includes("PRIVATE KEY")) continue;
      const spki = privateKeySpki(b.pem);
      if (spki === undefined) continue; // encrypted or malformed: judged by tls.crt below
      const own = certs.find((c) => c.cert.spki === spki);
      if (own?.cert.ca) found.push(`${k}: the private key of CA certificate "${own.cert.subject}" (${own.key})`);
      else if (!own && knownCaKeys.has(spki)) found.push(`${k}: the private key of a CA certificate declared elsewhere in the stack`);
      else if (own) matchedToLeaf.add(k);
    }
  }
  const tlsKey = values.get("tls.key");
  const tlsCrt = certificatesIn(values.get("tls.crt") ?? "")[0];
  if (tlsKey && tlsKey.trim() !== "" && tlsCrt?.ca && !matchedToLeaf.has("tls.key") && !found.some((f) => f.startsWith("tls.key:"))) {
    found.push(`tls.key next to CA certificate "${tlsCrt.subject}" in tls.crt`);
  }
  for (const [k, value] of values) {
    const seed = NATS_SIGNING_SEED.exec(value);
    if (seed) found.push(`${k}: a NATS ${seed[0][1] === "O" ? "operator" : "account"} seed`);
  }
  return found;
}

export function signingKeyProblems(secret: K8sObject, platformNamespace: string, knownCaKeys?: ReadonlySet<string>): string[] {
  if (secret.kind !== "Secret" || namespaceOf(secret) === platformNamespace) return [];
  return signingKeysIn(secret, knownCaKeys).map(
    (what) => `${describe(secret)} holds ${what}: CA keys and NATS signing keys may live only in the platform namespace "${platformNamespace}"`,
  );
}

/** Every CA certificate's public key (SPKI) in the stack's Secrets and ConfigMaps. */
export function stackCaPublicKeys(objects: readonly K8sObject[]): Set<string> {
  const keys = new Set<string>();
  for (const o of objects) if (o.kind === "Secret" || o.kind === "ConfigMap") for (const k of caPublicKeysIn(o)) keys.add(k);
  return keys;
}

export function checkSigningKeysAcrossStack(objects: readonly K8sObject[], platformNamespace: string): Violation[] {
  const known = stackCaPublicKeys(objects);
  const violations: Violation[] = [];
  for (const o of objects) for (const message of signingKeyProblems(o, platformNamespace, known)) violations.push({ urn: o.urn, message });
  return violations;
}
