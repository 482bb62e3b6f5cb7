/**
 * Unit tests for the Pod Security Standards (restricted) oracle. Each control from
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ gets at least one violating
 * example, checked against a compliant base pod so that only the mutated field is reported.
 */
import { describe, it, expect } from "vitest";
import { forWorkload, restrictedViolations, workloadViolations } from "./pod-security";

type Obj = Record<string, any>;

const goodContainer = (name: string): Obj => ({
  name,
  image: "example/leaf:1",
  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
});

function goodPod(): Obj {
  return {
    securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } },
    containers: [goodContainer("leaf")],
    initContainers: [goodContainer("init")],
    volumes: [
      { name: "cfg", configMap: { name: "c" } },
      { name: "tmp", emptyDir: {} },
      { name: "sec", secret: { secretName: "s" } },
      { name: "proj", projected: { sources: [] } },
      { name: "pvc", persistentVolumeClaim: { claimName: "p" } },
      { name: "dapi", downwardAPI: { items: [] } },
      { name: "csi", csi: { driver: "x" } },
      { name: "eph", ephemeral: { volumeClaimTemplate: {} } },
    ],
  };
}

const C0 = `containers[0] "leaf"`;
const with_ = (f: (p: Obj) => void): Obj => {
  const p = goodPod();
  f(p);
  return p;
};

describe("restricted oracle: compliant pod", () => {
  it("a fully compliant pod has no violations", () => {
    expect(restrictedViolations(goodPod())).toEqual([]);
  });
  it("allowed optional values pass (safe sysctls, NET_BIND_SERVICE, SELinux container_t, Localhost, procMount Default, hostPort 0)", () => {
    const p = with_((p) => {
      p.securityContext.sysctls = [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }, { name: "net.ipv4.tcp_keepalive_time", value: "60" }];
      p.securityContext.seLinuxOptions = { type: "container_t", level: "s0:c1" };
      p.securityContext.appArmorProfile = { type: "RuntimeDefault" };
      const sc = p.containers[0].securityContext;
      sc.capabilities.add = ["NET_BIND_SERVICE"];
      sc.seccompProfile = { type: "Localhost", localhostProfile: "x.json" };
      sc.procMount = "Default";
      sc.appArmorProfile = { type: "Localhost", localhostProfile: "p" };
      p.containers[0].ports = [{ containerPort: 80, hostPort: 0 }];
    });
    expect(restrictedViolations(p)).toEqual([]);
  });
  it("prefixes messages with `where`", () => {
    const p = with_((p) => (p.hostPID = true));
    expect(restrictedViolations(p, "Deployment/x")).toEqual(["Deployment/x: spec.hostPID must be unset or false"]);
  });
});

