/**
 * A tenant file cannot grant more than its tenant: only its own groups, overrides only up to its
 * plan's ceilings, quotas that leave room for what Kubernetes itself creates, and YAML that the
 * parser refuses reported like every other problem (file, field, rule), never thrown.
 */
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { configProblems } from "../../../config/validate";
import { validatePlans } from "../../../model/plans";
import { formatProblem, type Problem } from "../../../model/problems";
import { validateTenants } from "../../../model/tenants";
import { NO_CLUSTER_OFFER } from "../../../model/limits";
import { PLANS_FILE, goodTenant, yamlOf } from "../../support/fixtures";

const plansText = fs.readFileSync(PLANS_FILE, "utf8");
const plans = validatePlans({ file: "plans/plans.yaml", text: plansText }, [])!;

function problemsOf(files: Record<string, string>, groupPrefix = "{slug}:"): string[] {
  const problems: Problem[] = [];
  const tenants = validateTenants(
    Object.entries(files).map(([name, text]) => ({ file: `tenants/${name}`, text })),
    plans,
    problems,
    { tenantRules: { groupPrefix, offer: NO_CLUSTER_OFFER } },
  );
  if (problems.length > 0) expect(tenants).toEqual([]);
  return problems.map(formatProblem);
}

const tenant = (fn: (t: Record<string, any>) => void, slug = "acme") => {
  const t = goodTenant(slug);
  fn(t);
  return yamlOf(t);
};

