import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { generatedFiles } from "../tools/generated-files";
import { formatQuantity, parseDurationNs, parseQuantityMilli } from "../lib/quantity";
import { splitQuota } from "../model/quota-share";
import { EXAMPLES_DIR, REPO } from "./support/fixtures";

describe("generated files", () => {
  it("are current: the JSON Schemas with model/schema.ts, Pulumi.yaml's config and docs/configuration.md with config/keys.ts (run `npm run schema` after changing either)", () => {
    for (const [file, content] of Object.entries(generatedFiles(REPO))) {
      expect(fs.readFileSync(file, "utf8"), path.relative(REPO, file)).toBe(content);
    }
  });

  it("publish JSON Schemas that every tenant file and the plans file reference", () => {
    for (const file of fs.readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith(".yaml"))) {
      expect(fs.readFileSync(path.join(EXAMPLES_DIR, file), "utf8").split("\n")[0], file).toBe("# yaml-language-server: $schema=../schema/tenant.schema.json");
    }
    expect(fs.readFileSync(path.join(REPO, "plans/plans.yaml"), "utf8").split("\n")[0]).toBe("# yaml-language-server: $schema=../schema/plans.schema.json");
  });
});

describe("quantities and durations", () => {
  it.each([
    ["500m", 500n],
    ["2", 2000n],
    ["1.5", 1500n],
    ["1Ki", 1024_000n],
    ["1.5Gi", 1610612736_000n],
    ["1k", 1_000_000n],
    ["1e3", 1_000_000n],
    ["+.5", 500n],
  ])("parses %s", (text, milli) => expect(parseQuantityMilli(text)).toBe(milli));

  it.each(["1GB", "1 Gi", "abc", "-1", "1.5.5", "0.1m", "Gi", ""])("refuses %j", (text) => expect(parseQuantityMilli(text)).toBeUndefined());

  it("formats canonically", () => {
    expect(formatQuantity(1500n, "cpu")).toBe("1500m");
    expect(formatQuantity(2000n, "cpu")).toBe("2");
    expect(formatQuantity(1536n * 1024n * 1024n * 1000n, "bytes")).toBe("1536Mi");
    expect(formatQuantity(8n * 2n ** 30n * 1000n, "bytes")).toBe("8Gi");
    expect(formatQuantity(7000n, "count")).toBe("7");
  });

  it("parses Go durations and refuses days", () => {
    expect(parseDurationNs("72h")).toBe(72 * 3600e9);
    expect(parseDurationNs("1h30m")).toBe(5400e9);
    expect(parseDurationNs("7d")).toBeUndefined();
    expect(parseDurationNs("h")).toBeUndefined();
  });

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
