/**
 * Tenant lifecycle driven by the tenant file, on the declared resources and their options (what
 * `pulumi up` would create, update, keep or refuse): plan change in place, suspension, resumption,
 * decommissioning, and the guard that refuses dropping a tenant or organization that was not
 * decommissioned in the last update. Each state is a render of the example tenants with one file
 * edited, in its own process (`npm run render`), with the previous render's outputs as the last
 * update's where the guard is concerned.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { EXAMPLES_DIR } from "../support/fixtures";
import { RenderFailed, render as renderCli, type RenderOptions } from "../support/render";

const SUBJECT = "acme-corp";

interface Declared {
  urn: string;
  options: { protect?: boolean; deleteBeforeReplace?: boolean; replaceOnChanges?: string[] };
  inputs: Record<string, any>;
}
interface Render {
  ok: boolean;
  stderr: string;
  out: string;
  resources: Map<string, Declared>;
}

function tenantsWith(edit: (docs: Map<string, any>) => void): string {
  const docs = new Map<string, any>();
  for (const f of fs.readdirSync(EXAMPLES_DIR).filter((x) => x.endsWith(".yaml"))) docs.set(f, parseYaml(fs.readFileSync(path.join(EXAMPLES_DIR, f), "utf8")));
  edit(docs);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lifecycle-tenants-"));
  for (const [f, doc] of docs) fs.writeFileSync(path.join(dir, f), stringify(doc));
  return dir;
}

async function render(tenantsDir: string, previous?: string, extra: Pick<RenderOptions, "clock"> = {}): Promise<Render> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "lifecycle-render-"));
  try {
    await renderCli({ out, tenants: tenantsDir, ...(previous ? { previous } : {}), ...extra });
  } catch (err) {
    return { ok: false, stderr: String(err instanceof RenderFailed ? err.stderr : err), out, resources: new Map() };
  }
  const list = parseYaml(fs.readFileSync(path.join(out, "resources.yaml"), "utf8")) as Declared[];
  return { ok: true, stderr: "", out, resources: new Map(list.map((r) => [r.urn, r])) };
}

const edit = (slug: string, fn: (doc: any) => void) => (docs: Map<string, any>) => fn(docs.get(`${slug}.yaml`));
const previousOf = (r: Render) => path.join(r.out, "outputs.yaml");
const ofTenant = (r: Render, slug: string) => [...r.resources.values()].filter((x) => x.urn.includes(`::${slug}/`) || x.urn.endsWith(`::${slug}`) || x.urn.includes(`tenant-${slug}`));
const byKind = (r: Render, kind: string, ns?: string) =>
  [...r.resources.values()].filter((x) => x.inputs?.kind === kind && (ns === undefined || x.inputs.metadata?.namespace === ns || (kind === "Namespace" && x.inputs.metadata?.name === ns)));
const tenantNs = (r: Render, slug: string) => byKind(r, "Namespace").filter((n) => n.inputs.metadata.labels["tenancy.serviceradar.io/tenant"] === slug);
/**
 * The claims of a tenant's account JWT as the hub is given it: the input `jwt` of the tenant's
 * `nats-account-push` dynamic resource (no configuration file holds tenant accounts any more).
 */
const accountJwtClaims = (r: Render, slug: string) => {
  const pushes = [...r.resources.values()].filter((x) => x.urn.includes("pulumi-nodejs:dynamic:Resource") && x.urn.endsWith(`::${slug}/nats-account-push`));
  expect(pushes, `${slug}'s account push`).toHaveLength(1);
  const jwt = pushes[0]!.inputs.jwt as string;
  const fragment = byKind(r, "ConfigMap", "platform").find((c) => c.inputs.metadata.name === "nats-hub-accounts")!.inputs.data["accounts.conf"] as string;
  expect(fragment).not.toContain(jwt);
  const claims = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8"));
  expect(claims.sub).toBe(pushes[0]!.inputs.account);
  expect(claims.name).toBe(`TENANT_${slug}`);
  return claims;
};

let base: Render, planChange: Render, suspended: Render, decommissioned: Render, removedAfterDecommission: Render;
let removedActive: Render, renamed: Render, orgRemoved: Render, removedSuspended: Render, resumed: Render, renewed: Render;

