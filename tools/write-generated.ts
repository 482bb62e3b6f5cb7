/** `npm run schema`: writes every generated file (tools/generated-files.ts); a test checks they are current. */
import * as fs from "node:fs";
import * as path from "node:path";
import { generatedFiles } from "./generated-files";

for (const [file, content] of Object.entries(generatedFiles(path.resolve(__dirname, "..")))) {
  fs.writeFileSync(file, content);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
