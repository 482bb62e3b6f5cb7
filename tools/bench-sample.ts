/** One benchmark sample (its own process): evaluate the program over a tenants directory. */
import { runOffline } from "../engine/offline";
import { renderManifests } from "../engine/render";

async function main() {
  const tenantsDir = process.argv[2];
  const started = process.hrtime.bigint();
  const run = await runOffline({ config: { "tenancy:tenantsDir": tenantsDir } });
  const manifests = renderManifests(run);
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const result = {
    wallMs,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    resources: run.registrations.length,
    kubernetesObjects: manifests.length,
    // The hub's accounts fragment must fit one ConfigMap (1 MiB) — see README, "The hub configuration".
    natsHubConfigBytes: Number(run.outputs.natsHubConfigBytes),
  };
  process.stdout.write(JSON.stringify(result) + "\n");
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
