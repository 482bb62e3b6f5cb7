/**
 * An edge cluster's kubeconfig (secret stack config `tenancy:edgeKubeconfig-<cluster>`) checked
 * before anything is declared for it. The Kubernetes provider would run whatever the file says:
 * an `exec` or `auth-provider` credential runs a program in CI, next to the state passphrase; a
 * `proxy-url` sends the credential through a third party; `insecure-skip-tls-verify` hands it to
 * whoever answers. So the file must be one cluster (https, its CA inline), one user with a bearer
 * token and nothing else, one context joining them — what a least-privilege ServiceAccount's token
 * gives (docs/edge.md). Problems name the key and the field, never a value: the file is a secret.
 */
import type { Problem } from "../model/problems";
import { parseYaml } from "../model/yaml";
import { EDGE_KUBECONFIG_PREFIX } from "../model/names";
import { CONFIG_SOURCE } from "./validate";
import type { ConfigGetter } from "./settings";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

const CLUSTER_FIELDS = new Set(["server", "certificate-authority-data", "tls-server-name", "disable-compression", "extensions"]);
const USER_FIELDS = new Set(["token"]);
/** Why a field is refused, where the reason is more than "not a token / not this cluster's". */
const REFUSED: Record<string, string> = {
  exec: "an exec credential plugin runs a program wherever the update runs (CI, next to the state passphrase)",
  "auth-provider": "an auth-provider plugin runs code and refreshes credentials outside the stack's control",
  tokenFile: "a token file is read from the machine that runs the update, not from the secret",
  "client-certificate": "a file path is read from the machine that runs the update",
  "client-key": "a file path is read from the machine that runs the update",
  "client-certificate-data": "use a ServiceAccount token, which the edge cluster can revoke, instead of a client certificate",
  "client-key-data": "use a ServiceAccount token, which the edge cluster can revoke, instead of a client certificate",
  username: "basic authentication is refused",
  password: "basic authentication is refused",
  as: "impersonation widens the credential past its own rights",
  "as-uid": "impersonation widens the credential past its own rights",
  "as-groups": "impersonation widens the credential past its own rights",
  "as-user-extra": "impersonation widens the credential past its own rights",
  "proxy-url": "a proxy sees the token and every request",
  "insecure-skip-tls-verify": "without verifying the server the token goes to whoever answers",
  "certificate-authority": "a file path is read from the machine that runs the update; inline the CA as certificate-authority-data",
};

/** Every problem with one edge cluster's kubeconfig text. */
export function kubeconfigProblems(cluster: string, text: string): Problem[] {
  return readKubeconfig(cluster, text).problems;
}

