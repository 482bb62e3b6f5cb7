import { describe, expect, it } from "vitest";
import { formatQuantity, parseDurationNs, parseQuantityMilli } from "../../../lib/quantity";

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
});
