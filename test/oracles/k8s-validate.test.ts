import { describe, it, expect } from "vitest";
import {
  isDns1123Label,
  isDns1123Subdomain,
  isValidLabelKey,
  isValidLabelValue,
  registerSchema,
  supportedKinds,
  validateManifest,
  type ManifestProblem,
} from "./k8s-validate";

// Captured before any test registers a custom schema, so "every supported kind" means the built-in ones.
const BUILTIN_KINDS = supportedKinds();

const NS = "tenant-acme";
const labels = { "app.kubernetes.io/name": "nats", "tenancy.serviceradar.io/tenant": "acme" };

/** One valid manifest per built-in kind; the workloads are deliberately rich so strictness cannot hide false positives. */
const VALID: Record<string, Record<string, unknown>> = {
  "v1/Namespace": {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: NS, labels, annotations: { "scheduler.alpha.kubernetes.io/node-selector": "pool=tenants" } },
  },
  "v1/ConfigMap": {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "nats.config", namespace: NS, labels },
    data: { "nats-server.conf": "port: 4222\n", ".hidden": "ok", "A_B-c.d": "x" },
    binaryData: { "logo.png": "iVBORw0KGgo=" },
  },
  "v1/Secret": {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "nats-creds", namespace: NS },
    type: "Opaque",
    data: { "user.creds": "c2VjcmV0" },
    stringData: { token: "plain" },
  },
  "v1/Service": {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "nats", namespace: NS, labels },
    spec: {
      type: "ClusterIP",
      selector: { "app.kubernetes.io/name": "nats" },
      ports: [
        { name: "client", port: 4222, targetPort: "client", protocol: "TCP" },
        { name: "monitor", port: 8222, targetPort: 8222 },
      ],
    },
  },
  "v1/ServiceAccount": {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "tenant-agent", namespace: NS },
    automountServiceAccountToken: false,
  },
  "v1/ResourceQuota": {
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: { name: "tenant-quota", namespace: NS },
    spec: { hard: { "requests.cpu": "4", "limits.memory": "8Gi", pods: 20, "count/secrets": "50" } },
  },
  "v1/LimitRange": {
    apiVersion: "v1",
    kind: "LimitRange",
    metadata: { name: "defaults", namespace: NS },
    spec: { limits: [{ type: "Container", default: { cpu: "500m", memory: "256Mi" }, defaultRequest: { cpu: "100m" }, max: { memory: "2Gi" } }] },
  },
  "networking.k8s.io/v1/NetworkPolicy": {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "allow-nats", namespace: NS },
    spec: {
      podSelector: { matchLabels: { "app.kubernetes.io/name": "nats" } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NS } } },
            { podSelector: { matchExpressions: [{ key: "role", operator: "In", values: ["agent"] }] } },
            { ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } },
          ],
          ports: [{ port: 4222, protocol: "TCP" }, { port: "monitor" }, { port: 30000, endPort: 32767 }],
        },
      ],
      egress: [{ to: [{ namespaceSelector: {} }], ports: [{ port: 53, protocol: "UDP" }] }],
    },
  },
  "rbac.authorization.k8s.io/v1/Role": {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "tenant:reader", namespace: NS },
    rules: [{ apiGroups: [""], resources: ["configmaps", "secrets"], resourceNames: ["nats-creds"], verbs: ["get", "list"] }],
  },
  "rbac.authorization.k8s.io/v1/RoleBinding": {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "tenant-reader", namespace: NS },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "tenant:reader" },
    subjects: [{ kind: "ServiceAccount", name: "tenant-agent", namespace: NS }],
  },
  "rbac.authorization.k8s.io/v1/ClusterRole": {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "system:tenancy-aggregate", labels: { "rbac.authorization.k8s.io/aggregate-to-view": "true" } },
    rules: [{ nonResourceURLs: ["/metrics"], verbs: ["get"] }],
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { "tenancy.serviceradar.io/aggregate": "true" } }] },
  },
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "tenancy-view" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
    subjects: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "tenant:acme" }],
  },
  "apps/v1/Deployment": {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "collector", namespace: NS, labels },
    spec: {
      replicas: 2,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
      selector: { matchLabels: { "app.kubernetes.io/name": "collector" } },
      template: {
        metadata: { labels: { "app.kubernetes.io/name": "collector" }, annotations: { "prometheus.io/scrape": "true" } },
        spec: {
          serviceAccountName: "tenant-agent",
          securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000, seccompProfile: { type: "RuntimeDefault" } },
          initContainers: [{ name: "init", image: "busybox:1.36", command: ["sh", "-c", "true"] }],
          containers: [
            {
              name: "collector",
              image: "otel/collector:0.100.0",
              imagePullPolicy: "IfNotPresent",
              args: ["--config=/etc/otel/config.yaml"],
              ports: [{ name: "otlp", containerPort: 4317, protocol: "TCP" }],
              env: [
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                { name: "TOKEN", valueFrom: { secretKeyRef: { name: "nats-creds", key: "token", optional: true } } },
              ],
              envFrom: [{ configMapRef: { name: "nats.config" } }],
              resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: 1, memory: "1Gi" } },
              readinessProbe: { httpGet: { path: "/ready", port: "otlp" }, periodSeconds: 10 },
              livenessProbe: { tcpSocket: { port: 4317 }, initialDelaySeconds: 5 },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
              volumeMounts: [{ name: "config", mountPath: "/etc/otel", readOnly: true }],
            },
          ],
          volumes: [
            { name: "config", configMap: { name: "nats.config", items: [{ key: "nats-server.conf", path: "config.yaml" }] } },
            { name: "scratch", emptyDir: { sizeLimit: "1Gi" } },
          ],
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { "app.kubernetes.io/name": "collector" } } } },
              ],
            },
          },
          tolerations: [{ key: "tenants", operator: "Exists", effect: "NoSchedule" }],
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway" }],
          nodeSelector: { "kubernetes.io/os": "linux" },
        },
      },
    },
  },
  "apps/v1/StatefulSet": {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "nats", namespace: NS },
    spec: {
      serviceName: "nats",
      replicas: 3,
      podManagementPolicy: "Parallel",
      selector: { matchLabels: { "app.kubernetes.io/name": "nats" } },
      template: {
        metadata: { labels: { "app.kubernetes.io/name": "nats" } },
        spec: { containers: [{ name: "nats", image: "nats:2.10", volumeMounts: [{ name: "data", mountPath: "/data" }] }] },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "data", labels: { "app.kubernetes.io/name": "nats" } },
          spec: { accessModes: ["ReadWriteOnce"], storageClassName: "fast", resources: { requests: { storage: "10Gi" } } },
        },
      ],
    },
  },
  "policy/v1/PodDisruptionBudget": {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: "nats", namespace: NS },
    spec: { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "nats" } } },
  },
  "batch/v1/Job": {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "suspend-acme", namespace: NS },
    spec: { backoffLimit: 3, template: { spec: { restartPolicy: "Never", containers: [{ name: "kubectl", image: "registry.k8s.io/kubectl:v1.31.0", args: ["get", "pods"] }] } } },
  },
  // From the Kubernetes documentation (Validating Admission Policy, "Getting Started").
  "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy": {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: "demo-policy.example.com" },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: { resourceRules: [{ apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["deployments"] }] },
      validations: [{ expression: "object.spec.replicas <= 5" }],
    },
  },
  "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding": {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name: "demo-binding-test.example.com" },
    spec: { policyName: "demo-policy.example.com", validationActions: ["Deny"], matchResources: { namespaceSelector: { matchLabels: { environment: "test" } } } },
  },
};