beforeAll(async () => {
  base = await render(EXAMPLES_DIR);
  expect(base.ok, base.stderr).toBe(true);
  const prev = previousOf(base);
  [planChange, suspended, decommissioned, removedActive, renamed, orgRemoved] = await Promise.all([
    render(tenantsWith(edit(SUBJECT, (d) => (d.plan = "enterprise"))), prev),
    render(tenantsWith(edit(SUBJECT, (d) => (d.status = "suspended"))), prev),
    render(tenantsWith(edit(SUBJECT, (d) => (d.status = "decommissioned"))), prev),
    render(tenantsWith((docs) => docs.delete(`${SUBJECT}.yaml`)), prev),
    render(tenantsWith((docs) => { const d = docs.get(`${SUBJECT}.yaml`); docs.delete(`${SUBJECT}.yaml`); d.slug = "acme"; docs.set("acme.yaml", JSON.parse(JSON.stringify(d).replaceAll(`"${SUBJECT}:`, '"acme:'))); }), prev),
    render(tenantsWith(edit(SUBJECT, (d) => (d.organizations = d.organizations.filter((o: any) => o.id !== "finance")))), prev),
  ]);
  [removedAfterDecommission, removedSuspended, resumed, renewed] = await Promise.all([
    render(tenantsWith((docs) => docs.delete(`${SUBJECT}.yaml`)), previousOf(decommissioned)),
    render(tenantsWith((docs) => docs.delete(`${SUBJECT}.yaml`)), previousOf(suspended)),
    render(tenantsWith(() => {}), previousOf(suspended)),
    // Certificates issued at another time under the same names: what a renewal does.
    render(EXAMPLES_DIR, prev, { clock: "2026-09-01T00:00:00Z" }),
  ]);
}, 240_000);

describe("plan change (acme-corp pro → enterprise)", () => {
  it("declares exactly the same resources: nothing is created, deleted or renamed", () => {
    expect(planChange.ok, planChange.stderr).toBe(true);
    expect([...planChange.resources.keys()].sort()).toEqual([...base.resources.keys()].sort());
  });

  it("keeps the names and identities of namespaces, streams and the account key; only the plan label changes on a namespace", () => {
    for (const ns of tenantNs(base, SUBJECT)) {
      const after = planChange.resources.get(ns.urn)!;
      expect(after.inputs.metadata.name).toBe(ns.inputs.metadata.name);
      const { labels: before, ...restBefore } = ns.inputs.metadata;
      const { labels: now, ...restNow } = after.inputs.metadata;
      expect(restNow).toEqual(restBefore);
      expect({ ...now, "tenancy.serviceradar.io/plan": "pro" }).toEqual(before);
      expect(now["tenancy.serviceradar.io/plan"]).toBe("enterprise");
      expect(after.options.deleteBeforeReplace ?? false).toBe(false);
    }
    const streams = byKind(base, "Stream").filter((s) => s.inputs.metadata.name.startsWith(`${SUBJECT}-`));
    expect(streams).toHaveLength(4);
    for (const s of streams) {
      const after = planChange.resources.get(s.urn)!;
      expect(after.inputs.spec.name).toBe(s.inputs.spec.name);
      expect(after.inputs.spec.subjects).toEqual(s.inputs.spec.subjects);
      expect(after.inputs.spec.maxBytes).toBeGreaterThan(s.inputs.spec.maxBytes); // 8Gi → 128Gi
      expect(after.options.protect).toBe(true);
    }
    // The account keeps its key (its identity, under which JetStream stores the streams).
    expect(accountJwtClaims(planChange, SUBJECT).sub).toBe(accountJwtClaims(base, SUBJECT).sub);
    expect(accountJwtClaims(planChange, SUBJECT).nats.limits.conn).toBe(1000);
  });

  it("updates limits and quotas in place", () => {
    const quota = (r: Render) => byKind(r, "ResourceQuota", `tenant-${SUBJECT}`)[0]!;
    expect(quota(planChange).urn).toBe(quota(base).urn);
    expect(quota(planChange).inputs.spec.hard["requests.cpu"]).not.toBe(quota(base).inputs.spec.hard["requests.cpu"]);
    const lr = (r: Render) => byKind(r, "LimitRange", `tenant-${SUBJECT}`)[0]!.inputs.spec.limits[0].max.cpu;
    expect([lr(base), lr(planChange)]).toEqual(["2", "8"]);
  });
});

