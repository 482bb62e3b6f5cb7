/**
 * Every policy of the pack (policy/policies.ts), each with passing and failing inputs, through the
 * real Policy objects' validateResource / validateStack as the engine calls them
 * (test/support/policy-harness.ts: wire form, secrets unwrapped, unknown-checking proxy). The
 * pack as a whole and the checks' helpers, which need no fixture, are test/unit/policy/.
 *
 * The fixture is a small hand-written stack shaped like the program's output: a platform namespace
 * and tenants `a` (root + organization `x`) and `a-b` — whose namespace `tenant-a-b` shares the
 * prefix `tenant-a-` with tenant `a`'s, so nothing may be decided by name prefixes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { Policy } from "@pulumi/policy";
import * as checks from "../../policy/checks";
import {
  networkPolicyNoCrossTenantPeers,
  networkPolicyNoEmptyNamespaceSelector,
  noClusterRbacForTenants,
  natsUserInTenantAccount,
  natsUserPermissionsWithinTenant,
  policies,
  signingKeysInPlatformNamespace,
  signingKeysInPlatformNamespaceStack,
  tenantNamespaceDefaultDeny,
  tenantNamespacePodSecurity,
  tenantNamespaceQuotaAndLimits,
  tenantNamespaceQuotaKeys,
  tenantRolesAllowList,
  tenantSecretsInTenantNamespaces,
} from "../../policy/policies";
import { accountName } from "../../model/names";
import { UNLIMITED_NO_JETSTREAM, accountJwt, operatorJwt, userJwt, type Permissions } from "../../lib/nats/claims";
import { credsFile } from "../../lib/nats/creds";
import { decodeJwt } from "../../lib/nats/jwt";
import { hubConfigFragment } from "../../lib/nats/hub-config";
import { nkeyFromRaw, publicOf, seedOf } from "../../lib/nats/nkeys";
import { openssl } from "../support/openssl";
import { tempDir } from "../support/rendered";
import {
  UNKNOWN_STRING,
  UnknownValueError,
  asApiServerSecret,
  cloneStack,
  k8s,
  runPolicy,
  secret,
  urnOf,
  type Reported,
  type StackResource,
} from "../support/policy-harness";

// ---------------------------------------------------------------------------------------------
// Fixture
// ---------------------------------------------------------------------------------------------

const T = "tenancy.serviceradar.io/tenant";
const PSA = { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "restricted" };
const byName = (...names: string[]) =>
  names.length === 1 ? { matchLabels: { "kubernetes.io/metadata.name": names[0] } } : { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: names }] };
const HUB_PODS = { "app.kubernetes.io/name": "nats" };

const namespace = (name: string, labels: Record<string, string>) => k8s("v1", "Namespace", { metadata: { name, labels } });
const networkPolicy = (ns: string, name: string, spec: Record<string, unknown>) => k8s("networking.k8s.io/v1", "NetworkPolicy", { metadata: { name, namespace: ns }, spec });

/** The policy the program gives every tenant namespace (plan/network.ts): isolation, with its peers, DNS (and here the hub). */
function tenantPolicies(ns: string, peers: string[]): StackResource[] {
  const allPeers = [{ podSelector: {} }, ...(peers.length ? [{ namespaceSelector: byName(...peers) }] : [])];
  return [
    networkPolicy(ns, "tenant-isolation", {
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: allPeers }],
      egress: [
        { to: allPeers },
        { to: [{ namespaceSelector: byName("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }], ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] },
        { to: [{ namespaceSelector: byName("platform"), podSelector: { matchLabels: HUB_PODS } }], ports: [{ protocol: "TCP", port: 4222 }, { protocol: "TCP", port: 7422 }] },
      ],
    }),
  ];
}

function quotaAndLimits(ns: string): StackResource[] {
  return [
    k8s("v1", "ResourceQuota", { metadata: { name: "tenant-quota", namespace: ns }, spec: { hard: { pods: "10", "limits.cpu": "2" } } }),
    k8s("v1", "LimitRange", { metadata: { name: "tenant-limits", namespace: ns }, spec: { limits: [{ type: "Container", default: { cpu: "500m" }, defaultRequest: { cpu: "100m" }, max: { cpu: "1" } }] } }),
  ];
}

function roleBinding(ns: string, tenant: string, groups: string[]): StackResource[] {
  const metadata = { name: "tenant-admin", namespace: ns, labels: { [T]: tenant } };
  return [
    k8s("rbac.authorization.k8s.io/v1", "Role", { metadata, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }] }),
    k8s("rbac.authorization.k8s.io/v1", "RoleBinding", {
      metadata,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "tenant-admin" },
      subjects: groups.map((name) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name })),
    }),
  ];
}

const labels = (tenant: string, component: string, extra: Record<string, string> = {}) => ({ [T]: tenant, "app.kubernetes.io/component": component, ...extra });
const tlsSecret = (ns: string, name: string, l: Record<string, string>, values: Record<string, string>) =>
  k8s("v1", "Secret", { metadata: { name, namespace: ns, labels: l }, type: "kubernetes.io/tls", stringData: secret(values) });
const credsSecret = (ns: string, name: string, tenant: string, user: string, creds: string) =>
  k8s("v1", "Secret", { metadata: { name, namespace: ns, labels: labels(tenant, "nats-credentials", { "tenancy.serviceradar.io/nats-user": user }) }, type: "Opaque", stringData: { "nats.creds": secret(creds) } });

interface Pki {
  caCert: string;
  caKey: string;
  leafCert: string;
  leafKey: string;
}

