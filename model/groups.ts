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

/**
 * Every tenant's group prefix, looked up by the prefixes of a group: a fleet of 10,000 tenants is
 * checked per group in the group's length, not in the fleet's size.
 */
export class GroupPrefixes {
  private readonly owners = new Map<string, string[]>();
  constructor(readonly template: string, slugs: Iterable<string>) {
    for (const slug of slugs) {
      const prefix = groupPrefixOf(template, slug);
      const list = this.owners.get(prefix);
      if (list) list.push(slug);
      else this.owners.set(prefix, [slug]);
    }
  }
  /** The longest prefix of `group` that is some tenant's other than `slug` and at least `minLength` long. */
  longestOther(group: string, slug: string, minLength: number): { slug: string; prefix: string } | undefined {
    for (let end = group.length; end >= Math.max(minLength, 0); end--) {
      const prefix = group.slice(0, end);
      const other = this.owners.get(prefix)?.find((o) => o !== slug);
      if (other !== undefined) return { slug: other, prefix };
    }
    return undefined;
  }
}

/** Why `group` may not be granted by tenant `slug`'s file (undefined when it may). `tenants` are every tenant's prefixes. */
export function groupRule(group: string, slug: string, tenants: GroupPrefixes): string | undefined {
  if (group.startsWith("system:")) return `"${group}" is a Kubernetes system group (system:authenticated is everyone with a login): a tenant file grants only its own groups`;
  const template = tenants.template;
  const own = groupPrefixOf(template, slug);
  // A longer prefix of another tenant that also matches wins: "acme-" matches "acme-corp-admins", which is acme-corp's.
  const other = tenants.longestOther(group, slug, own.length);
  if (other) return `"${group}" is a group of tenant "${other.slug}" (prefix "${other.prefix}"): a tenant file grants only its own groups`;
  if (!group.startsWith(own)) return `"${group}" must start with "${own}" (the stack's group prefix tenancy:tenantGroupPrefix "${template}"): a tenant file grants only its own groups`;
  return undefined;
}
