/**
 * NATS decentralised-auth artefacts (nkeys, operator/account/user JWTs, creds files and the hub's
 * operator-mode config fragment) as pure, deterministic functions.
 *
 * Why not the jwt.js packages: they stamp `iat = now` and derive `jti` from it, so every
 * `pulumi preview` would show a diff and every `pulumi up` would re-sign every account. Here the
 * caller passes `iat` (a stable "claims epoch") and `jti` is a hash of the claims' content, so:
 *   - identical inputs give byte-identical tokens (Ed25519 signatures are deterministic);
 *   - any change of any claim gives a new `jti`, which is what the server's full resolver uses to
 *     decide that a pushed JWT is new (it skips a JWT whose `jti` it already holds).
 * The caller must still make sure `iat` never goes backwards: the full resolver refuses a JWT
 * whose `iat` is older than the one it stores.
 *
 * Claim layout follows github.com/nats-io/jwt v2 (account_claims.go, user_claims.go, types.go,
 * operator_claims.go, claims.go). Field names below are the JSON tags of those Go structs.
 *
 * Nothing here touches Pulumi, the clock, the network or randomness.
 */
import { createHash, createPrivateKey, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from "node:crypto";
import { fromPublic, fromSeed, Prefix, type KeyPair } from "nkeys.js";

export type { KeyPair } from "nkeys.js";

// nkeys.js exports no "key pair from 32 raw bytes" API; its internal codec does the standard
// encoding (prefix byte(s), raw bytes, CRC-16, base32), which is exactly what a seed is.
const { Codec } = require("nkeys.js/lib/codec") as {
  Codec: {
    encodeSeed(role: Prefix, src: Uint8Array): Uint8Array;
    encode(prefix: Prefix, src: Uint8Array): Uint8Array;
    decodeSeed(src: Uint8Array): { prefix: Prefix; buf: Uint8Array };
    decode(expected: Prefix, src: Uint8Array): Uint8Array;
  };
};

const te = new TextEncoder();
const td = new TextDecoder();

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

export type NKeyKind = "operator" | "account" | "user";

const PREFIX: Record<NKeyKind, Prefix> = {
  operator: Prefix.Operator,
  account: Prefix.Account,
  user: Prefix.User,
};

/** Public-key first letter per kind ("O…", "A…", "U…"), used to reject swapped keys early. */
const PUBLIC_LETTER: Record<NKeyKind, string> = { operator: "O", account: "A", user: "U" };

/**
 * The nkey pair whose Ed25519 seed is `raw32`. Callers feed it stable random bytes (e.g. from
 * `@pulumi/random`'s RandomBytes), so the identity survives re-runs and the secret stays in state.
 */
export function nkeyFromRaw(kind: NKeyKind, raw32: Uint8Array): KeyPair {
  if (!(raw32 instanceof Uint8Array) || raw32.length !== 32) {
    throw new Error(`nkeyFromRaw(${kind}): expected exactly 32 raw bytes, got ${raw32?.length ?? typeof raw32}`);
  }
  // Copy: the codec must not alias caller memory that might be zeroed or reused later.
  return fromSeed(Codec.encodeSeed(PREFIX[kind], Uint8Array.from(raw32)));
}

/** The public key ("O…", "A…" or "U…") of an encoded seed ("SO…", "SA…", "SU…"). */
export function publicKeyOf(seed: string): string {
  return nodeKey(fromSeed(te.encode(seed.trim()))).pub;
}

// Signing goes through Node's native Ed25519 rather than nkeys.js (tweetnacl in plain JS): the
// signatures are identical (Ed25519 is deterministic, RFC 8032) but about a hundred times faster,
// and nkeys.js even re-derives the public key on every getPublicKey(). With several tokens per
// tenant that is the difference between milliseconds and a minute for a thousand tenants.
// nkeys.js still does the nkey text encoding (prefix, CRC-16, base32).
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex"); // + 32-byte seed
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex"); // + 32-byte public key
const nodeKeys = new WeakMap<KeyPair, { priv: KeyObject; pub: string }>();

function nodeKey(kp: KeyPair): { priv: KeyObject; pub: string } {
  let k = nodeKeys.get(kp);
  if (!k) {
    const { prefix, buf } = Codec.decodeSeed(kp.getSeed());
    const priv = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, buf]), format: "der", type: "pkcs8" });
    const spki = createPublicKey(priv).export({ format: "der", type: "spki" });
    k = { priv, pub: td.decode(Codec.encode(prefix, new Uint8Array(spki.subarray(SPKI_ED25519.length)))) };
    nodeKeys.set(kp, k);
  }
  return k;
}

