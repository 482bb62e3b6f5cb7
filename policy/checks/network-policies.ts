/**
 * NetworkPolicy isolation: every tenant namespace isolates all its pods (a default deny, with what
 * every pod there may do), and what its policies allow may not reach another tenant. Together because both read a policy's rules and
 * peers; the peers of a tenant namespace's policies are resolved against the stack's own Namespace
 * objects and their labels.
 */
import { LABELS } from "./names";
import { NamespaceIndex, byNamespace, describe, namespaceOf, type K8sObject, type Violation } from "./objects";
import { isEmptySelector, pinnedValues, selectorMatches, type LabelSelector } from "./selectors";

/**
 * The policy that isolates every pod of a tenant namespace. It carries the rules every pod there
 * has (the namespace itself, the tenant's namespaces it shares with, DNS): rules of policies that
 * select the same pods add up, so one policy is the same isolation as a rule-free default deny
 * plus allows. Its egress is checked with every other policy's peers (checkCrossTenantPeers).
 */
export const TENANT_ISOLATION = "tenant-isolation";
const ISOLATES = "every tenant namespace must isolate all its pods for ingress and egress, and admit into all of them only pods of its own tenant";

/** Why a NetworkPolicy does not isolate every pod in both directions (empty: it does). */
export function isolatesAllPodsProblems(np: K8sObject): string[] {
  const spec = np.spec ?? {};
  const problems: string[] = [];
  if (!isEmptySelector(spec.podSelector)) problems.push("its podSelector must be {} (every pod)");
  const types = new Set<string>(spec.policyTypes ?? []);
  if (!(types.size === 2 && types.has("Ingress") && types.has("Egress"))) {
    problems.push(`its policyTypes must be [Ingress, Egress], not ${JSON.stringify(spec.policyTypes ?? [])}`);
  }
  return problems;
}

/**
 * Why the ingress of a policy selecting every pod of `own`'s namespace admits more than pods of
 * that tenant: an ingress peer may be the namespace's own pods (a bare podSelector) or namespaces
 * named by `kubernetes.io/metadata.name` that all belong to `own` — no addresses, no other tenant,
 * no namespace outside the tenancy, no rule without peers. Ports the outside may reach are for
 * policies that select the pods listening on them.
 */
function isolationIngressProblems(np: K8sObject, own: string, index: NamespaceIndex): string[] {
  const problems: string[] = [];
  ((np.spec?.ingress ?? []) as any[]).forEach((rule, i) => {
    const from = (rule?.from ?? []) as any[];
    if (from.length === 0) problems.push(`ingress[${i}] has no from peers, so it admits every source`);
    from.forEach((peer, j) => {
      const at = `ingress[${i}].from[${j}]`;
      if (peer?.ipBlock) return problems.push(`${at} admits addresses (ipBlock)`);
      const sel: LabelSelector | undefined = peer?.namespaceSelector ?? undefined;
      if (sel === undefined) return; // the namespace's own pods
      const names = pinnedValues(sel, LABELS.namespaceName);
      if (names === undefined) return problems.push(`${at} does not name its namespaces with ${LABELS.namespaceName}`);
      const foreign = [...names].filter((n) => index.tenantOf(n) !== own).sort();
      if (foreign.length > 0) problems.push(`${at} admits namespace(s) ${foreign.join(", ")}, not of tenant "${own}"`);
    });
  });
  return problems;
}

export function checkDefaultDeny(objects: readonly K8sObject[]): Violation[] {
  const index = new NamespaceIndex(objects);
  const policies = byNamespace(objects, "NetworkPolicy");
  const violations: Violation[] = [];
  for (const ns of index.tenantNamespaces()) {
    const name = ns.metadata.name;
    const own = ns.metadata.labels[LABELS.tenant];
    const isolating = (policies.get(name) ?? []).filter((o) => o.metadata.name === TENANT_ISOLATION);
    if (isolating.length === 0) {
      violations.push({ urn: ns.urn, message: `${describe(ns)} (tenant "${own}") has no NetworkPolicy "${TENANT_ISOLATION}": ${ISOLATES}` });
    }
    for (const np of isolating) {
      const problems = [...isolatesAllPodsProblems(np), ...isolationIngressProblems(np, own, index)];
      if (problems.length > 0) violations.push({ urn: np.urn, message: `${describe(np)} does not isolate its namespace: ${problems.join("; ")} (${ISOLATES})` });
    }
  }
  return violations;
}

interface PeerSite {
  direction: "ingress" | "egress";
  ruleIndex: number;
  rule: any;
  peerIndex: number;
  peer: any;
  /** e.g. `ingress[0].from[1]`. */
  path: string;
}

/** Every peer of every rule, with where it is. */
export function peersOf(np: K8sObject): PeerSite[] {
  const sites: PeerSite[] = [];
  for (const direction of ["ingress", "egress"] as const) {
    const rules: any[] = np.spec?.[direction] ?? [];
    const field = direction === "ingress" ? "from" : "to";
    rules.forEach((rule, ruleIndex) => {
      ((rule?.[field] ?? []) as any[]).forEach((peer, peerIndex) =>
        sites.push({ direction, ruleIndex, rule, peerIndex, peer, path: `${direction}[${ruleIndex}].${field}[${peerIndex}]` }),
      );
    });
  }
  return sites;
}

