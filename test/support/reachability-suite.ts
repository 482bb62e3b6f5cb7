/**
 * Network isolation, proven over the rendered NetworkPolicies: the oracle (Kubernetes' documented
 * semantics) decides every connection; the expectations come from the tenant files alone. The
 * manifests come from `loadManifests`: one stack's render, or every stack of a fleet with cells.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadTenants } from "../../model/load";
import type { TenantModel } from "../../model/model";
import type { RenderedManifest } from "../../engine/render";
import { ReachabilityOracle, type Endpoint, type PodInfo, type Protocol } from "../oracles/reachability";
import { CELLS_FILE, EXAMPLES_DIR, PLANS_FILE, REPO, ofKind } from "./fixtures";

/** `acrossCells`: the manifests are a fleet's stacks together, and pairs across cells must be among those denied. */
export function reachabilitySuite(loadManifests: () => Promise<RenderedManifest[]>, options: { acrossCells?: boolean } = {}): void {
  interface TenantNamespace {
    name: string;
    tenant: string;
    /** The tenant's cell, as its file says (the cells file's default cell when it names none). */
    cell?: string;
    org?: string;
    /** The tenant's edge namespace (leaf node and collectors). */
    edge?: boolean;
  }

  /** What the issue names as each collector's ingest ports (the Service's well-known ports). */
  const INGEST: Record<string, [number, Protocol][]> = {
    flowgger: [[514, "UDP"]],
    trapd: [[162, "UDP"]],
    netflow: [[2055, "UDP"]],
    otel: [[4317, "TCP"]],
  };
  /** The default `tenancy:clusterPodCidrs`: every pod below gets an address in it. */
  const POD_CIDR_PREFIX = "10.244";
  let podCount = 0;
  const nextPodIp = () => {
    podCount++;
    return `${POD_CIDR_PREFIX}.${Math.floor(podCount / 250)}.${(podCount % 250) + 1}`;
  };
  /** Edge pods as their Deployments declare them (labels, container ports), one per Deployment. */
  let edgePods: (PodInfo & { deployment: string })[];
  /** Per edge namespace and collector Service: well-known port → the container port it targets. */
  let serviceTargets: Map<string, Map<string, number>>;

  let oracle: ReachabilityOracle;
  let tenantNamespaces: TenantNamespace[];
  let tenants: TenantModel[];
  const EXTERNAL: Endpoint = { external: { ip: "203.0.113.10" } };
  const ips = new Map<string, string>();
  /** A pod with an address in the cluster's pod network (stable per namespace and name). */
  const workload = (ns: string, name = "workload"): PodInfo => {
    const key = `${ns}/${name}`;
    if (!ips.has(key)) ips.set(key, nextPodIp());
    return { namespace: ns, name, labels: { app: name }, ip: ips.get(key) };
  };
  const NATS_LABELS = { "app.kubernetes.io/name": "nats", "app.kubernetes.io/component": "nats" };
  const dns: PodInfo = { namespace: "kube-system", name: "coredns", labels: { "k8s-app": "kube-dns" }, ip: nextPodIp() };
  const metricsServer: PodInfo = { namespace: "kube-system", name: "metrics-server", labels: { "k8s-app": "metrics-server" }, ip: nextPodIp() };
  const natsHub: PodInfo = { namespace: "platform", name: "nats-0", labels: NATS_LABELS, ip: nextPodIp() };
  const platformApi: PodInfo = { namespace: "platform", name: "api", labels: { app: "platform-api" }, ip: nextPodIp() };
  /** The chart's toolbox (nats-box), in the platform namespace, with the chart's labels. */
  const natsBox: PodInfo = { namespace: "platform", name: "nats-box", labels: { "app.kubernetes.io/name": "nats", "app.kubernetes.io/component": "nats-box" }, ip: nextPodIp() };
  const outsider: PodInfo = workload("default", "outsider");

  beforeAll(async () => {
    const manifests = await loadManifests();
    tenants = loadTenants({ tenantsDir: EXAMPLES_DIR, plansFile: PLANS_FILE, cellsFile: CELLS_FILE, relativeTo: REPO }).tenants;
    // From the tenant files, not from the program: root namespace + one per organization, and an
    // edge namespace when the tenant lists collectors.
    tenantNamespaces = tenants.flatMap((t) => [
      { name: `tenant-${t.slug}`, tenant: t.slug, cell: t.cell },
      ...t.organizations.map((o) => ({ name: `tenant-${t.slug}-org-${o.id}`, tenant: t.slug, cell: t.cell, org: o.id })),
      ...(t.collectors.length > 0 ? [{ name: `tenant-${t.slug}-edge`, tenant: t.slug, cell: t.cell, edge: true }] : []),
    ]);
    edgePods = ofKind(manifests, "Deployment").map((d) => ({
      deployment: d.metadata.name,
      namespace: d.metadata.namespace,
      name: `${d.metadata.name}-0`,
      labels: d.spec.template.metadata.labels,
      ip: nextPodIp(),
      namedPorts: Object.fromEntries(d.spec.template.spec.containers.flatMap((c: any) => (c.ports ?? []).map((p: any) => [p.name, p.containerPort]))),
    }));
    serviceTargets = new Map();
    for (const svc of ofKind(manifests, "Service")) {
      const targets = new Map<string, number>(svc.spec.ports.map((p: any) => [`${p.protocol}/${p.port}`, p.targetPort]));
      serviceTargets.set(`${svc.metadata.namespace}/${svc.metadata.name}`, targets);
    }
    const rendered = ofKind(manifests, "Namespace");
    expect(rendered.map((n) => n.metadata.name).sort()).toEqual([...tenantNamespaces.map((n) => n.name), "platform"].sort());
    oracle = new ReachabilityOracle({
      namespaces: [...rendered.map((n) => ({ name: n.metadata.name, labels: n.metadata.labels })), { name: "kube-system" }, { name: "default" }],
      pods: [
        ...tenantNamespaces.flatMap((ns) => [workload(ns.name), workload(ns.name, "sidecar")]),
        ...edgePods,
        dns,
        metricsServer,
        natsHub,
        platformApi,
        outsider,
      ],
      policies: ofKind(manifests, "NetworkPolicy") as never[],
    });
  });

  /**
   * What the tenant files say: same namespace; root ↔ its orgs; org ↔ org where they share. The
   * edge namespace is closed to any pod other than its leaf and collectors, even within itself.
   */
  function expectedAllowed(from: TenantNamespace, to: TenantNamespace): boolean {
    if (from.edge || to.edge) return false;
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
      let crossCellDenied = 0;
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
          if (from.cell !== to.cell) crossCellDenied++;
        }
      }
      expect(mismatches).toEqual([]);
      expect(pairs).toBe(tenantNamespaces.length ** 2);
      expect(crossTenantDenied).toBeGreaterThan(60);
      if (options.acrossCells) expect(crossCellDenied).toBeGreaterThan(0);
      console.log(`reachability: ${pairs} ordered namespace pairs × 4 ports checked; ${crossTenantDenied} cross-tenant pairs denied${options.acrossCells ? ` (${crossCellDenied} across cells)` : ""}`);
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
      for (const ns of tenantNamespaces.filter((n) => !n.edge)) {
        const pod = workload(ns.name);
        expect(connect(pod, dns, 53, "UDP").allowed, ns.name).toBe(true);
        expect(connect(pod, dns, 53, "TCP").allowed, ns.name).toBe(true);
        expect(connect(pod, dns, 80).allowed, ns.name).toBe(false);
        expect(connect(pod, dns, 9153).allowed, ns.name).toBe(false);
        expect(connect(pod, metricsServer, 53, "UDP").allowed, ns.name).toBe(false);
      }
    });

    it("gives tenant namespaces nothing of the platform: no hub port (no creds for it are there), no toolbox, no other platform pod", () => {
      for (const ns of tenantNamespaces.filter((n) => !n.edge)) {
        const pod = workload(ns.name);
        // Changed by issue 15: the client port was open to every tenant namespace; only the platform
        // (the EventWriter's reader and NACK's manager hold creds for it) reaches it now.
        for (const port of [4222, 7422, 6222, 8222, 80]) expect(connect(pod, natsHub, port).allowed, `${ns.name}:${port}`).toBe(false);
        expect(connect(pod, natsBox, 4222).allowed, ns.name).toBe(false);
        expect(connect(pod, platformApi, 4222).allowed, ns.name).toBe(false);
        // and the platform cannot reach into tenants
        expect(connect(platformApi, pod, 80).allowed, ns.name).toBe(false);
        expect(connect(natsHub, pod, 4222).allowed, ns.name).toBe(false);
      }
      // The hub serves the platform itself, and not namespaces outside the tenancy.
      expect(connect(platformApi, natsHub, 4222).allowed).toBe(true);
      expect(connect(natsBox, natsHub, 4222).allowed).toBe(true);
      expect(connect(outsider, natsHub, 4222).allowed).toBe(false);
      // No public hub address in this stack: nothing outside the cluster reaches the hub at all.
      for (const port of [4222, 7422]) expect(connect(EXTERNAL, natsHub, port).allowed, `outside → hub:${port}`).toBe(false);
    });

    it("denies by default in the platform namespace: in from outside it, out but to DNS and the API server", () => {
      for (const target of [platformApi, natsBox]) {
        expect(connect(outsider, target, 8080).allowed, target.name).toBe(false);
        expect(connect(EXTERNAL, target, 443).allowed, target.name).toBe(false);
        expect(connect(workload("tenant-acme-corp-edge"), target, 8222).allowed, target.name).toBe(false);
      }
      expect(connect(platformApi, dns, 53, "UDP").allowed).toBe(true);
      expect(connect(platformApi, metricsServer, 443).allowed).toBe(false);
      expect(connect(platformApi, outsider, 80).allowed).toBe(false);
      // The API server (default tenancy:platformApiServerCidrs 0.0.0.0/0, on 443 and 6443 only).
      expect(connect(platformApi, { external: { ip: "192.0.2.1" } }, 6443).allowed).toBe(true);
      expect(connect(platformApi, { external: { ip: "192.0.2.1" } }, 80).allowed).toBe(false);
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

  describe("reachability of the edge: devices → collectors → leaf → hub, and nothing else", () => {
    const edgeOf = (slug: string) => `tenant-${slug}-edge`;
    const podOf = (slug: string, deployment: string) => edgePods.find((p) => p.namespace === edgeOf(slug) && p.deployment === deployment)!;
    const collectorsOf = (t: TenantModel) => t.collectors.map((c) => ({ ...c, pod: podOf(t.slug, `${c.type}-${c.partition}`) }));
    const withEdge = () => tenants.filter((t) => t.collectors.length > 0);

    it("runs one pod per collector the file lists, and a leaf, in the tenant's edge namespace", () => {
      for (const t of withEdge()) {
        for (const c of collectorsOf(t)) expect(c.pod, `${t.slug} ${c.type}/${c.partition}`).toBeDefined();
        expect(podOf(t.slug, "nats-leaf"), t.slug).toBeDefined();
      }
      expect(edgePods.every((p) => p.namespace.endsWith("-edge"))).toBe(true);
    });

    it("lets collectors reach their own leaf on 4222/TCP and DNS, nothing else (no hub, no tenant namespace, no other leaf)", () => {
      let checked = 0;
      for (const t of withEdge()) {
        const leaf = podOf(t.slug, "nats-leaf");
        for (const c of collectorsOf(t)) {
          expect(connect(c.pod, leaf, 4222).allowed, c.pod.name).toBe(true);
          for (const port of [8222, 7422, 80]) expect(connect(c.pod, leaf, port).allowed, `${c.pod.name}:${port}`).toBe(false);
          expect(connect(c.pod, dns, 53, "UDP").allowed).toBe(true);
          expect(connect(c.pod, natsHub, 4222).allowed, `${c.pod.name} → hub`).toBe(false);
          expect(connect(c.pod, natsHub, 7422).allowed, `${c.pod.name} → hub leaf port`).toBe(false);
          expect(connect(c.pod, EXTERNAL, 443).allowed).toBe(false);
          for (const ns of tenantNamespaces.filter((n) => !n.edge)) expect(connect(c.pod, workload(ns.name), 80).allowed, `${c.pod.name} → ${ns.name}`).toBe(false);
          for (const other of withEdge().filter((o) => o.slug !== t.slug)) {
            expect(connect(c.pod, podOf(other.slug, "nats-leaf"), 4222).allowed, `${c.pod.name} → ${other.slug}'s leaf`).toBe(false);
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(10);
    });

    it("lets the leaf reach the hub's leaf port only (and DNS), and admits only its own collectors", () => {
      for (const t of withEdge()) {
        const leaf = podOf(t.slug, "nats-leaf");
        expect(connect(leaf, natsHub, 7422).allowed, t.slug).toBe(true);
        expect(connect(leaf, natsHub, 4222).allowed, t.slug).toBe(false);
        expect(connect(leaf, platformApi, 7422).allowed, t.slug).toBe(false);
        expect(connect(leaf, EXTERNAL, 7422).allowed, t.slug).toBe(false);
        expect(connect(leaf, dns, 53, "UDP").allowed, t.slug).toBe(true);
        // Nothing but its collectors dials it: not the hub, not the tenant's own namespaces, not another tenant's collectors.
        expect(connect(natsHub, leaf, 4222).allowed).toBe(false);
        expect(connect(EXTERNAL, leaf, 4222).allowed).toBe(false);
        expect(connect(workload(`tenant-${t.slug}`), leaf, 4222).allowed).toBe(false);
        for (const other of withEdge().filter((o) => o.slug !== t.slug)) {
          for (const c of collectorsOf(other)) expect(connect(c.pod, leaf, 4222).allowed, `${c.pod.name} (${other.slug}) → ${t.slug}'s leaf`).toBe(false);
        }
      }
    });

    it("opens each collector's ingest ports (the Service's well-known port → its container port) to devices outside the cluster, and nothing else", () => {
      let opened = 0;
      for (const t of withEdge()) {
        for (const c of collectorsOf(t)) {
          const targets = serviceTargets.get(`${edgeOf(t.slug)}/${c.type}-${c.partition}`)!;
          for (const [port, protocol] of INGEST[c.type]) {
            const target = targets.get(`${protocol}/${port}`);
            expect(target, `${c.type} Service maps ${protocol}/${port}`).toBeDefined();
            expect(connect(EXTERNAL, c.pod, target!, protocol).allowed, `${c.pod.name} ${protocol}/${target}`).toBe(true);
            // Not the other protocol, and not from any pod of the cluster: another tenant, the same tenant, the platform.
            expect(connect(EXTERNAL, c.pod, target!, protocol === "UDP" ? "TCP" : "UDP").allowed).toBe(false);
            for (const from of [...tenantNamespaces.filter((n) => n.tenant !== t.slug).map((n) => workload(n.name)), workload(`tenant-${t.slug}`), platformApi, natsHub]) {
              expect(connect(from, c.pod, target!, protocol).allowed, `${from.namespace}/${from.name} → ${c.pod.name}`).toBe(false);
            }
            opened++;
          }
          for (const port of [22, 4222, 8080]) expect(connect(EXTERNAL, c.pod, port).allowed, `${c.pod.name}:${port}`).toBe(false);
        }
      }
      expect(opened).toBeGreaterThanOrEqual(7);
      console.log(`edge reachability: ${edgePods.length} edge pods; ${opened} ingest ports open to devices outside the cluster and to no pod`);
    });
  });

}
