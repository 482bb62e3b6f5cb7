/**
 * The CEL the admission policies evaluate, built from data: string literals quoted here and
 * nowhere else, and the shared pieces (the pod spec of any workload, "is this in the plan's list",
 * "is this request from a tenant's user") written once. Only what Kubernetes' CEL environment has
 * is used (the standard library and cel-go's ext.Strings, which the API server adds since 1.29),
 * never optional types, and every list literal is of one type (the server checks both).
 */
import { LABELS, MANAGED_BY, PART_OF } from "../model/names";
import { SLUG_PLACEHOLDER } from "../model/groups";

/** A CEL string literal. */
export function celString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** A CEL list of string literals. */
export const celStrings = (values: readonly string[]) => `[${values.map(celString).join(", ")}]`;

/**
 * The pod spec of whatever is admitted: a Pod's own, a CronJob's job template's, and every other
 * workload's pod template's. Controllers create the pods too, so checking templates only adds an
 * earlier, clearer refusal.
 */
export const POD_SPEC =
  "object.kind == 'Pod' ? object.spec : (object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec)";

/**
 * `value` is one of the plan's allowances of `kind`: the params ConfigMap holds them as
 * `<kind>.<n>: <value>` (a ConfigMap key cannot hold every value, e.g. a label key with a '/').
 */
export const inPlan = (kind: string, value: string) => `params.data.exists(k, k.startsWith(${celString(`${kind}.`)}) && params.data[k] == ${value})`;

/** A label map `m` (an expression) carries this program's managed-by and part-of labels. */
function managedLabels(m: string): string {
  const is = (key: string, value: string) => `${celString(key)} in ${m} && ${m}[${celString(key)}] == ${celString(value)}`;
  return `${is(LABELS.managedBy, MANAGED_BY)} && ${is(LABELS.partOf, PART_OF)}`;
}

/** The object (or, on DELETE, the object being deleted) is one this program declares. */
export const MANAGED_OBJECT = [
  `(object != null && has(object.metadata.labels) && ${managedLabels("object.metadata.labels")})`,
  `(oldObject != null && has(oldObject.metadata.labels) && ${managedLabels("oldObject.metadata.labels")})`,
].join(" || ");

/**
 * The request comes from one of the tenant's people (a group with the tenant's prefix, the slug
 * read from the namespace's tenant label) or from a service account of the namespace itself.
 */
export function tenantUser(groupPrefix: string): string {
  const slug = `namespaceObject.metadata.labels[${celString(LABELS.tenant)}]`;
  const prefix = groupPrefix
    .split(SLUG_PLACEHOLDER)
    .map((part) => (part === "" ? undefined : celString(part)))
    .flatMap((part, i) => (i === 0 ? [part] : [slug, part]))
    .filter((part): part is string => part !== undefined)
    .join(" + ");
  return [
    `(namespaceObject != null && has(namespaceObject.metadata.labels) && ${celString(LABELS.tenant)} in namespaceObject.metadata.labels && has(request.userInfo.groups) && request.userInfo.groups.exists(g, g.startsWith(${prefix})))`,
    `(has(request.userInfo.username) && request.userInfo.username.startsWith('system:serviceaccount:' + request.namespace + ':'))`,
  ].join(" || ");
}

/** A toleration `t` as the params encode it: `key|operator|value|effect` (Kubernetes' defaults for what is unset). */
export const TOLERATION_KEY = "(has(t.key) ? t.key : '') + '|' + (has(t.operator) ? t.operator : 'Equal') + '|' + (has(t.value) ? t.value : '') + '|' + (has(t.effect) ? t.effect : '')";

/** The not-ready/unreachable tolerations the DefaultTolerationSeconds admission plugin adds to every pod. */
export const DEFAULT_TOLERATION =
  "has(t.key) && (t.key == 'node.kubernetes.io/not-ready' || t.key == 'node.kubernetes.io/unreachable') && has(t.operator) && t.operator == 'Exists' && has(t.effect) && t.effect == 'NoExecute'";

/** Annotation prefixes of load-balancer and DNS controllers: what lets a Service claim an address or a public name. */
export const CONTROLLER_ANNOTATION_PREFIXES = [
  "external-dns.alpha.kubernetes.io/",
  "service.beta.kubernetes.io/",
  "service.kubernetes.io/",
  "service.alpha.kubernetes.io/",
  "metallb.universe.tf/",
  "metallb.io/",
  "lbipam.cilium.io/",
  "io.cilium/",
  "kube-vip.io/",
  "purelb.io/",
  "cloud.google.com/",
  "networking.gke.io/",
  "loadbalancer.openstack.org/",
] as const;
