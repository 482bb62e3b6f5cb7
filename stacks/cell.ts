/**
 * A cell's stack: its own keys (CellIdentity), and the tenants whose file names the cell, declared
 * with what the platform stack published and signed by the cell's own CA and operator signing key.
 * Until the platform has endorsed the cell's keys it declares its identity only (a new cell), or
 * refuses to go on (a cell that already holds tenants), so nothing is ever dropped for want of it.
 */
import * as pulumi from "@pulumi/pulumi";
import { fleetConfigProblems } from "../config/fleet";
import { CONFIG_SOURCE } from "../config/validate";
import { CellIdentity, cellPlatformContext } from "../components/cell";
import { arrivalProblems, type PreviousTenant } from "../model/lifecycle";
import { STACK_RESOURCE_NAMES } from "../model/names";
import { endorsementProblem, planCellIdentity, type PlatformOutput } from "../plan/cells";
import { planTenant } from "../plan/tenant";
import { cellOnDisk, declareTenants, guardRemovals, kubernetesProvider, lastOutput, postgresProvider, refuse, stackReferenceName, type StackInputs } from "./shared";

export async function cellStack({ config, settings, loaded, fleetConfig }: StackInputs) {
  const cells = loaded.cells!;
  const cell = settings.cell!;
  const { tenants } = loaded;
  const others = cells.cells.filter((c) => c.name !== cell);
  const held = new Map<string, Promise<Record<string, PreviousTenant> | undefined>>();
  const heldBy = (name: string) => {
    if (!held.has(name)) held.set(name, lastOutput<Record<string, PreviousTenant>>(STACK_RESOURCE_NAMES.cellStack(name), stackReferenceName(settings, cells.cells.find((c) => c.name === name)!.stack), "tenants"));
    return held.get(name)!;
  };
  // Read first: a stack file edited for one cell must not diverge from what the platform built the
  // fleet for, and that is reported with the guard's problems before anything is declared.
  const platform = await lastOutput<PlatformOutput>(STACK_RESOURCE_NAMES.platformStack, stackReferenceName(settings, cells.platformStack), "platform");
  const configProblems = fleetConfigProblems(fleetConfig, platform?.fleetConfig ?? {}, CONFIG_SOURCE, cells.platformStack);
  const previous = await guardRemovals(settings, tenants, async (slug) => {
    const to = cellOnDisk(settings, cells.defaultCell, slug);
    if (to === undefined || to === cell || !cells.cells.some((c) => c.name === to)) return undefined;
    return { to, arrived: (await heldBy(to))?.[slug] !== undefined };
  }, configProblems);
  if (settings.guardRemovedTenants && tenants.some((t) => !previous?.[t.slug])) {
    // A tenant new here must not be one another cell still holds (declared twice, with new keys).
    const holders = new Map<string, string>();
    for (const other of others) for (const slug of Object.keys((await heldBy(other.name)) ?? {})) holders.set(slug, other.name);
    refuse([...configProblems, ...arrivalProblems(previous, tenants, (slug) => holders.get(slug))]);
  }
  refuse(configProblems);

  const identityName = `${STACK_RESOURCE_NAMES.cellIdentity}-${cell}`;
  const identity = new CellIdentity(identityName, { plan: planCellIdentity(cell, settings, identityName) });
  const waiting = endorsementProblem(cell, platform);
  if (waiting !== undefined) {
    if (previous && Object.keys(previous).length > 0) throw new Error(`cell "${cell}": ${waiting}. Its tenants are left as they are until then.`);
    if (tenants.length > 0) pulumi.log.warn(`cell "${cell}": ${waiting}. ${tenants.length} tenant(s) wait for it: ${tenants.map((t) => t.slug).join(", ")}`);
    return { cellIdentity: identity.published, tenants: {} };
  }
  // The keys the platform trusts for this cell must be the ones this stack signs with.
  const cellIdentity = identity.published.apply((own) => {
    const problem = endorsementProblem(cell, platform, own);
    if (problem) throw new Error(`cell "${cell}": ${problem}`);
    return own;
  });
  const provider = kubernetesProvider(settings);
  const context = cellPlatformContext(cell, identity, platform!, settings.nats);
  const tenantPlans = tenants.map((tenant) => planTenant(tenant, settings));
  // Tenants' database roles are declared by the cell (the platform's own database is the platform's):
  // the cell's stack holds the provider's admin credentials too (docs/cells.md).
  const { summaries, bundles } = await declareTenants(tenantPlans, context, { config, settings, provider, postgresProvider: postgresProvider(config, settings) });
  return {
    cellIdentity,
    platformNamespace: platform!.namespace,
    tenants: summaries,
    onboardingBundles: pulumi.secret(pulumi.all(bundles)),
  };
}
