/**
 * The platform stack of a fleet with cells: what the cells share — the platform namespace, the root
 * and hub CAs, the NATS operator with the system and platform accounts, the hub's configuration — and
 * each cell's endorsement: its CA certificate signed from the request it published, its operator
 * signing key and claims pusher trusted. It reads no tenant file and declares no tenant.
 */
import * as pulumi from "@pulumi/pulumi";
import { AdmissionPolicies } from "../components/admission";
import { NatsHubConfig } from "../components/nats-hub";
import { Platform } from "../components/platform";
import { STACK_RESOURCE_NAMES } from "../model/names";
import { planAdmission } from "../plan/admission";
import { planCellEndorsements, type CellIdentityOutput, type PlatformOutput } from "../plan/cells";
import { planHubConfig, planPlatform } from "../plan/platform";
import { kubernetesProvider, lastOutput, postgresProvider, selfStackName, stackReferenceName, type StackInputs } from "./shared";

export async function platformStack({ config, settings, loaded, fleetConfig }: StackInputs) {
  const cells = loaded.cells!;
  // A cell endorsed by the last update must stay readable: dropping it would revoke its accounts.
  const before = settings.guardRemovedTenants ? await lastOutput<PlatformOutput>(STACK_RESOURCE_NAMES.previousUpdate, selfStackName(settings), "platform") : undefined;
  const published: Record<string, CellIdentityOutput | undefined> = {};
  for (const c of cells.cells) {
    published[c.name] = await lastOutput<CellIdentityOutput>(STACK_RESOURCE_NAMES.cellStack(c.name), stackReferenceName(settings, c.stack), "cellIdentity").catch((err: unknown) => {
      if (before?.cells?.[c.name]) throw err;
      pulumi.log.warn(`cell "${c.name}": ${err instanceof Error ? err.message : String(err)}; not endorsed until its stack exists and has run`);
      return undefined;
    });
    if (!published[c.name] && before?.cells?.[c.name]) throw new Error(`cell "${c.name}" was endorsed by the last update but its stack ${c.stack} publishes no identity now: refusing to revoke it unannounced (remove it from ${cells.file} to revoke it)`);
  }
  const { endorsed, waiting } = planCellEndorsements(cells, published, settings, STACK_RESOURCE_NAMES.platform);
  if (waiting.length > 0) {
    pulumi.log.warn(`cells not endorsed yet, their stacks have published no identity: ${waiting.join(", ")}. Update each, then this stack again (docs/cells.md, "Adding a cell")`);
  }
  const platformPlan = planPlatform(settings, STACK_RESOURCE_NAMES.platform, endorsed);
  const hubPlan = planHubConfig(settings, loaded.plans);
  // Cluster-wide, like the namespace they guard: one set for every cell's tenants.
  const admissionPlan = planAdmission(settings, loaded.plans, STACK_RESOURCE_NAMES.admission);

  const provider = kubernetesProvider(settings);
  const platform = new Platform(platformPlan.name, { plan: platformPlan, postgresProvider: postgresProvider(config, settings) }, { providers: [provider] });
  new AdmissionPolicies(admissionPlan.name, { plan: admissionPlan, namespace: platform.namespace }, { providers: [provider] });
  const hub = new NatsHubConfig(hubPlan.name, { plan: hubPlan, platform: platform.context.nats, namespace: platform.namespace }, { providers: [provider] });
  const ctx = platform.context;
  const endorsedCells = Object.fromEntries(
    endorsed.map((e) => [e.cell, pulumi.all({ caCertPem: platform.cellCaCertPems[e.cell]!, operatorSigningKeyPub: e.identity.operatorSigningKeyPub, claimsPusherPub: e.identity.claimsPusherPub })]),
  );
  // Public only: every cell reads all of it, so nothing here may be one cell's secret.
  const output: pulumi.Output<PlatformOutput> = pulumi.unsecret(
    pulumi
      .all([platform.namespace, ctx.ca.rootCertPem, ctx.ca.hubCaCertPem, ctx.nats.operatorJwt, ctx.nats.systemAccount, pulumi.all(endorsedCells)])
      .apply(([namespace, rootCaCertPem, hubCaCertPem, operatorJwt, systemAccount, cellsOut]): PlatformOutput => ({ namespace, rootCaCertPem, hubCaCertPem, operatorJwt, systemAccount, cells: cellsOut as PlatformOutput["cells"], fleetConfig })),
  );
  return {
    platform: output,
    platformNamespace: platform.namespace,
    natsHubConfigBytes: hub.fragment.apply((f) => Buffer.byteLength(f)),
    cellsWaiting: waiting,
  };
}
