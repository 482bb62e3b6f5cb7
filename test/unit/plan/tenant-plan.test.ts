/**
 * planTenant over the example tenants and their variants, without Pulumi: what each tenant gets is
 * already joined (every workload's certificate, user and mounted Secrets exist in the same plan),
 * every logical name is unique across the stack and derived from the component's name, and the
 * lifecycle states plan what they promise.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readSettings } from "../../../config/settings";
import { validateCells } from "../../../model/cells";
import { validatePlans } from "../../../model/plans";
import type { Problem } from "../../../model/problems";
import { validateTenants } from "../../../model/tenants";
import type { TenantModel } from "../../../model/model";
import { planHubConfig, planPlatform } from "../../../plan/platform";
import { planTenant, type TenantPlan } from "../../../plan/tenant";
import { CELLS_FILE, EXAMPLES_DIR, PLANS_FILE, REPO } from "../../support/fixtures";

const devConfig = parse(fs.readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8")).config as Record<string, unknown>;
const settings = readSettings((key) => devConfig[`tenancy:${key}`]);

function models(overrides: (doc: Record<string, any>) => void = () => {}): TenantModel[] {
  const problems: Problem[] = [];
  const plans = validatePlans({ file: "plans/plans.yaml", text: fs.readFileSync(PLANS_FILE, "utf8") }, problems);
  const sources = fs
    .readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => {
      const doc = parse(fs.readFileSync(path.join(EXAMPLES_DIR, f), "utf8"));
      overrides(doc);
      return { file: `tenants/${f}`, text: JSON.stringify(doc) };
    });
  // The example files name their cells (globex and initech: b): read them with the fleet's cells file, as the render does.
  const cells = validateCells({ file: "cells/cells.yaml", text: fs.readFileSync(CELLS_FILE, "utf8") }, problems);
  const tenants = validateTenants(sources, plans, problems, { edge: settings.edge, ...(cells ? { cells } : {}) });
  expect(problems).toEqual([]);
  return tenants;
}

const examples = models();
const plans = examples.map((t) => planTenant(t, settings));
const bySlug = (slug: string, list: TenantPlan[] = plans) => list.find((p) => p.slug === slug)!;

/** Every logical name a tenant plan gives its resources, with the kind of resource. */
function logicalNames(plan: TenantPlan): string[] {
  const names: string[] = [];
  for (const ns of plan.namespaces) {
    names.push(`Namespace ${ns.logicalName}`, `ResourceQuota ${ns.quota.logicalName}`, `LimitRange ${ns.limitRange.logicalName}`);
    for (const p of ns.networkPolicies) names.push(`NetworkPolicy ${p.logicalName}`);
    for (const a of ns.access) names.push(`RoleBinding ${a.binding.logicalName}`);
  }
  names.push(`Certificate ${plan.pki.ca.logicalName}`, `ConfigMap ${plan.pki.caConfigMap.logicalName}`);
  for (const c of plan.pki.components) names.push(`Certificate ${c.logicalName}`);
  names.push(`RandomBytes ${plan.nats.accountKey.logicalName}`, `RandomBytes ${plan.nats.userKeys.logicalName}`);
  for (const u of [...plan.nats.users, ...plan.nats.edgeAccounts.flatMap((a) => a.users)]) if (u.secret) names.push(`Secret ${u.secret.logicalName}`);
  names.push(`Account ${plan.streams.account.logicalName}`, ...plan.streams.streams.map((s) => `Stream ${s.logicalName}`));
  for (const w of plan.edge?.workloads ?? []) {
    names.push(`ConfigMap ${w.names.configMap}`, `Secret ${w.names.secret}`, `Deployment ${w.names.deployment}`, `Service ${w.names.service}`);
    if (w.bundle) names.push(`Secret ${w.names.onboarding}`);
  }
  return names;
}

