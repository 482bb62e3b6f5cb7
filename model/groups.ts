/**
 * Which identity-provider groups a tenant file may grant: only the tenant's own, by the stack's
 * group prefix (`tenancy:tenantGroupPrefix`, default `<slug>:`). A file that could name any group
 * could hand its namespaces to `system:authenticated` (everyone with a cluster login) or to another
 * tenant's people; the prefix makes "whose group is this" something the files can be checked for.
 */

/** Where `{slug}` stands for the tenant's slug in the stack's group prefix. */
export const SLUG_PLACEHOLDER = "{slug}";
export const DEFAULT_GROUP_PREFIX = `${SLUG_PLACEHOLDER}:`;

/** The prefix every group of tenant `slug` starts with. */
export const groupPrefixOf = (template: string, slug: string) => template.split(SLUG_PLACEHOLDER).join(slug);

/** Why `group` may not be granted by tenant `slug`'s file (undefined when it may). `others` are the other tenants' slugs. */
export function groupRule(group: string, slug: string, template: string, others: readonly string[]): string | undefined {
  if (group.startsWith("system:")) return `"${group}" is a Kubernetes system group (system:authenticated is everyone with a login): a tenant file grants only its own groups`;
  const own = groupPrefixOf(template, slug);
  // A longer prefix of another tenant that also matches wins: "acme-" matches "acme-corp-admins", which is acme-corp's.
  const other = others
    .filter((o) => o !== slug)
    .map((o) => ({ slug: o, prefix: groupPrefixOf(template, o) }))
    .filter((o) => group.startsWith(o.prefix) && o.prefix.length >= own.length)
    .sort((a, b) => b.prefix.length - a.prefix.length)[0];
  if (other) return `"${group}" is a group of tenant "${other.slug}" (prefix "${other.prefix}"): a tenant file grants only its own groups`;
  if (!group.startsWith(own)) return `"${group}" must start with "${own}" (the stack's group prefix tenancy:tenantGroupPrefix "${template}"): a tenant file grants only its own groups`;
  return undefined;
}
