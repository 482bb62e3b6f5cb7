/**
 * Test oracle: what the Kubernetes API server decides for a request under a
 * ValidatingAdmissionPolicy and its binding, with the CEL evaluated by a conformant evaluator
 * (@bufbuild/cel, which runs the cel-spec conformance suite) — never by this project's own reading
 * of the expressions.
 *
 * The procedure follows k8s.io/apiserver/pkg/admission/plugin/policy/validating (Kubernetes 1.30+):
 *  1. the policy's matchConstraints and the binding's matchResources must both match the request:
 *     resource rules (apiGroups, apiVersions, resources with `*` and `res/sub`, operations),
 *     excludeResourceRules, and the namespaceSelector on the namespace's labels (with the
 *     `kubernetes.io/metadata.name` label the API server sets);
 *  2. params: `paramRef` names an object (here a ConfigMap) in a namespace; when it is missing,
 *     `parameterNotFoundAction: Deny` refuses the request;
 *  3. matchConditions in order: any `false` → the policy does not apply; an error → failurePolicy;
 *  4. variables, in order, under `variables.<name>`: the server evaluates them lazily, so an error
 *     surfaces only in an expression that reads that variable (done here by reading the AST);
 *  5. validations: `false` → a violation with messageExpression's result (if it is a non-empty
 *     string), else `message`, else "failed expression: <expression>"; an error → failurePolicy
 *     (Fail: refused, "… expression … resulted in error"); with validationActions Deny the first
 *     violation refuses the request.
 * The variables an expression sees are those the server declares: object, oldObject (null on CREATE,
 * object null on DELETE), request (admission.k8s.io/v1 AdmissionRequest fields), params,
 * namespaceObject, variables. JSON integers become CEL ints, as the server's structural schemas
 * type them. The CEL environment is the standard library plus cel-go's ext.Strings (the server
 * adds ext.Strings v2 from 1.29: k8s.io/apiserver/pkg/cel/environment/base.go); the Kubernetes
 * libraries (quantity, url, ip, authz…) are not provided, so an expression using them fails here.
 *
 * `checkExpression` is the compile step: the text parses, reads only the variables the server
 * declares, and every list literal is of one type (the server's HomogeneousAggregateLiterals).
 */
import { isCelError, parse, plan as planCel, celEnv, type CelInput } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";

export interface Policy {
  metadata: { name: string };
  spec: {
    failurePolicy?: "Fail" | "Ignore";
    paramKind?: { apiVersion: string; kind: string };
    matchConstraints?: MatchResources;
    matchConditions?: { name: string; expression: string }[];
    variables?: { name: string; expression: string }[];
    validations?: { expression: string; message?: string; messageExpression?: string; reason?: string }[];
  };
}

interface ResourceRule {
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  operations?: string[];
}

interface MatchResources {
  resourceRules?: ResourceRule[];
  excludeResourceRules?: ResourceRule[];
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface Binding {
  metadata: { name: string };
  spec: {
    policyName: string;
    validationActions: string[];
    matchResources?: MatchResources;
    paramRef?: { name?: string; namespace?: string; parameterNotFoundAction?: "Allow" | "Deny" };
  };
}

export interface AdmissionRequest {
  operation: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  /** `{group, version, resource}`, and `subResource` for e.g. pods/ephemeralcontainers. */
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  kind: { group: string; version: string; kind: string };
  name: string;
  namespace: string;
  userInfo: { username: string; groups?: string[] };
  object: Record<string, unknown> | null;
  oldObject: Record<string, unknown> | null;
}

export interface Cluster {
  /** Namespaces by name, with their labels. */
  namespaces: Record<string, { metadata: { name: string; labels?: Record<string, string> } }>;
  /** Objects params may name: `<namespace>/<name>`. */
  params: Record<string, Record<string, unknown>>;
}

export type Decision = { allowed: true; applied: boolean } | { allowed: false; message: string; policy: string; binding: string; validation?: number };

const VAP_VARIABLES = new Set(["object", "oldObject", "request", "params", "namespaceObject", "authorizer", "variables"]);
const TYPE_NAMES = new Set(["int", "uint", "double", "string", "bool", "bytes", "list", "map", "null_type", "type"]);

const env = celEnv({ funcs: strings });

/** JSON data as the server hands it to CEL: integers as ints (bigint), everything else as is. */
export function toCel(value: unknown): CelInput {
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)])) as CelInput;
  return value as CelInput;
}

