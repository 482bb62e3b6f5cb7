/**
 * Unit tests for the NetworkPolicy reachability oracle. Policy fixtures are transcribed from
 * https://kubernetes.io/docs/concepts/services-networking/network-policies/ where the docs have
 * an example; every test checks both an allowed and a denied outcome so that a wrong semantic
 * (OR vs AND, missing defaulting, wrong namespace scoping, ...) makes it fail.
 */
import { describe, it, expect } from "vitest";
import {
  ReachabilityOracle,
  selectorMatches,
  type Endpoint,
  type NamespaceInfo,
  type NetworkPolicyObject,
  type PodInfo,
  type Verdict,
} from "./reachability";

// --- helpers --------------------------------------------------------------------------------

const pod = (namespace: string, name: string, labels: Record<string, string>, extra: Partial<PodInfo> = {}): PodInfo => ({
  namespace,
  name,
  labels,
  ...extra,
});
const P = (p: PodInfo): Endpoint => ({ pod: p });
const X = (ip: string): Endpoint => ({ external: { ip } });

function np(namespace: string, name: string, spec: NetworkPolicyObject["spec"]): NetworkPolicyObject {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace }, spec };
}

// The failure message carries the oracle's reason, which makes a wrong verdict easy to diagnose.
function allowed(v: Verdict): void {
  expect(v.allowed, v.reason).toBe(true);
}
function denied(v: Verdict): void {
  expect(v.allowed, v.reason).toBe(false);
}

// A small cluster used by most tests.
const NAMESPACES: NamespaceInfo[] = [
  { name: "default" },
  { name: "myproject-ns", labels: { project: "myproject" } },
  { name: "other" },
];
const db = pod("default", "db", { role: "db" }, { ip: "10.244.0.10" });
const frontend = pod("default", "frontend", { role: "frontend" }, { ip: "10.244.0.11" });
const backend = pod("default", "backend", { role: "backend" });
const otherFrontend = pod("other", "frontend", { role: "frontend" });
const myprojectPod = pod("myproject-ns", "worker", { app: "worker" });
const PODS = [db, frontend, backend, otherFrontend, myprojectPod];

const oracle = (policies: NetworkPolicyObject[], namespaces = NAMESPACES, pods = PODS) =>
  new ReachabilityOracle({ namespaces, pods, policies });

// --- selectors ------------------------------------------------------------------------------

describe("selectorMatches", () => {
  it("empty selector matches everything; matchLabels must all match", () => {
    expect(selectorMatches({}, {})).toBe(true);
    expect(selectorMatches({}, { a: "1" })).toBe(true);
    expect(selectorMatches(undefined, { a: "1" })).toBe(true);
    expect(selectorMatches({ matchLabels: { a: "1", b: "2" } }, { a: "1", b: "2", c: "3" })).toBe(true);
    expect(selectorMatches({ matchLabels: { a: "1", b: "2" } }, { a: "1" })).toBe(false);
    expect(selectorMatches({ matchLabels: { a: "1" } }, { a: "2" })).toBe(false);
  });

  it("implements In / NotIn / Exists / DoesNotExist", () => {
    const inSel = { matchExpressions: [{ key: "env", operator: "In" as const, values: ["dev", "test"] }] };
    expect(selectorMatches(inSel, { env: "dev" })).toBe(true);
    expect(selectorMatches(inSel, { env: "prod" })).toBe(false);
    expect(selectorMatches(inSel, {})).toBe(false);

    const notIn = { matchExpressions: [{ key: "env", operator: "NotIn" as const, values: ["prod"] }] };
    expect(selectorMatches(notIn, { env: "dev" })).toBe(true);
    expect(selectorMatches(notIn, {})).toBe(true); // a missing key satisfies NotIn
    expect(selectorMatches(notIn, { env: "prod" })).toBe(false);

    const exists = { matchExpressions: [{ key: "team", operator: "Exists" as const }] };
    expect(selectorMatches(exists, { team: "" })).toBe(true);
    expect(selectorMatches(exists, { other: "x" })).toBe(false);

    const notExists = { matchExpressions: [{ key: "team", operator: "DoesNotExist" as const }] };
    expect(selectorMatches(notExists, {})).toBe(true);
    expect(selectorMatches(notExists, { team: "a" })).toBe(false);
  });

  it("ANDs matchLabels with every matchExpression", () => {
    const sel = {
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "env", operator: "In" as const, values: ["prod"] },
        { key: "canary", operator: "DoesNotExist" as const },
      ],
    };
    expect(selectorMatches(sel, { app: "web", env: "prod" })).toBe(true);
    expect(selectorMatches(sel, { app: "web", env: "prod", canary: "true" })).toBe(false);
    expect(selectorMatches(sel, { app: "api", env: "prod" })).toBe(false);
    expect(selectorMatches(sel, { app: "web", env: "dev" })).toBe(false);
  });

  it("rejects invalid selectors", () => {
    expect(() => selectorMatches({ matchExpressions: [{ key: "a", operator: "Equals" as never, values: ["x"] }] }, {})).toThrow(/unknown operator/);
    expect(() => selectorMatches({ matchExpressions: [{ key: "a", operator: "In" }] }, {})).toThrow(/non-empty/);
    expect(() => selectorMatches({ matchExpressions: [{ key: "a", operator: "NotIn", values: [] }] }, {})).toThrow(/non-empty/);
    expect(() => selectorMatches({ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] }, {})).toThrow(/may not be specified/);
  });
});

