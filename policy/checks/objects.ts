/**
 * The plain objects every check reads, and the one place engine values become them: secrets
 * revealed, unknown values (preview) thrown at one point, Secret and ConfigMap values decoded as
 * the API server does, namespaces indexed by their tenant label. Every check builds on this, so
 * each sees the same object whichever policy built it.
 */
import { LABELS } from "./names";

export interface K8sObject {
  /** Identity for reporting: the Pulumi URN (or any unique string in tests). */
  urn: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels: Record<string, string> };
  spec?: any;
  /** Secret: base64 values; ConfigMap: plain values. */
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  binaryData?: Record<string, string>;
  type?: string;
  roleRef?: { kind?: string; name?: string; apiGroup?: string };
  subjects?: { kind?: string; name?: string; namespace?: string; apiGroup?: string }[];
  aggregationRule?: unknown;
  rules?: unknown[];
}

export interface Violation {
  /** The offending resource. */
  urn: string;
  message: string;
}

/** The serialized form of a Pulumi secret (`rpc.specialSigKey` / `rpc.specialSecretSig`). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/**
 * A secret's plain value. The policy engine already presents secrets unwrapped; this also accepts
 * the wire form `{ [SIG_KEY]: SECRET_SIG, value }` (and a policy `Secret`'s `{ value }` is never
 * produced for validations), so a value is read the same whichever way it arrives.
 */
export function reveal(v: unknown): unknown {
  let current = v;
  while (current !== null && typeof current === "object" && (current as Record<string, unknown>)[SIG_KEY] === SECRET_SIG) {
    current = (current as Record<string, unknown>).value;
  }
  return current;
}

/**
 * A deep plain copy. Every property is read through the engine's proxy, so an unknown value
 * (preview) throws the engine's UnknownValueError here, at one place, for the caller to handle.
 */
export function plain(v: unknown): any {
  const value = reveal(v);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(plain(value[i]));
    return out;
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = plain((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** `kubernetes:core/v1:Secret` → `Secret`; undefined for anything that is not a Kubernetes object. */
export function k8sKind(type: string): string | undefined {
  const m = /^kubernetes:([^:]+):([A-Za-z0-9]+)$/.exec(type);
  if (!m || m[1].startsWith("helm.sh") || m[1] === "yaml" || m[1].startsWith("yaml/") || m[1].startsWith("kustomize")) return undefined;
  return m[2];
}

export type ObjectField = "spec" | "data" | "stringData" | "binaryData" | "type" | "roleRef" | "subjects" | "aggregationRule" | "rules";
const ALL_FIELDS: ObjectField[] = ["spec", "data", "stringData", "binaryData", "type", "roleRef", "subjects", "aggregationRule", "rules"];

/**
 * The plain object a check sees, from a resource's type and properties (inputs or outputs).
 * Only `metadata.{name,namespace,labels}` and the requested fields are read: an unknown value
 * elsewhere (a Secret's data during preview) does not keep a check that needs only labels from running.
 */
export function toObject(type: string, urn: string, props: Record<string, any>, fields: readonly ObjectField[] = ALL_FIELDS): K8sObject | undefined {
  const kind = k8sKind(type);
  if (!kind) return undefined;
  const metadata = reveal(props.metadata) as Record<string, unknown> | undefined;
  const labels = metadata ? plain(metadata.labels) : undefined;
  const obj: K8sObject = {
    urn,
    kind,
    metadata: {
      name: metadata ? String(plain(metadata.name) ?? "") : "",
      namespace: metadata && plain(metadata.namespace) ? String(plain(metadata.namespace)) : undefined,
      labels: labels && typeof labels === "object" ? (labels as Record<string, string>) : {},
    },
  };
  for (const field of fields) {
    if (props[field] !== undefined) (obj as unknown as Record<string, unknown>)[field] = plain(props[field]);
  }
  return obj;
}

/** `Kind namespace/name` (or `Kind name` for cluster-scoped kinds), for messages. */
export function describe(o: K8sObject): string {
  return o.metadata.namespace ? `${o.kind} ${o.metadata.namespace}/${o.metadata.name}` : `${o.kind} ${o.metadata.name}`;
}

/** Namespaced objects without a namespace land in `default`. */
export const namespaceOf = (o: K8sObject) => o.metadata.namespace ?? "default";

/** Objects of one kind by the namespace they are in. */
export function byNamespace(objects: readonly K8sObject[], kind: string): Map<string, K8sObject[]> {
  const map = new Map<string, K8sObject[]>();
  for (const o of objects) {
    if (o.kind !== kind) continue;
    const ns = namespaceOf(o);
    if (!map.has(ns)) map.set(ns, []);
    map.get(ns)!.push(o);
  }
  return map;
}

/** The stack's Namespace objects by name, and which tenant each belongs to. */
export class NamespaceIndex {
  readonly byName = new Map<string, K8sObject>();
  constructor(objects: readonly K8sObject[]) {
    for (const o of objects) if (o.kind === "Namespace") this.byName.set(o.metadata.name, o);
  }
  /** The tenant a namespace of this stack belongs to, by its label (never by its name). */
  tenantOf(name: string): string | undefined {
    return this.byName.get(name)?.metadata.labels[LABELS.tenant];
  }
  tenantNamespaces(): K8sObject[] {
    return [...this.byName.values()].filter((ns) => ns.metadata.labels[LABELS.tenant] !== undefined);
  }
  /** A namespace's labels as selectors see them: declared ones plus the one the API server sets. */
  labelsOf(name: string): Record<string, string> {
    return { ...(this.byName.get(name)?.metadata.labels ?? {}), [LABELS.namespaceName]: name };
  }
}

/** A Secret's or ConfigMap's values as text: `data` base64-decoded for Secrets, `stringData` winning as the API server does. */
export function valuesOf(o: K8sObject): Map<string, string> {
  const values = new Map<string, string>();
  const isSecret = o.kind === "Secret";
  for (const [k, v] of Object.entries(o.data ?? {})) {
    const value = reveal(v);
    if (typeof value === "string") values.set(k, isSecret ? Buffer.from(value, "base64").toString("utf8") : value);
  }
  for (const [k, v] of Object.entries(o.binaryData ?? {})) {
    const value = reveal(v);
    if (typeof value === "string") values.set(k, Buffer.from(value, "base64").toString("utf8"));
  }
  if (isSecret) {
    for (const [k, v] of Object.entries(o.stringData ?? {})) {
      const value = reveal(v);
      if (typeof value === "string") values.set(k, value);
    }
  }
  return values;
}

/** The keys a Secret or ConfigMap declares (without reading values, which may be unknown in preview). */
export function keysOf(o: K8sObject): string[] {
  return [...new Set([...Object.keys(o.data ?? {}), ...Object.keys(o.stringData ?? {}), ...Object.keys(o.binaryData ?? {})])];
}

/** Objects the checks read, by kind: used to say which resources a policy inspected. */
export const countKinds = (objects: readonly K8sObject[]) => {
  const counts: Record<string, number> = {};
  for (const o of objects) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
  return counts;
};
