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
