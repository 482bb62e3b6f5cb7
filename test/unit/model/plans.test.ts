import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { validatePlans } from "../../../model/plans";
import { formatProblem, type Problem } from "../../../model/problems";
import { validateTenants } from "../../../model/tenants";
import { PLANS_FILE, goodTenant, yamlOf } from "../../support/fixtures";

const plansProblems: Problem[] = [];
const plans = validatePlans({ file: "plans/plans.yaml", text: fs.readFileSync(PLANS_FILE, "utf8") }, plansProblems)!;

describe("plans file validation", () => {
  it("accepts the shipped plans: free, basic, pro, enterprise", () => {
    expect(plansProblems).toEqual([]);
    expect(Object.keys(plans)).toEqual(["free", "basic", "pro", "enterprise"]);
  });

  it("refuses an unknown field and a contradictory limit range, naming the plan", () => {
    const text = fs.readFileSync(PLANS_FILE, "utf8")
      .replace("description: Small teams; one edge site.", "description: Small teams; one edge site.\n    tier: 2")
      .replace("defaultRequest: { cpu: 50m, memory: 64Mi, ephemeral-storage: 50Mi }", "defaultRequest: { cpu: 300m, memory: 64Mi, ephemeral-storage: 50Mi }");
    const problems: Problem[] = [];
    expect(validatePlans({ file: "plans/plans.yaml", text }, problems)).toBeUndefined();
    expect(problems.map(formatProblem)).toEqual([
      "plans/plans.yaml: plans.basic.tier: unknown field; known fields: description, kubernetes, nats, retention, database, ceilings",
    ]);
    const contradictory: Problem[] = [];
    validatePlans({ file: "plans/plans.yaml", text: fs.readFileSync(PLANS_FILE, "utf8").replace("defaultRequest: { cpu: 50m, memory: 64Mi, ephemeral-storage: 50Mi }", "defaultRequest: { cpu: 300m, memory: 64Mi, ephemeral-storage: 50Mi }") }, contradictory);
    expect(contradictory.map(formatProblem)).toEqual([
      "plans/plans.yaml: plans.free.kubernetes.limitRange.defaultRequest.cpu: default request 300m exceeds the default limit 200m",
    ]);
  });

  it("does not blame tenants for an unknown plan when the plans file itself is bad", () => {
    const problems: Problem[] = [];
    validateTenants([{ file: "tenants/acme.yaml", text: yamlOf(goodTenant()) }], undefined, problems);
    expect(problems).toEqual([]);
  });
});