/** A deep copy of a valid fixture with `edit` applied, so each test changes exactly one thing. */
function variant(key: string, edit: (m: any) => void): Record<string, unknown> {
  const copy = structuredClone(VALID[key]!);
  edit(copy);
  return copy;
}

const at = (problems: ManifestProblem[], path: string) => problems.filter((p) => p.path === path);
/** Problems in path order, for assertions that should not depend on key order in the manifest. */
const byPath = (problems: ManifestProblem[]) => [...problems].sort((a, b) => a.path.localeCompare(b.path));

describe("name predicates", () => {
  it("isDns1123Label", () => {
    expect(isDns1123Label("tenant-acme")).toBe(true);
    expect(isDns1123Label("0abc")).toBe(true);
    expect(isDns1123Label("a".repeat(63))).toBe(true);
    expect(isDns1123Label("a".repeat(64))).toBe(false);
    expect(isDns1123Label("Tenant")).toBe(false);
    expect(isDns1123Label("tenant_acme")).toBe(false);
    expect(isDns1123Label("-tenant")).toBe(false);
    expect(isDns1123Label("tenant-")).toBe(false);
    expect(isDns1123Label("a.b")).toBe(false);
    expect(isDns1123Label("")).toBe(false);
  });

  it("isDns1123Subdomain", () => {
    expect(isDns1123Subdomain("nats.config")).toBe(true);
    expect(isDns1123Subdomain("a-b.c-d.e")).toBe(true);
    // Kubernetes checks only the total length, not each dot-separated label.
    expect(isDns1123Subdomain(`${"a".repeat(70)}.b`)).toBe(true);
    expect(isDns1123Subdomain("a".repeat(253))).toBe(true);
    expect(isDns1123Subdomain("a".repeat(254))).toBe(false);
    expect(isDns1123Subdomain("a..b")).toBe(false);
    expect(isDns1123Subdomain(".a")).toBe(false);
    expect(isDns1123Subdomain("a-.b")).toBe(false);
    expect(isDns1123Subdomain("Nats.config")).toBe(false);
    expect(isDns1123Subdomain("nats_config")).toBe(false);
  });

  it("isValidLabelKey", () => {
    expect(isValidLabelKey("app")).toBe(true);
    expect(isValidLabelKey("App_Name.x")).toBe(true);
    expect(isValidLabelKey("app.kubernetes.io/name")).toBe(true);
    expect(isValidLabelKey(`${"p".repeat(253)}/${"n".repeat(63)}`)).toBe(true);
    expect(isValidLabelKey(`${"p".repeat(254)}/n`)).toBe(false);
    expect(isValidLabelKey(`p/${"n".repeat(64)}`)).toBe(false);
    expect(isValidLabelKey("App.Kubernetes.io/name")).toBe(false); // prefix must be lower-case
    expect(isValidLabelKey("/name")).toBe(false);
    expect(isValidLabelKey("example.com/")).toBe(false);
    expect(isValidLabelKey("a/b/c")).toBe(false);
    expect(isValidLabelKey("-app")).toBe(false);
    expect(isValidLabelKey("")).toBe(false);
  });

  it("isValidLabelValue", () => {
    expect(isValidLabelValue("")).toBe(true);
    expect(isValidLabelValue("v1.2_3-RC")).toBe(true);
    expect(isValidLabelValue("a".repeat(63))).toBe(true);
    expect(isValidLabelValue("a".repeat(64))).toBe(false);
    expect(isValidLabelValue("-x")).toBe(false);
    expect(isValidLabelValue("x_")).toBe(false);
    expect(isValidLabelValue("a/b")).toBe(false);
    expect(isValidLabelValue("a b")).toBe(false);
  });
});