/** A CA and a certificate it signed, by openssl (real X.509, real keys). */
function makePki(): Pki {
  const dir = tempDir("policy-pki-");
  const f = (n: string) => path.join(dir, n);
  const run = (args: string[]) => {
    const r = openssl(args);
    if (!r.ok) throw new Error(r.out);
  };
  run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f("ca.key"), "-out", f("ca.crt"), "-days", "30", "-subj", "/CN=a tenant CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f("leaf.key"), "-out", f("leaf.csr"), "-subj", "/CN=flowgger.hq.a.serviceradar"]);
  fs.writeFileSync(f("ext"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n");
  run(["x509", "-req", "-in", f("leaf.csr"), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("leaf.crt"), "-days", "10", "-extfile", f("ext")]);
  const read = (n: string) => fs.readFileSync(f(n), "utf8");
  return { caCert: read("ca.crt"), caKey: read("ca.key"), leafCert: read("leaf.crt"), leafKey: read("leaf.key") };
}

const key = (kind: "operator" | "account" | "user") => nkeyFromRaw(kind, randomBytes(32));
const IAT = 1767225600;
/** The Pulumi type of the program's account pushes (dynamic provider resources). */
const ACCOUNT_PUSH_TYPE = "pulumi-nodejs:dynamic:Resource";
const findPush = (stack: StackResource[], tenant: string) => {
  const r = stack.find((x) => x.type === ACCOUNT_PUSH_TYPE && x.name === `${tenant}/nats-account-push`);
  if (!r) throw new Error(`fixture has no account push for ${tenant}`);
  return r;
};

interface Nats {
  operator: ReturnType<typeof key>;
  accounts: Record<string, ReturnType<typeof key>>;
  /** The hub's accounts.conf: the operator and the system account, no tenant (they are pushed). */
  hubConfig: string;
  /** Each tenant's account JWT. */
  accountJwts: Record<string, string>;
  /** A tenant's account push, as components/account-push.ts declares it (a dynamic resource). */
  push(tenant: string): StackResource;
  user(tenant: string, id: string, permissions: Permissions, opts?: { account?: ReturnType<typeof key>; name?: string }): string;
}

function makeNats(tenants: string[], accountOptions: Record<string, { exports?: Parameters<typeof accountJwt>[0]["exports"] }> = {}): Nats {
  const operator = key("operator");
  const system = key("account");
  const accounts = Object.fromEntries(tenants.map((t) => [t, key("account")]));
  const acct = (kp: ReturnType<typeof key>, name: string, extra = {}) => ({
    pub: publicOf(kp),
    name,
    jwt: accountJwt({ account: publicOf(kp), operator, name, limits: UNLIMITED_NO_JETSTREAM, issuedAt: IAT, ...extra }),
  });
  const hubConfig = hubConfigFragment({
    operatorJwt: operatorJwt({ operator, name: "test", systemAccount: publicOf(system), issuedAt: IAT }),
    systemAccountPub: publicOf(system),
    accounts: [acct(system, "SYS")],
  });
  const tenantAccounts = Object.fromEntries(tenants.map((t) => [t, acct(accounts[t], accountName(t), accountOptions[t] ?? {})]));
  const pusherSeed = seedOf(key("account"));
  return {
    operator,
    accounts,
    hubConfig,
    accountJwts: Object.fromEntries(tenants.map((t) => [t, tenantAccounts[t].jwt])),
    push(tenant) {
      const a = tenantAccounts[tenant];
      const name = `${tenant}/nats-account-push`;
      // Pushed before a deletion: every user revoked.
      const disablingJwt = accountJwt({ account: a.pub, operator, name: a.name, limits: UNLIMITED_NO_JETSTREAM, issuedAt: IAT + 1, revocations: { "*": IAT + 1 } });
      return {
        type: ACCOUNT_PUSH_TYPE,
        name,
        urn: urnOf(ACCOUNT_PUSH_TYPE, name),
        props: {
          account: a.pub,
          name: a.name,
          jwt: a.jwt,
          claims: decodeJwt(a.jwt).claims,
          disablingJwt,
          target: { servers: ["tls://nats.platform.svc:4222"], expectedResolvers: 3, timeoutMs: 10_000 },
          pusher: secret({ systemAccount: publicOf(system), signingKeySeed: pusherSeed }),
        },
      };
    },
    user(tenant, id, permissions, opts = {}) {
      const u = key("user");
      const jwt = userJwt({ user: publicOf(u), account: opts.account ?? accounts[tenant], name: opts.name ?? `${tenant}-${id}`, permissions, issuedAt: IAT });
      return credsFile(jwt, seedOf(u));
    },
  };
}

const COLLECTOR: Permissions = { pub: { allow: ["a.>"] }, sub: { allow: ["_INBOX.>"] } };
const permsFor = (slug: string) => ({
  collector: { pub: { allow: [`${slug}.>`] }, sub: { allow: ["_INBOX.>"] } } as Permissions,
  leaf: { pub: { allow: [`${slug}.>`, "_INBOX.>"] }, sub: { allow: [`${slug}.>`, "_INBOX.>"] } } as Permissions,
  reader: { pub: { allow: ["$JS.API.INFO", `$JS.API.CONSUMER.*.${slug}-events`, `$JS.ACK.${slug}-events.>`, `$JS.FC.${slug}-events.>`], deny: [`${slug}.>`] }, sub: { allow: [`${slug}.>`, "_INBOX.>"] } } as Permissions,
  manager: { pub: { allow: ["$JS.API.>"], deny: [`${slug}.>`] }, sub: { allow: ["_INBOX.>"] } } as Permissions,
});

let pki: Pki;
let nats: Nats;
let good: StackResource[];

function buildStack(): StackResource[] {
  const a = permsFor("a");
  const ab = permsFor("a-b");
  return [
    namespace("platform", { "app.kubernetes.io/managed-by": "pulumi", "pod-security.kubernetes.io/enforce": "baseline" }),
    namespace("tenant-a", { [T]: "a", "tenancy.serviceradar.io/namespace-role": "root", ...PSA }),
    namespace("tenant-a-org-x", { [T]: "a", "tenancy.serviceradar.io/namespace-role": "org", ...PSA }),
    namespace("tenant-a-b", { [T]: "a-b", "tenancy.serviceradar.io/namespace-role": "root", ...PSA }),
    networkPolicy("platform", "nats-hub-ingress", {
      podSelector: { matchLabels: HUB_PODS },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: {} }] }, { from: [{ namespaceSelector: { matchExpressions: [{ key: T, operator: "Exists" }] } }], ports: [{ protocol: "TCP", port: 4222 }] }],
    }),
    ...tenantPolicies("tenant-a", ["tenant-a-org-x"]),
    ...tenantPolicies("tenant-a-org-x", ["tenant-a"]),
    ...tenantPolicies("tenant-a-b", []),
    ...quotaAndLimits("tenant-a"),
    ...quotaAndLimits("tenant-a-org-x"),
    ...quotaAndLimits("tenant-a-b"),
    ...roleBinding("tenant-a", "a", ["a:admins"]),
    ...roleBinding("tenant-a-org-x", "a", ["a:admins", "a:x-leads"]),
    ...roleBinding("tenant-a-b", "a-b", ["a-b:admins"]),
    k8s("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", {
      metadata: { name: "platform-sre" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "platform:sre" }, { kind: "ServiceAccount", name: "nack", namespace: "platform" }],
    }),
    // PKI: the tenant CA's key in the platform namespace only; a component's certificate in the tenant's.
    tlsSecret("platform", "tenant-ca-a", labels("a", "tenant-ca"), { "tls.crt": pki.caCert, "tls.key": pki.caKey, "ca.crt": pki.caCert }),
    tlsSecret("tenant-a", "flowgger-hq-tls", labels("a", "flowgger"), { "tls.crt": pki.leafCert + pki.caCert, "tls.key": pki.leafKey, "ca.crt": pki.caCert }),
    k8s("v1", "ConfigMap", { metadata: { name: "tenant-ca", namespace: "tenant-a", labels: { [T]: "a" } }, data: { "ca.crt": pki.caCert } }),
    // NATS: the hub's configuration (no tenant account), each tenant's account push, and each tenant's users where they are used.
    k8s("v1", "ConfigMap", { metadata: { name: "nats-hub-accounts", namespace: "platform" }, data: { "accounts.conf": nats.hubConfig } }),
    nats.push("a"),
    nats.push("a-b"),
    credsSecret("tenant-a", "flowgger-hq-nats-creds", "a", "collector", nats.user("a", "collector-flowgger-hq", a.collector)),
    credsSecret("tenant-a", "nats-leaf-creds", "a", "leaf", nats.user("a", "leaf", a.leaf)),
    credsSecret("platform", "nats-a-reader-creds", "a", "reader", nats.user("a", "reader", a.reader)),
    credsSecret("platform", "nats-a-manager-creds", "a", "manager", nats.user("a", "manager", a.manager)),
    credsSecret("tenant-a-b", "trapd-campus-nats-creds", "a-b", "collector", nats.user("a-b", "collector-trapd-campus", ab.collector)),
    k8s("v1", "Secret", { metadata: { name: "onboarding-trapd-campus", namespace: "tenant-a-b", labels: labels("a-b", "onboarding-bundle") }, stringData: { "bundle.tar.gz.b64": "H4sI" } }),
    // PostgreSQL: tenant a's role, its schema's grants, PUBLIC's revoke.
    postgres("role:Role", "a/postgres-role", { name: "tenant_a", login: true, superuser: false, createDatabase: false, createRole: false, replication: false, bypassRowLevelSecurity: false }),
    postgres("grant:Grant", "a/grant-connect", { database: "platform", role: "tenant_a", objectType: "database", privileges: ["CONNECT"] }),
    postgres("grant:Grant", "a/grant-usage", { database: "platform", role: "tenant_a", objectType: "schema", schema: "tenant_a", privileges: ["USAGE"] }),
    postgres("grant:Grant", "a/grant-public-schema", { database: "platform", role: "public", objectType: "schema", schema: "tenant_a", privileges: [] }),
    postgres("defaultPrivileges:DefaultPrivileges", "a/default-tables", { database: "platform", owner: "serviceradar", role: "tenant_a", schema: "tenant_a", objectType: "table", privileges: ["SELECT"] }),
  ];
}

/** A @pulumi/postgresql resource of the hand-written stack. */
function postgres(type: string, name: string, props: Record<string, any>): StackResource {
  const full = `postgresql:index/${type}`;
  return { type: full, name, urn: `urn:pulumi:test::tenancy::${full}::${name}`, props };
}

