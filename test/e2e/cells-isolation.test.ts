/**
 * Isolation across a fleet with cells (docs/cells.md), on real parts: the example tenants over two
 * cells rendered as their stacks run (`--all-cells`); then
 *   - NATS: three nats-server processes from the platform stack's hub configuration, every tenant
 *     account pushed by its own cell (signed by the cell's operator signing key, pushed as the
 *     cell's claims pusher), and every ordered pair of tenants probed — pairs within a cell and
 *     across cells;
 *   - X.509: openssl verifies each tenant's component certificates through its tenant CA and its
 *     cell's CA up to the root, and refuses them under every other tenant's CA;
 *   - the policy pack: every policy over each stack, as the engine evaluates that stack, with the
 *     policy config a cell's stack needs (the platform stack's namespace); a broken cell refused;
 *   - the admission policies over the stacks together: the platform's bindings select every cell's
 *     tenant namespaces, with their params in the platform stack;
 *   - the tenants' access over the stacks together: every cell's RoleBindings bind the platform
 *     stack's ClusterRoles, declared there with the rules the single stack has, and grant every
 *     group in every namespace exactly what the single stack grants.
 * (The reachability matrix over the same fleet is test/program/reachability-cells.test.ts.)
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { connect, credsAuthenticator, type NatsConnection, type Status } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ENGINE_NODE_FLAGS, PROJECT } from "../../engine/offline";
import { manifestsIn, renderFleet, type Fleet } from "../support/fleet";
import { EXAMPLES_DIR, REPO } from "../support/fixtures";
import { grantedTo, rights } from "../support/rbac";
import { renderSync } from "../support/render";
import { startPushedHub, type HubCluster, type RenderedHub } from "../support/hub-cluster";
import { openssl, splitCerts } from "../support/openssl";
import { NATS_USER_LABEL, TENANT_LABEL, loadRendered, rawGreeting, readTenantFile, record, sleep, type Rendered } from "../support/rendered";
import type { PackOnStackArgs, PackOnStackResult } from "../support/pack-on-stack";
import { policies } from "../../policy/policies";
import * as checks from "../../policy/checks";

const te = new TextEncoder();
const AT = String(Date.UTC(2026, 0, 2) / 1000);
const cellsFile = parse(fs.readFileSync(path.join(REPO, "cells/cells.yaml"), "utf8")) as { platform: { stack: string }; cells: { name: string; stack: string }[] };

let dir: string;
let fleet: Fleet;
let R: Rendered;
let cluster: HubCluster;
let hub: RenderedHub;
const open: NatsConnection[] = [];
/** Each tenant's cell and status, from the outputs of the stack that declared it. */
const cellOfTenant = new Map<string, string>();
const statusOfTenant = new Map<string, string>();
const AUTH_VIOLATION = "-ERR 'Authorization Violation'";
const LABELS_PLAN = checks.LABELS.plan;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-cells-iso-"));
  fleet = renderFleet(dir);
  for (const c of cellsFile.cells) {
    const outputs = parse(fs.readFileSync(path.join(fleet.stacks, "cells", c.name, "outputs.yaml"), "utf8")) as { tenants?: Record<string, { status: string }> };
    for (const [slug, t] of Object.entries(outputs.tenants ?? {})) {
      cellOfTenant.set(slug, c.name);
      statusOfTenant.set(slug, t.status);
    }
  }
  R = loadRendered(fleet.view);
  ({ cluster, hub } = await startPushedHub(fleet.view, { servers: 3, jetstream: { maxFileStore: 2 ** 40, maxMemoryStore: 2 ** 30 } }));
}, 300_000);

