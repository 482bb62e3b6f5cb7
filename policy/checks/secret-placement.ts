/**
 * Which namespaces a tenant's Secrets may be in, decided by the namespaces' tenant labels: where a
 * Secret lives decides which tenant's workloads can read it, so a tenant's credentials must stay in
 * its own namespaces and the platform's (its CA, its creds for the tenant) in the platform's.
 */
import { COLLECTOR_TYPES, CREDS_KEY, LABELS } from "./names";
import { NamespaceIndex, describe, keysOf, namespaceOf, type K8sObject, type Violation } from "./objects";

/** Component labels of Secrets that belong in the tenant's own namespaces (what runs at its edge). */
export const TENANT_SIDE_COMPONENTS = [...COLLECTOR_TYPES, "leaf", "onboarding-bundle"] as const;
export const NATS_CREDENTIALS_COMPONENT = "nats-credentials";
export const POSTGRES_CREDENTIALS_COMPONENT = "postgresql-credentials";
/** NATS users whose creds the tenant's own workloads hold. */
export const TENANT_SIDE_NATS_USERS = ["collector", "leaf"] as const;
/** NATS users whose creds only the platform holds (the EventWriter's reader, NACK's manager). */
export const PLATFORM_SIDE_NATS_USERS = ["reader", "manager"] as const;

/** Whose side a Secret belongs on, from its labels: the tenant's own namespaces, or the platform's. */
export function secretSide(secret: K8sObject): "tenant" | "platform" | undefined {
  const component = secret.metadata.labels[LABELS.component];
  const user = secret.metadata.labels[LABELS.natsUser];
  if ((TENANT_SIDE_COMPONENTS as readonly string[]).includes(component ?? "")) return "tenant";
  if (component === NATS_CREDENTIALS_COMPONENT && (TENANT_SIDE_NATS_USERS as readonly string[]).includes(user ?? "")) return "tenant";
  if (component === NATS_CREDENTIALS_COMPONENT && (PLATFORM_SIDE_NATS_USERS as readonly string[]).includes(user ?? "")) return "platform";
  // The tenant's database credentials belong to the platform's per-tenant workers (docs/database.md).
  if (component === "tenant-ca" || component === POSTGRES_CREDENTIALS_COMPONENT) return "platform";
  return undefined;
}

/**
 * A tenant's Secrets are where they belong, by the namespaces' tenant labels (never by name
 * prefixes: `tenant-a-…` is also the prefix of tenant `a-b`'s namespaces): no Secret labelled for
 * one tenant in another tenant's namespace; certificates, creds and bundles of what runs at the
 * tenant's edge in a namespace of that tenant; the platform's creds for the tenant (reader,
 * manager) and its CA Secret in a namespace of no tenant; and no creds without a tenant label in a
 * tenant namespace. In a cell's stack the platform namespace is the platform stack's
 * (`platformNamespaceElsewhere`), so it is not declared here.
 */
export function checkTenantSecretPlacement(objects: readonly K8sObject[], platformNamespaceElsewhere?: string): Violation[] {
  const index = new NamespaceIndex(objects);
  const violations: Violation[] = [];
  for (const secret of objects) {
    if (secret.kind !== "Secret") continue;
    const ns = namespaceOf(secret);
    const nsTenant = index.tenantOf(ns);
    const declared = index.byName.has(ns);
    const slug = secret.metadata.labels[LABELS.tenant];
    const where = `${describe(secret)}`;
    if (slug === undefined) {
      if (nsTenant !== undefined && keysOf(secret).includes(CREDS_KEY)) {
        violations.push({ urn: secret.urn, message: `${where} holds ${CREDS_KEY} in tenant "${nsTenant}"'s namespace without a ${LABELS.tenant} label: a tenant's creds Secrets must say whose they are` });
      }
      continue;
    }
    if (nsTenant !== undefined && nsTenant !== slug) {
      violations.push({ urn: secret.urn, message: `${where} belongs to tenant "${slug}" but is in namespace ${ns} of tenant "${nsTenant}": a tenant's Secrets never enter another tenant's namespace` });
      continue;
    }
    const side = secretSide(secret);
    const what = `${secret.metadata.labels[LABELS.component]}${secret.metadata.labels[LABELS.natsUser] ? ` (${secret.metadata.labels[LABELS.natsUser]})` : ""}`;
    if (side === "tenant" && nsTenant !== slug) {
      violations.push({
        urn: secret.urn,
        message: `${where} (${what} of tenant "${slug}") is in namespace ${ns}, which ${declared ? "belongs to no tenant" : "this stack does not declare"}: collector, leaf and onboarding Secrets must be in a namespace labelled ${LABELS.tenant}="${slug}"`,
      });
    }
    if (side === "platform" && (nsTenant !== undefined || (!declared && ns !== platformNamespaceElsewhere))) {
      violations.push({
        urn: secret.urn,
        message: `${where} (${what} of tenant "${slug}") is in namespace ${ns}, which ${declared ? "is a tenant namespace" : "this stack does not declare"}: the platform's creds and CA Secrets for a tenant stay in the platform namespace`,
      });
    }
  }
  return violations;
}