beforeAll(() => {
  pki = makePki();
  nats = makeNats(["a", "a-b"]);
  good = buildStack();
});

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const find = (stack: StackResource[], kind: string, ns: string | undefined, name: string) => {
  const r = stack.find((x) => x.props.kind === kind && x.props.metadata?.name === name && x.props.metadata?.namespace === ns);
  if (!r) throw new Error(`fixture has no ${kind} ${ns}/${name}`);
  return r;
};

/** The stack with `edit` applied to a copy. */
function mutate(edit: (stack: StackResource[]) => void): StackResource[] {
  const copy = cloneStack(good);
  edit(copy);
  return copy;
}

async function violations(policy: Policy, stack: StackResource[], config: Record<string, unknown> = {}): Promise<Reported[]> {
  return (await runPolicy(policy, stack, config)).violations;
}

async function expectClean(policy: Policy, stack: StackResource[] = good, config: Record<string, unknown> = {}) {
  const run = await runPolicy(policy, stack, config);
  expect(run.violations.map((v) => v.message)).toEqual([]);
  // It looked at something: a policy that skips everything would pass every stack.
  expect(Object.values(run.inspected).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  return run;
}

/** Exactly one violation per expectation, each naming the resource and the rule (substrings), on the given resource. */
async function expectViolations(policy: Policy, stack: StackResource[], expected: { urnOf: StackResource; says: string[] }[], config: Record<string, unknown> = {}) {
  const found = await violations(policy, stack, config);
  expect(found, JSON.stringify(found.map((f) => f.message), null, 2)).toHaveLength(expected.length);
  for (const e of expected) {
    const hit = found.find((f) => f.urn === e.urnOf.urn && e.says.every((s) => f.message.includes(s)));
    expect(hit, `no violation on ${e.urnOf.urn} saying ${JSON.stringify(e.says)} among ${JSON.stringify(found.map((f) => f.message), null, 2)}`).toBeDefined();
  }
}

const encodePart = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

// ---------------------------------------------------------------------------------------------

describe("the pack", () => {
  // The quota-key, tenant-Role and admission-policy policies need a whole stack's quotas, Roles and
  // admission objects, which this hand-made fixture does not spell out: they are proven on the
  // rendered stack, clean and broken (policy-rendered-stack.test.ts).
  const WHOLE_STACK = ["tenant-roles-allow-list", "tenant-namespace-quota-keys", "tenant-admission-policies"];
  it("the fixture passes every policy of its concerns, and every one inspects it", async () => {
    for (const p of policies.filter((x) => !WHOLE_STACK.includes(x.name))) await expectClean(p);
    expect(policies.length - WHOLE_STACK.length).toBe(12);
  });
});

describe("postgres-tenant-roles-and-grants", () => {
  const policy = policies.find((p) => p.name === "postgres-tenant-roles-and-grants")!;
  const byName = (stack: StackResource[], name: string) => stack.find((r) => r.name === name)!;

  it("passes a tenant role without elevated attributes and grants within its own schema", async () => {
    const run = await expectClean(policy);
    expect(run.inspected).toEqual({ Role: 1, Grant: 3, DefaultPrivileges: 1 });
  });

  it("refuses a superuser role, a grant to PUBLIC, and default privileges on another tenant's schema for its role", async () => {
    const stack = mutate((s) => {
      byName(s, "a/postgres-role").props.superuser = true;
      byName(s, "a/grant-public-schema").props.privileges = ["USAGE"];
      byName(s, "a/default-tables").props.role = "tenant_a_b";
    });
    await expectViolations(policy, stack, [
      { urnOf: byName(stack, "a/postgres-role"), says: ['role "tenant_a" has superuser'] },
      { urnOf: byName(stack, "a/grant-public-schema"), says: ["USAGE", 'schema "tenant_a"', "to PUBLIC"] },
      { urnOf: byName(stack, "a/default-tables"), says: ['tenant "tenant_a"\'s, to tenant role "tenant_a_b"'] },
    ]);
  });
});

describe("tenant-namespace-pod-security", () => {
  it("passes restricted tenant namespaces and leaves non-tenant namespaces alone", async () => {
    const run = await expectClean(tenantNamespacePodSecurity);
    expect(run.inspected).toEqual({ Namespace: 4, tenantNamespaces: 3 });
  });

  it("refuses a tenant namespace whose enforce label is baseline or whose audit label is missing", async () => {
    const stack = mutate((s) => {
      const ns = find(s, "Namespace", undefined, "tenant-a-b");
      ns.props.metadata.labels["pod-security.kubernetes.io/enforce"] = "baseline";
      delete ns.props.metadata.labels["pod-security.kubernetes.io/audit"];
    });
    const ns = find(stack, "Namespace", undefined, "tenant-a-b");
    await expectViolations(tenantNamespacePodSecurity, stack, [
      { urnOf: ns, says: ["Namespace tenant-a-b", 'tenant "a-b"', 'pod-security.kubernetes.io/enforce is "baseline"', 'Pod Security "restricted"'] },
      { urnOf: ns, says: ["Namespace tenant-a-b", "pod-security.kubernetes.io/audit is missing"] },
    ]);
  });
});

describe("tenant-namespace-default-deny", () => {
  it("passes when every tenant namespace has its isolation policy", async () => {
    const run = await expectClean(tenantNamespaceDefaultDeny);
    expect(run.inspected).toMatchObject({ tenantNamespaces: 3, NetworkPolicy: 4 });
  });

  it("refuses a tenant namespace without tenant-isolation (the one of the same-prefix tenant too)", async () => {
    const stack = mutate((s) => s.splice(s.indexOf(find(s, "NetworkPolicy", "tenant-a-b", "tenant-isolation")), 1));
    await expectViolations(tenantNamespaceDefaultDeny, stack, [
      { urnOf: find(stack, "Namespace", undefined, "tenant-a-b"), says: ["Namespace tenant-a-b", 'tenant "a-b"', 'has no NetworkPolicy "tenant-isolation"', "isolate all its pods for ingress and egress"] },
    ]);
  });

  it("refuses an isolation policy that selects some pods, covers one direction or has a rule without peers", async () => {
    const stack = mutate((s) => {
      find(s, "NetworkPolicy", "tenant-a", "tenant-isolation").props.spec = { podSelector: { matchLabels: { app: "x" } }, policyTypes: ["Ingress"] };
      find(s, "NetworkPolicy", "tenant-a-org-x", "tenant-isolation").props.spec = { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{}] };
    });
    await expectViolations(tenantNamespaceDefaultDeny, stack, [
      { urnOf: find(stack, "NetworkPolicy", "tenant-a", "tenant-isolation"), says: ["NetworkPolicy tenant-a/tenant-isolation does not isolate its namespace", "podSelector must be {}", "policyTypes must be [Ingress, Egress]"] },
      { urnOf: find(stack, "NetworkPolicy", "tenant-a-org-x", "tenant-isolation"), says: ["NetworkPolicy tenant-a-org-x/tenant-isolation", "ingress[0] has no from peers"] },
    ]);
  });

  it("refuses an isolation policy admitting addresses, another tenant's namespace, or namespaces by other labels", async () => {
    const stack = mutate((s) => {
      const ingress = find(s, "NetworkPolicy", "tenant-a", "tenant-isolation").props.spec.ingress;
      ingress[0].from.push({ ipBlock: { cidr: "0.0.0.0/0" } }); // from[2]
      ingress[0].from.push({ namespaceSelector: byName("tenant-a-org-x", "tenant-a-b") }); // from[3]
      ingress[0].from.push({ namespaceSelector: { matchLabels: { [T]: "a" } } }); // from[4]
    });
    const np = find(stack, "NetworkPolicy", "tenant-a", "tenant-isolation");
    await expectViolations(tenantNamespaceDefaultDeny, stack, [
      { urnOf: np, says: ["ingress[0].from[2] admits addresses", 'ingress[0].from[3] admits namespace(s) tenant-a-b, not of tenant "a"', "ingress[0].from[4] does not name its namespaces", "admit into all of them only pods of its own tenant"] },
    ]);
  });
});

