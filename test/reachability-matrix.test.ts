/**
 * Network isolation, proven over the rendered NetworkPolicies: the oracle (Kubernetes' documented
 * semantics) decides every connection; the expectations come from the tenant files alone.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadTenants } from "../lib/validate";
import type { TenantModel } from "../lib/model";
import { ReachabilityOracle, type Endpoint, type PodInfo, type Protocol } from "./oracle/reachability";
import { EXAMPLES_DIR, PLANS_FILE, REPO, ofKind, renderExamples } from "./support/fixtures";

interface TenantNamespace {
  name: string;
  tenant: string;
  org?: string;
}

let oracle: ReachabilityOracle;
let tenantNamespaces: TenantNamespace[];
let tenants: TenantModel[];
const EXTERNAL: Endpoint = { external: { ip: "203.0.113.10" } };
const workload = (ns: string, name = "workload"): PodInfo => ({ namespace: ns, name, labels: { app: name } });
const NATS_LABELS = { "app.kubernetes.io/name": "nats", "app.kubernetes.io/component": "nats" };
const dns: PodInfo = { namespace: "kube-system", name: "coredns", labels: { "k8s-app": "kube-dns" } };
const metricsServer: PodInfo = { namespace: "kube-system", name: "metrics-server", labels: { "k8s-app": "metrics-server" } };
const natsHub: PodInfo = { namespace: "platform", name: "nats-0", labels: NATS_LABELS };
const platformApi: PodInfo = { namespace: "platform", name: "api", labels: { app: "platform-api" } };
const outsider: PodInfo = workload("default", "outsider");

beforeAll(async () => {
  const { manifests } = await renderExamples();
  tenants = loadTenants({ tenantsDir: EXAMPLES_DIR, plansFile: PLANS_FILE, relativeTo: REPO }).tenants;
  // From the tenant files, not from the program: root namespace + one per organization.
  tenantNamespaces = tenants.flatMap((t) => [
    { name: `tenant-${t.slug}`, tenant: t.slug },
    ...t.organizations.map((o) => ({ name: `tenant-${t.slug}-org-${o.id}`, tenant: t.slug, org: o.id })),
  ]);
  const rendered = ofKind(manifests, "Namespace");
  expect(rendered.map((n) => n.metadata.name).sort()).toEqual([...tenantNamespaces.map((n) => n.name), "platform"].sort());
  oracle = new ReachabilityOracle({
    namespaces: [...rendered.map((n) => ({ name: n.metadata.name, labels: n.metadata.labels })), { name: "kube-system" }, { name: "default" }],
    pods: [
      ...tenantNamespaces.flatMap((ns) => [workload(ns.name), workload(ns.name, "sidecar")]),
      dns,
      metricsServer,
      natsHub,
      platformApi,
      outsider,
    ],
    policies: ofKind(manifests, "NetworkPolicy") as never[],
  });
});

/** What the tenant files say: same namespace; root ↔ its orgs; org ↔ org where they share. */
function expectedAllowed(from: TenantNamespace, to: TenantNamespace): boolean {
  if (from.name === to.name) return true;
  if (from.tenant !== to.tenant) return false;
  if (!from.org || !to.org) return true;
  const tenant = tenants.find((t) => t.slug === from.tenant)!;
  const shares = (a: string, b: string) => tenant.organizations.find((o) => o.id === a)!.sharesWith.includes(b);
  return shares(from.org, to.org) || shares(to.org, from.org);
}

const connect = (from: PodInfo | Endpoint, to: PodInfo | Endpoint, port: number, protocol: Protocol = "TCP") =>
  oracle.canConnect("namespace" in from ? { pod: from } : from, "namespace" in to ? { pod: to } : to, port, protocol);

