/**
 * tools/changed-cells.ts: which stacks a change touches, computed on real git histories (temporary
 * repositories, one commit per scenario) by the tool's git plumbing and rules, and once end to end
 * by the real CLI (`npx tsx tools/changed-cells.ts`). The rules alone (paths, sides, the cells file)
 * are checked first.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseCellsFile } from "../../../tools/changed-cells/cells-file";
import { changedFiles, fileAt, resolveCommit } from "../../../tools/changed-cells/git";
import { allStacks, changedStacks, classify, githubOutputs, sidesOf, type ChangedStacks, type CellsResult } from "../../../tools/changed-cells/rules";
import { REPO } from "../../support/fixtures";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-changed-cells-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A temporary git repository: write files, commit, get the commit. No global or system git config is read. */
function repository(name: string) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=changed-cells test", "-c", "user.email=test@example.invalid", ...args], { cwd: dir, env, encoding: "utf8" }).trim();
  git("init", "--quiet", "--initial-branch=main");
  return {
    dir,
    write(files: Record<string, string | null>) {
      for (const [file, text] of Object.entries(files)) {
        const full = path.join(dir, file);
        if (text === null) fs.rmSync(full);
        else {
          fs.mkdirSync(path.dirname(full), { recursive: true });
          fs.writeFileSync(full, text);
        }
      }
    },
    mv(from: string, to: string) {
      git("mv", from, to);
    },
    commit(message: string): string {
      git("add", "--all");
      git("commit", "--quiet", "--allow-empty", "-m", message);
      return git("rev-parse", "HEAD");
    },
  };
}

/** What the CLI computes, in process: the tool's own git plumbing and rules. */
function stacksBetween(dir: string, baseRev: string, headRev: string): ChangedStacks {
  const base = resolveCommit(dir, baseRev);
  const head = resolveCommit(dir, headRev);
  return changedStacks(changedFiles(dir, base, head), (side, file) => fileAt(dir, side === "base" ? base : head, file));
}

const cellsMode = (r: ChangedStacks): CellsResult => {
  expect(r.mode).toBe("cells");
  return r as CellsResult;
};

const tenant = (slug: string, extra = "") => `# yaml-language-server: $schema=../schema/tenant.schema.json\nslug: ${slug}\ndisplayName: ${slug}\nplan: pro\nstatus: active\naccess:\n  admins: [${slug}:admins]\n${extra}`;
const CELLS_AB = "platform: { stack: platform }\ndefaultCell: a\ncells:\n  - { name: a, stack: cell-a }\n  - { name: b, stack: cell-b }\n";

