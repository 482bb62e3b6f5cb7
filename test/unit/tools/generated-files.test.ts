import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { generatedFiles } from "../../../tools/generated-files";
import { EXAMPLES_DIR, REPO } from "../../support/fixtures";

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