interface AstNode {
  exprKind?: { case?: string; value?: any };
}

/** Every sub-expression of a parsed expression, depth first. */
function* nodes(expr: AstNode): Generator<AstNode> {
  yield expr;
  const v = expr.exprKind?.value;
  if (!v) return;
  for (const child of [v.operand, v.target, ...(v.args ?? []), ...(v.elements ?? []), ...(v.entries ?? []).flatMap((e: any) => [e.mapKey, e.value]), v.iterRange, v.accuInit, v.loopCondition, v.loopStep, v.result]) {
    if (child && typeof child === "object" && "exprKind" in child) yield* nodes(child);
  }
}

/** Why the server would refuse to compile `expression` (undefined when it compiles). */
export function checkExpression(expression: string): string | undefined {
  let ast: AstNode;
  try {
    ast = parse(expression).expr as AstNode;
  } catch (e) {
    return `does not parse: ${e instanceof Error ? e.message : String(e)}`;
  }
  const bound = new Set<string>();
  for (const n of nodes(ast)) if (n.exprKind?.case === "comprehensionExpr") [n.exprKind.value.iterVar, n.exprKind.value.iterVar2, n.exprKind.value.accuVar].forEach((v: string) => v && bound.add(v));
  for (const n of nodes(ast)) {
    if (n.exprKind?.case === "identExpr") {
      const name = n.exprKind.value.name as string;
      if (!VAP_VARIABLES.has(name) && !TYPE_NAMES.has(name) && !bound.has(name)) return `reads ${name}, which is no variable of a ValidatingAdmissionPolicy`;
    }
    if (n.exprKind?.case === "listExpr") {
      const kinds = new Set((n.exprKind.value.elements as AstNode[]).map((e) => (e.exprKind?.case === "constExpr" ? e.exprKind.value.constantKind.case : `expr:${e.exprKind?.case}`)));
      if ([...kinds].some((k) => !k.startsWith("expr:")) && kinds.size > 1) return `has a list literal of mixed types (${[...kinds].join(", ")}), which the server refuses`;
    }
  }
  return undefined;
}

/** Names of `variables.<name>` an expression reads. */
function variablesRead(expression: string): Set<string> {
  const read = new Set<string>();
  for (const n of nodes(parse(expression).expr as AstNode)) {
    const v = n.exprKind?.value;
    if (n.exprKind?.case === "selectExpr" && v.operand?.exprKind?.case === "identExpr" && v.operand.exprKind.value.name === "variables") read.add(v.field);
  }
  return read;
}

type Outcome = { value: unknown } | { error: string };

function evaluate(expression: string, bindings: Record<string, CelInput>, failedVariables: Map<string, string>): Outcome {
  const problem = checkExpression(expression);
  if (problem) return { error: `compilation: ${problem}` };
  for (const name of variablesRead(expression)) {
    const failed = failedVariables.get(name);
    if (failed) return { error: `variables.${name}: ${failed}` };
  }
  const result = planCel(env, parse(expression))(bindings);
  if (isCelError(result)) return { error: result.message };
  return { value: result };
}

function ruleMatches(rule: ResourceRule, req: AdmissionRequest): boolean {
  const has = (list: string[] | undefined, value: string) => (list ?? []).some((x) => x === "*" || x === value);
  if (!has(rule.apiGroups, req.resource.group) || !has(rule.apiVersions, req.resource.version) || !has(rule.operations, req.operation)) return false;
  return (rule.resources ?? []).some((r) => {
    const [res, sub] = r.split("/");
    if (req.subResource === undefined) return sub === undefined && (res === "*" || res === req.resource.resource);
    return sub !== undefined && (res === "*" || res === req.resource.resource) && (sub === "*" || sub === req.subResource);
  });
}

/** Kubernetes label selector semantics (an empty selector selects everything). */
export function selectorMatches(sel: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const present = Object.prototype.hasOwnProperty.call(labels, e.key);
    const ok =
      e.operator === "In" ? present && (e.values ?? []).includes(labels[e.key]) :
      e.operator === "NotIn" ? !present || !(e.values ?? []).includes(labels[e.key]) :
      e.operator === "Exists" ? present :
      e.operator === "DoesNotExist" ? !present : false;
    if (!ok) return false;
  }
  return true;
}

