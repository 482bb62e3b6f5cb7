/**
 * NATS users and accounts: the account, not a permission, is what separates tenants, so a tenant
 * user's creds are decoded (JWT, nkey, signature) and checked against the account JWTs of the hub
 * configuration, and its subjects must stay within its tenant. The decoding is written here
 * because the pack imports nothing from the program (lib/nats/).
 */
import { createPublicKey, verify as verifySignature } from "node:crypto";
import { CREDS_KEY, LABELS, tenantAccountName } from "./names";
import { NamespaceIndex, describe, keysOf, namespaceOf, valuesOf, type K8sObject, type Violation } from "./objects";

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, any>;
  signingInput: string;
  signature: Buffer;
}

export function decodeJwt(token: string): DecodedJwt {
  const parts = token.trim().split(".");
  if (parts.length !== 3) throw new Error(`expected 3 dot-separated parts, got ${parts.length}`);
  return {
    header: JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8")),
    claims: JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")),
    signingInput: `${parts[0]}.${parts[1]}`,
    signature: Buffer.from(parts[2], "base64url"),
  };
}

/** The user JWT of a creds file (the block between the BEGIN/END NATS USER JWT lines). */
export function credsUserJwt(creds: string): string | undefined {
  const m = /-{3,}BEGIN NATS USER JWT-{3,}\r?\n([\s\S]*?)\r?\n\s*-{3,}END NATS USER JWT-{3,}/.exec(creds);
  const token = m?.[1].trim();
  return token ? token : undefined;
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** The raw Ed25519 public key of an nkey public key (`A…` account, `U…` user), checksum verified. */
export function nkeyRawPublic(pub: string): Buffer | undefined {
  let bits = 0;
  let acc = 0;
  const bytes: number[] = [];
  for (const ch of pub) {
    const v = BASE32.indexOf(ch);
    if (v < 0) return undefined;
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bytes.push((acc >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  if (bytes.length !== 35) return undefined;
  const body = bytes.slice(0, 33);
  const crc = bytes[33] | (bytes[34] << 8);
  if (crc16(body) !== crc) return undefined;
  return Buffer.from(body.slice(1));
}

function crc16(data: number[]): number {
  // CRC-16/XMODEM, as nkeys uses.
  let crc = 0;
  for (const b of data) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** True when the JWT is signed (ed25519-nkey) by the key `issuerPub`. */
export function jwtSignedBy(jwt: DecodedJwt, issuerPub: string): boolean {
  const raw = nkeyRawPublic(issuerPub);
  if (!raw || jwt.header.alg !== "ed25519-nkey") return false;
  try {
    const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
    return verifySignature(null, Buffer.from(jwt.signingInput), key, jwt.signature);
  } catch {
    return false;
  }
}

/**
 * Subjects a tenant user may be allowed: its tenant's prefix, its inboxes, its account's JetStream
 * API/acks/flow control, and what the hub's streams need to source its edge leaves (the API of its
 * own edge domains `$JS.<slug>-<location>.API`, stream-internal replies `$JSC.R.`, deliveries
 * `_EDGE.`) — all within its own account.
 */
export function subjectWithinTenant(entry: string, slug: string): boolean {
  // A subscribe permission may carry a queue group after a space.
  const subject = entry.trim().split(/\s+/)[0] ?? "";
  const within = (prefix: string) => subject.startsWith(prefix) && subject.length > prefix.length;
  const ownDomain = subject.startsWith(`$JS.${slug}-`) && /^\$JS\.[a-z0-9-]+\.API\.[^\s]+$/.test(subject);
  return (
    within(`${slug}.`) ||
    within("_INBOX.") ||
    within("_INBOX_PLATFORM.") ||
    within("$JS.API.") ||
    within("$JS.ACK.") ||
    within("$JS.FC.") ||
    within("$JSC.R.") ||
    within("_EDGE.") ||
    ownDomain
  );
}

/** Problems with a creds Secret of a tenant user (none for other Secrets). */
export function natsCredsProblems(secret: K8sObject): string[] {
  if (secret.kind !== "Secret" || !keysOf(secret).includes(CREDS_KEY)) return [];
  const slug = secret.metadata.labels[LABELS.tenant];
  if (slug === undefined) return []; // not a tenant's user (placement is checked with the namespaces)
  const where = `${describe(secret)} (tenant "${slug}")`;
  const rule = `a tenant's NATS users may only be allowed "${slug}.…", "_INBOX.…", "_INBOX_PLATFORM.…", their account's "$JS.API/ACK/FC.…" subjects and what sourcing its edge leaves takes ("$JS.${slug}-<location>.API.…", "$JSC.R.…", "_EDGE.…")`;
  const creds = valuesOf(secret).get(CREDS_KEY) ?? "";
  const token = credsUserJwt(creds);
  if (!token) return [`${where}: ${CREDS_KEY} holds no NATS user JWT; ${rule}`];
  let claims: Record<string, any>;
  try {
    claims = decodeJwt(token).claims;
  } catch (err) {
    return [`${where}: the user JWT in ${CREDS_KEY} cannot be decoded (${(err as Error).message}); ${rule}`];
  }
  const problems: string[] = [];
  const nats = claims.nats ?? {};
  if (nats.type !== "user") problems.push(`the JWT in ${CREDS_KEY} is a ${JSON.stringify(nats.type)} JWT, not a user JWT`);
  if (typeof claims.name !== "string" || !claims.name.startsWith(`${slug}-`)) problems.push(`its name ${JSON.stringify(claims.name)} does not start with "${slug}-"`);
  for (const dir of ["pub", "sub"] as const) {
    const allow = nats[dir]?.allow;
    if (!Array.isArray(allow) || allow.length === 0) {
      problems.push(`nats.${dir}.allow is ${Array.isArray(allow) ? "empty" : "absent"}, which NATS reads as every subject allowed`);
      continue;
    }
    const outside = allow.filter((s: unknown) => typeof s !== "string" || !subjectWithinTenant(s, slug));
    if (outside.length > 0) problems.push(`nats.${dir}.allow has ${outside.map((s: unknown) => JSON.stringify(s)).join(", ")} outside the tenant`);
  }
  return problems.map((p) => `${where}: user ${JSON.stringify(claims.name)}: ${p}; ${rule}`);
}

/** Account JWTs found in the values of Secrets and ConfigMaps (the hub's resolver preload). */
export function accountJwtsIn(o: K8sObject): DecodedJwt[] {
  const found: DecodedJwt[] = [];
  for (const value of valuesOf(o).values()) {
    for (const m of value.matchAll(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g)) {
      try {
        const jwt = decodeJwt(m[0]);
        if (jwt.claims.nats?.type === "account") found.push(jwt);
      } catch {
        // not a JWT
      }
    }
  }
  return found;
}

/** Operator JWTs found in the values of Secrets and ConfigMaps: the keys that may sign accounts. */
function operatorKeysIn(o: K8sObject): string[] {
  const keys: string[] = [];
  for (const value of valuesOf(o).values()) {
    for (const m of value.matchAll(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g)) {
      try {
        const jwt = decodeJwt(m[0]);
        if (jwt.claims.nats?.type === "operator" && jwtSignedBy(jwt, String(jwt.claims.sub))) keys.push(String(jwt.claims.sub), ...((jwt.claims.nats.signing_keys ?? []) as string[]));
      } catch {
        // not a JWT
      }
    }
  }
  return keys;
}

/**
 * Every tenant user is issued by its tenant's account — the account, not a permission, is what
 * separates tenants — or by one of its edge locations' own accounts (`EDGE_<slug>_<location>`,
 * signed by the operator, in a leaf configuration of the tenant's own edge namespace, and never in
 * the hub configuration: the hub must not know them). Tenant and location accounts neither export
 * nor import (no channel into another account). Tenant accounts are read from the hub
 * configuration: Secrets and ConfigMaps outside tenant namespaces holding account JWTs, matched by
 * name (`TENANT_<slug>`).
 */
export function checkNatsAccounts(objects: readonly K8sObject[]): Violation[] {
  const index = new NamespaceIndex(objects);
  const violations: Violation[] = [];
  const accounts = new Map<string, { jwt: DecodedJwt; from: K8sObject }[]>();
  const operators = new Set<string>();
  // slug → location accounts (by public key) found in its own namespaces.
  const edgeAccounts = new Map<string, Map<string, { jwt: DecodedJwt; from: K8sObject }>>();
  for (const o of objects) {
    if (o.kind !== "ConfigMap" && o.kind !== "Secret") continue;
    const tenant = index.tenantOf(namespaceOf(o));
    if (tenant !== undefined) {
      for (const jwt of accountJwtsIn(o)) {
        if (!String(jwt.claims.name ?? "").startsWith(`EDGE_${tenant}_`)) continue;
        if (!edgeAccounts.has(tenant)) edgeAccounts.set(tenant, new Map());
        edgeAccounts.get(tenant)!.set(String(jwt.claims.sub), { jwt, from: o });
      }
      continue;
    }
    for (const k of operatorKeysIn(o)) operators.add(k);
    for (const jwt of accountJwtsIn(o)) {
      if (String(jwt.claims.name ?? "").startsWith("EDGE_")) {
        violations.push({ urn: o.urn, message: `${describe(o)}: edge location account ${String(jwt.claims.name)} (${jwt.claims.sub}) is in the hub configuration: a location's account must be known to its leaf only, so its collectors' creds never work on the hub` });
      }
      const name = String(jwt.claims.name ?? "");
      if (!accounts.has(name)) accounts.set(name, []);
      if (!accounts.get(name)!.some((a) => a.jwt.claims.sub === jwt.claims.sub)) accounts.get(name)!.push({ jwt, from: o });
    }
  }
  for (const [name, list] of accounts) {
    if (!name.startsWith("TENANT_")) continue;
    if (list.length > 1) {
      violations.push({ urn: list[1].from.urn, message: `Account name ${name} names ${list.length} different accounts (${list.map((a) => a.jwt.claims.sub).join(", ")}): a tenant has exactly one account` });
    }
    for (const { jwt, from } of list) {
      for (const field of ["imports", "exports"] as const) {
        const entries = jwt.claims.nats?.[field];
        if (Array.isArray(entries) && entries.length > 0) {
          violations.push({ urn: from.urn, message: `${describe(from)}: tenant account ${name} (${jwt.claims.sub}) declares ${entries.length} ${field}: tenant accounts exchange nothing with other accounts` });
        }
      }
    }
  }
  for (const list of edgeAccounts.values()) {
    for (const { jwt, from } of list.values()) {
      const name = String(jwt.claims.name);
      if (!operators.has(String(jwt.claims.iss)) || !jwtSignedBy(jwt, String(jwt.claims.iss))) {
        violations.push({ urn: from.urn, message: `${describe(from)}: edge location account ${name} (${jwt.claims.sub}) is not signed by the stack's operator` });
      }
      for (const field of ["imports", "exports"] as const) {
        const entries = jwt.claims.nats?.[field];
        if (Array.isArray(entries) && entries.length > 0) violations.push({ urn: from.urn, message: `${describe(from)}: edge location account ${name} declares ${entries.length} ${field}: it exchanges nothing with other accounts` });
      }
    }
  }
  for (const secret of objects) {
    if (secret.kind !== "Secret" || !keysOf(secret).includes(CREDS_KEY)) continue;
    const slug = secret.metadata.labels[LABELS.tenant];
    if (slug === undefined) continue;
    const where = `${describe(secret)} (tenant "${slug}")`;
    const expected = accounts.get(tenantAccountName(slug)) ?? [];
    const token = credsUserJwt(valuesOf(secret).get(CREDS_KEY) ?? "");
    let jwt: DecodedJwt | undefined;
    try {
      jwt = token ? decodeJwt(token) : undefined;
    } catch {
      jwt = undefined;
    }
    if (!jwt) continue; // reported by the permissions policy
    if (expected.length === 0) {
      violations.push({ urn: secret.urn, message: `${where}: the stack's hub configuration has no account ${tenantAccountName(slug)} for this user; every tenant user must belong to its tenant's account` });
      continue;
    }
    const account = expected[0].jwt.claims;
    const issuerAccount: string = jwt.claims.nats?.issuer_account ?? jwt.claims.iss;
    const edge = edgeAccounts.get(slug)?.get(issuerAccount);
    if (edge && jwt.claims.iss === issuerAccount && operators.has(String(edge.jwt.claims.iss)) && jwtSignedBy(edge.jwt, String(edge.jwt.claims.iss))) {
      // A user of one of the tenant's own edge locations.
      if (!jwtSignedBy(jwt, jwt.claims.iss)) violations.push({ urn: secret.urn, message: `${where}: user ${JSON.stringify(jwt.claims.name)} claims issuer ${jwt.claims.iss} but its signature does not verify; every tenant user must be signed by its tenant's account` });
      continue;
    }
    const signingKeys: string[] = ((account.nats?.signing_keys ?? []) as unknown[]).map((k) => (typeof k === "string" ? k : String((k as { key?: string })?.key ?? "")));
    const signerOk = jwt.claims.iss === account.sub || (jwt.claims.nats?.issuer_account === account.sub && signingKeys.includes(jwt.claims.iss));
    if (issuerAccount !== account.sub || !signerOk) {
      violations.push({ urn: secret.urn, message: `${where}: user ${JSON.stringify(jwt.claims.name)} is issued by ${issuerAccount}, not by tenant account ${tenantAccountName(slug)} (${account.sub}); every tenant user must belong to its tenant's account (or one of its edge locations')` });
    } else if (!jwtSignedBy(jwt, jwt.claims.iss)) {
      violations.push({ urn: secret.urn, message: `${where}: user ${JSON.stringify(jwt.claims.name)} claims issuer ${jwt.claims.iss} but its signature does not verify; every tenant user must be signed by its tenant's account` });
    }
  }
  return violations;
}
