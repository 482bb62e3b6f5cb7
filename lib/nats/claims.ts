/**
 * Claim builders for operator, account and user JWTs. Claim layout follows github.com/nats-io/jwt v2
 * (account_claims.go, user_claims.go, types.go, operator_claims.go, claims.go): field names are the
 * JSON tags of those Go structs. Every builder checks its keys and limits before signing.
 */
import { canonicalJson, cmp, encodeJwt, type JwtClaims } from "./jwt";
import { assertPublicKey, publicOf, type KeyPair } from "./nkeys";


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

export function checkName(name: string, what: string): string {
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
  /**
   * Only the signing keys may sign accounts (`strict_signing_key_usage`): the operator's identity
   * key then signs nothing but the operator JWT itself.
   */
  strictSigningKeyUsage?: boolean;
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
        strict_signing_key_usage: input.strictSigningKeyUsage || undefined,
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
export interface AccountLimits extends JetStreamLimits {
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
  /** `disallow_bearer`: user JWTs of this account may not be bearer tokens. */
  disallowBearer?: boolean;
  /**
   * Tiered JetStream limits (`tiered_limits`, by tier name: `R1`, `R3` — a stream's tier is
   * `R<replicas>`). The Go library refuses tiered and untiered JetStream limits together, so when
   * tiers are given the account-level JetStream fields (those of JetStreamLimits) must be 0 and are not written.
   */
  tiers?: Readonly<Record<string, JetStreamLimits>>;
}

/**
 * JetStream limits, of the account or of one tier; a tier's storage counts every replica (a
 * stream's max_bytes × replicas).
 */
export interface JetStreamLimits {
  /** `disk_storage`: JetStream file storage bytes across the streams. */
  diskStorage: number;
  /** `mem_storage`: JetStream memory storage bytes across the streams. */
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
export function accountLimitsClaim(l: AccountLimits): Record<string, unknown> {
  const w = "accountJwt.limits";
  const tiers = Object.keys(l.tiers ?? {}).sort();
  if (tiers.length > 0 && (l.diskStorage !== 0 || l.memoryStorage !== 0)) {
    throw new Error(`${w}: tiered and untiered JetStream limits are mutually exclusive (set diskStorage and memoryStorage to 0)`);
  }
  for (const tier of tiers) if (!/^R[1-9]$/.test(tier)) throw new Error(`${w}.tiers: ${JSON.stringify(tier)} is not a tier name (R1…R9)`);
  return {
    conn: limit(l.connections, `${w}.connections`),
    leaf: limit(l.leafNodeConnections, `${w}.leafNodeConnections`),
    subs: limit(l.subscriptions, `${w}.subscriptions`),
    data: limit(l.data, `${w}.data`),
    payload: limit(l.payload, `${w}.payload`),
    imports: limit(l.imports, `${w}.imports`),
    exports: limit(l.exports, `${w}.exports`),
    wildcards: Boolean(l.wildcards),
    ...(tiers.length > 0 ? {} : jetStreamLimitsClaim(l, w)),
    disallow_bearer: l.disallowBearer || undefined,
    tiered_limits: tiers.length > 0 ? Object.fromEntries(tiers.map((t) => [t, jetStreamLimitsClaim(l.tiers![t], `${w}.tiers.${t}`)])) : undefined,
  };
}

function jetStreamLimitsClaim(l: JetStreamLimits, w: string): Record<string, number | boolean | undefined> {
  return {
    disk_storage: limit(l.diskStorage, `${w}.diskStorage`),
    mem_storage: limit(l.memoryStorage, `${w}.memoryStorage`),
    streams: limit(l.streams, `${w}.streams`),
    consumer: limit(l.consumers, `${w}.consumers`),
    max_ack_pending: l.maxAckPending === undefined ? undefined : limit(l.maxAckPending, `${w}.maxAckPending`),
    disk_max_stream_bytes: l.diskMaxStreamBytes === undefined ? undefined : limit(l.diskMaxStreamBytes, `${w}.diskMaxStreamBytes`),
    mem_max_stream_bytes: l.memoryMaxStreamBytes === undefined ? undefined : limit(l.memoryMaxStreamBytes, `${w}.memoryMaxStreamBytes`),
    max_bytes_required: l.maxBytesRequired || undefined,
  };
}

/**
 * A scoped signing key of an account (`kind: user_scope`): every user it signs gets exactly the
 * template's permissions and limits, whatever its own JWT says (nats-server auth.go).
 */
export interface UserScope {
  /** The signing key's public key ("A…": account signing keys are account-type nkeys). */
  key: string;
  role: string;
  description?: string;
  permissions: Permissions;
  limits: UserLimits;
  allowedConnectionTypes?: readonly ConnectionType[];
}

function signingKeysClaim(keys: readonly (string | UserScope)[] | undefined, what: string): unknown[] | undefined {
  if (!keys?.length) return undefined;
  const entries = keys.map((k) => {
    const key = typeof k === "string" ? k : k.key;
    assertPublicKey("account", key, what);
    if (typeof k === "string") return { key, claim: key as unknown };
    const p = permissionsClaim(k.permissions, `${what}.template`);
    const types = k.allowedConnectionTypes?.length ? [...new Set(k.allowedConnectionTypes)].sort() : undefined;
    return {
      key,
      claim: {
        kind: "user_scope",
        key,
        role: checkName(k.role, what),
        template: {
          pub: p.pub ?? {},
          sub: p.sub ?? {},
          resp: p.resp,
          subs: limit(k.limits.subscriptions ?? -1, `${what}.template.subscriptions`),
          data: limit(k.limits.data ?? -1, `${what}.template.data`),
          payload: limit(k.limits.payload ?? -1, `${what}.template.payload`),
          allowed_connection_types: types,
        },
        description: k.description ?? "",
      } as unknown,
    };
  });
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.key)) throw new Error(`${what}: signing key ${e.key} listed twice`);
    seen.add(e.key);
  }
  return entries.sort((a, b) => cmp(a.key, b.key)).map((e) => e.claim);
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
  /** Keys that may sign the account's users besides the account itself, plain or scoped. */
  signingKeys?: readonly (string | UserScope)[];
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
        signing_keys: signingKeysClaim(input.signingKeys, "accountJwt.signingKeys"),
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
  /** The account key pair that signs the user (the user belongs to this account), or one of its signing keys. */
  account: KeyPair;
  /** When `account` is a signing key: the account the user belongs to (`issuer_account`). */
  issuerAccount?: string;
  /**
   * Signed by a scoped signing key: the user's JWT must then carry no permissions and no limits at
   * all (jwt v2 `HasEmptyPermissions`: even the -1s must be absent), the scope's apply.
   */
  scoped?: boolean;
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
  /** Unix seconds after which the server refuses the credential (`exp`), for short-lived users. */
  expiresAt?: number;
}

