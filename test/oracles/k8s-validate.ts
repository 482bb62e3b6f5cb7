/**
 * Test support: check rendered Kubernetes manifests roughly the way the API server would, without a cluster.
 *
 * Three layers:
 *  1. the OpenAPI schema, via the precompiled validators that ship with `kubernetes-models`
 *     (types, enums, formats such as base64 `byte`, int32 and quantities, required fields);
 *  2. strict field validation (unknown or misspelled fields), which `kubernetes-models` does NOT do —
 *     its generated schemas carry no `additionalProperties: false`, so `spec.podSelectr` passes there;
 *  3. the name rules the API server enforces in Go code rather than in the OpenAPI schema
 *     (object names, namespaces, label keys/values, annotation keys, ConfigMap/Secret keys).
 *
 * How strictness works: `kubernetes-models` 4.x ships no JSON schema documents, only ajv "standalone"
 * code compiled from them (`_schemas/*.js`). That code reads every property the schema declares
 * (`void 0 === data.spec || …`) and iterates every key of map-typed fields (labels, data, limits…).
 * So we hand the validator a recording Proxy of the manifest and afterwards report every key it never
 * read: that is exactly "not in the schema", with no hand-written field lists. Objects the validator
 * never looked into at all (free-form fields such as RawExtension, or values that already failed a
 * type check) are skipped, so they neither pass nor fail on this rule.
 */
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { LimitRange } from "kubernetes-models/v1/LimitRange";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { ResourceQuota } from "kubernetes-models/v1/ResourceQuota";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Job } from "kubernetes-models/batch/v1/Job";
import { ValidatingAdmissionPolicy } from "kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy";
import { ValidatingAdmissionPolicyBinding } from "kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding";

/** One thing wrong with a manifest. `path` is dotted/bracketed from the object root ("" = the object itself). */
export interface ManifestProblem {
  path: string;
  message: string;
}

type Validate = (obj: unknown) => ManifestProblem[];
export type Segment = string | number;
type JsonObject = Record<string, unknown>;

/* ------------------------------------------------------------------------------------------------
 * Name rules (ports of k8s.io/apimachinery/pkg/util/validation). Each returns the list of reasons,
 * empty when valid, so the exported predicates and the manifest messages share one implementation.
 * ---------------------------------------------------------------------------------------------- */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// Kubernetes' IsDNS1123Subdomain only bounds the total length (253); unlike real DNS it does not cap each label at 63.
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;

const LABEL_MAX = 63;
const SUBDOMAIN_MAX = 253;
const ANNOTATIONS_MAX_BYTES = 256 * 1024;

function maxLen(s: string, max: number): string[] {
  return s.length > max ? [`must be no more than ${max} characters (is ${s.length})`] : [];
}

function dns1123LabelErrors(s: string): string[] {
  return [
    ...maxLen(s, LABEL_MAX),
    ...(DNS1123_LABEL.test(s) ? [] : ["must consist of lower-case alphanumerics or '-', starting and ending with an alphanumeric"]),
  ];
}

function dns1123SubdomainErrors(s: string): string[] {
  return [
    ...maxLen(s, SUBDOMAIN_MAX),
    ...(DNS1123_SUBDOMAIN.test(s)
      ? []
      : ["must consist of lower-case alphanumerics, '-' or '.', each dot-separated part starting and ending with an alphanumeric"]),
  ];
}

function dns1035LabelErrors(s: string): string[] {
  return [
    ...maxLen(s, LABEL_MAX),
    ...(DNS1035_LABEL.test(s) ? [] : ["must consist of lower-case alphanumerics or '-', starting with a letter and ending with an alphanumeric"]),
  ];
}

/** RBAC objects only have to be usable as one URL path segment, which is why "system:node-proxier" is a legal name. */
function pathSegmentErrors(s: string): string[] {
  if (s === "." || s === "..") return [`may not be '${s}'`];
  return /[/%]/.test(s) ? ["may not contain '/' or '%'"] : [];
}

function qualifiedNamePartErrors(name: string): string[] {
  if (name === "") return ["name part must be non-empty"];
  return [
    ...maxLen(name, LABEL_MAX).map((m) => `name part ${m}`),
    ...(QUALIFIED_NAME.test(name) ? [] : ["name part must consist of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"]),
  ];
}

