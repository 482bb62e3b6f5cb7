/**
 * `npm run new-tenant`'s library (tools/lib-new-tenant.ts): the scaffolded file starts with the
 * schema reference, validates with the repository's loader together with the other tenant files,
 * and round-trips; refusals (bad slug, unknown plan, existing file, a namespace colliding with
 * another tenant's) carry the loader's message and leave the directory exactly as it was. The
 * command line itself is test/program/new-tenant-cli.test.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { loadTenants } from "../../../model/load";
import { ValidationError } from "../../../model/problems";
import { ScaffoldError, parseCollector, scaffoldTenant, tenantDocument, type ScaffoldOptions } from "../../../tools/lib-new-tenant";
import { PLANS_FILE, readTree, repositoryCopy, CELLS_FILE } from "../../support/fixtures";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-new-tenant-test-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const checkout = () => repositoryCopy(work);

const options = (root: string, extra: Partial<ScaffoldOptions> & { slug: string }): ScaffoldOptions => ({
  plan: "pro",
  dir: "tenants",
  plansFile: "plans/plans.yaml",
  schemaFile: "schema/tenant.schema.json",
  relativeTo: root,
  ...extra,
});

const tenantsOf = (root: string) => readTree(path.join(root, "tenants"), "utf8");

describe("scaffolding a tenant", () => {
  it("writes a file with the schema reference that validates with every other tenant and round-trips", () => {
    const root = checkout();
    const { file, text } = scaffoldTenant(options(root, {
      slug: "hooli",
      displayName: "Hooli XYZ",
      admins: ["hooli:sre"],
      viewers: ["hooli:noc"],
      organizations: ["netops"],
      collectors: ["flowgger:hq:2", "trapd:hq"],
    }));
    expect(file).toBe(path.join(root, "tenants/hooli.yaml"));
    expect(fs.readFileSync(file, "utf8")).toBe(text);
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../schema/tenant.schema.json");
    // Round trip: the YAML is exactly the document the options describe.
    const document = {
      slug: "hooli",
      displayName: "Hooli XYZ",
      plan: "pro",
      status: "active",
      access: { admins: ["hooli:sre"], viewers: ["hooli:noc"] },
      organizations: [{ id: "netops" }],
      collectors: [{ type: "flowgger", partition: "hq", replicas: 2 }, { type: "trapd", partition: "hq" }],
    };
    expect(parse(text)).toEqual(document);
    // The loader resolves it with the examples, as render and pulumi up will.
    const { tenants } = loadTenants({ tenantsDir: path.join(root, "tenants"), plansFile: PLANS_FILE, cellsFile: CELLS_FILE, relativeTo: root });
    const hooli = tenants.find((t) => t.slug === "hooli")!;
    expect(hooli).toMatchObject({ plan: "pro", status: "active", admins: ["hooli:sre"], viewers: ["hooli:noc"] });
    expect(hooli.collectors).toEqual([{ type: "flowgger", partition: "hq", replicas: 2, syslogFormat: "rfc3164" }, { type: "trapd", partition: "hq", replicas: 1 }]);
    expect(tenants.map((t) => t.slug)).toEqual(["acme-corp", "globex", "hooli", "initech", "umbrella"]);
  });

  it("fills in a readable display name and an admin group when they are not given", () => {
    expect(tenantDocument({ slug: "acme-east", plan: "free" })).toEqual({
      slug: "acme-east",
      displayName: "Acme East",
      plan: "free",
      status: "active",
      access: { admins: ["acme-east:admins"] },
    });
  });

  it("parses collectors as type:partition[:replicas] and leaves their validity to the schema", () => {
    expect(parseCollector("otel:dc-east")).toEqual({ type: "otel", partition: "dc-east" });
    expect(parseCollector("netflow:core:3")).toEqual({ type: "netflow", partition: "core", replicas: 3 });
    expect(parseCollector("netflow:core:many")).toEqual({ type: "netflow", partition: "core", replicas: "many" });
    for (const bad of ["otel", "otel:", ":hq", "a:b:c:d"]) expect(() => parseCollector(bad)).toThrow(ScaffoldError);
  });
});

describe("refusals leave the tenants directory as it was", () => {
  /** Scaffolds in a fresh checkout expecting a refusal; returns the message and checks nothing changed. */
  function refused(extra: Partial<ScaffoldOptions> & { slug: string }, prepare?: (root: string) => void): string {
    const root = checkout();
    prepare?.(root);
    const before = tenantsOf(root);
    let message = "";
    try {
      scaffoldTenant(options(root, extra));
    } catch (err) {
      expect(err instanceof ValidationError || err instanceof ScaffoldError, String(err)).toBe(true);
      message = (err as Error).message;
    }
    expect(message, "must be refused").not.toBe("");
    expect(tenantsOf(root)).toEqual(before);
    return message;
  }

  it("a slug that is not a DNS label (the schema's rule, in the loader's words)", () => {
    expect(refused({ slug: "Hooli_Inc" })).toContain("tenants/Hooli_Inc.yaml: slug: must be a DNS label");
    expect(refused({ slug: "a".repeat(41) })).toContain("slug: must NOT have more than 40 characters");
  });

  it("a reserved slug, and one containing the organization separator", () => {
    expect(refused({ slug: "platform" })).toContain('tenants/platform.yaml: slug: "platform" is reserved');
    expect(refused({ slug: "a-org-b" })).toContain('tenants/a-org-b.yaml: slug: must not contain "-org-"');
  });

  it("a slug that would leave the directory", () => {
    expect(refused({ slug: "../escape" })).toMatch(/cannot be a file name/);
    expect(fs.existsSync(path.join(work, "escape.yaml"))).toBe(false);
  });

  it("an unknown plan, listing the known ones", () => {
    expect(refused({ slug: "hooli", plan: "gold" })).toContain('tenants/hooli.yaml: plan: must be one of "basic", "enterprise", "free", "pro" (got "gold")');
  });

  it("an unknown collector type and a bad replica count", () => {
    const message = refused({ slug: "hooli", collectors: ["syslog:hq", "otel:dc:lots"] });
    expect(message).toContain('tenants/hooli.yaml: collectors[0].type: must be one of "flowgger", "trapd", "netflow", "otel" (got "syslog")');
    expect(message).toContain('tenants/hooli.yaml: collectors[1].replicas: must be integer (got "lots")');
  });

  it("an existing file, unless --force; a forced but invalid replacement restores the old file", () => {
    expect(refused({ slug: "initech" })).toBe("tenants/initech.yaml already exists; pass --force to replace it");
    expect(refused({ slug: "initech", force: true, plan: "gold" })).toContain('tenants/initech.yaml: plan: must be one of "basic", "enterprise", "free", "pro" (got "gold")');
    const root = checkout();
    scaffoldTenant(options(root, { slug: "initech", force: true, plan: "basic", admins: ["initech:admins"] }));
    expect(parse(fs.readFileSync(path.join(root, "tenants/initech.yaml"), "utf8")).plan).toBe("basic");
  });

  it("a namespace that collides with another tenant's (the loader checks the whole directory)", () => {
    // Tenant "x1-org" with organization "x" owns tenant-x1-org-org-x; "x1" with organization "org-x" would too.
    const message = refused({ slug: "x1", organizations: ["org-x"] }, (root) =>
      fs.writeFileSync(path.join(root, "tenants/x1-org.yaml"), "slug: x1-org\ndisplayName: X\nplan: pro\nstatus: active\naccess: { admins: [x1-org:admins] }\norganizations: [{ id: x }]\n"),
    );
    expect(message).toContain('tenants/x1.yaml: organizations[0].id: namespace of organization "org-x" "tenant-x1-org-org-x" collides with namespace of organization "x" of tenants/x1-org.yaml');
  });
});
