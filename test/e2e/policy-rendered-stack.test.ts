/**
 * The policy pack over the rendered example stack (tenants/), evaluated once by the offline engine:
 * every policy passes and says it inspected everything it should (counted here independently from
 * the registrations, so no policy can pass by looking at nothing); then one break at a time — a
 * dropped default deny, an empty or cross-tenant namespace selector, a Secret in the wrong
 * namespace, a CA key copied out, a widened NATS user, a cluster binding, an exporting tenant
 * account (as its push gives it to the hub, or smuggled into the hub configuration) — and exactly
 * the matching policies fire. Last, the pack as the Pulumi CLI runs it: policy/index.ts serving the
 * analyzer gRPC protocol, called with the same resources.
 */
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Policy } from "@pulumi/policy";
import { runOffline, unwrapSecrets, type OfflineRun } from "../../engine/offline";
import { policies } from "../../policy/policies";
import { caKeyOf } from "../support/issued";
import * as checks from "../../policy/checks";
import { credsFile } from "../../lib/nats/creds";
import { decodeJwt } from "../../lib/nats/jwt";
import { nkeyFromRaw, publicOf, seedOf } from "../../lib/nats/nkeys";
import { userJwt } from "../../lib/nats/claims";
import {
  asApiServerSecret,
  cloneStack,
  fromRegistrations,
  runPolicy,
  secret,
  startPackServer,
  urnOf,
  type PackServer,
  type Reported,
  type StackResource,
} from "../support/policy-harness";

const TENANT = "tenancy.serviceradar.io/tenant";
const byName = (name: string) => ({ matchLabels: { "kubernetes.io/metadata.name": name } });

let run: OfflineRun;
let stack: StackResource[];

/** What the stack holds, counted from the registrations without the pack's code. */
interface Census {
  namespaces: number;
  tenantNamespaces: string[];
  networkPolicies: number;
  tenantNetworkPolicies: number;
  resourceQuotas: number;
  limitRanges: number;
  tenantRoleBindings: number;
  secrets: number;
  secretsWithPrivateKey: number;
  credsSecrets: number;
  tenantSecrets: number;
  caCertificates: number;
  tenants: number;
  configMaps: number;
  /** The tenants' account pushes (`<slug>/nats-account-push`, dynamic resources). */
  accountPushes: number;
  postgresRoles: number;
  postgresGrants: number;
  postgresDefaultPrivileges: number;
  tenantRoles: number;
  namespacedTenantRoles: number;
  admissionPolicies: number;
  admissionBindings: number;
}
let census: Census;

const plainInputs = (r: StackResource) => unwrapSecrets(r.props) as Record<string, any>;
const ofKind = (s: readonly StackResource[], kind: string) => s.filter((r) => r.type.startsWith("kubernetes:") && r.type.endsWith(`:${kind}`));

beforeAll(async () => {
  run = await runOffline();
  stack = fromRegistrations(run.registrations);
  const namespaces = ofKind(stack, "Namespace").map(plainInputs);
  const tenantNamespaces = namespaces.filter((n) => n.metadata.labels?.[TENANT]).map((n) => n.metadata.name as string);
  const inTenantNs = (r: StackResource) => tenantNamespaces.includes(plainInputs(r).metadata.namespace);
  const secrets = ofKind(stack, "Secret").map(plainInputs);
  const valuesOf = (s: Record<string, any>) => [...Object.values<string>(s.stringData ?? {}), ...Object.values<string>(s.data ?? {}).map((v) => Buffer.from(v, "base64").toString())];
  census = {
    namespaces: namespaces.length,
    tenantNamespaces,
    networkPolicies: ofKind(stack, "NetworkPolicy").length,
    tenantNetworkPolicies: ofKind(stack, "NetworkPolicy").filter(inTenantNs).length,
    resourceQuotas: ofKind(stack, "ResourceQuota").length,
    limitRanges: ofKind(stack, "LimitRange").length,
    tenantRoleBindings: ofKind(stack, "RoleBinding").filter(inTenantNs).length,
    secrets: secrets.length,
    secretsWithPrivateKey: secrets.filter((s) => valuesOf(s).some((v) => v.includes("PRIVATE KEY"))).length,
    credsSecrets: secrets.filter((s) => "nats.creds" in (s.stringData ?? s.data ?? {})).length,
    tenantSecrets: secrets.filter((s) => s.metadata.labels?.[TENANT]).length,
    // @pulumi/tls certificates declared as CAs (root, hub CA, one per tenant).
    caCertificates: stack.filter((r) => r.type.startsWith("tls:") && plainInputs(r).isCaCertificate === true).length,
    tenants: stack.filter((r) => r.type === "tenancy:index:Tenant").length,
    configMaps: ofKind(stack, "ConfigMap").length,
    accountPushes: stack.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource" && r.urn.endsWith("/nats-account-push")).length,
    postgresRoles: stack.filter((r) => r.type === "postgresql:index/role:Role").length,
    postgresGrants: stack.filter((r) => r.type === "postgresql:index/grant:Grant").length,
    postgresDefaultPrivileges: stack.filter((r) => r.type === "postgresql:index/defaultPrivileges:DefaultPrivileges").length,
    /** Roles of tenant namespaces, and the ClusterRoles their RoleBindings bind (the platform's access levels). */
    tenantRoles:
      ofKind(stack, "Role").filter(inTenantNs).length +
      new Set(ofKind(stack, "RoleBinding").filter(inTenantNs).filter((b) => plainInputs(b).roleRef.kind === "ClusterRole").map((b) => plainInputs(b).roleRef.name)).size,
    namespacedTenantRoles: ofKind(stack, "Role").filter(inTenantNs).length,
    admissionPolicies: ofKind(stack, "ValidatingAdmissionPolicy").length,
    admissionBindings: ofKind(stack, "ValidatingAdmissionPolicyBinding").length,
  };
});