// --- documentation examples -----------------------------------------------------------------

describe("docs: test-network-policy example", () => {
  const policy = np("default", "test-network-policy", {
    podSelector: { matchLabels: { role: "db" } },
    policyTypes: ["Ingress", "Egress"],
    ingress: [
      {
        from: [
          { ipBlock: { cidr: "172.17.0.0/16", except: ["172.17.1.0/24"] } },
          { namespaceSelector: { matchLabels: { project: "myproject" } } },
          { podSelector: { matchLabels: { role: "frontend" } } },
        ],
        ports: [{ protocol: "TCP", port: 6379 }],
      },
    ],
    egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/24" } }], ports: [{ protocol: "TCP", port: 5978 }] }],
  });
  const o = oracle([policy]);

  it("ingress to role=db on TCP 6379 from role=frontend in the policy's namespace only", () => {
    const v = o.canConnect(P(frontend), P(db), 6379);
    allowed(v);
    expect(v.reason).toContain("default/test-network-policy ingress[0]");
    // podSelector alone selects pods in the NetworkPolicy's namespace, not role=frontend everywhere.
    denied(o.canConnect(P(otherFrontend), P(db), 6379));
    denied(o.canConnect(P(backend), P(db), 6379));
  });

  it("ingress from any pod in a namespace labelled project=myproject", () => {
    allowed(o.canConnect(P(myprojectPod), P(db), 6379));
    denied(o.canConnect(P(myprojectPod), P(db), 6380));
  });

  it("ingress from 172.17.0.0/16 except 172.17.1.0/24", () => {
    allowed(o.canConnect(X("172.17.0.0"), P(db), 6379));
    allowed(o.canConnect(X("172.17.0.255"), P(db), 6379));
    denied(o.canConnect(X("172.17.1.0"), P(db), 6379));
    denied(o.canConnect(X("172.17.1.255"), P(db), 6379));
    allowed(o.canConnect(X("172.17.2.0"), P(db), 6379));
    allowed(o.canConnect(X("172.17.255.255"), P(db), 6379));
    denied(o.canConnect(X("172.16.255.255"), P(db), 6379));
    denied(o.canConnect(X("172.18.0.0"), P(db), 6379));
  });

  it("ingress only on TCP 6379", () => {
    denied(o.canConnect(P(frontend), P(db), 6380));
    denied(o.canConnect(P(frontend), P(db), 6379, "UDP"));
    denied(o.canConnect(X("172.17.0.1"), P(db), 6379, "SCTP"));
  });

  it("egress from role=db only to 10.0.0.0/24 on TCP 5978", () => {
    allowed(o.canConnect(P(db), X("10.0.0.7"), 5978));
    allowed(o.canConnect(P(db), X("10.0.0.255"), 5978));
    denied(o.canConnect(P(db), X("10.0.1.7"), 5978));
    denied(o.canConnect(P(db), X("10.0.0.7"), 5979));
    denied(o.canConnect(P(db), X("10.0.0.7"), 5978, "UDP"));
    // frontend is not isolated for ingress, yet db's egress isolation still blocks the connection.
    denied(o.canConnect(P(db), P(frontend), 6379));
    allowed(o.ingressAllowed(P(db), frontend, 6379));
  });

  it("ipBlock matches a pod only through its given IP", () => {
    const inRange = pod("other", "in-range", { app: "x" }, { ip: "10.0.0.9" });
    const noIp = pod("other", "no-ip", { app: "x" });
    const o2 = oracle([policy], NAMESPACES, [...PODS, inRange, noIp]);
    allowed(o2.canConnect(P(db), P(inRange), 5978));
    denied(o2.canConnect(P(db), P(noIp), 5978));
  });

  it("leaves pods the policy does not select alone", () => {
    allowed(o.canConnect(P(backend), P(frontend), 12345));
    allowed(o.canConnect(X("8.8.8.8"), P(frontend), 80));
    allowed(o.canConnect(P(frontend), X("8.8.8.8"), 443));
  });
});

