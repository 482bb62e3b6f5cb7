/**
 * `npm run diff` (tools/render-diff.ts) on a temporary clone of this repository with known
 * commits: a plan change of one tenant and a new tenant. Expectations come from two independent
 * renders compared byte by byte, not from the script. Also: the report is reproducible, base == head
 * reports no changes, the unified diff applies back to the head render, a failed render shows the
 * renderer's validation message unchanged, a leaking renderer is refused, and nothing is left in
 * the temporary directory. (Render determinism itself is test/program/determinism.test.ts.)
 * The line diff, the Markdown size budget and the secret patterns are tested on their own in
 * test/unit/tools/render-diff.test.ts.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FileDiff } from "../../tools/render-diff/compare";
import { SecretMaterialError, assertNoSecretMaterial, findSecretMaterial } from "../../tools/render-diff/secret-guard";
import { REPO, goodTenant, readTree, yamlOf } from "../support/fixtures";
import { render } from "../support/render";
import { applyUnified } from "../support/unified-diff";

const GIT_ENV = {
  GIT_AUTHOR_NAME: "render-diff test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "render-diff test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
};

let work: string; // everything of this test file, removed at the end
let scriptTmp: string; // the script's TMPDIR
let clone: string;
let branch: string;
const sha: Record<"base" | "head" | "broken" | "leaky" | "dropped" | "cellB", string> = { base: "", head: "", broken: "", leaky: "", dropped: "", cellB: "" };

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
      // Its own temporary directory: other checkouts' runs of this test share the system's.
      env: { ...process.env, TMPDIR: scriptTmp },
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

/**
 * The oracle: the clone's program rendered on a tenants directory, read back byte for byte — the
 * manifests, and the account JWTs pushed to the hub (`hub/accounts/<slug>.yaml`), which the diff
 * reviews too since no manifest carries them any more.
 */
async function renderManifests(tenantsDir: string, options: { revealSecrets?: boolean } = {}): Promise<Map<string, string>> {
  const out = await render({ root: clone, out: fs.mkdtempSync(path.join(work, "render-")), tenants: tenantsDir, ...options });
  const tree = (dir: string) => [...readTree(path.join(out, dir), "utf8")].map(([file, text]) => [`${dir}/${file.split(path.sep).join("/")}`, text] as const);
  return new Map([...tree("manifests"), ...tree("hub")]);
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
  scriptTmp = path.join(work, "tmp");
  fs.mkdirSync(scriptTmp);
  execFileSync("git", ["clone", "--quiet", REPO, clone]);
  // A history may hold a node_modules entry of its own (a committed symlink): this checkout's
  // replaces it, and git is told to leave that path out of the test's commits.
  const committedModules = git("ls-files", "node_modules") !== "";
  fs.rmSync(path.join(clone, "node_modules"), { recursive: true, force: true });
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(clone, "node_modules"), "dir");
  if (committedModules) git("update-index", "--skip-worktree", "node_modules");
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
  // With cells: initech's plan alone, a tenant of cell b (its file says `cell: b`).
  git("checkout", "--quiet", "-b", "cell-b-change", sha.base);
  expect(fs.readFileSync(path.join(clone, "tenants/initech.yaml"), "utf8")).toMatch(/^cell: b$/m);
  edit("tenants/initech.yaml", (t) => t.replace(/^plan: free$/m, "plan: basic"));
  git("commit", "--quiet", "-am", "initech (cell b): basic plan");
  sha.cellB = git("rev-parse", "HEAD");
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

/** The script's temporary directories (tenancy-render-diff-…) in the one it is given: none may outlive a run. */
const leftovers = () => fs.readdirSync(scriptTmp).filter((name) => name.startsWith("tenancy-render-diff-"));

