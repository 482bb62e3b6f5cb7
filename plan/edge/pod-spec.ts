/**
 * The pod spec of an edge workload: what makes it pass Pod Security `restricted` and fit exactly
 * the quota set aside for the edge (model/edge-footprint.ts).
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import type { TenantModel } from "../../model/model";
import { EDGE_UID } from "./paths";
import type { EdgeWorkloadPlan } from "./workloads";

/**
 * The pod spec of an edge workload: Pod Security `restricted` (non-root, no privilege escalation,
 * every capability dropped, RuntimeDefault seccomp, read-only root filesystem), no service account
 * token (nothing here talks to the Kubernetes API), requests and limits from the plan's LimitRange
 * defaults so the quota reserved for the edge (`edgeQuotaNeeds`) is exactly what it uses.
 */
export function edgePodSpec(w: EdgeWorkloadPlan, tenant: TenantModel): k8s.core.v1.PodSpec {
  const lr = tenant.limits.kubernetes.limitRange;
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: { runAsNonRoot: true, runAsUser: EDGE_UID, runAsGroup: EDGE_UID, fsGroup: EDGE_UID, seccompProfile: { type: "RuntimeDefault" } },
    containers: [
      {
        name: w.component,
        image: w.image,
        args: w.args,
        ports: w.ports.map((p) => ({ name: p.name, protocol: p.protocol, containerPort: p.containerPort })),
        resources: {
          requests: { cpu: String(lr.defaultRequest.cpu), memory: String(lr.defaultRequest.memory) },
          limits: { cpu: String(lr.default.cpu), memory: String(lr.default.memory) },
        },
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } },
        volumeMounts: [...w.mounts.map((m) => ({ name: m.volume, mountPath: m.mountPath, readOnly: true })), { name: "tmp", mountPath: "/tmp" }],
        ...(w.probe ? { readinessProbe: w.probe, livenessProbe: { ...w.probe, initialDelaySeconds: 10 } } : {}),
      },
    ],
    volumes: [
      ...w.mounts.map((m) =>
        "secret" in m.source
          ? { name: m.volume, secret: { secretName: m.source.secret, items: m.items, defaultMode: 0o440 } }
          : { name: m.volume, configMap: { name: m.source.configMap, items: m.items } },
      ),
      // The root filesystem is read-only; scratch space is memory-backed and bounded.
      { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
    ],
  };
}

