/**
 * tools/render-diff/ without a render: the secret patterns on their own, the line diff (a minimal
 * edit script, hunks as `diff -u` prints them) and the Markdown report's size budget. `npm run diff`
 * on known commits is test/program/render-diff.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { FileDiff, RenderDiff } from "../../../tools/render-diff/compare";
import { diffLines, splitLines, unifiedHunks } from "../../../tools/render-diff/line-diff";
import { formatMarkdown } from "../../../tools/render-diff/report";
import { findSecretMaterial } from "../../../tools/render-diff/secret-guard";
import { applyUnified } from "../../support/unified-diff";

describe("secret material detection", () => {
  it("finds seeds and keys alone, inside a diff, and base64-encoded (a Secret's data)", () => {
    const seed = "SUANYUDGC63TQ5O6CHO25NKMSIKTK2UI433DG4KJFQ27UWIYCFBO7UUUTY"; // 58 characters, as nkeys.js makes them
    expect(findSecretMaterial(`+  seed: ${seed}\n`)).toBe("an nkey seed");
    expect(findSecretMaterial(`data:\n  tls.key: ${Buffer.from("-----BEGIN EC PRIVATE KEY-----\nMHc…").toString("base64")}\n`)).toBe("a PEM private key (base64-encoded)");
    expect(findSecretMaterial(`  nats.creds: ${Buffer.from(`-----BEGIN USER NKEY SEED-----\n${seed}\n`).toString("base64")}`)).toMatch(/base64-encoded/);
    // Public keys (56 characters) and the placeholder are not secrets.
    expect(findSecretMaterial("UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4 [secret] W3NlY3JldF0=")).toBeUndefined();
  });
});

describe("line diff", () => {
  /** Longest common subsequence length, by dynamic programming (the reference for minimality). */
  const lcs = (a: string[], b: string[]) => {
    const row = new Array(b.length + 1).fill(0);
    for (let i = 1; i <= a.length; i++) {
      let diagonal = 0;
      for (let j = 1; j <= b.length; j++) {
        const up = row[j];
        row[j] = a[i - 1] === b[j - 1] ? diagonal + 1 : Math.max(row[j], row[j - 1]);
        diagonal = up;
      }
    }
    return row[b.length];
  };
  // A small deterministic generator, so a failure can be replayed.
  let state = 12345;
  const random = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const randomText = (n: number) => Array.from({ length: n }, () => "abcde"[Math.floor(random() * 5)] + "\n").join("") + (random() < 0.2 ? "tail" : "");

  it("is a minimal edit script that turns a into b, on 500 random pairs", () => {
    for (let round = 0; round < 500; round++) {
      const a = randomText(Math.floor(random() * 30));
      const b = random() < 0.3 ? a : randomText(Math.floor(random() * 30));
      const edits = diffLines(splitLines(a), splitLines(b));
      expect(edits.filter((e) => e.op !== "insert").map((e) => e.line).join("")).toBe(a);
      expect(edits.filter((e) => e.op !== "delete").map((e) => e.line).join("")).toBe(b);
      const kept = edits.filter((e) => e.op === "equal").length;
      expect(kept).toBe(lcs(splitLines(a), splitLines(b)));
      const patched = applyUnified(`--- a/f\n+++ b/f\n${unifiedHunks(edits).join("\n")}\n`, new Map([["f", a]]));
      expect(patched.get("f")).toBe(b);
    }
  });

  it("prints hunks as diff -u does", () => {
    const a = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n";
    const b = "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl";
    expect(unifiedHunks(diffLines(splitLines(a), splitLines(b)))).toEqual([
      "@@ -1,5 +1,5 @@", " a", "-b", "+B", " c", " d", " e",
      "@@ -9,3 +9,4 @@", " i", " j", " k", "+l", "\\ No newline at end of file",
    ]);
    expect(unifiedHunks(diffLines([], splitLines("x\ny\n")))).toEqual(["@@ -0,0 +1,2 @@", "+x", "+y"]);
    expect(unifiedHunks(diffLines(splitLines("x\n"), []))).toEqual(["@@ -1 +0,0 @@", "-x"]);
    expect(unifiedHunks(diffLines(splitLines("same\n"), splitLines("same\n")))).toEqual([]);
  });
});

describe("Markdown size budget", () => {
  const bigDiff = (files: number, linesPerFile: number): RenderDiff => ({
    base: "main (0123456789ab)",
    head: "working tree",
    settings: { seed: "s", clock: "2026-01-01T00:00:00.000Z" },
    baseFiles: files,
    headFiles: files,
    unchanged: 0,
    notes: [],
    files: Array.from({ length: files }, (_, i): FileDiff => ({
      file: `manifests/tenant-t${i % 7}/configmap-c${i}.yaml`,
      status: "changed",
      tenant: `t${i % 7}`,
      stat: { added: linesPerFile, removed: linesPerFile },
      hunks: ["@@ -1,2 +1,2 @@", ...Array.from({ length: linesPerFile }, (_, j) => `-old line ${j} ${"x".repeat(60)}`), ...Array.from({ length: linesPerFile }, (_, j) => `+new line ${j} ${"y".repeat(60)}`)],
    })),
  });

  it("stays under the budget, shows what fits, lists the rest and says so", () => {
    const md = formatMarkdown(bigDiff(400, 40), { maxChars: 60_000 });
    expect(md.length).toBeLessThanOrEqual(60_000);
    const shown = md.match(/<details>/g)?.length ?? 0;
    expect(shown).toBeGreaterThan(5);
    expect(md).toContain(`${shown} of 400 files shown with their diff`);
    expect(md).toContain("Not shown:");
    expect(md).toMatch(/… and \d+ more files/);
    expect(md).toMatch(/^\| `t0` \| 58 \| 0 \| 0 \|$/m); // the table always counts every file
  });

  it("cuts one huge file at maxLinesPerFile and keeps it inside a fence", () => {
    const md = formatMarkdown(bigDiff(1, 2000), { maxChars: 60_000, maxLinesPerFile: 100 });
    expect(md).toContain("… 3901 more diff lines of this file not shown");
    expect(md.length).toBeLessThanOrEqual(60_000);
    expect(md).not.toContain("Truncated");
  });

  it("uses a fence longer than any backtick run in the content", () => {
    const diff = bigDiff(1, 1);
    diff.files[0].hunks.push("+  readme: |", "+    ````yaml");
    const md = formatMarkdown(diff);
    expect(md).toContain("`````diff\n");
  });
});