describe("validateManifest: valid objects", () => {
  it("knows at least the kinds the platform renders", () => {
    expect(BUILTIN_KINDS).toEqual(Object.keys(VALID).sort());
  });

  it.each(Object.keys(VALID))("%s passes", (key) => {
    expect(validateManifest(VALID[key])).toEqual([]);
  });

  it("does not mutate its input and accepts frozen objects", () => {
    const frozen = deepFreeze(structuredClone(VALID["apps/v1/Deployment"]!));
    const before = JSON.stringify(frozen);
    expect(validateManifest(frozen)).toEqual([]);
    expect(JSON.stringify(frozen)).toBe(before);
  });

  it("ignores undefined-valued keys, as serialisation would", () => {
    expect(validateManifest(variant("v1/ConfigMap", (m) => (m.metadata.bogus = undefined)))).toEqual([]);
  });
});

describe("validateManifest: schema types and required fields", () => {
  it("reports an int-or-string port given as an object", () => {
    const problems = validateManifest(variant("networking.k8s.io/v1/NetworkPolicy", (m) => (m.spec.ingress[0].ports[0].port = { number: 80 })));
    expect(problems).toEqual([{ path: "spec.ingress[0].ports[0].port", message: "must be string or integer" }]);
  });

  it("reports policyTypes that is not an array", () => {
    const problems = validateManifest(variant("networking.k8s.io/v1/NetworkPolicy", (m) => (m.spec.policyTypes = "Ingress")));
    expect(problems).toEqual([{ path: "spec.policyTypes", message: "must be array" }]);
  });

  it("reports enum violations with the allowed values", () => {
    const problems = validateManifest(variant("networking.k8s.io/v1/NetworkPolicy", (m) => (m.spec.ingress[0].ports[0].protocol = "tcp")));
    expect(problems).toEqual([{ path: "spec.ingress[0].ports[0].protocol", message: 'must be one of "SCTP", "TCP", "UDP"' }]);
  });

  it("reports a string where an integer belongs, and a malformed quantity", () => {
    const problems = validateManifest(
      variant("apps/v1/Deployment", (m) => {
        m.spec.replicas = "2";
        m.spec.template.spec.containers[0].resources.limits.memory = "1 GB";
      }),
    );
    expect(at(problems, "spec.replicas")).toEqual([{ path: "spec.replicas", message: "must be integer" }]);
    expect(at(problems, "spec.template.spec.containers[0].resources.limits.memory")[0]?.message).toMatch(/number or a string in format "quantity"/);
    expect(problems).toHaveLength(2);
  });

  it("reports a non-string label value and non-base64 Secret data", () => {
    const ns = validateManifest(variant("v1/Namespace", (m) => (m.metadata.labels.version = 2)));
    expect(ns).toEqual([{ path: "metadata.labels.version", message: "must be string" }]);
    const secret = validateManifest(variant("v1/Secret", (m) => (m.data["user.creds"] = "not base64!")));
    expect(secret).toEqual([{ path: 'data["user.creds"]', message: 'must match format "byte"' }]);
  });

  it("reports a RoleBinding without roleRef at the missing field's path", () => {
    const problems = validateManifest(variant("rbac.authorization.k8s.io/v1/RoleBinding", (m) => delete m.roleRef));
    expect(problems).toEqual([{ path: "roleRef", message: 'required field "roleRef" is missing' }]);
  });

  it("reports nested required fields (Deployment selector, container name)", () => {
    const problems = validateManifest(
      variant("apps/v1/Deployment", (m) => {
        delete m.spec.selector;
        delete m.spec.template.spec.containers[0].name;
      }),
    );
    expect(problems.map((p) => p.path).sort()).toEqual(["spec.selector", "spec.template.spec.containers[0].name"]);
    expect(at(problems, "spec.selector")[0]?.message).toContain('"selector" is missing');
  });

  it("requires metadata.name", () => {
    expect(validateManifest(variant("v1/ServiceAccount", (m) => delete m.metadata.name))).toEqual([
      { path: "metadata.name", message: 'required field "name" is missing' },
    ]);
    expect(validateManifest(variant("v1/ServiceAccount", (m) => delete m.metadata))).toEqual([
      { path: "metadata.name", message: 'required field "name" is missing' },
    ]);
  });
});