// ---------------------------------------------------------------------------------------------

const find = (s: StackResource[], kind: string, ns: string | undefined, name: string) => {
  const r = ofKind(s, kind).find((x) => x.props.metadata?.name === name && x.props.metadata?.namespace === ns);
  if (!r) throw new Error(`rendered stack has no ${kind} ${ns ?? ""}/${name}`);
  return r;
};

/**
 * A tenant CA's key as a kubernetes.io/tls Secret would hold it: it is in no Secret of the stack
 * (it signs in state), so it is taken from a certificate it signed, its certificate from ConfigMap tenant-ca.
 */
const tenantCaSecret = (s: StackResource[], slug: string, namespace: string): StackResource => {
  const published = plainInputs(find(s, "ConfigMap", `tenant-${slug}`, "tenant-ca")).data;
  const caKeyPem = caKeyOf(s.map((r) => ({ urn: r.urn, inputs: plainInputs(r) })), published["ca.crt"]);
  const type = "kubernetes:core/v1:Secret";
  const name = `${slug}/ca-backup`;
  return {
    type,
    name,
    urn: urnOf(type, name),
    props: {
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/tls",
      metadata: { name: `tenant-ca-${slug}`, namespace, labels: { [TENANT]: slug, "app.kubernetes.io/component": "tenant-ca" } },
      stringData: secret({ "tls.crt": published["ca.crt"], "tls.key": caKeyPem, "ca.crt": published["root-ca.crt"] }),
    },
  };
};

async function runAll(s: readonly StackResource[]): Promise<Reported[]> {
  const found: Reported[] = [];
  for (const p of policies) found.push(...(await runPolicy(p, s)).violations);
  return found;
}

/** Exactly these policies fire, each exactly with messages containing these substrings, on these resources. */
async function expectOnly(s: StackResource[], expected: Record<string, { on: StackResource; says: string[] }[]>) {
  const found = await runAll(s);
  const summary = JSON.stringify(found.map((f) => `${f.policy}: ${f.message}`), null, 2);
  expect(found.map((f) => f.policy).sort(), summary).toEqual(Object.entries(expected).flatMap(([p, list]) => list.map(() => p)).sort());
  for (const [policy, list] of Object.entries(expected)) {
    for (const e of list) {
      expect(
        found.some((f) => f.policy === policy && f.urn === e.on.urn && e.says.every((x) => f.message.includes(x))),
        `${policy} on ${e.on.urn} saying ${JSON.stringify(e.says)}; found ${summary}`,
      ).toBe(true);
    }
  }
}

// ---------------------------------------------------------------------------------------------

