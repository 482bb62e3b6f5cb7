/**
 * The admission oracle on Kubernetes' own examples (the ValidatingAdmissionPolicy documentation:
 * demo-policy.example.com, replica-limit params, match conditions) and on the rules of the
 * procedure: which requests a policy applies to, params not found, match conditions, lazy
 * variables, failure policy, messages. If the oracle got the server's semantics wrong, these fail.
 */
import { describe, expect, it } from "vitest";
import { admit, checkExpression, type AdmissionRequest, type Binding, type Cluster, type Policy } from "./admission";

const deployment = (replicas: number, namespace = "test") => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace, labels: { app: "web" } }, spec: { replicas } });
const request = (object: Record<string, any> | null, over: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
  operation: "CREATE",
  resource: { group: "apps", version: "v1", resource: "deployments" },
  kind: { group: "apps", version: "v1", kind: "Deployment" },
  name: "web",
  namespace: object?.metadata?.namespace ?? "test",
  userInfo: { username: "alice", groups: ["dev"] },
  object,
  oldObject: null,
  ...over,
});
const cluster: Cluster = {
  namespaces: { test: { metadata: { name: "test", labels: { environment: "test" } } }, prod: { metadata: { name: "prod", labels: { environment: "prod" } } } },
  params: { "default/replica-limit-test.example.com": { apiVersion: "rules.example.com/v1", kind: "ReplicaLimit", metadata: { name: "replica-limit-test.example.com" }, maxReplicas: 3 } },
};

// From the Kubernetes documentation (Validating Admission Policy, "Getting Started").
const demo: Policy = {
  metadata: { name: "demo-policy.example.com" },
  spec: {
    failurePolicy: "Fail",
    matchConstraints: { resourceRules: [{ apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["deployments"] }] },
    validations: [{ expression: "object.spec.replicas <= 5" }],
  },
};
const demoBinding: Binding = {
  metadata: { name: "demo-binding-test.example.com" },
  spec: { policyName: "demo-policy.example.com", validationActions: ["Deny"], matchResources: { namespaceSelector: { matchLabels: { environment: "test" } } } },
};

describe("the documentation's demo policy", () => {
  it("refuses 6 replicas in a namespace labelled environment=test, with the default message", () => {
    expect(admit(demo, [demoBinding], request(deployment(6)), cluster)).toEqual({ allowed: false, message: "failed expression: object.spec.replicas <= 5", policy: "demo-policy.example.com", binding: "demo-binding-test.example.com", validation: 0 });
  });
  it("admits 5 replicas, and 6 outside the selected namespaces or for other resources", () => {
    expect(admit(demo, [demoBinding], request(deployment(5)), cluster)).toEqual({ allowed: true, applied: true });
    expect(admit(demo, [demoBinding], request(deployment(6, "prod")), cluster)).toEqual({ allowed: true, applied: false });
    expect(admit(demo, [demoBinding], request(deployment(6), { operation: "DELETE", object: null, oldObject: deployment(6) }), cluster)).toEqual({ allowed: true, applied: false });
    expect(admit(demo, [demoBinding], request(deployment(6), { resource: { group: "apps", version: "v1", resource: "deployments" }, subResource: "scale" }), cluster)).toEqual({ allowed: true, applied: false });
  });
});

describe("params", () => {
  const limited: Policy = { ...demo, spec: { ...demo.spec, paramKind: { apiVersion: "rules.example.com/v1", kind: "ReplicaLimit" }, validations: [{ expression: "object.spec.replicas <= params.maxReplicas", messageExpression: "'object.spec.replicas must be no greater than ' + string(params.maxReplicas)", reason: "Invalid" }] } };
  const bind = (name: string, action?: "Allow" | "Deny"): Binding => ({ metadata: { name: "replicalimit-binding-test.example.com" }, spec: { policyName: demo.metadata.name, validationActions: ["Deny"], paramRef: { name, namespace: "default", parameterNotFoundAction: action } } });
  it("the documentation's replica limit: 4 refused with the message expression, 3 admitted", () => {
    expect(admit(limited, [bind("replica-limit-test.example.com")], request(deployment(4)), cluster)).toMatchObject({ allowed: false, message: "object.spec.replicas must be no greater than 3" });
    expect(admit(limited, [bind("replica-limit-test.example.com")], request(deployment(3)), cluster)).toEqual({ allowed: true, applied: true });
  });
  it("params not found: Deny refuses, Allow skips", () => {
    expect(admit(limited, [bind("missing", "Deny")], request(deployment(1)), cluster)).toMatchObject({ allowed: false, message: "no params found for policy binding with `Deny` parameterNotFoundAction" });
    expect(admit(limited, [bind("missing", "Allow")], request(deployment(9)), cluster)).toEqual({ allowed: true, applied: false });
  });
});