/** Label and annotation keys: `[prefix/]name` (Kubernetes' IsQualifiedName). */
function qualifiedNameErrors(key: string): string[] {
  const parts = key.split("/");
  if (parts.length > 2) return ["may contain at most one '/'"];
  if (parts.length === 1) return qualifiedNamePartErrors(key);
  const [prefix, name] = parts as [string, string];
  const prefixErrors = prefix === "" ? ["prefix part must be non-empty"] : dns1123SubdomainErrors(prefix).map((m) => `prefix part ${m}`);
  return [...prefixErrors, ...qualifiedNamePartErrors(name)];
}

function labelValueErrors(value: string): string[] {
  if (value === "") return [];
  return [
    ...maxLen(value, LABEL_MAX),
    ...(QUALIFIED_NAME.test(value) ? [] : ["must consist of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"]),
  ];
}

/** Keys of ConfigMap/Secret data; they become file names when mounted, hence the '..' rules. */
function configMapKeyErrors(key: string): string[] {
  const errors = [...maxLen(key, SUBDOMAIN_MAX)];
  if (!CONFIG_MAP_KEY.test(key)) errors.push("must consist of alphanumerics, '-', '_' or '.'");
  if (key === "." || key === "..") errors.push(`may not be '${key}'`);
  else if (key.startsWith("..")) errors.push("may not start with '..'");
  return errors;
}

/** True if `s` is a DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters (e.g. Namespace names). */
export function isDns1123Label(s: string): boolean {
  return dns1123LabelErrors(s).length === 0;
}

/** True if `s` is a DNS-1123 subdomain as Kubernetes defines it: dot-separated DNS-1123 labels, at most 253 characters. */
export function isDns1123Subdomain(s: string): boolean {
  return dns1123SubdomainErrors(s).length === 0;
}

/** True if `s` is a valid label key: optional DNS-1123-subdomain prefix (≤ 253) and "/", then a name (≤ 63). */
export function isValidLabelKey(s: string): boolean {
  return qualifiedNameErrors(s).length === 0;
}

/** True if `s` is a valid label value: empty, or ≤ 63 alphanumerics/'-'/'_'/'.' starting and ending alphanumeric. */
export function isValidLabelValue(s: string): boolean {
  return labelValueErrors(s).length === 0;
}

/* ------------------------------------------------------------------------------------------------
 * Registry
 * ---------------------------------------------------------------------------------------------- */

interface NameRule {
  what: string;
  errors: (s: string) => string[];
}

const DNS1123_LABEL_RULE: NameRule = { what: "DNS-1123 label", errors: dns1123LabelErrors };
const DNS1035_LABEL_RULE: NameRule = { what: "DNS-1035 label", errors: dns1035LabelErrors };
const SUBDOMAIN_RULE: NameRule = { what: "DNS-1123 subdomain", errors: dns1123SubdomainErrors };
const PATH_SEGMENT_RULE: NameRule = { what: "path segment name", errors: pathSegmentErrors };

interface Entry {
  validate: Validate;
  nameRule: NameRule;
  /** Top-level maps whose keys must be ConfigMap keys (ConfigMap.data, Secret.stringData, …). */
  dataFields: readonly string[];
  /** Built-in kinds get label checks inside `spec` too (pod templates, selectors); custom resources' specs are opaque to us. */
  builtin: boolean;
}

/** The shape of a `kubernetes-models` class that we rely on: static type meta and a `validate()` that throws. */
interface ModelClass {
  apiVersion: string;
  kind: string;
  prototype: { validate(): void };
}

const BUILTIN: ReadonlyArray<{ model: ModelClass; nameRule: NameRule; dataFields?: readonly string[] }> = [
  { model: Namespace, nameRule: DNS1123_LABEL_RULE },
  { model: ConfigMap, nameRule: SUBDOMAIN_RULE, dataFields: ["data", "binaryData"] },
  { model: Secret, nameRule: SUBDOMAIN_RULE, dataFields: ["data", "stringData"] },
  // Service names become DNS names and environment-variable prefixes, so they must start with a letter.
  { model: Service, nameRule: DNS1035_LABEL_RULE },
  { model: ServiceAccount, nameRule: SUBDOMAIN_RULE },
  { model: ResourceQuota, nameRule: SUBDOMAIN_RULE },
  { model: LimitRange, nameRule: SUBDOMAIN_RULE },
  { model: NetworkPolicy, nameRule: SUBDOMAIN_RULE },
  { model: Role, nameRule: PATH_SEGMENT_RULE },
  { model: RoleBinding, nameRule: PATH_SEGMENT_RULE },
  { model: ClusterRole, nameRule: PATH_SEGMENT_RULE },
  { model: ClusterRoleBinding, nameRule: PATH_SEGMENT_RULE },
  { model: Deployment, nameRule: SUBDOMAIN_RULE },
  { model: StatefulSet, nameRule: SUBDOMAIN_RULE },
  { model: PodDisruptionBudget, nameRule: SUBDOMAIN_RULE },
  { model: Job, nameRule: SUBDOMAIN_RULE },
  { model: ValidatingAdmissionPolicy, nameRule: SUBDOMAIN_RULE },
  { model: ValidatingAdmissionPolicyBinding, nameRule: SUBDOMAIN_RULE },
];

