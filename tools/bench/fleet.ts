/**
 * The bench's fleet with cells, as plain data: which cell each synthetic tenant names, the cells file
 * that lists them, the hub capacity such a fleet needs (so the bench sets it, printed, instead of
 * switching the validation off), and the per-kind count of what a tenant declares. Pure, so it is
 * tested without rendering anything.
 */
import { stringify } from "yaml";
import type { TenantHubShare } from "../../model/hub-capacity";

export const PLATFORM_STACK = "platform";
export const cellName = (index: number) => `c${index}`;
export const cellStack = (cell: string) => `cell-${cell}`;

/**
 * Tenants in blocks of `cellSize`: tenant i is in cell ⌊i / cellSize⌋, so every cell but the last is
 * full and holds the same mix of plans as the fleet (the synthetic plan cycles every 4 tenants, so a
 * round-robin over 100 cells would put only free tenants in c0).
 */
export function blockAssignment(tenants: number, cellSize: number): { cellCount: number; cellOf: (i: number) => string } {
  if (!Number.isInteger(cellSize) || cellSize < 1) throw new Error(`--cell-size: expected a positive whole number, got ${cellSize}`);
  if (!Number.isInteger(tenants) || tenants < 1) throw new Error(`--tenants: expected positive whole numbers, got ${tenants}`);
  return { cellCount: Math.ceil(tenants / cellSize), cellOf: (i) => cellName(Math.floor(i / cellSize)) };
}

/** The cells file for `cellCount` cells c0…, each in stack cell-<name>; c0 is the default. */
export function cellsFileText(cellCount: number): string {
  const cells = Array.from({ length: cellCount }, (_, i) => ({ name: cellName(i), stack: cellStack(cellName(i)) }));
  return stringify({ platform: { stack: PLATFORM_STACK }, defaultCell: cellName(0), cells });
}

export interface HubCapacityNeed {
  maxConnections: number;
  /** Bytes per hub server, rounded up to whole GiB. */
  fileStore: number;
  memoryStore: number;
  /** The fullest cell's figures, which every cell's even share (model/hub-capacity.ts cellHubRules) must hold. */
  largestCell: { connections: number; fileStore: number; memoryStore: number };
}

const GIB = 2 ** 30;

/**
 * The smallest hub that admits every group of tenants when each group checks an even share of it
 * (one group: a stack without cells, checked against the whole). A cell's share is
 * `platform + ⌊(max − platform) / k⌋` connections and `⌊store / k⌋` bytes, so k × the fullest
 * cell's total (plus the platform's connections) is the least that fits. Unlimited shares (−1) are
 * not summed, as the validation does not sum them. `shares` is how many even shares the hub is cut
 * into: the cells file's cells, whether or not each holds a tenant.
 */
export function hubCapacityNeed(groups: readonly (readonly TenantHubShare[])[], platformConnections: number, shares = groups.length): HubCapacityNeed {
  if (shares < groups.length) throw new Error(`${groups.length} groups of tenants cannot share a hub cut into ${shares}`);
  const k = Math.max(1, shares);
  const total = (shares: readonly TenantHubShare[], pick: (s: TenantHubShare) => number) => shares.reduce((sum, s) => sum + Math.max(0, pick(s)), 0);
  const largest = (pick: (s: TenantHubShare) => number) => Math.max(0, ...groups.map((g) => total(g, pick)));
  const largestCell = { connections: largest((s) => s.connections), fileStore: largest((s) => s.fileStore), memoryStore: largest((s) => s.memoryStore) };
  const wholeGiB = (n: number) => Math.max(1, Math.ceil(n / GIB)) * GIB;
  return {
    maxConnections: Math.max(1, platformConnections + k * largestCell.connections),
    fileStore: wholeGiB(k * largestCell.fileStore),
    memoryStore: wholeGiB(k * largestCell.memoryStore),
    largestCell,
  };
}

/** The need as stack config (`tenancy:` keys of config/keys.ts). */
export function hubCapacityConfig(need: HubCapacityNeed): Record<string, string> {
  return {
    "tenancy:natsHubMaxConnections": String(need.maxConnections),
    "tenancy:natsHubFileStore": `${need.fileStore / GIB}Gi`,
    "tenancy:natsHubMemoryStore": `${need.memoryStore / GIB}Gi`,
  };
}

/**
 * A resource's own type from its URN (`urn:pulumi:<stack>::<project>::<parent types $ …>$<type>::<name>`),
 * and whether it is a tenant's component or one of its descendants (as engine/render.ts tenantOf counts).
 */
export function urnType(urn: string): { type: string; ofTenant: boolean } {
  const parts = urn.split("::");
  if (parts.length < 4 || !urn.startsWith("urn:pulumi:")) throw new Error(`not a Pulumi URN: ${urn}`);
  const chain = parts[2]!.split("$");
  return { type: chain[chain.length - 1]!, ofTenant: chain.includes(TENANT_TYPE) };
}

/** The component type of a tenant (components/tenant.ts). */
export const TENANT_TYPE = "tenancy:index:Tenant";

/**
 * Counts by type of the resources of tenants' components in a stack's resources.yaml (its
 * `- urn:` lines: the file is every declared resource, one entry each), without parsing the rest.
 */
export function tenantResourcesByType(resourcesYaml: string, into: Record<string, number> = {}): Record<string, number> {
  for (const line of resourcesYaml.split("\n")) {
    if (!line.startsWith("- urn: ")) continue;
    const { type, ofTenant } = urnType(line.slice("- urn: ".length).trim());
    if (ofTenant) into[type] = (into[type] ?? 0) + 1;
  }
  return into;
}