describe("network-policy-no-empty-namespace-selector", () => {
  it("passes named selectors (and the hub's tenant-label selector)", async () => {
    const run = await expectClean(networkPolicyNoEmptyNamespaceSelector);
    expect(run.inspected.NetworkPolicy).toBe(4);
  });

  it("refuses namespaceSelector {} and { matchLabels: {} } in any namespace, the platform's included", async () => {
    const stack = mutate((s) => {
      find(s, "NetworkPolicy", "tenant-a", "tenant-isolation").props.spec.ingress[0].from.push({ namespaceSelector: {} });
      find(s, "NetworkPolicy", "platform", "nats-hub-ingress").props.spec.ingress[1].from[0] = { namespaceSelector: { matchLabels: {} }, podSelector: {} };
    });
    await expectViolations(networkPolicyNoEmptyNamespaceSelector, stack, [
      { urnOf: find(stack, "NetworkPolicy", "tenant-a", "tenant-isolation"), says: ["NetworkPolicy tenant-a/tenant-isolation", "ingress[0].from[2]", "empty namespaceSelector", "selects every namespace"] },
      { urnOf: find(stack, "NetworkPolicy", "platform", "nats-hub-ingress"), says: ["NetworkPolicy platform/nats-hub-ingress", "ingress[1].from[0]", "empty namespaceSelector"] },
    ]);
  });
});

describe("network-policy-no-cross-tenant-peers", () => {
  const allowTenant = (s: StackResource[]) => find(s, "NetworkPolicy", "tenant-a", "tenant-isolation");

  it("passes own-tenant peers, DNS and hub egress, ipBlocks, and an own-tenant label selector", async () => {
    const stack = mutate((s) => {
      allowTenant(s).props.spec.ingress.push({ from: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }], ports: [{ protocol: "UDP", port: 514 }] });
      allowTenant(s).props.spec.egress[0].to.push({ namespaceSelector: { matchLabels: { [T]: "a", "tenancy.serviceradar.io/namespace-role": "org" } } });
    });
    const run = await expectClean(networkPolicyNoCrossTenantPeers, stack);
    expect(run.inspected).toMatchObject({ tenantNetworkPolicies: 3, namespaceSelectorPeers: 11 });
  });

  it("refuses a peer naming the namespace of tenant a-b from tenant a (same name prefix, other tenant)", async () => {
    const stack = mutate((s) => (allowTenant(s).props.spec.egress[0].to[1] = { namespaceSelector: byName("tenant-a-org-x", "tenant-a-b") }));
    await expectViolations(networkPolicyNoCrossTenantPeers, stack, [
      { urnOf: allowTenant(stack), says: ["NetworkPolicy tenant-a/tenant-isolation", "egress[0].to[1]", 'selects namespace tenant-a-b of tenant "a-b"', 'only namespaces of its own tenant ("a")'] },
    ]);
  });

  it("refuses selecting by another tenant's label, by labels anyone may carry, by NotIn, or everything", async () => {
    const stack = mutate((s) => {
      const spec = allowTenant(s).props.spec;
      spec.ingress[0].from.push({ namespaceSelector: { matchLabels: { [T]: "a-b" } } }); // from[2]
      spec.ingress[0].from.push({ namespaceSelector: { matchLabels: { team: "blue" } } }); // from[3]: matches nothing in the stack, but anything outside it
      spec.ingress[0].from.push({ namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["tenant-a"] }] } }); // from[4]
      spec.ingress[0].from.push({ namespaceSelector: {} }); // from[5]
    });
    const np = allowTenant(stack);
    const found = await violations(networkPolicyNoCrossTenantPeers, stack);
    expect(found.map((f) => f.urn)).toEqual([np.urn, np.urn, np.urn, np.urn]);
    const messages = found.map((f) => f.message);
    expect(messages[0]).toContain("ingress[0].from[2]");
    expect(messages[0]).toContain('selects namespace tenant-a-b of tenant "a-b"');
    expect(messages[1]).toContain("ingress[0].from[3]");
    expect(messages[1]).toContain("selects namespaces by labels any namespace may carry");
    expect(messages[2]).toContain("ingress[0].from[4]");
    expect(messages[2]).toContain('selects namespace tenant-a-b of tenant "a-b"');
    expect(messages[2]).toContain("non-tenant namespace(s) platform");
    expect(messages[3]).toContain("ingress[0].from[5]");
    expect(messages[3]).toContain("empty namespaceSelector selects every namespace");
  });

  it("refuses non-tenant namespaces beyond egress to selected pods on listed ports", async () => {
    const stack = mutate((s) => {
      const egress = find(s, "NetworkPolicy", "tenant-a-b", "tenant-isolation").props.spec.egress;
      delete egress[2].ports; // hub egress on every port
      delete egress[1].to[0].podSelector; // every pod of kube-system
      allowTenant(s).props.spec.ingress[0].from.push({ namespaceSelector: byName("platform"), podSelector: { matchLabels: HUB_PODS } }); // ingress from the platform
    });
    const egress = find(stack, "NetworkPolicy", "tenant-a-b", "tenant-isolation");
    await expectViolations(networkPolicyNoCrossTenantPeers, stack, [
      { urnOf: egress, says: ["NetworkPolicy tenant-a-b/tenant-isolation", "egress[1].to[0]", "non-tenant namespace(s) kube-system", "without a podSelector"] },
      { urnOf: egress, says: ["egress[2].to[0]", "non-tenant namespace(s) platform", "on every port"] },
      { urnOf: allowTenant(stack), says: ["ingress[0].from[2]", "non-tenant namespace(s) platform", "this is ingress"] },
    ]);
  });

  it("refuses rules without peers (they admit every tenant's pods) and names outside the stack that look like tenants'", async () => {
    const stack = mutate((s) => {
      const spec = find(s, "NetworkPolicy", "tenant-a-org-x", "tenant-isolation").props.spec;
      spec.ingress.push({ ports: [{ protocol: "TCP", port: 8080 }] });
      spec.egress.push({ to: [{ namespaceSelector: byName("tenant-other-shard"), podSelector: { matchLabels: { app: "x" } } }], ports: [{ port: 443 }] });
    });
    const np = find(stack, "NetworkPolicy", "tenant-a-org-x", "tenant-isolation");
    await expectViolations(networkPolicyNoCrossTenantPeers, stack, [
      { urnOf: np, says: ["NetworkPolicy tenant-a-org-x/tenant-isolation", "ingress[1] has no from peers", "every other tenant's pods included"] },
      { urnOf: np, says: ["egress[3].to[0]", "tenant-other-shard, which this stack does not declare"] },
    ]);
  });
});

describe("tenant-namespace-quota-and-limits", () => {
  it("passes when every tenant namespace has both", async () => {
    const run = await expectClean(tenantNamespaceQuotaAndLimits);
    expect(run.inspected).toMatchObject({ tenantNamespaces: 3, ResourceQuota: 3, LimitRange: 3 });
  });

  it("refuses a missing LimitRange, a scoped quota and a LimitRange without Container limits", async () => {
    const stack = mutate((s) => {
      s.splice(s.indexOf(find(s, "LimitRange", "tenant-a-b", "tenant-limits")), 1);
      find(s, "ResourceQuota", "tenant-a", "tenant-quota").props.spec.scopes = ["BestEffort"];
      find(s, "LimitRange", "tenant-a-org-x", "tenant-limits").props.spec.limits[0].type = "Pod";
    });
    await expectViolations(tenantNamespaceQuotaAndLimits, stack, [
      { urnOf: find(stack, "Namespace", undefined, "tenant-a-b"), says: ["Namespace tenant-a-b", 'tenant "a-b"', "no LimitRange with Container limits"] },
      { urnOf: find(stack, "Namespace", undefined, "tenant-a"), says: ["Namespace tenant-a", "no ResourceQuota with hard limits for every pod", "ResourceQuota tenant-a/tenant-quota is empty or scoped", "bounded by a quota"] },
      { urnOf: find(stack, "Namespace", undefined, "tenant-a-org-x"), says: ["Namespace tenant-a-org-x", "LimitRange tenant-a-org-x/tenant-limits has none"] },
    ]);
  });
});