describe("match conditions, variables, failure policy", () => {
  const withConditions = (conditions: { name: string; expression: string }[], failurePolicy: "Fail" | "Ignore" = "Fail"): Policy => ({ ...demo, spec: { ...demo.spec, failurePolicy, matchConditions: conditions } });
  const all: Binding = { metadata: { name: "all" }, spec: { policyName: demo.metadata.name, validationActions: ["Deny"] } };
  it("a false condition (the documentation's 'exclude-leases' and 'exclude-kubelet-requests') skips the policy", () => {
    const conditions = [
      { name: "exclude-leases", expression: "!(request.resource.group == 'coordination.k8s.io' && request.resource.resource == 'leases')" },
      { name: "exclude-kubelet-requests", expression: "!('system:nodes' in request.userInfo.groups)" },
    ];
    expect(admit(withConditions(conditions), [all], request(deployment(9), { userInfo: { username: "system:node:n1", groups: ["system:nodes"] } }), cluster)).toEqual({ allowed: true, applied: false });
    expect(admit(withConditions(conditions), [all], request(deployment(9)), cluster)).toMatchObject({ allowed: false });
  });
  it("an error in a condition refuses under Fail and skips under Ignore", () => {
    const broken = [{ name: "broken", expression: "object.spec.missing == 1" }];
    expect(admit(withConditions(broken), [all], request(deployment(1)), cluster)).toMatchObject({ allowed: false, message: expect.stringContaining("matchCondition broken") });
    expect(admit(withConditions(broken, "Ignore"), [all], request(deployment(9)), cluster)).toEqual({ allowed: true, applied: false });
  });
  it("a variable that fails only matters to the expressions that read it (lazy, as the server evaluates them)", () => {
    const policy: Policy = { ...demo, spec: { ...demo.spec, variables: [{ name: "bad", expression: "object.spec.missing" }, { name: "replicas", expression: "object.spec.replicas" }], validations: [{ expression: "variables.replicas <= 5" }] } };
    expect(admit(policy, [all], request(deployment(3)), cluster)).toEqual({ allowed: true, applied: true });
    const reading: Policy = { ...policy, spec: { ...policy.spec, validations: [{ expression: "variables.bad == 1" }] } };
    expect(admit(reading, [all], request(deployment(3)), cluster)).toMatchObject({ allowed: false, message: expect.stringContaining("variables.bad") });
  });
  it("a non-boolean validation is an error, and an expression that fails to compile is one too", () => {
    const policy: Policy = { ...demo, spec: { ...demo.spec, validations: [{ expression: "object.spec.replicas" }] } };
    expect(admit(policy, [all], request(deployment(3)), cluster)).toMatchObject({ allowed: false, message: expect.stringContaining("must evaluate to bool") });
    expect(checkExpression("object.spec.replicas <=")).toMatch(/does not parse/);
    expect(checkExpression("self.spec.replicas <= 5")).toBe("reads self, which is no variable of a ValidatingAdmissionPolicy");
    expect(checkExpression("object.spec.x in [1, 'a']")).toMatch(/mixed types/);
    expect(checkExpression("object.spec.list.all(x, x in ['a', 'b']) && type(object.spec.y) == int")).toBeUndefined();
  });
  it("JSON integers are CEL ints: int-or-string fields tell a number from a percentage", () => {
    const policy: Policy = { ...demo, spec: { ...demo.spec, validations: [{ expression: "type(object.spec.replicas) == int" }] } };
    expect(admit(policy, [all], request(deployment(3)), cluster)).toEqual({ allowed: true, applied: true });
  });
  it("ext.Strings (the server's since 1.29) is there: join, split", () => {
    const policy: Policy = { ...demo, spec: { ...demo.spec, validations: [{ expression: "['a', 'b'].join('-') == 'a-b' && 'x/y'.split('/').size() == 2" }] } };
    expect(admit(policy, [all], request(deployment(3)), cluster)).toEqual({ allowed: true, applied: true });
  });
});
