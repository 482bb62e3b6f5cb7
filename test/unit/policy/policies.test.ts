/**
 * The pack as a whole (policy/policies.ts, policy/index.ts): its policies, the program's label keys
 * and names it repeats (it cannot import lib/), and the PolicyPack and package it is served with.
 * Every policy on passing and failing inputs is test/e2e/policy-pack.test.ts (its fixture's
 * certificates are made by openssl).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as checks from "../../../policy/checks";
import { policies } from "../../../policy/policies";
import { COLLECTOR_TYPES as LIB_COLLECTOR_TYPES } from "../../../model/schema";
import { CREDS_KEY as LIB_CREDS_KEY, LABELS as LIB_LABELS, POSTGRES_PUBLIC_ROLE, TENANT_CLUSTER_ROLES as LIB_TENANT_CLUSTER_ROLES, accountName, postgresTenantIdentifier } from "../../../model/names";

describe("the pack", () => {
  it("has 15 uniquely named policies, all mandatory, each with a description", () => {
    expect(policies).toHaveLength(15);
    expect(new Set(policies.map((p) => p.name)).size).toBe(15);
    for (const p of policies) {
      expect(p.enforcementLevel, p.name).toBe("mandatory");
      expect(p.description.length, p.name).toBeGreaterThan(20);
      expect(p.name).toMatch(/^[a-z0-9-]+$/);
    }
  });

  it("uses the program's own label keys and names (the pack cannot import lib/)", () => {
    expect(checks.LABELS.tenant).toBe(LIB_LABELS.tenant);
    expect(checks.LABELS.role).toBe(LIB_LABELS.role);
    expect(checks.LABELS.namespaceName).toBe(LIB_LABELS.namespaceName);
    expect(checks.CREDS_KEY).toBe(LIB_CREDS_KEY);
    expect(checks.tenantAccountName("acme-corp")).toBe(accountName("acme-corp"));
    expect([...checks.COLLECTOR_TYPES]).toEqual([...LIB_COLLECTOR_TYPES]);
    expect(postgresTenantIdentifier("acme-corp").startsWith(checks.POSTGRES_TENANT_PREFIX)).toBe(true);
    expect(checks.POSTGRES_PUBLIC_ROLE).toBe(POSTGRES_PUBLIC_ROLE);
    expect([...checks.TENANT_CLUSTER_ROLES].sort()).toEqual(Object.values(LIB_TENANT_CLUSTER_ROLES).sort());
  });

  it("index.ts constructs the PolicyPack with exactly the exported policies (tests never import it: it starts a server)", () => {
    const text = fs.readFileSync(path.join(__dirname, "../../../policy/index.ts"), "utf8");
    expect(text).toMatch(/new PolicyPack\("tenancy-isolation", \{\s*policies,/);
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "../../../policy/package.json"), "utf8"));
    const root = JSON.parse(fs.readFileSync(path.join(__dirname, "../../../package.json"), "utf8"));
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/); // PolicyPack refuses to start without one
    expect(pkg.dependencies["@pulumi/policy"]).toBe(root.devDependencies["@pulumi/policy"]);
    expect(pkg.dependencies["@pulumi/pulumi"]).toBe(root.dependencies["@pulumi/pulumi"]);
    const lock = JSON.parse(fs.readFileSync(path.join(__dirname, "../../../policy/package-lock.json"), "utf8"));
    expect(lock.packages["node_modules/@pulumi/policy"].version).toBe("1.21.0");
    expect(lock.packages["node_modules/@pulumi/pulumi"].version).toBe("3.248.0");
  });
});