describe("no-cluster-rbac-for-tenants", () => {
  const crb = (name: string, subjects: Record<string, string>[], extraLabels: Record<string, string> = {}) =>
    k8s("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", { metadata: { name, labels: extraLabels }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" }, subjects });

  it("passes the platform's own cluster bindings", async () => {
    const run = await expectClean(noClusterRbacForTenants);
    expect(run.inspected).toMatchObject({ tenantRoleBindings: 3, tenantGroups: 3, ClusterRoleBinding: 1 });
  });

  it("refuses cluster bindings of a tenant's group, its service accounts, everyone, or carrying a tenant label", async () => {
    const bindings = [
      crb("noc-view", [{ kind: "Group", name: "a:x-leads" }]),
      crb("sa-view", [{ kind: "ServiceAccount", name: "default", namespace: "tenant-a-b" }]),
      crb("all-sa-view", [{ kind: "Group", name: "system:serviceaccounts:tenant-a-org-x" }]),
      crb("everyone-view", [{ kind: "Group", name: "system:authenticated" }]),
      crb("labelled", [{ kind: "Group", name: "platform:sre" }], { [T]: "a" }),
    ];
    const role = k8s("rbac.authorization.k8s.io/v1", "ClusterRole", { metadata: { name: "a-extra", labels: { [T]: "a" } }, rules: [] });
    const stack = mutate((s) => s.push(...bindings, role));
    await expectViolations(noClusterRbacForTenants, stack, [
      { urnOf: bindings[0], says: ["ClusterRoleBinding noc-view", "subjects[0] (Group a:x-leads)", 'bound by tenant "a"', "no cluster-scoped RBAC may grant anything to a tenant"] },
      { urnOf: bindings[1], says: ["ServiceAccount tenant-a-b/default", 'service account of tenant "a-b"'] },
      { urnOf: bindings[2], says: ["system:serviceaccounts:tenant-a-org-x", 'service accounts of tenant "a"'] },
      { urnOf: bindings[3], says: ["system:authenticated", "every tenant's identities"] },
      { urnOf: bindings[4], says: ["ClusterRoleBinding labelled", `${T}="a"`] },
      { urnOf: role, says: ["ClusterRole a-extra", `${T}="a"`] },
    ]);
  });

  it("refuses a tenant RoleBinding to a ClusterRole the stack does not declare (the built-in admin may write NetworkPolicies)", async () => {
    const stack = mutate((s) => (find(s, "RoleBinding", "tenant-a", "tenant-admin").props.roleRef = { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" }));
    await expectViolations(noClusterRbacForTenants, stack, [
      { urnOf: find(stack, "RoleBinding", "tenant-a", "tenant-admin"), says: ["RoleBinding tenant-a/tenant-admin binds ClusterRole admin", 'tenant "a"', "which this stack does not declare"] },
    ]);
  });

  /** The platform's shared access level, bound by tenant a's and a-b's RoleBindings. */
  const shared = (extra: Record<string, unknown> = {}, labels: Record<string, string> = {}) =>
    k8s("rbac.authorization.k8s.io/v1", "ClusterRole", { metadata: { name: "tenancy-tenant-admin", labels }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }], ...extra });
  const bindShared = (s: StackResource[]) => {
    for (const ns of ["tenant-a", "tenant-a-b"]) find(s, "RoleBinding", ns, "tenant-admin").props.roleRef = { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "tenancy-tenant-admin" };
  };

  it("passes tenant RoleBindings to a ClusterRole the stack declares, without aggregation, that no ClusterRoleBinding binds", async () => {
    await expectClean(noClusterRbacForTenants, mutate((s) => (bindShared(s), s.push(shared()))));
  });

  it("refuses such a ClusterRole with an aggregationRule, feeding an aggregated role, or bound cluster-wide", async () => {
    const role = shared({ aggregationRule: { clusterRoleSelectors: [{ matchLabels: { extra: "true" } }] } }, { "rbac.authorization.k8s.io/aggregate-to-view": "true" });
    const binding = k8s("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", { metadata: { name: "oops" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "tenancy-tenant-admin" }, subjects: [{ kind: "Group", name: "platform:sre" }] });
    const stack = mutate((s) => (bindShared(s), s.push(role, binding)));
    await expectViolations(noClusterRbacForTenants, stack, [
      { urnOf: role, says: ["ClusterRole tenancy-tenant-admin", 'bound in tenant "a", "a-b"', "has an aggregationRule"] },
      { urnOf: role, says: ["carries rbac.authorization.k8s.io/aggregate-to-view", "aggregated ClusterRole"] },
      { urnOf: binding, says: ["ClusterRoleBinding oops binds ClusterRole tenancy-tenant-admin, which tenant namespaces bind"] },
    ]);
  });
});

describe("no-cluster-rbac-for-tenants with cells: a cell binds the platform stack's access levels, the platform declares them", () => {
  const cellIdentity: StackResource = { type: "tenancy:index:CellIdentity", name: "cell-identity", urn: urnOf("tenancy:index:CellIdentity", "cell-identity"), props: {} };
  const role = (name: string, extra: Record<string, unknown> = {}) =>
    k8s("rbac.authorization.k8s.io/v1", "ClusterRole", { metadata: { name }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }], ...extra });
  const bindTo = (s: StackResource[], ns: string, binding: string, name: string) =>
    (find(s, "RoleBinding", ns, binding).props.roleRef = { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name });
  /** The fixture as a cell's stack: its identity, tenant a's admins bound to one access level, a-b's to the other. */
  const cell = (edit: (s: StackResource[]) => void = () => {}) =>
    mutate((s) => {
      s.push(cellIdentity);
      bindTo(s, "tenant-a", "tenant-admin", "tenancy-tenant-admin");
      bindTo(s, "tenant-a-b", "tenant-admin", "tenancy-tenant-viewer");
      edit(s);
    });

  it("passes a cell's tenant RoleBindings to the platform's two access levels, which the cell does not declare", async () => {
    await expectClean(noClusterRbacForTenants, cell());
    // The same bindings in a stack without an identity bind what that stack does not declare.
    const single = mutate((s) => (bindTo(s, "tenant-a", "tenant-admin", "tenancy-tenant-admin"), bindTo(s, "tenant-a-b", "tenant-admin", "tenancy-tenant-viewer")));
    await expectViolations(noClusterRbacForTenants, single, [
      { urnOf: find(single, "RoleBinding", "tenant-a", "tenant-admin"), says: ["binds ClusterRole tenancy-tenant-admin", "which this stack does not declare"] },
      { urnOf: find(single, "RoleBinding", "tenant-a-b", "tenant-admin"), says: ["binds ClusterRole tenancy-tenant-viewer", "which this stack does not declare"] },
    ]);
  });

  it("refuses in a cell any other ClusterRole — built-in, or the cell's own — and the platform's names declared by the cell, or bound cluster-wide", async () => {
    const own = role("cell-extra");
    const copy = role("tenancy-tenant-admin");
    const binding = k8s("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", { metadata: { name: "oops" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "tenancy-tenant-viewer" }, subjects: [{ kind: "Group", name: "platform:sre" }] });
    const stack = cell((s) => {
      bindTo(s, "tenant-a", "tenant-admin", "admin");
      bindTo(s, "tenant-a-b", "tenant-admin", "cell-extra");
      s.push(own, copy, binding);
    });
    await expectViolations(noClusterRbacForTenants, stack, [
      { urnOf: find(stack, "RoleBinding", "tenant-a", "tenant-admin"), says: ["binds ClusterRole admin", 'tenant "a"', "not one of the platform stack's access levels (tenancy-tenant-admin, tenancy-tenant-viewer)"] },
      { urnOf: find(stack, "RoleBinding", "tenant-a-b", "tenant-admin"), says: ["binds ClusterRole cell-extra", 'tenant "a-b"', "not one of the platform stack's access levels"] },
      { urnOf: copy, says: ["ClusterRole tenancy-tenant-admin is declared in a cell's stack"] },
      { urnOf: binding, says: ["ClusterRoleBinding oops binds ClusterRole tenancy-tenant-viewer, which tenant namespaces bind"] },
    ]);
  });

  it("checks the access levels in the stack that declares them when none of its namespaces binds them (a platform stack of cells)", async () => {
    const platform = mutate((s) => s.push(role("tenancy-tenant-admin"), role("tenancy-tenant-viewer")));
    await expectClean(noClusterRbacForTenants, platform);
    const aggregated = role("tenancy-tenant-viewer", { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { extra: "true" } }] } });
    const binding = k8s("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", { metadata: { name: "oops" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "tenancy-tenant-admin" }, subjects: [{ kind: "Group", name: "platform:sre" }] });
    const broken = mutate((s) => s.push(role("tenancy-tenant-admin"), aggregated, binding));
    await expectViolations(noClusterRbacForTenants, broken, [
      { urnOf: aggregated, says: ["ClusterRole tenancy-tenant-viewer, a tenants' access level", "has an aggregationRule"] },
      { urnOf: binding, says: ["ClusterRoleBinding oops binds ClusterRole tenancy-tenant-admin, which tenant namespaces bind"] },
    ]);
    const wide = mutate((s) => s.push(role("tenancy-tenant-admin", { rules: [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["create"] }] })));
    await expectViolations(tenantRolesAllowList, wide, [
      { urnOf: find(wide, "ClusterRole", undefined, "tenancy-tenant-admin"), says: ["ClusterRole tenancy-tenant-admin (a tenants' access level, bound by cells' tenant namespaces): rules[0] may create rolebindings"] },
    ]);
  });
});

