/**
 * NATS users and accounts: the account, not a permission, is what separates tenants, so a tenant
 * user's creds are decoded (JWT, nkey, signature) and checked against the tenant account JWTs the
 * stack gives the hub — the inputs of its account pushes (the `nats-account-push` dynamic
 * resources, whose JWTs the hub's full resolvers are sent) and anything in the hub configuration
 * (Secrets and ConfigMaps outside tenant namespaces) — and its subjects must stay within its tenant.
 * The decoding is written here because the pack imports nothing from the program (lib/nats/).
 */
import { createPublicKey, verify as verifySignature } from "node:crypto";
import { CREDS_KEY, LABELS, tenantAccountName } from "./names";
import { NamespaceIndex, describe, keysOf, namespaceOf, plain, valuesOf, type K8sObject, type Violation } from "./objects";

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

/** The creds files a Secret holds: under the creds key, and every other value holding a user JWT block (an onboarding bundle's). */
export function credsValues(secret: K8sObject): [string, string][] {
  if (secret.kind !== "Secret") return [];
  return [...valuesOf(secret)].filter(([key, value]) => key === CREDS_KEY || value.includes("-----BEGIN NATS USER JWT-----")).sort(([a], [b]) => a.localeCompare(b));
}

/** Problems with the creds of a tenant user, in every value of a Secret that holds them (none for other Secrets). */
export function natsCredsProblems(secret: K8sObject): string[] {
  if (secret.kind !== "Secret") return [];
  const slug = secret.metadata.labels[LABELS.tenant];
  if (slug === undefined) return []; // not a tenant's user (placement is checked with the namespaces)
  return credsValues(secret).flatMap(([key, creds]) => credsProblems(secret, slug, key, creds));
}

function credsProblems(secret: K8sObject, slug: string, key: string, creds: string): string[] {
  const where = `${describe(secret)} (tenant "${slug}")`;
  const rule = `a tenant's NATS users may only be allowed "${slug}.…", "_INBOX.…", "_INBOX_PLATFORM.…", their account's "$JS.API/ACK/FC.…" subjects and what sourcing its edge leaves takes ("$JS.${slug}-<location>.API.…", "$JSC.R.…", "_EDGE.…")`;
  const token = credsUserJwt(creds);
  if (!token) return [`${where}: ${key} holds no NATS user JWT; ${rule}`];
  let claims: Record<string, any>;
  try {
    claims = decodeJwt(token).claims;
  } catch (err) {
    return [`${where}: the user JWT in ${key} cannot be decoded (${(err as Error).message}); ${rule}`];
  }
  const problems: string[] = [];
  const nats = claims.nats ?? {};
  if (nats.type !== "user") problems.push(`the JWT in ${key} is a ${JSON.stringify(nats.type)} JWT, not a user JWT`);
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
  const prefix = key === CREDS_KEY ? "" : `${key}: `;
  return problems.map((p) => `${where}: ${prefix}user ${JSON.stringify(claims.name)}: ${p}; ${rule}`);
}

/** Account JWTs in a text (anything that decodes as a JWT of `nats.type` "account"). */
export function accountJwtsInText(text: string): DecodedJwt[] {
  const found: DecodedJwt[] = [];
  for (const m of text.matchAll(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g)) {
    try {
      const jwt = decodeJwt(m[0]);
      if (jwt.claims.nats?.type === "account") found.push(jwt);
    } catch {
      // not a JWT
    }
  }
  return found;
}

/** Account JWTs found in the values of Secrets and ConfigMaps (a resolver preload, or one smuggled in). */
export function accountJwtsIn(o: K8sObject): DecodedJwt[] {
  return [...valuesOf(o).values()].flatMap(accountJwtsInText);
}

/** The Pulumi type of every dynamic provider's resources, the hub's account pushes among them (components/account-push.ts). */
export const DYNAMIC_RESOURCE_TYPE = "pulumi-nodejs:dynamic:Resource";
/** The inputs of an account push that hold account JWTs: what create and update push, and what a deletion pushes first. */
export const ACCOUNT_PUSH_JWT_FIELDS = ["jwt", "disablingJwt"] as const;

/** An account push as the checks see it: a dynamic resource with account JWT inputs. */
export interface AccountPush {
  urn: string;
  /** The resource's name (`<slug>/nats-account-push`), for messages. */
  name: string;
  /** Its `account` input: the account the push is for (a new one replaces the resource). */
  account?: string;
  /** Its account JWT inputs by field, `jwt` first. */
  jwts: { field: string; jwt: DecodedJwt }[];
}

