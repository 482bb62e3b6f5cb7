import { beforeAll, describe, expect, it } from "vitest";
import { renderExamples, type ExampleRender } from "../support/fixtures";
import { validateManifest } from "../oracles/k8s-validate";
import { registerNackSchemas } from "../oracles/nack-crds";

// NACK's Stream and Account are custom resources: validated against NACK's own CRD schema.
registerNackSchemas();

let render: ExampleRender;
beforeAll(async () => {
  render = await renderExamples();
});

describe("every rendered Kubernetes object", () => {
  it("validates against the Kubernetes OpenAPI schema and Kubernetes' name rules", () => {
    expect(render.manifests.length).toBeGreaterThan(90);
    const problems = render.manifests.flatMap((m) => validateManifest(m.object).map((p) => `${m.file}: ${p.path}: ${p.message}`));
    expect(problems).toEqual([]);
  });

  const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]);
  it("is a complete manifest: apiVersion, kind, metadata.name, and a namespace for namespaced kinds", () => {
    for (const m of render.manifests) {
      expect(typeof m.object.apiVersion, m.file).toBe("string");
      expect(typeof m.object.kind, m.file).toBe("string");
      expect(typeof m.object.metadata?.name, m.file).toBe("string");
      if (!CLUSTER_SCOPED.has(m.object.kind)) expect(typeof m.object.metadata.namespace, m.file).toBe("string");
    }
  });

  it("would be caught if it were wrong (the validator is live on this data)", () => {
    const policy = structuredClone(render.manifests.find((m) => m.object.kind === "NetworkPolicy")!.object);
    policy.spec.podSelectr = policy.spec.podSelector;
    delete policy.spec.podSelector;
    expect(validateManifest(policy).map((p) => p.path)).toEqual(expect.arrayContaining(["spec.podSelectr"]));
  });
});
