import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { FakeProviders } from "../../engine/fakes";
import { readTree } from "../support/fixtures";
import { renderSync } from "../support/render";

/** Runs `npm run render`'s entry point in a fresh process and returns every written file's bytes. */
function render(): Map<string, Buffer> {
  return readTree(renderSync({ out: fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-render-")) }));
}

describe("render determinism", () => {
  it("renders the same files to identical bytes twice, declared inputs included", () => {
    const first = render();
    const second = render();
    expect(first.size).toBeGreaterThan(100);
    expect([...second.keys()].sort()).toEqual([...first.keys()].sort());
    const differing = [...first].filter(([file, bytes]) => !bytes.equals(second.get(file)!)).map(([file]) => file);
    expect(differing).toEqual([]);
    expect(first.has("resources.yaml") && first.has("summary.txt") && first.has("outputs.yaml")).toBe(true);
  }, 120_000);
});

describe("fake providers", () => {
  const randomBytes = (fakes: FakeProviders, urn: string, keepers?: Record<string, string>) =>
    fakes.newResource({ urn, type: "random:index/randomBytes:RandomBytes", name: "k", custom: true, inputs: { length: 32, ...(keepers ? { keepers } : {}) } }).state.hex;

  it("derive random values from the seed and the resource identity, like a real (stable) state", () => {
    const a = new FakeProviders("seed-a");
    const b = new FakeProviders("seed-b");
    expect(randomBytes(a, "urn:x")).toBe(randomBytes(new FakeProviders("seed-a"), "urn:x"));
    expect(randomBytes(a, "urn:x")).not.toBe(randomBytes(b, "urn:x"));
    expect(randomBytes(a, "urn:x")).not.toBe(randomBytes(a, "urn:y"));
    expect(randomBytes(a, "urn:x", { rotate: "1" })).not.toBe(randomBytes(a, "urn:x", { rotate: "2" }));
    expect(randomBytes(a, "urn:x")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuse resource types they do not know instead of echoing inputs", () => {
    expect(() => new FakeProviders("s").newResource({ urn: "urn:x", type: "aws:s3/bucket:Bucket", name: "k", custom: true, inputs: {} })).toThrow(/no fake for resource type/);
  });
});
