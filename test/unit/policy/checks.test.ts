/** The pack's own helpers (policy/checks/): label selectors with Kubernetes semantics, secrets in wire form, nkey public keys, account pushes. */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import * as checks from "../../../policy/checks";
import { UNLIMITED_NO_JETSTREAM, accountJwt } from "../../../lib/nats/claims";
import { nkeyFromRaw, publicOf } from "../../../lib/nats/nkeys";
import { secret } from "../../support/policy-harness";

const key = (kind: "operator" | "account" | "user") => nkeyFromRaw(kind, randomBytes(32));

describe("checks: label selectors (Kubernetes semantics)", () => {
  const labelsOf = { a: "1", b: "2" };
  it.each([
    [{}, true],
    [{ matchLabels: { a: "1" } }, true],
    [{ matchLabels: { a: "2" } }, false],
    [{ matchExpressions: [{ key: "a", operator: "In", values: ["1", "3"] }] }, true],
    [{ matchExpressions: [{ key: "c", operator: "NotIn", values: ["1"] }] }, true],
    [{ matchExpressions: [{ key: "a", operator: "NotIn", values: ["1"] }] }, false],
    [{ matchExpressions: [{ key: "b", operator: "Exists" }] }, true],
    [{ matchExpressions: [{ key: "b", operator: "DoesNotExist" }] }, false],
    [{ matchLabels: { a: "1" }, matchExpressions: [{ key: "b", operator: "In", values: ["3"] }] }, false],
    [{ matchExpressions: [{ key: "a", operator: "Bogus" }] }, false],
  ])("%j matches {a:1,b:2}: %s", (sel, expected) => {
    expect(checks.selectorMatches(sel as checks.LabelSelector, labelsOf)).toBe(expected);
  });

  it("pins names through matchLabels and In, intersected", () => {
    expect(checks.pinnedValues({ matchLabels: { k: "x" }, matchExpressions: [{ key: "k", operator: "In", values: ["x", "y"] }] }, "k")).toEqual(new Set(["x"]));
    expect(checks.pinnedValues({ matchExpressions: [{ key: "k", operator: "NotIn", values: ["x"] }] }, "k")).toBeUndefined();
  });

  it("reveals secrets in wire form and leaves plain values alone", () => {
    expect(checks.reveal(secret(secret("v")))).toBe("v");
    expect(checks.reveal({ value: "v" })).toEqual({ value: "v" });
  });

  it("decodes nkey public keys with their checksum", () => {
    const pub = publicOf(key("account"));
    expect(checks.nkeyRawPublic(pub)).toHaveLength(32);
    expect(checks.nkeyRawPublic(pub.slice(0, -1) + (pub.endsWith("A") ? "B" : "A"))).toBeUndefined();
  });

  it("knows an account push by its type and its account JWT inputs, reading no other input (the pusher's seed)", () => {
    const operator = key("operator");
    const account = publicOf(key("account"));
    const jwt = accountJwt({ account, operator, name: "TENANT_t", limits: UNLIMITED_NO_JETSTREAM, issuedAt: 1 });
    const disablingJwt = accountJwt({ account, operator, name: "TENANT_t", limits: UNLIMITED_NO_JETSTREAM, issuedAt: 2, revocations: { "*": 2 } });
    const props = { account, disablingJwt, jwt, get pusher(): never { throw new Error("read the pusher"); } };
    const push = checks.toAccountPush(checks.DYNAMIC_RESOURCE_TYPE, "urn:x", "t/nats-account-push", props)!;
    expect(push).toMatchObject({ urn: "urn:x", name: "t/nats-account-push", account });
    expect(push.jwts.map((j) => [j.field, j.jwt.claims.iat])).toEqual([["jwt", 1], ["disablingJwt", 2]]);
    expect(checks.toAccountPush("kubernetes:core/v1:ConfigMap", "urn:y", "cm", { jwt })).toBeUndefined();
    expect(checks.toAccountPush(checks.DYNAMIC_RESOURCE_TYPE, "urn:z", "other", { jwt: "not a token", value: jwt })).toBeUndefined();
    expect(checks.tenantAccountKeys([], [push])).toEqual(new Set([account]));
  });
});

