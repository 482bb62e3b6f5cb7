/** Writes schema/*.json (for editors) from the TypeBox definitions; a test checks they are current. */
import * as fs from "node:fs";
import * as path from "node:path";
import { schemaFiles } from "../model/schema-files";

for (const [file, content] of Object.entries(schemaFiles(path.resolve(__dirname, "..")))) {
  fs.writeFileSync(file, content);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
