import { describe, expect, it } from "vitest";
import { parseQuantityMilli } from "../../../lib/quantity";
import { splitQuota } from "../../../model/quota-share";

describe("splitting a quota over namespaces", () => {
  it("never splits a quota over namespaces into more than the total", () => {
    const quota = { "requests.cpu": "1", "requests.memory": "1Gi", "limits.cpu": "2", "limits.memory": "2Gi", "requests.storage": "10Gi", persistentvolumeclaims: 5, pods: 10, services: 3, "services.loadbalancers": 0, "services.nodeports": 0, configmaps: 7, secrets: 7 };
    for (const n of [1, 2, 3, 7]) {
      const share = splitQuota(quota, n);
      for (const key of Object.keys(quota) as (keyof typeof quota)[]) {
        const total = parseQuantityMilli(quota[key])!;
        expect(parseQuantityMilli(share[key])! * BigInt(n) <= total, `${key} over ${n}`).toBe(true);
      }
    }
    expect(splitQuota(quota, 3)).toMatchObject({ "requests.cpu": "333m", "requests.memory": "341Mi", pods: "3", configmaps: "2" });
  });
});

describe("every key of every shipped plan, with the edge's reservation", () => {
  it("adds up: the edge's reservation plus every namespace's share never exceeds the tenant's total, for 1 to 6 namespaces", async () => {
    const fs = await import("node:fs");
    const { validatePlans } = await import("../../../model/plans");
    const { mergeLimits } = await import("../../../model/limits");
    const { edgeQuotaNeeds } = await import("../../../model/edge-footprint");
    const { tenantQuota, reservationQuota } = await import("../../../model/quota-share");
    const { PLANS_FILE } = await import("../../support/fixtures");
    const plans = validatePlans({ file: "plans/plans.yaml", text: fs.readFileSync(PLANS_FILE, "utf8") }, [])!;
    const offer = { storageClasses: ["standard", "fast"], extendedResources: ["nvidia.com/gpu"], hugepageSizes: ["2Mi"] };
    let checked = 0;
    for (const [name, plan] of Object.entries(plans)) {
      const limits = mergeLimits(plan, undefined);
      const total = tenantQuota(limits.kubernetes, offer);
      // The cluster's classes and devices the plan does not buy are keys at zero.
      expect(total["fast.storageclass.storage.k8s.io/requests.storage"], name).toBe("0");
      expect(total["requests.nvidia.com/gpu"], name).toBe(0);
      const reserved = edgeQuotaNeeds([{ replicas: 1 }], limits);
      for (const n of [1, 2, 3, 6]) {
        const share = splitQuota(total, n, reserved);
        const edge = reservationQuota(total, reserved);
        for (const key of Object.keys(total)) {
          const sum = parseQuantityMilli(share[key])! * BigInt(n) + parseQuantityMilli(edge[key])!;
          // Where the edge alone needs more than the total, validation refuses the tenant; otherwise it adds up.
          if (parseQuantityMilli(edge[key])! <= parseQuantityMilli(total[key])!) expect(sum <= parseQuantityMilli(total[key])!, `${name} ${key} over ${n}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4 * 4 * 29);
  });
});