describe("groups: a tenant file grants only its own", () => {
  it("accepts the tenant's own groups", () => {
    expect(problemsOf({ "acme.yaml": tenant(() => {}) })).toEqual([]);
  });

  it.each([
    ["system:authenticated", (t: any) => (t.access.viewers = ["system:authenticated"]), "tenants/acme.yaml: access.viewers[0]: \"system:authenticated\" is a Kubernetes system group"],
    ["system:masters", (t: any) => (t.organizations[0].access = { admins: ["system:masters"] }), "tenants/acme.yaml: organizations[0].access.admins[0]: \"system:masters\" is a Kubernetes system group"],
    ["a group without the prefix", (t: any) => (t.access.admins = ["platform-admins"]), 'tenants/acme.yaml: access.admins[0]: "platform-admins" must start with "acme:" (the stack\'s group prefix tenancy:tenantGroupPrefix "{slug}:")'],
    ["another tenant's group", (t: any) => (t.access.admins.push("beta:admins")), 'tenants/acme.yaml: access.admins[1]: "beta:admins" is a group of tenant "beta" (prefix "beta:")'],
  ])("refuses %s, naming file, field and rule", (_what, fn, expected) => {
    const problems = problemsOf({ "acme.yaml": tenant(fn), "beta.yaml": tenant(() => {}, "beta") });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  it("with a prefix that one slug's groups share with a longer slug's, the longer tenant owns them", () => {
    // "{slug}-": acme-corp-admins starts with both "acme-" and "acme-corp-".
    const problems = problemsOf(
      { "acme.yaml": tenant((t) => (t.access = { admins: ["acme-ops", "acme-corp-admins"] })), "acme-corp.yaml": tenant((t) => (t.access = { admins: ["acme-corp-admins"] }), "acme-corp") },
      "{slug}-",
    );
    expect(problems).toEqual(['tenants/acme.yaml: access.admins[1]: "acme-corp-admins" is a group of tenant "acme-corp" (prefix "acme-corp-"): a tenant file grants only its own groups']);
  });
});

describe("overrides: bounded by the plan's ceilings", () => {
  it("accepts an override up to the ceiling (pro: pods 120), and any lowering without one", () => {
    expect(problemsOf({ "acme.yaml": tenant((t) => (t.overrides = { kubernetes: { quota: { pods: 120 } } })) })).toEqual([]);
    expect(problemsOf({ "acme.yaml": tenant((t) => (t.overrides = { nats: { jetstream: { diskStorage: "48Gi" } }, retention: { maxBytes: "4Gi" }, kubernetes: { quota: { "count/statefulsets.apps": 5 } } })) })).toEqual([]);
  });

  it.each([
    ["a count above the ceiling", { kubernetes: { quota: { pods: 1000000 } } }, 'tenants/acme.yaml: overrides.kubernetes.quota.pods: 1000000 is above plan "pro"\'s ceiling 120'],
    ["a quantity above the ceiling", { kubernetes: { quota: { "requests.cpu": "17" } } }, 'tenants/acme.yaml: overrides.kubernetes.quota["requests.cpu"]: "17" is above plan "pro"\'s ceiling "16"'],
    ["a duration above the ceiling", { retention: { maxAge: "8760h" } }, 'tenants/acme.yaml: overrides.retention.maxAge: "8760h" is above plan "pro"\'s ceiling "2160h"'],
    ["NATS unlimited where the ceiling is a number", { nats: { connections: -1 } }, 'tenants/acme.yaml: overrides.nats.connections: -1 is above plan "pro"\'s ceiling 200'],
    ["a value raised without a ceiling", { kubernetes: { quota: { "count/daemonsets.apps": 3 } } }, 'tenants/acme.yaml: overrides.kubernetes.quota["count/daemonsets.apps"]: plan "pro" states no ceiling for kubernetes.quota.count/daemonsets.apps: it cannot be overridden'],
    ["NATS storage raised to unlimited without a ceiling", { nats: { jetstream: { diskStorage: -1 } } }, 'tenants/acme.yaml: overrides.nats.jetstream.diskStorage: plan "pro" states no ceiling for nats.jetstream.diskStorage'],
  ])("refuses %s", (_what, overrides, expected) => {
    const problems = problemsOf({ "acme.yaml": tenant((t) => (t.overrides = overrides)) });
    expect(problems.some((p) => p.startsWith(expected)), problems.join("\n")).toBe(true);
  });

  it("refuses a plan whose ceiling is below its own value, and a plan allowing a system priority class", () => {
    const problems: Problem[] = [];
    const text = plansText.replace("          pods: 20\n", "          pods: 5\n").replace("        priorityClasses: []\n", "        priorityClasses: [system-node-critical]\n");
    expect(validatePlans({ file: "plans/plans.yaml", text }, problems)).toBeUndefined();
    expect(problems.map(formatProblem)).toEqual([
      "plans/plans.yaml: plans.free.ceilings.kubernetes.quota.pods: ceiling 5 is below the plan's own 10",
      'plans/plans.yaml: plans.free.kubernetes.admission.priorityClasses[0]: "system-node-critical" is a Kubernetes system class: its pods preempt every tenant\'s and the hub\'s',
    ]);
  });
});

describe("quotas that leave room for what Kubernetes creates and controllers need", () => {
  it.each([
    ["no room for each namespace's default service account", (text: string) => text.replace("        count/serviceaccounts: 10\n", "        count/serviceaccounts: 0\n"), "plans/plans.yaml: plans.free.kubernetes.quota[\"count/serviceaccounts\"]: 0 cannot give each of the 1 namespaces at least one (the default service account Kubernetes creates in each)"],
    ["fewer ReplicaSets than Deployments", (text: string) => text.replace("        count/replicasets.apps: 60\n", "        count/replicasets.apps: 3\n"), 'plans/plans.yaml: plans.free.kubernetes.quota["count/replicasets.apps"]: 3 is fewer than the 5 count/deployments.apps the quota admits: each Deployment runs its pods through at least one ReplicaSet'],
    ["CronJobs without Jobs", (text: string) => text.replace("        count/jobs.batch: 10\n", "        count/jobs.batch: 0\n"), 'plans/plans.yaml: plans.free.kubernetes.quota["count/jobs.batch"]: 0 is fewer than the 5 count/cronjobs.batch the quota admits: each CronJob runs through Jobs'],
    ["an ephemeral-storage default above the maximum", (text: string) => text.replace("default: { cpu: 200m, memory: 256Mi, ephemeral-storage: 256Mi }", "default: { cpu: 200m, memory: 256Mi, ephemeral-storage: 2Gi }"), "plans/plans.yaml: plans.free.kubernetes.limitRange.default[\"ephemeral-storage\"]: default limit 2Gi exceeds the maximum 1Gi"],
  ])("refuses %s", (_what, edit, expected) => {
    const problems: Problem[] = [];
    validatePlans({ file: "plans/plans.yaml", text: edit(plansText) }, problems);
    expect(problems.map(formatProblem)).toEqual([expected]);
  });
});

describe("YAML the parser refuses is a problem like any other", () => {
  const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]", ...["b", "c", "d", "e", "f", "g", "h"].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcdefg"[i]}`).join(", ")}]`)].join("\n");
  it.each([
    ["a tab as indentation", "slug: acme\naccess:\n\tadmins: [acme:x]\n", ["tenants/acme.yaml: (file): YAML line 3: Tabs are not allowed as indentation"]],
    ["a duplicate key", "slug: acme\nslug: acme\n", ["tenants/acme.yaml: (file): YAML line 2: Map keys must be unique"]],
    ["two documents", "slug: acme\n---\nslug: acme\n", ["tenants/acme.yaml: (file): YAML line 2: Source contains multiple documents; please use YAML.parseAllDocuments()"]],
    ["an unknown tag", "slug: !!js/function acme\n", ["tenants/acme.yaml: (file): YAML line 1: Unresolved tag: tag:yaml.org,2002:js/function"]],
    ["an alias to no anchor", "slug: *nothing\n", ["tenants/acme.yaml: (file): YAML line 1: aliases (*nothing) are not allowed: write the value out"]],
    ["an alias bomb (a billion laughs), one problem per line", bomb, [2, 3, 4, 5, 6, 7, 8].map((line) => `tenants/acme.yaml: (file): YAML line ${line}: aliases (*${"abcdefg"[line - 2]}) are not allowed: write the value out`)],
  ])("%s", (_what, text, expected) => {
    expect(problemsOf({ "acme.yaml": text })).toEqual(expected);
  });
});