afterAll(async () => {
  await Promise.allSettled(open.map((nc) => nc.close()));
  await cluster?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function client(creds: string, server: number): Promise<NatsConnection> {
  const nc = await connect({ servers: cluster.urls()[server], authenticator: credsAuthenticator(te.encode(creds)), reconnect: false, timeout: 5_000 });
  open.push(nc);
  return nc;
}

describe("NATS across cells, on three real servers", () => {
  it("takes every tenant's account from its own cell: pushed by the cell's pusher, signed by its key", () => {
    expect(new Set(cellOfTenant.values()).size).toBe(2);
    expect(hub.pushes.map((p) => p.tenant).sort()).toEqual([...cellOfTenant.keys()].sort());
    const keys = new Map(cellsFile.cells.map((c) => [c.name, parse(fs.readFileSync(path.join(fleet.stacks, "cells", c.name, "outputs.yaml"), "utf8")).cellIdentity.operatorSigningKeyPub as string]));
    for (const p of hub.pushes) {
      const iss = JSON.parse(Buffer.from(p.inputs.jwt.split(".")[1]!, "base64url").toString()).iss;
      expect(iss, p.tenant).toBe(keys.get(cellOfTenant.get(p.tenant)!));
    }
  });

  it("finds each tenant's status in its cell's outputs as its file says it", () => {
    for (const [slug, status] of statusOfTenant) expect(status, slug).toBe(readTenantFile(path.join(EXAMPLES_DIR, `${slug}.yaml`)).status);
    expect([...statusOfTenant.values()]).toContain("suspended");
  });

  it("keeps every tenant's users out of every other tenant's subjects, within a cell and across cells; a suspended tenant's creds connect nowhere", async () => {
    const all = [...R.tenants.values()].filter((t) => t.reader && t.manager);
    expect(all.map((t) => t.slug).sort()).toEqual([...cellOfTenant.keys()].sort());
    const isActive = (slug: string) => statusOfTenant.get(slug) === "active";
    // A suspended tenant's account revokes every user ("*"): each of its creds is refused on every server.
    let refusedConnections = 0;
    for (const t of all.filter((x) => !isActive(x.slug))) {
      for (const c of [...t.collectors, t.reader!, t.manager!]) {
        for (const s of cluster.servers) {
          expect(await rawGreeting(s.ports.client, c), `suspended ${t.slug}: ${c.secret} on ${s.name}`).toBe(AUTH_VIOLATION);
          refusedConnections++;
        }
      }
    }
    let pairs = 0;
    let crossCell = 0;
    let bySuspension = 0;
    for (const a of all) {
      for (const b of all) {
        if (a === b) continue;
        pairs++;
        if (cellOfTenant.get(a.slug) !== cellOfTenant.get(b.slug)) crossCell++;
        // A suspended tenant reaches nothing: none of its creds connected above.
        if (!isActive(a.slug)) {
          bySuspension++;
          continue;
        }
        // B's own reader on B's subjects, when B is active (a suspended B has none that connects).
        const readerB = isActive(b.slug) ? await client(b.reader!.text, 0) : undefined;
        const seen = readerB ? record(readerB, `${b.slug}.>`) : undefined;
        await readerB?.flush();
        const readerA = await client(a.reader!.text, 1);
        const managerA = await client(a.manager!.text, 2);
        const status: Status[] = [];
        void (async () => {
          for await (const st of managerA.status()) status.push(st);
        })();
        const sub = record(readerA, `${b.slug}.>`);
        managerA.publish(`${b.slug}.events.syslog`, te.encode("cross"));
        await Promise.all([readerA.flush(), managerA.flush()]);
        await Promise.all([readerA.flush(), managerA.flush()]);
        await sleep(100);
        expect(sub.errors.length, `${a.slug} reader subscribes ${b.slug}.>`).toBe(1);
        expect(status.some((st) => st.data === "PERMISSIONS_VIOLATION"), `${a.slug} manager publishes to ${b.slug}`).toBe(true);
        if (seen) expect(seen.messages, `${a.slug} → ${b.slug}`).toEqual([]);
        await Promise.all([readerA.close(), managerA.close(), readerB?.close()]);
      }
    }
    expect(pairs).toBe(all.length * (all.length - 1));
    expect(crossCell).toBeGreaterThan(0);
    expect(bySuspension).toBeGreaterThan(0);
    console.log(
      `cells NATS: ${pairs} ordered pairs refused (${crossCell} across cells; ${pairs - bySuspension} by permissions, ${bySuspension} by suspension), ` +
        `${refusedConnections} connections of suspended tenants refused; accounts pushed by ${cellsFile.cells.length} cells to ${cluster.servers.length} servers`,
    );
  });
});

describe("X.509 across cells, with openssl", () => {
  it("chains each tenant's component certificates through its own cell's CA, and refuses them under every other tenant's CA", () => {
    const platformOut = parse(fs.readFileSync(path.join(fleet.stacks, "platform", "outputs.yaml"), "utf8")).platform as { rootCaCertPem: string; cells: Record<string, { caCertPem: string }> };
    const tmp = fs.mkdtempSync(path.join(dir, "x509-"));
    const file = (name: string, pem: string) => (fs.writeFileSync(path.join(tmp, name), pem), path.join(tmp, name));
    const root = file("root.crt", platformOut.rootCaCertPem);
    const tenantCa = new Map<string, string>();
    for (const slug of cellOfTenant.keys()) {
      const cm = R.objects.find((o) => o.kind === "ConfigMap" && o.metadata.namespace === `tenant-${slug}` && o.data?.["ca.crt"] && o.data?.["root-ca.crt"]);
      expect(cm, slug).toBeDefined();
      tenantCa.set(slug, file(`${slug}-ca.crt`, cm!.data!["ca.crt"]!));
    }
    const components = R.objects.filter((o) => o.kind === "Secret" && o.type === "kubernetes.io/tls" && o.metadata.labels?.["tenancy.serviceradar.io/tenant"] && o.stringData?.["tls.crt"]);
    expect(components.length).toBeGreaterThan(4);
    let verified = 0;
    let refused = 0;
    let crossCell = 0;
    for (const c of components) {
      const slug = c.metadata.labels!["tenancy.serviceradar.io/tenant"]!;
      const cell = cellOfTenant.get(slug)!;
      const [leaf, ...chain] = splitCerts(c.stringData!["tls.crt"]!);
      const leafFile = file(`${c.metadata.name}.crt`, leaf!);
      const untrusted = file(`${c.metadata.name}-chain.crt`, [...chain, platformOut.cells[cell]!.caCertPem].join(""));
      const own = openssl(["verify", "-attime", AT, "-CAfile", root, "-untrusted", untrusted, leafFile]);
      expect(own.ok, `${c.metadata.namespace}/${c.metadata.name} under the root via cell ${cell}: ${own.out}`).toBe(true);
      verified++;
      for (const [other, caFile] of tenantCa) {
        if (other === slug) continue;
        const v = openssl(["verify", "-attime", AT, "-partial_chain", "-CAfile", caFile, "-untrusted", untrusted, leafFile]);
        expect(v.ok, `${slug}'s ${c.metadata.name} under ${other}'s CA`).toBe(false);
        refused++;
        if (cellOfTenant.get(other) !== cell) crossCell++;
      }
    }
    expect(crossCell).toBeGreaterThan(0);
    console.log(`cells X.509: ${verified} component chains verified through their cell's CA, ${refused} cross-tenant verifications refused (${crossCell} across cells)`);
  });
});

describe("the policy pack over each stack of the fleet", () => {
  const reference = (stack: string) => `organization/${PROJECT}/${stack}`;
  const outputsOf = (d: string) => (parse(fs.readFileSync(path.join(d, "outputs.yaml"), "utf8")) ?? {}) as Record<string, unknown>;
  const stacks = () => [
    { stack: cellsFile.platform.stack, dir: path.join(fleet.stacks, "platform"), config: { "tenancy:stackRole": "platform" } },
    ...cellsFile.cells.map((c) => ({ stack: c.stack, dir: path.join(fleet.stacks, "cells", c.name), config: { "tenancy:stackRole": "cell", "tenancy:cell": c.name } })),
  ];
  /** The stack's resources as the engine evaluates it, reading the other stacks' outputs, checked by every policy. */
  const packOn = (s: ReturnType<typeof stacks>[number], extra: Pick<PackOnStackArgs, "policyConfig" | "moveSecrets"> = {}): PackOnStackResult => {
    const stackOutputs = Object.fromEntries(stacks().map((o) => [reference(o.stack), outputsOf(o.dir)]));
    const args = path.join(dir, `pack-${s.stack}-${Object.keys(extra).join("-") || "as-is"}.json`);
    fs.writeFileSync(args, JSON.stringify({ stack: s.stack, config: s.config, stackOutputs, ...extra } satisfies PackOnStackArgs));
    const out = execFileSync(process.execPath, [...ENGINE_NODE_FLAGS, "--import", "tsx", path.join(REPO, "test/support/pack-on-stack.ts"), args], { cwd: REPO, encoding: "utf8", maxBuffer: 1 << 26 });
    return JSON.parse(out.trim().split("\n").pop()!) as PackOnStackResult;
  };
  /**
   * `--policy-pack-config` as docs/policy.md writes it, for the platform namespace given: every
   * policy with a platformNamespace setting gets it (a cell's stack does not declare that namespace:
   * the platform stack does, and says its name in its outputs).
   */
  const packConfig = (platformNamespace: string) =>
    Object.fromEntries(policies.filter((p) => (p.configSchema?.properties as Record<string, unknown> | undefined)?.platformNamespace).map((p) => [p.name, { platformNamespace }]));
  const platformNamespace = () => outputsOf(path.join(fleet.stacks, "platform")).platformNamespace as string;
  const cellB = () => stacks().find((s) => s.stack === cellsFile.cells.find((c) => c.name === "b")!.stack)!;

  it("finds no violation in the platform stack or in either cell's, and each policy inspects what its stack holds", () => {
    expect(policies.every((p) => p.enforcementLevel === "mandatory")).toBe(true);
    expect(Object.keys(packConfig(platformNamespace())).sort()).toEqual(["signing-keys-in-platform-namespace", "signing-keys-in-platform-namespace-stack", "tenant-secrets-in-tenant-namespaces"]);
    const summary: string[] = [];
    for (const s of stacks()) {
      const result = packOn(s, { policyConfig: packConfig(platformNamespace()) });
      expect(result.violations, `${s.stack}: ${JSON.stringify(result.violations, null, 2)}`).toEqual([]);
      const inspecting = Object.entries(result.inspected).filter(([, counts]) => Object.values(counts).some((n) => n > 0)).length;
      summary.push(`${s.stack}: ${result.resources} resources, ${inspecting} of ${policies.length} policies inspected something, 0 violations`);
      expect(inspecting, s.stack).toBeGreaterThan(3);
    }
    console.log(`cells policy pack: ${summary.join("; ")}`);
  }, 300_000);

  it("refuses a cell whose tenant Secret is declared in another tenant's namespace of the same cell", () => {
    const moved = R.objects.find((o) => o.kind === "Secret" && o.metadata.labels?.[TENANT_LABEL] === "globex" && o.metadata.labels?.[NATS_USER_LABEL] === "collector")!;
    expect(cellOfTenant.get("globex")).toBe("b");
    expect(cellOfTenant.get("initech")).toBe("b");
    const result = packOn(cellB(), { policyConfig: packConfig(platformNamespace()), moveSecrets: [{ from: `${moved.metadata.namespace}/${moved.metadata.name}`, to: "tenant-initech" }] });
    expect(result.moved).toHaveLength(1);
    expect(result.violations.map((v) => [v.policy, v.urn])).toEqual([["tenant-secrets-in-tenant-namespaces", result.moved[0]]]);
    expect(result.violations[0]!.message).toContain(`belongs to tenant "globex" but is in namespace tenant-initech of tenant "initech"`);
    console.log(`cells policy pack, broken cell b: ${result.violations.length} violation (${result.violations[0]!.policy})`);
  }, 120_000);

  it("reads the platform namespace from its config in a cell's stack: named otherwise, the platform's Secrets for the cell's tenants are refused", () => {
    const result = packOn(cellB(), { policyConfig: packConfig("ops") });
    const refused = result.violations.filter((v) => v.policy === "tenant-secrets-in-tenant-namespaces");
    const platformSide = R.objects.filter((o) => o.kind === "Secret" && o.metadata.namespace === platformNamespace() && ["globex", "initech"].includes(o.metadata.labels?.[TENANT_LABEL] ?? ""));
    expect(platformSide.length).toBeGreaterThan(0);
    expect(refused).toHaveLength(platformSide.length);
    for (const v of refused) expect(v.message).toContain(`is in namespace ${platformNamespace()}, which this stack does not declare`);
    console.log(`cells policy pack, cell b with platformNamespace "ops": ${refused.length} platform-side Secrets refused (${result.violations.length} violations in all)`);
  }, 120_000);
});

/**
 * A stack's rendered objects as the pack's checks read them (the pack's own conversion), each named
 * by its stack and file, and the manifests themselves (`raw`, as RBAC's authorizer reads them).
 */
function renderedObjects(stackDir: string, root = fleet.stacks): { objects: checks.K8sObject[]; raw: Record<string, any>[] } {
  const stack = path.relative(root, stackDir);
  const manifests = manifestsIn(stackDir);
  const objects = manifests.flatMap((m) => {
    const { apiVersion, kind } = m.object as { apiVersion: string; kind: string };
    const type = `kubernetes:${apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`}:${kind}`;
    const o = checks.toObject(type, `${stack}:${m.file}`, m.object);
    return o ? [o] : [];
  });
  return { objects, raw: manifests.map((m) => m.object as Record<string, any>) };
}

describe("admission policies over the stacks together", () => {
  const objectsOf = (stackDir: string) => renderedObjects(stackDir).objects;
  const platformDir = () => fleet.stackDirs[0]!;
  const cellDirs = () => fleet.stackDirs.slice(1);
  const union = () => fleet.stackDirs.flatMap(objectsOf);
  const tenantNamespacesIn = (objects: readonly checks.K8sObject[]) => new checks.NamespaceIndex(objects).tenantNamespaces();
  const ADMISSION_KINDS = ["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"];

  it("puts every policy, binding and params ConfigMap in the platform stack and every tenant namespace in a cell's", () => {
    const platform = objectsOf(platformDir());
    expect(platform.filter((o) => o.kind === "ValidatingAdmissionPolicy").map((o) => o.metadata.name).sort()).toEqual([...checks.ADMISSION_POLICIES].sort());
    expect(tenantNamespacesIn(platform)).toEqual([]);
    expect(checks.checkAdmissionPolicies(platform)).toEqual([]);
    for (const d of cellDirs()) {
      const cell = objectsOf(d);
      expect(cell.filter((o) => ADMISSION_KINDS.includes(o.kind)), d).toEqual([]);
      expect(tenantNamespacesIn(cell).length, d).toBeGreaterThan(0);
      // Alone, a cell has no policy; from its side, nothing is missing.
      expect(checks.checkAdmissionPolicies(cell).length, d).toBe(checks.ADMISSION_POLICIES.length);
      expect(checks.checkAdmissionPolicies(cell, { declaredElsewhere: true }), d).toEqual([]);
    }
  });

  it("binds every tenant namespace of every cell to every policy by the platform stack's bindings, with its plan's params there", () => {
    const objects = union();
    const namespaces = tenantNamespacesIn(objects);
    const byCell = new Map(cellDirs().map((d) => [path.basename(d), tenantNamespacesIn(objectsOf(d)).length]));
    expect(namespaces.length).toBe([...byCell.values()].reduce((a, b) => a + b, 0));
    expect(checks.checkAdmissionPolicies(objects)).toEqual([]);
    const bindings = objects.filter((o) => o.kind === "ValidatingAdmissionPolicyBinding");
    console.log(
      `cells admission: ${namespaces.length} tenant namespaces (${[...byCell].map(([c, n]) => `cell ${c}: ${n}`).join(", ")}) × ${checks.ADMISSION_POLICIES.length} policies bound by ${bindings.length} platform bindings; 0 violations`,
    );
  });

  it("finds the hole when a cell's namespace loses its plan label, names a plan the platform does not bind, or a plan's params leave the platform stack", () => {
    const perPlan = objectsOf(platformDir()).filter((o) => o.kind === "ValidatingAdmissionPolicy" && o.spec?.paramKind).length;
    expect(perPlan).toBeGreaterThan(0);
    const namespaceOf = (objects: checks.K8sObject[], name: string) => objects.find((o) => o.kind === "Namespace" && o.metadata.name === name)!;
    const atUrn = (violations: checks.Violation[], urn: string) => violations.filter((v) => v.urn === urn);

    // Cell b's globex root namespace without its plan label: under none of the per-plan bindings.
    const unlabelled = union();
    const globex = namespaceOf(unlabelled, "tenant-globex");
    expect(globex.urn.startsWith("cells/b:")).toBe(true);
    delete globex.metadata.labels[LABELS_PLAN];
    const found = checks.checkAdmissionPolicies(unlabelled);
    expect(found).toHaveLength(perPlan);
    expect(atUrn(found, globex.urn)).toHaveLength(perPlan);
    // The cell's own pack run sees it too, from the cell's side.
    const cellB = objectsOf(fleet.stackDirs.find((d) => d.endsWith(path.join("cells", "b")))!);
    delete namespaceOf(cellB, "tenant-globex").metadata.labels[LABELS_PLAN];
    expect(checks.checkAdmissionPolicies(cellB, { declaredElsewhere: true }).map((v) => v.urn)).toEqual([namespaceOf(cellB, "tenant-globex").urn]);

    // A plan label the platform has no bindings for (a cell cannot tell; the union can).
    const unknownPlan = union();
    namespaceOf(unknownPlan, "tenant-acme-corp").metadata.labels[LABELS_PLAN] = "platinum";
    expect(checks.checkAdmissionPolicies(unknownPlan)).toHaveLength(perPlan);

    // The params of a plan gone from the platform stack: every namespace of that plan, in any cell, is under no binding with params.
    const noParams = union();
    const plan = namespaceOf(noParams, "tenant-initech").metadata.labels[LABELS_PLAN]!;
    noParams.splice(noParams.findIndex((o) => o.kind === "ConfigMap" && o.urn.startsWith("platform:") && o.metadata.name.endsWith(`admission-${plan}`)), 1);
    const ofPlan = tenantNamespacesIn(noParams).filter((ns) => ns.metadata.labels[LABELS_PLAN] === plan);
    expect(ofPlan.length).toBeGreaterThan(0);
    const missing = checks.checkAdmissionPolicies(noParams);
    expect(missing).toHaveLength(ofPlan.length * perPlan);
    expect(missing.every((v) => v.message.includes("and params declared in the platform's namespace"))).toBe(true);
    console.log(
      `cells admission, broken: plan label removed → ${found.length} violations on the union (1 from the cell's side); unknown plan → ${perPlan}; params of plan ${plan} removed → ${missing.length} (${ofPlan.length} namespaces × ${perPlan})`,
    );
  });
});