describe("the rules on their own", () => {
  it("classify paths: tenant files, the cells file, documentation and tests, everything else", () => {
    expect(classify("tenants/acme.yaml")).toBe("tenant");
    expect(classify("cells/cells.yaml")).toBe("cells");
    for (const p of ["docs/gitops.md", "docs/img/flow.png", "README.md", "policy/README.md", "tenants/README.md", "test/unit/x.test.ts", "test/support/fixtures.ts"]) expect(classify(p), p).toBe("ignored");
    for (const p of ["index.ts", "plans/plans.yaml", "schema/cells.schema.json", "policy/checks/network.ts", "package.json", "package-lock.json", "Pulumi.yaml", "Pulumi.cell-a.yaml", ".github/workflows/preview.yml", "tools/render.ts", "engine/offline.ts", "tenants/acme.yml", "tenants/nested/acme.yaml", "cells/other.yaml", "vitest.config.mts"]) {
      expect(classify(p), p).toBe("other");
    }
  });

  it("give each change its paths at base and at head", () => {
    expect(sidesOf({ status: "A", path: "x" })).toEqual([["head", "x"]]);
    expect(sidesOf({ status: "D", path: "x" })).toEqual([["base", "x"]]);
    expect(sidesOf({ status: "M", path: "x" })).toEqual([["base", "x"], ["head", "x"]]);
    expect(sidesOf({ status: "R087", from: "old", path: "new" })).toEqual([["base", "old"], ["head", "new"]]);
    expect(sidesOf({ status: "C100", from: "old", path: "new" })).toEqual([["head", "new"]]);
  });

  it("read cells/cells.yaml: absent or no cells is one stack; bad names and references are refused", () => {
    expect(parseCellsFile(undefined, "head")).toBeUndefined();
    expect(parseCellsFile("", "head")).toBeUndefined();
    expect(parseCellsFile("cells: []\n", "head")).toBeUndefined();
    expect(parseCellsFile(CELLS_AB, "head")).toEqual({ platformStack: "platform", defaultCell: "a", cells: [{ name: "a", stack: "cell-a" }, { name: "b", stack: "cell-b" }] });
    // The program's validator (model/cells.ts) reads the file: the platform's stack and the default cell are required.
    const P = "platform: { stack: platform }\ndefaultCell: a\n";
    expect(parseCellsFile(P + "cells: [{ name: a, stack: cell-a }]\n", "head")).toEqual({ platformStack: "platform", defaultCell: "a", cells: [{ name: "a", stack: "cell-a" }] });
    const refused: [string, RegExp][] = [
      [P + "cells: [{ name: a, stack: cell-a }\n", /cells\/cells\.yaml at head: \(file\): YAML/],
      ["- a\n", /cells\/cells\.yaml at head: /],
      ["cells: [{ name: a, stack: cell-a }]\n", /platform: required field is missing; .*defaultCell: required field is missing/],
      [P + "cells: { a: cell-a }\n", /cells: must be array/],
      [P + "cells: [{ name: 'a b', stack: cell-a }]\n", /cells\[0\]\.name: must be a DNS label/],
      [P + "cells: [{ name: a, stack: \"x\\ny=1\" }]\n", /cells\[0\]\.stack: must match/],
      [P + "cells: [{ name: a, stack: s }, { name: a, stack: t }]\n", /cells\[1\]\.name: duplicate cell "a"/],
      [P + "cells: [{ name: a, stack: s }, { name: b, stack: s }]\n", /cells\[1\]\.stack: stack "s" is already cells\[0\]'s/],
      ["platform: { stack: s }\ndefaultCell: a\ncells: [{ name: a, stack: s }]\n", /cells\[0\]\.stack: stack "s" is already platform\.stack's/],
      ["platform: { stack: p }\ndefaultCell: c\ncells: [{ name: a, stack: s }]\n", /defaultCell: no cell "c" in cells/],
      [P + "cells: [{ name: a, stack: s }]\ncells: []\n", /YAML/],
    ];
    for (const [text, message] of refused) expect(() => parseCellsFile(text, "head"), text).toThrow(message);
  });

  it("turn a result into single-line step outputs", () => {
    const read = (file: string) => (file === "cells/cells.yaml" ? CELLS_AB : undefined);
    const outputs = githubOutputs(allStacks(read));
    expect(outputs).toEqual({
      mode: "cells",
      platform: "true",
      "platform-stack": "platform",
      cells: '["a","b"]',
      "cells-list": "a,b",
      "has-cells": "true",
      matrix: '{"include":[{"cell":"a","stack":"cell-a"},{"cell":"b","stack":"cell-b"}]}',
      stacks: '{"include":[{"name":"platform","stack":"platform"},{"name":"cell a","cell":"a","stack":"cell-a"},{"name":"cell b","cell":"b","stack":"cell-b"}]}',
      any: "true",
    });
    for (const value of Object.values(outputs)) expect(value).not.toMatch(/[\r\n]/);
    expect(githubOutputs(allStacks(() => undefined))).toMatchObject({ mode: "single", platform: "true", "has-cells": "false", matrix: '{"include":[]}', any: "true" });
  });
});

describe("the stacks a change touches, on a real git history", () => {
  const repo = repository("history");
  repo.write({
    "cells/cells.yaml": CELLS_AB,
    "tenants/acme.yaml": tenant("acme"), // default cell: a
    "tenants/globex.yaml": tenant("globex", "cell: b\n"),
    "tenants/initech.yaml": tenant("initech", "cell: a\n"),
    "index.ts": "export {};\n",
    "docs/gitops.md": "# GitOps\n",
    "README.md": "# tenancy\n",
  });
  const start = repo.commit("cells a and b, three tenants");

  repo.write({ "tenants/hooli.yaml": tenant("hooli", "cell: b\n") });
  const addedToB = repo.commit("add hooli to cell b");

  repo.write({ "tenants/acme.yaml": tenant("acme").replace("displayName: acme", "displayName: Acme Corporation") });
  const modifiedDefault = repo.commit("acme (default cell) renamed in display");

  repo.write({ "tenants/initech.yaml": tenant("initech", "cell: b\n") });
  const moved = repo.commit("initech moves from a to b");

  repo.write({ "tenants/globex.yaml": null });
  const deleted = repo.commit("globex removed");

  repo.mv("tenants/acme.yaml", "tenants/acme-corp.yaml");
  const renamed = repo.commit("acme's file renamed");

  repo.write({ "docs/gitops.md": "# GitOps\n\nper cell\n", "README.md": "# tenancy\n\ncells\n", "test/unit/x.test.ts": "// a test\n", "tenants/README.md": "tenant files\n" });
  const docsOnly = repo.commit("documentation and tests only");

  repo.write({ "index.ts": "export const cells = true;\n" });
  const programChange = repo.commit("program change");

  repo.write({ "cells/cells.yaml": CELLS_AB + "  - { name: c, stack: cell-c }\n" });
  const cellAdded = repo.commit("cell c");

  repo.write({ "tenants/hooli.yaml": "slug: hooli\ncell: b\naccess: [unclosed\n" });
  const broken = repo.commit("hooli's file does not parse");

  repo.write({ "tenants/hooli.yaml": tenant("hooli", "cell: b\n"), "cells/cells.yaml": CELLS_AB });
  const cellRemoved = repo.commit("hooli fixed, cell c removed again");

  repo.write({ "tenants/acme-corp.yaml": tenant("acme-corp", "cell: z\n") });
  const unknownCell = repo.commit("acme-corp names a cell that does not exist");

  it("a tenant added to cell b touches cell b only", () => {
    const r = cellsMode(stacksBetween(repo.dir, start, addedToB));
    expect(r).toEqual({
      mode: "cells",
      platform: false,
      platformStack: "platform",
      cells: ["b"],
      matrix: { include: [{ cell: "b", stack: "cell-b" }] },
      reasons: { b: ["tenants/hooli.yaml"] },
      platformReasons: [],
      notes: [],
    });
  });

  it("a tenant of the default cell modified touches the default cell", () => {
    const r = cellsMode(stacksBetween(repo.dir, addedToB, modifiedDefault));
    expect(r.cells).toEqual(["a"]);
    expect(r.platform).toBe(false);
    expect(r.reasons).toEqual({ a: ["tenants/acme.yaml"] });
  });

  it("a tenant moved from a to b touches both cells", () => {
    const r = cellsMode(stacksBetween(repo.dir, modifiedDefault, moved));
    expect(r.matrix.include).toEqual([{ cell: "a", stack: "cell-a" }, { cell: "b", stack: "cell-b" }]);
    expect(r.reasons).toEqual({ a: ["tenants/initech.yaml"], b: ["tenants/initech.yaml"] });
    expect(r.platform).toBe(false);
  });

  it("a tenant deleted touches the cell it was in (read at base)", () => {
    const r = cellsMode(stacksBetween(repo.dir, moved, deleted));
    expect(r.cells).toEqual(["b"]);
    expect(r.reasons).toEqual({ b: ["tenants/globex.yaml"] });
  });

  it("a tenant file renamed is one rename (git diff -M) touching its cell through both names", () => {
    const base = resolveCommit(repo.dir, deleted);
    const head = resolveCommit(repo.dir, renamed);
    expect(changedFiles(repo.dir, base, head)).toEqual([{ status: "R100", from: "tenants/acme.yaml", path: "tenants/acme-corp.yaml" }]);
    const r = cellsMode(stacksBetween(repo.dir, deleted, renamed));
    expect(r.cells).toEqual(["a"]);
    expect(r.reasons).toEqual({ a: ["tenants/acme-corp.yaml", "tenants/acme.yaml"] });
  });

  it("documentation and tests only touch nothing: an empty matrix", () => {
    const r = cellsMode(stacksBetween(repo.dir, renamed, docsOnly));
    expect(r.platform).toBe(false);
    expect(r.cells).toEqual([]);
    expect(r.matrix).toEqual({ include: [] });
    expect(githubOutputs(r)).toMatchObject({ platform: "false", "has-cells": "false", "cells-list": "", any: "false", stacks: '{"include":[]}' });
  });

  it("a program change touches the platform and every cell", () => {
    const r = cellsMode(stacksBetween(repo.dir, docsOnly, programChange));
    expect(r.platform).toBe(true);
    expect(r.platformReasons).toEqual(["index.ts"]);
    expect(r.cells).toEqual(["a", "b"]);
    expect(r.reasons).toEqual({ a: ["index.ts"], b: ["index.ts"] });
  });

  it("a cell added to cells/cells.yaml touches the platform and every cell, the new one included", () => {
    const r = cellsMode(stacksBetween(repo.dir, programChange, cellAdded));
    expect(r.platform).toBe(true);
    expect(r.matrix.include).toEqual([{ cell: "a", stack: "cell-a" }, { cell: "b", stack: "cell-b" }, { cell: "c", stack: "cell-c" }]);
    expect(r.platformReasons).toEqual(["cells/cells.yaml"]);
  });

  it("a tenant file with a YAML syntax error touches every cell (each preview shows the error), not the platform", () => {
    const r = cellsMode(stacksBetween(repo.dir, cellAdded, broken));
    expect(r.cells).toEqual(["a", "b", "c"]);
    expect(r.platform).toBe(false);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toMatch(/^tenants\/hooli\.yaml at head does not parse \(YAML line \d+: .*\): every cell is previewed$/);
  });

  it("a cell removed from cells/cells.yaml is still previewed (its stack exists), with every other", () => {
    const r = cellsMode(stacksBetween(repo.dir, broken, cellRemoved));
    expect(r.matrix.include).toEqual([{ cell: "a", stack: "cell-a" }, { cell: "b", stack: "cell-b" }, { cell: "c", stack: "cell-c" }]);
    expect(r.platform).toBe(true);
  });

  it("a tenant naming a cell that cells/cells.yaml does not list touches every cell", () => {
    const r = cellsMode(stacksBetween(repo.dir, cellRemoved, unknownCell));
    expect(r.cells).toEqual(["a", "b"]);
    expect(r.notes.join()).toMatch(/tenants\/acme-corp\.yaml at head names cell "z", which cells\/cells\.yaml does not list/);
  });

  it("a range of several commits is their union", () => {
    const r = cellsMode(stacksBetween(repo.dir, start, deleted));
    // hooli added to b, acme (a) modified, initech a → b, globex (b) deleted.
    expect(r.cells).toEqual(["a", "b"]);
    expect(r.reasons).toEqual({ a: ["tenants/acme.yaml", "tenants/initech.yaml"], b: ["tenants/globex.yaml", "tenants/hooli.yaml", "tenants/initech.yaml"] });
    expect(r.platform).toBe(false);
  });

  it("the same commit on both sides touches nothing", () => {
    const r = cellsMode(stacksBetween(repo.dir, moved, moved));
    expect(r.cells).toEqual([]);
    expect(r.platform).toBe(false);
  });

  it("every stack at a commit (--all): the platform and each cell", () => {
    const head = resolveCommit(repo.dir, cellAdded);
    const r = cellsMode(allStacks((file) => fileAt(repo.dir, head, file)));
    expect(r.platform).toBe(true);
    expect(r.cells).toEqual(["a", "b", "c"]);
  });
});

describe("without cells/cells.yaml", () => {
  const repo = repository("single");
  repo.write({ "tenants/acme.yaml": tenant("acme"), "index.ts": "export {};\n" });
  const first = repo.commit("one stack");
  repo.write({ "tenants/acme.yaml": tenant("acme", "cell: b\n") });
  const second = repo.commit("acme names a cell, but there are none");
  repo.write({ "docs/x.md": "docs\n" });
  const third = repo.commit("docs");
  repo.write({ "cells/cells.yaml": CELLS_AB });
  const fourth = repo.commit("cells introduced");

  it("is one stack, always previewed: single mode, whatever changed", () => {
    for (const [base, head] of [[first, second], [second, third]]) {
      expect(stacksBetween(repo.dir, base, head)).toEqual({ mode: "single", platform: true, cells: [], matrix: { include: [] }, reasons: {}, notes: [] });
    }
  });

  it("introducing cells/cells.yaml touches the platform and every cell", () => {
    const r = cellsMode(stacksBetween(repo.dir, third, fourth));
    expect(r.platform).toBe(true);
    expect(r.cells).toEqual(["a", "b"]);
  });

  it("removing it goes back to single mode", () => {
    repo.write({ "cells/cells.yaml": null });
    const fifth = repo.commit("cells removed");
    expect(stacksBetween(repo.dir, fourth, fifth).mode).toBe("single");
  });
});

describe("npx tsx tools/changed-cells.ts, end to end", () => {
  const repo = repository("cli");
  repo.write({ "cells/cells.yaml": CELLS_AB, "tenants/acme.yaml": tenant("acme"), "index.ts": "export {};\n" });
  const base = repo.commit("start");
  repo.write({ "tenants/acme.yaml": tenant("acme", "cell: b\n") });
  const head = repo.commit("acme moves to b");
  repo.write({ "cells/cells.yaml": "platform: { stack: platform }\ndefaultCell: a\ncells: [{ name: a, stack: cell a }]\n" });
  const badCells = repo.commit("a bad cells file");

  const cli = (args: string[]) => spawnSync("npx", ["tsx", path.join(REPO, "tools/changed-cells.ts"), ...args], { cwd: REPO, encoding: "utf8" });

  it("prints one line of JSON and appends the step outputs and the summary", () => {
    const out = path.join(work, "github-output");
    const summaryFile = path.join(work, "summary.md");
    fs.writeFileSync(out, "earlier=1\n");
    const run = cli(["--base", base, "--head", head, "--repo", repo.dir, "--github-output", out, "--summary", summaryFile]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout.split("\n")).toHaveLength(2); // one line and its newline
    expect(JSON.parse(run.stdout)).toMatchObject({
      mode: "cells",
      platform: false,
      cells: ["a", "b"],
      matrix: { include: [{ cell: "a", stack: "cell-a" }, { cell: "b", stack: "cell-b" }] },
      reasons: { a: ["tenants/acme.yaml"], b: ["tenants/acme.yaml"] },
    });
    const lines = fs.readFileSync(out, "utf8").trimEnd().split("\n");
    expect(lines[0]).toBe("earlier=1");
    expect(lines).toContain('matrix={"include":[{"cell":"a","stack":"cell-a"},{"cell":"b","stack":"cell-b"}]}');
    expect(lines).toContain("cells-list=a,b");
    expect(lines).toContain("platform=false");
    expect(fs.readFileSync(summaryFile, "utf8")).toMatch(/\| `cell-b` \(cell `b`\) \| `tenants\/acme\.yaml` \|/);
  });

  it("fails with the reason when cells/cells.yaml at head is bad, or a revision is unknown; usage errors exit 2", () => {
    const bad = cli(["--base", head, "--head", badCells, "--repo", repo.dir]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/cells\/cells\.yaml at head: cells\[0\]\.stack: must match \^\[A-Za-z0-9\]\[A-Za-z0-9_\.-\]\*\$ \(got "cell a"\)/);
    expect(bad.stdout).toBe("");
    const unknown = cli(["--base", "no-such-branch", "--repo", repo.dir]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/unknown revision "no-such-branch"/);
    expect(cli(["--repo", repo.dir]).status).toBe(2);
    expect(cli(["--all", "--base", base, "--repo", repo.dir]).status).toBe(2);
  });
});
