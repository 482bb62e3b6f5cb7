/**
 * The rest of the fleet as a cell's stack sees it: every other tenant file, read only as far as the
 * rules between files need (their derived names, their edge cluster), so those rules hold over the
 * whole fleet while a cell validates, resolves and declares only its own files — and without
 * parsing 10,000 files for a cell of 100.
 *
 * What a file of another cell can collide with is known from its slug (its file name) alone,
 * except for two things, for which the file is parsed, and only when they can matter:
 * - its organizations' namespaces (`tenant-<slug>-org-<id>`): only when one of this cell's names
 *   starts like one of them;
 * - its edge cluster: only when its text spells one of the stack's edge clusters (a file naming
 *   any other cluster is refused by its own cell), or holds a backslash (a double-quoted escape
 *   could spell a name without its letters; plain and single-quoted scalars cannot, and line
 *   folding puts a space into what it joins, which no cluster name has).
 * A file that does not parse contributes its slug's names only: its own cell refuses it.
 */
import { derivedNames, orgNamespaceName, type DerivedName } from "./names";
import { parseYaml, type SourceFile } from "./yaml";

/** Another cell's tenant file, as far as the rules between files read it. */
export interface FleetFile {
  file: string;
  slug: string;
  /** Its derived names, each with the field path that makes it (organizations' only when parsed). */
  names: (DerivedName & { at: string })[];
  /** The edge cluster it names (only looked for when it could be one of the stack's). */
  edgeCluster?: string;
}

/** What decides how far another file is read: this cell's own derived names, and the stack's edge clusters. */
export interface FleetNeeds {
  ownNames: Iterable<string>;
  edgeClusters: readonly string[];
}

/** A tenant's derived names, each with the field path of its file that makes it (`index`: the organization's). */
export function derivedNamesAt(slug: string, orgs: readonly { id: string; index: number }[]): (DerivedName & { at: string })[] {
  const at = new Map(orgs.map((o) => [o.id, `organizations[${o.index}].id`]));
  return derivedNames(slug, orgs.map((o) => o.id)).map((d) => ({ ...d, at: d.org === undefined ? "slug" : at.get(d.org)! }));
}

/** The other files, each read as far as `needs` makes necessary. */
export function fleetFiles(others: readonly SourceFile[], slugOf: (file: string) => string, needs: FleetNeeds): FleetFile[] {
  const slugs = others.map((o) => slugOf(o.file));
  // The slugs whose organization namespaces one of this cell's names could be: by the prefix those
  // namespaces all start with, looked up by each own name's prefixes (not each slug against each name).
  const byOrgPrefix = new Map<string, string>(slugs.map((slug) => [orgNamespaceName(slug, ""), slug]));
  const orgsNeeded = new Set<string>();
  for (const name of needs.ownNames) {
    for (let end = 1; end <= name.length; end++) {
      const slug = byOrgPrefix.get(name.slice(0, end));
      if (slug !== undefined) orgsNeeded.add(slug);
    }
  }
  return others.map((source, i) => {
    const slug = slugs[i]!;
    const clusterNeeded = source.text.includes("\\") || needs.edgeClusters.some((c) => source.text.includes(c));
    const parsed = orgsNeeded.has(slug) || clusterNeeded ? lightRead(source) : {};
    return { file: source.file, slug, names: derivedNamesAt(slug, parsed.orgs ?? []), ...(clusterNeeded && parsed.edgeCluster !== undefined ? { edgeCluster: parsed.edgeCluster } : {}) };
  });
}

/** The organizations' ids and the edge cluster of a file, as far as it parses (nothing else is checked here). */
function lightRead(source: SourceFile): { orgs?: { id: string; index: number }[]; edgeCluster?: string } {
  const data = parseYaml(source, []);
  if (data === null || typeof data !== "object" || Array.isArray(data)) return {};
  const { organizations, edge } = data as { organizations?: unknown; edge?: unknown };
  const orgs = (Array.isArray(organizations) ? organizations : []).flatMap((o: unknown, index) => {
    const id = o !== null && typeof o === "object" ? (o as { id?: unknown }).id : undefined;
    return typeof id === "string" ? [{ id, index }] : [];
  });
  const cluster = edge !== null && typeof edge === "object" ? (edge as { cluster?: unknown }).cluster : undefined;
  return { orgs, ...(typeof cluster === "string" ? { edgeCluster: cluster } : {}) };
}