describe("docs: default deny all ingress traffic", () => {
  const o = oracle([np("default", "default-deny-ingress", { podSelector: {}, policyTypes: ["Ingress"] })]);

  it("isolates every pod in the namespace for ingress", () => {
    denied(o.canConnect(P(frontend), P(db), 80));
    denied(o.canConnect(P(otherFrontend), P(backend), 80));
    denied(o.canConnect(X("1.2.3.4"), P(db), 443));
    expect(o.ingressAllowed(X("1.2.3.4"), db, 443).reason).toContain("default/default-deny-ingress");
  });

  it("does not affect egress nor other namespaces", () => {
    allowed(o.canConnect(P(db), P(otherFrontend), 80));
    allowed(o.canConnect(P(db), X("1.2.3.4"), 443));
    allowed(o.canConnect(P(myprojectPod), P(otherFrontend), 80));
  });
});

describe("docs: allow all ingress traffic", () => {
  const denyAll = np("default", "default-deny-ingress", { podSelector: {}, policyTypes: ["Ingress"] });
  const allowAll = np("default", "allow-all-ingress", { podSelector: {}, ingress: [{}], policyTypes: ["Ingress"] });
  const narrow = np("default", "db-only-frontend", {
    podSelector: { matchLabels: { role: "db" } },
    ingress: [{ from: [{ podSelector: { matchLabels: { role: "frontend" } } }] }],
  });

  it("no additional policy can cause an incoming connection to be denied", () => {
    // Control: without allow-all these are denied.
    denied(oracle([denyAll, narrow]).canConnect(P(otherFrontend), P(db), 5432));
    denied(oracle([denyAll, narrow]).canConnect(X("203.0.113.9"), P(backend), 80, "UDP"));
    const o = oracle([denyAll, narrow, allowAll]);
    allowed(o.canConnect(P(otherFrontend), P(db), 5432));
    allowed(o.canConnect(X("203.0.113.9"), P(backend), 80, "UDP"));
    allowed(o.canConnect(P(myprojectPod), P(frontend), 65535, "SCTP"));
  });
});

describe("docs: default deny all egress traffic", () => {
  const o = oracle([np("default", "default-deny-egress", { podSelector: {}, policyTypes: ["Egress"] })]);

  it("isolates every pod in the namespace for egress", () => {
    denied(o.canConnect(P(db), X("8.8.8.8"), 53, "UDP"));
    denied(o.canConnect(P(frontend), P(otherFrontend), 80));
    denied(o.canConnect(P(frontend), P(db), 80)); // even within the namespace
    expect(o.egressAllowed(frontend, P(db), 80).reason).toContain("default/default-deny-egress");
  });

  it("does not change ingress isolation", () => {
    allowed(o.canConnect(P(otherFrontend), P(db), 80));
    allowed(o.canConnect(X("8.8.8.8"), P(db), 80));
    allowed(o.canConnect(P(otherFrontend), X("8.8.8.8"), 80));
  });
});

describe("docs: allow all egress traffic", () => {
  const denyAll = np("default", "default-deny-egress", { podSelector: {}, policyTypes: ["Egress"] });
  const allowAll = np("default", "allow-all-egress", { podSelector: {}, egress: [{}], policyTypes: ["Egress"] });

  it("overrides any egress isolation in the namespace", () => {
    denied(oracle([denyAll]).canConnect(P(db), X("8.8.8.8"), 443));
    const o = oracle([denyAll, allowAll]);
    allowed(o.canConnect(P(db), X("8.8.8.8"), 443));
    allowed(o.canConnect(P(db), P(otherFrontend), 9999, "UDP"));
    // ...while ingress stays governed by ingress policies only.
    allowed(o.canConnect(X("8.8.8.8"), P(db), 443));
  });
});

describe("docs: default deny all ingress and all egress traffic", () => {
  const o = oracle([np("default", "default-deny-all", { podSelector: {}, policyTypes: ["Ingress", "Egress"] })]);

  it("denies both directions for the namespace's pods", () => {
    denied(o.canConnect(P(frontend), P(db), 6379));
    denied(o.canConnect(X("172.17.0.1"), P(db), 6379));
    denied(o.canConnect(P(db), X("10.0.0.1"), 5978));
    denied(o.canConnect(P(otherFrontend), P(db), 80));
    denied(o.canConnect(P(db), P(otherFrontend), 80));
  });

  it("leaves other namespaces open", () => {
    allowed(o.canConnect(P(otherFrontend), P(myprojectPod), 80));
    allowed(o.canConnect(X("1.1.1.1"), P(otherFrontend), 80));
  });

  it("a pod cannot block access to itself", () => {
    allowed(o.canConnect(P(db), P(db), 6379));
  });
});