describe("the rendered example stack passes the pack", () => {
  it("is a real stack: the four example tenants with namespaces, policies, creds and CAs", () => {
    expect(census.tenants).toBe(4);
    expect(census.tenantNamespaces.length).toBeGreaterThanOrEqual(10);
    expect(census.networkPolicies).toBeGreaterThanOrEqual(census.tenantNamespaces.length);
    expect(census.credsSecrets).toBeGreaterThanOrEqual(4 * 4);
    expect(census.caCertificates).toBe(2 + census.tenants);
    expect(census.accountPushes).toBe(census.tenants);
  });

  const expectations: Record<string, (c: Census) => Record<string, number>> = {
    "tenant-namespace-pod-security": (c) => ({ Namespace: c.namespaces, tenantNamespaces: c.tenantNamespaces.length }),
    "tenant-namespace-default-deny": (c) => ({ Namespace: c.namespaces, tenantNamespaces: c.tenantNamespaces.length, NetworkPolicy: c.networkPolicies }),
    "network-policy-no-empty-namespace-selector": (c) => ({ NetworkPolicy: c.networkPolicies }),
    "network-policy-no-cross-tenant-peers": (c) => ({ tenantNamespaces: c.tenantNamespaces.length, NetworkPolicy: c.networkPolicies, tenantNetworkPolicies: c.tenantNetworkPolicies }),
    "tenant-namespace-quota-and-limits": (c) => ({ tenantNamespaces: c.tenantNamespaces.length, ResourceQuota: c.resourceQuotas, LimitRange: c.limitRanges }),
    "no-cluster-rbac-for-tenants": (c) => ({ Namespace: c.namespaces, tenantRoleBindings: c.tenantRoleBindings }),
    "signing-keys-in-platform-namespace": (c) => ({ Secret: c.secrets, withPrivateKey: c.secretsWithPrivateKey }),
    "signing-keys-in-platform-namespace-stack": (c) => ({ Secret: c.secrets, ConfigMap: c.configMaps, caCertificates: c.caCertificates, secretsWithPrivateKey: c.secretsWithPrivateKey }),
    "nats-user-permissions-within-tenant": (c) => ({ Secret: c.secrets, credsSecrets: c.credsSecrets, tenantCredsSecrets: c.credsSecrets }),
    "nats-user-in-tenant-account": (c) => ({ tenantCredsSecrets: c.credsSecrets, accountPushes: c.accountPushes, tenantAccounts: c.tenants }),
    "tenant-secrets-in-tenant-namespaces": (c) => ({ Namespace: c.namespaces, Secret: c.secrets, tenantSecrets: c.tenantSecrets }),
    "postgres-tenant-roles-and-grants": (c) => ({ Role: c.postgresRoles, Grant: c.postgresGrants, DefaultPrivileges: c.postgresDefaultPrivileges }),
    "tenant-roles-allow-list": (c) => ({ Namespace: c.namespaces, tenantRoles: c.tenantRoles }),
    "tenant-namespace-quota-keys": (c) => ({ tenantNamespaces: c.tenantNamespaces.length, ResourceQuota: c.resourceQuotas, Role: c.namespacedTenantRoles }),
    "tenant-admission-policies": (c) => ({ tenantNamespaces: c.tenantNamespaces.length, ValidatingAdmissionPolicy: c.admissionPolicies, ValidatingAdmissionPolicyBinding: c.admissionBindings, ConfigMap: c.configMaps }),
  };

  it("covers every policy with an expectation", () => {
    expect(Object.keys(expectations).sort()).toEqual(policies.map((p) => p.name).sort());
  });

  it.each(policies.map((p) => [p.name, p] as [string, Policy]))("%s: no violation, and it inspected the whole stack", async (name, policy) => {
    const result = await runPolicy(policy, stack);
    expect(result.violations.map((v) => v.message)).toEqual([]);
    expect(result.inspected).toMatchObject(expectations[name](census));
  });

  it("the cross-tenant policy resolved every tenant namespace's DNS and hub egress (two namespace selectors each, at least)", async () => {
    const result = await runPolicy(policies.find((p) => p.name === "network-policy-no-cross-tenant-peers")!, stack);
    expect(result.inspected.namespaceSelectorPeers).toBeGreaterThanOrEqual(2 * census.tenantNamespaces.length);
  });

  it("passes too with Secrets as the API server returns them (base64 data, no stringData), as a stack's outputs carry them", async () => {
    const outputs = stack.map((r) => (r.type === "kubernetes:core/v1:Secret" ? asApiServerSecret(r) : r));
    expect(ofKind(outputs, "Secret").every((r) => r.props.stringData === undefined && r.props.data !== undefined)).toBe(true);
    for (const p of policies) {
      const result = await runPolicy(p, outputs);
      expect(result.violations.map((v) => v.message), p.name).toEqual([]);
    }
    const creds = await runPolicy(policies.find((p) => p.name === "nats-user-permissions-within-tenant")!, outputs);
    expect(creds.inspected.tenantCredsSecrets).toBe(census.credsSecrets);
  });
});

