/**
 * Pod Security Admission labels of tenant namespaces. A check of one Namespace on its own (the
 * default-deny and quota checks need a namespace's other objects too), so the pack can refuse a
 * tenant namespace without restricted Pod Security before it is created.
 */
import { LABELS } from "./names";
import { describe, type K8sObject } from "./objects";

export const PSA_MODES = ["enforce", "warn", "audit"] as const;
export const PSA_LEVEL = "restricted";

/** Problems with a tenant namespace's Pod Security Admission labels (none for other namespaces). */
export function podSecurityProblems(ns: K8sObject): string[] {
  if (ns.kind !== "Namespace" || ns.metadata.labels[LABELS.tenant] === undefined) return [];
  const problems: string[] = [];
  for (const mode of PSA_MODES) {
    const key = `pod-security.kubernetes.io/${mode}`;
    const value = ns.metadata.labels[key];
    if (value !== PSA_LEVEL) {
      problems.push(
        `${describe(ns)} (tenant "${ns.metadata.labels[LABELS.tenant]}"): label ${key} is ${value === undefined ? "missing" : JSON.stringify(value)}; ` +
          `tenant namespaces must enforce, warn and audit Pod Security "${PSA_LEVEL}"`,
      );
    }
  }
  return problems;
}