/** Operator JWTs found in the values of Secrets and ConfigMaps: the keys that may sign accounts (its own and its signing keys). */
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
 * The account push a resource is, if any: a dynamic resource with a `jwt` or `disablingJwt` input
 * holding an account JWT. Only those inputs (and `account`) are read, never the pusher's seed; an
 * unknown JWT (preview) throws the engine's UnknownValueError, as an unknown ConfigMap value does.
 */
export function toAccountPush(type: string, urn: string, name: string, props: Record<string, any>): AccountPush | undefined {
  if (type !== DYNAMIC_RESOURCE_TYPE) return undefined;
  const jwts: AccountPush["jwts"] = [];
  for (const field of ACCOUNT_PUSH_JWT_FIELDS) {
    if (props[field] === undefined) continue;
    const value = plain(props[field]);
    if (typeof value === "string") for (const jwt of accountJwtsInText(value)) jwts.push({ field, jwt });
  }
  if (jwts.length === 0) return undefined;
  const account = props.account === undefined ? undefined : plain(props.account);
  return { urn, name, account: typeof account === "string" ? account : undefined, jwts };
}

/** Where a tenant account JWT was found: an account push's input, or a Secret's or ConfigMap's values. */
interface FoundAccount {
  jwt: DecodedJwt;
  urn: string;
  /** The resource, for messages: `account push <name>`, `ConfigMap <namespace>/<name>`. */
  source: string;
  /** The resource and, for a push, the input: `account push <name> (input jwt)`. */
  where: string;
}

/**
 * Every account JWT the stack gives the hub, by account name: the account pushes' first (the `jwt`
 * input before `disablingJwt`), then those in Secrets and ConfigMaps outside tenant namespaces.
 * The same token found twice counts once.
 */
export function stackAccountJwts(objects: readonly K8sObject[], pushes: readonly AccountPush[]): Map<string, FoundAccount[]> {
  const index = new NamespaceIndex(objects);
  const accounts = new Map<string, FoundAccount[]>();
  const seen = new Set<string>();
  const add = (jwt: DecodedJwt, urn: string, source: string, where = source) => {
    const token = `${jwt.signingInput}.${jwt.signature.toString("base64url")}`;
    if (seen.has(token)) return;
    seen.add(token);
    const name = String(jwt.claims.name ?? "");
    if (!accounts.has(name)) accounts.set(name, []);
    accounts.get(name)!.push({ jwt, urn, source, where });
  };
  for (const p of pushes) for (const { field, jwt } of p.jwts) add(jwt, p.urn, `account push ${p.name}`, `account push ${p.name} (input ${field})`);
  for (const o of objects) {
    if ((o.kind !== "ConfigMap" && o.kind !== "Secret") || index.tenantOf(namespaceOf(o)) !== undefined) continue;
    for (const jwt of accountJwtsIn(o)) add(jwt, o.urn, describe(o));
  }
  return accounts;
}

/** The distinct tenant accounts (by public key) the stack gives the hub. */
export function tenantAccountKeys(objects: readonly K8sObject[], pushes: readonly AccountPush[]): Set<string> {
  const keys = new Set<string>();
  for (const [name, list] of stackAccountJwts(objects, pushes)) if (name.startsWith("TENANT_")) for (const a of list) keys.add(String(a.jwt.claims.sub));
  return keys;
}

/**
 * Every tenant user is issued by its tenant's account — the account, not a permission, is what
 * separates tenants — or by one of its edge locations' own accounts (`EDGE_<slug>_<location>`,
 * signed by the operator or its signing key, in a leaf configuration of the tenant's own edge
 * namespace, and never given to the hub: the hub must not know them). Tenant and location accounts
 * neither export nor import (no channel into another account). Tenant accounts are the stack's
 * account pushes (their JWT inputs) and any account JWT in Secrets and ConfigMaps outside tenant
 * namespaces (the hub configuration), matched by name (`TENANT_<slug>`): one name is one account,
 * and every JWT found for it is checked.
 */
