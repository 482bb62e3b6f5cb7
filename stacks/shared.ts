/**
 * What every kind of stack does the same way: read and validate stack config and the files, guard
 * against dropping a tenant, and declare tenants (with the providers of their edge clusters) in the
 * context of a platform — the platform of the same stack, or a cell's view of the platform stack.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as postgresql from "@pulumi/postgresql";
import type { PlatformContext } from "../components/platform";
import { Tenant } from "../components/tenant";
import { POSTGRES_ADMIN_PASSWORD_KEY } from "../config/keys";
import { edgeKubeconfigProblems } from "../config/kubeconfig";
import { fleetConfig } from "../config/fleet";
import { databaseOptions, hubRules, readSettings, type StackSettings } from "../config/settings";
import { CONFIG_SOURCE, configProblems } from "../config/validate";
import { cellLine } from "../model/cells";
import { removalProblems, type CellMove, type PreviousTenant } from "../model/lifecycle";
import { loadTenants, type Loaded } from "../model/load";
import { EDGE_KUBECONFIG_PREFIX, STACK_RESOURCE_NAMES } from "../model/names";
import { ValidationError, type Problem } from "../model/problems";
import type { TenantModel } from "../model/model";
import type { TenantPlan, TenantSummary } from "../plan/tenant";

export interface StackInputs {
  config: pulumi.Config;
  settings: StackSettings;
  loaded: Loaded;
  /** This stack's values of the keys the fleet shares (config/fleet.ts): the platform publishes them, a cell compares. */
  fleetConfig: Record<string, string>;
}

/** Stack config and every file this stack reads, validated together: one problem list, or nothing declared. */
export function readStack(): StackInputs {
  const config = new pulumi.Config("tenancy");
  const get = (key: string) => config.get(key);
  const keys = Object.keys(pulumi.runtime.allConfig());
  const settings = readSettings(get, keys);
  const loaded = loadTenants(
    {
      ...settings,
      hub: hubRules(settings.nats),
      configSource: CONFIG_SOURCE,
      ...(settings.stackRole === "cell" && settings.cell !== undefined ? { cell: settings.cell } : {}),
      skipTenants: settings.stackRole === "platform",
      database: databaseOptions(settings.postgres),
    },
    // Edge kubeconfigs are read here, once, to be checked (never printed); the providers still take them as secrets.
    [...configProblems(get, keys), ...edgeKubeconfigProblems(get, settings.edge.clusters)],
  );
  if (settings.stackRole !== "all" && !loaded.cells) {
    throw new ValidationError([{ file: CONFIG_SOURCE, path: "tenancy:stackRole", rule: `"${settings.stackRole}" needs a cells file (${settings.cellsFile}): without one, a stack holds everything ("all")` }]);
  }
  return { config, settings, loaded, fleetConfig: fleetConfig(get, { plans: loaded.plans, cells: loaded.cells && { ...loaded.cells, file: undefined } }) };
}

/** How a StackReference names a stack of the cells file. */
export const stackReferenceName = (settings: StackSettings, stack: string) => `${settings.stackReferencePrefix ?? `${pulumi.getOrganization()}/${pulumi.getProject()}/`}${stack}`;

/** How this stack names itself in a StackReference. */
export const selfStackName = (settings: StackSettings) => settings.guardStackName ?? `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;

/** The outputs a stack's last update left, read through a StackReference (undefined: never ran). */
export async function lastOutput<T>(resourceName: string, stackName: string, output: string): Promise<T | undefined> {
  const ref = new pulumi.StackReference(resourceName, { name: stackName });
  return (await ref.getOutputValue(output).catch((err: unknown) => {
    throw new Error(`cannot read stack "${stackName}" (${err instanceof Error ? err.message : String(err)}): name it as a StackReference does on your backend`);
  })) as T | undefined;
}

/**
 * No tenant (or organization) disappears without being decommissioned first, compared with what
 * the last update of this very stack left (its `tenants` output); in a cell, a tenant whose file now
 * names another cell leaves only once that cell holds it.
 */
export async function guardRemovals(
  settings: StackSettings,
  tenants: readonly TenantModel[],
  movedTo: (slug: string) => Promise<CellMove | undefined> = async () => undefined,
  /** Problems found before the guard (reported with its own, all at once). */
  found: readonly Problem[] = [],
): Promise<Record<string, PreviousTenant> | undefined> {
  if (!settings.guardRemovedTenants) return undefined;
  const selfName = selfStackName(settings);
  const previous = await lastOutput<Record<string, PreviousTenant>>(STACK_RESOURCE_NAMES.previousUpdate, selfName, "tenants").catch((err: unknown) => {
    throw new Error(
      `the lifecycle guard cannot read this stack's previous outputs as "${selfName}" (${err instanceof Error ? err.message : String(err)}): ` +
        "set tenancy:guardStackName to the name a StackReference to this stack takes on your backend (legacy DIY backends: the bare stack name)",
    );
  });
  const fileOf = (slug: string) => path.relative(process.cwd(), path.resolve(settings.tenantsDir, `${slug}.yaml`));
  const current = new Set(tenants.map((t) => t.slug));
  const moves = new Map<string, CellMove | undefined>();
  for (const slug of Object.keys(previous ?? {})) if (!current.has(slug)) moves.set(slug, await movedTo(slug));
  const problems = [...found, ...removalProblems(previous, tenants, fileOf, (slug) => moves.get(slug))];
  if (problems.length > 0) throw new ValidationError(problems);
  return previous;
}

