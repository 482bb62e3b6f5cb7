/**
 * The AdmissionPolicies component: the cluster-wide ValidatingAdmissionPolicies, their bindings to
 * tenant namespaces and the plans' params ConfigMaps, as planned (plan/admission.ts). Declared once
 * per stack, after the platform namespace that holds the params.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { AdmissionPlan } from "../plan/admission";

export interface AdmissionPoliciesArgs {
  /** The policies, bindings and params (`planAdmission`). */
  plan: AdmissionPlan;
  /** The platform namespace (its name as declared), where the params live. */
  namespace: pulumi.Input<string>;
}

export class AdmissionPolicies extends pulumi.ComponentResource {
  constructor(name: string, args: AdmissionPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    // No inputs for the engine: the children spell the plan out.
    super("tenancy:index:AdmissionPolicies", name, {}, opts);
    if (name !== args.plan.name) throw new Error(`AdmissionPolicies "${name}": its plan is for "${args.plan.name}"`);
    const { plan } = args;
    const params = plan.params.map(
      (p) => new k8s.core.v1.ConfigMap(p.logicalName, { metadata: { name: p.name, namespace: args.namespace, labels: p.labels }, data: p.data }, { parent: this }),
    );
    const policies = new Map(
      plan.policies.map((p) => [p.name, new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(p.logicalName, { metadata: { name: p.name, labels: p.labels }, spec: p.spec }, { parent: this })]),
    );
    for (const b of plan.bindings) {
      // A binding before its policy or params would deny (or, without them, skip) requests meanwhile.
      const policy = policies.get(b.spec.policyName as string);
      if (!policy) throw new Error(`AdmissionPolicies "${name}": binding ${b.name} names no planned policy`);
      new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(b.logicalName, { metadata: { name: b.name, labels: b.labels }, spec: b.spec }, { parent: this, dependsOn: [policy, ...params] });
    }
    this.registerOutputs({});
  }
}