describe("docs: namespaceSelector AND podSelector in one element vs two elements", () => {
  const namespaces: NamespaceInfo[] = [
    { name: "default" },
    { name: "alice-ns", labels: { user: "alice" } },
    { name: "bob-ns", labels: { user: "bob" } },
  ];
  const target = pod("default", "target", { app: "target" });
  const aliceClient = pod("alice-ns", "client", { role: "client" });
  const aliceServer = pod("alice-ns", "server", { role: "server" });
  const bobClient = pod("bob-ns", "client", { role: "client" });
  const localClient = pod("default", "client", { role: "client" });
  const localServer = pod("default", "server", { role: "server" });
  const pods = [target, aliceClient, aliceServer, bobClient, localClient, localServer];

  it("one element: role=client pods in namespaces with user=alice (AND)", () => {
    const o = oracle(
      [
        np("default", "and", {
          podSelector: { matchLabels: { app: "target" } },
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { user: "alice" } }, podSelector: { matchLabels: { role: "client" } } }] }],
        }),
      ],
      namespaces,
      pods,
    );
    allowed(o.canConnect(P(aliceClient), P(target), 80));
    denied(o.canConnect(P(aliceServer), P(target), 80));
    denied(o.canConnect(P(bobClient), P(target), 80));
    denied(o.canConnect(P(localClient), P(target), 80));
  });

  it("two elements: local role=client pods OR any pod in user=alice namespaces", () => {
    const o = oracle(
      [
        np("default", "or", {
          podSelector: { matchLabels: { app: "target" } },
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { user: "alice" } } }, { podSelector: { matchLabels: { role: "client" } } }] }],
        }),
      ],
      namespaces,
      pods,
    );
    allowed(o.canConnect(P(aliceClient), P(target), 80));
    allowed(o.canConnect(P(aliceServer), P(target), 80));
    allowed(o.canConnect(P(localClient), P(target), 80));
    denied(o.canConnect(P(bobClient), P(target), 80));
    denied(o.canConnect(P(localServer), P(target), 80));
  });

  it("empty namespaceSelector selects every namespace", () => {
    const o = oracle(
      [
        np("default", "clients-anywhere", {
          podSelector: { matchLabels: { app: "target" } },
          ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { role: "client" } } }] }],
        }),
      ],
      namespaces,
      pods,
    );
    allowed(o.canConnect(P(bobClient), P(target), 80));
    allowed(o.canConnect(P(localClient), P(target), 80));
    denied(o.canConnect(P(aliceServer), P(target), 80));
    denied(o.canConnect(X("10.0.0.1"), P(target), 80)); // selectors never match external traffic
  });
});

describe("docs: targeting a range of ports (endPort)", () => {
  const o = oracle([
    np("default", "multi-port-egress", {
      podSelector: { matchLabels: { role: "db" } },
      policyTypes: ["Egress"],
      egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/24" } }], ports: [{ protocol: "TCP", port: 32000, endPort: 32768 }] }],
    }),
  ]);

  it("allows the inclusive range 32000-32768 over TCP to 10.0.0.0/24 only", () => {
    allowed(o.canConnect(P(db), X("10.0.0.1"), 32000));
    allowed(o.canConnect(P(db), X("10.0.0.1"), 32400));
    allowed(o.canConnect(P(db), X("10.0.0.1"), 32768));
    denied(o.canConnect(P(db), X("10.0.0.1"), 31999));
    denied(o.canConnect(P(db), X("10.0.0.1"), 32769));
    denied(o.canConnect(P(db), X("10.0.0.1"), 32000, "UDP"));
    denied(o.canConnect(P(db), X("10.0.1.1"), 32000));
    allowed(o.canConnect(P(frontend), X("10.0.1.1"), 80)); // not selected
  });
});

describe("docs: targeting a namespace by its name", () => {
  const namespaces: NamespaceInfo[] = [
    { name: "default" },
    { name: "my-namespace" }, // no labels given: the oracle adds kubernetes.io/metadata.name
    { name: "impostor", labels: { "kubernetes.io/metadata.name": "my-namespace" } }, // overwritten by the API server
  ];
  const app = pod("default", "app", { app: "myapp" });
  const unselected = pod("default", "unselected", { app: "other" });
  const inTarget = pod("my-namespace", "svc", { app: "svc" });
  const inImpostor = pod("impostor", "svc", { app: "svc" });
  const o = oracle(
    [
      np("default", "egress-to-specific-namespace", {
        podSelector: { matchLabels: { app: "myapp" } },
        policyTypes: ["Egress"],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "my-namespace" } } }] }],
      }),
    ],
    namespaces,
    [app, unselected, inTarget, inImpostor],
  );

  it("allows egress only to the namespace with that name", () => {
    allowed(o.canConnect(P(app), P(inTarget), 8080));
    denied(o.canConnect(P(app), P(inImpostor), 8080));
    denied(o.canConnect(P(app), P(unselected), 8080)); // its own namespace is not my-namespace
    denied(o.canConnect(P(app), X("93.184.216.34"), 443));
    allowed(o.canConnect(P(unselected), P(inImpostor), 8080));
  });
});

// --- further semantics ----------------------------------------------------------------------