describe("checks: PostgreSQL roles and grants", () => {
  const role = { name: "tenant_a", login: true, superuser: false, createDatabase: false, createRole: false, replication: false, bypassRowLevelSecurity: false };
  it("passes a tenant's role with no elevated attribute, and refuses each elevated one and any membership", () => {
    expect(checks.postgresRoleProblems(role)).toEqual([]);
    for (const attribute of ["superuser", "createDatabase", "createRole", "replication", "bypassRowLevelSecurity"]) {
      expect(checks.postgresRoleProblems({ ...role, [attribute]: true })).toEqual([`role "tenant_a" has ${attribute}: no role this stack declares may reach beyond its own objects`]);
    }
    expect(checks.postgresRoleProblems({ ...role, roles: ["pg_read_all_data"] })).toHaveLength(1);
  });

  const grant = (g: Record<string, any>) => checks.postgresGrantProblems({ database: "platform", ...g });
  it.each([
    ["CONNECT to the platform's database", { role: "tenant_a", objectType: "database", privileges: ["CONNECT"] }, 0],
    ["usage of its own schema", { role: "tenant_a", objectType: "schema", schema: "tenant_a", privileges: ["USAGE"] }, 0],
    ["DML on its own tables", { role: "tenant_a", objectType: "table", schema: "tenant_a", privileges: ["SELECT", "INSERT"] }, 0],
    ["a revoke from PUBLIC", { role: "public", objectType: "schema", schema: "public", privileges: [] }, 0],
    ["the migration role's grant", { role: "serviceradar", objectType: "schema", schema: "tenant_a", privileges: ["USAGE"] }, 0],
    ["anything to PUBLIC", { role: "public", objectType: "table", schema: "tenant_a", privileges: ["SELECT"] }, 1],
    ["another tenant's schema", { role: "tenant_b", objectType: "schema", schema: "tenant_a", privileges: ["USAGE"] }, 1],
    ["another tenant's database", { role: "tenant_b", objectType: "database", database: "tenant_a", privileges: ["CONNECT"] }, 1],
    ["CREATE on the platform's database", { role: "tenant_a", objectType: "database", privileges: ["CONNECT", "CREATE"] }, 1],
    ["the platform's public schema", { role: "tenant_a", objectType: "schema", schema: "public", privileges: ["USAGE"] }, 1],
    ["its own schema with grant option", { role: "tenant_a", objectType: "schema", schema: "tenant_a", privileges: ["USAGE"], withGrantOption: true }, 1],
  ])("%s: %i problem(s)", (_what, g, count) => {
    expect(grant(g)).toHaveLength(count);
  });
});

