/** Applying a unified diff, as a reader of `npm run diff --format unified` would: the render-diff tests' patch tool. */
import { splitLines } from "../../tools/render-diff/line-diff";

/** Applies a unified diff (as formatUnified writes it) to files; refuses context that does not match. */
export function applyUnified(patch: string, files: Map<string, string>): Map<string, string> {
  const result = new Map(files);
  const lines = patch.split("\n");
  let i = lines.findIndex((l) => l.startsWith("--- "));
  while (i >= 0 && i < lines.length && lines[i].startsWith("--- ")) {
    const from = lines[i].slice(4);
    const to = lines[i + 1].slice(4);
    i += 2;
    const file = (to === "/dev/null" ? from : to).replace(/^[ab]\//, "");
    const old = from === "/dev/null" ? [] : splitLines(result.get(file) ?? "");
    const out: string[] = [];
    let at = 0;
    while (i < lines.length && lines[i].startsWith("@@")) {
      const m = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$/.exec(lines[i])!;
      const start = Number(m[1]) - (m[2] === "0" ? 0 : 1);
      out.push(...old.slice(at, start));
      at = start;
      i++;
      while (i < lines.length && /^[ +\-\\]/.test(lines[i]) && !lines[i].startsWith("--- ")) {
        const [mark, text] = [lines[i][0], lines[i].slice(1)];
        const noNewline = lines[i + 1]?.startsWith("\\ No newline");
        const line = noNewline ? text : text + "\n";
        if (mark === " " || mark === "-") {
          if (old[at] !== line) throw new Error(`${file}: context mismatch at line ${at + 1}`);
          at++;
        }
        if (mark === " " || mark === "+") out.push(line);
        i += noNewline ? 2 : 1;
      }
    }
    out.push(...old.slice(at));
    if (to === "/dev/null") result.delete(file);
    else result.set(file, out.join(""));
  }
  return result;
}