describe("restricted oracle: baseline controls", () => {
  it("hostProcess at pod level", () => {
    const p = with_((p) => (p.securityContext.windowsOptions = { hostProcess: true }));
    expect(restrictedViolations(p)).toEqual(["spec.securityContext.windowsOptions.hostProcess must be unset or false"]);
  });
  it("hostProcess at container level", () => {
    const p = with_((p) => (p.containers[0].securityContext.windowsOptions = { hostProcess: true }));
    expect(restrictedViolations(p)).toEqual([`${C0}: securityContext.windowsOptions.hostProcess must be unset or false`]);
  });
  it.each(["hostNetwork", "hostPID", "hostIPC"])("%s", (f) => {
    const p = with_((p) => (p[f] = true));
    expect(restrictedViolations(p)).toEqual([`spec.${f} must be unset or false`]);
  });
  it("privileged", () => {
    const p = with_((p) => (p.containers[0].securityContext.privileged = true));
    expect(restrictedViolations(p)).toEqual([`${C0}: securityContext.privileged must be unset or false`]);
  });
  it("capabilities.add beyond the baseline set", () => {
    const p = with_((p) => (p.containers[0].securityContext.capabilities.add = ["SYS_ADMIN"]));
    expect(restrictedViolations(p)).toEqual([`${C0}: securityContext.capabilities.add "SYS_ADMIN" is not allowed (beyond the baseline set)`]);
  });
  it("hostPath volume", () => {
    const p = with_((p) => p.volumes.push({ name: "host", hostPath: { path: "/" } }));
    expect(restrictedViolations(p)).toEqual([`spec.volumes[8] "host": hostPath volumes are forbidden`]);
  });
  it("hostPort", () => {
    const p = with_((p) => (p.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }]));
    expect(restrictedViolations(p)).toEqual([`${C0}: ports[0].hostPort must be unset or 0 (got 8080)`]);
  });
  it("AppArmor Unconfined in securityContext (pod and container)", () => {
    const p = with_((p) => {
      p.securityContext.appArmorProfile = { type: "Unconfined" };
      p.containers[0].securityContext.appArmorProfile = { type: "Unconfined" };
    });
    expect(restrictedViolations(p)).toEqual([
      `spec.securityContext.appArmorProfile.type must be unset, RuntimeDefault or Localhost (got "Unconfined")`,
      `${C0}: securityContext.appArmorProfile.type must be unset, RuntimeDefault or Localhost (got "Unconfined")`,
    ]);
  });
  it("AppArmor annotation unconfined (via workloadViolations)", () => {
    const dep = {
      kind: "Deployment",
      metadata: { name: "d" },
      spec: {
        template: {
          metadata: {
            annotations: {
              "container.apparmor.security.beta.kubernetes.io/leaf": "unconfined",
              "container.apparmor.security.beta.kubernetes.io/init": "localhost/prof",
            },
          },
          spec: goodPod(),
        },
      },
    };
    expect(workloadViolations(dep)).toEqual([
      `Deployment/d: metadata.annotations["container.apparmor.security.beta.kubernetes.io/leaf"] must be runtime/default or localhost/* (got "unconfined")`,
    ]);
  });
  it("SELinux type outside the allowed list", () => {
    const p = with_((p) => (p.containers[0].securityContext.seLinuxOptions = { type: "spc_t" }));
    expect(restrictedViolations(p)).toEqual([`${C0}: securityContext.seLinuxOptions.type "spc_t" is not allowed`]);
  });
  it("SELinux user and role must be unset", () => {
    const p = with_((p) => (p.securityContext.seLinuxOptions = { user: "system_u", role: "system_r", type: "container_init_t" }));
    expect(restrictedViolations(p)).toEqual([
      "spec.securityContext.seLinuxOptions.user must be unset or empty",
      "spec.securityContext.seLinuxOptions.role must be unset or empty",
    ]);
  });
  it("/proc mount Unmasked", () => {
    const p = with_((p) => (p.containers[0].securityContext.procMount = "Unmasked"));
    expect(restrictedViolations(p)).toEqual([`${C0}: securityContext.procMount must be unset or Default (got "Unmasked")`]);
  });
  it("seccomp Unconfined at pod level", () => {
    const p = with_((p) => (p.securityContext.seccompProfile = { type: "Unconfined" }));
    expect(restrictedViolations(p)).toEqual([`spec.securityContext.seccompProfile.type must be RuntimeDefault or Localhost (got "Unconfined")`]);
  });
  it("seccomp Unconfined at container level overrides a good pod level", () => {
    const p = with_((p) => (p.containers[0].securityContext.seccompProfile = { type: "Unconfined" }));
    expect(restrictedViolations(p)).toEqual([`${C0}: securityContext.seccompProfile.type must be RuntimeDefault or Localhost (got "Unconfined")`]);
  });
  it("unsafe sysctl", () => {
    const p = with_((p) => (p.securityContext.sysctls = [{ name: "kernel.shm_rmid_forced", value: "1" }, { name: "kernel.msgmax", value: "1" }]));
    expect(restrictedViolations(p)).toEqual([`spec.securityContext.sysctls[1] "kernel.msgmax" is not in the safe sysctl set`]);
  });
});