describe("a tenant's plan is joined", () => {
  it("gives every edge workload a certificate, a NATS user and mounted Secrets that exist in the same plan", () => {
    let workloads = 0;
    for (const plan of plans) {
      const certificates = new Map(plan.pki.components.map((c) => [c.id, c]));
      // Collectors authenticate in the in-cluster edge's own account; the leaf in the tenant's.
      const inCluster = plan.nats.edgeAccounts.find((a) => a.location === "edge");
      const users = new Map([...plan.nats.users, ...(inCluster?.users ?? [])].map((u) => [u.id, u]));
      for (const w of plan.edge?.workloads ?? []) {
        workloads++;
        const cert = certificates.get(w.workload.certificateId);
        const user = users.get(w.workload.userId);
        expect(cert, `${plan.slug}/${w.workload.name} certificate`).toBeDefined();
        expect(user, `${plan.slug}/${w.workload.name} user`).toBeDefined();
        expect(user!.role).toBe(w.workload.component === "leaf" ? "leaf" : "collector");
        // What its pods mount is its own one Secret (certificate, key, CA, creds; beside the leaf
        // also the hub CA and the streams user's creds) and its ConfigMap (and, beside the leaf, its
        // local streams' definitions); every key the Secret holds is mounted, none is missing.
        const mounts = [...w.workload.mounts, ...(w.workload.sidecar?.mounts ?? [])];
        const secrets = mounts.flatMap((m) => ("secret" in m.source ? [m.source.secret] : []));
        const configMaps = mounts.flatMap((m) => ("configMap" in m.source ? [m.source.configMap] : []));
        expect(new Set(secrets)).toEqual(new Set([w.workload.secret.name]));
        const leaf = w.workload.component === "leaf";
        expect(Object.entries(w.workload.secret.keys).sort()).toEqual(
          [["tls.crt", "certChain"], ["tls.key", "key"], ["ca.crt", "tenantCa"], ["nats.creds", "creds"], ...(leaf ? [["hub-ca.crt", "hubCa"], ["streams.creds", "streamsCreds"]] : [])].sort(),
        );
        const mountedKeys = mounts.flatMap((m) => ("secret" in m.source ? m.items.map((i) => i.key) : []));
        expect(mountedKeys.sort()).toEqual(Object.keys(w.workload.secret.keys).sort());
        // Changed by the resource diet: the leaf's streams container reads its definitions from the
        // leaf's ConfigMap (was: a ConfigMap of their own); each container mounts only its keys.
        expect(new Set(configMaps)).toEqual(new Set([w.workload.configMap.name]));
        const configKeys = mounts.flatMap((m) => ("configMap" in m.source ? m.items.map((i) => i.key) : []));
        expect(configKeys.sort()).toEqual([...w.workload.configMap.keys].sort());
        if (w.workload.sidecar) expect(w.workload.configMap.keys.filter((k) => k.endsWith(".json")).sort()).toEqual(Object.keys(plan.edge!.streams!.files).sort());
        expect(cert!.namespace).toBe(plan.edge!.namespace);
        expect(user!.secret).toBeUndefined();
        // The pod spec mounts the same volumes the plan lists.
        const volumes = (w.deployment.template.spec.volumes as { secret?: { secretName: string }; configMap?: { name: string } }[]).map((v) => v.secret?.secretName ?? v.configMap?.name).filter(Boolean);
        expect(volumes.sort()).toEqual([...secrets, ...configMaps].sort());
      }
      if (plan.edge?.leaf) {
        // Every leaf — in the cluster and at each site — has its own certificate and leaf user.
        for (const l of [plan.edge.leaf.inCluster, ...plan.edge.leaf.sites]) {
          expect(certificates.get(l.certificateId)?.subject.commonName, l.location).toBe(`leaf.${l.location}.${plan.slug}.serviceradar`);
          expect(users.get(l.userId)?.role, l.location).toBe("leaf");
        }
        expect(new Set([plan.edge.leaf.inCluster, ...plan.edge.leaf.sites].map((l) => l.userId)).size).toBe(1 + plan.edge.leaf.sites.length);
      }
    }
    expect(workloads).toBe(11);
  });

  it("manages streams with the manager's creds, and gives collectors configs and bundles, the leaf neither", () => {
    for (const plan of plans) {
      expect(plan.nats.users.find((u) => u.id === plan.streams.account.credsUserId)?.role, plan.slug).toBe("manager");
      for (const w of plan.edge?.workloads ?? []) {
        const isLeaf = w.workload.component === "leaf";
        expect(w.configFiles === undefined, w.workload.name).toBe(isLeaf);
        // A suspended tenant keeps its bundles' Secrets; only a revoked site has none.
        expect(w.bundle === undefined, w.workload.name).toBe(isLeaf);
        if (w.bundle) expect(w.bundle.statics.config).toEqual(w.configFiles);
      }
    }
  });

  it("puts the edge namespace's own policies on the edge namespace and the tenant policies on the others", () => {
    const acme = bySlug("acme-corp");
    for (const ns of acme.namespaces) {
      const names = ns.networkPolicies.map((p) => p.name);
      if (ns.role === "edge") expect(names).toEqual(acme.edge!.networkPolicies.map((p) => p.name));
      else expect(names).toEqual(["tenant-isolation"]);
    }
  });
});

