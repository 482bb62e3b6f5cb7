/**
 * The admission policies as rendered, evaluated by the admission oracle (the API server's
 * procedure, CEL by @bufbuild/cel) on objects that must pass and objects that must be refused, in
 * the example tenants' namespaces with the rendered namespaces, bindings and params. Each refusal
 * is checked for the rule that fired (its message), so a policy cannot pass a case by failing for
 * another reason; and everything the program itself puts in tenant namespaces passes them all.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { admit, checkExpression, selectorMatches, type AdmissionRequest, type Binding, type Cluster, type Policy } from "../oracles/admission";
import { EXAMPLES_DIR, PLANS_FILE, ofKind, renderExamples } from "../support/fixtures";
import type { RenderedManifest } from "../../engine/render";

let manifests: RenderedManifest[];
let policies: Policy[];
let bindings: Binding[];
let cluster: Cluster;

beforeAll(async () => {
  ({ manifests } = await renderExamples());
  policies = ofKind(manifests, "ValidatingAdmissionPolicy") as Policy[];
  bindings = ofKind(manifests, "ValidatingAdmissionPolicyBinding") as Binding[];
  const params = ofKind(manifests, "ConfigMap").filter((c) => c.metadata.name.startsWith("tenancy-admission-"));
  cluster = {
    namespaces: Object.fromEntries(ofKind(manifests, "Namespace").map((n) => [n.metadata.name, n])),
    params: Object.fromEntries(params.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p])),
  };
}, 120_000);

const RESOURCES: Record<string, [string, string]> = {
  Pod: ["", "pods"],
  Service: ["", "services"],
  Secret: ["", "secrets"],
  ConfigMap: ["", "configmaps"],
  PersistentVolumeClaim: ["", "persistentvolumeclaims"],
  Deployment: ["apps", "deployments"],
  CronJob: ["batch", "cronjobs"],
  PodDisruptionBudget: ["policy", "poddisruptionbudgets"],
  NetworkPolicy: ["networking.k8s.io", "networkpolicies"],
};

const ADMIN = { username: "alice@acme", groups: ["acme-corp:platform-admins", "system:authenticated"] };
const DEPLOYER = { username: "system:serviceaccount:platform:pulumi-deployer", groups: ["system:serviceaccounts", "system:authenticated"] };

function req(object: any, over: Partial<AdmissionRequest> = {}): AdmissionRequest {
  const o = object ?? over.oldObject;
  const [group, resource] = RESOURCES[o.kind];
  return {
    operation: "CREATE",
    resource: { group, version: "v1", resource },
    kind: { group, version: "v1", kind: o.kind },
    name: o.metadata.name,
    namespace: o.metadata.namespace,
    userInfo: ADMIN,
    object,
    oldObject: null,
    ...over,
  };
}

/** Which validation of which policy refused something, over the whole file. */
const fired = new Set<string>();

/** Every rendered policy, in order; the first refusal wins (the API server refuses on any). */
function decide(r: AdmissionRequest, c: Cluster = cluster) {
  for (const p of policies) {
    const d = admit(p, bindings, r, c);
    if (!d.allowed) {
      if (d.validation !== undefined) fired.add(`${d.policy}#${d.validation}`);
      // Checked as the server reports it, without the oracle's bookkeeping.
      const { validation: _validation, ...reported } = d;
      return reported;
    }
  }
  return { allowed: true as const };
}

const refusedBy = (policy: string, says: string) => expect.objectContaining({ allowed: false, policy, message: expect.stringContaining(says) });
const ALLOWED = { allowed: true };

/** The cluster with extra allowances in a plan's params (what a plan listing them renders). */
const allowing = (plan: string, data: Record<string, string>): Cluster => {
  const key = `platform/tenancy-admission-${plan}`;
  return { ...cluster, params: { ...cluster.params, [key]: { ...cluster.params[key], data: { ...(cluster.params[key].data as object), ...data } } } };
};

