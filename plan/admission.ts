/**
 * The admission policies the program declares for tenant namespaces (ValidatingAdmissionPolicy,
 * admissionregistration.k8s.io/v1, GA in Kubernetes 1.30): what quotas and RBAC cannot say — no
 * external IPs or controller annotations on Services, no priority class, node, toleration or node
 * selector outside the plan's, no claim of an existing volume or of a class outside the plan, no
 * image outside the stack's registries, no service-account token Secrets, no disruption budget
 * that blocks a drain, and no change by a tenant's user to what this program manages. Policies
 * that read a plan's allowances are bound once per plan, with that plan's ConfigMap (platform
 * namespace) as params; the others once for every tenant namespace. Bindings select namespaces by
 * the tenant label, which only this program sets.
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import type { StackSettings } from "../config/settings";
import { ADMISSION_POLICIES, LABELS, admissionBindingName, admissionParamsName, admissionResourceNames, componentLabels, managedLabels } from "../model/names";
import type { Plan } from "../model/schema";
import {
  CONTROLLER_ANNOTATION_PREFIXES,
  DEFAULT_TOLERATION,
  MANAGED_OBJECT,
  POD_SPEC,
  TOLERATION_KEY,
  celStrings,
  inPlan,
  tenantUser,
} from "./admission-cel";

type PolicySpec = k8s.admissionregistration.v1.ValidatingAdmissionPolicySpec;
type BindingSpec = k8s.admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec;

export interface AdmissionPolicyPlan {
  logicalName: string;
  name: string;
  labels: Record<string, string>;
  spec: PolicySpec;
}

export interface AdmissionBindingPlan {
  logicalName: string;
  name: string;
  labels: Record<string, string>;
  spec: BindingSpec;
}

export interface AdmissionParamsPlan {
  logicalName: string;
  name: string;
  namespace: string;
  labels: Record<string, string>;
  data: Record<string, string>;
}

export interface AdmissionPlan {
  /** The AdmissionPolicies component's name. */
  name: string;
  policies: AdmissionPolicyPlan[];
  bindings: AdmissionBindingPlan[];
  params: AdmissionParamsPlan[];
}

const WRITE = ["CREATE", "UPDATE"];
const WORKLOADS = [
  { apiGroups: [""], apiVersions: ["v1"], resources: ["pods", "pods/ephemeralcontainers"], operations: WRITE },
  { apiGroups: ["apps"], apiVersions: ["v1"], resources: ["deployments", "replicasets", "statefulsets", "daemonsets"], operations: WRITE },
  { apiGroups: ["batch"], apiVersions: ["v1"], resources: ["jobs", "cronjobs"], operations: WRITE },
];
const rules = (apiGroup: string, resources: string[], operations = WRITE) => [{ apiGroups: [apiGroup], apiVersions: ["v1"], resources, operations }];

/** The identities that bind claims to volumes (kube-controller-manager, with or without per-controller credentials). */
export const VOLUME_BINDERS = ["system:kube-controller-manager", "system:serviceaccount:kube-system:persistent-volume-binder"];

interface PolicyDefinition {
  name: string;
  /** Bound per plan, with the plan's allowances as params. */
  perPlan: boolean;
  spec: Omit<PolicySpec, "failurePolicy">;
}