describe("npm run diff on known commits", () => {
  it("the oracle sees the expected kind of change (so the comparisons below mean something)", () => {
    expect(expected.removed).toEqual([]);
    expect(expected.added.length).toBeGreaterThan(10);
    expect(expected.added).toContain("manifests/_cluster/namespace-tenant-hooli.yaml");
    expect(expected.added).toContain("manifests/tenant-hooli-org-netops/networkpolicy-tenant-isolation.yaml");
    expect(expected.changed).toContain("manifests/tenant-initech/resourcequota-tenant-quota.yaml");
    // The hub's own files hold no tenant account and are sized by the stack: no tenant change touches them.
    expect(expected.changed).not.toContain("manifests/platform/configmap-nats-hub-accounts.yaml");
    // The account JWTs the hub is pushed: initech's changes with its plan, hooli's is new.
    expect(expected.changed).toContain("hub/accounts/initech.yaml");
    expect(expected.added).toContain("hub/accounts/hooli.yaml");
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
    expect(report.tenants["(platform)"]).toBeUndefined(); // nothing of the platform changes (the hub's ConfigMap included)
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
    const listed = md.match(/^- `(manifests|hub)\//gm)?.length ?? 0;
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

describe("npm run diff --cells: only the stacks named, per stack", () => {
  /** The oracle: every stack of the fleet rendered by `npm run render -- --all-cells` on a commit's tenant files, each stack's files by its directory. */
  async function renderFleet(commit: string): Promise<Map<string, Map<string, string>>> {
    const out = await render({ root: clone, out: fs.mkdtempSync(path.join(work, "fleet-")), tenants: tenantsAt(commit), cells: { all: true } });
    const stack = (dir: string) => new Map(["manifests", "hub"].filter((d) => fs.existsSync(path.join(out, dir, d))).flatMap((d) => [...readTree(path.join(out, dir, d), "utf8")].map(([file, text]) => [`${dir}/${d}/${file.split(path.sep).join("/")}`, text] as const)));
    return new Map(["platform", "cells/a", "cells/b"].map((dir) => [dir, stack(dir)]));
  }
  let fleet: { base: Map<string, Map<string, string>>; head: Map<string, Map<string, string>> };
  const changedIn = (dir: string) => {
    const [before, after] = [fleet.base.get(dir)!, fleet.head.get(dir)!];
    return [...new Set([...before.keys(), ...after.keys()])].filter((f) => before.get(f) !== after.get(f)).sort();
  };

  beforeAll(async () => {
    const [base, head] = await Promise.all([renderFleet(sha.base), renderFleet(sha.cellB)]);
    fleet = { base, head };
  }, 240_000);

  it("the oracle: a one-tenant change in cell b changes cell b's render only", () => {
    expect(changedIn("cells/b")).toContain("cells/b/manifests/tenant-initech/resourcequota-tenant-quota.yaml");
    expect(changedIn("cells/a")).toEqual([]);
    expect(changedIn("platform")).toEqual([]);
  });

  it("--cells b renders the identities, the platform and cell b alone, and reports exactly cell b's changes, naming the stack", async () => {
    const run = await runDiff(["--base", sha.base, "--head", "cell-b-change", "--cells", "b", "--format", "json"]);
    expect(run.status, run.stderr).toBe(0);
    // Cell a's tenants are never rendered: its identity is what the platform needs.
    expect(run.stderr).toContain("rendered at base: cell a (identity), cell b (identity), platform, cell b\n");
    expect(run.stderr).toContain("rendered at head: cell a (identity), cell b (identity), platform, cell b\n");
    const report = JSON.parse(run.stdout);
    expect(report.stacks.map((st: { label: string; stack: string; dir: string }) => [st.label, st.stack, st.dir])).toEqual([["cell b", "cell-b", "cells/b"]]);
    const files = (report.files as FileDiff[]).map((f) => f.file);
    expect(files).toEqual(changedIn("cells/b"));
    expect(new Set((report.files as FileDiff[]).map((f) => f.stack))).toEqual(new Set(["cell b"]));
    expect(report.tenants).toEqual({ initech: expect.objectContaining({ changed: files.length }) });
    expect(report.summary).toMatchObject({ baseFiles: fleet.base.get("cells/b")!.size, headFiles: fleet.head.get("cells/b")!.size, removed: 0, added: 0 });
    // Each file's diff is that of the fleet's own renders.
    for (const f of report.files as FileDiff[]) expect(applyUnified(["--- a/" + f.file, "+++ b/" + f.file, ...f.hunks].join("\n") + "\n", fleet.base.get("cells/b")!).get(f.file), f.file).toBe(fleet.head.get("cells/b")!.get(f.file));
    expect(leftovers()).toEqual([]);
  }, 240_000);

  it("--platform --cells a: both stacks named in the Markdown report, neither changed by cell b's tenant", async () => {
    const run = await runDiff(["--base", sha.base, "--head", "cell-b-change", "--platform", "--cells", "a"]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("Stacks compared: `platform`, `cell a`");
    expect(run.stdout).toMatch(/^\| `platform \(stack platform\)` \| 0 \| 0 \| 0 \| \d+ \|$/m);
    expect(run.stdout).toMatch(/^\| `cell a \(stack cell-a\)` \| 0 \| 0 \| 0 \| \d+ \|$/m);
    expect(run.stdout).toContain("**No changes**");
    expect(leftovers()).toEqual([]);
  }, 240_000);

  it("refuses a cell the cells file does not list, before rendering anything", async () => {
    const run = await runDiff(["--base", sha.base, "--cells", "b,nope"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--cells: no cell nope in cells/cells.yaml at base or head (known: a, b)");
    expect((await runDiff(["--base", sha.base, "--cells", "b;rm"])).status).toBe(2);
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
});