const NS = "tenant-acme-corp";
const pod = (spec: Record<string, unknown> = {}, ns = NS) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "app", namespace: ns },
  spec: { containers: [{ name: "app", image: "ghcr.io/carverauto/serviceradar-web:1.0.0" }], ...spec },
});
const service = (spec: Record<string, unknown> = {}, annotations?: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: NS, ...(annotations ? { annotations } : {}) },
  spec: { ports: [{ port: 80 }], ...spec },
});
const claim = (spec: Record<string, unknown>) => ({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "data", namespace: NS }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, ...spec } });
const budget = (spec: Record<string, unknown>) => ({ apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "web", namespace: NS }, spec: { selector: { matchLabels: { app: "web" } }, ...spec } });

describe("the rendered policies", () => {
  it("are seven, fail closed, and every expression compiles in the server's environment", () => {
    expect(policies.map((p) => p.metadata.name).sort()).toEqual([
      "tenancy-disruption-budgets",
      "tenancy-images",
      "tenancy-managed-objects",
      "tenancy-pod-scheduling",
      "tenancy-service-account-tokens",
      "tenancy-service-exposure",
      "tenancy-volume-claims",
    ]);
    const expressions = policies.flatMap((p) => [
      ...(p.spec.matchConditions ?? []).map((c) => c.expression),
      ...(p.spec.variables ?? []).map((v) => v.expression),
      ...(p.spec.validations ?? []).flatMap((v) => [v.expression, ...(v.messageExpression ? [v.messageExpression] : [])]),
    ]);
    expect(expressions.length).toBeGreaterThanOrEqual(30);
    for (const e of expressions) expect(checkExpression(e), e).toBeUndefined();
    expect(policies.every((p) => p.spec.failurePolicy === "Fail")).toBe(true);
  });

  it("are bound to tenant namespaces only: per plan with the plan's params, or once for all", () => {
    expect(bindings.every((b) => b.spec.validationActions.join() === "Deny")).toBe(true);
    expect(bindings.every((b) => b.spec.matchResources?.namespaceSelector?.matchExpressions?.some((e) => e.key === "tenancy.serviceradar.io/tenant" && e.operator === "Exists"))).toBe(true);
    expect(bindings.filter((b) => b.spec.paramRef).map((b) => b.metadata.name).length).toBe(3 * 4);
    expect(decide(req(pod({ nodeName: "node-1" }, "platform")))).toEqual(ALLOWED);
  });
});

describe("Services: no external IPs, load-balancer IPs, ExternalName or controller annotations the plan does not allow", () => {
  it.each([
    ["externalIPs (CVE-2020-8554)", service({ externalIPs: ["203.0.113.7"] }), "spec.externalIPs is refused"],
    ["loadBalancerIP", service({ type: "LoadBalancer", loadBalancerIP: "203.0.113.8" }), "spec.loadBalancerIP is refused"],
    ["ExternalName", service({ type: "ExternalName", externalName: "nats.platform.svc.cluster.local" }), "type ExternalName is refused"],
    ["an external-dns hostname", service({}, { "external-dns.alpha.kubernetes.io/hostname": "nats.example.com" }), "not in plan pro: external-dns.alpha.kubernetes.io/hostname"],
    ["a MetalLB address pool", service({ type: "LoadBalancer" }, { "metallb.universe.tf/loadBalancerIPs": "203.0.113.9" }), "metallb.universe.tf/loadBalancerIPs"],
  ])("refuses %s", (_what, object, says) => {
    expect(decide(req(object))).toEqual(refusedBy("tenancy-service-exposure", says));
  });

  it("admits a plain Service, a LoadBalancer without claims, other annotations, and an annotation the plan lists", () => {
    expect(decide(req(service()))).toEqual(ALLOWED);
    expect(decide(req(service({ type: "LoadBalancer" }, { "prometheus.io/scrape": "true" })))).toEqual(ALLOWED);
    const annotated = service({ type: "LoadBalancer" }, { "service.beta.kubernetes.io/aws-load-balancer-internal": "true" });
    expect(decide(req(annotated))).toEqual(refusedBy("tenancy-service-exposure", "aws-load-balancer-internal"));
    expect(decide(req(annotated), allowing("pro", { "loadBalancerAnnotation.0": "service.beta.kubernetes.io/aws-load-balancer-internal" }))).toEqual(ALLOWED);
  });
});