describe("each break of the rendered stack is caught by its policy, and only by it", () => {
  it("a tenant's schema granted to another tenant's role, and a role given createdb", async () => {
    const s = cloneStack(stack);
    const usage = s.find((r) => r.type === "postgresql:index/grant:Grant" && r.name === "globex/postgres-schema/grant-usage")!;
    usage.props = { ...usage.props, role: "tenant_umbrella" };
    const role = s.find((r) => r.type === "postgresql:index/role:Role" && r.name === "acme-corp/postgres-role")!;
    role.props = { ...role.props, createDatabase: true };
    await expectOnly(s, {
      "postgres-tenant-roles-and-grants": [
        { on: usage, says: ['schema "tenant_globex"', 'to tenant role "tenant_umbrella"'] },
        { on: role, says: ['role "tenant_acme_corp" has createDatabase'] },
      ],
    });
  });

  it("a tenant namespace without its isolation policy (its default deny)", async () => {
    const s = cloneStack(stack);
    s.splice(s.indexOf(find(s, "NetworkPolicy", "tenant-globex-org-emea", "tenant-isolation")), 1);
    await expectOnly(s, {
      "tenant-namespace-default-deny": [{ on: find(s, "Namespace", undefined, "tenant-globex-org-emea"), says: ["Namespace tenant-globex-org-emea", 'tenant "globex"', 'no NetworkPolicy "tenant-isolation"'] }],
    });
  });

  it("an isolation policy that lets addresses in, or covers one direction", async () => {
    const s = cloneStack(stack);
    find(s, "NetworkPolicy", "tenant-initech", "tenant-isolation").props.spec.ingress.push({ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }] });
    find(s, "NetworkPolicy", "tenant-globex-edge", "tenant-isolation").props.spec.policyTypes = ["Egress"];
    await expectOnly(s, {
      "tenant-namespace-default-deny": [
        { on: find(s, "NetworkPolicy", "tenant-initech", "tenant-isolation"), says: ["ingress[1].from[0] admits addresses"] },
        { on: find(s, "NetworkPolicy", "tenant-globex-edge", "tenant-isolation"), says: ["policyTypes must be [Ingress, Egress]"] },
      ],
    });
  });

  it("an empty namespaceSelector", async () => {
    const s = cloneStack(stack);
    const np = find(s, "NetworkPolicy", "tenant-initech", "tenant-isolation");
    np.props.spec.ingress[0].from.push({ namespaceSelector: {} });
    await expectOnly(s, {
      "network-policy-no-empty-namespace-selector": [{ on: np, says: ["NetworkPolicy tenant-initech/tenant-isolation", "ingress[0].from[1]", "empty namespaceSelector"] }],
      "network-policy-no-cross-tenant-peers": [{ on: np, says: ["ingress[0].from[1]", "selects every namespace"] }],
      "tenant-namespace-default-deny": [{ on: np, says: ["ingress[0].from[1] does not name its namespaces"] }],
    });
  });

  it("a peer naming another tenant's namespace", async () => {
    const s = cloneStack(stack);
    const np = find(s, "NetworkPolicy", "tenant-acme-corp", "tenant-isolation");
    np.props.spec.egress[0].to.push({ namespaceSelector: byName("tenant-globex") });
    await expectOnly(s, { "network-policy-no-cross-tenant-peers": [{ on: np, says: ["NetworkPolicy tenant-acme-corp/tenant-isolation", 'selects namespace tenant-globex of tenant "globex"', '("acme-corp")'] }] });
  });

  it("a tenant namespace without Pod Security enforce, or without a quota", async () => {
    const s = cloneStack(stack);
    delete find(s, "Namespace", undefined, "tenant-umbrella").props.metadata.labels["pod-security.kubernetes.io/enforce"];
    s.splice(s.indexOf(find(s, "ResourceQuota", "tenant-acme-corp-org-finance", "tenant-quota")), 1);
    await expectOnly(s, {
      "tenant-namespace-pod-security": [{ on: find(s, "Namespace", undefined, "tenant-umbrella"), says: ["Namespace tenant-umbrella", "pod-security.kubernetes.io/enforce is missing"] }],
      "tenant-namespace-quota-and-limits": [{ on: find(s, "Namespace", undefined, "tenant-acme-corp-org-finance"), says: ["Namespace tenant-acme-corp-org-finance", "no ResourceQuota"] }],
      "tenant-namespace-quota-keys": [{ on: find(s, "Namespace", undefined, "tenant-acme-corp-org-finance"), says: ["has no quota on requests.cpu (every pod)", "count/deployments.apps (ClusterRole tenancy-tenant-admin lets it be created)"] }],
    });
  });

  it("a tenant access level widened: a '*' verb, escalate, and a write on network policies", async () => {
    const s = cloneStack(stack);
    const role = find(s, "ClusterRole", undefined, "tenancy-tenant-viewer");
    role.props.rules = [...plainInputs(role).rules, { apiGroups: [""], resources: ["configmaps"], verbs: ["*"] }, { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"], verbs: ["escalate"] }, { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["patch"] }];
    const n = plainInputs(role).rules.length;
    await expectOnly(s, {
      "tenant-roles-allow-list": [
        { on: role, says: [`ClusterRole tenancy-tenant-viewer (bound in the namespaces of tenant "acme-corp", "globex", "initech" and 1 more): rules[${n - 3}].verbs has "*"`] },
        { on: role, says: [`rules[${n - 2}] grants "escalate"`] },
        { on: role, says: [`rules[${n - 1}] may patch networkpolicies.networking.k8s.io`, "read-only to the tenant"] },
      ],
    });
  });

  // Changed by the resource diet: the priority-class scoped quota is gone (tenancy-pod-scheduling
  // refuses those pods; test/program/admission-policies.test.ts), so its absence is no violation.
  it("a quota without a count the bound roles need, and one without pods", async () => {
    const s = cloneStack(stack);
    delete find(s, "ResourceQuota", "tenant-initech", "tenant-quota").props.spec.hard["count/jobs.batch"];
    delete find(s, "ResourceQuota", "tenant-globex-org-apac", "tenant-quota").props.spec.hard.pods;
    await expectOnly(s, {
      "tenant-namespace-quota-keys": [
        { on: find(s, "Namespace", undefined, "tenant-initech"), says: ["Namespace tenant-initech", "no quota on count/jobs.batch (ClusterRole tenancy-tenant-admin lets it be created)"] },
        { on: find(s, "Namespace", undefined, "tenant-globex-org-apac"), says: ["Namespace tenant-globex-org-apac", "no quota on pods (every pod)"] },
      ],
    });
  });

  it("an admission policy unbound, one failing open, and a plan's params gone", async () => {
    const s = cloneStack(stack);
    s.splice(s.indexOf(ofKind(s, "ValidatingAdmissionPolicyBinding").find((b) => b.props.metadata.name === "tenancy-images")!), 1);
    const open = ofKind(s, "ValidatingAdmissionPolicy").find((p) => p.props.metadata.name === "tenancy-disruption-budgets")!;
    open.props.spec.failurePolicy = "Ignore";
    s.splice(s.indexOf(find(s, "ConfigMap", "platform", "tenancy-admission-free")), 1);
    const initech = ["tenant-initech", "tenant-initech-edge"].map((n) => find(s, "Namespace", undefined, n));
    await expectOnly(s, {
      "tenant-admission-policies": [
        ...census.tenantNamespaces.map((ns) => ({ on: find(s, "Namespace", undefined, ns), says: [`Namespace ${ns}`, "is bound to tenancy-images by no binding"] })),
        { on: open, says: ["ValidatingAdmissionPolicy tenancy-disruption-budgets has failurePolicy \"Ignore\""] },
        ...initech.flatMap((on) => ["tenancy-service-exposure", "tenancy-pod-scheduling", "tenancy-volume-claims"].map((p) => ({ on, says: [`is bound to ${p} by no binding`, "params declared"] }))),
      ],
    });
  });

  it("creds widened under another key of a tenant Secret (every creds value is checked, not only nats.creds)", async () => {
    const s = cloneStack(stack);
    const r = ofKind(s, "Secret").find((x) => x.props.metadata.labels?.[TENANT] === "acme-corp" && x.props.metadata.labels?.["tenancy.serviceradar.io/nats-user"] === "collector")!;
    const own = plainInputs(r).stringData["nats.creds"] as string;
    const user = nkeyFromRaw("user", randomBytes(32));
    const account = nkeyFromRaw("account", randomBytes(32));
    const widened = userJwt({ user: publicOf(user), account, name: "acme-corp-backup", permissions: { pub: { allow: ["globex.>"] }, sub: { allow: ["_INBOX.>"] } }, issuedAt: 1767225600 });
    r.props.stringData = { "nats.creds": secret(own), "backup.creds": secret(credsFile(widened, seedOf(user))) };
    await expectOnly(s, {
      "nats-user-permissions-within-tenant": [{ on: r, says: ['backup.creds: user "acme-corp-backup": nats.pub.allow has "globex.>" outside the tenant'] }],
      "nats-user-in-tenant-account": [{ on: r, says: ["backup.creds", `issued by ${publicOf(account)}, not by tenant account TENANT_acme-corp`] }],
    });
  });

  it("a ClusterRoleBinding for a tenant's group", async () => {
    const s = cloneStack(stack);
    const group = plainInputs(find(s, "RoleBinding", "tenant-acme-corp", "tenancy-tenant-viewer")).subjects[0].name as string;
    const type = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding";
    const crb: StackResource = {
      type,
      name: "noc-everywhere",
      urn: urnOf(type, "noc-everywhere"),
      props: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "noc-everywhere" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" }, subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: group }] },
    };
    s.push(crb);
    await expectOnly(s, { "no-cluster-rbac-for-tenants": [{ on: crb, says: ["ClusterRoleBinding noc-everywhere", `Group ${group}`, 'tenant "acme-corp"'] }] });
  });

  it("a collector's creds moved into another tenant's namespace, and a leaf certificate moved to the platform", async () => {
    const s = cloneStack(stack);
    const creds = ofKind(s, "Secret").find((r) => r.props.metadata.labels?.[TENANT] === "initech" && r.props.metadata.labels?.["tenancy.serviceradar.io/nats-user"] === "collector")!;
    creds.props.metadata.namespace = "tenant-globex";
    const leafTls = ofKind(s, "Secret").find((r) => r.props.metadata.labels?.[TENANT] === "acme-corp" && r.props.metadata.labels?.["app.kubernetes.io/component"] === "leaf")!;
    leafTls.props.metadata.namespace = "platform";
    await expectOnly(s, {
      "tenant-secrets-in-tenant-namespaces": [
        { on: creds, says: [`Secret tenant-globex/${creds.props.metadata.name} belongs to tenant "initech"`, 'namespace tenant-globex of tenant "globex"'] },
        // The leaf's Secret also holds its creds since the resource diet: labelled with its NATS user too.
        { on: leafTls, says: [`Secret platform/${leafTls.props.metadata.name}`, 'leaf (leaf) of tenant "acme-corp"', "belongs to no tenant"] },
      ],
    });
  });

  it("no Secret holds a tenant CA's key: it signs in state, nothing in the cluster reads it", () => {
    expect(ofKind(stack, "Secret").filter((r) => r.props.metadata.labels?.["app.kubernetes.io/component"] === "tenant-ca")).toEqual([]);
  });

  it("the tenant CA copied into a Secret of the tenant's namespace", async () => {
    const s = cloneStack(stack);
    const copy = tenantCaSecret(s, "globex", "tenant-globex");
    s.push(copy);
    await expectOnly(s, {
      "signing-keys-in-platform-namespace": [{ on: copy, says: ["Secret tenant-globex/tenant-ca-globex holds tls.key: the private key of CA certificate", "globex tenant CA"] }],
      "signing-keys-in-platform-namespace-stack": [{ on: copy, says: ["the private key of CA certificate"] }],
      "tenant-secrets-in-tenant-namespaces": [{ on: copy, says: ['tenant-ca of tenant "globex"', "is a tenant namespace"] }],
    });
  });

  it("only the tenant CA's key, copied into a Secret of the tenant's namespace", async () => {
    const s = cloneStack(stack);
    const key = plainInputs(tenantCaSecret(s, "initech", "platform")).stringData["tls.key"];
    const type = "kubernetes:core/v1:Secret";
    const keyOnly: StackResource = {
      type,
      name: "initech/backup",
      urn: urnOf(type, "initech/backup"),
      props: { apiVersion: "v1", kind: "Secret", metadata: { name: "backup", namespace: "tenant-initech", labels: { [TENANT]: "initech" } }, stringData: secret({ "key.pem": key }) },
    };
    s.push(keyOnly);
    await expectOnly(s, { "signing-keys-in-platform-namespace-stack": [{ on: keyOnly, says: ["Secret tenant-initech/backup holds key.pem: the private key of a CA certificate declared elsewhere in the stack"] }] });
  });

  it("a collector user widened to every subject (new creds) — and issued outside the tenant's account", async () => {
    const s = cloneStack(stack);
    const r = ofKind(s, "Secret").find((x) => x.props.metadata.labels?.[TENANT] === "initech" && x.props.metadata.labels?.["tenancy.serviceradar.io/nats-user"] === "collector")!;
    const oldJwt = checks.credsUserJwt(plainInputs(r).stringData["nats.creds"])!;
    const user = nkeyFromRaw("user", randomBytes(32));
    const account = nkeyFromRaw("account", randomBytes(32));
    const widened = userJwt({ user: publicOf(user), account, name: String(decodeJwt(oldJwt).claims.name), permissions: { pub: { allow: [">"] }, sub: { allow: ["_INBOX.>"] } }, issuedAt: 1767225600 });
    r.props.stringData = { "nats.creds": secret(credsFile(widened, seedOf(user))) };
    await expectOnly(s, {
      // Wherever the program keeps it (root or edge namespace): the policies do not depend on it.
      "nats-user-permissions-within-tenant": [{ on: r, says: [`Secret ${r.props.metadata.namespace}/${r.props.metadata.name} (tenant "initech")`, 'nats.pub.allow has ">" outside the tenant'] }],
      "nats-user-in-tenant-account": [{ on: r, says: [`issued by ${publicOf(account)}, not by tenant account TENANT_initech`] }],
    });
  });

  it("the same widening by editing the JWT's claims in place (the signature no longer verifies)", async () => {
    const s = cloneStack(stack);
    const r = ofKind(s, "Secret").find((x) => x.props.metadata.labels?.[TENANT] === "globex" && x.props.metadata.labels?.["tenancy.serviceradar.io/nats-user"] === "leaf")!;
    const creds: string = plainInputs(r).stringData["nats.creds"];
    const jwt = checks.credsUserJwt(creds)!;
    const [h, , sig] = jwt.split(".");
    const claims = decodeJwt(jwt).claims as Record<string, any>;
    claims.nats.sub = { allow: ["acme-corp.>"] };
    r.props.stringData = { "nats.creds": secret(creds.replace(jwt, `${h}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${sig}`)) };
    await expectOnly(s, {
      "nats-user-permissions-within-tenant": [{ on: r, says: ['(tenant "globex")', 'nats.sub.allow has "acme-corp.>" outside the tenant'] }],
      "nats-user-in-tenant-account": [{ on: r, says: ["signature does not verify"] }],
    });
  });

  it("a tenant account that exports, as its push gives it to the hub", async () => {
    const s = cloneStack(stack);
    const push = s.find((r) => r.type === "pulumi-nodejs:dynamic:Resource" && r.urn.endsWith("::umbrella/nats-account-push"))!;
    const jwt: string = plainInputs(push).jwt;
    expect(decodeJwt(jwt).claims.name).toBe("TENANT_umbrella");
    push.props.jwt = withExports(jwt);
    await expectOnly(s, { "nats-user-in-tenant-account": [{ on: push, says: ["account push umbrella/nats-account-push (input jwt)", "tenant account TENANT_umbrella", "declares 1 exports"] }] });
  });

  it("a tenant account smuggled into the hub configuration: one that exports, and another account under a tenant's name", async () => {
    const s = cloneStack(stack);
    const hub = ofKind(s, "ConfigMap").find((r) => Object.keys(r.props.data ?? {}).includes("accounts.conf"))!;
    const conf: string = plainInputs(hub).data["accounts.conf"];
    // The rendered hub configuration holds no tenant account: they are all pushed.
    expect([...conf.matchAll(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g)].map((m) => String(decodeJwt(m[0]).claims.name)).filter((n) => n.startsWith("TENANT_"))).toEqual([]);
    const pushed = (slug: string) => plainInputs(s.find((r) => r.type === "pulumi-nodejs:dynamic:Resource" && r.urn.endsWith(`::${slug}/nats-account-push`))!).jwt as string;
    // initech's own account, with an export, preloaded; and globex's account renamed TENANT_acme-corp.
    const renamed = resigned(pushed("globex"), (c) => (c.name = "TENANT_acme-corp"));
    hub.props.data = { ...hub.props.data, "accounts.conf": `${conf}\n# smuggled\nresolver_preload: { X: "${withExports(pushed("initech"))}", Y: "${renamed}" }\n` };
    await expectOnly(s, {
      "nats-user-in-tenant-account": [
        { on: hub, says: ["ConfigMap platform/nats-hub-accounts", "tenant account TENANT_initech", "declares 1 exports"] },
        { on: hub, says: ["Account name TENANT_acme-corp names 2 different accounts", "in account push acme-corp/nats-account-push, ConfigMap platform/nats-hub-accounts)"] },
      ],
    });
  });
});