describe("policies are additive", () => {
  const a = pod("default", "a", { role: "a" });
  const b = pod("default", "b", { role: "b" });
  const c = pod("default", "c", { role: "c" });
  const server = pod("default", "server", { app: "server" });
  const fromA = np("default", "from-a-on-80", {
    podSelector: { matchLabels: { app: "server" } },
    ingress: [{ from: [{ podSelector: { matchLabels: { role: "a" } } }], ports: [{ port: 80 }] }],
  });
  const fromB = np("default", "from-b-on-81", {
    podSelector: { matchLabels: { app: "server" } },
    ingress: [{ from: [{ podSelector: { matchLabels: { role: "b" } } }], ports: [{ port: 81 }] }],
  });

  it("unions the rules of every policy selecting the pod, independent of order", () => {
    for (const policies of [[fromA, fromB], [fromB, fromA]]) {
      const o = oracle(policies, NAMESPACES, [a, b, c, server]);
      const va = o.canConnect(P(a), P(server), 80);
      allowed(va);
      expect(va.reason).toContain("default/from-a-on-80");
      denied(o.canConnect(P(a), P(server), 81));
      const vb = o.canConnect(P(b), P(server), 81);
      allowed(vb);
      expect(vb.reason).toContain("default/from-b-on-81");
      denied(o.canConnect(P(b), P(server), 80));
      denied(o.canConnect(P(c), P(server), 80));
      denied(o.canConnect(P(c), P(server), 81));
    }
  });

  it("a policy's rules are scoped to pods in the policy's own namespace", () => {
    // Same selector in another namespace selects nothing in default.
    const elsewhere = np("other", "deny-all", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    const o = oracle([elsewhere], NAMESPACES, [a, server, otherFrontend]);
    allowed(o.canConnect(P(a), P(server), 80));
    denied(o.canConnect(P(a), P(otherFrontend), 80));
  });
});

describe("policyTypes defaulting", () => {
  const client = pod("default", "client", { app: "client" });
  const server = pod("default", "server", { app: "server" });
  const pods = [client, server, otherFrontend];

  it("ingress rules only, no policyTypes: Ingress only", () => {
    const o = oracle(
      [np("default", "p", { podSelector: { matchLabels: { app: "server" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "client" } } }] }] })],
      NAMESPACES,
      pods,
    );
    allowed(o.canConnect(P(client), P(server), 80));
    denied(o.canConnect(P(otherFrontend), P(server), 80));
    allowed(o.canConnect(P(server), X("8.8.8.8"), 53, "UDP")); // not isolated for egress
  });

  it("egress rules, no policyTypes: Egress AND Ingress (with no ingress rules, so all ingress denied)", () => {
    const o = oracle(
      [np("default", "p", { podSelector: { matchLabels: { app: "server" } }, egress: [{ ports: [{ protocol: "UDP", port: 53 }] }] })],
      NAMESPACES,
      pods,
    );
    allowed(o.canConnect(P(server), X("8.8.8.8"), 53, "UDP"));
    denied(o.canConnect(P(server), X("8.8.8.8"), 443));
    denied(o.canConnect(P(client), P(server), 80));
    expect(o.ingressAllowed(P(client), server, 80).reason).toContain("default/p");
  });

  it("no rules and no policyTypes: deny all ingress, egress untouched", () => {
    const o = oracle([np("default", "p", { podSelector: {} })], NAMESPACES, pods);
    denied(o.canConnect(P(client), P(server), 80));
    allowed(o.canConnect(P(client), P(otherFrontend), 80));
  });

  it("an empty policyTypes list is the same as an absent one", () => {
    const o = oracle([np("default", "p", { podSelector: {}, policyTypes: [], egress: [{ ports: [{ port: 443 }] }] })], NAMESPACES, pods);
    denied(o.canConnect(P(otherFrontend), P(server), 80)); // Ingress defaulted in
    allowed(o.canConnect(P(server), X("1.1.1.1"), 443)); // Egress defaulted in, rule allows 443
    denied(o.canConnect(P(server), X("1.1.1.1"), 80));
  });

  it("egress: [] without policyTypes adds no Egress (API server checks len(egress) != 0)", () => {
    const o = oracle([np("default", "p", { podSelector: {}, egress: [] })], NAMESPACES, pods);
    allowed(o.canConnect(P(server), X("1.1.1.1"), 443));
    denied(o.canConnect(X("1.1.1.1"), P(server), 443));
  });

  it("explicit policyTypes: [Egress] ignores the ingress list and does not isolate ingress", () => {
    const o = oracle(
      [
        np("default", "p", {
          podSelector: { matchLabels: { app: "server" } },
          policyTypes: ["Egress"],
          ingress: [{ from: [{ podSelector: { matchLabels: { app: "client" } } }] }],
          egress: [],
        }),
      ],
      NAMESPACES,
      pods,
    );
    allowed(o.canConnect(P(otherFrontend), P(server), 80));
    denied(o.canConnect(P(server), P(client), 80));
  });

  it("explicit policyTypes with an empty rule list allows nothing in that direction", () => {
    const o = oracle([np("default", "p", { podSelector: { matchLabels: { app: "server" } }, policyTypes: ["Ingress"], ingress: [] })], NAMESPACES, pods);
    denied(o.canConnect(P(client), P(server), 80));
    allowed(o.canConnect(P(server), P(client), 80));
  });
});