describe("tenant-roles-allow-list and tenant-namespace-quota-keys over ClusterRoles bound in tenant namespaces", () => {
  const bound = (rules: Record<string, unknown>[]) => (s: StackResource[]) => {
    s.push(k8s("rbac.authorization.k8s.io/v1", "ClusterRole", { metadata: { name: "tenancy-tenant-admin" }, rules }));
    find(s, "RoleBinding", "tenant-a-b", "tenant-admin").props.roleRef = { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "tenancy-tenant-admin" };
  };

  it("checks a bound ClusterRole's rules as a Role's: no '*', no escalation, no write on isolation objects", async () => {
    const stack = mutate(bound([{ apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["get", "delete"] }, { apiGroups: ["*"], resources: ["pods"], verbs: ["bind"] }]));
    const role = find(stack, "ClusterRole", undefined, "tenancy-tenant-admin");
    await expectViolations(tenantRolesAllowList, stack, [
      { urnOf: role, says: ['ClusterRole tenancy-tenant-admin (bound in the namespaces of tenant "a-b"): rules[0] may delete networkpolicies.networking.k8s.io'] },
      { urnOf: role, says: ["rules[1].apiGroups has \"*\""] },
      { urnOf: role, says: ['rules[1] grants "bind"'] },
    ]);
  });

  it("requires a quota on every kind a bound ClusterRole lets the tenant create", async () => {
    // The fixture's quotas are minimal (compute keys missing everywhere): compare with the unbound stack.
    const before = (await violations(tenantNamespaceQuotaKeys, mutate(() => undefined))).map((v) => v.message);
    expect(before.some((m) => m.includes("statefulsets"))).toBe(false);
    const stack = mutate(bound([{ apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["create"] }]));
    const after = await violations(tenantNamespaceQuotaKeys, stack);
    const ns = find(stack, "Namespace", undefined, "tenant-a-b");
    expect(after.filter((v) => v.message.includes("count/statefulsets.apps (ClusterRole tenancy-tenant-admin lets it be created)")).map((v) => v.urn)).toEqual([ns.urn]);
  });
});

describe("signing-keys-in-platform-namespace (resource) and -stack", () => {
  it("passes CA keys in the platform namespace and component keys anywhere, in stringData or base64 data", async () => {
    const run = await expectClean(signingKeysInPlatformNamespace);
    expect(run.inspected).toMatchObject({ Secret: 8, withPrivateKey: 2, withCaCertificate: 2 });
    const api = good.map((r) => (r.props.kind === "Secret" ? asApiServerSecret(r) : r));
    await expectClean(signingKeysInPlatformNamespace, api);
    const stackRun = await expectClean(signingKeysInPlatformNamespaceStack, api);
    expect(stackRun.inspected).toMatchObject({ caCertificates: 1, secretsWithPrivateKey: 2 });
  });

  it("refuses the tenant CA's Secret copied into the tenant's namespace, as stringData or as API-server data", async () => {
    for (const shape of ["stringData", "data"] as const) {
      const copy = cloneStack([find(good, "Secret", "platform", "tenant-ca-a")])[0];
      copy.props.metadata.namespace = "tenant-a";
      copy.urn += "-copy";
      const stack = [...good, shape === "data" ? asApiServerSecret(copy) : copy];
      await expectViolations(signingKeysInPlatformNamespace, stack, [{ urnOf: copy, says: ["Secret tenant-a/tenant-ca-a holds tls.key: the private key of CA certificate", "a tenant CA", 'only in the platform namespace "platform"'] }]);
      await expectViolations(signingKeysInPlatformNamespaceStack, stack, [{ urnOf: copy, says: ["Secret tenant-a/tenant-ca-a", "private key of CA certificate"] }]);
    }
  });

  it("the stack policy also refuses a CA key copied without its certificate; the resource policy cannot know", async () => {
    const keyOnly = k8s("v1", "Secret", { metadata: { name: "ca-key", namespace: "tenant-a-b" }, stringData: secret({ "key.pem": pki.caKey }) });
    const stack = [...good, keyOnly];
    expect(await violations(signingKeysInPlatformNamespace, stack)).toEqual([]);
    await expectViolations(signingKeysInPlatformNamespaceStack, stack, [{ urnOf: keyOnly, says: ["Secret tenant-a-b/ca-key holds key.pem: the private key of a CA certificate declared elsewhere in the stack"] }]);
  });

  it("refuses tls.key next to a CA tls.crt even when the key cannot be parsed, and NATS account seeds", async () => {
    const opaque = tlsSecret("tenant-a", "ca-opaque", {}, { "tls.crt": pki.caCert, "tls.key": "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n" });
    const seed = k8s("v1", "Secret", { metadata: { name: "account-seed", namespace: "tenant-a" }, stringData: { seed: secret(seedOf(nats.accounts.a)) } });
    const stack = [...good, opaque, seed];
    await expectViolations(signingKeysInPlatformNamespace, stack, [
      { urnOf: opaque, says: ["Secret tenant-a/ca-opaque holds tls.key next to CA certificate", "CN=a tenant CA"] },
      { urnOf: seed, says: ["Secret tenant-a/account-seed holds seed: a NATS account seed"] },
    ]);
  });

  it("takes the platform namespace from policy config (default 'platform')", async () => {
    await expectViolations(signingKeysInPlatformNamespace, good, [{ urnOf: find(good, "Secret", "platform", "tenant-ca-a"), says: ['only in the platform namespace "ops"'] }], { platformNamespace: "ops" });
    expect(signingKeysInPlatformNamespace.configSchema?.properties.platformNamespace).toMatchObject({ type: "string", default: "platform" });
  });
});

