import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadTenants } from "../../../model/load";
import { validatePlans } from "../../../model/plans";
import { DEFAULT_HUB_RULES } from "../../../model/limits";
import { formatProblem, ValidationError, type Problem } from "../../../model/problems";
import { validateTenants } from "../../../model/tenants";
import type { EdgeOptions } from "../../../model/model";
import type { SourceFile } from "../../../model/yaml";
import { EXAMPLES_DIR, PLANS_FILE, REPO, goodTenant, tenantsDir, yamlOf, CELLS_FILE } from "../../support/fixtures";

const plansProblems: Problem[] = [];
const plans = validatePlans({ file: "plans/plans.yaml", text: fs.readFileSync(PLANS_FILE, "utf8") }, plansProblems)!;

/** Validates the given files (name → YAML text) and returns the formatted problems. */
function problemsOf(files: Record<string, string>): string[] {
  const problems: Problem[] = [];
  const sources: SourceFile[] = Object.entries(files).map(([name, text]) => ({ file: `tenants/${name}`, text }));
  const tenants = validateTenants(sources, plans, problems);
  if (problems.length > 0) expect(tenants).toEqual([]); // nothing resolved when anything is wrong
  return problems.map(formatProblem);
}

const mutate = (fn: (t: Record<string, any>) => void, slug = "acme") => {
  const t = goodTenant(slug);
  fn(t);
  return yamlOf(t);
};

const longSlug = "a".repeat(40);