describe("names", () => {
  it("are unique across the whole stack, per kind of resource (the engine refuses a duplicate URN)", () => {
    const platform = planPlatform(settings);
    const hub = planHubConfig(settings, {});
    const all = [
      ...plans.flatMap(logicalNames),
      `Namespace ${platform.namespace.logicalName}`,
      `NetworkPolicy ${platform.hubIngressPolicy.logicalName}`,
      `ConfigMap ${platform.pki.rootConfigMap.logicalName}`,
      `Secret ${platform.pki.hubCaSecret.logicalName}`,
      `Secret ${platform.pki.hubTlsSecret.logicalName}`,
      `ConfigMap ${hub.accountsConfigMap.logicalName}`,
    ];
    expect(all.length).toBeGreaterThan(150);
    expect(new Set(all).size).toBe(all.length);
  });

  it("of a tenant's children derive from its component's name (namespace-scoped ones from their namespace)", () => {
    const acme = examples.find((t) => t.slug === "acme-corp")!;
    const renamed = planTenant(acme, settings, "renamed");
    const original = bySlug("acme-corp");
    const namespaceScoped = new Set(original.namespaces.flatMap((ns) => [ns.logicalName, ns.quota.logicalName, ns.limitRange.logicalName, ...ns.networkPolicies.map((p) => p.logicalName), ...ns.access.map((a) => a.binding.logicalName)]));
    const names = logicalNames(renamed).map((n) => n.slice(n.indexOf(" ") + 1));
    for (const name of names) {
      if (namespaceScoped.has(name)) expect(name.startsWith("tenant-acme-corp")).toBe(true);
      else expect(name.startsWith("renamed/"), name).toBe(true);
    }
    // Only the logical names change: what is declared is the same.
    expect(renamed.summary).toEqual(original.summary);
  });
});

describe("sites", () => {
  const withSites = (sites: Record<string, { revoked?: boolean; generation?: number }>) =>
    models((doc) => doc.slug === "acme-corp" && (doc.edge = { sites })).filter((t) => t.slug === "acme-corp").map((t) => planTenant(t, settings))[0]!;

  it("one identity each: its leaf certificate, leaf user, own account with its collectors, and a source in the hub stream", () => {
    const acme = bySlug("acme-corp");
    expect(acme.edge!.leaf!.sites.map((s) => s.location)).toEqual(["dc-east", "hq"]);
    expect(acme.nats.edgeAccounts.map((a) => [a.location, a.users.map((u) => u.id)])).toEqual([
      ["edge", ["collector-flowgger-hq", "collector-trapd-hq", "collector-otel-dc-east", "streams"]],
      ["dc-east", ["collector-otel-dc-east", "streams"]],
      ["hq", ["collector-flowgger-hq", "collector-trapd-hq", "streams"]],
    ]);
    const events = acme.streams.streams.find((s) => s.plan.kind === "events")!;
    expect(events.plan.sources).toEqual([
      { name: "acme-corp-events", externalApiPrefix: "$JS.acme-corp-edge.API", externalDeliverPrefix: "_EDGE.edge" },
      { name: "acme-corp-events", externalApiPrefix: "$JS.acme-corp-hq.API", externalDeliverPrefix: "_EDGE.hq" },
    ]);
  });

  it("revoking one revokes exactly its leaf: no certificate, no account, no bundle, no source; the other site keeps all", () => {
    const acme = withSites({ hq: { revoked: true } });
    expect(acme.nats.revokedUsers).toEqual([{ id: "leaf-hq", before: settings.nats.claimsIssuedAt }]);
    expect(acme.nats.users.map((u) => u.id)).not.toContain("leaf-hq");
    expect(acme.nats.users.map((u) => u.id)).toContain("leaf-dc-east");
    expect(acme.pki.components.map((c) => c.subject.commonName)).not.toContain("leaf.hq.acme-corp.serviceradar");
    expect(acme.nats.edgeAccounts.map((a) => a.location)).toEqual(["edge", "dc-east"]);
    expect(acme.edge!.workloads.filter((w) => w.bundle).map((w) => w.workload.name)).toEqual(["otel-dc-east"]);
    expect(acme.streams.streams.flatMap((s) => s.plan.sources.map((x) => x.externalDeliverPrefix))).not.toContain("_EDGE.hq");
    // The in-cluster collectors of that partition are the in-cluster edge's: they keep running.
    expect(acme.edge!.workloads.map((w) => w.workload.name)).toContain("flowgger-hq");
  });

  it("a new generation re-onboards with later users, a new account and certificate; every earlier generation stays revoked", () => {
    const acme = withSites({ hq: { generation: 2 } });
    expect(acme.nats.revokedUsers).toEqual([{ id: "leaf-hq", before: settings.nats.claimsIssuedAt + 1 }]);
    expect(acme.nats.users.find((u) => u.id === "leaf-hq")!.issuedAtOffset).toBe(2);
    expect(acme.nats.edgeAccounts.find((a) => a.location === "hq")!.keyLabel).toBe("hq:s2");
    expect(acme.pki.components.find((c) => c.id === "leaf/hq")!.logicalName).toMatch(/-s2$/);
    // Suspension reaches re-onboarded users too.
    const [suspended] = models((doc) => doc.slug === "acme-corp" && ((doc.edge = { sites: { hq: { generation: 2 } } }), (doc.status = "suspended"))).filter((t) => t.slug === "acme-corp").map((t) => planTenant(t, settings));
    expect(suspended!.nats.revokeAllBefore).toBe(settings.nats.claimsIssuedAt + 2);
  });
});