describe("pod-to-pod needs egress at the source AND ingress at the destination", () => {
  const src = pod("default", "src", { app: "src" });
  const dst = pod("other", "dst", { app: "dst" });
  const egressToDst = np("default", "src-egress", {
    podSelector: { matchLabels: { app: "src" } },
    policyTypes: ["Egress"],
    egress: [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "other" } }, podSelector: { matchLabels: { app: "dst" } } }] }],
  });
  const egressDenyAll = np("default", "src-egress", { podSelector: { matchLabels: { app: "src" } }, policyTypes: ["Egress"] });
  const ingressFromSrc = np("other", "dst-ingress", {
    podSelector: { matchLabels: { app: "dst" } },
    ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "default" } }, podSelector: { matchLabels: { app: "src" } } }] }],
  });
  const ingressDenyAll = np("other", "dst-ingress", { podSelector: { matchLabels: { app: "dst" } }, policyTypes: ["Ingress"] });
  const run = (...policies: NetworkPolicyObject[]) => oracle(policies, NAMESPACES, [src, dst]).canConnect(P(src), P(dst), 8080);

  it("both sides allow: allowed", () => {
    const v = run(egressToDst, ingressFromSrc);
    allowed(v);
    expect(v.reason).toContain("default/src-egress egress[0]");
    expect(v.reason).toContain("other/dst-ingress ingress[0]");
  });

  it("either side denying is enough to deny", () => {
    denied(run(egressToDst, ingressDenyAll));
    denied(run(egressDenyAll, ingressFromSrc));
    denied(run(egressDenyAll, ingressDenyAll));
  });

  it("egressAllowed / ingressAllowed evaluate one side each", () => {
    const o = oracle([egressDenyAll, ingressFromSrc], NAMESPACES, [src, dst]);
    denied(o.egressAllowed(src, P(dst), 8080));
    allowed(o.ingressAllowed(P(src), dst, 8080));
    // The reverse direction is a different connection: dst egress is not isolated, src ingress is not isolated.
    allowed(o.canConnect(P(dst), P(src), 8080));
  });
});

describe("named ports", () => {
  const web = pod("default", "web", { app: "web" }, { namedPorts: { http: 8080 } });
  const webNoPorts = pod("default", "web-bare", { app: "web" });
  const alt = pod("default", "alt", { app: "alt" }, { namedPorts: { http: 9090 } });
  const client = pod("default", "client", { app: "client" }, { namedPorts: { http: 9000 } });
  const pods = [web, webNoPorts, alt, client];

  it("ingress: resolves against the selected (destination) pod", () => {
    const o = oracle([np("default", "web-http", { podSelector: { matchLabels: { app: "web" } }, ingress: [{ ports: [{ port: "http" }] }] })], NAMESPACES, pods);
    allowed(o.canConnect(P(client), P(web), 8080));
    denied(o.canConnect(P(client), P(web), 80));
    denied(o.canConnect(P(client), P(web), 9000)); // the source's own "http" is irrelevant
    denied(o.canConnect(P(client), P(web), 8080, "UDP")); // protocol still defaults to TCP
    denied(o.canConnect(P(client), P(webNoPorts), 8080)); // unresolvable: no match
  });

  it("egress: resolves against the destination pod, never against an external endpoint", () => {
    const o = oracle(
      [np("default", "client-http", { podSelector: { matchLabels: { app: "client" } }, policyTypes: ["Egress"], egress: [{ ports: [{ protocol: "TCP", port: "http" }] }] })],
      NAMESPACES,
      pods,
    );
    allowed(o.canConnect(P(client), P(web), 8080));
    allowed(o.canConnect(P(client), P(alt), 9090));
    denied(o.canConnect(P(client), P(alt), 8080));
    denied(o.canConnect(P(client), P(web), 9000)); // the source's own "http" is irrelevant
    denied(o.canConnect(P(client), X("1.2.3.4"), 8080));
  });
});