const kindKey = (apiVersion: string, kind: string) => `${apiVersion}/${kind}`;

// Built once at load. The schema validators themselves are precompiled by kubernetes-models, so "caching"
// amounts to this map: there is no per-call compilation, only a lookup and one pass of generated code.
const registry = new Map<string, Entry>(
  BUILTIN.map(({ model, nameRule, dataFields = [] }) => [
    // Keyed from the class's own static apiVersion/kind so the table cannot drift from what it validates.
    kindKey(model.apiVersion, model.kind),
    { validate: (obj) => validateWithModel(model, obj), nameRule, dataFields, builtin: true },
  ]),
);

/** The "apiVersion/kind" keys (e.g. "apps/v1/Deployment", "v1/Namespace") that `validateManifest` knows, sorted. */
export function supportedKinds(): string[] {
  return [...registry.keys()].sort();
}

/**
 * Teach `validateManifest` a kind it has no built-in schema for (CRDs such as jetstream.nats.io/v1beta2 Stream).
 * `validate` gets the manifest as plain JSON data and checks everything except metadata; name, namespace, label
 * and annotation rules are still applied (names as DNS-1123 subdomains, as for custom resources). Re-registering replaces.
 */
export function registerSchema(apiVersion: string, kind: string, validate: (obj: unknown) => ManifestProblem[]): void {
  registry.set(kindKey(apiVersion, kind), { validate, nameRule: SUBDOMAIN_RULE, dataFields: [], builtin: false });
}

/* ------------------------------------------------------------------------------------------------
 * Entry point
 * ---------------------------------------------------------------------------------------------- */

/** Every problem the API server would be expected to reject `obj` for; [] when it is valid. Never throws for bad input. */
export function validateManifest(obj: unknown): ManifestProblem[] {
  if (!isPlainObject(obj)) return [{ path: "", message: "manifest must be an object" }];
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== "string" || apiVersion === "" || typeof kind !== "string" || kind === "") {
    return [
      ...(typeof apiVersion === "string" && apiVersion !== "" ? [] : [{ path: "apiVersion", message: "must be a non-empty string" }]),
      ...(typeof kind === "string" && kind !== "" ? [] : [{ path: "kind", message: "must be a non-empty string" }]),
    ];
  }
  const entry = registry.get(kindKey(apiVersion, kind));
  if (!entry) {
    return [{ path: "", message: `no schema for apiVersion "${apiVersion}" kind "${kind}" (registerSchema() adds custom resources)` }];
  }

  // Validate what would actually go over the wire. The JSON round trip also drops undefined-valued keys
  // (which serialisation drops too), un-shares YAML aliases (the unknown-field pass tracks objects by identity)
  // and un-freezes the data (a Proxy may not substitute values of frozen properties).
  let data: JsonObject;
  try {
    data = JSON.parse(JSON.stringify(obj)) as JsonObject;
  } catch (err) {
    return [{ path: "", message: `manifest is not JSON-serialisable: ${(err as Error).message}` }];
  }

  const problems = [...entry.validate(data), ...objectMetaProblems(data, entry.nameRule)];
  for (const field of entry.dataFields) problems.push(...dataKeyProblems(data[field], [field]));
  if (kind === "ConfigMap") problems.push(...configMapOverlapProblems(data));
  if (entry.builtin && isPlainObject(data.spec)) problems.push(...nestedLabelProblems(data.spec, ["spec"]));
  return problems;
}

/* ------------------------------------------------------------------------------------------------
 * Schema layer: run the kubernetes-models validator on a recording proxy
 * ---------------------------------------------------------------------------------------------- */

/** The subset of ajv's ErrorObject we use; kubernetes-models throws ajv's ValidationError with `errors: ErrorObject[]`. */
interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

function isAjvValidationError(err: unknown): err is Error & { errors: AjvError[] } {
  return err instanceof Error && Array.isArray((err as { errors?: unknown }).errors);
}

