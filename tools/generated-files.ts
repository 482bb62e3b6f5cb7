/**
 * Every file this repository generates from its own definitions, by path: the tenant and plans
 * JSON Schemas (model/schema.ts), Pulumi.yaml's config block and docs/configuration.md
 * (config/keys.ts). `npm run schema` writes them; a test checks they are current.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { configurationDoc, pulumiProjectFile } from "../config/documents";
import { schemaFiles } from "../model/schema-files";

export function generatedFiles(repoRoot: string): Record<string, string> {
  const projectFile = path.join(repoRoot, "Pulumi.yaml");
  return {
    ...schemaFiles(repoRoot),
    [projectFile]: pulumiProjectFile(fs.readFileSync(projectFile, "utf8")),
    [path.join(repoRoot, "docs/configuration.md")]: configurationDoc(),
  };
}
