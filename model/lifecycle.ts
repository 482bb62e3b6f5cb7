/**
 * What an update may not do to a tenant without an explicit decommissioning step: checked against
 * the stack's previous outputs (the `tenants` summary of the last update), before anything is
 * declared. `protect` on namespaces, streams and account keys would stop the update too, but only
 * halfway through and with a message about resources; this names the file and the way out.
 */
import type { TenantModel } from "./model";
import type { Problem } from "./problems";

/** A tenant as the last update left it (a subset of `TenantSummary`). */
export interface PreviousTenant {
  status: string;
  namespaces: string[];
  organizations?: string[];
  /** Its PostgreSQL level, and the level it was moving away from (absent before the database layer existed). */
  database?: { isolation: string; movingFrom?: string };
}

/** The isolation levels that hold a tenant's data in PostgreSQL. */
const DATA_LEVELS = new Set(["schema", "database"]);

/** `fileOf(slug)`: the tenant file's name as messages show it. */
/**
 * A tenant gone from a cell's stack because its file now names another cell: where it went, and
 * whether that cell's last update holds it (its state was moved there and applied).
 */
export interface CellMove {
  to: string;
  arrived: boolean;
}

export function removalProblems(
  previous: Record<string, PreviousTenant> | undefined,
  tenants: readonly TenantModel[],
  fileOf: (slug: string) => string,
  movedTo: (slug: string) => CellMove | undefined = () => undefined,
): Problem[] {
  if (!previous) return [];
  const problems: Problem[] = [];
  const current = new Map(tenants.map((t) => [t.slug, t]));
  for (const [slug, before] of Object.entries(previous).sort(([a], [b]) => a.localeCompare(b))) {
    const now = current.get(slug);
    if (!now) {
      const move = movedTo(slug);
      // Only the destination holding it makes leaving safe: until then this update would delete it.
      if (move?.arrived) continue;
      if (move) {
        problems.push({
          file: fileOf(slug),
          path: "cell",
          rule:
            `tenant "${slug}" now names cell "${move.to}", whose last update does not hold it: this update would delete it here. ` +
            `Move its state to cell "${move.to}" and update that cell first (docs/cells.md, "Moving a tenant between cells")`,
        });
        continue;
      }
      if (before.status === "decommissioned") continue;
      problems.push({
        file: fileOf(slug),
        path: "(file)",
        rule:
          `tenant "${slug}" was ${before.status} in the last update and its file is gone (deleted or renamed): its namespaces and streams would be deleted. ` +
          `Restore the file, set \`status: decommissioned\` and apply; then delete it (README, "Decommissioning a tenant")`,
      });
      continue;
    }
    if (now.status === "decommissioned" || before.status === "decommissioned") continue;
    const orgs = new Set(now.organizations.map((o) => o.id));
    // A schema or database the last update held may only be left through a move (database.moveFrom),
    // whose end (dropping moveFrom) lets the old level go.
    const held = before.database?.isolation;
    if (held !== undefined && DATA_LEVELS.has(held) && held !== now.limits.database.isolation && held !== now.databaseMoveFrom) {
      problems.push({
        file: now.file,
        path: now.databaseMoveFrom !== undefined ? "database.moveFrom" : "plan",
        rule:
          `database isolation changes from ${held} to ${now.limits.database.isolation}: the tenant's ${held} and its data would be dropped. ` +
          `Move it instead: set \`database: { moveFrom: ${held} }\` with the new level, copy the data over, then remove moveFrom (docs/database.md, "Moving between levels")`,
      });
    }
    for (const org of before.organizations ?? []) {
      if (orgs.has(org)) continue;
      problems.push({
        file: now.file,
        path: "organizations",
        rule: `organization "${org}" was in the last update and is gone: its namespace and everything in it would be deleted. Keep it, or decommission the tenant first (README, "Removing an organization")`,
      });
    }
  }
  return problems;
}

/**
 * A tenant new to this cell that another cell's last update still holds: declaring it here would
 * create it a second time, with new keys, unless its state was moved here first — which the file
 * acknowledges with `movedFrom: <that cell>`.
 */
export function arrivalProblems(previous: Record<string, PreviousTenant> | undefined, tenants: readonly TenantModel[], heldElsewhere: (slug: string) => string | undefined): Problem[] {
  const problems: Problem[] = [];
  for (const t of tenants) {
    if (previous?.[t.slug]) continue;
    const other = heldElsewhere(t.slug);
    if (other === undefined || t.movedFrom === other) continue;
    problems.push({
      file: t.file,
      path: "cell",
      rule:
        `tenant "${t.slug}" is still held by cell "${other}" (its last update): declaring it here would create it again with new keys. ` +
        `Move its state here first and say so with \`movedFrom: ${other}\` (docs/cells.md, "Moving a tenant between cells")`,
    });
  }
  return problems;
}
