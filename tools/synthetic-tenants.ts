/** Synthetic tenant files for the benchmark: a deterministic mix of plans, organizations and collectors. */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { COLLECTOR_TYPES } from "../model/schema";

const PLANS = ["free", "basic", "pro", "enterprise"];

export function syntheticTenant(i: number): Record<string, unknown> {
  const slug = `synthetic-${String(i).padStart(5, "0")}`;
  const plan = PLANS[i % PLANS.length];
  // free: no organizations; others 1–3, every other tenant sharing its first two.
  const orgCount = plan === "free" ? 0 : 1 + (i % 3);
  const organizations = Array.from({ length: orgCount }, (_, o) => ({
    id: `org${o}`,
    ...(o === 1 && i % 2 === 0 ? { sharesWith: ["org0"] } : {}),
  }));
  const collectors = Array.from({ length: 1 + (i % 2) }, (_, c) => ({
    type: COLLECTOR_TYPES[(i + c) % COLLECTOR_TYPES.length],
    partition: `site${c}`,
    replicas: 1,
  }));
  return {
    slug,
    displayName: `Synthetic tenant ${i}`,
    plan,
    status: "active",
    access: { admins: [`${slug}:admins`], viewers: [`${slug}:viewers`] },
    ...(orgCount > 0 ? { organizations } : {}),
    // basic's 8Gi of ephemeral-storage limits, after an edge, leaves three or four namespaces less
    // than the plan's 2Gi container maximum: such a tenant lowers it (as the validation says to).
    ...(plan === "basic" && orgCount >= 2 ? { overrides: { kubernetes: { limitRange: { max: { "ephemeral-storage": "1Gi" } } } } } : {}),
    collectors,
  };
}

/** Writes N tenant files into `dir` (emptied first). */
export function writeSyntheticTenants(dir: string, count: number): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const tenant = syntheticTenant(i);
    fs.writeFileSync(path.join(dir, `${tenant.slug}.yaml`), stringify(tenant));
  }
}
