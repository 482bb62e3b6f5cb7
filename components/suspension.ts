/**
 * Declares the Job that stops a suspended tenant's running pods (plan/suspension.ts), in the
 * platform namespace, after the tenant's namespaces (and with them the suspender's Roles and the
 * quota at zero) are in place: deleted pods must find no room to come back.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { SuspensionJobPlan } from "../plan/suspension";

export function declareSuspension(parent: pulumi.Resource, plan: SuspensionJobPlan, platformNamespace: pulumi.Input<string>, after: pulumi.Resource[]): k8s.batch.v1.Job {
  return new k8s.batch.v1.Job(
    plan.logicalName,
    { metadata: { name: plan.name, namespace: platformNamespace, labels: plan.labels }, spec: plan.spec },
    // A Job's template cannot be changed in place: a new one replaces it.
    { parent, dependsOn: after, replaceOnChanges: ["spec"], deleteBeforeReplace: true },
  );
}