describe("Pods and workloads: priority class, node, tolerations and node selectors within the plan", () => {
  it("admits a plain pod, one with the tolerations Kubernetes adds itself, and a pod updated on its node", () => {
    expect(decide(req(pod()))).toEqual(ALLOWED);
    const tolerations = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"].map((key) => ({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }));
    expect(decide(req(pod({ tolerations })))).toEqual(ALLOWED);
    const bound = pod({ nodeName: "node-1" });
    expect(decide(req(bound, { operation: "UPDATE", oldObject: bound }))).toEqual(ALLOWED);
  });

  it.each([
    ["system-node-critical", pod({ priorityClassName: "system-node-critical" }), "priorityClassName system-node-critical is not in plan pro"],
    // The plan's params list its storage class under another kind: never a priority class.
    ["a class named like an allowance of another kind", pod({ priorityClassName: "standard" }), "priorityClassName standard is not in plan pro"],
    ["a node name", pod({ nodeName: "hub-node-1" }), "spec.nodeName is refused"],
    ["a toleration of a dedicated taint", pod({ tolerations: [{ key: "dedicated", operator: "Equal", value: "platform", effect: "NoSchedule" }] }), "tolerations outside plan pro: dedicated|Equal|platform|NoSchedule"],
    ["a toleration of every taint", pod({ tolerations: [{ operator: "Exists" }] }), "tolerations outside plan pro: |Exists||"],
    ["a node selector", pod({ nodeSelector: { "node-role.kubernetes.io/control-plane": "" } }), "nodeSelector outside plan pro: node-role.kubernetes.io/control-plane="],
    ["node affinity", pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "pool", operator: "In", values: ["hub"] }] }] } } } }), "node affinity is refused"],
  ])("refuses %s", (_what, object, says) => {
    expect(decide(req(object))).toEqual(refusedBy("tenancy-pod-scheduling", says));
  });

  it("reads the pod template of a Deployment and the job template of a CronJob", () => {
    const template = { metadata: {}, spec: { priorityClassName: "system-cluster-critical", containers: [{ name: "a", image: "nats:2.10" }] } };
    const deployment = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", namespace: NS }, spec: { selector: {}, template } };
    const cronJob = { apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "c", namespace: NS }, spec: { schedule: "* * * * *", jobTemplate: { spec: { template } } } };
    expect(decide(req(deployment))).toEqual(refusedBy("tenancy-pod-scheduling", "system-cluster-critical"));
    expect(decide(req(cronJob))).toEqual(refusedBy("tenancy-pod-scheduling", "system-cluster-critical"));
  });

  it("admits what the plan lists: a priority class, a toleration, a node selector", () => {
    const plan = allowing("pro", { "priorityClass.0": "tenant-high", "toleration.0": "dedicated|Equal|tenants|NoSchedule", "nodeSelector.0": "pool=tenants" });
    const p = pod({ priorityClassName: "tenant-high", tolerations: [{ key: "dedicated", operator: "Equal", value: "tenants", effect: "NoSchedule" }], nodeSelector: { pool: "tenants" } });
    expect(decide(req(p))).toEqual(refusedBy("tenancy-pod-scheduling", "tenant-high"));
    expect(decide(req(p), plan)).toEqual(ALLOWED);
  });
});