describe("validateManifest: unknown fields (strict field validation)", () => {
  it("reports a misspelled top-level field with a suggestion", () => {
    const problems = validateManifest(
      variant("rbac.authorization.k8s.io/v1/Role", (m) => {
        m.rulez = m.rules;
        delete m.rules;
      }),
    );
    expect(problems).toEqual([{ path: "rulez", message: 'unknown field "rulez" (did you mean "rules"?)' }]);
  });

  it("reports a misspelled spec field (spec.podSelectr)", () => {
    const problems = validateManifest(variant("networking.k8s.io/v1/NetworkPolicy", (m) => (m.spec.podSelectr = {})));
    expect(problems).toEqual([{ path: "spec.podSelectr", message: 'unknown field "podSelectr" (did you mean "podSelector"?)' }]);
  });

  it("reports misspellings deep inside arrays and $ref'd types", () => {
    const problems = validateManifest(
      variant("apps/v1/Deployment", (m) => {
        m.spec.template.spec.containers[0].imagePullPolicyy = "Always";
        m.spec.template.spec.containers[0].env[0].valueFrom.fieldRef.feildPath = "x";
        m.spec.template.spec.volumes[1].emptydir = {};
      }),
    );
    expect(byPath(problems)).toEqual([
      {
        path: "spec.template.spec.containers[0].env[0].valueFrom.fieldRef.feildPath",
        message: 'unknown field "feildPath" (did you mean "fieldPath"?)',
      },
      {
        path: "spec.template.spec.containers[0].imagePullPolicyy",
        message: 'unknown field "imagePullPolicyy" (did you mean "imagePullPolicy"?)',
      },
      { path: "spec.template.spec.volumes[1].emptydir", message: 'unknown field "emptydir" (did you mean "emptyDir"?)' },
    ]);
  });

  it("reports unknown metadata fields and fields with no near match", () => {
    const problems = validateManifest(
      variant("v1/Service", (m) => {
        m.metadata.label = { a: "b" };
        m.spec.frobnicate = true;
      }),
    );
    expect(at(problems, "metadata.label")[0]?.message).toBe('unknown field "label" (did you mean "labels"?)');
    expect(at(problems, "spec.frobnicate")[0]?.message).toBe('unknown field "frobnicate"');
  });

  it("does not report the contents of a field that already failed its type check", () => {
    const problems = validateManifest(variant("networking.k8s.io/v1/NetworkPolicy", (m) => (m.spec.ingress[0].ports[0].port = { number: 80 })));
    expect(problems.some((p) => p.path.endsWith("port.number"))).toBe(false);
  });
});