/** The cell a tenant file on disk names now (undefined: no such file), read as a cell's stack reads it. */
export function cellOnDisk(settings: StackSettings, defaultCell: string, slug: string): string | undefined {
  const file = path.resolve(settings.tenantsDir, `${slug}.yaml`);
  return fs.existsSync(file) ? (cellLine(fs.readFileSync(file, "utf8")) ?? defaultCell) : undefined;
}

/** Throws the problems, if any, as one ValidationError. */
export function refuse(problems: Problem[]): void {
  if (problems.length > 0) throw new ValidationError(problems);
}

export function kubernetesProvider(settings: StackSettings): k8s.Provider {
  return new k8s.Provider(STACK_RESOURCE_NAMES.provider, { renderYamlToDirectory: settings.renderYamlToDirectory });
}

/**
 * The platform's PostgreSQL, when the stack names one. Unset, the password comes from PGPASSWORD in
 * pulumi's environment (the provider's default), never from plain config.
 */
export function postgresProvider(config: pulumi.Config, settings: StackSettings): postgresql.Provider | undefined {
  const pg = settings.postgres;
  if (pg.host === undefined) return undefined;
  return new postgresql.Provider(STACK_RESOURCE_NAMES.postgresProvider, {
    host: pg.host,
    port: pg.port,
    database: pg.database,
    username: pg.adminUser,
    password: config.getSecret(POSTGRES_ADMIN_PASSWORD_KEY),
    sslmode: pg.sslMode,
    superuser: pg.superuser,
  });
}

/** Tenants and the providers of the edge clusters they name (the kubeconfig is secret config). */
export async function declareTenants(
  plans: readonly TenantPlan[],
  platform: PlatformContext,
  inputs: { config: pulumi.Config; settings: StackSettings; provider: k8s.Provider; postgresProvider?: postgresql.Provider; dependsOn?: pulumi.Resource[] },
): Promise<{ summaries: Record<string, TenantSummary>; bundles: Record<string, pulumi.Output<Record<string, Record<string, string>>>> }> {
  const { config, settings, provider, postgresProvider: pg } = inputs;
  const edgeProviders: Record<string, k8s.Provider> = {};
  for (const cluster of [...new Set(plans.flatMap((p) => (p.edge?.cluster !== undefined ? [p.edge.cluster] : [])))].sort()) {
    edgeProviders[cluster] = new k8s.Provider(STACK_RESOURCE_NAMES.edgeProvider(cluster), {
      kubeconfig: config.requireSecret(`${EDGE_KUBECONFIG_PREFIX}${cluster}`),
      renderYamlToDirectory: settings.renderYamlToDirectory && `${settings.renderYamlToDirectory}/clusters/${cluster}`,
    });
  }
  const summaries: Record<string, TenantSummary> = {};
  const bundles: Record<string, pulumi.Output<Record<string, Record<string, string>>>> = {};
  for (const plan of plans) {
    const declared = new Tenant(plan.name, { plan, platform, edgeProviders, postgresProvider: pg }, { providers: [provider], dependsOn: inputs.dependsOn });
    summaries[plan.slug] = declared.summary;
    if (plan.edge) bundles[plan.slug] = declared.onboardingBundles;
    // Let this tenant's registrations go out before declaring the next: with thousands of tenants
    // memory stays flat instead of holding every pending registration at once.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { summaries, bundles };
}