describe("suspension (acme-corp status: suspended) and resumption", () => {
  it("scales the edge to zero and admits no new pod, keeping every object; adds only what stops the running pods", () => {
    expect(suspended.ok, suspended.stderr).toBe(true);
    const added = [...suspended.resources.keys()].filter((u) => !base.resources.has(u)).map((u) => u.split("::").pop()).sort();
    const own = [`tenant-${SUBJECT}`, ...["netops", "secops", "finance"].map((o) => `tenant-${SUBJECT}-org-${o}`)];
    // Changed by the resource diet: the admins' binding to the admin ClusterRole goes (they join the
    // viewers' binding, so they keep reading); no object that holds anything is removed.
    const removed = [...base.resources.keys()].filter((u) => !suspended.resources.has(u)).map((u) => u.split("::").pop()).sort();
    expect(removed).toEqual(own.map((ns) => `${ns}-admin-binding`).sort());
    // The Job (platform namespace), and the suspender's Role and RoleBinding in each of acme-corp's four namespaces of its own.
    expect(added).toEqual([`${SUBJECT}/suspension-job`, ...own.flatMap((ns) => [`${ns}-suspender-binding`, `${ns}-suspender-role`])].sort());
    const deployments = byKind(suspended, "Deployment", `tenant-${SUBJECT}-edge`);
    expect(deployments.length).toBe(4);
    for (const d of deployments) expect(d.inputs.spec.replicas, d.inputs.metadata.name).toBe(0);
    for (const q of byKind(suspended, "ResourceQuota").filter((x) => x.inputs.metadata.namespace.startsWith(`tenant-${SUBJECT}`))) expect(q.inputs.spec.hard.pods).toBe("0");
  });

  it("makes the NATS account admit no connection (every user revoked) and keeps namespaces, streams and CA protected", () => {
    expect(accountJwtClaims(suspended, SUBJECT).nats.revocations?.["*"]).toBeGreaterThan(0);
    expect(accountJwtClaims(suspended, SUBJECT).nats.limits.leaf).toBe(0);
    for (const ns of tenantNs(suspended, SUBJECT).filter((n) => !n.inputs.metadata.name.endsWith("-edge"))) expect(ns.options.protect).toBe(true);
    for (const s of byKind(suspended, "Stream").filter((x) => x.inputs.metadata.name.startsWith(`${SUBJECT}-`))) expect(s.options.protect).toBe(true);
    // Its CA stays (the key in state, the certificates published in its root namespace).
    expect(byKind(suspended, "ConfigMap", `tenant-${SUBJECT}`).some((c) => c.inputs.metadata.name === "tenant-ca")).toBe(true);
  });

  it("resumes to exactly the active declaration: status back to active (after the suspended update) gives the base render's bytes", () => {
    expect(resumed.ok, resumed.stderr).toBe(true);
    const declared = (r: Render) => fs.readFileSync(path.join(r.out, "resources.yaml"), "utf8");
    expect(declared(suspended)).not.toBe(declared(base));
    expect(declared(resumed)).toBe(declared(base));
    expect(accountJwtClaims(resumed, SUBJECT).nats.revocations?.["*"]).toBeUndefined();
  });
});

describe("certificate renewal (same names, new certificates)", () => {
  it("restarts every edge pod (its template annotation changes) and changes nothing else of the Deployments", () => {
    expect(renewed.ok, renewed.stderr).toBe(true);
    expect([...renewed.resources.keys()].sort()).toEqual([...base.resources.keys()].sort());
    const deployments = byKind(base, "Deployment");
    expect(deployments.length).toBe(11);
    for (const d of deployments) {
      const after = renewed.resources.get(d.urn)!;
      const annotation = (x: Declared) => x.inputs.spec.template.metadata.annotations["tenancy.serviceradar.io/restart-on"];
      expect(annotation(after), d.inputs.metadata.name).not.toBe(annotation(d));
      const without = (x: Declared) => ({ ...x.inputs, spec: { ...x.inputs.spec, template: { ...x.inputs.spec.template, metadata: { ...x.inputs.spec.template.metadata, annotations: {} } } } });
      expect(without(after)).toEqual(without(d));
    }
  });
});