/** Each bad file, and the one problem (file: path: rule) it must produce. */
const badCases: [string, Record<string, string>, string][] = [
  ["slug differs from the file name", { "acme.yaml": mutate((t) => (t.slug = "acme-corp")) }, 'tenants/acme.yaml: slug: must equal the file name "acme" (got "acme-corp")'],
  ["unknown top-level field", { "acme.yaml": mutate((t) => (t.colour = "red")) }, "tenants/acme.yaml: colour: unknown field; known fields: slug, displayName"],
  ["unknown nested field", { "acme.yaml": mutate((t) => (t.organizations[0].owner = "bob")) }, "tenants/acme.yaml: organizations[0].owner: unknown field; known fields: id, displayName, sharesWith, access"],
  ["unknown plan", { "acme.yaml": mutate((t) => (t.plan = "gold")) }, 'tenants/acme.yaml: plan: must be one of "basic", "enterprise", "free", "pro" (got "gold")'],
  ["bad quantity", { "acme.yaml": mutate((t) => (t.overrides = { kubernetes: { quota: { "requests.cpu": "1GB" } } })) }, 'tenants/acme.yaml: overrides.kubernetes.quota["requests.cpu"]: must be a Kubernetes quantity such as "500m", "2", "1Gi" (got "1GB")'],
  ["bad memory quantity", { "acme.yaml": mutate((t) => (t.overrides = { kubernetes: { limitRange: { max: { memory: "1 Gi" } } } })) }, 'tenants/acme.yaml: overrides.kubernetes.limitRange.max.memory: must be a Kubernetes quantity such as "500m", "2", "1Gi" (got "1 Gi")'],
  ["bad duration", { "acme.yaml": mutate((t) => (t.overrides = { retention: { maxAge: "7d" } })) }, 'tenants/acme.yaml: overrides.retention.maxAge: must be a Go duration such as "72h" or "90m" (no "d": write 7 days as "168h") (got "7d")'],
  ["duplicate organization", { "acme.yaml": mutate((t) => (t.organizations[1] = { id: "netops" })) }, 'tenants/acme.yaml: organizations[1].id: duplicate "netops" (also organizations[0])'],
  ["shares with a missing organization", { "acme.yaml": mutate((t) => (t.organizations[1].sharesWith = ["ghost"])) }, 'tenants/acme.yaml: organizations[1].sharesWith[0]: no organization "ghost" in this tenant (known: netops, secops)'],
  ["shares with itself", { "acme.yaml": mutate((t) => (t.organizations[1].sharesWith = ["secops"])) }, "tenants/acme.yaml: organizations[1].sharesWith[0]: an organization cannot share with itself"],
  ["reserved slug", { "default.yaml": mutate(() => {}, "default") }, 'tenants/default.yaml: slug: "default" is reserved'],
  ["slug not a DNS label", { "Acme_Corp.yaml": mutate(() => {}, "Acme_Corp") }, "tenants/Acme_Corp.yaml: slug: must be a DNS label"],
  ["slug too long", { [`${longSlug}b.yaml`]: mutate(() => {}, `${longSlug}b`) }, `tenants/${longSlug}b.yaml: slug: must NOT have more than 40 characters`],
  ["derived namespace over 63 characters", { [`${longSlug}.yaml`]: mutate((t) => (t.organizations = [{ id: "operations-center" }]), longSlug) }, `tenants/${longSlug}.yaml: organizations[0].id: namespace of organization "operations-center" "tenant-${longSlug}-org-operations-center" is 69 characters; Kubernetes allows 63`],
  ["slug with the org separator", { "a-org-b.yaml": mutate(() => {}, "a-org-b") }, 'tenants/a-org-b.yaml: slug: must not contain "-org-"'],
  ["missing required field", { "acme.yaml": mutate((t) => delete t.access) }, "tenants/acme.yaml: access: required field is missing"],
  ["bad status", { "acme.yaml": mutate((t) => (t.status = "paused")) }, 'tenants/acme.yaml: status: must be one of "active", "suspended", "decommissioned" (got "paused")'],
  ["bad collector type", { "acme.yaml": mutate((t) => (t.collectors[0].type = "syslog")) }, 'tenants/acme.yaml: collectors[0].type: must be one of "flowgger", "trapd", "netflow", "otel" (got "syslog")'],
  ["duplicate collector", { "acme.yaml": mutate((t) => t.collectors.push({ type: "flowgger", partition: "hq" })) }, 'tenants/acme.yaml: collectors[1]: duplicate flowgger collector for partition "hq" (also collectors[0])'],
  ["negative replicas", { "acme.yaml": mutate((t) => (t.collectors[0].replicas = -1)) }, "tenants/acme.yaml: collectors[0].replicas: must be >= 0 (got -1)"],
  ["no admin group", { "acme.yaml": mutate((t) => (t.access.admins = [])) }, "tenants/acme.yaml: access.admins: at least one admin group is required"],
  ["YAML syntax error", { "acme.yaml": "slug: acme\norganizations: [\n" }, "tenants/acme.yaml: (file): YAML line"],
  ["duplicate YAML key", { "acme.yaml": yamlOf(goodTenant()) + "plan: free\n" }, "tenants/acme.yaml: (file): YAML line"],
  ["not a mapping", { "acme.yaml": "- just\n- a list\n" }, "tenants/acme.yaml: (file): must be object"],
  ["container maximum above the namespace share", { "acme.yaml": mutate((t) => (t.overrides = { kubernetes: { limitRange: { max: { cpu: "8" } } } })) }, "tenants/acme.yaml: overrides.kubernetes.limitRange.max.cpu: a container may use 8 but each of the 3 namespace(s) gets only 4666m of limits.cpu 16 after the edge's 2"],
  ["plan quota cannot cover the namespaces", { "acme.yaml": mutate((t) => { t.plan = "free"; t.organizations = Array.from({ length: 10 }, (_, i) => ({ id: `org${i}` })); }) }, 'tenants/acme.yaml: plan: kubernetes.quota.pods: 10 after the edge\'s 3 leaves 7, which cannot give each of the 11 namespaces at least one (plan "free"; override it at overrides.kubernetes.quota.pods)'],
  ["a site not among the partitions", { "acme.yaml": mutate((t) => (t.edge = { sites: { branch: { revoked: true } } })) }, 'tenants/acme.yaml: edge.sites.branch: no collector has partition "branch" (sites: hq)'],
  ["a partition named like the in-cluster edge", { "acme.yaml": mutate((t) => (t.collectors[0].partition = "edge")) }, 'tenants/acme.yaml: collectors[0].partition: "edge" is reserved for the in-cluster edge'],
  ["syslog format on a collector that reads no syslog", { "acme.yaml": mutate((t) => t.collectors.push({ type: "trapd", partition: "hq", syslogFormat: "rfc5424" })) }, "tenants/acme.yaml: collectors[1].syslogFormat: only a flowgger collector reads syslog (this one is trapd)"],
  ["OTLP client certificates on a collector that serves no OTLP", { "acme.yaml": mutate((t) => (t.collectors[0].otlpClientCertificates = false)) }, "tenants/acme.yaml: collectors[0].otlpClientCertificates: only an otel collector serves OTLP (this one is flowgger)"],
  ["a bad syslog format", { "acme.yaml": mutate((t) => (t.collectors[0].syslogFormat = "bsd")) }, 'tenants/acme.yaml: collectors[0].syslogFormat: must be one of "rfc3164", "rfc5424" (got "bsd")'],
  ["leaf connections for fewer locations than it has", { "acme.yaml": mutate((t) => { t.collectors.push({ type: "trapd", partition: "branch" }); t.overrides = { nats: { leafNodeConnections: 2 } }; }) }, "tenants/acme.yaml: overrides.nats.leafNodeConnections: 2 leaf node connection(s) cannot hold the in-cluster edge's leaf and 2 site(s) (branch, hq): 3 needed"],
  ["a plan's leaf connections for fewer locations", { "acme.yaml": mutate((t) => { t.plan = "basic"; t.collectors.push({ type: "trapd", partition: "branch" }); }) }, 'tenants/acme.yaml: plan: nats.leafNodeConnections: 2 leaf node connection(s) cannot hold the in-cluster edge\'s leaf and 2 site(s) (branch, hq): 3 needed (plan "basic"'],
  ["connections for fewer than the leaves and the platform's clients", { "acme.yaml": mutate((t) => (t.overrides = { nats: { connections: 3 } })) }, "tenants/acme.yaml: overrides.nats.connections: 3 connection(s) cannot hold 2 leaf node(s) (nats-server counts them in conn) and the platform's reader and manager: 4 needed"],
  ["no edge buffer", { "acme.yaml": mutate((t) => (t.overrides = { retention: { edgeBuffer: "0" } })) }, "tenants/acme.yaml: overrides.retention.edgeBuffer: must be more than zero"],
  ["too few JetStream streams", { "acme.yaml": mutate((t) => (t.overrides = { nats: { jetstream: { streams: 2 } } })) }, "tenants/acme.yaml: overrides.nats.jetstream.streams: 2 is fewer than the 4 streams every tenant has"],
  ["retention larger than the account's storage", { "acme.yaml": mutate((t) => (t.overrides = { retention: { maxBytes: "20Gi" } })) }, "tenants/acme.yaml: overrides.retention.maxBytes: 4 streams of 20Gi with 3 replica(s) need 240Gi, more than jetstream.diskStorage 96Gi"],
  ["bad NATS byte limit", { "acme.yaml": mutate((t) => (t.overrides = { nats: { payload: "lots" } })) }, 'tenants/acme.yaml: overrides.nats.payload: expected largest message payload: bytes or a quantity such as "1Gi"; -1 = unlimited, 0 = none (got "lots")'],
  ["NATS count below -1", { "acme.yaml": mutate((t) => (t.overrides = { nats: { connections: -2 } })) }, "tenants/acme.yaml: overrides.nats.connections: must be >= -1 (got -2)"],
  ["quantity finer than a milli-unit", { "acme.yaml": mutate((t) => (t.overrides = { kubernetes: { quota: { "requests.cpu": "0.0001" } } })) }, 'tenants/acme.yaml: overrides.kubernetes.quota["requests.cpu"]: 0.0001 is finer than one milli-unit'],
  ["count too large for Kubernetes", { "acme.yaml": mutate((t) => (t.overrides = { kubernetes: { quota: { pods: 1e300 } } })) }, "tenants/acme.yaml: overrides.kubernetes.quota.pods: must be <= 1000000"],
  ["duration overflowing Go", { "acme.yaml": mutate((t) => (t.overrides = { retention: { maxAge: "99999999999999999999h" } })) }, "tenants/acme.yaml: overrides.retention.maxAge: 99999999999999999999h overflows a Go duration"],
  ["volume claims split down to zero", { "acme.yaml": mutate((t) => { t.plan = "free"; t.organizations = [{ id: "a" }, { id: "b" }]; }) }, 'tenants/acme.yaml: plan: kubernetes.quota.persistentvolumeclaims: 2 cannot give each of the 3 namespaces at least one'],
  ["an override that breaks another value is blamed, not the plan", { "acme.yaml": mutate((t) => { t.plan = "free"; t.organizations = []; t.overrides = { kubernetes: { quota: { "limits.cpu": "300m" } } }; }) }, 'tenants/acme.yaml: overrides.kubernetes.quota["limits.cpu"]: requests.cpu 1 exceeds limits.cpu 300m'],
  ["JetStream consumers 0 (the server reads it as unlimited)", { "acme.yaml": mutate((t) => (t.overrides = { nats: { jetstream: { consumers: 0 } } })) }, "tenants/acme.yaml: overrides.nats.jetstream.consumers: 0 means unlimited to JetStream; write -1 for unlimited or a positive number"],
  ["negative rotation counter", { "acme.yaml": mutate((t) => (t.certificates = { rotation: -1 })) }, "tenants/acme.yaml: certificates.rotation: must be >= 0 (got -1)"],
  ["slug ending in the edge suffix", { "a-edge.yaml": mutate(() => {}, "a-edge") }, 'tenants/a-edge.yaml: slug: must not end in "-edge", which names edge namespaces'],
  ["edge cluster the stack does not know", { "acme.yaml": mutate((t) => (t.edge = { cluster: "acme-hq" })) }, 'tenants/acme.yaml: edge.cluster: no edge cluster "acme-hq" in the stack: set its kubeconfig with `pulumi config set --secret tenancy:edgeKubeconfig-acme-hq …` (known: none)'],
  ["edge cluster without collectors", { "acme.yaml": mutate((t) => { t.edge = { cluster: "acme-hq" }; t.collectors = []; }) }, "tenants/acme.yaml: edge.cluster: names an edge cluster but the tenant lists no collectors"],
  ["edge that does not fit the tenant's quota", { "acme.yaml": mutate((t) => { t.plan = "free"; t.organizations = []; t.collectors = [{ type: "netflow", partition: "core", replicas: 9 }]; }) }, "tenants/acme.yaml: plan: kubernetes.quota.pods: the edge (leaf node and collectors) needs 11 of pods, more than the tenant's 10"],
  ["unknown certificates field", { "acme.yaml": mutate((t) => (t.certificates = { rotate: 1 })) }, "tenants/acme.yaml: certificates.rotate: unknown field; known fields: rotation, caRotation"],
];

