/**
 * Suspension means stopped, over the rendered examples (umbrella is suspended in tenants/): every
 * quota key at zero, admins reduced to viewers, a Job that deletes the running pods of exactly the
 * tenant's own namespaces with the least it needs, and nothing of the tenant's data touched. The
 * expectations come from the tenant files and from Kubernetes' rules (a pod is admitted only
 * within `pods`; deleted pods of a controller come back only as new pods), not from the plan.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadTenants } from "../../model/load";
import { restrictedViolations } from "../oracles/pod-security";
import { EXAMPLES_DIR, PLANS_FILE, REPO, ofKind, renderExamples, CELLS_FILE } from "../support/fixtures";
import type { RenderedManifest } from "../../engine/render";
import { grantedTo, rights } from "../support/rbac";

let manifests: RenderedManifest[];
const tenants = loadTenants({ tenantsDir: EXAMPLES_DIR, plansFile: PLANS_FILE, cellsFile: CELLS_FILE, relativeTo: REPO }).tenants;
const suspended = tenants.filter((t) => t.status === "suspended");
const active = tenants.filter((t) => t.status === "active");
/** A tenant's own namespaces, from its file: root and one per organization (the edge is scaled to zero by its plan). */
const ownNamespaces = (t: (typeof tenants)[number]) => [`tenant-${t.slug}`, ...t.organizations.map((o) => `tenant-${t.slug}-org-${o.id}`)];

beforeAll(async () => {
  ({ manifests } = await renderExamples());
}, 120_000);

const inNs = (kind: string, ns: string, name: string) => ofKind(manifests, kind).find((o) => o.metadata.namespace === ns && o.metadata.name === name);

describe("a suspended tenant (umbrella)", () => {
  it("is in the examples, and so are active ones", () => {
    expect(suspended.map((t) => t.slug)).toEqual(["umbrella"]);
    expect(active.length).toBeGreaterThanOrEqual(3);
  });

  it("has every key of every quota at zero, in every namespace, the edge included: no pod, object or byte more is admitted", () => {
    for (const t of suspended) {
      for (const ns of [...ownNamespaces(t), `tenant-${t.slug}-edge`]) {
        const hard = inNs("ResourceQuota", ns, "tenant-quota")!.spec.hard as Record<string, string>;
        expect(Object.keys(hard).length, ns).toBeGreaterThanOrEqual(30);
        expect(Object.entries(hard).filter(([, v]) => v !== "0"), ns).toEqual([]);
      }
    }
  });

  it("gives its admins exactly what its viewers have: no exec, port-forward, Secrets or writes", () => {
    const all = manifests.map((m) => m.object);
    for (const t of suspended) {
      for (const ns of ownNamespaces(t)) {
        for (const admin of t.admins) {
          const granted = grantedTo(all, ns, admin).rules;
          expect(rights(granted), `${ns} ${admin}`).toEqual(rights(grantedTo(all, ns, t.viewers[0]).rules));
          const verbs = new Set(granted.flatMap((r) => r.verbs));
          expect([...verbs].sort(), ns).toEqual(["get", "list", "watch"]);
          expect(granted.some((r) => r.resources.includes("secrets") || r.resources.includes("pods/exec")), ns).toBe(false);
        }
      }
    }
    // An active tenant's admins still manage their namespaces.
    const acme = grantedTo(all, "tenant-acme-corp", "acme-corp:platform-admins").rules;
    expect(acme.some((r) => r.resources.includes("pods/exec"))).toBe(true);
  });

  it("runs a Job in the platform namespace that deletes the running pods of each of its own namespaces, and nothing else", () => {
    for (const t of suspended) {
      const job = inNs("Job", "platform", `suspend-${t.slug}`)!;
      expect(job).toBeDefined();
      const spec = job.spec.template.spec;
      expect(spec.serviceAccountName).toBe("tenancy-suspender");
      expect(spec.restartPolicy).toBe("Never");
      expect(spec.containers.map((c: any) => c.args)).toEqual(ownNamespaces(t).map((ns) => ["delete", "pods", "--all", "--namespace", ns, "--wait=false", "--ignore-not-found"]));
      // Runs under `restricted` although the platform namespace only enforces baseline.
      expect(restrictedViolations(spec, job.metadata.name)).toEqual([]);
    }
    expect(ofKind(manifests, "Job").map((j) => j.metadata.name)).toEqual(suspended.map((t) => `suspend-${t.slug}`));
  });

  it("lets the suspender delete pods in the suspended tenant's own namespaces only: no other verb, resource, namespace or subject", () => {
    const roles = ofKind(manifests, "Role").filter((r) => r.metadata.name === "tenancy-suspender");
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual(suspended.flatMap(ownNamespaces).sort());
    for (const r of roles) expect(r.rules).toEqual([{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "delete"] }]);
    const bindings = ofKind(manifests, "RoleBinding").filter((b) => b.metadata.name === "tenancy-suspender");
    expect(bindings.map((b) => b.metadata.namespace).sort()).toEqual(roles.map((r) => r.metadata.namespace).sort());
    for (const b of bindings) {
      expect(b.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "tenancy-suspender" });
      expect(b.subjects).toEqual([{ kind: "ServiceAccount", name: "tenancy-suspender", namespace: "platform" }]);
    }
    expect(ofKind(manifests, "ServiceAccount").filter((s) => s.metadata.name === "tenancy-suspender").map((s) => s.metadata.namespace)).toEqual(["platform"]);
  });

  it("deletes nothing that holds data: its namespaces stay protected and declared, its volume claims and Secrets are not the Job's to touch", () => {
    for (const t of suspended) {
      for (const ns of ownNamespaces(t)) expect(ofKind(manifests, "Namespace").some((n) => n.metadata.name === ns), ns).toBe(true);
      const job = inNs("Job", "platform", `suspend-${t.slug}`)!;
      for (const c of job.spec.template.spec.containers) expect(c.args.slice(0, 2)).toEqual(["delete", "pods"]);
    }
  });
});