/** The kubeconfig's problems, and the API server it points at (normalised: scheme, host, port, path), read in one parse. */
function readKubeconfig(cluster: string, text: string): { problems: Problem[]; apiServer?: string } {
  const key = `tenancy:${EDGE_KUBECONFIG_PREFIX}${cluster}`;
  const problems: Problem[] = [];
  const add = (path: string, rule: string) => problems.push({ file: CONFIG_SOURCE, path: `${key}${path}`, rule });
  // Parse errors would quote lines of the file: report that it does not parse, not where.
  const parseProblems: Problem[] = [];
  const doc = parseYaml({ file: CONFIG_SOURCE, text }, parseProblems);
  if (parseProblems.length > 0 || !isObj(doc)) {
    add("", "is not a kubeconfig (YAML or JSON mapping)");
    return { problems };
  }
  if (doc.kind !== "Config") add(".kind", 'must be "Config"');
  const list = (field: "clusters" | "users" | "contexts") => {
    const v = doc[field];
    if (!Array.isArray(v) || v.length !== 1) {
      add(`.${field}`, `must hold exactly one entry (got ${Array.isArray(v) ? v.length : "none"}): one edge cluster, one credential`);
      return undefined;
    }
    const entry = v[0];
    if (!isObj(entry) || typeof entry.name !== "string" || entry.name === "") {
      add(`.${field}[0].name`, "required field is missing");
      return undefined;
    }
    return entry;
  };
  const c = list("clusters");
  const u = list("users");
  const x = list("contexts");

  /** The entry's body, each field outside `allowed` refused (undefined when the body is missing). */
  const bodyOf = (entry: Obj | undefined, list: string, field: string, allowed: Set<string>, otherwise: string): Obj | undefined => {
    if (!entry) return undefined;
    const body = entry[field];
    if (!isObj(body)) {
      add(`.${list}[0].${field}`, "required field is missing");
      return undefined;
    }
    for (const key of Object.keys(body).sort()) if (!allowed.has(key)) add(`.${list}[0].${field}.${key}`, `is refused: ${REFUSED[key] ?? otherwise}`);
    return body;
  };
  const server = bodyOf(c, "clusters", "cluster", CLUSTER_FIELDS, "not a field an edge cluster needs");
  if (server) {
    if (typeof server.server !== "string" || !/^https:\/\/[^\s/]+/.test(server.server)) add(".clusters[0].cluster.server", "must be an https:// URL");
    const ca = server["certificate-authority-data"];
    if (typeof ca !== "string" || ca === "") add(".clusters[0].cluster.certificate-authority-data", "is required: the edge cluster's CA, inline (base64 PEM), so its server is verified");
    else if (!Buffer.from(ca, "base64").toString("utf8").includes("-----BEGIN CERTIFICATE-----")) add(".clusters[0].cluster.certificate-authority-data", "must be a base64-encoded PEM certificate");
  }
  const credential = bodyOf(u, "users", "user", USER_FIELDS, "only a bearer token is accepted");
  if (credential && (typeof credential.token !== "string" || credential.token.trim() === "")) {
    add(".users[0].user.token", "is required: the bearer token of a least-privilege ServiceAccount of the edge cluster (docs/edge.md)");
  }
  if (x) {
    const body = x.context;
    if (!isObj(body)) add(".contexts[0].context", "required field is missing");
    else {
      if (c && body.cluster !== c.name) add(".contexts[0].context.cluster", "must name the kubeconfig's cluster");
      if (u && body.user !== u.name) add(".contexts[0].context.user", "must name the kubeconfig's user");
    }
    if (doc["current-context"] !== x.name) add(".current-context", "must name the kubeconfig's context");
  }
  const apiServer = typeof server?.server === "string" ? normalisedServer(server.server) : undefined;
  return { problems, ...(apiServer !== undefined ? { apiServer } : {}) };
}

/** A server URL as two spellings of one API server compare equal (scheme, host, port, path), else undefined. */
function normalisedServer(server: string): string | undefined {
  try {
    const url = new URL(server);
    return `${url.protocol}//${url.hostname.toLowerCase()}:${url.port || "443"}${url.pathname.replace(/\/+$/, "")}`;
  } catch {
    return undefined;
  }
}

/**
 * The kubeconfig problems of every edge cluster of the stack (values read, never reported), and
 * two names for one cluster: an edge cluster serves one tenant, which validation checks by name, so
 * two keys pointing at the same API server would put two tenants' keys and creds in one cluster.
 */
export function edgeKubeconfigProblems(get: ConfigGetter, clusters: readonly string[]): Problem[] {
  const byServer = new Map<string, string>();
  return clusters.flatMap((cluster) => {
    const key = `tenancy:${EDGE_KUBECONFIG_PREFIX}${cluster}`;
    const value = get(`${EDGE_KUBECONFIG_PREFIX}${cluster}`);
    if (typeof value !== "string") return [{ file: CONFIG_SOURCE, path: key, rule: "must be a kubeconfig (a string)" }];
    const { problems, apiServer: server } = readKubeconfig(cluster, value);
    if (server !== undefined) {
      const first = byServer.get(server);
      if (first !== undefined) {
        problems.push({ file: CONFIG_SOURCE, path: `${key}.clusters[0].cluster.server`, rule: `is the API server tenancy:${EDGE_KUBECONFIG_PREFIX}${first} points at: one edge cluster, one name (an edge cluster serves one tenant)` });
      } else byServer.set(server, cluster);
    }
    return problems;
  });
}
