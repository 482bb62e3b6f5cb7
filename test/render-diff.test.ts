/**
 * `npm run diff` (tools/render-diff.ts) on a temporary clone of this repository with known
 * commits: a plan change of one tenant and a new tenant. Expectations come from two independent
 * renders compared byte by byte, not from the script. Also: the report is reproducible, base == head
 * reports no changes, the unified diff applies back to the head render, a failed render shows the
 * renderer's validation message unchanged, a leaking renderer is refused, and nothing is left in
 * the temporary directory. (Render determinism itself is test/program/determinism.test.ts.)
 * The line diff and the Markdown size budget are tested on their own at the end.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FileDiff, RenderDiff } from "../tools/render-diff/compare";
import { diffLines, splitLines, unifiedHunks } from "../tools/render-diff/line-diff";
import { formatMarkdown } from "../tools/render-diff/report";
import { SecretMaterialError, assertNoSecretMaterial, findSecretMaterial } from "../tools/render-diff/secret-guard";
import { REPO, goodTenant, readTree, yamlOf } from "./support/fixtures";
import { render } from "./support/render";

const GIT_ENV = {
  GIT_AUTHOR_NAME: "render-diff test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "render-diff test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
};

let work: string; // everything of this test file, removed at the end
let clone: string;
let branch: string;
const sha: Record<"base" | "head" | "broken" | "leaky" | "dropped", string> = { base: "", head: "", broken: "", leaky: "", dropped: "" };

const git = (...args: string[]) => execFileSync("git", args, { cwd: clone, env: { ...process.env, ...GIT_ENV }, encoding: "utf8" }).trim();
const edit = (file: string, change: (text: string) => string) => {
  const full = path.join(clone, file);
  const before = fs.readFileSync(full, "utf8");
  const after = change(before);
  expect(after, `${file} must change`).not.toBe(before);
  fs.writeFileSync(full, after);
};

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the script as `npm run diff` would (tsx), in the clone. */
function runDiff(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "tools/render-diff.ts"), ...args], {
      cwd: clone,
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** The oracle: the clone's program rendered on a tenants directory, read back byte for byte. */
async function renderManifests(tenantsDir: string, options: { revealSecrets?: boolean } = {}): Promise<Map<string, string>> {
  const out = await render({ root: clone, out: fs.mkdtempSync(path.join(work, "render-")), tenants: tenantsDir, ...options });
  return new Map([...readTree(path.join(out, "manifests"), "utf8")].map(([file, text]) => [`manifests/${file.split(path.sep).join("/")}`, text]));
}

/** The tenant files of a commit, written to a fresh directory. */
function tenantsAt(commit: string): string {
  const dir = fs.mkdtempSync(path.join(work, "tenants-"));
  for (const file of git("ls-tree", "--name-only", `${commit}:tenants`).split("\n")) {
    fs.writeFileSync(path.join(dir, file), git("show", `${commit}:tenants/${file}`) + "\n");
  }
  return dir;
}

let oracle: { base: Map<string, string>; head: Map<string, string> };
const expected = { added: [] as string[], removed: [] as string[], changed: [] as string[] };

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-render-diff-test-"));
  clone = path.join(work, "repo");
  execFileSync("git", ["clone", "--quiet", REPO, clone]);
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(clone, "node_modules"), "dir");
  branch = git("rev-parse", "--abbrev-ref", "HEAD");
  sha.base = git("rev-parse", "HEAD");

  // A plan change (initech: free → basic) and a new tenant, in two commits.
  edit("tenants/initech.yaml", (t) => t.replace(/^plan: free$/m, "plan: basic"));
  git("commit", "--quiet", "-am", "initech: basic plan");
  fs.writeFileSync(path.join(clone, "tenants/hooli.yaml"), yamlOf(goodTenant("hooli")));
  git("add", "tenants/hooli.yaml");
  git("commit", "--quiet", "-m", "new tenant hooli");
  sha.head = git("rev-parse", "HEAD");

  // Side commits: an invalid tenant file, and a renderer that reveals secrets.
  git("checkout", "--quiet", "-b", "broken");
  edit("tenants/initech.yaml", (t) => t.replace(/^plan: basic$/m, "plan: gold"));
  git("commit", "--quiet", "-am", "unknown plan");
  sha.broken = git("rev-parse", "HEAD");
  git("checkout", "--quiet", "-b", "leaky", sha.head);
  edit("tools/render.ts", (t) => t.replace('{ revealSecrets: values["reveal-secrets"] }', "{ revealSecrets: true }"));
  git("commit", "--quiet", "-am", "a renderer that leaks");
  sha.leaky = git("rev-parse", "HEAD");
  // A tenant file deleted while the tenant is active: the lifecycle guard's case.
  git("checkout", "--quiet", "-b", "dropped", sha.base);
  git("rm", "--quiet", "tenants/globex.yaml");
  git("commit", "--quiet", "-m", "drop globex without decommissioning it");
  sha.dropped = git("rev-parse", "HEAD");
  git("checkout", "--quiet", branch);

  const [base, head] = await Promise.all([renderManifests(tenantsAt(sha.base)), renderManifests(tenantsAt(sha.head))]);
  oracle = { base, head };
  for (const file of new Set([...base.keys(), ...head.keys()])) {
    if (!base.has(file)) expected.added.push(file);
    else if (!head.has(file)) expected.removed.push(file);
    else if (base.get(file) !== head.get(file)) expected.changed.push(file);
  }
  for (const list of Object.values(expected)) list.sort();
}, 180_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** The script's temporary directories (tenancy-render-diff-…) in the system's: none may outlive a run. */
const scriptTempDirs = () => fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith("tenancy-render-diff-") && !name.startsWith("tenancy-render-diff-test-"));
const preexisting = new Set(scriptTempDirs());
const leftovers = () => scriptTempDirs().filter((name) => !preexisting.has(name));