describe("decommissioning (acme-corp status: decommissioned)", () => {
  it("removes the workloads, their certificates, creds and bundles", () => {
    expect(decommissioned.ok, decommissioned.stderr).toBe(true);
    const edge = `tenant-${SUBJECT}-edge`;
    for (const kind of ["Deployment", "Service", "ConfigMap"]) expect(byKind(decommissioned, kind, edge), kind).toEqual([]);
    expect(byKind(decommissioned, "Secret", edge)).toEqual([]);
    expect([...decommissioned.resources.keys()].filter((u) => u.includes(`${SUBJECT}/`) && u.includes("tls:index/"))).toEqual(
      [...decommissioned.resources.keys()].filter((u) => u.includes(`${SUBJECT}/tenant-ca`) && u.includes("tls:index/")),
    );
  });

  it("keeps the data-bearing resources, unprotected so the file can then be deleted: streams (preventDelete keeps the JetStream data), the tenant CA, reader and manager creds for the export", () => {
    const streams = byKind(decommissioned, "Stream").filter((x) => x.inputs.metadata.name.startsWith(`${SUBJECT}-`));
    expect(streams).toHaveLength(4);
    for (const s of streams) {
      expect(s.options.protect ?? false).toBe(false);
      expect(s.inputs.spec.preventDelete).toBe(true);
    }
    for (const ns of tenantNs(decommissioned, SUBJECT)) expect(ns.options.protect ?? false, ns.inputs.metadata.name).toBe(false);
    const platformSecrets = byKind(decommissioned, "Secret", "platform").map((s) => s.inputs.metadata.name);
    expect(platformSecrets).toEqual(expect.arrayContaining([`nats-${SUBJECT}-reader-creds`, `nats-${SUBJECT}-manager-creds`]));
    expect(byKind(decommissioned, "ConfigMap", `tenant-${SUBJECT}`).some((c) => c.inputs.metadata.name === "tenant-ca")).toBe(true);
  });

  it("then lets the file go: the next update declares nothing of the tenant", () => {
    expect(removedAfterDecommission.ok, removedAfterDecommission.stderr).toBe(true);
    expect(ofTenant(removedAfterDecommission, SUBJECT)).toEqual([]);
    expect(ofTenant(base, SUBJECT).length).toBeGreaterThan(50);
  });
});

describe("the guard against dropping a tenant that was not decommissioned", () => {
  it("refuses deleting the file of an active tenant, naming the file and the way out, and declares nothing", () => {
    expect(removedActive.ok).toBe(false);
    expect(removedActive.stderr).toContain("nothing was declared");
    expect(removedActive.stderr).toMatch(new RegExp(`${SUBJECT}\\.yaml: \\(file\\): tenant "${SUBJECT}" was active in the last update and its file is gone`));
    expect(removedActive.stderr).toContain("set `status: decommissioned` and apply");
    expect(fs.existsSync(path.join(removedActive.out, "resources.yaml"))).toBe(false);
  });

  it("refuses a rename (a new slug is a new tenant: the old one would be deleted)", () => {
    expect(renamed.ok).toBe(false);
    expect(renamed.stderr).toMatch(new RegExp(`tenant "${SUBJECT}" was active in the last update and its file is gone \\(deleted or renamed\\)`));
  });

  it("refuses deleting a suspended tenant's file too", () => {
    expect(removedSuspended.ok).toBe(false);
    expect(removedSuspended.stderr).toContain(`tenant "${SUBJECT}" was suspended in the last update`);
  });

  it("refuses dropping an organization of a tenant that is not decommissioned", () => {
    expect(orgRemoved.ok).toBe(false);
    expect(orgRemoved.stderr).toMatch(/acme-corp\.yaml: organizations: organization "finance" was in the last update and is gone/);
  });

  it("protects, as a second line, what the guard cannot see (a first update, a state edited by hand): namespaces, streams and account keys of every tenant not decommissioned", () => {
    const protectedUrns = [...base.resources.values()].filter((r) => r.options.protect).map((r) => r.urn);
    for (const slug of ["acme-corp", "globex", "initech", "umbrella"]) {
      expect(protectedUrns.filter((u) => u.includes("kubernetes:core/v1:Namespace::tenant-" + slug) && !u.endsWith("-edge")).length, slug).toBeGreaterThan(0);
      expect(protectedUrns.filter((u) => u.includes("Stream::") && u.includes(`${slug}`)).length, slug).toBe(4);
      expect(protectedUrns.filter((u) => u.endsWith(`::${slug}/nats-account-key`)).length, slug).toBe(1);
    }
  });
});