describe("images: the edge's must pass the admission allow-list of tenant namespaces", () => {
  const get = (values: Record<string, unknown>) => (key: string) => ({ clusterPodCidrs: ["10.244.0.0/16"], ...values })[key];
  it("accepts the defaults, refuses an image outside the registries, and an unpinned one when digests are required", () => {
    expect(configProblems(get({}))).toEqual([]);
    expect(configProblems(get({ edgeLeafImage: "quay.io/nats/nats:2.10" })).map(formatProblem)).toEqual([
      "stack config: tenancy:edgeLeafImage: quay.io/nats/nats:2.10 is outside tenancy:imageRegistries (registry.carverauto.dev/serviceradar/, ghcr.io/carverauto/, nats:, docker.io/library/nats:, natsio/nats-box:), which tenant namespaces admit",
    ]);
    const pinned = `nats@sha256:${"a".repeat(64)}`;
    // The real collectors' images (1.2.x; flowgger and otel are both the log collector's image).
    const images = { flowgger: "serviceradar-log-collector", trapd: "serviceradar-trapd", netflow: "serviceradar-flow-collector", otel: "serviceradar-log-collector" };
    expect(configProblems(get({ imageRequireDigest: true, imageRegistries: ["nats@", "registry.carverauto.dev/serviceradar/"], edgeLeafImage: pinned, edgeStreamsImage: pinned })).map(formatProblem)).toEqual(
      Object.entries(images).map(([type, image]) => `stack config: tenancy:edgeCollectorImages: ${type}: registry.carverauto.dev/serviceradar/${image}:1.2.27 is not pinned by digest (@sha256:…), which tenancy:imageRequireDigest requires`),
    );
  });
});