describe("reachability matrix over every rendered NetworkPolicy", () => {
  it("allows within a tenant exactly what its file says, and nothing across tenants (every ordered pair)", () => {
    let pairs = 0;
    let crossTenantDenied = 0;
    const mismatches: string[] = [];
    for (const from of tenantNamespaces) {
      for (const to of tenantNamespaces) {
        const target = from.name === to.name ? workload(to.name, "sidecar") : workload(to.name);
        for (const [port, protocol] of [[80, "TCP"], [4222, "TCP"], [53, "UDP"], [9000, "SCTP"]] as const) {
          const verdict = connect(workload(from.name), target, port, protocol);
          const expected = expectedAllowed(from, to);
          if (verdict.allowed !== expected) mismatches.push(`${from.name} → ${to.name} ${protocol}/${port}: ${verdict.allowed} (${verdict.reason})`);
        }
        pairs++;
        if (from.tenant !== to.tenant) crossTenantDenied++;
      }
    }
    expect(mismatches).toEqual([]);
    expect(pairs).toBe(tenantNamespaces.length ** 2);
    expect(crossTenantDenied).toBeGreaterThan(60);
    console.log(`reachability: ${pairs} ordered namespace pairs × 4 ports checked; ${crossTenantDenied} cross-tenant pairs denied`);
  });

  it("allows organizations of one tenant to talk only where shared (acme-corp: netops ↔ secops)", () => {
    const allowed = (a: string, b: string) => connect(workload(a), workload(b), 8080).allowed;
    expect(allowed("tenant-acme-corp-org-netops", "tenant-acme-corp-org-secops")).toBe(true);
    expect(allowed("tenant-acme-corp-org-secops", "tenant-acme-corp-org-netops")).toBe(true);
    expect(allowed("tenant-acme-corp-org-netops", "tenant-acme-corp-org-finance")).toBe(false);
    expect(allowed("tenant-globex-org-emea", "tenant-globex-org-apac")).toBe(false);
    expect(allowed("tenant-globex-org-emea", "tenant-globex")).toBe(true);
  });

  it("allows DNS only to kube-dns on port 53", () => {
    for (const ns of tenantNamespaces) {
      const pod = workload(ns.name);
      expect(connect(pod, dns, 53, "UDP").allowed, ns.name).toBe(true);
      expect(connect(pod, dns, 53, "TCP").allowed, ns.name).toBe(true);
      expect(connect(pod, dns, 80).allowed, ns.name).toBe(false);
      expect(connect(pod, dns, 9153).allowed, ns.name).toBe(false);
      expect(connect(pod, metricsServer, 53, "UDP").allowed, ns.name).toBe(false);
    }
  });

  it("allows the NATS hub only on its client and leaf ports, and no other platform pod", () => {
    for (const ns of tenantNamespaces) {
      const pod = workload(ns.name);
      expect(connect(pod, natsHub, 4222).allowed, ns.name).toBe(true);
      expect(connect(pod, natsHub, 7422).allowed, ns.name).toBe(true);
      for (const port of [6222, 8222, 80]) expect(connect(pod, natsHub, port).allowed, `${ns.name}:${port}`).toBe(false);
      expect(connect(pod, natsHub, 4222, "UDP").allowed, ns.name).toBe(false);
      expect(connect(pod, platformApi, 4222).allowed, ns.name).toBe(false);
      // and the platform cannot reach into tenants
      expect(connect(platformApi, pod, 80).allowed, ns.name).toBe(false);
      expect(connect(natsHub, pod, 4222).allowed, ns.name).toBe(false);
    }
    // The hub still serves the platform itself, and not namespaces outside the tenancy.
    expect(connect(platformApi, natsHub, 4222).allowed).toBe(true);
    expect(connect(outsider, natsHub, 4222).allowed).toBe(false);
  });

  it("denies everything else: other namespaces and the outside, both ways", () => {
    for (const ns of tenantNamespaces) {
      const pod = workload(ns.name);
      for (const port of [80, 443, 53]) {
        expect(connect(pod, EXTERNAL, port).allowed, ns.name).toBe(false);
        expect(connect(EXTERNAL, pod, port).allowed, ns.name).toBe(false);
        expect(connect(pod, outsider, port).allowed, ns.name).toBe(false);
        expect(connect(outsider, pod, port).allowed, ns.name).toBe(false);
      }
    }
  });
});
