/**
 * The pod spec of an edge workload (and of the leaf's streams Job): what makes it pass Pod
 * Security `restricted` and fit exactly the quota set aside for the edge (model/edge-footprint.ts).
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import type { TenantModel } from "../../model/model";
import { EDGE_UID } from "./paths";
import type { EdgeMount, EdgeSidecarPlan, EdgeWorkloadPlan } from "./workloads";

interface PodContainer {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env: { name: string; value: string }[];
  ports: EdgeWorkloadPlan["ports"];
  mounts: EdgeMount[];
  data?: EdgeWorkloadPlan["data"];
  probe?: k8s.core.v1.Probe;
}

/**
 * Pod Security `restricted` (non-root as the images' own uid 10001, no privilege escalation,
 * every capability dropped, RuntimeDefault seccomp, read-only root filesystem), no service account
 * token (nothing here talks to the Kubernetes API), requests and limits from the plan's LimitRange
 * defaults so the quota reserved for the edge (`edgeQuotaNeeds`) is exactly what it uses.
 */
function restrictedPod(c: PodContainer, sidecar: EdgeSidecarPlan | undefined, tenant: TenantModel, pullSecret: string | undefined): k8s.core.v1.PodSpec {
  const lr = tenant.limits.kubernetes.limitRange;
  const main = container(c, lr);
  const second = sidecar
    ? container({ name: sidecar.name, image: sidecar.image, command: sidecar.command, env: sidecar.env, ports: [], mounts: [...sidecar.mounts, ...c.mounts.filter((m) => sidecar.sharedMounts.includes(m.volume))] }, lr)
    : undefined;
  const mounts = [...c.mounts, ...(sidecar?.mounts ?? [])];
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: { runAsNonRoot: true, runAsUser: EDGE_UID, runAsGroup: EDGE_UID, fsGroup: EDGE_UID, seccompProfile: { type: "RuntimeDefault" } },
    ...(pullSecret !== undefined ? { imagePullSecrets: [{ name: pullSecret }] } : {}),
    containers: second ? [main, second] : [main],
    volumes: [
      ...mounts.map((m) =>
        "secret" in m.source
          ? { name: m.volume, secret: { secretName: m.source.secret, items: m.items, defaultMode: 0o440 } }
          : { name: m.volume, configMap: { name: m.source.configMap, items: m.items } },
      ),
      ...(c.data ? [{ name: c.data.volume, emptyDir: { sizeLimit: c.data.sizeLimit } }] : []),
      // The root filesystem is read-only; scratch space is memory-backed and bounded.
      { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
    ],
  };
}

/** One container: the plan's LimitRange defaults, every restriction, read-only mounts but its store. */
function container(c: PodContainer, lr: TenantModel["limits"]["kubernetes"]["limitRange"]): k8s.core.v1.Container {
  return {
        name: c.name,
        image: c.image,
        ...(c.command ? { command: c.command } : {}),
        ...(c.args && c.args.length > 0 ? { args: c.args } : {}),
        ...(c.env.length > 0 ? { env: c.env } : {}),
        ...(c.ports.length > 0 ? { ports: c.ports.map((p) => ({ name: p.name, protocol: p.protocol, containerPort: p.containerPort })) } : {}),
        resources: {
          requests: { cpu: String(lr.defaultRequest.cpu), memory: String(lr.defaultRequest.memory) },
          limits: { cpu: String(lr.default.cpu), memory: String(lr.default.memory) },
        },
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } },
        volumeMounts: [
          ...c.mounts.map((m) => ({ name: m.volume, mountPath: m.mountPath, readOnly: true })),
          ...(c.data ? [{ name: c.data.volume, mountPath: c.data.mountPath }] : []),
          { name: "tmp", mountPath: "/tmp" },
        ],
        ...(c.probe ? { readinessProbe: c.probe, livenessProbe: { ...c.probe, initialDelaySeconds: 10 } } : {}),
  };
}

export function edgePodSpec(w: EdgeWorkloadPlan, tenant: TenantModel, pullSecret?: string): k8s.core.v1.PodSpec {
  return restrictedPod({ name: w.component, image: w.image, args: w.args, env: w.env, ports: w.ports, mounts: w.mounts, data: w.data, probe: w.probe }, w.sidecar, tenant, pullSecret);
}
