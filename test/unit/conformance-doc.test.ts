/**
 * docs/conformance.md stays honest: its counts are recounted from its tables, every row has one of
 * the three answers, and every test it names as proof exists (a renamed test breaks this).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../support/fixtures";

const doc = fs.readFileSync(path.join(REPO, "docs/conformance.md"), "utf8");
const ANSWERS = ["enforced by the program", "required of the cluster", "not covered"] as const;

/** The rows of the table under a `## heading`. */
function rows(heading: string): string[][] {
  const section = doc.split(/^## /m).find((s) => s.startsWith(heading));
  if (!section) throw new Error(`no section ${heading}`);
  return section
    .split("\n")
    .filter((l) => l.startsWith("| ") && !l.startsWith("| check") && !l.startsWith("| control") && !l.startsWith("|---"))
    .map((l) => l.slice(1, -1).split(" | ").map((c) => c.trim()));
}

describe("docs/conformance.md", () => {
  const benchmark = rows("Multi-tenancy benchmarks");
  const capsule = rows("Capsule tenant controls");
  const all = [...benchmark, ...capsule];

  it("answers every benchmark check and Capsule control with one of the three answers", () => {
    expect(benchmark.length).toBe(23);
    expect(capsule.length).toBe(15);
    for (const r of all) expect(ANSWERS as readonly string[], r[0]).toContain(r[1]);
  });

  it("states the counts its tables hold", () => {
    const count = (answer: string) => all.filter((r) => r[1] === answer).length;
    const [enforced, cluster, none] = ANSWERS.map(count);
    expect(doc).toContain(`**${enforced} enforced by the program, ${cluster} required of the cluster, ${none} not covered** (${all.length} rows: ${benchmark.length}`);
    console.log(`conformance: ${enforced} enforced by the program, ${cluster} required of the cluster, ${none} not covered (${all.length} rows)`);
  });

  it("names only tests that exist as proof", () => {
    const named = [...doc.matchAll(/`(test\/[^`]+\.test\.ts)`/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(40);
    for (const file of new Set(named)) expect(fs.existsSync(path.join(REPO, file)), file).toBe(true);
    for (const r of all) expect(r[3], r[0]).toMatch(/`test\/.+\.test\.ts`/);
    expect(fs.existsSync(path.join(REPO, "tools/cluster-probe.sh"))).toBe(true);
  });
});