function definitions(settings: Pick<StackSettings, "images" | "tenantRules">): PolicyDefinition[] {
  const params = { paramKind: { apiVersion: "v1", kind: "ConfigMap" } };
  const controlled = `has(object.metadata.annotations) ? object.metadata.annotations.filter(a, ${celStrings(CONTROLLER_ANNOTATION_PREFIXES)}.exists(p, a.startsWith(p))) : []`;
  const registries = celStrings(settings.images.registries);
  const outside = `!${registries}.exists(p, i.startsWith(p))`;
  return [
    {
      name: ADMISSION_POLICIES.serviceExposure,
      perPlan: true,
      spec: {
        ...params,
        matchConstraints: { resourceRules: rules("", ["services"]) },
        variables: [{ name: "controlled", expression: controlled }],
        validations: [
          { expression: "!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0", message: "spec.externalIPs is refused in tenant namespaces: it captures traffic to any address (CVE-2020-8554)", reason: "Forbidden" },
          { expression: "!has(object.spec.loadBalancerIP) || object.spec.loadBalancerIP == ''", message: "spec.loadBalancerIP is refused in tenant namespaces: an address is the platform's to assign, not a tenant's to claim", reason: "Forbidden" },
          { expression: "!has(object.spec.type) || object.spec.type != 'ExternalName'", message: "type ExternalName is refused in tenant namespaces: it aliases any DNS name, another tenant's or the hub's included", reason: "Forbidden" },
          {
            expression: `variables.controlled.all(a, ${inPlan("loadBalancerAnnotation", "a")})`,
            messageExpression: `'annotations of load-balancer or DNS controllers are not in plan ' + params.data['plan'] + ': ' + variables.controlled.filter(a, !(${inPlan("loadBalancerAnnotation", "a")})).join(', ')`,
            reason: "Forbidden",
          },
        ],
      },
    },
    {
      name: ADMISSION_POLICIES.podScheduling,
      perPlan: true,
      spec: {
        ...params,
        matchConstraints: { resourceRules: WORKLOADS },
        variables: [{ name: "spec", expression: POD_SPEC }],
        validations: [
          {
            expression: `!has(variables.spec.priorityClassName) || variables.spec.priorityClassName == '' || ${inPlan("priorityClass", "variables.spec.priorityClassName")}`,
            messageExpression: `'priorityClassName ' + variables.spec.priorityClassName + ' is not in plan ' + params.data['plan'] + ': a higher class preempts other tenants and the hub'`,
            reason: "Forbidden",
          },
          {
            // The scheduler binds through pods/binding, which this policy does not match; a pod's
            // later updates carry the node it was bound to.
            expression:
              "!has(variables.spec.nodeName) || variables.spec.nodeName == '' || (request.operation == 'UPDATE' && object.kind == 'Pod' && has(oldObject.spec.nodeName) && oldObject.spec.nodeName == object.spec.nodeName)",
            message: "spec.nodeName is refused in tenant namespaces: it bypasses the scheduler (taints, quotas of the node)",
            reason: "Forbidden",
          },
          {
            expression: `!has(variables.spec.tolerations) || variables.spec.tolerations.all(t, (${DEFAULT_TOLERATION}) || ${inPlan("toleration", TOLERATION_KEY)})`,
            messageExpression: `'tolerations outside plan ' + params.data['plan'] + ': ' + variables.spec.tolerations.filter(t, !((${DEFAULT_TOLERATION}) || ${inPlan("toleration", TOLERATION_KEY)})).map(t, ${TOLERATION_KEY}).join(', ')`,
            reason: "Forbidden",
          },
          {
            expression: `!has(variables.spec.nodeSelector) || variables.spec.nodeSelector.all(l, ${inPlan("nodeSelector", "l + '=' + variables.spec.nodeSelector[l]")})`,
            messageExpression: `'nodeSelector outside plan ' + params.data['plan'] + ': ' + variables.spec.nodeSelector.filter(l, !(${inPlan("nodeSelector", "l + '=' + variables.spec.nodeSelector[l]")})).map(l, l + '=' + variables.spec.nodeSelector[l]).join(', ')`,
            reason: "Forbidden",
          },
          { expression: "!has(variables.spec.affinity) || !has(variables.spec.affinity.nodeAffinity)", message: "node affinity is refused in tenant namespaces: select nodes with the nodeSelector labels the plan allows", reason: "Forbidden" },
        ],
      },
    },
    {
      name: ADMISSION_POLICIES.volumeClaims,
      perPlan: true,
      spec: {
        ...params,
        matchConstraints: { resourceRules: rules("", ["persistentvolumeclaims"]) },
        validations: [
          {
            // Claiming a volume by name binds an existing (maybe another tenant's, released) volume;
            // only the volume binder sets it, when it binds a claim it provisioned or matched.
            expression: `!has(object.spec.volumeName) || object.spec.volumeName == '' || (request.operation == 'UPDATE' && ((has(oldObject.spec.volumeName) && oldObject.spec.volumeName == object.spec.volumeName) || request.userInfo.username in ${celStrings(VOLUME_BINDERS)}))`,
            message: "spec.volumeName is refused in tenant namespaces: a claim gets a new volume of its class, never an existing one",
            reason: "Forbidden",
          },
          {
            // Checked when the claim is made (the class is immutable after); the DefaultStorageClass
            // admission plugin has already filled in the default class, if the cluster has one.
            expression: `request.operation != 'CREATE' || (has(object.spec.storageClassName) && ${inPlan("storageClass", "object.spec.storageClassName")})`,
            messageExpression: `'storageClassName ' + (has(object.spec.storageClassName) ? object.spec.storageClassName : '(none)') + ' is not in plan ' + params.data['plan'] + ': claims use the classes the plan buys (each has its own quota)'`,
            reason: "Forbidden",
          },
        ],
      },
    },
    {
      name: ADMISSION_POLICIES.images,
      perPlan: false,
      spec: {
        matchConstraints: { resourceRules: WORKLOADS },
        variables: [
          { name: "spec", expression: POD_SPEC },
          {
            name: "images",
            expression:
              "variables.spec.containers.map(c, has(c.image) ? c.image : '') + (has(variables.spec.initContainers) ? variables.spec.initContainers.map(c, has(c.image) ? c.image : '') : []) + (has(variables.spec.ephemeralContainers) ? variables.spec.ephemeralContainers.map(c, has(c.image) ? c.image : '') : [])",
          },
        ],
        validations: [
          {
            expression: `variables.images.all(i, !(${outside}))`,
            messageExpression: `'images outside the allowed registries (' + ${celStrings(settings.images.registries)}.join(', ') + '): ' + variables.images.filter(i, ${outside}).join(', ')`,
            reason: "Forbidden",
          },
          ...(settings.images.requireDigest
            ? [
                {
                  expression: "variables.images.all(i, i.matches('@sha256:[0-9a-f]{64}$'))",
                  messageExpression: "'images not pinned by digest (@sha256:…): ' + variables.images.filter(i, !i.matches('@sha256:[0-9a-f]{64}$')).join(', ')",
                  reason: "Forbidden",
                },
              ]
            : []),
        ],
      },
    },
    {
      name: ADMISSION_POLICIES.serviceAccountTokens,
      perPlan: false,
      spec: {
        matchConstraints: { resourceRules: rules("", ["secrets"]) },
        validations: [
          {
            expression: "!has(object.type) || object.type != 'kubernetes.io/service-account-token'",
            message: "Secrets of type kubernetes.io/service-account-token are refused in tenant namespaces: a token that never expires outlives every rotation (use projected tokens)",
            reason: "Forbidden",
          },
        ],
      },
    },
    {
      name: ADMISSION_POLICIES.disruptionBudgets,
      perPlan: false,
      spec: {
        matchConstraints: { resourceRules: rules("policy", ["poddisruptionbudgets"]) },
        validations: [
          { expression: "!has(object.spec.minAvailable)", message: "minAvailable is refused: it blocks every drain while the pods are no more than it; set maxUnavailable", reason: "Forbidden" },
          {
            expression: "has(object.spec.maxUnavailable) && (type(object.spec.maxUnavailable) == int ? object.spec.maxUnavailable >= 1 : object.spec.maxUnavailable.matches('^[1-9][0-9]*%$'))",
            message: "maxUnavailable must be at least 1 or a percentage above 0%: a budget of 0 blocks every node drain",
            reason: "Forbidden",
          },
          {
            expression: "has(object.spec.unhealthyPodEvictionPolicy) && object.spec.unhealthyPodEvictionPolicy == 'AlwaysAllow'",
            message: "unhealthyPodEvictionPolicy must be AlwaysAllow: pods that never become ready would otherwise block drains",
            reason: "Forbidden",
          },
        ],
      },
    },
    {
      name: ADMISSION_POLICIES.managedObjects,
      perPlan: false,
      spec: {
        matchConstraints: { resourceRules: [{ apiGroups: ["*"], apiVersions: ["*"], resources: ["*"], operations: ["CREATE", "UPDATE", "DELETE"] }] },
        matchConditions: [
          { name: "managed-by-this-program", expression: MANAGED_OBJECT },
          { name: "requested-by-a-tenant-user", expression: tenantUser(settings.tenantRules.groupPrefix) },
        ],
        validations: [
          {
            expression: "false",
            messageExpression: `request.resource.resource + ' ' + request.name + ' is declared by the tenancy program (${LABELS.managedBy}=pulumi): change the tenant file, not the cluster'`,
            reason: "Forbidden",
          },
        ],
      },
    },
  ];
}

