/**
 * config/keys.ts is the one declaration of stack config: the reader asks for exactly its keys,
 * every default passes its own schema, and what Pulumi.yaml declares is what the registry says.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CONFIG_KEYS } from "../../../config/keys";
import { readSettings } from "../../../config/settings";
import { configProblems } from "../../../config/validate";
import { REPO } from "../../support/fixtures";

const registry = Object.keys(CONFIG_KEYS).sort();

describe("stack config keys", () => {
  it("are exactly what the settings reader reads", () => {
    const asked = new Set<string>();
    readSettings((key) => {
      asked.add(key);
      return undefined;
    });
    expect([...asked].sort()).toEqual(registry);
  });

  it("have defaults that pass their own schemas, and only the required keys lack one", () => {
    expect(configProblems(() => undefined).map((p) => p.path)).toEqual(
      Object.entries(CONFIG_KEYS)
        .filter(([, spec]) => "required" in spec && spec.required)
        .map(([key]) => `tenancy:${key}`),
    );
    for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
      if ("default" in spec) expect(configProblems((k) => (k === key ? spec.default : k === "clusterPodCidrs" ? ["10.0.0.0/8"] : undefined)), key).toEqual([]);
    }
  });

  it("are declared in Pulumi.yaml with the registry's type and default, required keys without one", () => {
    const declared = parse(fs.readFileSync(path.join(REPO, "Pulumi.yaml"), "utf8")).config as Record<string, { type: string; default?: unknown; description: string }>;
    for (const [name, entry] of Object.entries(declared)) {
      const key = name.replace(/^tenancy:/, "") as keyof typeof CONFIG_KEYS;
      const spec = CONFIG_KEYS[key] as { default?: unknown; required?: true; description: string };
      expect(spec, name).toBeDefined();
      expect(entry.default, name).toEqual(spec.default);
      expect(entry.description, name).toBe(spec.description);
      if (spec.required) expect("default" in entry, name).toBe(false);
    }
    expect(Object.keys(declared)).toContain("tenancy:clusterPodCidrs");
  });

  it("accept what Pulumi hands the program (strings, JSON for lists and numbers) and keep string keys as written", () => {
    const raw: Record<string, string> = { clusterPodCidrs: '["10.244.0.0/16"]', natsClientPort: "4223", natsOperatorName: "123", natsDeployHub: "true" };
    expect(configProblems((k) => raw[k])).toEqual([]);
    const settings = readSettings((k) => raw[k]);
    expect(settings.natsHub.clientPort).toBe(4223);
    expect(settings.nats.operatorName).toBe("123");
    expect(settings.nats.deployHub).toBe(true);
    expect(settings.edge.clusterPodCidrs).toEqual(["10.244.0.0/16"]);
  });
});