describe("validateManifest: names", () => {
  it("Namespace names must be DNS-1123 labels", () => {
    const upper = validateManifest(variant("v1/Namespace", (m) => (m.metadata.name = "Tenant-Acme")));
    expect(upper).toHaveLength(1);
    expect(upper[0]).toMatchObject({ path: "metadata.name" });
    expect(upper[0]!.message).toMatch(/^"Tenant-Acme" is not a valid DNS-1123 label: .*lower-case/);

    const long = validateManifest(variant("v1/Namespace", (m) => (m.metadata.name = "a".repeat(64))));
    expect(long).toEqual([{ path: "metadata.name", message: `"${"a".repeat(64)}" is not a valid DNS-1123 label: must be no more than 63 characters (is 64)` }]);
    expect(validateManifest(variant("v1/Namespace", (m) => (m.metadata.name = "a".repeat(63))))).toEqual([]);

    const underscore = validateManifest(variant("v1/Namespace", (m) => (m.metadata.name = "tenant_acme")));
    expect(underscore.map((p) => p.path)).toEqual(["metadata.name"]);
    // Dots are fine in a subdomain but not in a label.
    expect(validateManifest(variant("v1/Namespace", (m) => (m.metadata.name = "tenant.acme")))[0]?.message).toContain("DNS-1123 label");
  });

  it("Service names must be DNS-1035 labels (start with a letter)", () => {
    const problems = validateManifest(variant("v1/Service", (m) => (m.metadata.name = "4nats")));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/^"4nats" is not a valid DNS-1035 label: .*starting with a letter/);
    // The same name is fine for a kind that only needs a subdomain.
    expect(validateManifest(variant("v1/ConfigMap", (m) => (m.metadata.name = "4nats")))).toEqual([]);
  });

  it("most kinds use DNS-1123 subdomains: dots allowed, 253 max, no upper case or underscore", () => {
    expect(validateManifest(variant("apps/v1/Deployment", (m) => (m.metadata.name = "a".repeat(253))))).toEqual([]);
    const long = validateManifest(variant("apps/v1/Deployment", (m) => (m.metadata.name = "a".repeat(254))));
    expect(long).toEqual([{ path: "metadata.name", message: `"${"a".repeat(254)}" is not a valid DNS-1123 subdomain: must be no more than 253 characters (is 254)` }]);
    expect(validateManifest(variant("v1/Secret", (m) => (m.metadata.name = "Nats_Creds")))[0]?.message).toContain("DNS-1123 subdomain");
  });

  it("RBAC names are path segments, like Kubernetes' own system:* roles", () => {
    expect(validateManifest(variant("rbac.authorization.k8s.io/v1/ClusterRole", (m) => (m.metadata.name = "System:Tenancy_View")))).toEqual([]);
    expect(validateManifest(variant("rbac.authorization.k8s.io/v1/Role", (m) => (m.metadata.name = "a/b")))).toEqual([
      { path: "metadata.name", message: `"a/b" is not a valid path segment name: may not contain '/' or '%'` },
    ]);
  });

  it("metadata.namespace must be a DNS-1123 label", () => {
    const problems = validateManifest(variant("v1/ConfigMap", (m) => (m.metadata.namespace = "Tenant.Acme")));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: "metadata.namespace" });
    expect(problems[0]!.message).toMatch(/^"Tenant\.Acme" is not a valid namespace name/);
  });
});

