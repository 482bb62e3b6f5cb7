import { beforeAll, describe, expect, it } from "vitest";
import { loadTenants } from "../../model/load";
import { CELLS_FILE, EXAMPLES_DIR, PLANS_FILE, REPO, ofKind, renderExamples, type ExampleRender } from "../support/fixtures";
import { grantedTo } from "../support/rbac";

/** The tenant files, read independently of the render: who should hold what. */
const tenantModels = loadTenants({ tenantsDir: EXAMPLES_DIR, plansFile: PLANS_FILE, cellsFile: CELLS_FILE, relativeTo: REPO }).tenants;
const objects = () => render.manifests.map((m) => m.object);

let render: ExampleRender;
beforeAll(async () => {
  render = await renderExamples();
});

const inNamespace = (kind: string, ns: string) =>
  ofKind(render.manifests, kind).filter((o) => o.metadata.namespace === ns).map((o) => o.metadata.name).sort();

describe("Tenant component over the example tenants", () => {
  it("declares exactly the expected namespaces", () => {
    expect(ofKind(render.manifests, "Namespace").map((n) => n.metadata.name).sort()).toEqual([
      "platform",
      "tenant-acme-corp",
      "tenant-acme-corp-edge",
      "tenant-acme-corp-org-finance",
      "tenant-acme-corp-org-netops",
      "tenant-acme-corp-org-secops",
      "tenant-globex",
      "tenant-globex-edge",
      "tenant-globex-org-apac",
      "tenant-globex-org-emea",
      "tenant-initech",
      "tenant-initech-edge",
      "tenant-umbrella",
      "tenant-umbrella-edge",
      "tenant-umbrella-org-labs",
    ]);
  });

  it("labels namespaces with tenant, org, plan, manager and Pod Security restricted (enforce, warn, audit)", () => {
    const ns = ofKind(render.manifests, "Namespace").find((n) => n.metadata.name === "tenant-acme-corp-org-secops")!;
    expect(ns.metadata.labels).toEqual({
      "tenancy.serviceradar.io/tenant": "acme-corp",
      "tenancy.serviceradar.io/plan": "pro",
      "tenancy.serviceradar.io/status": "active",
      "app.kubernetes.io/managed-by": "pulumi",
      "app.kubernetes.io/part-of": "tenancy",
      "tenancy.serviceradar.io/org": "secops",
      "tenancy.serviceradar.io/namespace-role": "org",
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "latest",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/warn-version": "latest",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/audit-version": "latest",
    });
  });

  it("gives every tenant namespace the same policy, quota and role set (edge namespaces: their own policies)", () => {
    const tenantNamespaces = ofKind(render.manifests, "Namespace").map((n) => n.metadata.name).filter((n) => n.startsWith("tenant-") && !n.endsWith("-edge"));
    expect(tenantNamespaces).toHaveLength(10);
    for (const ns of tenantNamespaces) {
      // Changed by the resource diet: one policy (every pod isolated, plus its peers and DNS) instead
      // of default-deny, allow-tenant and allow-platform-egress; the reachability matrix is the same.
      expect(inNamespace("NetworkPolicy", ns), ns).toEqual(["tenant-isolation"]);
      // Changed by the resource diet: no priority-class quota (tenancy-pod-scheduling refuses those pods).
      expect(inNamespace("ResourceQuota", ns), ns).toEqual(["tenant-quota"]);
      expect(inNamespace("LimitRange", ns), ns).toEqual(["tenant-limits"]);
      // initech has no viewers; umbrella is suspended: its admins are bound with its viewers, and the
      // platform's suspender may delete its pods. Changed by the resource diet: the access levels are
      // the platform's two ClusterRoles, bound here; no Role per namespace (same rights: see below).
      const suspended = ns.startsWith("tenant-umbrella");
      const levels = suspended ? ["tenancy-suspender", "tenancy-tenant-viewer"] : ["tenancy-tenant-admin", ...(ns === "tenant-initech" ? [] : ["tenancy-tenant-viewer"])];
      expect(inNamespace("Role", ns), ns).toEqual(suspended ? ["tenancy-suspender"] : []);
      expect(inNamespace("RoleBinding", ns), ns).toEqual(levels);
    }
  });

  it("gives each edge namespace an isolation policy (DNS), one for the leaf (collectors in, hub out) and one per collector (ingest in, leaf out); read-only roles", () => {
    const edges = ofKind(render.manifests, "Namespace").filter((n) => n.metadata.labels?.["tenancy.serviceradar.io/namespace-role"] === "edge");
    expect(edges.map((n) => n.metadata.name).sort()).toEqual(["tenant-acme-corp-edge", "tenant-globex-edge", "tenant-initech-edge", "tenant-umbrella-edge"]);
    const fixed = ["nats-leaf", "tenant-isolation"];
    expect(inNamespace("NetworkPolicy", "tenant-acme-corp-edge")).toEqual([...fixed, "collector-flowgger-hq", "collector-otel-dc-east", "collector-trapd-hq"].sort());
    expect(inNamespace("NetworkPolicy", "tenant-initech-edge")).toEqual([...fixed, "collector-flowgger-office"].sort());
    for (const ns of edges.map((n) => n.metadata.name)) {
      // Changed by the resource diet: no priority-class quota (tenancy-pod-scheduling refuses those pods).
      expect(inNamespace("ResourceQuota", ns), ns).toEqual(["tenant-quota"]);
      expect(inNamespace("LimitRange", ns), ns).toEqual(["tenant-limits"]);
      // Tenant admins may look at their edge, not change it: it is the platform's to run.
      const tenant = ns.slice("tenant-".length, -"-edge".length);
      const admins = tenantModels.find((t) => t.slug === tenant)!.admins;
      for (const admin of admins) {
        const granted = grantedTo(objects(), ns, admin).rules;
        expect(granted.length, ns).toBeGreaterThan(0);
        for (const rule of granted) expect(rule.verbs, ns).toEqual(["get", "list", "watch"]);
      }
    }
    expect(inNamespace("Deployment", "tenant-acme-corp-edge")).toEqual(["flowgger-hq", "nats-leaf", "otel-dc-east", "trapd-hq"]);
    expect(inNamespace("Service", "tenant-acme-corp-edge")).toEqual(["flowgger-hq", "nats-leaf", "otel-dc-east", "trapd-hq"]);
  });

  it("lets organizations talk to the root, and to each other only where the file says they share", () => {
    const peersOf = (ns: string) => {
      const policy = ofKind(render.manifests, "NetworkPolicy").find((p) => p.metadata.namespace === ns && p.metadata.name === "tenant-isolation")!;
      const selector = policy.spec.ingress[0].from[1]?.namespaceSelector;
      expect(policy.spec.egress[0].to).toEqual(policy.spec.ingress[0].from);
      return selector?.matchExpressions?.[0].values ?? (selector ? [selector.matchLabels["kubernetes.io/metadata.name"]] : []);
    };
    expect(peersOf("tenant-acme-corp")).toEqual(["tenant-acme-corp-org-finance", "tenant-acme-corp-org-netops", "tenant-acme-corp-org-secops"]);
    expect(peersOf("tenant-acme-corp-org-netops")).toEqual(["tenant-acme-corp", "tenant-acme-corp-org-secops"]);
    expect(peersOf("tenant-acme-corp-org-secops")).toEqual(["tenant-acme-corp", "tenant-acme-corp-org-netops"]);
    expect(peersOf("tenant-acme-corp-org-finance")).toEqual(["tenant-acme-corp"]);
    expect(peersOf("tenant-initech")).toEqual([]);
  });

  it("never uses an empty namespaceSelector", () => {
    const selectors = JSON.stringify(ofKind(render.manifests, "NetworkPolicy")).match(/"namespaceSelector":\{\}/g);
    expect(selectors).toBeNull();
  });

  it("sets the edge's exact needs aside, and splits the rest of the tenant quota evenly over its other namespaces, overrides included", () => {
    const quotaOf = (ns: string) => ofKind(render.manifests, "ResourceQuota").find((q) => q.metadata.namespace === ns && q.metadata.name === "tenant-quota")!.spec.hard;
    // acme-corp's edge: flowgger ×2, trapd, otel, each collector Deployment with one surge pod, and
    // the leaf (recreated, never two): 3 + 2 + 2 + 1 = 8 pods; 9 containers (the leaf's pod also
    // runs what keeps its local streams) at the pro LimitRange defaults (100m/128Mi requests,
    // 500m/512Mi limits). ConfigMaps: 3 configs, the leaf's (with its stream definitions since the
    // resource diet), kube-root-ca.crt; Secrets (changed by the resource diet: one per component): per collector
    // its Secret (certificate and creds) and its bundle; the leaf's (with its streams user's creds).
    expect(quotaOf("tenant-acme-corp-edge")).toMatchObject({
      "requests.cpu": "900m",
      "requests.memory": "1152Mi",
      "limits.cpu": "4500m",
      "limits.memory": "4608Mi",
      pods: "8",
      services: "4",
      configmaps: "5",
      secrets: "7",
      persistentvolumeclaims: "0",
      "services.loadbalancers": "0",
      // Ephemeral storage at the pro LimitRange defaults (100Mi requests, 1Gi limits), per container
      // as the LimitRange defaults it: the same 9 containers.
      "requests.ephemeral-storage": "900Mi",
      "limits.ephemeral-storage": "9Gi",
      // Four Deployments (three collectors, the leaf), each with up to 10 old ReplicaSets, its current and a new one.
      "count/deployments.apps": "4",
      "count/replicasets.apps": "48",
      "count/serviceaccounts": "1",
      "count/jobs.batch": "0",
      "count/statefulsets.apps": "0",
      "requests.nvidia.com/gpu": "0",
      "requests.hugepages-2Mi": "0",
      "standard.storageclass.storage.k8s.io/requests.storage": "0",
    });
    // pro plan: 8 CPU, 16Gi, 16 CPU / 32Gi limits; pods overridden to 80; less the edge, over 4 namespaces.
    expect(quotaOf("tenant-acme-corp-org-netops")).toMatchObject({
      "requests.cpu": "1775m",
      "requests.memory": "3808Mi",
      "limits.cpu": "2875m",
      "limits.memory": "7040Mi",
      pods: "18",
      "services.nodeports": "0",
      // 16Gi less the edge's 900Mi, over 4 namespaces; counts the same way.
      "requests.ephemeral-storage": "3871Mi",
      "count/deployments.apps": "9",
      "count/replicasets.apps": "108",
      "count/serviceaccounts": "14",
      "count/daemonsets.apps": "0",
      // The plan buys 100Gi of "standard" and no GPU or huge pages: the stack's others are at 0.
      "standard.storageclass.storage.k8s.io/requests.storage": "25Gi",
      "standard.storageclass.storage.k8s.io/persistentvolumeclaims": "2",
      "requests.nvidia.com/gpu": "0",
      "requests.amd.com/gpu": "0",
      "requests.hugepages-1Gi": "0",
    });
    // enterprise: edge of netflow ×2 (+1), flowgger (+1), leaf = 6 pods, 7 containers at 250m/256Mi; the rest over 3 namespaces.
    expect(quotaOf("tenant-globex")).toMatchObject({ "requests.cpu": "10083m", "requests.memory": "21248Mi", pods: "98" });
    const limits = ofKind(render.manifests, "LimitRange").find((q) => q.metadata.namespace === "tenant-initech")!;
    expect(limits.spec.limits).toEqual([
      {
        type: "Container",
        defaultRequest: { cpu: "50m", memory: "64Mi", "ephemeral-storage": "50Mi" },
        default: { cpu: "200m", memory: "256Mi", "ephemeral-storage": "256Mi" },
        max: { cpu: "500m", memory: "512Mi", "ephemeral-storage": "1Gi" },
      },
    ]);
  });

  it("admits nothing new for a suspended tenant (every quota key at zero), and keeps everything it has", () => {
    const quotas = ofKind(render.manifests, "ResourceQuota").filter((q) => q.metadata.namespace.startsWith("tenant-umbrella") && q.metadata.name === "tenant-quota");
    expect(quotas).toHaveLength(3);
    // Every key an active basic tenant's quota has (the same keys as initech's, on free), each at zero.
    const keys = Object.keys(ofKind(render.manifests, "ResourceQuota").find((q) => q.metadata.namespace === "tenant-initech" && q.metadata.name === "tenant-quota")!.spec.hard).sort();
    expect(keys.length).toBeGreaterThanOrEqual(30);
    for (const q of quotas) expect(q.spec.hard, q.metadata.namespace).toEqual(Object.fromEntries(keys.map((k) => [k, "0"])));
    expect(inNamespace("NetworkPolicy", "tenant-umbrella")).toEqual(["tenant-isolation"]);
    // Its edge keeps every object, scaled to zero.
    const deployments = ofKind(render.manifests, "Deployment").filter((d) => d.metadata.namespace === "tenant-umbrella-edge");
    expect(deployments.map((d) => [d.metadata.name, d.spec.replicas])).toEqual([["nats-leaf", 0], ["trapd-campus", 0]]);
  });

  it("binds the tenant's groups, plus organization groups, with namespaced RoleBindings only (to the platform's two ClusterRoles, which no ClusterRoleBinding binds)", () => {
    expect(ofKind(render.manifests, "ClusterRoleBinding")).toEqual([]);
    // Changed by the resource diet: the access levels are ClusterRoles declared once, bound per namespace.
    const clusterRoles = ofKind(render.manifests, "ClusterRole");
    expect(clusterRoles.map((r) => r.metadata.name).sort()).toEqual(["tenancy-tenant-admin", "tenancy-tenant-viewer"]);
    for (const r of clusterRoles) {
      expect(r.aggregationRule, r.metadata.name).toBeUndefined();
      expect(Object.keys(r.metadata.labels ?? {}).filter((l) => l.startsWith("tenancy.serviceradar.io/tenant") || l.startsWith("rbac.authorization.k8s.io/aggregate-to")), r.metadata.name).toEqual([]);
    }
    const binding = ofKind(render.manifests, "RoleBinding").find((b) => b.metadata.namespace === "tenant-acme-corp-org-netops" && b.metadata.name === "tenancy-tenant-admin")!;
    expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "tenancy-tenant-admin" });
    expect(binding.subjects.map((s: { name: string }) => s.name)).toEqual(["acme-corp:platform-admins", "acme-corp:netops-leads"]);
    const rootBinding = ofKind(render.manifests, "RoleBinding").find((b) => b.metadata.namespace === "tenant-acme-corp" && b.metadata.name === "tenancy-tenant-admin")!;
    expect(rootBinding.subjects.map((s: { name: string }) => s.name)).toEqual(["acme-corp:platform-admins"]);
    // The organization's own admins get nothing in the root namespace, nor in another tenant's.
    expect(grantedTo(objects(), "tenant-acme-corp", "acme-corp:netops-leads").rules).toEqual([]);
    expect(grantedTo(objects(), "tenant-globex", "acme-corp:platform-admins").rules).toEqual([]);
  });

  it("keeps isolation objects read-only for tenant admins, and secrets away from viewers", () => {
    const admin = { rules: grantedTo(objects(), "tenant-globex", "globex:sre").rules };
    for (const resource of ["networkpolicies", "resourcequotas", "limitranges", "roles", "rolebindings"]) {
      const rules = admin.rules.filter((r: { resources: string[] }) => r.resources.includes(resource));
      expect(rules.length, resource).toBeGreaterThan(0);
      for (const rule of rules) expect(rule.verbs, resource).toEqual(["get", "list", "watch"]);
    }
    const viewer = { rules: grantedTo(objects(), "tenant-globex", "globex:noc").rules };
    expect(viewer.rules.some((r: { resources: string[] }) => r.resources.includes("secrets"))).toBe(false);
    for (const rule of [...admin.rules, ...viewer.rules]) expect(rule.verbs).not.toContain("*");
  });

  it("protects namespaces of tenants that are not decommissioned (but the edge's)", () => {
    const namespaces = render.run.registrations.filter((r) => r.type === "kubernetes:core/v1:Namespace");
    expect(namespaces).toHaveLength(15);
    // Edge namespaces hold nothing that cannot be re-created: not protected.
    for (const ns of namespaces) expect(ns.options.protect, ns.name).toBe(!ns.name.endsWith("-edge"));
  });

  it("parents every Kubernetes object to its Tenant or the Platform component, with the stack's provider", () => {
    const components = new Map(render.run.registrations.filter((r) => !r.custom).map((r) => [r.urn, r.type]));
    for (const r of render.run.registrations.filter((r) => r.type.startsWith("kubernetes:"))) {
      expect(["tenancy:index:Tenant", "tenancy:index:Platform", "tenancy:index:NatsHubConfig", "tenancy:index:AdmissionPolicies"]).toContain(components.get(r.parent));
      expect(r.provider).toMatch(/pulumi:providers:kubernetes::kubernetes::/);
    }
  });

  it("deploys no NATS Helm chart unless tenancy:natsDeployHub is on (users who run NATS include the fragment)", () => {
    expect(render.run.registrations.filter((r) => r.type.startsWith("kubernetes:helm.sh/"))).toEqual([]);
  });

  it("protects what holds tenant data while the tenant is not decommissioned: account keys, streams", () => {
    const accountKeys = render.run.registrations.filter((r) => r.type === "random:index/randomBytes:RandomBytes" && r.name.endsWith("/nats-account-key"));
    expect(accountKeys.map((r) => r.name).sort()).toEqual(["acme-corp/nats-account-key", "globex/nats-account-key", "initech/nats-account-key", "umbrella/nats-account-key"]);
    for (const key of accountKeys) expect(key.options.protect, key.name).toBe(true);
    const streams = render.run.registrations.filter((r) => r.type === "kubernetes:jetstream.nats.io/v1beta2:Stream");
    expect(streams).toHaveLength(16);
    for (const stream of streams) {
      expect(stream.options.protect, stream.name).toBe(true);
      expect(stream.inputs.spec.preventDelete).toBe(true);
      expect(stream.inputs.spec.storage).toBe("file");
    }
  });

  it("keeps no tenant CA key in the cluster (it signs in state), and component keys only in their tenant's edge namespace", () => {
    const secrets = ofKind(render.manifests, "Secret");
    expect(secrets.filter((s) => s.metadata.labels?.["app.kubernetes.io/component"] === "tenant-ca" || s.metadata.name.startsWith("tenant-ca-"))).toEqual([]);
    const componentSecrets = secrets.filter((s) => s.type === "kubernetes.io/tls" && s.metadata.labels["tenancy.serviceradar.io/tenant"]);
    expect(componentSecrets.length).toBe(11);
    for (const s of componentSecrets) expect(s.metadata.namespace).toBe(`tenant-${s.metadata.labels["tenancy.serviceradar.io/tenant"]}-edge`);
  });

  it("exports a per-tenant summary", () => {
    expect(render.run.outputs.tenants["acme-corp"]).toEqual({
      plan: "pro",
      status: "active",
      namespaces: ["tenant-acme-corp", "tenant-acme-corp-org-netops", "tenant-acme-corp-org-secops", "tenant-acme-corp-org-finance", "tenant-acme-corp-edge"],
      organizations: ["netops", "secops", "finance"],
      collectors: ["flowgger/hq", "trapd/hq", "otel/dc-east"],
      edgeCluster: "platform",
      certificates: [
        "flowgger.hq.acme-corp.serviceradar",
        "trapd.hq.acme-corp.serviceradar",
        "otel.dc-east.acme-corp.serviceradar",
        "leaf.edge.acme-corp.serviceradar",
        "leaf.dc-east.acme-corp.serviceradar",
        "leaf.hq.acme-corp.serviceradar",
      ],
      natsUsers: [
        "leaf",
        "leaf-dc-east",
        "leaf-hq",
        "reader",
        "manager",
        "edge/collector-flowgger-hq",
        "edge/collector-trapd-hq",
        "edge/collector-otel-dc-east",
        "edge/streams",
        "dc-east/collector-otel-dc-east",
        "dc-east/streams",
        "hq/collector-flowgger-hq",
        "hq/collector-trapd-hq",
        "hq/streams",
      ],
      streams: ["acme-corp-events", "acme-corp-snmp-traps", "acme-corp-netflow", "acme-corp-otel"],
      // overrides.database.isolation: database in tenants/acme-corp.yaml
      database: {
        isolation: "database",
        role: "tenant_acme_corp",
        database: "tenant_acme_corp",
        schema: "tenant_acme_corp",
        credentialsSecret: "postgres-acme-corp-creds",
        export: "pg_dump --format=custom --file=tenant_acme_corp.dump tenant_acme_corp",
      },
    });
    expect(render.run.outputs.tenants.initech.database).toEqual({ isolation: "attribute" });
    expect(Object.keys(render.run.outputs.tenants)).toEqual(["acme-corp", "globex", "initech", "umbrella"]);
  });
});