/** Public key of a key pair (cached; same value as kp.getPublicKey()). */
export function publicOf(kp: KeyPair): string {
  return nodeKey(kp).pub;
}

/** Ed25519 signature by `kp` (same bytes as kp.sign(data)). */
export function signWith(kp: KeyPair, data: Uint8Array): Uint8Array {
  return new Uint8Array(edSign(null, data, nodeKey(kp).priv));
}

/** Ed25519 check of `sig` over `data` by the holder of the public nkey `pub` (any kind). */
function verifyWith(pub: string, data: Uint8Array, sig: Uint8Array): boolean {
  const kind = (Object.keys(PUBLIC_LETTER) as NKeyKind[]).find((k) => pub.startsWith(PUBLIC_LETTER[k]));
  if (!kind) return false;
  const raw = Codec.decode(PREFIX[kind], te.encode(pub)); // checks prefix and CRC
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: "der", type: "spki" });
  return edVerify(null, data, key, sig);
}

/** The encoded seed of a key pair, as a string (what a creds file carries). */
export function seedOf(kp: KeyPair): string {
  return td.decode(kp.getSeed());
}

function assertPublicKey(kind: NKeyKind, key: string, what: string): void {
  let ok = typeof key === "string" && key.startsWith(PUBLIC_LETTER[kind]);
  if (ok) {
    try {
      fromPublic(key); // checks length, prefix and CRC
    } catch {
      ok = false;
    }
  }
  if (!ok) throw new Error(`${what}: ${JSON.stringify(key)} is not a valid ${kind} public key`);
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/**
 * The only header NATS v2 JWTs use. Written as a literal so its bytes never depend on object
 * key order.
 */
export const JWT_HEADER = '{"typ":"JWT","alg":"ed25519-nkey"}';

function b64url(bytes: Uint8Array | string): string {
  return Buffer.from(typeof bytes === "string" ? te.encode(bytes) : bytes).toString("base64url");
}

function fromB64url(s: string): Buffer {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error("not base64url (no padding)");
  return Buffer.from(s, "base64url");
}

/**
 * JSON with object keys sorted at every level and `undefined` members dropped. This is the one
 * serialisation used for both the token payload and the `jti` hash, so the bytes of a token depend
 * only on the claims' values, never on the order in which the code happened to build them.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`canonicalJson: non-finite number ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  }
  if (typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
  }
  throw new Error(`canonicalJson: cannot serialise ${typeof value}`);
}

/** RFC 4648 base32, upper case, no padding (what the Go library's `jti` looks like). */
function base32NoPad(bytes: Uint8Array): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let out = "";
  let bits = 0;
  let acc = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1; // keep only the unconsumed bits so `acc` never overflows
  }
  if (bits > 0) out += alphabet[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * Content-derived JWT id: base32(SHA-512/256(canonical JSON of the claims without `jti` and
 * `iat`)). SHA-512/256 and base32 match what the Go library uses, so ids look familiar; unlike
 * the Go library, `iat` is excluded, so re-signing unchanged claims at a later epoch keeps the id
 * and a change of any other claim (including the issuer) always changes it.
 */
export function computeJti(claims: object): string {
  const { jti: _jti, iat: _iat, ...rest } = claims as Record<string, unknown>;
  const digest = createHash("sha512-256").update(canonicalJson(rest)).digest();
  return base32NoPad(digest);
}

/** The registered claims every NATS JWT carries, plus the type-specific `nats` object. */
export interface JwtClaims {
  /** Content hash, see {@link computeJti}; computed by {@link encodeJwt}. */
  jti?: string;
  /** Issued-at, whole seconds since the epoch. Always explicit (a claims epoch), never "now". */
  iat: number;
  /** Public key of the signer; filled in by {@link encodeJwt}. */
  iss?: string;
  sub: string;
  name: string;
  exp?: number;
  nbf?: number;
  aud?: string;
  nats: Record<string, unknown> & { type: string; version: 2 };
}

/**
 * Signs `claims` with `signer` and returns the compact JWT. `iss` is set to the signer's public
 * key (a different `iss` in `claims` is an error: it would produce a token nobody can verify) and
 * `jti` is (re)computed from the content, like the Go library's `Encode` does. `iat` is kept as
 * given; it must be a whole number of seconds.
 */
export function encodeJwt(claims: object, signer: KeyPair): string {
  const c = { ...(claims as Record<string, unknown>) };
  const issuer = publicOf(signer);
  if (c.iss !== undefined && c.iss !== issuer) {
    throw new Error(`encodeJwt: claims.iss ${String(c.iss)} is not the signer ${issuer}`);
  }
  c.iss = issuer;
  checkIssuedAt(c.iat);
  delete c.jti;
  c.jti = computeJti(c);
  const signingInput = `${b64url(JWT_HEADER)}.${b64url(canonicalJson(c))}`;
  const sig = signWith(signer, te.encode(signingInput));
  return `${signingInput}.${b64url(sig)}`;
}

function checkIssuedAt(iat: unknown): void {
  // 1e11 s is the year 5138: anything larger is almost certainly milliseconds (Date.now()).
  if (typeof iat !== "number" || !Number.isSafeInteger(iat) || iat < 0 || iat >= 1e11) {
    throw new Error(`iat must be whole seconds since the epoch (a fixed claims epoch), got ${String(iat)}`);
  }
}

export interface DecodedJwt {
  header: { typ?: string; alg?: string } & Record<string, unknown>;
  claims: JwtClaims & Record<string, unknown>;
  /** `b64(header).b64(payload)`, the bytes the signature covers. */
  signingInput: string;
  signature: Uint8Array;
}

/** Splits and parses a token without checking its signature (for tests and tooling). */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.trim().split(".");
  if (parts.length !== 3) throw new Error(`decodeJwt: expected 3 dot-separated parts, got ${parts.length}`);
  const [h, p, s] = parts as [string, string, string];
  return {
    header: JSON.parse(fromB64url(h).toString("utf8")),
    claims: JSON.parse(fromB64url(p).toString("utf8")),
    signingInput: `${h}.${p}`,
    signature: new Uint8Array(fromB64url(s)),
  };
}