function resourcesMatch(m: MatchResources | undefined, req: AdmissionRequest, cluster: Cluster): boolean {
  if (!m) return true;
  if (m.resourceRules && !m.resourceRules.some((r) => ruleMatches(r, req))) return false;
  if ((m.excludeResourceRules ?? []).some((r) => ruleMatches(r, req))) return false;
  if (req.namespace !== "") {
    const ns = cluster.namespaces[req.namespace];
    const labels = { ...(ns?.metadata.labels ?? {}), "kubernetes.io/metadata.name": req.namespace };
    if (!selectorMatches(m.namespaceSelector, labels)) return false;
  }
  const obj = (req.object ?? req.oldObject) as { metadata?: { labels?: Record<string, string> } } | null;
  if (!selectorMatches(m.objectSelector, obj?.metadata?.labels ?? {})) return false;
  return true;
}

/** The decision of one policy and its bindings for one request. */
export function admit(policy: Policy, bindings: readonly Binding[], req: AdmissionRequest, cluster: Cluster): Decision {
  let applied = false;
  for (const binding of bindings.filter((b) => b.spec.policyName === policy.metadata.name)) {
    if (!resourcesMatch(policy.spec.matchConstraints, req, cluster) || !resourcesMatch(binding.spec.matchResources, req, cluster)) continue;
    const deny = (message: string, validation?: number): Decision => ({ allowed: false, message, policy: policy.metadata.name, binding: binding.metadata.name, ...(validation !== undefined ? { validation } : {}) });
    const failure = (message: string): Decision | undefined => ((policy.spec.failurePolicy ?? "Fail") === "Fail" ? deny(message) : undefined);
    let params: Record<string, unknown> | null = null;
    if (policy.spec.paramKind && binding.spec.paramRef) {
      const ref = binding.spec.paramRef;
      params = cluster.params[`${ref.namespace ?? req.namespace}/${ref.name}`] ?? null;
      if (params === null) {
        if (ref.parameterNotFoundAction === "Deny") return deny(`no params found for policy binding with \`Deny\` parameterNotFoundAction`);
        continue;
      }
    }
    const bindingsCel: Record<string, CelInput> = {
      object: toCel(req.object),
      oldObject: toCel(req.oldObject),
      params: toCel(params),
      namespaceObject: toCel(req.namespace ? (cluster.namespaces[req.namespace] ?? null) : null),
      request: toCel({
        operation: req.operation,
        resource: req.resource,
        ...(req.subResource ? { subResource: req.subResource } : {}),
        kind: req.kind,
        name: req.name,
        namespace: req.namespace,
        userInfo: req.userInfo,
      }),
    };
    let skipped = false;
    for (const condition of policy.spec.matchConditions ?? []) {
      const out = evaluate(condition.expression, bindingsCel, new Map());
      if ("error" in out) {
        const d = failure(`matchCondition ${condition.name}: ${out.error}`);
        if (d) return d;
        skipped = true;
        break;
      }
      if (typeof out.value !== "boolean") {
        const d = failure(`matchCondition ${condition.name}: must evaluate to bool`);
        if (d) return d;
        skipped = true;
        break;
      }
      if (!out.value) {
        skipped = true;
        break;
      }
    }
    if (skipped) continue;
    applied = true;
    const variables: Record<string, CelInput> = {};
    const failedVariables = new Map<string, string>();
    for (const v of policy.spec.variables ?? []) {
      const out = evaluate(v.expression, { ...bindingsCel, variables: variables as CelInput }, failedVariables);
      if ("error" in out) failedVariables.set(v.name, out.error);
      else variables[v.name] = out.value as CelInput;
    }
    const all = { ...bindingsCel, variables: variables as CelInput };
    for (const [index, validation] of (policy.spec.validations ?? []).entries()) {
      const out = evaluate(validation.expression, all, failedVariables);
      if ("error" in out) {
        const d = failure(`expression '${validation.expression}' resulted in error: ${out.error}`);
        if (d) return d;
        continue;
      }
      if (typeof out.value !== "boolean") {
        const d = failure(`expression '${validation.expression}' must evaluate to bool`);
        if (d) return d;
        continue;
      }
      if (out.value) continue;
      let message = validation.message ?? `failed expression: ${validation.expression}`;
      if (validation.messageExpression) {
        const m = evaluate(validation.messageExpression, all, failedVariables);
        if ("value" in m && typeof m.value === "string" && m.value.trim() !== "") message = m.value;
      }
      if (binding.spec.validationActions.includes("Deny")) return deny(message, index);
    }
  }
  return { allowed: true, applied };
}