describe("matchExpressions in policies", () => {
  const namespaces: NamespaceInfo[] = [
    { name: "default" },
    { name: "staging", labels: { env: "staging" } },
    { name: "testing", labels: { env: "testing" } },
    { name: "prod", labels: { env: "prod" } },
    { name: "unlabelled" },
  ];
  const target = pod("default", "target", { app: "target" });
  const stagingApi = pod("staging", "api", { tier: "api", team: "a" });
  const stagingDb = pod("staging", "db", { tier: "db", team: "a" });
  const testingApi = pod("testing", "api", { tier: "api", team: "b" });
  const testingNoTeam = pod("testing", "noteam", { tier: "api" });
  const prodApi = pod("prod", "api", { tier: "api", team: "a" });
  const unlabelledApi = pod("unlabelled", "api", { tier: "api", team: "a", canary: "yes" });
  const pods = [target, stagingApi, stagingDb, testingApi, testingNoTeam, prodApi, unlabelledApi];

  it("namespaceSelector In + podSelector NotIn/Exists", () => {
    const o = oracle(
      [
        np("default", "exprs", {
          podSelector: { matchLabels: { app: "target" } },
          ingress: [
            {
              from: [
                {
                  namespaceSelector: { matchExpressions: [{ key: "env", operator: "In", values: ["staging", "testing"] }] },
                  podSelector: {
                    matchExpressions: [
                      { key: "tier", operator: "NotIn", values: ["db"] },
                      { key: "team", operator: "Exists" },
                    ],
                  },
                },
              ],
            },
          ],
        }),
      ],
      namespaces,
      pods,
    );
    allowed(o.canConnect(P(stagingApi), P(target), 80));
    allowed(o.canConnect(P(testingApi), P(target), 80));
    denied(o.canConnect(P(stagingDb), P(target), 80)); // NotIn
    denied(o.canConnect(P(testingNoTeam), P(target), 80)); // Exists
    denied(o.canConnect(P(prodApi), P(target), 80)); // In on namespace
  });

  it("namespaceSelector NotIn / DoesNotExist", () => {
    const o = oracle(
      [
        np("default", "exprs", {
          podSelector: { matchLabels: { app: "target" } },
          ingress: [
            {
              from: [
                {
                  namespaceSelector: { matchExpressions: [{ key: "env", operator: "NotIn", values: ["prod"] }] },
                  podSelector: { matchExpressions: [{ key: "canary", operator: "DoesNotExist" }] },
                },
              ],
            },
          ],
        }),
      ],
      namespaces,
      pods,
    );
    allowed(o.canConnect(P(stagingDb), P(target), 80));
    denied(o.canConnect(P(prodApi), P(target), 80)); // NotIn prod
    denied(o.canConnect(P(unlabelledApi), P(target), 80)); // NotIn ok (no env), DoesNotExist fails
  });
});

describe("rule shape: empty / absent from, to and ports", () => {
  const server = pod("default", "server", { app: "server" });
  const pods = [server, otherFrontend];

  it("from absent or empty matches every source, including external", () => {
    for (const rule of [{ ports: [{ port: 443 }] }, { from: [], ports: [{ port: 443 }] }]) {
      const o = oracle([np("default", "p", { podSelector: {}, ingress: [rule] })], NAMESPACES, pods);
      allowed(o.canConnect(P(otherFrontend), P(server), 443));
      allowed(o.canConnect(X("198.51.100.1"), P(server), 443));
      denied(o.canConnect(X("198.51.100.1"), P(server), 444));
    }
  });

  it("ports absent or empty matches every port and protocol", () => {
    for (const rule of [{ to: [{ ipBlock: { cidr: "192.168.0.0/16" } }] }, { to: [{ ipBlock: { cidr: "192.168.0.0/16" } }], ports: [] }]) {
      const o = oracle([np("default", "p", { podSelector: {}, policyTypes: ["Egress"], egress: [rule] })], NAMESPACES, pods);
      allowed(o.canConnect(P(server), X("192.168.4.4"), 1, "SCTP"));
      allowed(o.canConnect(P(server), X("192.168.4.4"), 65535, "UDP"));
      denied(o.canConnect(P(server), X("192.169.0.1"), 80));
    }
  });

  it("a port entry with only a protocol matches every port of that protocol", () => {
    const o = oracle([np("default", "p", { podSelector: {}, ingress: [{ ports: [{ protocol: "UDP" }] }] })], NAMESPACES, pods);
    allowed(o.canConnect(X("1.1.1.1"), P(server), 53, "UDP"));
    allowed(o.canConnect(X("1.1.1.1"), P(server), 5353, "UDP"));
    denied(o.canConnect(X("1.1.1.1"), P(server), 53));
  });

  it("canConnect defaults the protocol to TCP", () => {
    const o = oracle([np("default", "p", { podSelector: {}, ingress: [{ ports: [{ protocol: "UDP", port: 53 }] }] })], NAMESPACES, pods);
    denied(o.canConnect(X("1.1.1.1"), P(server), 53));
    allowed(o.canConnect(X("1.1.1.1"), P(server), 53, "UDP"));
  });

  it("0.0.0.0/0 matches every IPv4 address", () => {
    const o = oracle(
      [np("default", "p", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }] }] })],
      NAMESPACES,
      pods,
    );
    allowed(o.canConnect(P(server), X("255.255.255.255"), 80));
    allowed(o.canConnect(P(server), X("0.0.0.0"), 80));
    denied(o.canConnect(P(server), X("10.1.2.3"), 80));
  });
});