describe("nats-user-permissions-within-tenant", () => {
  const replaceCreds = (s: StackResource[], ns: string, name: string, creds: string) => (find(s, "Secret", ns, name).props.stringData = { "nats.creds": secret(creds) });

  it("passes collector, leaf, reader and manager users of both tenants, in stringData or base64 data", async () => {
    const run = await expectClean(natsUserPermissionsWithinTenant);
    expect(run.inspected).toMatchObject({ credsSecrets: 5, tenantCredsSecrets: 5 });
    await expectClean(natsUserPermissionsWithinTenant, good.map((r) => (r.props.kind === "Secret" ? asApiServerSecret(r) : r)));
  });

  it("refuses a permission outside the tenant's prefix — including the same-prefix tenant's — and $SYS", async () => {
    const stack = mutate((s) => {
      replaceCreds(s, "tenant-a", "flowgger-hq-nats-creds", nats.user("a", "collector-flowgger-hq", { pub: { allow: ["a.>", "a-b.>"] }, sub: { allow: ["_INBOX.>", ">"] } }));
      replaceCreds(s, "platform", "nats-a-reader-creds", nats.user("a", "reader", { pub: { allow: ["$SYS.REQ.ACCOUNT.>"] }, sub: { allow: ["a.>"] } }));
    });
    await expectViolations(natsUserPermissionsWithinTenant, stack, [
      { urnOf: find(stack, "Secret", "tenant-a", "flowgger-hq-nats-creds"), says: ['Secret tenant-a/flowgger-hq-nats-creds (tenant "a")', 'user "a-collector-flowgger-hq"', 'nats.pub.allow has "a-b.>" outside the tenant', 'may only be allowed "a.…"'] },
      { urnOf: find(stack, "Secret", "tenant-a", "flowgger-hq-nats-creds"), says: ['nats.sub.allow has ">" outside the tenant'] },
      { urnOf: find(stack, "Secret", "platform", "nats-a-reader-creds"), says: ['nats.pub.allow has "$SYS.REQ.ACCOUNT.>"'] },
    ]);
  });

  it("refuses an absent allow list (NATS: everything allowed), a foreign name, and creds without a JWT", async () => {
    const stack = mutate((s) => {
      replaceCreds(s, "tenant-a", "nats-leaf-creds", nats.user("a", "leaf", { sub: { allow: ["a.>"] } }));
      replaceCreds(s, "tenant-a-b", "trapd-campus-nats-creds", nats.user("a-b", "x", permsFor("a-b").collector, { name: "a-collector" }));
      replaceCreds(s, "platform", "nats-a-manager-creds", "-----BEGIN USER NKEY SEED-----\nSUAAAA\n------END USER NKEY SEED------\n");
    });
    await expectViolations(natsUserPermissionsWithinTenant, stack, [
      { urnOf: find(stack, "Secret", "tenant-a", "nats-leaf-creds"), says: ["nats.pub.allow is absent, which NATS reads as every subject allowed"] },
      { urnOf: find(stack, "Secret", "tenant-a-b", "trapd-campus-nats-creds"), says: ['tenant "a-b"', 'its name "a-collector" does not start with "a-b-"'] },
      { urnOf: find(stack, "Secret", "platform", "nats-a-manager-creds"), says: ["nats.creds holds no NATS user JWT"] },
    ]);
  });

  it("reads the claims as the server does: a widened payload is caught even with the old signature", async () => {
    const stack = mutate((s) => {
      const r = find(s, "Secret", "tenant-a", "flowgger-hq-nats-creds");
      const creds: string = r.props.stringData["nats.creds"].value;
      const jwt = checks.credsUserJwt(creds)!;
      const [h, , sig] = jwt.split(".");
      const claims = decodeJwt(jwt).claims;
      (claims.nats as Record<string, any>).pub = { allow: [">"] };
      r.props.stringData["nats.creds"].value = creds.replace(jwt, `${h}.${encodePart(claims)}.${sig}`);
    });
    await expectViolations(natsUserPermissionsWithinTenant, stack, [{ urnOf: find(stack, "Secret", "tenant-a", "flowgger-hq-nats-creds"), says: ['nats.pub.allow has ">" outside the tenant'] }]);
    // …and the account policy refuses it because the signature no longer verifies.
    await expectViolations(natsUserInTenantAccount, stack, [{ urnOf: find(stack, "Secret", "tenant-a", "flowgger-hq-nats-creds"), says: ["signature does not verify"] }]);
  });

  it("during preview an unknown creds value makes the policy throw the engine's UnknownValueError (reported as advisory)", async () => {
    const stack = mutate((s) => (find(s, "Secret", "tenant-a", "flowgger-hq-nats-creds").props.stringData = { "nats.creds": secret(UNKNOWN_STRING) }));
    await expect(runPolicy(natsUserPermissionsWithinTenant, stack)).rejects.toBeInstanceOf(UnknownValueError);
    // Placement needs only labels and keys: it still runs.
    await expectClean(tenantSecretsInTenantNamespaces, stack);
  });
});

describe("nats-user-in-tenant-account", () => {
  it("passes users signed by their tenant's account, which the stack pushes to the hub (its configuration holds none)", async () => {
    expect(checks.accountJwtsIn(checks.toObject("kubernetes:core/v1:ConfigMap", "hub", find(good, "ConfigMap", "platform", "nats-hub-accounts").props)!).map((j) => j.claims.name)).toEqual(["SYS"]);
    const run = await expectClean(natsUserInTenantAccount);
    expect(run.inspected).toMatchObject({ tenantCredsSecrets: 5, accountPushes: 2, tenantAccounts: 2 });
  });

  it("refuses a user of tenant a issued by tenant a-b's account (permissions alone cannot tell)", async () => {
    const stack = mutate((s) => {
      find(s, "Secret", "tenant-a", "flowgger-hq-nats-creds").props.stringData = { "nats.creds": secret(nats.user("a", "collector-flowgger-hq", COLLECTOR, { account: nats.accounts["a-b"] })) };
    });
    expect(await violations(natsUserPermissionsWithinTenant, stack)).toEqual([]);
    await expectViolations(natsUserInTenantAccount, stack, [
      { urnOf: find(stack, "Secret", "tenant-a", "flowgger-hq-nats-creds"), says: ['(tenant "a")', `issued by ${publicOf(nats.accounts["a-b"])}, not by tenant account TENANT_a`] },
    ]);
  });

  it("refuses a pushed tenant account with exports, and users of a tenant the stack pushes no account for", async () => {
    const other = makeNats(["a"], { a: { exports: [{ subject: "a.>", type: "stream" }] } });
    const stack = mutate((s) => {
      find(s, "ConfigMap", "platform", "nats-hub-accounts").props.data["accounts.conf"] = other.hubConfig;
      s.splice(s.indexOf(findPush(s, "a")), 1, other.push("a"));
      s.splice(s.indexOf(findPush(s, "a-b")), 1);
      find(s, "Secret", "tenant-a", "flowgger-hq-nats-creds").props.stringData = { "nats.creds": secret(other.user("a", "collector-flowgger-hq", COLLECTOR)) };
    });
    const found = await violations(natsUserInTenantAccount, stack);
    const messages = found.map((v) => v.message);
    expect(found.filter((v) => v.urn === findPush(stack, "a").urn).map((v) => v.message)).toEqual([
      expect.stringContaining(`account push a/nats-account-push (input jwt): tenant account TENANT_a (${publicOf(other.accounts.a)}) declares 1 exports`),
    ]);
    expect(messages).toContainEqual(expect.stringContaining('Secret tenant-a-b/trapd-campus-nats-creds (tenant "a-b"): the stack gives the hub no account TENANT_a-b'));
    // a's other users were signed by the old account: refused too.
    expect(messages.filter((m) => m.includes("not by tenant account TENANT_a"))).toHaveLength(3);
    expect(messages).toHaveLength(5);
  });

  it("also reads the JWT a deletion pushes (disablingJwt)", async () => {
    const stack = mutate((s) => {
      const push = findPush(s, "a-b");
      const claims = decodeJwt(push.props.disablingJwt).claims as Record<string, any>;
      claims.nats.imports = [{ subject: "a.>", account: publicOf(nats.accounts.a), type: "stream" }];
      const [h, , sig] = (push.props.disablingJwt as string).split(".");
      push.props.disablingJwt = `${h}.${encodePart(claims)}.${sig}`;
    });
    await expectViolations(natsUserInTenantAccount, stack, [{ urnOf: findPush(stack, "a-b"), says: ["account push a-b/nats-account-push (input disablingJwt)", "tenant account TENANT_a-b", "declares 1 imports"] }]);
  });

  it("refuses a push whose JWT is another account's than the one it is declared for", async () => {
    const stack = mutate((s) => (findPush(s, "a").props.jwt = nats.accountJwts["a-b"]));
    const found = await violations(natsUserInTenantAccount, stack);
    expect(found.filter((v) => v.urn === findPush(stack, "a").urn).map((v) => v.message)).toContainEqual(
      expect.stringContaining(`account push a/nats-account-push: its jwt is account ${publicOf(nats.accounts["a-b"])} (TENANT_a-b), but the push is declared for account ${publicOf(nats.accounts.a)}`),
    );
  });

  it("still finds a tenant account smuggled into a ConfigMap or Secret of the platform: one that exports, another key under a tenant's name; not in a tenant's own namespace", async () => {
    const exporting = makeNats(["a"], { a: { exports: [{ subject: "a.>", type: "service" }] } });
    const impostor = makeNats(["a-b"]);
    const stack = mutate((s) => {
      const hub = find(s, "ConfigMap", "platform", "nats-hub-accounts");
      hub.props.data["accounts.conf"] += `resolver_preload: { ${publicOf(exporting.accounts.a)}: "${exporting.accountJwts.a}" }\n`;
      s.push(k8s("v1", "Secret", { metadata: { name: "hub-extra", namespace: "platform" }, stringData: secret({ "extra.conf": impostor.accountJwts["a-b"] }) }));
      // In a tenant namespace it configures no hub: not read.
      s.push(k8s("v1", "ConfigMap", { metadata: { name: "notes", namespace: "tenant-a", labels: { [T]: "a" } }, data: { "x.conf": exporting.accountJwts.a } }));
    });
    const found = await violations(natsUserInTenantAccount, stack);
    expect(found.map((v) => [v.urn, v.message]), JSON.stringify(found, null, 2)).toEqual([
      [find(stack, "ConfigMap", "platform", "nats-hub-accounts").urn, expect.stringContaining("Account name TENANT_a names 2 different accounts")],
      [find(stack, "ConfigMap", "platform", "nats-hub-accounts").urn, expect.stringContaining("ConfigMap platform/nats-hub-accounts: tenant account TENANT_a")],
      [find(stack, "Secret", "platform", "hub-extra").urn, expect.stringContaining("Account name TENANT_a-b names 2 different accounts")],
    ]);
    expect(found[0]!.message).toContain("in account push a/nats-account-push, ConfigMap platform/nats-hub-accounts)");
    expect(found[1]!.message).toContain("declares 1 exports");
  });

  it("during preview an unknown account JWT of a push makes the policy throw the engine's UnknownValueError (reported as advisory)", async () => {
    const stack = mutate((s) => (findPush(s, "a").props.jwt = UNKNOWN_STRING));
    await expect(runPolicy(natsUserInTenantAccount, stack)).rejects.toBeInstanceOf(UnknownValueError);
  });
});