describe("the tenants' access levels over the stacks together", () => {
  const objectsOf = renderedObjects;
  const platformDir = () => fleet.stackDirs[0]!;
  const cellDirs = () => fleet.stackDirs.slice(1);
  const union = () => {
    const parts = fleet.stackDirs.map((d) => objectsOf(d));
    return { objects: parts.flatMap((p) => p.objects), raw: parts.flatMap((p) => p.raw) };
  };
  const ACCESS_LEVELS: readonly string[] = checks.TENANT_CLUSTER_ROLES;
  const tenantBindings = (objects: readonly checks.K8sObject[]) => {
    const index = new checks.NamespaceIndex(objects);
    return objects.filter((o) => o.kind === "RoleBinding" && index.tenantOf(checks.namespaceOf(o)) !== undefined);
  };
  /** The example tenants in one stack, as `npm run render` renders them (no cells file read). */
  let single: { objects: checks.K8sObject[]; raw: Record<string, any>[] };
  beforeAll(() => {
    const out = path.join(dir, "single");
    renderSync({ out });
    single = objectsOf(out, dir);
  }, 300_000);

  it("binds in every cell only the platform stack's two ClusterRoles, declared there with the single stack's rules; every group in every namespace gets what the single stack gives it", () => {
    const platform = objectsOf(platformDir()).objects;
    const declared = platform.filter((o) => o.kind === "ClusterRole" && ACCESS_LEVELS.includes(o.metadata.name));
    expect(declared.map((o) => o.metadata.name).sort()).toEqual([...ACCESS_LEVELS].sort());
    const singleRoles = new Map(single.objects.filter((o) => o.kind === "ClusterRole").map((o) => [o.metadata.name, o]));
    for (const role of declared) expect(role.rules, role.metadata.name).toEqual(singleRoles.get(role.metadata.name)?.rules);
    // The platform stack's run checks them where no namespace binds them.
    expect(checks.checkClusterRbac(platform)).toEqual([]);
    expect(checks.checkTenantRoles(platform)).toEqual([]);
    let cellBindings = 0;
    for (const d of cellDirs()) {
      const cell = objectsOf(d).objects;
      expect(cell.filter((o) => o.kind === "ClusterRole"), d).toEqual([]);
      const bound = tenantBindings(cell).filter((b) => b.roleRef?.kind === "ClusterRole");
      expect(bound.length, d).toBeGreaterThan(0);
      for (const b of bound) expect(ACCESS_LEVELS, `${d}: ${checks.describe(b)}`).toContain(b.roleRef!.name);
      cellBindings += bound.length;
      // Alone, a cell binds what it does not declare; from its side, it binds exactly the platform's.
      expect(checks.checkClusterRbac(cell).length, d).toBe(bound.length);
      expect(checks.checkClusterRbac(cell, { clusterRolesDeclaredElsewhere: true }), d).toEqual([]);
    }
    const all = union();
    expect(checks.checkClusterRbac(all.objects)).toEqual([]);
    expect(checks.checkTenantRoles(all.objects)).toEqual([]);
    expect(checks.checkQuotaKeys(all.objects)).toEqual([]);
    // Rights per group and namespace, read as the authorizer reads them, over the fleet and the single stack.
    const namespaces = new checks.NamespaceIndex(single.objects).tenantNamespaces().map((n) => n.metadata.name).sort();
    expect(new checks.NamespaceIndex(all.objects).tenantNamespaces().map((n) => n.metadata.name).sort()).toEqual(namespaces);
    let pairs = 0;
    for (const ns of namespaces) {
      const groups = new Set(tenantBindings(single.objects).filter((b) => b.metadata.namespace === ns).flatMap((b) => (b.subjects ?? []).filter((x) => x.kind === "Group").map((x) => x.name!)));
      for (const g of groups) {
        const want = rights(grantedTo(single.raw, ns, g).rules);
        expect(want.length, `${g} in ${ns}`).toBeGreaterThan(0);
        expect(rights(grantedTo(all.raw, ns, g).rules), `${g} in ${ns}`).toEqual(want);
        pairs++;
      }
    }
    console.log(`cells access: ${cellBindings} tenant RoleBindings of ${cellDirs().length} cells bind the platform stack's ${declared.length} ClusterRoles; rights of ${pairs} (group, namespace) pairs identical to the single stack's; 0 violations`);
  });

  it("finds the hole when the platform stack loses an access level, widens one, or a cell binds another ClusterRole", () => {
    const bindingsTo = (objects: readonly checks.K8sObject[], name: string) => tenantBindings(objects).filter((b) => b.roleRef?.kind === "ClusterRole" && b.roleRef.name === name);
    // The viewers' ClusterRole gone from the platform stack: every cell's binding of it binds nothing declared.
    const lost = union().objects;
    lost.splice(lost.findIndex((o) => o.kind === "ClusterRole" && o.metadata.name === "tenancy-tenant-viewer"), 1);
    const viewers = bindingsTo(lost, "tenancy-tenant-viewer");
    expect(viewers.length).toBeGreaterThan(0);
    const unbound = checks.checkClusterRbac(lost);
    expect(unbound.map((v) => v.urn).sort()).toEqual(viewers.map((b) => b.urn).sort());
    expect(unbound.every((v) => v.message.includes("binds ClusterRole tenancy-tenant-viewer") && v.message.includes("which this stack does not declare"))).toBe(true);

    // The admins' ClusterRole widened in the platform stack: the allow-list refuses it, and no cell's quota bounds the new kind.
    const widened = union().objects;
    const admin = widened.find((o) => o.kind === "ClusterRole" && o.metadata.name === "tenancy-tenant-admin")!;
    expect(admin.urn.startsWith("platform:")).toBe(true);
    admin.rules = [...(admin.rules ?? []), { apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["create"] }];
    const allowList = checks.checkTenantRoles(widened);
    expect(allowList.map((v) => v.urn)).toEqual([admin.urn]);
    expect(allowList[0]!.message).toContain("may create rolebindings.rbac.authorization.k8s.io");
    const admins = new Set(bindingsTo(widened, "tenancy-tenant-admin").map((b) => b.metadata.namespace));
    const unquoted = checks.checkQuotaKeys(widened).filter((v) => v.message.includes("count/rolebindings.rbac.authorization.k8s.io"));
    expect(unquoted).toHaveLength(admins.size);
    expect(unquoted.every((v) => v.urn.startsWith("cells/"))).toBe(true);

    // A cell's RoleBinding to the built-in admin: refused from the cell's side.
    const cellB = objectsOf(fleet.stackDirs.find((d) => d.endsWith(path.join("cells", "b")))!).objects;
    const rebound = bindingsTo(cellB, "tenancy-tenant-admin")[0]!;
    rebound.roleRef = { ...rebound.roleRef!, name: "admin" };
    const refused = checks.checkClusterRbac(cellB, { clusterRolesDeclaredElsewhere: true });
    expect(refused.map((v) => v.urn)).toEqual([rebound.urn]);
    expect(refused[0]!.message).toContain("not one of the platform stack's access levels");
    console.log(
      `cells access, broken: viewers' ClusterRole removed → ${unbound.length} cell RoleBindings refused; admins' widened → ${allowList.length} allow-list violation and ${unquoted.length} namespaces without a quota on the new kind; a cell binding ClusterRole admin → ${refused.length}`,
    );
  });
});