/** The JWT with its claims edited (the signature no longer matches: the checks read the claims as the server would before verifying). */
function resigned(jwt: string, edit: (claims: Record<string, any>) => void): string {
  const [h, , sig] = jwt.split(".");
  const claims = decodeJwt(jwt).claims as Record<string, any>;
  edit(claims);
  return `${h}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${sig}`;
}
const withExports = (jwt: string) => resigned(jwt, (c) => (c.nats.exports = [{ subject: `${String(c.name).replace(/^TENANT_/, "")}.>`, type: "stream" }]));

// ---------------------------------------------------------------------------------------------

describe("the pack as the Pulumi CLI runs it (policy/index.ts serving the analyzer protocol)", () => {
  let server: PackServer;
  beforeAll(async () => {
    server = await startPackServer(path.join(__dirname, "../../policy"));
  });
  afterAll(() => server?.stop());

  it("announces the pack and its 15 mandatory policies", async () => {
    const info = await server.info();
    expect(info.name).toBe("tenancy-isolation");
    expect(info.version).toBe("0.1.0");
    expect(info.policies.map((p) => p.name).sort()).toEqual(policies.map((p) => p.name).sort());
    expect(info.policies.every((p) => p.enforcementLevel === "mandatory")).toBe(true);
  });

  it("AnalyzeStack over the rendered stack: no diagnostics; Analyze of every resource: none either", async () => {
    expect(await server.analyzeStack(stack)).toEqual([]);
    const perResource = [];
    for (const r of stack) perResource.push(...(await server.analyze(r)));
    expect(perResource).toEqual([]);
  });

  it("a break is a mandatory diagnostic naming the policy, the resource and the rule", async () => {
    const s = cloneStack(stack);
    s.splice(s.indexOf(find(s, "NetworkPolicy", "tenant-acme-corp-org-secops", "tenant-isolation")), 1);
    const ns = find(s, "Namespace", undefined, "tenant-acme-corp-org-secops");
    const diagnostics = await server.analyzeStack(s);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ policyName: "tenant-namespace-default-deny", policyPackName: "tenancy-isolation", enforcementLevel: "mandatory", urn: ns.urn });
    expect(diagnostics[0].message).toContain('Namespace tenant-acme-corp-org-secops (tenant "acme-corp") has no NetworkPolicy "tenant-isolation"');

    const copy = tenantCaSecret(cloneStack(stack), "acme-corp", "default");
    const perResource = await server.analyze(copy);
    expect(perResource.map((d) => [d.policyName, d.enforcementLevel])).toEqual([["signing-keys-in-platform-namespace", "mandatory"]]);
    expect(perResource[0].message).toContain("the private key of CA certificate");
  });

  it("reads account JWTs from the push resources it is sent: an exporting tenant account is a mandatory diagnostic on the push", async () => {
    const s = cloneStack(stack);
    const push = s.find((r) => r.type === "pulumi-nodejs:dynamic:Resource" && r.urn.endsWith("::globex/nats-account-push"))!;
    push.props.jwt = withExports(plainInputs(push).jwt);
    const diagnostics = await server.analyzeStack(s);
    expect(diagnostics.map((d) => [d.policyName, d.enforcementLevel, d.urn])).toEqual([["nats-user-in-tenant-account", "mandatory", push.urn]]);
    expect(diagnostics[0].message).toContain("account push globex/nats-account-push (input jwt): tenant account TENANT_globex");
  });
});