/**
 * The scoped ResourceQuota `PriorityClass Exists, NotIn <plan's>` with `pods: 0` that every tenant
 * namespace of the platform cluster had is gone (issue 14's diet): this policy must refuse exactly
 * the pods it refused. The quota's rule, from Kubernetes' pod evaluator
 * (pkg/quota/v1/evaluator/core/pods.go podMatchesScopeFunc): `Exists` matches a pod whose
 * spec.priorityClassName is not empty, `NotIn` one whose class is not among the values, and a pod
 * matching every requirement of a quota at `pods: 0` is refused. The classes come from the plan file.
 */
describe("priority classes: the pod-scheduling policy refuses what the deleted scoped quota did", () => {
  const planFile = parse(readFileSync(PLANS_FILE, "utf8")) as { plans: Record<string, { kubernetes: { admission: { priorityClasses: string[] } } }> };
  const tenantPlan = (slug: string) => (parse(readFileSync(path.join(EXAMPLES_DIR, `${slug}.yaml`), "utf8")) as { plan: string }).plan;
  const quotaRefuses = (cls: string, allowed: readonly string[]) => cls !== "" && !allowed.includes(cls);
  /** A pod as the ReplicaSet controller creates it for a Deployment (the VAP sees that create too). */
  const controllerPod = (cls: string, ns: string) => {
    const p = pod(cls === "" ? {} : { priorityClassName: cls }, ns);
    return { ...p, metadata: { ...p.metadata, name: "web-7d4b9c-x2x9z", ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-7d4b9c", controller: true }] } };
  };
  const REPLICASET_CONTROLLER = { username: "system:serviceaccount:kube-system:replicaset-controller", groups: ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"] };
  const CLASSES = ["", "system-node-critical", "system-cluster-critical", "tenant-high", "standard", "platform-hub"];

  it("every tenant namespace is under exactly one pod-scheduling binding, with its tenant's plan's params", () => {
    const tenantNamespaces = Object.values(cluster.namespaces).filter((n) => n.metadata.labels?.["tenancy.serviceradar.io/tenant"]);
    expect(tenantNamespaces.length).toBe(14);
    for (const ns of tenantNamespaces) {
      const plan = tenantPlan(ns.metadata.labels!["tenancy.serviceradar.io/tenant"]);
      const labels = { ...ns.metadata.labels, "kubernetes.io/metadata.name": ns.metadata.name };
      const mine = bindings.filter((b) => b.spec.policyName === "tenancy-pod-scheduling" && selectorMatches(b.spec.matchResources?.namespaceSelector, labels));
      expect(mine.map((b) => b.spec.paramRef), ns.metadata.name).toEqual([{ name: `tenancy-admission-${plan}`, namespace: "platform", parameterNotFoundAction: "Deny" }]);
    }
    // No scoped quota is left to do it in the platform cluster.
    expect(ofKind(manifests, "ResourceQuota").filter((q) => q.spec?.scopeSelector)).toEqual([]);
  });

  it("refuses, for every tenant namespace, the pods of a class the quota refused (a user's and the ReplicaSet controller's), and admits the others", () => {
    let refused = 0;
    let admitted = 0;
    for (const ns of Object.values(cluster.namespaces).filter((n) => n.metadata.labels?.["tenancy.serviceradar.io/tenant"])) {
      const plan = tenantPlan(ns.metadata.labels!["tenancy.serviceradar.io/tenant"]);
      // The plan as the file has it, and the plan listing a class of its own (what its params render).
      const variants: [readonly string[], Cluster][] = [
        [planFile.plans[plan].kubernetes.admission.priorityClasses, cluster],
        [[...planFile.plans[plan].kubernetes.admission.priorityClasses, "tenant-high"], allowing(plan, { "priorityClass.0": "tenant-high" })],
      ];
      for (const [allowed, c] of variants) {
        for (const cls of CLASSES) {
          for (const [object, userInfo] of [[pod(cls === "" ? {} : { priorityClassName: cls }, ns.metadata.name), ADMIN], [controllerPod(cls, ns.metadata.name), REPLICASET_CONTROLLER]] as const) {
            const d = decide(req(object, { userInfo }), c);
            const what = `${ns.metadata.name} ${cls || "(no class)"} by ${userInfo.username}`;
            if (quotaRefuses(cls, allowed)) {
              expect(d, what).toEqual(refusedBy("tenancy-pod-scheduling", `priorityClassName ${cls} is not in plan ${plan}`));
              refused++;
            } else {
              expect(d, what).toEqual(ALLOWED);
              admitted++;
            }
          }
        }
      }
    }
    expect([refused, admitted]).toEqual([14 * 2 * (5 + 4), 14 * 2 * (1 + 2)]);
  });
});

describe("PersistentVolumeClaims: a class of the plan, never an existing volume", () => {
  it("admits a claim of the plan's class (pro: standard), and the volume binder binding it", () => {
    expect(decide(req(claim({ storageClassName: "standard" })))).toEqual(ALLOWED);
    const before = claim({ storageClassName: "standard" });
    const after = claim({ storageClassName: "standard", volumeName: "pvc-1234" });
    expect(decide(req(after, { operation: "UPDATE", oldObject: before, userInfo: { username: "system:kube-controller-manager" } }))).toEqual(ALLOWED);
  });

  it.each([
    ["a class outside the plan", claim({ storageClassName: "retain-fast" }), "storageClassName retain-fast is not in plan pro"],
    ["no class (binds any class-less volume)", claim({}), "storageClassName (none) is not in plan pro"],
    ["an existing volume by name", claim({ storageClassName: "standard", volumeName: "pv-of-globex" }), "spec.volumeName is refused"],
  ])("refuses %s", (_what, object, says) => {
    expect(decide(req(object))).toEqual(refusedBy("tenancy-volume-claims", says));
  });

  it("refuses a tenant setting the volume of a pending claim afterwards", () => {
    const before = claim({ storageClassName: "standard" });
    expect(decide(req(claim({ storageClassName: "standard", volumeName: "pv-of-globex" }), { operation: "UPDATE", oldObject: before }))).toEqual(refusedBy("tenancy-volume-claims", "spec.volumeName is refused"));
  });
});

describe("images from the stack's registries only", () => {
  it("refuses an image elsewhere, in a container, an init container or an ephemeral container", () => {
    expect(decide(req(pod({ containers: [{ name: "m", image: "docker.io/evil/miner:latest" }] })))).toEqual(refusedBy("tenancy-images", "docker.io/evil/miner:latest"));
    expect(decide(req(pod({ initContainers: [{ name: "i", image: "quay.io/x/y:1" }] })))).toEqual(refusedBy("tenancy-images", "quay.io/x/y:1"));
    const debugged = pod({ ephemeralContainers: [{ name: "debug", image: "busybox" }] });
    expect(decide(req(debugged, { operation: "UPDATE", oldObject: pod(), subResource: "ephemeralcontainers" }))).toEqual(refusedBy("tenancy-images", "busybox"));
  });

  it("admits the allowed registries (ghcr.io/carverauto/, nats:)", () => {
    expect(decide(req(pod({ containers: [{ name: "a", image: "ghcr.io/carverauto/serviceradar-trapd:1.0.0" }, { name: "b", image: "nats:2.10.29-alpine" }] })))).toEqual(ALLOWED);
  });
});

describe("Secrets, disruption budgets", () => {
  it("refuses a service-account token Secret, admits an opaque one", () => {
    const secret = (type: string) => ({ apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: NS, annotations: { "kubernetes.io/service-account.name": "default" } }, type });
    expect(decide(req(secret("kubernetes.io/service-account-token")))).toEqual(refusedBy("tenancy-service-account-tokens", "kubernetes.io/service-account-token are refused"));
    expect(decide(req(secret("Opaque")))).toEqual(ALLOWED);
  });

  it.each([
    ["minAvailable", budget({ minAvailable: 2, unhealthyPodEvictionPolicy: "AlwaysAllow" }), "minAvailable is refused"],
    ["maxUnavailable 0", budget({ maxUnavailable: 0, unhealthyPodEvictionPolicy: "AlwaysAllow" }), "maxUnavailable must be at least 1"],
    ["maxUnavailable 0%", budget({ maxUnavailable: "0%", unhealthyPodEvictionPolicy: "AlwaysAllow" }), "maxUnavailable must be at least 1"],
    ["unhealthy pods guarded", budget({ maxUnavailable: 1 }), "unhealthyPodEvictionPolicy must be AlwaysAllow"],
  ])("refuses a budget with %s", (_what, object, says) => {
    expect(decide(req(object))).toEqual(refusedBy("tenancy-disruption-budgets", says));
  });

  it("admits a budget that lets drains through (1, or 25%)", () => {
    expect(decide(req(budget({ maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow" })))).toEqual(ALLOWED);
    expect(decide(req(budget({ maxUnavailable: "25%", unhealthyPodEvictionPolicy: "AlwaysAllow" })))).toEqual(ALLOWED);
  });
});

describe("what the program manages, no tenant user changes", () => {
  const rendered = (kind: string, ns: string, name: string) => structuredClone(ofKind(manifests, kind).find((o) => o.metadata.namespace === ns && o.metadata.name === name)!);

  it("refuses a tenant admin editing the published CA, deleting the default deny, or forging the labels", () => {
    const ca = rendered("ConfigMap", NS, "tenant-ca");
    const edited = { ...ca, data: { "ca.crt": "not the CA" } };
    expect(decide(req(edited, { operation: "UPDATE", oldObject: ca }))).toEqual(refusedBy("tenancy-managed-objects", "configmaps tenant-ca is declared by the tenancy program"));
    const deny = rendered("NetworkPolicy", NS, "tenant-isolation");
    expect(decide(req(null, { operation: "DELETE", oldObject: deny }))).toEqual(refusedBy("tenancy-managed-objects", "networkpolicies tenant-isolation"));
    const forged = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "fake", namespace: NS, labels: ca.metadata.labels }, data: {} };
    expect(decide(req(forged))).toEqual(refusedBy("tenancy-managed-objects", "configmaps fake"));
  });

  it("refuses the namespace's own service accounts too, and a group of the tenant's from an organization namespace", () => {
    const ca = rendered("ConfigMap", NS, "tenant-ca");
    expect(decide(req({ ...ca, data: {} }, { operation: "UPDATE", oldObject: ca, userInfo: { username: `system:serviceaccount:${NS}:default`, groups: ["system:serviceaccounts"] } }))).toEqual(
      refusedBy("tenancy-managed-objects", "tenant-ca"),
    );
    const np = rendered("NetworkPolicy", "tenant-acme-corp-org-netops", "tenant-isolation");
    expect(decide(req(null, { operation: "DELETE", oldObject: np, userInfo: { username: "bob", groups: ["acme-corp:netops-leads"] } }))).toEqual(refusedBy("tenancy-managed-objects", "tenant-isolation"));
  });

  it("admits the deployer, another tenant's people are not this one's (RBAC stops them), and the tenant's own objects", () => {
    const ca = rendered("ConfigMap", NS, "tenant-ca");
    expect(decide(req({ ...ca, data: {} }, { operation: "UPDATE", oldObject: ca, userInfo: DEPLOYER }))).toEqual(ALLOWED);
    const own = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "app-config", namespace: NS }, data: { a: "b" } };
    expect(decide(req(own))).toEqual(ALLOWED);
    expect(decide(req(own, { operation: "UPDATE", oldObject: own }))).toEqual(ALLOWED);
  });
});

describe("fail closed, and what the program itself declares passes", () => {
  it("a plan's params deleted by hand refuses every request its policies see in that plan's namespaces", () => {
    const without: Cluster = { ...cluster, params: Object.fromEntries(Object.entries(cluster.params).filter(([k]) => !k.endsWith("tenancy-admission-pro"))) };
    expect(decide(req(service()), without)).toEqual(expect.objectContaining({ allowed: false, message: expect.stringContaining("no params found") }));
    // initech is on free, whose params are there.
    expect(decide(req({ ...service(), metadata: { name: "web", namespace: "tenant-initech" } }), without)).toEqual(ALLOWED);
  });

  it("every object the program puts in a tenant namespace of the platform cluster is admitted, created by the deployer", () => {
    const tenantNamespaces = new Set(ofKind(manifests, "Namespace").filter((n) => n.metadata.labels?.["tenancy.serviceradar.io/tenant"]).map((n) => n.metadata.name));
    const inTenant = manifests.filter((m) => !m.file.startsWith("clusters/") && tenantNamespaces.has(m.object.metadata?.namespace) && RESOURCES[m.object.kind]);
    expect(inTenant.filter((m) => m.object.kind === "Deployment").length).toBeGreaterThanOrEqual(8);
    for (const m of inTenant) expect(decide(req(m.object, { userInfo: DEPLOYER })), m.file).toEqual(ALLOWED);
    // And the edge's pods, as their ReplicaSets create them.
    for (const d of inTenant.filter((m) => m.object.kind === "Deployment")) {
      const p = { apiVersion: "v1", kind: "Pod", metadata: { ...d.object.spec.template.metadata, name: `${d.object.metadata.name}-x`, namespace: d.object.metadata.namespace }, spec: d.object.spec.template.spec };
      expect(decide(req(p, { userInfo: { username: "system:serviceaccount:kube-system:replicaset-controller", groups: ["system:serviceaccounts"] } })), d.file).toEqual(ALLOWED);
    }
  });
});

describe("coverage", () => {
  it("every validation of every rendered policy refused at least one object above", () => {
    const all = policies.flatMap((p) => (p.spec.validations ?? []).map((_, i) => `${p.metadata.name}#${i}`));
    expect(all.length).toBe(17);
    expect(all.filter((v) => !fired.has(v))).toEqual([]);
  });
});

describe("with tenancy:imageRequireDigest", () => {
  it("the images policy also refuses an image not pinned by digest, and admits a pinned one", async () => {
    const { planAdmission } = await import("../../plan/admission");
    const { readSettings } = await import("../../config/settings");
    const fs = await import("node:fs");
    const { validatePlans } = await import("../../model/plans");
    const { PLANS_FILE } = await import("../support/fixtures");
    const settings = readSettings((key) => ({ imageRequireDigest: true, clusterPodCidrs: ["10.244.0.0/16"] } as Record<string, unknown>)[key]);
    const plan = planAdmission(settings, validatePlans({ file: "plans/plans.yaml", text: fs.readFileSync(PLANS_FILE, "utf8") }, [])!);
    const images = plan.policies.find((p) => p.name === "tenancy-images")!;
    const policy = { metadata: { name: images.name }, spec: images.spec } as unknown as Policy;
    const binding = plan.bindings.filter((b) => b.spec.policyName === images.name).map((b) => ({ metadata: { name: b.name }, spec: b.spec }) as unknown as Binding);
    expect(images.spec.validations).toHaveLength(2);
    for (const v of (images.spec.validations ?? []) as { expression: string }[]) expect(checkExpression(v.expression)).toBeUndefined();
    const unpinned = admit(policy, binding, req(pod({ containers: [{ name: "a", image: "ghcr.io/carverauto/serviceradar-trapd:1.0.0" }] })), cluster);
    expect(unpinned).toMatchObject({ allowed: false, validation: 1, message: "images not pinned by digest (@sha256:…): ghcr.io/carverauto/serviceradar-trapd:1.0.0" });
    const pinned = admit(policy, binding, req(pod({ containers: [{ name: "a", image: `ghcr.io/carverauto/serviceradar-trapd@sha256:${"0".repeat(64)}` }] })), cluster);
    expect(pinned).toEqual({ allowed: true, applied: true });
  });
});