describe("checks: admission policies in a cell's stack (declared by the platform's)", () => {
  const TENANT = "tenancy.serviceradar.io/tenant";
  const PLAN = "tenancy.serviceradar.io/plan";
  const namespace = (name: string, labels: Record<string, string>): checks.K8sObject => ({ urn: `ns/${name}`, kind: "Namespace", metadata: { name, labels } });
  const cell = () => [namespace("tenant-t", { [TENANT]: "t", [PLAN]: "pro" }), namespace("tenant-t-edge", { [TENANT]: "t", [PLAN]: "pro" }), namespace("other", {})];

  it("takes the missing policies, bindings and params for the platform's, and still requires them of a stack that holds everything", () => {
    expect(checks.checkAdmissionPolicies(cell(), { declaredElsewhere: true })).toEqual([]);
    const alone = checks.checkAdmissionPolicies(cell());
    expect(alone.map((v) => v.message)).toEqual(checks.ADMISSION_POLICIES.map((p) => `the stack has tenant namespaces but no ValidatingAdmissionPolicy ${p}`));
  });

  it("refuses a tenant namespace without the plan label the platform's per-plan bindings select on", () => {
    const objects = cell();
    delete objects[1].metadata.labels[PLAN];
    const violations = checks.checkAdmissionPolicies(objects, { declaredElsewhere: true });
    expect(violations.map((v) => v.urn)).toEqual(["ns/tenant-t-edge"]);
    expect(violations[0].message).toContain(`Namespace tenant-t-edge (tenant "t") has no ${PLAN} label`);
    objects[1].metadata.labels[PLAN] = "";
    expect(checks.checkAdmissionPolicies(objects, { declaredElsewhere: true }).map((v) => v.urn)).toEqual(["ns/tenant-t-edge"]);
  });

  it("checks a tenancy policy or binding the cell declares anyway as strictly as the platform's: failing closed, denying", () => {
    const policy = (failurePolicy: string): checks.K8sObject => ({ urn: `vap/${failurePolicy}`, kind: "ValidatingAdmissionPolicy", metadata: { name: "tenancy-images", labels: {} }, spec: { failurePolicy } });
    const binding = (actions: string[], policyName = "tenancy-images"): checks.K8sObject => ({
      urn: `binding/${policyName}/${actions.join("+")}`,
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name: `${policyName}-binding`, labels: {} },
      spec: { policyName, validationActions: actions, matchResources: { namespaceSelector: {} } },
    });
    const objects = [...cell(), policy("Fail"), binding(["Deny"]), binding(["Deny", "Audit"]), binding(["Warn"], "someone-elses")];
    expect(checks.checkAdmissionPolicies(objects, { declaredElsewhere: true })).toEqual([]);
    const weakened = [...cell(), policy("Ignore"), binding(["Warn", "Audit"])];
    const violations = checks.checkAdmissionPolicies(weakened, { declaredElsewhere: true });
    expect(violations.map((v) => v.urn)).toEqual(["vap/Ignore", "binding/tenancy-images/Warn+Audit"]);
    expect(violations[0].message).toContain('failurePolicy "Ignore"');
    expect(violations[1].message).toContain("without validationActions Deny");
  });
});

describe("checks: edge location accounts in a cell's stack (no operator JWT of its own)", () => {
  const TENANT = "tenancy.serviceradar.io/tenant";
  const stack = (edgeSigner: ReturnType<typeof key>, pushSigners: ReturnType<typeof key>[]) => {
    const edgeAccount = publicOf(key("account"));
    const edge = accountJwt({ account: edgeAccount, operator: edgeSigner, name: "EDGE_t_edge", limits: UNLIMITED_NO_JETSTREAM, issuedAt: 1 });
    const objects: checks.K8sObject[] = [
      { urn: "ns/tenant-t-edge", kind: "Namespace", metadata: { name: "tenant-t-edge", labels: { [TENANT]: "t" } } },
      { urn: "cm/leaf", kind: "ConfigMap", metadata: { name: "nats-leaf-config", namespace: "tenant-t-edge", labels: { [TENANT]: "t" } }, data: { "accounts.conf": `resolver_preload: { ${edgeAccount}: "${edge}" }` } },
    ];
    const pushes = pushSigners.map((operator, i) => {
      const account = publicOf(key("account"));
      return checks.toAccountPush(checks.DYNAMIC_RESOURCE_TYPE, `urn:push${i}`, `t${i}/nats-account-push`, { account, jwt: accountJwt({ account, operator, name: `TENANT_t${i}`, limits: UNLIMITED_NO_JETSTREAM, issuedAt: 1 }) })!;
    });
    return checks.checkNatsAccounts(objects, pushes).filter((v) => v.message.includes("edge location account"));
  };

  it("takes the key its account pushes are signed with for the cell's operator signing key", () => {
    const cellKey = key("operator");
    expect(stack(cellKey, [cellKey, cellKey])).toEqual([]);
  });

  it("refuses an edge account signed by another key, and any when the pushes name no single signer", () => {
    const cellKey = key("operator");
    expect(stack(key("operator"), [cellKey]).map((v) => v.urn)).toEqual(["cm/leaf"]);
    expect(stack(cellKey, [cellKey, key("operator")]).map((v) => v.urn)).toEqual(["cm/leaf"]);
    expect(stack(cellKey, []).map((v) => v.urn)).toEqual(["cm/leaf"]);
  });
});