describe("lifecycle states", () => {
  it("active: the root and organization namespaces are protected, the edge is not; workloads run their replicas", () => {
    const acme = bySlug("acme-corp");
    expect(acme.namespaces.map((n) => [n.role, n.protect])).toEqual([
      ["root", true],
      ["org", true],
      ["org", true],
      ["org", true],
      ["edge", false],
    ]);
    expect(acme.edge!.workloads.map((w) => [w.workload.name, w.deployment.replicas])).toEqual([
      ["flowgger-hq", 2],
      ["trapd-hq", 1],
      ["otel-dc-east", 1],
      ["nats-leaf", 1],
    ]);
  });

  it("suspended: every workload at zero replicas, no pod admitted, every user revoked, everything kept", () => {
    const umbrella = bySlug("umbrella");
    expect(umbrella.status).toBe("suspended");
    expect(umbrella.edge!.workloads.every((w) => w.deployment.replicas === 0)).toBe(true);
    expect(umbrella.namespaces.every((n) => (n.quota.spec.hard as Record<string, string>).pods === "0")).toBe(true);
    expect(umbrella.nats.revokeAllBefore).toBe(settings.nats.claimsIssuedAt);
    expect(umbrella.nats.limits.leafNodeConnections).toBe(0);
    expect(umbrella.namespaces.filter((n) => n.role !== "edge").every((n) => n.protect)).toBe(true);
  });

  it("decommissioned: nothing runs, edge users revoked by key, only the platform's users keep creds, nothing protected", () => {
    const [globex] = models((doc) => doc.slug === "globex" && (doc.status = "decommissioned")).filter((t) => t.slug === "globex").map((t) => planTenant(t, settings));
    expect(globex.edge!.workloads).toEqual([]);
    expect(globex.edge!.leaf).toBeUndefined();
    expect(globex.pki.components).toEqual([]);
    expect(globex.nats.users.map((u) => u.role).sort()).toEqual(["manager", "reader"]);
    // Every location's leaf is refused by key; collectors live in accounts the hub never knew.
    expect(globex.nats.revokedUsers.map((r) => r.id)).toEqual(["leaf", "leaf-apac-edge", "leaf-emea-core"]);
    expect(globex.nats.edgeAccounts).toEqual([]);
    expect(globex.namespaces.some((n) => n.protect) || globex.streams.streams.some((s) => s.protect) || globex.nats.accountKey.protect).toBe(false);
    // Its edge namespace stays (empty but for its fixed policies) until the collectors leave the file.
    expect(globex.edge!.networkPolicies.map((p) => p.name)).toEqual(["tenant-isolation", "nats-leaf"]);
  });

  it("credentials rotation: a new generation of user keys, issued later, everything earlier revoked", () => {
    const [acme] = models((doc) => doc.slug === "acme-corp" && (doc.credentials = { rotation: 2 })).filter((t) => t.slug === "acme-corp").map((t) => planTenant(t, settings));
    expect(acme.nats.userKeyGeneration).toBe(":g2");
    expect(acme.nats.usersIssuedAt).toBe(settings.nats.claimsIssuedAt + 2);
    expect(acme.nats.revokeAllBefore).toBe(settings.nats.claimsIssuedAt + 1);
    expect(acme.edge!.restartGeneration).not.toBe(bySlug("acme-corp").edge!.restartGeneration);
  });
});
