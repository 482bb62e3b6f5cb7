/**
 * tools/cluster-probe.sh run for real (bash, jq) against a stand-in for kubectl that answers the
 * read-only calls it makes with API objects in Kubernetes' JSON forms (a NodeList, the kubelet's
 * configz, StorageClasses…): a cluster that meets every requirement passes, and each unmet one is
 * reported and fails the probe. The stand-in refuses any verb but get/version/api-resources, so
 * the probe is also proven read-only.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../support/fixtures";

const hasJq = spawnSync("jq", ["--version"]).status === 0;

interface Cluster {
  minor: string;
  podPidsLimit?: number;
  cniPods: string[];
  reclaim: string;
  defaultPriority?: number;
  tenantEnforce: string;
}

function probe(c: Cluster): { status: number; out: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-probe-"));
  const answers: Record<string, unknown> = {
    version: { serverVersion: { major: "1", minor: c.minor } },
    policies: { items: ["service-exposure", "pod-scheduling", "volume-claims", "images", "service-account-tokens", "disruption-budgets", "managed-objects"].map((n) => ({ metadata: { name: `tenancy-${n}` } })) },
    kubeSystemPods: { items: [{ metadata: { labels: { "k8s-app": "kube-dns" } } }, ...c.cniPods.map((v) => ({ metadata: { labels: { "k8s-app": v } } }))] },
    configz: { kubeletconfig: c.podPidsLimit === undefined ? {} : { podPidsLimit: c.podPidsLimit } },
    storageclasses: { items: [{ metadata: { name: "standard" }, reclaimPolicy: c.reclaim }] },
    priorityclasses: { items: [{ metadata: { name: "system-node-critical" }, value: 2000001000 }, ...(c.defaultPriority !== undefined ? [{ metadata: { name: "everyone" }, value: c.defaultPriority, globalDefault: true }] : [])] },
    namespaces: { items: [{ metadata: { name: "tenant-a", labels: { "tenancy.serviceradar.io/tenant": "a", "pod-security.kubernetes.io/enforce": c.tenantEnforce } } }] },
    nodes: { items: [{ metadata: { name: "node-1" }, status: { allocatable: { "ephemeral-storage": "100Gi" } } }] },
  };
  for (const [name, value] of Object.entries(answers)) fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(value));
  const stub = `#!/usr/bin/env bash
# kubectl stand-in: read-only verbs only.
d=${JSON.stringify(dir)}
args="$*"
case "$args" in
  *" version -o json"*|"version -o json"*|*"--request-timeout=20s version"*) cat "$d/version.json" ;;
  *"api-resources"*) echo validatingadmissionpolicies.admissionregistration.k8s.io ;;
  *"get validatingadmissionpolicies "*|*"get validatingadmissionpolicybindings "*) cat "$d/policies.json" ;;
  *"get pods -n kube-system -l k8s-app=kube-dns"*) echo pod/coredns-1 ;;
  *"get pods -n kube-system"*) cat "$d/kubeSystemPods.json" ;;
  *"get nodes -o jsonpath"*) echo node-1 ;;
  *"get --raw /api/v1/nodes/node-1/proxy/configz"*) cat "$d/configz.json" ;;
  *"get storageclasses"*) cat "$d/storageclasses.json" ;;
  *"get priorityclasses"*) cat "$d/priorityclasses.json" ;;
  *"get namespaces"*) cat "$d/namespaces.json" ;;
  *"get networkpolicy default-deny -n platform"*) echo networkpolicy/default-deny ;;
  *"get nodes -o json"*) cat "$d/nodes.json" ;;
  *) echo "stub kubectl: refused: $args" >&2; echo "$args" >> "$d/refused"; exit 1 ;;
esac
`;
  fs.writeFileSync(path.join(dir, "kubectl"), stub, { mode: 0o755 });
  const r = spawnSync("bash", [path.join(REPO, "tools/cluster-probe.sh")], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, encoding: "utf8", timeout: 30_000 });
  expect(fs.existsSync(path.join(dir, "refused")) ? fs.readFileSync(path.join(dir, "refused"), "utf8") : "", "every call the probe made was a read").toBe("");
  return { status: r.status ?? -1, out: r.stdout };
}

const GOOD: Cluster = { minor: "31", podPidsLimit: 4096, cniPods: ["calico-node"], reclaim: "Delete", tenantEnforce: "restricted" };

describe.skipIf(!hasJq)("tools/cluster-probe.sh", () => {
  it("passes a cluster that meets every requirement", () => {
    const { status, out } = probe(GOOD);
    expect(out).not.toMatch(/^FAIL/m);
    expect(out).toContain("every requirement met");
    expect(out.match(/^ok /gm)!.length).toBeGreaterThanOrEqual(10);
    expect(status).toBe(0);
  });

  it.each([
    ["Kubernetes 1.29", { minor: "29" }, "FAIL  R1 API server 1.29"],
    ["no PID limit on a node", { podPidsLimit: undefined }, "FAIL  R4 node node-1: podPidsLimit unset or unlimited"],
    ["only flannel", { cniPods: ["flannel"] }, "FAIL  R3 no NetworkPolicy-enforcing CNI"],
    ["a Retain StorageClass", { reclaim: "Retain" }, "FAIL  R5 StorageClass standard: reclaimPolicy Retain"],
    ["a global default PriorityClass", { defaultPriority: 1000 }, "FAIL  R6 global default PriorityClass above 0: everyone"],
    ["a tenant namespace on baseline", { tenantEnforce: "baseline" }, "FAIL  R7 tenant namespaces not enforcing restricted: tenant-a"],
  ])("fails on %s", (_what, change, says) => {
    const { status, out } = probe({ ...GOOD, ...change });
    expect(out).toContain(says);
    expect(out).toContain("1 requirement(s) not met");
    expect(status).toBe(1);
  });

  it("is valid bash", () => {
    execFileSync("bash", ["-n", path.join(REPO, "tools/cluster-probe.sh")]);
  });
});