function userLimitsClaim(l: UserLimits): Record<string, number> {
  return {
    subs: limit(l.subscriptions ?? -1, "userJwt.limits.subscriptions"),
    data: limit(l.data ?? -1, "userJwt.limits.data"),
    payload: limit(l.payload ?? -1, "userJwt.limits.payload"),
  };
}

/** User JWT (`nats.type: "user"`) signed by its account. */
export function userJwt(input: UserJwtInput): string {
  assertPublicKey("user", input.user, "userJwt.user");
  assertPublicKey("account", publicOf(input.account), "userJwt.account");
  if (input.issuerAccount !== undefined) assertPublicKey("account", input.issuerAccount, "userJwt.issuerAccount");
  const p = permissionsClaim(input.permissions, "userJwt.permissions");
  const l = input.limits ?? {};
  if (input.scoped && (p.pub || p.sub || p.resp || input.limits || input.allowedConnectionTypes)) throw new Error("userJwt: a scoped user carries no permissions, limits or connection types of its own");
  const types = input.allowedConnectionTypes?.length ? [...new Set(input.allowedConnectionTypes)].sort() : undefined;
  return encodeJwt(
    {
      iat: input.issuedAt,
      exp: input.expiresAt,
      sub: input.user,
      name: checkName(input.name, "userJwt"),
      nats: {
        issuer_account: input.issuerAccount,
        pub: input.scoped ? undefined : (p.pub ?? {}),
        sub: input.scoped ? undefined : (p.sub ?? {}),
        resp: p.resp,
        ...(input.scoped ? {} : userLimitsClaim(l)),
        allowed_connection_types: types,
        type: "user",
        version: 2,
      },
    } satisfies JwtClaims,
    input.account,
  );
}

/**
 * The claim `$SYS.REQ.CLAIMS.DELETE` takes: a generic JWT self-signed by an operator key (identity
 * or signing key) listing the accounts to delete (nats-server accounts.go `handleDeleteRequest`).
 */
export function deleteAccountsJwt(input: { operator: KeyPair; accounts: readonly string[]; issuedAt: number }): string {
  const sub = publicOf(input.operator);
  assertPublicKey("operator", sub, "deleteAccountsJwt.operator");
  if (input.accounts.length === 0) throw new Error("deleteAccountsJwt: no account to delete");
  for (const a of input.accounts) assertPublicKey("account", a, "deleteAccountsJwt.accounts");
  return encodeJwt(
    { iat: input.issuedAt, sub, name: "delete accounts", nats: { accounts: [...new Set(input.accounts)].sort(), type: "generic", version: 2 } } satisfies JwtClaims,
    input.operator,
  );
}
