/**
 * What RBAC grants a group in a namespace, read from rendered objects as the API server's
 * authorizer does: every RoleBinding of the namespace naming the group, each granting the rules of
 * its roleRef — a Role of that namespace, or a ClusterRole (whose rules then hold in that namespace
 * only) — plus every ClusterRoleBinding naming it. The tests compare these rights, not object names.
 */
export interface GrantedRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

type Manifest = { kind: string; metadata: { name: string; namespace?: string }; roleRef?: { kind: string; name: string }; subjects?: { kind: string; name: string }[]; rules?: GrantedRule[] };

/** The rules that reach `group` in `namespace`, and through which bindings (`objects`: rendered Kubernetes objects). */
export function grantedTo(objects: readonly Record<string, any>[], namespace: string, group: string): { bindings: string[]; rules: GrantedRule[] } {
  const manifests = objects as readonly Manifest[];
  const role = (ref: { kind: string; name: string }, ns: string) => manifests.find((m) => m.kind === ref.kind && m.metadata.name === ref.name && (ref.kind === "ClusterRole" || m.metadata.namespace === ns));
  const names = (b: Manifest) => (b.subjects ?? []).some((s) => s.kind === "Group" && s.name === group);
  const bindings = manifests.filter((m) => (m.kind === "RoleBinding" && m.metadata.namespace === namespace && names(m)) || (m.kind === "ClusterRoleBinding" && names(m)));
  const rules: GrantedRule[] = [];
  for (const b of bindings) {
    const r = role(b.roleRef!, namespace);
    if (!r) throw new Error(`${b.kind} ${b.metadata.namespace}/${b.metadata.name} binds ${b.roleRef!.kind} ${b.roleRef!.name}, which is not rendered`);
    rules.push(...(r.rules ?? []));
  }
  return { bindings: bindings.map((b) => `${b.kind} ${b.metadata.name} → ${b.roleRef!.kind} ${b.roleRef!.name}`), rules };
}

/** `group/resource:verb` for every rule, sorted: two grants are the same rights when these are equal. */
export function rights(rules: readonly GrantedRule[]): string[] {
  return [...new Set(rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`)))))].sort();
}
