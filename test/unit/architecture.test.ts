/**
 * The layout's rules, checked on the source itself: no import circle between source files (type
 * imports included), and the flow tenant file → model → plan → components only runs forwards
 * (model/ never imports plan/ or components/, plan/ never imports components/, nothing but the
 * offline engine and tools imports engine/).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../support/fixtures";

const SOURCE_DIRS = ["model", "config", "plan", "lib", "components", "stacks", "engine", "tools", "policy"];

function sourceFiles(): string[] {
  const files = ["index.ts"];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(REPO, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== "node_modules") walk(rel);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) files.push(rel);
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  return files.sort();
}

/** Relative imports of a file (`import … from`, `export … from`, `require(…)`), resolved to files. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(REPO, file), "utf8");
  const specs = [...text.matchAll(/(?:from\s+|require\(\s*|import\(\s*)"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]);
  return specs.map((spec) => {
    const base = path.normalize(path.join(path.dirname(file), spec));
    const found = [`${base}.ts`, base, path.join(base, "index.ts")].find((f) => fs.existsSync(path.join(REPO, f)) && fs.statSync(path.join(REPO, f)).isFile());
    if (!found) throw new Error(`${file}: cannot resolve ${spec}`);
    return found;
  });
}

const graph = new Map(sourceFiles().map((f) => [f, importsOf(f)]));

describe("source layout", () => {
  it("has no import circle", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        cycles.push([...trail.slice(trail.indexOf(file)), file].join(" → "));
        return;
      }
      state.set(file, "open");
      for (const dep of graph.get(file) ?? []) visit(dep, [...trail, file]);
      state.set(file, "done");
    };
    for (const file of graph.keys()) visit(file, []);
    expect(graph.size).toBeGreaterThan(60);
    expect(cycles).toEqual([]);
  });

  it("only imports forwards along tenant file → model → config → plan → components", () => {
    const layer = (f: string) => f.split(path.sep)[0];
    const forbidden: Record<string, string[]> = {
      lib: ["model", "config", "plan", "components", "stacks", "engine", "tools", "policy"],
      model: ["config", "plan", "components", "stacks", "engine", "tools", "policy"],
      config: ["plan", "components", "stacks", "engine", "tools", "policy"],
      plan: ["components", "stacks", "engine", "tools", "policy"],
      components: ["stacks", "engine", "tools", "policy"],
      stacks: ["engine", "tools", "policy"],
      // The policy pack is its own package: it imports nothing of the program.
      policy: ["lib", "model", "config", "plan", "components", "stacks", "engine", "tools", "index.ts"],
    };
    const wrong: string[] = [];
    for (const [file, deps] of graph) {
      for (const dep of deps) if (forbidden[layer(file)]?.includes(layer(dep))) wrong.push(`${file} → ${dep}`);
    }
    expect(wrong).toEqual([]);
  });
});
