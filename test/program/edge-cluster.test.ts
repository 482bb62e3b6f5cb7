/**
 * Edges that reach the hub from outside the platform cluster, and collectors behind LoadBalancers.
 *
 * An edge in the tenant's own cluster (`edge.cluster` in the tenant file): the edge namespace and
 * everything in it go through that cluster's provider, whose kubeconfig comes from secret stack
 * config only; the leaf dials the hub's public address; the tenant's platform namespaces keep the
 * whole quota (the edge runs on the customer's nodes).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { isSecretValue, runOffline, type OfflineRun } from "../../engine/offline";
import { renderManifests, writeRender, type RenderedManifest } from "../../engine/render";
import { EXAMPLES_DIR, readTree } from "../support/fixtures";
import { validateManifest } from "../oracles/k8s-validate";
import { registerNackSchemas } from "../oracles/nack-crds";
import { ReachabilityOracle, type PodInfo } from "../oracles/reachability";

import { edgeKubeconfig } from "../support/kubeconfig";
registerNackSchemas();

const KUBECONFIG_MARKER = "edge-cluster-credential-7f3a9c";
const KUBECONFIG = edgeKubeconfig(KUBECONFIG_MARKER);
const PUBLIC_HUB = "nats.tenancy.example.net";

let run: OfflineRun;
let manifests: RenderedManifest[];
let out: string;

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-cluster-tenants-"));
  // The free and basic plans have no LoadBalancers: their tenants are left out of this stack.
  for (const f of fs.readdirSync(EXAMPLES_DIR).filter((x) => x.endsWith(".yaml") && !["initech.yaml", "umbrella.yaml"].includes(x))) {
    const doc = parseYaml(fs.readFileSync(path.join(EXAMPLES_DIR, f), "utf8"));
    if (doc.slug === "globex") doc.edge = { cluster: "globex-dc" };
    // Room for a LoadBalancer per collector beside one per namespace (the split gives each one).
    if (doc.slug === "acme-corp") doc.overrides.kubernetes.quota["services.loadbalancers"] = 8;
    fs.writeFileSync(path.join(dir, f), stringify(doc));
  }
  run = await runOffline({
    config: {
      "tenancy:tenantsDir": dir,
      "tenancy:natsHubPublicDnsNames": JSON.stringify([PUBLIC_HUB]),
      "tenancy:edgeKubeconfig-globex-dc": KUBECONFIG,
      "tenancy:edgeServiceType": "LoadBalancer",
      "tenancy:edgeClusterPodCidrs": JSON.stringify({ "globex-dc": ["10.42.0.0/16"] }),
    },
  });
  manifests = renderManifests(run);
  out = fs.mkdtempSync(path.join(os.tmpdir(), "edge-cluster-render-"));
  writeRender(out, run);
});

const inCluster = (cluster: string) => manifests.filter((m) => m.file.startsWith(`manifests/clusters/${cluster}/`));

describe("an edge in the tenant's own cluster", () => {
  it("declares the edge namespace and everything in it through that cluster's provider, rendered under clusters/<name>/", () => {
    const remote = inCluster("globex-dc");
    expect(remote.length).toBeGreaterThan(15);
    expect(new Set(remote.map((m) => m.object.metadata.namespace ?? m.object.metadata.name))).toEqual(new Set(["tenant-globex-edge"]));
    const kinds = new Set(remote.map((m) => m.object.kind));
    for (const k of ["Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "Deployment", "Service", "ConfigMap", "Secret"]) expect(kinds, k).toContain(k);
    // Nothing of globex's edge stays in the platform cluster; its other namespaces do.
    expect(manifests.filter((m) => !m.file.startsWith("manifests/clusters/") && (m.object.metadata.namespace === "tenant-globex-edge" || m.object.metadata.name === "tenant-globex-edge"))).toEqual([]);
    expect(manifests.some((m) => m.file === "manifests/_cluster/namespace-tenant-globex.yaml")).toBe(true);
    // Other tenants' edges stay in the platform cluster.
    expect(manifests.some((m) => m.file.startsWith("manifests/tenant-acme-corp-edge/"))).toBe(true);
    const provider = run.registrations.find((r) => r.type === "pulumi:providers:kubernetes" && r.name === "edge-cluster-globex-dc")!;
    expect(provider).toBeDefined();
    for (const m of remote) expect(run.registrations.find((r) => r.urn === m.urn)!.provider.startsWith(provider.urn)).toBe(true);
  });

  it("takes the kubeconfig from secret stack config only: a secret input of the provider, in no rendered file", () => {
    const provider = run.registrations.find((r) => r.name === "edge-cluster-globex-dc")!;
    expect(isSecretValue(provider.inputs.kubeconfig)).toBe(true);
    for (const [file, text] of readTree(out, "utf8")) expect(text.includes(KUBECONFIG_MARKER), file).toBe(false);
  });

  it("has the leaf dial the hub's public address, and its policy allow only the leaf port to the outside", () => {
    const config = inCluster("globex-dc").find((m) => m.object.kind === "ConfigMap" && m.object.metadata.name === "nats-leaf-config")!.object.data["nats-leaf.conf"];
    expect(config).toContain(`url: "nats-leaf://${PUBLIC_HUB}:7422"`);
    const leafToHub = inCluster("globex-dc").find((m) => m.object.kind === "NetworkPolicy" && m.object.metadata.name === "nats-leaf")!.object;
    expect(leafToHub.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 7422 }] }]);
    // The platform-cluster edges still dial the hub's Service.
    const local = manifests.find((m) => m.file === "manifests/tenant-acme-corp-edge/configmap-nats-leaf-config.yaml")!.object.data["nats-leaf.conf"];
    expect(local).toContain('url: "nats-leaf://nats.platform.svc.cluster.local:7422"');
  });

  it("excludes each cluster's own pod network from the ingest sources", () => {
    const ingest = (file: string) => manifests.find((m) => m.file === file)!.object.spec.ingress[0].from;
    expect(ingest("manifests/clusters/globex-dc/tenant-globex-edge/networkpolicy-collector-netflow-emea-core.yaml")).toEqual([{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.42.0.0/16"] } }]);
    expect(ingest("manifests/tenant-acme-corp-edge/networkpolicy-collector-flowgger-hq.yaml")).toEqual([{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.244.0.0/16"] } }]);
  });

  it("keeps the priority-class quota only there, where the platform's admission policies do not run (resource diet)", () => {
    const quotas = (ns: string) => manifests.filter((m) => m.object.kind === "ResourceQuota" && m.object.metadata.namespace === ns).map((m) => m.object.metadata.name).sort();
    expect(quotas("tenant-globex-edge")).toEqual(["tenant-quota", "tenant-unlisted-priority-classes"]);
    const scoped = manifests.find((m) => m.object.metadata.name === "tenant-unlisted-priority-classes")!;
    expect(scoped.file.startsWith("manifests/clusters/globex-dc/")).toBe(true);
    expect(scoped.object.spec).toEqual({ hard: { pods: "0" }, scopeSelector: { matchExpressions: [{ scopeName: "PriorityClass", operator: "Exists" }] } });
    expect(quotas("tenant-globex")).toEqual(["tenant-quota"]);
  });

  it("leaves the tenant's platform namespaces the whole quota: enterprise 32 CPU over its 3 namespaces", () => {
    const quota = manifests.find((m) => m.object.kind === "ResourceQuota" && m.object.metadata.namespace === "tenant-globex")!.object.spec.hard;
    expect(quota["requests.cpu"]).toBe("10666m");
    expect(quota.pods).toBe("100");
  });
});

describe("collectors behind LoadBalancers (tenancy:edgeServiceType), and leaves dialling the hub from outside", () => {
  it("renders only objects that pass the Kubernetes OpenAPI schema", () => {
    const problems = manifests.flatMap((m) => validateManifest(m.object).map((p) => `${m.file}: ${p.path}: ${p.message}`));
    expect(problems).toEqual([]);
  });

  it("gives each collector a LoadBalancer that keeps the devices' addresses and takes no node port; the leaf stays internal", () => {
    const services = manifests.filter((m) => m.object.kind === "Service" && m.object.metadata.namespace === "tenant-acme-corp-edge").map((m) => m.object);
    expect(services.map((s) => [s.metadata.name, s.spec.type]).sort()).toEqual([
      ["flowgger-hq", "LoadBalancer"],
      ["nats-leaf", "ClusterIP"],
      ["otel-dc-east", "LoadBalancer"],
      ["trapd-hq", "LoadBalancer"],
    ]);
    for (const svc of services.filter((x) => x.spec.type === "LoadBalancer")) {
      expect(svc.spec.externalTrafficPolicy).toBe("Local");
      expect(svc.spec.allocateLoadBalancerNodePorts).toBe(false);
    }
    const quota = manifests.find((m) => m.object.kind === "ResourceQuota" && m.object.metadata.namespace === "tenant-acme-corp-edge")!.object.spec.hard;
    expect(quota["services.loadbalancers"]).toBe("3");
    expect(quota["services.nodeports"]).toBe("0");
  });

  it("lets leaves outside the cluster reach the hub's leaf port (only), and still no pod of a non-tenant namespace", () => {
    const policies = manifests.filter((m) => m.object.kind === "NetworkPolicy" && m.object.metadata.namespace === "platform").map((m) => m.object);
    const oracle = new ReachabilityOracle({
      namespaces: [...manifests.filter((m) => m.object.kind === "Namespace").map((m) => ({ name: m.object.metadata.name, labels: m.object.metadata.labels })), { name: "default" }],
      pods: [],
      policies: policies as never[],
    });
    const hub: PodInfo = { namespace: "platform", name: "nats-0", labels: { "app.kubernetes.io/name": "nats", "app.kubernetes.io/component": "nats" }, ip: "10.244.9.9" };
    const site = { external: { ip: "198.51.100.20" } };
    expect(oracle.canConnect(site, { pod: hub }, 7422, "TCP").allowed).toBe(true);
    expect(oracle.canConnect(site, { pod: hub }, 4222, "TCP").allowed).toBe(false);
    expect(oracle.canConnect(site, { pod: hub }, 8222, "TCP").allowed).toBe(false);
    const outsider: PodInfo = { namespace: "default", name: "x", labels: { app: "x" }, ip: "10.244.3.3" };
    expect(oracle.canConnect({ pod: outsider }, { pod: hub }, 7422, "TCP").allowed).toBe(false);
  });
});