/**
 * True when `token` is an ed25519-nkey JWT issued (`iss`) and signed by `issuerPub`. Does not
 * judge expiry or whether that issuer is trusted for this claim type; the server does that.
 */
export function verifyJwt(token: string, issuerPub: string): boolean {
  let d: DecodedJwt;
  try {
    d = decodeJwt(token);
  } catch {
    return false;
  }
  if (d.header.alg !== "ed25519-nkey" || d.claims.iss !== issuerPub) return false;
  try {
    return verifyWith(issuerPub, te.encode(d.signingInput), d.signature);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Claim builders
// ---------------------------------------------------------------------------------------------

/** Subjects, de-duplicated and sorted: order carries no meaning to the server, only to the bytes. */
function subjectList(list: readonly string[] | undefined, what: string): string[] | undefined {
  if (list === undefined || list.length === 0) return undefined;
  for (const s of list) {
    // One token, or "subject queue" (queue-group form, meaningful for subscribe permissions).
    if (typeof s !== "string" || !/^[^\s]+( [^\s]+)?$/.test(s)) {
      throw new Error(`${what}: invalid subject ${JSON.stringify(s)}`);
    }
  }
  return [...new Set(list)].sort();
}

export interface Permission {
  allow?: readonly string[];
  deny?: readonly string[];
}

export interface Permissions {
  pub?: Permission;
  sub?: Permission;
  /** Allow publishing to reply subjects of received requests (`resp` in the JWT). */
  resp?: { maxMessages: number; ttlNanoseconds: number };
}

function permissionClaim(p: Permission | undefined, what: string): Record<string, unknown> | undefined {
  if (!p) return undefined;
  const allow = subjectList(p.allow, `${what}.allow`);
  const deny = subjectList(p.deny, `${what}.deny`);
  return allow || deny ? { allow, deny } : undefined;
}

function permissionsClaim(p: Permissions | undefined, what: string): Record<string, unknown> {
  return {
    pub: permissionClaim(p?.pub, `${what}.pub`),
    sub: permissionClaim(p?.sub, `${what}.sub`),
    resp: p?.resp ? { max: p.resp.maxMessages, ttl: p.resp.ttlNanoseconds } : undefined,
  };
}

/** A limit: a whole number, -1 meaning unlimited and 0 meaning none at all. */
function limit(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < -1) {
    throw new Error(`${what}: limits are whole numbers >= -1 (-1 = unlimited), got ${value}`);
  }
  return value;
}

function checkName(name: string, what: string): string {
  if (typeof name !== "string" || name.trim() === "" || /[\r\n]/.test(name)) {
    throw new Error(`${what}: name must be a non-empty single line`);
  }
  return name;
}

export interface OperatorJwtInput {
  /** The operator's own key pair; operator JWTs are self-signed. */
  operator: KeyPair;
  name: string;
  /** Public key of the system account (`nats.system_account`). */
  systemAccount: string;
  issuedAt: number;
  /** Extra operator public keys allowed to sign account JWTs. */
  signingKeys?: readonly string[];
}

/** Self-signed operator JWT (`nats.type: "operator"`). */
export function operatorJwt(input: OperatorJwtInput): string {
  const sub = publicOf(input.operator);
  assertPublicKey("operator", sub, "operatorJwt.operator");
  assertPublicKey("account", input.systemAccount, "operatorJwt.systemAccount");
  for (const k of input.signingKeys ?? []) assertPublicKey("operator", k, "operatorJwt.signingKeys");
  return encodeJwt(
    {
      iat: input.issuedAt,
      sub,
      name: checkName(input.name, "operatorJwt"),
      nats: {
        system_account: input.systemAccount,
        signing_keys: input.signingKeys?.length ? [...new Set(input.signingKeys)].sort() : undefined,
        type: "operator",
        version: 2,
      },
    } satisfies JwtClaims,
    input.operator,
  );
}

/**
 * An account's limits, camelCase, mapped one to one onto `nats.limits` of the account JWT.
 * Counts and byte sizes: -1 = unlimited, 0 = none (the server refuses every connection when
 * `connections` is 0, every publish when `payload` is 0). JetStream is enabled for the account
 * exactly when `memoryStorage` or `diskStorage` is not 0; it must stay 0/0 for the system account.
 */
export interface AccountLimits {
  /** `conn`: concurrent client connections (leaf node connections are counted by `leaf`). */
  connections: number;
  /** `leaf`: concurrent leaf node connections. */
  leafNodeConnections: number;
  /** `subs`: subscriptions across the account. */
  subscriptions: number;
  /** `data`: bytes (part of the JWT schema; nats-server 2.9 does not enforce it). */
  data: number;
  /** `payload`: maximum message payload in bytes. */
  payload: number;
  /** `imports`: maximum number of imports in this account JWT. */
  imports: number;
  /** `exports`: maximum number of exports in this account JWT. */
  exports: number;
  /** `wildcards`: whether exports may use wildcards (a boolean in the JWT schema). */
  wildcards: boolean;
  /** `disk_storage`: JetStream file storage bytes across the account's streams. */
  diskStorage: number;
  /** `mem_storage`: JetStream memory storage bytes across the account's streams. */
  memoryStorage: number;
  /** `streams`: JetStream streams. */
  streams: number;
  /** `consumer`: JetStream consumers. */
  consumers: number;
  /** `max_ack_pending`: per-consumer ack pending ceiling. */
  maxAckPending?: number;
  /** `disk_max_stream_bytes`: ceiling for one file stream's max_bytes. */
  diskMaxStreamBytes?: number;
  /** `mem_max_stream_bytes`: ceiling for one memory stream's max_bytes. */
  memoryMaxStreamBytes?: number;
  /** `max_bytes_required`: every stream must declare max_bytes. */
  maxBytesRequired?: boolean;
  /** `disallow_bearer`: user JWTs of this account may not be bearer tokens. */
  disallowBearer?: boolean;
}

/** Everything unlimited and JetStream off: what the system account gets. */
export const UNLIMITED_NO_JETSTREAM: AccountLimits = Object.freeze({
  connections: -1,
  leafNodeConnections: -1,
  subscriptions: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  diskStorage: 0,
  memoryStorage: 0,
  streams: 0,
  consumers: 0,
});

/**
 * The JWT form of {@link AccountLimits}. Every field is written, zeros included: the Go library
 * omits zeros (`omitempty`), which decodes the same, but an explicit 0 makes the rendered claim
 * say what it means.
 */
export function accountLimitsClaim(l: AccountLimits): Record<string, number | boolean | undefined> {
  const w = "accountJwt.limits";
  return {
    conn: limit(l.connections, `${w}.connections`),
    leaf: limit(l.leafNodeConnections, `${w}.leafNodeConnections`),
    subs: limit(l.subscriptions, `${w}.subscriptions`),
    data: limit(l.data, `${w}.data`),
    payload: limit(l.payload, `${w}.payload`),
    imports: limit(l.imports, `${w}.imports`),
    exports: limit(l.exports, `${w}.exports`),
    wildcards: Boolean(l.wildcards),
    disk_storage: limit(l.diskStorage, `${w}.diskStorage`),
    mem_storage: limit(l.memoryStorage, `${w}.memoryStorage`),
    streams: limit(l.streams, `${w}.streams`),
    consumer: limit(l.consumers, `${w}.consumers`),
    max_ack_pending: l.maxAckPending === undefined ? undefined : limit(l.maxAckPending, `${w}.maxAckPending`),
    disk_max_stream_bytes:
      l.diskMaxStreamBytes === undefined ? undefined : limit(l.diskMaxStreamBytes, `${w}.diskMaxStreamBytes`),
    mem_max_stream_bytes:
      l.memoryMaxStreamBytes === undefined ? undefined : limit(l.memoryMaxStreamBytes, `${w}.memoryMaxStreamBytes`),
    max_bytes_required: l.maxBytesRequired || undefined,
    disallow_bearer: l.disallowBearer || undefined,
  };
}

export interface AccountExport {
  name?: string;
  subject: string;
  type: "stream" | "service";
  /** Importers need an activation token. */
  tokenRequired?: boolean;
  /** Services only. */
  responseType?: "Singleton" | "Stream" | "Chunked";
  accountTokenPosition?: number;
}

export interface AccountImport {
  name?: string;
  /** Subject as the exporting account publishes it (stream) / the importer requests it (service). */
  subject: string;
  /** Public key of the exporting account. */
  account: string;
  type: "stream" | "service";
  /** Subject inside this account, when it differs (`local_subject`). */
  localSubject?: string;
  /** Activation token, when the export requires one. */
  token?: string;
}

export interface AccountJwtInput {
  /** Public key of the account ("A…"). */
  account: string;
  /** The operator key pair (or an operator signing key) that signs the account. */
  operator: KeyPair;
  name: string;
  limits: AccountLimits;
  /** Permissions every user of the account gets unless its own JWT says otherwise. */
  defaultPermissions?: Permissions;
  exports?: readonly AccountExport[];
  imports?: readonly AccountImport[];
  issuedAt: number;
  tags?: readonly string[];
  /**
   * Revoked users: public key → Unix seconds. The server refuses a user JWT of that key issued at
   * or before the time (`nats.revocations`).
   */
  revocations?: Readonly<Record<string, number>>;
}

/** Account JWT (`nats.type: "account"`) signed by the operator. */
export function accountJwt(input: AccountJwtInput): string {
  assertPublicKey("account", input.account, "accountJwt.account");
  assertPublicKey("operator", publicOf(input.operator), "accountJwt.operator");
  const exports = [...(input.exports ?? [])]
    .map((e) => ({
      name: e.name,
      subject: e.subject,
      type: e.type,
      token_req: e.tokenRequired || undefined,
      response_type: e.responseType,
      account_token_position: e.accountTokenPosition || undefined,
    }))
    // The Go library sorts exports and imports by subject before encoding; so do we (then by the
    // whole entry, so equal subjects still order deterministically).
    .sort((a, b) => cmp(a.subject, b.subject) || cmp(canonicalJson(a), canonicalJson(b)));
  const imports = [...(input.imports ?? [])]
    .map((i) => {
      assertPublicKey("account", i.account, "accountJwt.imports.account");
      return {
        name: i.name,
        subject: i.subject,
        account: i.account,
        type: i.type,
        local_subject: i.localSubject,
        token: i.token,
      };
    })
    .sort((a, b) => cmp(a.subject, b.subject) || cmp(canonicalJson(a), canonicalJson(b)));
  const dp = permissionsClaim(input.defaultPermissions, "accountJwt.defaultPermissions");
  const tags = input.tags?.length ? [...new Set(input.tags.map((t) => t.trim().toLowerCase()))].sort() : undefined;
  return encodeJwt(
    {
      iat: input.issuedAt,
      sub: input.account,
      name: checkName(input.name, "accountJwt"),
      nats: {
        limits: accountLimitsClaim(input.limits),
        default_permissions: dp.pub || dp.sub || dp.resp ? dp : undefined,
        exports: exports.length ? exports : undefined,
        imports: imports.length ? imports : undefined,
        tags,
        revocations: revocationsClaim(input.revocations),
        type: "account",
        version: 2,
      },
    } satisfies JwtClaims,
    input.operator,
  );
}

function revocationsClaim(revocations: Readonly<Record<string, number>> | undefined): Record<string, number> | undefined {
  const keys = Object.keys(revocations ?? {}).sort();
  if (keys.length === 0) return undefined;
  const out: Record<string, number> = {};
  for (const key of keys) {
    if (key !== "*") assertPublicKey("user", key, "accountJwt.revocations");
    out[key] = limit(revocations![key], "accountJwt.revocations");
  }
  return out;
}

/** Connection types a user may use (`nats.allowed_connection_types`). */
export type ConnectionType = "STANDARD" | "WEBSOCKET" | "LEAFNODE" | "LEAFNODE_WS" | "MQTT" | "MQTT_WS";

/** Per-user limits; omitted fields are unlimited (-1), as in the Go library's NewUserClaims. */
export interface UserLimits {
  subscriptions?: number;
  data?: number;
  payload?: number;
}

export interface UserJwtInput {
  /** Public key of the user ("U…"). */
  user: string;
  /** The account key pair that signs the user (the user belongs to this account). */
  account: KeyPair;
  name: string;
  /**
   * Publish/subscribe permissions. An empty allow list means "everything" to the server, so a
   * tenant user should always get explicit allow lists.
   */
  permissions: Permissions;
  /** Empty/omitted: every connection type. ["LEAFNODE"] makes a leaf-only credential. */
  allowedConnectionTypes?: readonly ConnectionType[];
  limits?: UserLimits;
  issuedAt: number;
}

/** User JWT (`nats.type: "user"`) signed by its account. */
export function userJwt(input: UserJwtInput): string {
  assertPublicKey("user", input.user, "userJwt.user");
  assertPublicKey("account", publicOf(input.account), "userJwt.account");
  const p = permissionsClaim(input.permissions, "userJwt.permissions");
  const l = input.limits ?? {};
  const types = input.allowedConnectionTypes?.length ? [...new Set(input.allowedConnectionTypes)].sort() : undefined;
  return encodeJwt(
    {
      iat: input.issuedAt,
      sub: input.user,
      name: checkName(input.name, "userJwt"),
      nats: {
        pub: p.pub ?? {},
        sub: p.sub ?? {},
        resp: p.resp,
        subs: limit(l.subscriptions ?? -1, "userJwt.limits.subscriptions"),
        data: limit(l.data ?? -1, "userJwt.limits.data"),
        payload: limit(l.payload ?? -1, "userJwt.limits.payload"),
        allowed_connection_types: types,
        type: "user",
        version: 2,
      },
    } satisfies JwtClaims,
    input.account,
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

/**
 * A `.creds` file as `nsc` writes it (LF line endings, six dashes on the END lines), which is what
 * nats clients and a leaf node's `credentials:` option parse.
 */
export function credsFile(userJwt: string, userSeed: string): string {
  const jwt = userJwt.trim();
  const seed = userSeed.trim();
  if (jwt.split(".").length !== 3) throw new Error("credsFile: the first argument is not a JWT");
  if (!seed.startsWith("SU")) throw new Error("credsFile: the seed is not a user seed (SU…)");
  return (
    "-----BEGIN NATS USER JWT-----\n" +
    `${jwt}\n` +
    "------END NATS USER JWT------\n" +
    "\n" +
    "************************* IMPORTANT *************************\n" +
    "NKEY Seed printed below can be used to sign and prove identity.\n" +
    "NKEYs are sensitive and should be treated as secrets.\n" +
    "\n" +
    "-----BEGIN USER NKEY SEED-----\n" +
    `${seed}\n` +
    "------END USER NKEY SEED------\n" +
    "\n" +
    "*************************************************************\n"
  );
}

export interface HubAccount {
  pub: string;
  jwt: string;
  name: string;
}

export interface HubConfigInput {
  operatorJwt: string;
  systemAccountPub: string;
  /** Every account the hub should know, the system account included. */
  accounts: readonly HubAccount[];
}

/**
 * The hub's operator-mode settings as an include-able nats-server config fragment. Accounts are
 * listed by name (then key) so the text is byte-stable whatever order tenants were evaluated in.
 * `resolver: MEMORY` means the preload is the whole truth: a config reload re-reads it, which is
 * how changed account JWTs reach a running hub. Operator mode forbids an `accounts {}` block, so
 * the fragment must not be combined with one.
 */
export function hubConfigFragment(input: HubConfigInput): string {
  assertPublicKey("account", input.systemAccountPub, "hubConfigFragment.systemAccountPub");
  // Everything checked here would otherwise surface only when the hub starts or reloads: as a
  // fatal error, or as an account the server silently refuses to load.
  const op = decodeJwt(input.operatorJwt).claims;
  if (op.nats?.type !== "operator" || !verifyJwt(input.operatorJwt, op.sub)) {
    throw new Error("hubConfigFragment: operatorJwt is not a self-signed operator JWT");
  }
  const signers = new Set<string>([op.sub, ...((op.nats.signing_keys as string[] | undefined) ?? [])]);
  const seen = new Set<string>();
  for (const a of input.accounts) {
    checkName(a.name, "hubConfigFragment.accounts");
    assertPublicKey("account", a.pub, `hubConfigFragment.accounts[${a.name}]`);
    if (seen.has(a.pub)) throw new Error(`hubConfigFragment: account ${a.pub} listed twice`);
    seen.add(a.pub);
    const { claims } = decodeJwt(a.jwt);
    if (claims.nats?.type !== "account" || claims.sub !== a.pub) {
      throw new Error(`hubConfigFragment: the JWT for ${a.name} is not an account JWT for ${a.pub}`);
    }
    if (!signers.has(claims.iss ?? "") || !verifyJwt(a.jwt, claims.iss ?? "")) {
      throw new Error(`hubConfigFragment: the JWT for ${a.name} is not signed by the operator`);
    }
    const limits = (claims.nats.limits ?? {}) as Record<string, unknown>;
    if (a.pub === input.systemAccountPub && (Number(limits.disk_storage ?? 0) !== 0 || Number(limits.mem_storage ?? 0) !== 0)) {
      // nats-server exits with "Not allowed to enable JetStream on the system account".
      throw new Error(`hubConfigFragment: the system account ${a.name} must not have JetStream storage limits`);
    }
  }
  if (!seen.has(input.systemAccountPub)) {
    throw new Error("hubConfigFragment: the system account's JWT must be among the accounts");
  }
  const sorted = [...input.accounts].sort((a, b) => cmp(a.name, b.name) || cmp(a.pub, b.pub));
  const lines = [
    "# NATS operator mode: generated by lib/nats-jwt.ts, do not edit.",
    "# Operator mode forbids an `accounts {}` block next to this.",
    `operator: "${tokenText(input.operatorJwt)}"`,
    `system_account: ${input.systemAccountPub}`,
    "resolver: MEMORY",
    "resolver_preload: {",
    ...sorted.flatMap((a) => [`  # ${a.name}`, `  ${a.pub}: "${tokenText(a.jwt)}"`]),
    "}",
    "",
  ];
  return lines.join("\n");
}

/** A JWT is base64url segments and dots; anything else would break out of the quoted string. */
function tokenText(jwt: string): string {
  const t = jwt.trim();
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(t)) {
    throw new Error("hubConfigFragment: not a compact JWT");
  }
  return t;
}