/** A plan's allowances as params: `<kind>.<n>: <value>`, and `plan` for messages. */
export function admissionParams(planName: string, plan: Plan): Record<string, string> {
  const a = plan.kubernetes.admission;
  const data: Record<string, string> = { plan: planName };
  const list = (kind: string, values: readonly string[]) => [...values].sort().forEach((v, i) => (data[`${kind}.${i}`] = v));
  list("priorityClass", a.priorityClasses);
  list("storageClass", Object.keys(plan.kubernetes.storageClasses));
  list("loadBalancerAnnotation", a.loadBalancerAnnotations);
  list("toleration", a.tolerations.map((t) => `${t.key}|${t.operator}|${t.value ?? ""}|${t.effect}`));
  list("nodeSelector", Object.entries(a.nodeSelector).flatMap(([key, values]) => values.map((v) => `${key}=${v}`)));
  return data;
}

/** Every tenant namespace, or those of one plan (the plan label is the program's too). */
const tenantNamespaces = (plan?: string) => ({
  namespaceSelector: {
    matchExpressions: [{ key: LABELS.tenant, operator: "Exists" }],
    ...(plan !== undefined ? { matchLabels: { [LABELS.plan]: plan } } : {}),
  },
});

export function planAdmission(settings: Pick<StackSettings, "images" | "tenantRules" | "platformNamespace">, plans: Record<string, Plan>, name = "admission"): AdmissionPlan {
  const names = admissionResourceNames(name);
  const labels = managedLabels();
  const planNames = Object.keys(plans).sort();
  const policies: AdmissionPolicyPlan[] = [];
  const bindings: AdmissionBindingPlan[] = [];
  for (const def of definitions(settings)) {
    // Fail closed: a policy that cannot be evaluated refuses, it never lets the request through.
    policies.push({ logicalName: names.policy(def.name), name: def.name, labels, spec: { failurePolicy: "Fail", ...def.spec } });
    for (const plan of def.perPlan ? planNames : [undefined]) {
      const binding = admissionBindingName(def.name, plan);
      bindings.push({
        logicalName: names.binding(binding),
        name: binding,
        labels,
        spec: {
          policyName: def.name,
          validationActions: ["Deny"],
          matchResources: tenantNamespaces(plan),
          // A plan's params missing (deleted by hand) refuses, like every other failure.
          ...(plan !== undefined ? { paramRef: { name: admissionParamsName(plan), namespace: settings.platformNamespace, parameterNotFoundAction: "Deny" } } : {}),
        },
      });
    }
  }
  const params = planNames.map((plan) => ({
    logicalName: names.params(plan),
    name: admissionParamsName(plan),
    namespace: settings.platformNamespace,
    labels: componentLabels(undefined, "admission"),
    data: admissionParams(plan, plans[plan]),
  }));
  return { name, policies, bindings, params };
}