describe("validateManifest: labels, annotations and data keys", () => {
  it("rejects a 64-character label value and one with a leading dash", () => {
    const problems = validateManifest(
      variant("v1/Namespace", (m) => {
        m.metadata.labels.long = "v".repeat(64);
        m.metadata.labels.dash = "-acme";
      }),
    );
    expect(problems).toEqual([
      { path: "metadata.labels.long", message: `invalid label value "${"v".repeat(64)}": must be no more than 63 characters (is 64)` },
      { path: "metadata.labels.dash", message: expect.stringMatching(/^invalid label value "-acme": .*starting and ending with an alphanumeric/) },
    ]);
  });

  it("rejects bad label keys and annotation keys, but allows upper-case annotation prefixes like the API server", () => {
    const problems = validateManifest(
      variant("v1/ServiceAccount", (m) => {
        m.metadata.labels = { "Example.com/team": "a", "team name": "b" };
        m.metadata.annotations = { "Example.com/ok": "x", "bad key!": "y" };
      }),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'metadata.labels["Example.com/team"]',
      'metadata.labels["team name"]',
      'metadata.annotations["bad key!"]',
    ]);
    expect(problems[0]!.message).toMatch(/^invalid label key "Example.com\/team": prefix part/);
    expect(problems[2]!.message).toMatch(/^invalid annotation key "bad key!": name part/);
  });

  it("rejects oversized annotations", () => {
    const problems = validateManifest(variant("v1/ServiceAccount", (m) => (m.metadata.annotations = { big: "x".repeat(256 * 1024) })));
    expect(problems).toEqual([{ path: "metadata.annotations", message: `annotations total ${256 * 1024 + 3} bytes, more than ${256 * 1024}` }]);
  });

  it("checks pod template labels and selectors inside built-in specs", () => {
    const problems = validateManifest(
      variant("apps/v1/Deployment", (m) => {
        m.spec.selector.matchLabels["app.kubernetes.io/name"] = "collector_";
        m.spec.template.metadata.labels["app.kubernetes.io/name"] = "collector_";
      }),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'spec.selector.matchLabels["app.kubernetes.io/name"]',
      'spec.template.metadata.labels["app.kubernetes.io/name"]',
    ]);
    expect(problems[0]!.message).toContain('invalid label value "collector_"');
  });

  it("rejects invalid ConfigMap and Secret data keys", () => {
    const cm = validateManifest(
      variant("v1/ConfigMap", (m) => {
        m.data["my key"] = "x";
        m.data["..data"] = "x";
        m.binaryData["nats-server.conf"] = "AA==";
      }),
    );
    expect(cm).toEqual([
      { path: 'data["my key"]', message: `invalid data key "my key": must consist of alphanumerics, '-', '_' or '.'` },
      { path: 'data["..data"]', message: `invalid data key "..data": may not start with '..'` },
      { path: 'binaryData["nats-server.conf"]', message: 'key "nats-server.conf" is also present in data' },
    ]);
    const secret = validateManifest(variant("v1/Secret", (m) => (m.stringData["a/b"] = "x")));
    expect(secret).toEqual([{ path: 'stringData["a/b"]', message: `invalid data key "a/b": must consist of alphanumerics, '-', '_' or '.'` }]);
  });
});

