/**
 * The edge's workloads as manifests: Pod Security `restricted` (the oracle in
 * test/oracles/pod-security.ts implements the documented rules), ports a non-root container can
 * bind, resources within the namespace's LimitRange and quota, and one workload per collector the
 * tenant files list. The OpenAPI check of every object (these included) is test/program/openapi.test.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { parseQuantityMilli } from "../../lib/quantity";
import { workloadViolations } from "../oracles/pod-security";
import { EXAMPLES_DIR, ofKind, renderExamples, type ExampleRender } from "../support/fixtures";

let render: ExampleRender;
beforeAll(async () => {
  render = await renderExamples();
});

interface TenantDoc {
  slug: string;
  status: string;
  collectors?: { type: string; partition: string; replicas?: number }[];
}
const tenantFiles = (): TenantDoc[] =>
  fs.readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith(".yaml")).map((f) => parseYaml(fs.readFileSync(path.join(EXAMPLES_DIR, f), "utf8")) as TenantDoc);

const deployments = () => ofKind(render.manifests, "Deployment");
const milli = (q: string | number) => parseQuantityMilli(q)!;

describe("edge workloads", () => {
  it("run one Deployment per collector the tenant files list, plus one leaf node per tenant with collectors, with the file's replicas (0 while suspended)", () => {
    const expected: [string, string, number][] = [];
    for (const t of tenantFiles()) {
      const running = t.status === "active";
      for (const c of t.collectors ?? []) expected.push([`tenant-${t.slug}-edge`, `${c.type}-${c.partition}`, running ? (c.replicas ?? 1) : 0]);
      if ((t.collectors ?? []).length > 0) expected.push([`tenant-${t.slug}-edge`, "nats-leaf", running ? 1 : 0]);
    }
    const actual = deployments().map((d): [string, string, number] => [d.metadata.namespace, d.metadata.name, d.spec.replicas]);
    expect(actual.sort()).toEqual(expected.sort());
  });

  it("pass Pod Security restricted (every Deployment's pod template), and the oracle would catch a regression", () => {
    for (const d of deployments()) expect(workloadViolations(d), `${d.metadata.namespace}/${d.metadata.name}`).toEqual([]);
    // The same check fails on a pod that may escalate or keeps its capabilities.
    const broken = structuredClone(deployments()[0]);
    broken.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
    delete broken.spec.template.spec.containers[0].securityContext.capabilities;
    expect(workloadViolations(broken).length).toBeGreaterThanOrEqual(2);
  });

  it("live in namespaces that enforce restricted", () => {
    for (const d of deployments()) {
      const ns = ofKind(render.manifests, "Namespace").find((n) => n.metadata.name === d.metadata.namespace)!;
      expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"], ns.metadata.name).toBe("restricted");
    }
  });

  it("bind only unprivileged ports; each Service maps the well-known ingest port onto them", () => {
    const wellKnown: Record<string, [number, string][]> = { flowgger: [[514, "UDP"]], trapd: [[162, "UDP"]], netflow: [[2055, "UDP"]], otel: [[4317, "TCP"]] };
    for (const d of deployments()) {
      for (const c of d.spec.template.spec.containers) for (const p of c.ports ?? []) expect(p.containerPort, `${d.metadata.name} ${p.name}`).toBeGreaterThan(1024);
      const type = d.spec.template.metadata.labels["app.kubernetes.io/name"];
      const svc = ofKind(render.manifests, "Service").find((s) => s.metadata.namespace === d.metadata.namespace && s.metadata.name === d.metadata.name)!;
      expect(svc.spec.type).toBe("ClusterIP");
      for (const [port, protocol] of wellKnown[type] ?? []) {
        const sp = svc.spec.ports.find((p: any) => p.port === port && p.protocol === protocol);
        expect(sp, `${d.metadata.name} ${protocol}/${port}`).toBeDefined();
        const containerPorts = d.spec.template.spec.containers[0].ports.map((p: any) => `${p.protocol}/${p.containerPort}`);
        expect(containerPorts).toContain(`${protocol}/${sp.targetPort}`);
      }
      // The Service selects exactly this Deployment's pods.
      for (const [k, v] of Object.entries(svc.spec.selector)) expect(d.spec.template.metadata.labels[k]).toBe(v);
    }
  });

  it("request and limit within the namespace's LimitRange, and fit its quota with their update strategy's surge", () => {
    const byNamespace = new Map<string, any[]>();
    for (const d of deployments()) byNamespace.set(d.metadata.namespace, [...(byNamespace.get(d.metadata.namespace) ?? []), d]);
    for (const [ns, ds] of byNamespace) {
      const lr = ofKind(render.manifests, "LimitRange").find((l) => l.metadata.namespace === ns)!.spec.limits[0];
      const quota = ofKind(render.manifests, "ResourceQuota").find((q) => q.metadata.namespace === ns)!.spec.hard;
      const sum = { "requests.cpu": 0n, "requests.memory": 0n, "limits.cpu": 0n, "limits.memory": 0n, pods: 0n };
      for (const d of ds) {
        // Every container of the pod counts (the leaf's pod also runs what keeps its local streams).
        const containers = d.spec.template.spec.containers.map((c: any) => c.resources);
        for (const r of containers) {
          for (const res of ["cpu", "memory"] as const) {
            expect(milli(r.requests[res]) <= milli(r.limits[res]), `${d.metadata.name} ${res}`).toBe(true);
            expect(milli(r.limits[res]) <= milli(lr.max[res]), `${d.metadata.name} ${res} ≤ max`).toBe(true);
          }
        }
        const r = { requests: {} as Record<string, bigint>, limits: {} as Record<string, bigint> };
        for (const kind of ["requests", "limits"] as const) for (const res of ["cpu", "memory"]) r[kind][res] = containers.reduce((n: bigint, c: any) => n + milli(c[kind][res]), 0n);
        // Pods at once during an update (Kubernetes' Deployment semantics): a rolling update with
        // maxSurge 1 runs replicas + 1; Recreate stops the old pods first. The leaf is recreated
        // (a second leaf connection would exceed plans that admit one); collectors roll.
        const isLeaf = d.spec.template.metadata.labels["app.kubernetes.io/component"] === "leaf";
        if (isLeaf) expect(d.spec.strategy).toEqual({ type: "Recreate" });
        else expect(d.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
        const surge = d.spec.strategy.type === "RollingUpdate" ? d.spec.strategy.rollingUpdate.maxSurge : 0;
        const pods = BigInt(d.spec.replicas === 0 ? 0 : d.spec.replicas + surge);
        sum.pods += pods * 1000n;
        sum["requests.cpu"] += r.requests.cpu! * pods;
        sum["requests.memory"] += r.requests.memory! * pods;
        sum["limits.cpu"] += r.limits.cpu! * pods;
        sum["limits.memory"] += r.limits.memory! * pods;
      }
      for (const [key, used] of Object.entries(sum)) expect(used <= milli(quota[key]), `${ns} ${key}: ${used} ≤ ${quota[key]}`).toBe(true);
    }
  });

  it("mount every file from read-only Secret or ConfigMap volumes, with no service account token", () => {
    for (const d of deployments()) {
      const spec = d.spec.template.spec;
      expect(spec.automountServiceAccountToken).toBe(false);
      for (const c of spec.containers) {
        for (const m of c.volumeMounts) {
          const v = spec.volumes.find((x: any) => x.name === m.name);
          if (v.emptyDir) continue;
          expect(m.readOnly, `${d.metadata.name} ${c.name} ${m.name}`).toBe(true);
        }
      }
    }
  });
});