describe("restricted oracle: restricted controls", () => {
  it.each(["nfs", "gitRepo", "awsElasticBlockStore", "flexVolume"])("volume type %s is not allowed", (t) => {
    const p = with_((p) => p.volumes.push({ name: "v", [t]: {} }));
    expect(restrictedViolations(p)).toEqual([`spec.volumes[8] "v": volume type ${t} is not allowed`]);
  });
  it("allowPrivilegeEscalation unset", () => {
    const p = with_((p) => delete p.containers[0].securityContext.allowPrivilegeEscalation);
    expect(restrictedViolations(p)).toEqual([`${C0}: securityContext.allowPrivilegeEscalation must be false`]);
  });
  it("allowPrivilegeEscalation true on an init container", () => {
    const p = with_((p) => (p.initContainers[0].securityContext.allowPrivilegeEscalation = true));
    expect(restrictedViolations(p)).toEqual([`initContainers[0] "init": securityContext.allowPrivilegeEscalation must be false`]);
  });
  it("runAsNonRoot unset everywhere", () => {
    const p = with_((p) => delete p.securityContext.runAsNonRoot);
    expect(restrictedViolations(p)).toEqual([
      `initContainers[0] "init": securityContext.runAsNonRoot must be true (unset at pod and container level)`,
      `${C0}: securityContext.runAsNonRoot must be true (unset at pod and container level)`,
    ]);
  });
  it("runAsNonRoot true on every container without pod level passes", () => {
    const p = with_((p) => {
      delete p.securityContext.runAsNonRoot;
      p.containers[0].securityContext.runAsNonRoot = true;
      p.initContainers[0].securityContext.runAsNonRoot = true;
    });
    expect(restrictedViolations(p)).toEqual([]);
  });
  it("pod-level runAsNonRoot true with a container override false fails", () => {
    const p = with_((p) => (p.containers[0].securityContext.runAsNonRoot = false));
    expect(restrictedViolations(p)).toEqual([`${C0}: securityContext.runAsNonRoot must be true (container overrides pod level with false)`]);
  });
  it("pod-level runAsNonRoot false fails even when containers set true", () => {
    const p = with_((p) => {
      p.securityContext.runAsNonRoot = false;
      p.containers[0].securityContext.runAsNonRoot = true;
      p.initContainers[0].securityContext.runAsNonRoot = true;
    });
    expect(restrictedViolations(p)).toEqual(["spec.securityContext.runAsNonRoot must not be false"]);
  });
  it("runAsUser 0 at pod and container level", () => {
    const p = with_((p) => {
      p.securityContext.runAsUser = 0;
      p.containers[0].securityContext.runAsUser = 0;
    });
    expect(restrictedViolations(p)).toEqual(["spec.securityContext.runAsUser must not be 0", `${C0}: securityContext.runAsUser must not be 0`]);
  });
  it("seccomp unset at pod level and on a container fails", () => {
    const p = with_((p) => {
      delete p.securityContext.seccompProfile;
      p.initContainers[0].securityContext.seccompProfile = { type: "RuntimeDefault" };
    });
    expect(restrictedViolations(p)).toEqual([
      `${C0}: securityContext.seccompProfile.type must be RuntimeDefault or Localhost (unset at pod and container level)`,
    ]);
  });
  it("container-level seccomp on every container passes without pod level", () => {
    const p = with_((p) => {
      delete p.securityContext.seccompProfile;
      p.initContainers[0].securityContext.seccompProfile = { type: "RuntimeDefault" };
      p.containers[0].securityContext.seccompProfile = { type: "Localhost", localhostProfile: "a.json" };
    });
    expect(restrictedViolations(p)).toEqual([]);
  });
  it("capabilities must drop ALL", () => {
    const p = with_((p) => (p.containers[0].securityContext.capabilities = { drop: ["NET_RAW"] }));
    expect(restrictedViolations(p)).toEqual([`${C0}: securityContext.capabilities.drop must include ALL`]);
  });
  it("capabilities may add only NET_BIND_SERVICE (baseline-allowed CHOWN still fails)", () => {
    const p = with_((p) => (p.containers[0].securityContext.capabilities.add = ["NET_BIND_SERVICE", "CHOWN"]));
    expect(restrictedViolations(p)).toEqual([`${C0}: securityContext.capabilities.add "CHOWN" is not allowed (only NET_BIND_SERVICE may be added)`]);
  });
  it("ephemeral containers are checked", () => {
    const p = with_((p) => (p.ephemeralContainers = [{ name: "debug", image: "busybox" }]));
    expect(restrictedViolations(p)).toEqual([
      `ephemeralContainers[0] "debug": securityContext.capabilities.drop must include ALL`,
      `ephemeralContainers[0] "debug": securityContext.allowPrivilegeEscalation must be false`,
    ]);
  });
  it("windows pods are exempt from the Linux-only controls but not from runAsNonRoot", () => {
    const p = {
      os: { name: "windows" },
      containers: [{ name: "win", image: "w", securityContext: { runAsNonRoot: true } }],
    };
    expect(restrictedViolations(p)).toEqual([]);
    p.containers[0].securityContext.runAsNonRoot = false;
    expect(restrictedViolations(p)).toEqual([`containers[0] "win": securityContext.runAsNonRoot must be true (container overrides pod level with false)`]);
  });
});

describe("forWorkload", () => {
  const spec = goodPod();
  it.each([
    { kind: "Pod", spec },
    { kind: "Deployment", spec: { template: { spec } } },
    { kind: "StatefulSet", spec: { template: { spec } } },
    { kind: "DaemonSet", spec: { template: { spec } } },
    { kind: "Job", spec: { template: { spec } } },
    { kind: "CronJob", spec: { jobTemplate: { spec: { template: { spec } } } } },
  ])("extracts the pod spec of a $kind", (obj) => {
    expect(forWorkload(obj)).toBe(spec);
  });
  it("throws on unsupported kinds", () => {
    expect(() => forWorkload({ kind: "ConfigMap" })).toThrow(/unsupported kind "ConfigMap"/);
  });
});