function validateWithModel(model: ModelClass, data: unknown): ManifestProblem[] {
  const reads = new Map<object, Set<string>>();
  const proxies = new WeakMap<object, object>();

  const wrap = (value: unknown): unknown => {
    if (value === null || typeof value !== "object") return value;
    let proxy = proxies.get(value);
    if (!proxy) {
      const target = value;
      const seen = (): Set<string> => {
        let keys = reads.get(target);
        if (!keys) reads.set(target, (keys = new Set()));
        return keys;
      };
      proxy = new Proxy(target, {
        get(t, key, receiver) {
          if (typeof key === "string") seen().add(key);
          return wrap(Reflect.get(t, key, receiver));
        },
        has(t, key) {
          if (typeof key === "string") seen().add(key);
          return Reflect.has(t, key);
        },
      });
      proxies.set(value, proxy);
    }
    return proxy;
  };

  let errors: AjvError[] = [];
  try {
    // `validate()` only reads `this` (it calls the compiled validator on it), so calling it with our proxy as `this`
    // avoids `new Model(data)`, whose constructor would copy the data and read every key, defeating the recording.
    model.prototype.validate.call(wrap(data));
  } catch (err) {
    if (!isAjvValidationError(err)) throw err;
    errors = err.errors;
  }
  return [...schemaProblems(errors, data), ...unknownFieldProblems(data, [], reads)];
}

/** Turns ajv errors into problems, one per path: a failed oneOf (int-or-string, quantity) yields one readable message. */
function schemaProblems(errors: readonly AjvError[], data: unknown): ManifestProblem[] {
  const byPath = new Map<string, AjvError[]>();
  for (const err of errors) {
    const segments = pointerToSegments(err.instancePath, data);
    if (err.keyword === "required") segments.push(String(err.params.missingProperty));
    const path = formatPath(segments);
    byPath.set(path, [...(byPath.get(path) ?? []), err]);
  }
  return [...byPath].map(([path, errs]) => ({ path, message: describe(errs) }));
}

function describe(errs: readonly AjvError[]): string {
  const alternatives = errs.some((e) => e.keyword === "oneOf" || e.keyword === "anyOf");
  const branches = errs.filter((e) => e.keyword !== "oneOf" && e.keyword !== "anyOf");
  if (alternatives && branches.length > 0) {
    // ajv reports each failed branch separately; say once what would have been accepted.
    const accepted = branches.map((e) => {
      if (e.keyword === "type") return String(e.params.type);
      if (e.keyword === "format") return `a string in format "${String(e.params.format)}"`;
      return (e.message ?? e.keyword).replace(/^must (be )?/, "");
    });
    return `must be ${[...new Set(accepted)].join(" or ")}`;
  }
  const messages = branches.map((e) => {
    if (e.keyword === "required") return `required field "${String(e.params.missingProperty)}" is missing`;
    if (e.keyword === "enum") return `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    return e.message ?? e.keyword;
  });
  return [...new Set(messages)].join("; ");
}

/** JSON pointer → path segments; the data decides whether "0" is an array index or a map key. */
function pointerToSegments(pointer: string, data: unknown): Segment[] {
  if (pointer === "") return [];
  const segments: Segment[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) {
      segments.push(Number(key));
      node = node[Number(key)];
    } else {
      segments.push(key);
      node = isPlainObject(node) ? node[key] : undefined;
    }
  }
  return segments;
}

/** Keys the schema validator never read in an object it did inspect, i.e. fields the schema does not declare. */
function unknownFieldProblems(node: unknown, segments: Segment[], reads: Map<object, Set<string>>): ManifestProblem[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => unknownFieldProblems(item, [...segments, i], reads));
  if (!isPlainObject(node)) return [];
  const known = reads.get(node);
  if (!known) return []; // never inspected: free-form, or already failed its type check
  const problems: ManifestProblem[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (known.has(key)) {
      problems.push(...unknownFieldProblems(value, [...segments, key], reads));
    } else {
      const hint = closest(key, known);
      problems.push({
        path: formatPath([...segments, key]),
        message: `unknown field "${key}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
      });
    }
  }
  return problems;
}

