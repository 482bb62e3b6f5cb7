/**
 * What makes a suspended tenant stopped, not just frozen: its quota is at zero (plan/namespaces.ts),
 * so nothing new is admitted — but pods already running would run on. The program does not know
 * the tenant's own workloads, so it does not scale them; it deletes every running pod of the
 * tenant's namespaces (in the platform cluster) once, with a Job in the platform namespace that
 * runs kubectl as the platform's suspender service account, bound in those namespaces only to a
 * Role that lists and deletes pods. With `pods: 0` no controller can start them again; on resume
 * the quota comes back and the tenant's Deployments, StatefulSets and Jobs start their pods
 * themselves (their objects, Secrets, ConfigMaps and volume claims were never touched). A bare
 * pod is not re-created: it is no data. The edge's own Deployments are scaled to zero by the
 * program (plan/edge/), in whichever cluster they run.
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import type { TenantModel } from "../model/model";
import { NAMESPACE_OBJECTS, SUSPENDER_SERVICE_ACCOUNT, componentLabels, suspensionJobName, tenantResourceNames } from "../model/names";
import type { PolicyRule } from "./rbac";

/** All the suspender may do in a stopped namespace: find pods and delete them. */
export const SUSPENDER_RULES: PolicyRule[] = [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "delete"] }];

export interface SuspenderAccessPlan {
  role: { logicalName: string; name: string; rules: PolicyRule[] };
  binding: { logicalName: string; name: string; serviceAccount: { name: string; namespace: string } };
}

export interface SuspensionJobPlan {
  logicalName: string;
  name: string;
  labels: Record<string, string>;
  spec: k8s.batch.v1.JobSpec;
}

/** The uid the Job runs as: kubectl needs no root, and the platform namespace warns on `restricted`. */
const NOBODY = 65534;

/** The Job that deletes the running pods of `namespaces` (absent for an active tenant). */
export function suspensionJob(tenant: TenantModel, namespaces: readonly string[], image: string, name = tenant.slug): SuspensionJobPlan | undefined {
  if (tenant.status === "active" || namespaces.length === 0) return undefined;
  const labels = componentLabels(tenant.slug, "suspender");
  return {
    logicalName: tenantResourceNames(name).suspensionJob,
    name: suspensionJobName(tenant.slug),
    labels,
    spec: {
      backoffLimit: 6,
      activeDeadlineSeconds: 900,
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: SUSPENDER_SERVICE_ACCOUNT,
          restartPolicy: "Never",
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, runAsUser: NOBODY, runAsGroup: NOBODY, seccompProfile: { type: "RuntimeDefault" } },
          // One container per namespace, side by side: each deletes that namespace's pods and exits.
          containers: namespaces.map((ns, i) => ({
            name: `stop-${i}`,
            image,
            args: ["delete", "pods", "--all", "--namespace", ns, "--wait=false", "--ignore-not-found"],
            env: [{ name: "HOME", value: "/tmp" }],
            resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "128Mi" } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } },
            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
          })),
          volumes: [{ name: "tmp", emptyDir: { sizeLimit: "16Mi" } }],
        },
      },
    },
  };
}

/** The suspender's Role and RoleBinding in one stopped namespace. */
export function suspenderAccess(namespace: { logicalNames: { role: string; binding: string } }, platformNamespace: string): SuspenderAccessPlan {
  return {
    role: { logicalName: namespace.logicalNames.role, name: NAMESPACE_OBJECTS.suspender, rules: SUSPENDER_RULES },
    binding: { logicalName: namespace.logicalNames.binding, name: NAMESPACE_OBJECTS.suspender, serviceAccount: { name: SUSPENDER_SERVICE_ACCOUNT, namespace: platformNamespace } },
  };
}