describe("malformed input throws", () => {
  const valid = (): NetworkPolicyObject => np("default", "p", { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] });
  const build = (p: NetworkPolicyObject) => () => oracle([p]);
  const withPeer = (peer: unknown) => np("default", "p", { podSelector: {}, ingress: [{ from: [peer as never] }] });

  it("accepts the valid baseline", () => {
    expect(build(valid())).not.toThrow();
  });

  it("unknown policyType", () => {
    expect(build(np("default", "p", { podSelector: {}, policyTypes: ["ingress" as never] }))).toThrow(/unknown policyType/);
    expect(build(np("default", "p", { podSelector: {}, policyTypes: ["Ingress", "Egress", "Ingress"] }))).toThrow(/more than two/);
  });

  it("missing metadata.namespace or name", () => {
    const p = valid();
    expect(build({ ...p, metadata: { name: "p" } as never })).toThrow(/metadata.namespace is required/);
    expect(build({ ...p, metadata: { name: "p", namespace: "" } })).toThrow(/metadata.namespace is required/);
    expect(build({ ...p, metadata: { namespace: "default" } as never })).toThrow(/metadata.name is required/);
  });

  it("peer with ipBlock and a selector, or with nothing", () => {
    expect(build(withPeer({ ipBlock: { cidr: "10.0.0.0/8" }, podSelector: {} }))).toThrow(/may not specify both ipBlock/);
    expect(build(withPeer({ ipBlock: { cidr: "10.0.0.0/8" }, namespaceSelector: { matchLabels: { a: "b" } } }))).toThrow(/may not specify both ipBlock/);
    expect(build(withPeer({}))).toThrow(/must specify a peer/);
  });

  it("bad matchExpressions", () => {
    expect(build(withPeer({ podSelector: { matchExpressions: [{ key: "a", operator: "Equals", values: ["x"] }] } }))).toThrow(/unknown operator/);
    expect(build(withPeer({ namespaceSelector: { matchExpressions: [{ key: "a", operator: "In" }] } }))).toThrow(/non-empty/);
    expect(build(withPeer({ namespaceSelector: { matchExpressions: [{ key: "a", operator: "NotIn", values: [] }] } }))).toThrow(/non-empty/);
    expect(build(np("default", "p", { podSelector: { matchExpressions: [{ key: "a", operator: "Bogus" as never }] } }))).toThrow(/unknown operator/);
  });

  it("bad ipBlock", () => {
    expect(build(withPeer({ ipBlock: { cidr: "10.0.0.0" } }))).toThrow(/CIDR/);
    expect(build(withPeer({ ipBlock: { cidr: "10.0.0.0/33" } }))).toThrow(/larger than 32/);
    expect(build(withPeer({ ipBlock: { cidr: "fd00::/8" } }))).toThrow(/IPv4/);
    expect(build(withPeer({ ipBlock: { cidr: "10.0.0.0/8", except: ["11.0.0.0/16"] } }))).toThrow(/strict subset/);
    expect(build(withPeer({ ipBlock: { cidr: "10.0.0.0/8", except: ["10.0.0.0/8"] } }))).toThrow(/strict subset/);
  });

  it("bad ports", () => {
    const withPort = (port: unknown) => np("default", "p", { podSelector: {}, ingress: [{ ports: [port as never] }] });
    expect(build(withPort({ protocol: "ICMP", port: 1 }))).toThrow(/unknown protocol/);
    expect(build(withPort({ port: 0 }))).toThrow(/out of range/);
    expect(build(withPort({ port: "80" }))).toThrow(/invalid named port/);
    expect(build(withPort({ port: "http", endPort: 90 }))).toThrow(/endPort requires a numeric port/);
    expect(build(withPort({ endPort: 90 }))).toThrow(/endPort requires a numeric port/);
    expect(build(withPort({ port: 100, endPort: 90 }))).toThrow(/endPort/);
  });

  it("unknown fields (typos that would widen a rule) and wrong kinds", () => {
    expect(build(np("default", "p", { podSelector: {}, ingress: [{ form: [{ podSelector: {} }] } as never] }))).toThrow(/unknown field "form"/);
    expect(build(np("default", "p", { podSelector: {}, ingres: [] } as never))).toThrow(/unknown field "ingres"/);
    expect(build({ ...valid(), kind: "CiliumNetworkPolicy" })).toThrow(/kind/);
    expect(build({ ...valid(), spec: { ingress: [] } as never })).toThrow(/podSelector is required/);
  });

  it("duplicate policies and unusable endpoints", () => {
    expect(() => oracle([valid(), valid()])).toThrow(/declared twice/);
    const o = oracle([valid()]);
    expect(() => o.canConnect(X("1.1.1.1"), X("2.2.2.2"), 80)).toThrow(/at least one end must be a pod/);
    expect(() => o.canConnect(P(pod("nowhere", "x", {})), P(db), 80)).toThrow(/namespace nowhere is not declared/);
    expect(() => o.canConnect(X("1.1.1"), P(db), 80)).toThrow(/IPv4/);
    expect(() => o.canConnect(P(frontend), P(db), 70000)).toThrow(/out of range/);
    expect(() => o.canConnect(P(frontend), P(db), 80, "ICMP" as never)).toThrow(/unknown protocol/);
  });
});