/** The declared field `key` is most likely a typo of, if any is close enough to be worth suggesting. */
export function closest(key: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = candidate.toLowerCase() === key.toLowerCase() ? 0 : levenshtein(key, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/* ------------------------------------------------------------------------------------------------
 * Name layer: rules the API server applies in code, not in the OpenAPI schema
 * ---------------------------------------------------------------------------------------------- */

function objectMetaProblems(data: JsonObject, nameRule: NameRule): ManifestProblem[] {
  const meta = isPlainObject(data.metadata) ? data.metadata : undefined;
  // A non-object metadata is already a schema error; only report what the schema cannot.
  if (data.metadata !== undefined && data.metadata !== null && !meta) return [];
  const problems: ManifestProblem[] = [];
  const name = meta?.name;
  // generateName is deliberately not accepted: rendered manifests must be idempotent to apply.
  if (name === undefined || name === null || name === "") {
    problems.push({ path: "metadata.name", message: `required field "name" is missing` });
  } else if (typeof name === "string") {
    problems.push(...nameRule.errors(name).map((m) => ({ path: "metadata.name", message: `"${name}" is not a valid ${nameRule.what}: ${m}` })));
  }
  const namespace = meta?.namespace;
  if (typeof namespace === "string" && namespace !== "") {
    problems.push(...dns1123LabelErrors(namespace).map((m) => ({ path: "metadata.namespace", message: `"${namespace}" is not a valid namespace name: ${m}` })));
  }
  if (meta) problems.push(...labelAndAnnotationProblems(meta, ["metadata"]));
  return problems;
}

function labelAndAnnotationProblems(meta: JsonObject, at: Segment[]): ManifestProblem[] {
  const problems = labelMapProblems(meta.labels, [...at, "labels"]);
  const annotations = meta.annotations;
  if (isPlainObject(annotations)) {
    let bytes = 0;
    for (const [key, value] of Object.entries(annotations)) {
      const path = formatPath([...at, "annotations", key]);
      // The API server lower-cases annotation keys before checking them, so upper-case prefixes are allowed there.
      problems.push(...qualifiedNameErrors(key.toLowerCase()).map((m) => ({ path, message: `invalid annotation key "${key}": ${m}` })));
      bytes += Buffer.byteLength(key) + (typeof value === "string" ? Buffer.byteLength(value) : 0);
    }
    if (bytes > ANNOTATIONS_MAX_BYTES) {
      problems.push({ path: formatPath([...at, "annotations"]), message: `annotations total ${bytes} bytes, more than ${ANNOTATIONS_MAX_BYTES}` });
    }
  }
  return problems;
}

function labelMapProblems(labels: unknown, at: Segment[]): ManifestProblem[] {
  if (!isPlainObject(labels)) return [];
  const problems: ManifestProblem[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const path = formatPath([...at, key]);
    problems.push(...qualifiedNameErrors(key).map((m) => ({ path, message: `invalid label key "${key}": ${m}` })));
    // Non-string values are already schema errors ("must be string").
    if (typeof value === "string") {
      problems.push(...labelValueErrors(value).map((m) => ({ path, message: `invalid label value "${value}": ${m}` })));
    }
  }
  return problems;
}

/** Pod templates, volumeClaimTemplates and label selectors nested in a built-in spec obey the same label rules. */
function nestedLabelProblems(node: unknown, at: Segment[]): ManifestProblem[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => nestedLabelProblems(item, [...at, i]));
  if (!isPlainObject(node)) return [];
  const problems: ManifestProblem[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === "metadata" && isPlainObject(value)) problems.push(...labelAndAnnotationProblems(value, [...at, key]));
    else if (key === "matchLabels") problems.push(...labelMapProblems(value, [...at, key]));
    else problems.push(...nestedLabelProblems(value, [...at, key]));
  }
  return problems;
}

function dataKeyProblems(map: unknown, at: Segment[]): ManifestProblem[] {
  if (!isPlainObject(map)) return [];
  return Object.keys(map).flatMap((key) =>
    configMapKeyErrors(key).map((m) => ({ path: formatPath([...at, key]), message: `invalid data key "${key}": ${m}` })),
  );
}

/** A ConfigMap key may live in data or binaryData, not both: they are mounted into the same directory. */
function configMapOverlapProblems(data: JsonObject): ManifestProblem[] {
  if (!isPlainObject(data.data) || !isPlainObject(data.binaryData)) return [];
  const text = data.data;
  return Object.keys(data.binaryData)
    .filter((key) => key in text)
    .map((key) => ({ path: formatPath(["binaryData", key]), message: `key "${key}" is also present in data` }));
}

/* ------------------------------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------------------------------- */

function isPlainObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** ["spec", "ports", 0, "port"] → "spec.ports[0].port"; keys that are not identifiers are quoted: labels["app.kubernetes.io/name"]. */
export function formatPath(segments: readonly Segment[]): string {
  let path = "";
  for (const segment of segments) {
    if (typeof segment === "number") path += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) path += path === "" ? segment : `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path;
}
