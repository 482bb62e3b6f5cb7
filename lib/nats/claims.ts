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
