/** Resource names stay unique across tenants (the engine refuses a duplicate URN, as Pulumi does). */
import { describe, expect, it } from "vitest";
import { runOffline } from "../../engine/offline";
import { goodTenant, tenantsDir, yamlOf } from "../support/fixtures";

describe("resource names across tenants", () => {
  it("cannot collide: a tenant whose slug extends another's with a collector's type gets distinct URNs", async () => {
    // "acme" + flowgger/otel-p and "acme-flowgger" + otel/p once both named their key "acme-flowgger-otel-p-key".
    const dir = tenantsDir({
      "acme.yaml": yamlOf({ ...goodTenant("acme"), collectors: [{ type: "flowgger", partition: "otel-p" }] }),
      "acme-flowgger.yaml": yamlOf({ ...goodTenant("acme-flowgger"), organizations: [], collectors: [{ type: "otel", partition: "p" }] }),
    });
    const run = await runOffline({ config: { "tenancy:tenantsDir": dir } });
    const urns = run.registrations.map((r) => r.urn);
    expect(new Set(urns).size).toBe(urns.length);
  });
});
