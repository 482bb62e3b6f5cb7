import { describe, expect, it } from "vitest";
import { OfflineRunError, runOffline } from "../../engine/offline";
import { ValidationError } from "../../model/problems";
import { goodTenant, tenantsDir, yamlOf } from "../support/fixtures";

describe("a bad tenant file", () => {
  it("stops the program before anything is declared, naming every problem", async () => {
    const dir = tenantsDir({
      "good.yaml": yamlOf(goodTenant("good")),
      "bad.yaml": yamlOf({ ...goodTenant("bad"), plan: "gold", colour: "red" }),
    });
    const error = await runOffline({ config: { "tenancy:tenantsDir": dir } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OfflineRunError);
    const { cause, registrations } = error as OfflineRunError;
    // The program's copy of lib/validate is compiled separately from the test's: compare by name.
    expect((cause as Error).name).toBe(ValidationError.name);
    expect((cause as ValidationError).problems.map((p) => p.path)).toEqual(["colour", "plan"]);
    // Only the stack itself was registered: no provider, no platform, not even the good tenant.
    expect(registrations.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
  });
});