describe("validateManifest: kinds", () => {
  it("reports an unknown apiVersion/kind instead of passing it", () => {
    expect(validateManifest({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } })).toEqual([
      { path: "", message: 'no schema for apiVersion "example.com/v1" kind "Widget" (registerSchema() adds custom resources)' },
    ]);
    // A known kind under a wrong apiVersion is unknown too.
    expect(validateManifest({ ...VALID["apps/v1/Deployment"], apiVersion: "extensions/v1beta1" })[0]?.message).toMatch(/^no schema for apiVersion "extensions\/v1beta1" kind "Deployment"/);
  });

  it("reports missing apiVersion/kind and non-objects", () => {
    expect(validateManifest({ metadata: { name: "x" } })).toEqual([
      { path: "apiVersion", message: "must be a non-empty string" },
      { path: "kind", message: "must be a non-empty string" },
    ]);
    expect(validateManifest(null)).toEqual([{ path: "", message: "manifest must be an object" }]);
    expect(validateManifest([VALID["v1/Namespace"]])).toEqual([{ path: "", message: "manifest must be an object" }]);
  });

  it("uses a registered custom schema, and still applies the metadata rules", () => {
    const seen: unknown[] = [];
    registerSchema("jetstream.nats.io/v1beta2", "Stream", (obj) => {
      seen.push(obj);
      const spec = (obj as { spec?: { name?: unknown } }).spec;
      return typeof spec?.name === "string" ? [] : [{ path: "spec.name", message: "stream name is required" }];
    });
    expect(supportedKinds()).toContain("jetstream.nats.io/v1beta2/Stream");

    const stream = { apiVersion: "jetstream.nats.io/v1beta2", kind: "Stream", metadata: { name: "events", namespace: NS }, spec: { name: "EVENTS" } };
    expect(validateManifest(stream)).toEqual([]);
    expect(seen).toEqual([stream]);

    expect(validateManifest({ ...stream, spec: {} })).toEqual([{ path: "spec.name", message: "stream name is required" }]);
    expect(validateManifest({ ...stream, metadata: { name: "Events" } })).toEqual([
      { path: "metadata.name", message: expect.stringMatching(/^"Events" is not a valid DNS-1123 subdomain/) },
    ]);
    // Other versions of the same CRD are still unknown.
    expect(validateManifest({ ...stream, apiVersion: "jetstream.nats.io/v1beta1" })[0]?.message).toMatch(/^no schema for/);
  });
});

describe("validateManifest: performance", () => {
  it("validates 5,000 objects in well under the budget", () => {
    const objects = Array.from({ length: 5000 }, (_, i) => {
      const key = BUILTIN_KINDS[i % BUILTIN_KINDS.length]!;
      return variant(key, (m) => (m.metadata.name = `${m.metadata.name}-${i}`));
    });
    const start = performance.now();
    const problems = objects.flatMap((o) => validateManifest(o));
    const ms = performance.now() - start;
    console.log(`validateManifest: 5,000 objects in ${ms.toFixed(0)} ms`);
    expect(problems).toEqual([]);
    // Measured ~0.1-0.2 s; the bound is generous so a slow CI machine does not flake.
    expect(ms).toBeLessThan(5000);
  });
});

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
