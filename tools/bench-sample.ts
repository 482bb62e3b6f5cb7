/** One benchmark sample (its own process): evaluate the program over a tenants directory. */
import { runOffline } from "../engine/offline";
import { renderManifests } from "../engine/render";

async function main() {
  const tenantsDir = process.argv[2];
  const started = process.hrtime.bigint();
  // One hub for every synthetic tenant: its capacity raised to fit them all (a real fleet that large
  // is split into cells instead; see docs/nats.md, "Capacity").
  const run = await runOffline({
    config: { "tenancy:tenantsDir": tenantsDir, "tenancy:natsHubMaxConnections": "100000000", "tenancy:natsHubFileStore": "1Pi", "tenancy:natsHubMemoryStore": "1Pi" },
  });
  const manifests = renderManifests(run);
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const result = {
    wallMs,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    resources: run.registrations.length,
    kubernetesObjects: manifests.length,
    // The hub's own configuration: the same size whatever the number of tenants (accounts are pushed).
    natsHubConfigBytes: Number(run.outputs.natsHubConfigBytes),
  };
  process.stdout.write(JSON.stringify(result) + "\n");
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
