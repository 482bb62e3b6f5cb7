/**
 * The extensions of the provider's certificate template, as Go's x509.CreateCertificate writes
 * them: key usages and extended key usages from `allowed_uses`, basic constraints, key
 * identifiers, and subject alternative names (Go's IP parsing, marshalSANs order). Extensions are
 * cached by content, so one object serves every certificate and request that carries the same one.
 */
import "reflect-metadata"; // @peculiar/x509 (tsyringe) needs it loaded first
import * as x509 from "@peculiar/x509";
import { isIP } from "node:net";
import { sharedCache } from "./caches";

/** id-ce-subjectAltName. */
export const OID_SAN = "2.5.29.17";

const KEY_USAGES: Record<string, number> = {
  digital_signature: x509.KeyUsageFlags.digitalSignature,
  content_commitment: x509.KeyUsageFlags.nonRepudiation,
  key_encipherment: x509.KeyUsageFlags.keyEncipherment,
  data_encipherment: x509.KeyUsageFlags.dataEncipherment,
  key_agreement: x509.KeyUsageFlags.keyAgreement,
  cert_signing: x509.KeyUsageFlags.keyCertSign,
  crl_signing: x509.KeyUsageFlags.cRLSign,
  encipher_only: x509.KeyUsageFlags.encipherOnly,
  decipher_only: x509.KeyUsageFlags.decipherOnly,
};

const EXT_KEY_USAGES: Record<string, string> = {
  any_extended: "2.5.29.37.0",
  server_auth: "1.3.6.1.5.5.7.3.1",
  client_auth: "1.3.6.1.5.5.7.3.2",
  code_signing: "1.3.6.1.5.5.7.3.3",
  email_protection: "1.3.6.1.5.5.7.3.4",
  ipsec_end_system: "1.3.6.1.5.5.7.3.5",
  ipsec_tunnel: "1.3.6.1.5.5.7.3.6",
  ipsec_user: "1.3.6.1.5.5.7.3.7",
  timestamping: "1.3.6.1.5.5.7.3.8",
  ocsp_signing: "1.3.6.1.5.5.7.3.9",
  microsoft_server_gated_crypto: "1.3.6.1.4.1.311.10.3.3",
  netscape_server_gated_crypto: "2.16.840.1.113730.4.1",
  microsoft_commercial_code_signing: "1.3.6.1.4.1.311.2.1.22",
  microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};

export const SUPPORTED_USES = [...Object.keys(KEY_USAGES), ...Object.keys(EXT_KEY_USAGES)].sort();

/** An IP address as Go's net.ParseIP reads it and x509 writes it (4 bytes for IPv4 and IPv4-mapped IPv6). */
function normalizeIp(text: string): string {
  const s = String(text);
  if (isIP(s) === 4) {
    if (s.split(".").some((p) => p.length > 1 && p.startsWith("0"))) throw new Error(`Invalid IP address: Failed to parse "${s}"`);
    return s;
  }
  if (isIP(s) !== 6 || s.includes("%")) throw new Error(`Invalid IP address: Failed to parse "${s}"`);
  let hex = s;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split(".").map(Number);
    hex = `${s.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left, right] = hex.includes("::") ? hex.split("::") : [hex, undefined];
  const l = left ? left.split(":") : [];
  const r = right === undefined ? [] : right ? right.split(":") : [];
  const groups = [...l, ...Array(8 - l.length - r.length).fill("0"), ...r].map((g) => parseInt(g, 16));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6] >> 8}.${groups[6] & 0xff}.${groups[7] >> 8}.${groups[7] & 0xff}`;
  }
  return groups.map((g) => g.toString(16)).join(":");
}

/** Go's marshalSANs order: DNS names, (emails), IP addresses, URIs. */
export function sanItems(dnsNames: string[], ips: string[], uris: string[]): x509.JsonGeneralName[] {
  for (const name of [...dnsNames, ...uris]) {
    // eslint-disable-next-line no-control-regex
    if (!/^[\x00-\x7f]*$/.test(name)) throw new Error(`x509: "${name}" cannot be encoded as an IA5String`);
  }
  return [
    ...dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...ips.map((value) => ({ type: "ip" as const, value: normalizeIp(value) })),
    ...uris.map((value) => ({ type: "url" as const, value })),
  ];
}

/**
 * Extensions by content: @peculiar/x509 builds one by serializing and parsing it back (twice for a
 * SAN), and the generators only read its `rawData`, so one object serves every certificate that
 * carries the same extension (a tenant's usages and basic constraints, its CA's key id, a
 * component's names in its request and its certificate).
 */
const extensionCache = sharedCache<string, x509.Extension>(8192);

function cachedExtension<E extends x509.Extension>(key: string, make: () => E): E {
  let extension = extensionCache.get(key) as E | undefined;
  if (!extension) extensionCache.set(key, (extension = make()));
  return extension;
}

export const sanExtension = (items: x509.JsonGeneralName[], critical: boolean): x509.SubjectAlternativeNameExtension =>
  cachedExtension(`san\0${critical}\0${JSON.stringify(items)}`, () => new x509.SubjectAlternativeNameExtension(items, critical));

/**
 * The template's extensions, in the order x509.CreateCertificate writes them. `maxPathLen` is the
 * template's MaxPathLen (0: no constraint, as MaxPathLenZero is never set); the SAN is critical
 * when the subject is empty.
 */
export function certificateExtensions(t: {
  allowedUses: string[];
  isCa: boolean;
  maxPathLen: number;
  ski?: Buffer;
  aki?: Buffer;
  dnsNames: string[];
  ips: string[];
  uris: string[];
  subjectDer: Buffer;
}): x509.Extension[] {
  let keyUsage = 0;
  const extKeyUsages: string[] = [];
  for (const use of t.allowedUses) {
    if (use in KEY_USAGES) keyUsage |= KEY_USAGES[use];
    if (use in EXT_KEY_USAGES) extKeyUsages.push(EXT_KEY_USAGES[use]);
  }

  const extensions: x509.Extension[] = [];
  if (keyUsage !== 0) extensions.push(cachedExtension(`ku\0${keyUsage}`, () => new x509.KeyUsagesExtension(keyUsage, true)));
  if (extKeyUsages.length) extensions.push(cachedExtension(`eku\0${extKeyUsages.join(",")}`, () => new x509.ExtendedKeyUsageExtension(extKeyUsages, false)));
  const pathLen = t.maxPathLen > 0 ? t.maxPathLen : undefined;
  extensions.push(cachedExtension(`bc\0${t.isCa}\0${pathLen}`, () => new x509.BasicConstraintsExtension(t.isCa, pathLen, true)));
  if (t.ski) extensions.push(new x509.SubjectKeyIdentifierExtension(t.ski.toString("hex"), false)); // the key's own: not shared
  const aki = t.aki?.toString("hex");
  if (aki) extensions.push(cachedExtension(`aki\0${aki}`, () => new x509.AuthorityKeyIdentifierExtension(aki, false)));
  const items = sanItems(t.dnsNames, t.ips, t.uris);
  const subjectIsEmpty = t.subjectDer.length === 2; // SEQUENCE {}
  if (items.length) extensions.push(sanExtension(items, subjectIsEmpty));
  return extensions;
}