/** Peers with a `namespaceSelector` that has no requirement (`{}`): every namespace of the cluster. */
export function emptyNamespaceSelectorProblems(np: K8sObject): string[] {
  if (np.kind !== "NetworkPolicy") return [];
  return peersOf(np)
    .filter((s) => s.peer && s.peer.namespaceSelector !== undefined && s.peer.namespaceSelector !== null && isEmptySelector(s.peer.namespaceSelector))
    .map(
      (s) =>
        `${describe(np)}: ${s.path} has an empty namespaceSelector (no matchLabels or matchExpressions), which selects every namespace — every tenant's included; ` +
        `name the namespaces with ${LABELS.namespaceName}`,
    );
}

/**
 * Peers of NetworkPolicies in tenant namespaces that could reach beyond their tenant. Namespace
 * selectors are resolved against the stack's Namespace objects and their labels. A tenant
 * namespace's peers may be: its own pods (podSelector only), ipBlocks (not namespaces), namespaces
 * of the same tenant, and — as egress to selected pods on listed ports only (DNS, the NATS hub) —
 * namespaces that belong to no tenant. A rule without peers admits everything and is refused.
 */
export function checkCrossTenantPeers(objects: readonly K8sObject[]): Violation[] {
  const index = new NamespaceIndex(objects);
  const violations: Violation[] = [];
  for (const np of objects) {
    if (np.kind !== "NetworkPolicy") continue;
    const own = index.tenantOf(namespaceOf(np));
    if (own === undefined) continue; // not a tenant namespace: only the empty-selector rule applies
    const rule = `a tenant namespace's policies may select only namespaces of its own tenant ("${own}"), plus egress to selected pods on listed ports of non-tenant namespaces (DNS, the NATS hub)`;
    for (const direction of ["ingress", "egress"] as const) {
      const field = direction === "ingress" ? "from" : "to";
      ((np.spec?.[direction] ?? []) as any[]).forEach((r, i) => {
        if (((r?.[field] ?? []) as any[]).length === 0) {
          violations.push({
            urn: np.urn,
            message: `${describe(np)}: ${direction}[${i}] has no ${field} peers, so it admits every ${direction === "ingress" ? "source" : "destination"} — every other tenant's pods included; ${rule}`,
          });
        }
      });
    }
    for (const site of peersOf(np)) {
      const sel: LabelSelector | undefined = site.peer?.namespaceSelector ?? undefined;
      if (sel === undefined || site.peer?.ipBlock) continue; // own namespace's pods, or addresses
      const issues: string[] = [];
      if (isEmptySelector(sel)) {
        issues.push("its empty namespaceSelector selects every namespace");
      } else {
        const names = pinnedValues(sel, LABELS.namespaceName);
        const tenants = pinnedValues(sel, LABELS.tenant);
        if (names === undefined && !(tenants !== undefined && tenants.size === 1 && tenants.has(own))) {
          issues.push(`its namespaceSelector ${JSON.stringify(sel)} selects namespaces by labels any namespace may carry; name them with ${LABELS.namespaceName} (or pin ${LABELS.tenant} to "${own}")`);
        }
        const nonTenant: string[] = [];
        // A name-pinned selector can match only those names: no need to try every namespace.
        const candidates = names !== undefined ? [...names].filter((n) => index.byName.has(n)) : [...index.byName.keys()];
        for (const name of candidates) {
          if (!selectorMatches(sel, index.labelsOf(name))) continue;
          const tenant = index.tenantOf(name);
          if (tenant === undefined) nonTenant.push(name);
          else if (tenant !== own) issues.push(`it selects namespace ${name} of tenant "${tenant}"`);
        }
        for (const name of names ?? []) {
          if (index.byName.has(name)) continue;
          // Not declared in this stack, so its tenant cannot be known: only non-tenant names pass.
          if (name.startsWith("tenant-")) issues.push(`it selects namespace ${name}, which this stack does not declare, so its tenant cannot be checked`);
          else nonTenant.push(name);
        }
        if (nonTenant.length > 0) {
          const podSelected = site.peer?.podSelector !== undefined && !isEmptySelector(site.peer.podSelector);
          const ported = (site.rule?.ports ?? []).length > 0;
          if (site.direction !== "egress" || !podSelected || !ported) {
            issues.push(
              `it selects non-tenant namespace(s) ${nonTenant.sort().join(", ")}, allowed only as egress to selected pods (non-empty podSelector) on listed ports` +
                ` (this is ${site.direction}${podSelected ? "" : ", without a podSelector"}${ported ? "" : ", on every port"})`,
            );
          }
        }
      }
      if (issues.length > 0) violations.push({ urn: np.urn, message: `${describe(np)}: ${site.path}: ${issues.join("; ")}; ${rule}` });
    }
  }
  return violations;
}
