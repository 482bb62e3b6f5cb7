/**
 * `npm run new-tenant` from the command line (tools/new-tenant.ts in a fresh process, in a copy of
 * the repository): it writes the scaffolded file, and refuses with exit status 1 and the loader's
 * message on stderr, 2 for bad usage. The scaffolding rules are test/unit/tools/new-tenant.test.ts.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { REPO, repositoryCopy } from "../support/fixtures";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-new-tenant-test-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const checkout = () => repositoryCopy(work);

/** Runs the CLI as `npm run new-tenant` does, in `root`. */
const cli = (root: string, args: string[]) => spawnSync(process.execPath, ["--import", "tsx", path.join(REPO, "tools/new-tenant.ts"), ...args], { cwd: root, encoding: "utf8" });

describe("scaffolding a tenant", () => {
  it("works from the command line, as npm run new-tenant", () => {
    const root = checkout();
    const run = cli(root, ["initrode", "--plan", "basic", "--collector", "otel:office"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("wrote tenants/initrode.yaml");
    const text = fs.readFileSync(path.join(root, "tenants/initrode.yaml"), "utf8");
    expect(text.startsWith("# yaml-language-server: $schema=../schema/tenant.schema.json\nslug: initrode\n")).toBe(true);
    expect(parse(text).collectors).toEqual([{ type: "otel", partition: "office" }]);
  });
});

describe("refusals leave the tenants directory as it was", () => {
  it("from the command line: exit status 1 and the loader's message on stderr; 2 for bad usage", () => {
    const root = checkout();
    const run = cli(root, ["hooli", "--plan", "gold"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('1 problem(s) in the tenant configuration; nothing was declared:\n  tenants/hooli.yaml: plan: must be one of "basic", "enterprise", "free", "pro" (got "gold")');
    expect(fs.existsSync(path.join(root, "tenants/hooli.yaml"))).toBe(false);
    expect(cli(root, ["hooli"]).status).toBe(2);
    expect(cli(root, ["hooli", "--plan", "pro", "--colour", "red"]).status).toBe(2);
  });
});