describe("npm run diff on known commits", () => {
  it("the oracle sees the expected kind of change (so the comparisons below mean something)", () => {
    expect(expected.removed).toEqual([]);
    expect(expected.added.length).toBeGreaterThan(10);
    expect(expected.added).toContain("manifests/_cluster/namespace-tenant-hooli.yaml");
    expect(expected.added).toContain("manifests/tenant-hooli-org-netops/networkpolicy-default-deny.yaml");
    expect(expected.changed).toContain("manifests/tenant-initech/resourcequota-tenant-quota.yaml");
    expect(expected.changed).toContain("manifests/platform/configmap-nats-hub-accounts.yaml");
    // Other tenants' objects are untouched by either commit.
    expect([...expected.added, ...expected.changed].filter((f) => /acme-corp|globex|umbrella/.test(f))).toEqual([]);
  });

  it("reports exactly the added and changed files, attributed to their tenants", async () => {
    const run = await runDiff(["--base", sha.base, "--head", "HEAD", "--format", "json"]);
    expect(run.stderr).toMatch(/render diff .* \d+ changed, \d+ added, 0 removed/);
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout);
    const files = (status: string) => report.files.filter((f: FileDiff) => f.status === status).map((f: FileDiff) => f.file);
    expect(files("added")).toEqual(expected.added);
    expect(files("changed")).toEqual(expected.changed);
    expect(files("removed")).toEqual([]);
    expect(report.summary).toMatchObject({ added: expected.added.length, changed: expected.changed.length, removed: 0, baseFiles: oracle.base.size, headFiles: oracle.head.size });
    expect(report.head).toBe(`HEAD (${sha.head.slice(0, 12)})`);
    // hooli's objects (its namespaces and its platform-side Secrets, streams, account) are hooli's; initech's changes are initech's.
    for (const f of report.files as FileDiff[]) {
      if (f.status === "added") expect(f.tenant, f.file).toBe("hooli");
    }
    expect(report.tenants.initech.changed).toBeGreaterThan(0);
    expect(report.tenants["(platform)"]).toEqual({ added: 0, removed: 0, changed: 1 }); // the hub's accounts ConfigMap
    expect(findSecretMaterial(run.stdout)).toBeUndefined();
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it("writes a byte-identical unified diff twice, which patches the base render into the head render", async () => {
    const out1 = path.join(work, "one.diff");
    const out2 = path.join(work, "two.diff");
    const [first, second] = [await runDiff(["--base", sha.base, "--format", "unified", "--out", out1]), await runDiff(["--base", sha.base, "--format", "unified", "--out", out2])];
    expect([first.status, second.status]).toEqual([0, 0]);
    const one = fs.readFileSync(out1);
    expect(one.equals(fs.readFileSync(out2))).toBe(true);
    const patched = applyUnified(one.toString("utf8"), oracle.base);
    expect([...patched.keys()].sort()).toEqual([...oracle.head.keys()].sort());
    for (const [file, text] of oracle.head) expect(patched.get(file), file).toBe(text);
    expect(findSecretMaterial(one.toString("utf8"))).toBeUndefined();
    expect(one.toString("utf8")).toContain('"[secret]"');
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it("writes Markdown with a summary, a per-tenant table and one collapsible block per file", async () => {
    const run = await runDiff(["--base", sha.base]);
    expect(run.status).toBe(0);
    const md = run.stdout;
    expect(md).toContain(`**${expected.changed.length} changed, ${expected.added.length} added, 0 removed**`);
    expect(md).toMatch(/^\| `hooli` \| 0 \| \d+ \| 0 \|$/m);
    expect(md).toMatch(/^\| `initech` \| \d+ \| 0 \| 0 \|$/m);
    // Changes to existing objects come before new ones, so they are shown even when the rest is cut.
    expect(md).toContain("<summary><code>manifests/tenant-initech/resourcequota-tenant-quota.yaml</code> changed");
    expect(md.indexOf("</code> changed (")).toBeLessThan(md.indexOf("</code> added ("));
    // Within the default budget; every file is either shown with its diff or listed by name, and a
    // cut says so.
    expect(md.length).toBeLessThanOrEqual(60_000);
    const shown = md.match(/<details>/g)?.length ?? 0;
    const listed = md.match(/^- `manifests\//gm)?.length ?? 0;
    const more = Number(/… and (\d+) more files/.exec(md)?.[1] ?? 0);
    expect(shown + listed + more).toBe(expected.added.length + expected.changed.length);
    if (shown < expected.added.length + expected.changed.length) expect(md).toContain(`${shown} of ${expected.added.length + expected.changed.length} files shown with their diff`);
    else expect(md).not.toContain("Truncated");
    // With room for everything, everything is shown.
    const roomy = await runDiff(["--base", sha.base, "--max-chars", "10000000"]);
    expect(roomy.stdout.match(/<details>/g)?.length).toBe(expected.added.length + expected.changed.length);
    expect(roomy.stdout).not.toContain("Truncated");
  }, 120_000);

  it('reports "no changes" when base and head are the same', async () => {
    const run = await runDiff(["--base", "HEAD"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`**No changes**: both render the same ${oracle.head.size} manifests`);
    expect(run.stdout).not.toContain("<details>");
  }, 120_000);

  it("fails with the renderer's validation message, verbatim, when a tenant file is invalid", async () => {
    const run = await runDiff(["--base", sha.base, "--head", "broken"]);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`render of broken (${sha.broken.slice(0, 12)}) failed:`);
    expect(run.stderr).toContain('1 problem(s) in the tenant configuration; nothing was declared:\n  tenants/initech.yaml: plan: must be one of "basic", "enterprise", "free", "pro" (got "gold")');
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it("renders the head as the update after the base: dropping an active tenant's file fails with the lifecycle guard's message", async () => {
    const run = await runDiff(["--base", sha.base, "--head", "dropped"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`render of dropped (${sha.dropped.slice(0, 12)}) failed:`);
    expect(run.stderr).toContain('tenants/globex.yaml: (file): tenant "globex" was active in the last update and its file is gone (deleted or renamed)');
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it("refuses to write anything when a render contains secret material", async () => {
    const out = path.join(work, "leaky.md");
    const run = await runDiff(["--base", sha.base, "--head", "leaky", "--out", out]);
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/refusing to write the render diff: manifests\/\S+ \(head render\) contains (a PEM private key|a NATS creds seed block|an nkey seed)/);
    expect(fs.existsSync(out)).toBe(false);
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it("refuses an unknown base with a usable message", async () => {
    const run = await runDiff(["--base", "no-such-ref"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('unknown revision "no-such-ref"');
    const usage = await runDiff([]);
    expect(usage.status).toBe(2);
  }, 60_000);
});

describe("secret material detection", () => {
  it("finds every secret of a render made with --reveal-secrets, and nothing in a normal render", async () => {
    const revealed = await renderManifests("tenants", { revealSecrets: true });
    const found = new Set([...revealed.values()].map(findSecretMaterial).filter(Boolean));
    expect([...found].sort()).toEqual(["a NATS creds seed block", "a PEM private key"]);
    expect(() => assertNoSecretMaterial(revealed)).toThrow(SecretMaterialError);
    for (const [file, text] of oracle.head) expect(findSecretMaterial(text), file).toBeUndefined();
  }, 120_000);

  it("finds seeds and keys alone, inside a diff, and base64-encoded (a Secret's data)", () => {
    const seed = "SUANYUDGC63TQ5O6CHO25NKMSIKTK2UI433DG4KJFQ27UWIYCFBO7UUUTY"; // 58 characters, as nkeys.js makes them
    expect(findSecretMaterial(`+  seed: ${seed}\n`)).toBe("an nkey seed");
    expect(findSecretMaterial(`data:\n  tls.key: ${Buffer.from("-----BEGIN EC PRIVATE KEY-----\nMHc…").toString("base64")}\n`)).toBe("a PEM private key (base64-encoded)");
    expect(findSecretMaterial(`  nats.creds: ${Buffer.from(`-----BEGIN USER NKEY SEED-----\n${seed}\n`).toString("base64")}`)).toMatch(/base64-encoded/);
    // Public keys (56 characters) and the placeholder are not secrets.
    expect(findSecretMaterial("UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4 [secret] W3NlY3JldF0=")).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Units: the line diff and the Markdown budget.

/** Applies a unified diff (as formatUnified writes it) to files; refuses context that does not match. */
function applyUnified(patch: string, files: Map<string, string>): Map<string, string> {
  const result = new Map(files);
  const lines = patch.split("\n");
  let i = lines.findIndex((l) => l.startsWith("--- "));
  while (i >= 0 && i < lines.length && lines[i].startsWith("--- ")) {
    const from = lines[i].slice(4);
    const to = lines[i + 1].slice(4);
    i += 2;
    const file = (to === "/dev/null" ? from : to).replace(/^[ab]\//, "");
    const old = from === "/dev/null" ? [] : splitLines(result.get(file) ?? "");
    const out: string[] = [];
    let at = 0;
    while (i < lines.length && lines[i].startsWith("@@")) {
      const m = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$/.exec(lines[i])!;
      const start = Number(m[1]) - (m[2] === "0" ? 0 : 1);
      out.push(...old.slice(at, start));
      at = start;
      i++;
      while (i < lines.length && /^[ +\-\\]/.test(lines[i]) && !lines[i].startsWith("--- ")) {
        const [mark, text] = [lines[i][0], lines[i].slice(1)];
        const noNewline = lines[i + 1]?.startsWith("\\ No newline");
        const line = noNewline ? text : text + "\n";
        if (mark === " " || mark === "-") {
          if (old[at] !== line) throw new Error(`${file}: context mismatch at line ${at + 1}`);
          at++;
        }
        if (mark === " " || mark === "+") out.push(line);
        i += noNewline ? 2 : 1;
      }
    }
    out.push(...old.slice(at));
    if (to === "/dev/null") result.delete(file);
    else result.set(file, out.join(""));
  }
  return result;
}

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