describe("tenant file validation", () => {
  it("has at least 15 distinct bad-input cases", () => {
    expect(new Set(badCases.map((c) => c[2])).size).toBeGreaterThanOrEqual(15);
    expect(badCases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(badCases)("refuses: %s", (_name, files, expected) => {
    const problems = problemsOf(files);
    expect(problems.some((p) => p.startsWith(expected)), `expected "${expected}" in:\n${problems.join("\n")}`).toBe(true);
  });

  it("names the organization whose namespace collides with another tenant's", () => {
    const problems = problemsOf({
      "x1.yaml": mutate((t) => (t.organizations = [{ id: "edge" }, { id: "org-x" }]), "x1"),
      "x1-org.yaml": mutate((t) => (t.organizations = [{ id: "x" }]), "x1-org"),
    });
    expect(problems).toEqual([
      // Tenant "x1-org"'s edge namespace is tenant-x1-org-edge, which x1's organization "edge" also derives.
      'tenants/x1.yaml: organizations[0].id: namespace of organization "edge" "tenant-x1-org-edge" collides with edge namespace of tenants/x1-org.yaml',
      'tenants/x1.yaml: organizations[1].id: namespace of organization "org-x" "tenant-x1-org-org-x" collides with namespace of organization "x" of tenants/x1-org.yaml',
    ]);
  });

  it("reports one problem per bad field, for every file at once", () => {
    const problems = problemsOf({
      "acme.yaml": mutate((t) => {
        t.plan = "gold";
        t.colour = "red";
        t.organizations[1].sharesWith = ["ghost"];
      }),
      "beta.yaml": mutate((t) => (t.overrides = { retention: { maxAge: "7d" } }), "beta"),
      "gamma.yaml": mutate(() => {}, "gamma"),
    });
    expect(problems).toEqual([
      "tenants/acme.yaml: colour: unknown field; known fields: slug, displayName, plan, status, access, organizations, overrides, collectors, certificates, credentials, edge, cell, movedFrom, database",
      'tenants/acme.yaml: plan: must be one of "basic", "enterprise", "free", "pro" (got "gold")',
      'tenants/beta.yaml: overrides.retention.maxAge: must be a Go duration such as "72h" or "90m" (no "d": write 7 days as "168h") (got "7d")',
    ]);
  });

  it("accepts the good file the bad cases derive from, and resolves it", () => {
    const problems: Problem[] = [];
    const [tenant] = validateTenants([{ file: "tenants/acme.yaml", text: yamlOf(goodTenant()) }], plans, problems);
    expect(problems).toEqual([]);
    expect(tenant.organizations.map((o) => [o.id, o.sharesWith])).toEqual([
      ["netops", ["secops"]],
      ["secops", ["netops"]],
    ]);
  });

  it("merges overrides over the plan, leaving the rest of the plan", () => {
    const problems: Problem[] = [];
    const text = mutate((t) => (t.overrides = { kubernetes: { quota: { pods: 90 } }, nats: { jetstream: { consumers: -1 } } }));
    // -1 (unlimited) needs a stack that allows it on the shared hub; by default it is refused.
    const refused: Problem[] = [];
    validateTenants([{ file: "tenants/acme.yaml", text }], plans, refused);
    expect(refused.map(formatProblem)).toEqual([
      'tenants/acme.yaml: overrides.nats.jetstream.consumers: -1 is above plan "pro"\'s ceiling 256',
      "tenants/acme.yaml: overrides.nats.jetstream.consumers: -1 (unlimited) is not allowed on the shared hub: set a bound (or let the stack allow it with tenancy:natsAllowUnlimited)",
    ]);
    const [tenant] = validateTenants([{ file: "tenants/acme.yaml", text: mutate((t) => (t.overrides = { kubernetes: { quota: { pods: 90 } }, nats: { jetstream: { consumers: 128 } } })) }], plans, problems);
    expect(problems).toEqual([]);
    expect(tenant.limits.kubernetes.quota.pods).toBe(90);
    expect(tenant.limits.kubernetes.quota["requests.cpu"]).toBe(plans.pro.kubernetes.quota["requests.cpu"]);
    expect(tenant.limits.nats.jetstream).toEqual({ ...plans.pro.nats.jetstream, consumers: 128 });
  });

  it("accepts every example tenant, on at least three plans, one with organizations", () => {
    const { tenants } = loadTenants({ tenantsDir: EXAMPLES_DIR, plansFile: PLANS_FILE, cellsFile: CELLS_FILE, relativeTo: REPO });
    expect(tenants.length).toBeGreaterThanOrEqual(3);
    expect(new Set(tenants.map((t) => t.plan)).size).toBeGreaterThanOrEqual(3);
    expect(tenants.some((t) => t.organizations.length > 0)).toBe(true);
  });

  it("refuses a tenant directory with a bad file as a whole, naming only the bad file", () => {
    const dir = tenantsDir({ "good.yaml": mutate(() => {}, "good"), "bad.yaml": mutate((t) => (t.status = "paused"), "bad"), "extra.yml": "x: 1\n" });
    let error: unknown;
    try {
      loadTenants({ tenantsDir: dir, plansFile: PLANS_FILE, cellsFile: CELLS_FILE, relativeTo: path.dirname(dir) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const problems = (error as ValidationError).problems.map(formatProblem);
    const base = path.basename(dir);
    expect(problems).toEqual([
      `${base}/extra.yml: (file): tenant files are named <slug>.yaml`,
      `${base}/bad.yaml: status: must be one of "active", "suspended", "decommissioned" (got "paused")`,
    ]);
    expect((error as Error).message).toContain("nothing was declared");
  });
});

describe("edge settings and edge clusters", () => {
  const edgeOptions = { clusters: ["site-a"], publicHubLeafUrl: "nats-leaf://hub.example.net:7422", serviceType: "ClusterIP" as const, edgeClusterPodCidrs: { "site-a": ["10.42.0.0/16"] } };
  const validate = (files: Record<string, string>, options: EdgeOptions) => {
    const problems: Problem[] = [];
    const sources: SourceFile[] = Object.entries(files).map(([name, text]) => ({ file: `tenants/${name}`, text }));
    const tenants = validateTenants(sources, plans, problems, { edge: options });
    return { tenants, problems: problems.map(formatProblem) };
  };

  it("accepts one tenant in its own edge cluster, and refuses a second tenant in the same one", () => {
    const inSiteA = (slug: string) => mutate((t) => (t.edge = { cluster: "site-a" }), slug);
    expect(validate({ "acme.yaml": inSiteA("acme") }, edgeOptions).problems).toEqual([]);
    expect(validate({ "acme.yaml": inSiteA("acme"), "beta.yaml": inSiteA("beta") }, edgeOptions).problems).toEqual([
      'tenants/beta.yaml: edge.cluster: edge cluster "site-a" already serves tenants/acme.yaml; an edge cluster serves one tenant',
    ]);
  });

  it("refuses an edge cluster whose pod network the stack does not give", () => {
    const { problems } = validate({ "acme.yaml": mutate((t) => (t.edge = { cluster: "site-a" })) }, { ...edgeOptions, edgeClusterPodCidrs: {} });
    expect(problems).toEqual(['tenants/acme.yaml: edge.cluster: set the pod network of edge cluster "site-a" in tenancy:edgeClusterPodCidrs (e.g. {"site-a": ["10.42.0.0/16"]}): no pod there may count as a device']);
  });

  it("refuses an edge outside the platform cluster when the hub has no public address", () => {
    const { problems } = validate({ "acme.yaml": mutate((t) => (t.edge = { cluster: "site-a" })) }, { ...edgeOptions, publicHubLeafUrl: undefined });
    expect(problems).toEqual(["tenants/acme.yaml: edge.cluster: an edge outside the platform cluster needs the hub's public address: set tenancy:natsHubPublicDnsNames or tenancy:edgePublicHubLeafUrl"]);
  });

  it("counts LoadBalancer Services of the collectors in the tenant's quota: free has none, pro has room", () => {
    const lb = { ...edgeOptions, serviceType: "LoadBalancer" as const };
    expect(validate({ "acme.yaml": mutate((t) => { t.plan = "free"; t.organizations = []; }) }, lb).problems).toEqual([
      'tenants/acme.yaml: plan: kubernetes.quota["services.loadbalancers"]: the edge (leaf node and collectors) needs 1 of services.loadbalancers, more than the tenant\'s 0 (plan "free"; override it at overrides.kubernetes.quota["services.loadbalancers"])',
    ]);
    const { tenants, problems } = validate({ "acme.yaml": mutate(() => {}) }, lb);
    expect(problems).toEqual([]);
    expect(tenants[0]!.edge.serviceType).toBe("LoadBalancer");
  });
});