describe("tenant-secrets-in-tenant-namespaces", () => {
  it("passes each tenant's Secrets in its namespaces (any of them) and the platform's in the platform namespace", async () => {
    const stack = mutate((s) => (find(s, "Secret", "tenant-a", "flowgger-hq-tls").props.metadata.namespace = "tenant-a-org-x"));
    const run = await expectClean(tenantSecretsInTenantNamespaces, stack);
    expect(run.inspected).toMatchObject({ tenantSecrets: 8, tenantSideSecrets: 5, platformSideSecrets: 3 });
  });

  it("refuses tenant a's collector creds in tenant a-b's namespace (same name prefix) and its certificate in the platform namespace", async () => {
    const stack = mutate((s) => {
      find(s, "Secret", "tenant-a", "flowgger-hq-nats-creds").props.metadata.namespace = "tenant-a-b";
      find(s, "Secret", "tenant-a", "flowgger-hq-tls").props.metadata.namespace = "platform";
    });
    await expectViolations(tenantSecretsInTenantNamespaces, stack, [
      { urnOf: find(stack, "Secret", "tenant-a-b", "flowgger-hq-nats-creds"), says: ["Secret tenant-a-b/flowgger-hq-nats-creds belongs to tenant \"a\" but is in namespace tenant-a-b of tenant \"a-b\""] },
      { urnOf: find(stack, "Secret", "platform", "flowgger-hq-tls"), says: ['flowgger of tenant "a"', "namespace platform, which belongs to no tenant", `labelled ${T}="a"`] },
    ]);
  });

  it("refuses the platform's creds or CA Secret in a tenant namespace, bundles in undeclared namespaces, and unlabelled creds", async () => {
    const stack = mutate((s) => {
      find(s, "Secret", "platform", "nats-a-manager-creds").props.metadata.namespace = "tenant-a";
      find(s, "Secret", "platform", "tenant-ca-a").props.metadata.namespace = "tenant-a-org-x";
      find(s, "Secret", "tenant-a-b", "onboarding-trapd-campus").props.metadata.namespace = "customer-drop";
      s.push(k8s("v1", "Secret", { metadata: { name: "stray-creds", namespace: "tenant-a-b" }, stringData: { "nats.creds": secret("x") } }));
    });
    await expectViolations(tenantSecretsInTenantNamespaces, stack, [
      { urnOf: find(stack, "Secret", "tenant-a", "nats-a-manager-creds"), says: ["nats-credentials (manager)", "is a tenant namespace", "stay in the platform namespace"] },
      { urnOf: find(stack, "Secret", "tenant-a-org-x", "tenant-ca-a"), says: ["tenant-ca of tenant \"a\"", "is a tenant namespace"] },
      { urnOf: find(stack, "Secret", "customer-drop", "onboarding-trapd-campus"), says: ["onboarding-bundle of tenant \"a-b\"", "customer-drop, which this stack does not declare"] },
      { urnOf: stack[stack.length - 1], says: ["Secret tenant-a-b/stray-creds holds nats.creds", 'tenant "a-b"', "without a tenancy.serviceradar.io/tenant label"] },
    ]);
  });
});

describe("tenant-secrets-in-tenant-namespaces in a cell's stack (the platform namespace is the platform stack's)", () => {
  const cellIdentity: StackResource = { type: "tenancy:index:CellIdentity", name: "cell-identity", urn: urnOf("tenancy:index:CellIdentity", "cell-identity"), props: {} };
  /** The fixture as a cell's stack holds it: its identity, and no platform namespace of its own. */
  const asCell = (edit: (s: StackResource[]) => void = () => {}) =>
    mutate((s) => {
      s.splice(s.indexOf(find(s, "Namespace", undefined, "platform")), 1);
      s.push(cellIdentity);
      edit(s);
    });

  it("passes the platform's Secrets for its tenants in the platform stack's namespace, named by the policy config", async () => {
    await expectClean(tenantSecretsInTenantNamespaces, asCell(), { platformNamespace: "platform" });
  });

  it("refuses them in any other undeclared namespace, and in a platform namespace the config does not name; a stack without an identity declares its own", async () => {
    const moved = asCell((s) => (find(s, "Secret", "platform", "nats-a-reader-creds").props.metadata.namespace = "ops"));
    await expectViolations(tenantSecretsInTenantNamespaces, moved, [{ urnOf: find(moved, "Secret", "ops", "nats-a-reader-creds"), says: ["in namespace ops, which this stack does not declare"] }], { platformNamespace: "platform" });
    const unnamed = asCell();
    const platformSide = unnamed.filter((r) => r.props.kind === "Secret" && r.props.metadata.namespace === "platform");
    expect(platformSide).toHaveLength(3);
    await expectViolations(tenantSecretsInTenantNamespaces, unnamed, platformSide.map((r) => ({ urnOf: r, says: ["in namespace platform, which this stack does not declare"] })), { platformNamespace: "ops" });
    const noIdentity = asCell((s) => s.splice(s.indexOf(s.find((r) => r.type === "tenancy:index:CellIdentity")!), 1));
    await expectViolations(tenantSecretsInTenantNamespaces, noIdentity, platformSide.map((r) => ({ urnOf: r, says: ["which this stack does not declare"] })), { platformNamespace: "platform" });
  });
});