export function checkNatsAccounts(objects: readonly K8sObject[], pushes: readonly AccountPush[] = []): Violation[] {
  const index = new NamespaceIndex(objects);
  const violations: Violation[] = [];
  for (const p of pushes) {
    const other = p.jwts.find((j) => p.account !== undefined && j.jwt.claims.sub !== p.account);
    if (other) {
      violations.push({ urn: p.urn, message: `account push ${p.name}: its ${other.field} is account ${other.jwt.claims.sub} (${other.jwt.claims.name}), but the push is declared for account ${p.account}: a push carries its own account's JWTs only` });
    }
  }
  const operators = new Set<string>();
  // slug → location accounts (by public key) found in its own namespaces.
  const edgeAccounts = new Map<string, Map<string, { jwt: DecodedJwt; from: K8sObject }>>();
  for (const o of objects) {
    if (o.kind !== "ConfigMap" && o.kind !== "Secret") continue;
    const tenant = index.tenantOf(namespaceOf(o));
    if (tenant === undefined) {
      for (const k of operatorKeysIn(o)) operators.add(k);
      continue;
    }
    for (const jwt of accountJwtsIn(o)) {
      if (!String(jwt.claims.name ?? "").startsWith(`EDGE_${tenant}_`)) continue;
      if (!edgeAccounts.has(tenant)) edgeAccounts.set(tenant, new Map());
      edgeAccounts.get(tenant)!.set(String(jwt.claims.sub), { jwt, from: o });
    }
  }
  const accounts = stackAccountJwts(objects, pushes);
  for (const [name, list] of accounts) {
    if (name.startsWith("EDGE_")) {
      for (const { jwt, urn, where } of list) {
        violations.push({ urn, message: `${where}: edge location account ${name} (${jwt.claims.sub}) is given to the hub: a location's account must be known to its leaf only, so its collectors' creds never work on the hub` });
      }
      continue;
    }
    if (!name.startsWith("TENANT_")) continue;
    const keys = [...new Set(list.map((a) => String(a.jwt.claims.sub)))];
    if (keys.length > 1) {
      const second = list.find((a) => a.jwt.claims.sub !== list[0].jwt.claims.sub)!;
      violations.push({
        urn: second.urn,
        message: `Account name ${name} names ${keys.length} different accounts (${keys.join(", ")}; in ${[...new Set(list.map((a) => a.source))].join(", ")}): a tenant has exactly one account`,
      });
    }
    for (const { jwt, urn, where } of list) {
      for (const field of ["imports", "exports"] as const) {
        const entries = jwt.claims.nats?.[field];
        if (Array.isArray(entries) && entries.length > 0) {
          violations.push({ urn, message: `${where}: tenant account ${name} (${jwt.claims.sub}) declares ${entries.length} ${field}: tenant accounts exchange nothing with other accounts` });
        }
      }
    }
  }
  // A cell's stack (docs/cells.md) holds no operator JWT: the platform's stack does. There, the key
  // the stack signs its tenant accounts with — the cell's operator signing key, which the hub
  // verifies against the operator when it takes the pushes — must sign its edge accounts too; one
  // key only, as a cell has one.
  if (operators.size === 0) {
    const pushIssuers = new Set(pushes.flatMap((p) => p.jwts.filter((j) => j.field === "jwt" && jwtSignedBy(j.jwt, String(j.jwt.claims.iss))).map((j) => String(j.jwt.claims.iss))));
    if (pushIssuers.size === 1) operators.add([...pushIssuers][0]!);
  }
  const operatorSigned = (jwt: DecodedJwt) => operators.has(String(jwt.claims.iss)) && jwtSignedBy(jwt, String(jwt.claims.iss));
  for (const list of edgeAccounts.values()) {
    for (const { jwt, from } of list.values()) {
      const name = String(jwt.claims.name);
      if (!operatorSigned(jwt)) {
        violations.push({ urn: from.urn, message: `${describe(from)}: edge location account ${name} (${jwt.claims.sub}) is not signed by the stack's operator (or, in a cell's stack, by the key its account pushes are signed with)` });
      }
      for (const field of ["imports", "exports"] as const) {
        const entries = jwt.claims.nats?.[field];
        if (Array.isArray(entries) && entries.length > 0) violations.push({ urn: from.urn, message: `${describe(from)}: edge location account ${name} declares ${entries.length} ${field}: it exchanges nothing with other accounts` });
      }
    }
  }
  for (const [secret, key, creds] of objects.flatMap((o) => credsValues(o).map(([k, v]) => [o, k, v] as const))) {
    const slug = secret.metadata.labels[LABELS.tenant];
    if (slug === undefined) continue;
    const where = `${describe(secret)} (tenant "${slug}")${key === CREDS_KEY ? "" : ` ${key}`}`;
    const expected = accounts.get(tenantAccountName(slug)) ?? [];
    const token = credsUserJwt(creds);
    let jwt: DecodedJwt | undefined;
    try {
      jwt = token ? decodeJwt(token) : undefined;
    } catch {
      jwt = undefined;
    }
    if (!jwt) continue; // reported by the permissions policy
    if (expected.length === 0) {
      violations.push({ urn: secret.urn, message: `${where}: the stack gives the hub no account ${tenantAccountName(slug)} for this user (no account push, nor the hub configuration, holds one); every tenant user must belong to its tenant's account` });
      continue;
    }
    const account = expected[0].jwt.claims;
    const issuerAccount: string = jwt.claims.nats?.issuer_account ?? jwt.claims.iss;
    const edge = edgeAccounts.get(slug)?.get(issuerAccount);
    if (edge && jwt.claims.iss === issuerAccount && operatorSigned(edge.jwt)) {
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
