/**
 * What all tenants together may take of the shared hub: every promise kept at once must fit in one
 * server, since nothing stops a tenant's connections (or every R1 stream) from landing on the same
 * one. The hub's capacity is stack config, not a sum of the tenants, so adding a tenant changes no
 * server configuration: it is admitted when it fits, and refused here, with the figures, when not.
 */
import { bytes } from "../lib/quantity";
import type { HubRules } from "./limits";
import type { TenantModel } from "./model";
import type { Problem } from "./problems";

/** What one tenant may hold on one hub server at worst. */
export interface TenantHubShare {
  slug: string;
  connections: number;
  /** JetStream bytes on one server: an R1 stream whole, an R3 stream one of its three copies. */
  fileStore: number;
  memoryStore: number;
}

export function tenantHubShare(tenant: TenantModel): TenantHubShare {
  const nats = tenant.limits.nats;
  const perServer = (q: string | number) => {
    const n = bytes(q);
    return n < 0 ? -1 : nats.jetstream.replicas <= 1 ? n : Math.ceil(n / nats.jetstream.replicas);
  };
  return {
    slug: tenant.slug,
    connections: nats.connections,
    fileStore: perServer(nats.jetstream.diskStorage),
    memoryStore: perServer(nats.jetstream.memoryStorage),
  };
}

/**
 * One problem per capacity the tenants overrun, against the stack config key that sets it (the
 * largest shares are named: they are where a change helps most). Unlimited tenants are not summed:
 * a stack that allows them has given up this bound on purpose.
 */
export function hubCapacityProblems(tenants: readonly TenantModel[], hub: HubRules, source: string, share = ""): Problem[] {
  const shares = tenants.map(tenantHubShare);
  const problems: Problem[] = [];
  const check = (key: string, pick: (s: TenantHubShare) => number, capacity: number, reserved: number, unit: (n: number) => string) => {
    if (!Number.isFinite(capacity)) return;
    const bounded = shares.filter((s) => pick(s) >= 0);
    const total = bounded.reduce((a, s) => a + pick(s), 0);
    if (total + reserved <= capacity) return;
    const largest = [...bounded].sort((a, b) => pick(b) - pick(a) || a.slug.localeCompare(b.slug)).slice(0, 3).map((s) => `${s.slug} ${unit(pick(s))}`);
    const platform = reserved > 0 ? ` plus the platform's ${unit(reserved)}` : "";
    problems.push({
      file: source,
      path: `tenancy:${key}`,
      rule: `${share}${unit(capacity)} per hub server is less than the ${bounded.length} tenants' ${unit(total)}${platform} (largest: ${largest.join(", ")}): raise it, or move tenants to another cell`,
    });
  };
  const count = (n: number) => `${n}`;
  const size = (n: number) => `${n} bytes (${(n / 2 ** 30).toFixed(1)} GiB)`;
  check("natsHubMaxConnections", (s) => s.connections, hub.maxConnections, hub.platformConnections, count);
  check("natsHubFileStore", (s) => s.fileStore, hub.fileStorePerServer, 0, size);
  check("natsHubMemoryStore", (s) => s.memoryStore, hub.memoryStorePerServer, 0, size);
  return problems;
}

/**
 * One cell's share of the hub: an even part of every capacity (the platform's connections kept
 * apart), so each cell checks its own tenants alone and the cells together still fit.
 */
export function cellHubRules(hub: HubRules, cellCount: number): HubRules {
  return {
    ...hub,
    maxConnections: hub.platformConnections + Math.floor((hub.maxConnections - hub.platformConnections) / cellCount),
    fileStorePerServer: Math.floor(hub.fileStorePerServer / cellCount),
    memoryStorePerServer: Math.floor(hub.memoryStorePerServer / cellCount),
  };
}
