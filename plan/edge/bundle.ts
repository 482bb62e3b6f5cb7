/**
 * A collector's onboarding bundle (seed 000 §4: certs, config, NATS creds, setup script):
 * everything to run the collector and its site's leaf node at the customer's, with the same paths
 * as in the cluster so the same configuration files work; and install.sh, which lays the files out
 * and starts the site's leaf (its own identity, local JetStream), creates its local streams and
 * starts the collector, each with Docker or Podman as its image starts.
 */
import { LEAF_CONFIG_KEY, LEAF_SERVICE_NAME, collectorServiceName, siteNames } from "../../model/names";
import type { CollectorType } from "../../model/schema";
import { COLLECTOR_KINDS, collectorConfigPath } from "./collectors";
import { streamsScript } from "./leaf";
import { COLLECTOR_PATHS, EDGE_UID, LEAF_PATHS } from "./paths";
import { streamsEnv } from "./workloads";

/** Files of an onboarding bundle, as Secret keys (flat: Secret keys cannot hold "/"). */
export interface BundleInputs {
  slug: string;
  type: CollectorType;
  /** The collector's partition: its site. */
  partition: string;
  collectorImage: string;
  leafImage: string;
  streamsImage: string;
  /** The collector's configuration files, by name. */
  config: Record<string, string>;
  /** The site's local stream definitions, by file name. */
  streams: Record<string, string>;
  /** The collector's certificate chain and key, the tenant CA, its creds (in the site's account). */
  certChainPem: string;
  keyPem: string;
  tenantCaPem: string;
  creds: string;
  /** The site's leaf node: config (dialling the public hub address), certificate, key, creds; the streams user's creds. */
  leafConfig: string;
  leafCertChainPem: string;
  leafKeyPem: string;
  hubCaPem: string;
  leafCreds: string;
  streamsCreds: string;
  /** The hub address the leaf dials, or undefined when the stack has no public one. */
  publicHubLeafUrl?: string;
}

const under = (p: string) => p.replace(/^\/etc\//, "");

/**
 * Bundle file → where install.sh puts it (under its prefix), and its mode. Each collector has its
 * own directory (`<type>-<partition>/serviceradar`, mounted at /etc/serviceradar): a second
 * bundle of the site must not replace the first one's certificate, key or creds. The site's leaf
 * files (`nats/`, mounted at /etc/nats) are the same in every bundle of the site.
 */
export function bundleLayout(b: Pick<BundleInputs, "type" | "partition" | "config" | "streams">): { key: string; path: string; mode: string }[] {
  const own = `${collectorServiceName(b.type, b.partition)}/`;
  return [
    ...Object.keys(b.config).map((file) => ({ key: file, path: own + under(collectorConfigPath(file)), mode: "0644" })),
    { key: "collector.pem", path: own + under(COLLECTOR_PATHS.cert), mode: "0644" },
    { key: "collector-key.pem", path: own + under(COLLECTOR_PATHS.key), mode: "0600" },
    { key: "ca.pem", path: own + under(COLLECTOR_PATHS.ca), mode: "0644" },
    { key: "collector.creds", path: own + under(COLLECTOR_PATHS.creds), mode: "0600" },
    { key: LEAF_CONFIG_KEY, path: under(LEAF_PATHS.config), mode: "0644" },
    { key: "leaf.crt", path: under(LEAF_PATHS.cert), mode: "0644" },
    { key: "leaf.key", path: under(LEAF_PATHS.key), mode: "0600" },
    { key: "leaf-ca.crt", path: under(LEAF_PATHS.ca), mode: "0644" },
    { key: "hub-ca.crt", path: under(LEAF_PATHS.hubCa), mode: "0644" },
    { key: "leaf.creds", path: under(LEAF_PATHS.creds), mode: "0600" },
    { key: "streams.creds", path: under(LEAF_PATHS.streamsCreds), mode: "0600" },
    ...Object.keys(b.streams).map((file) => ({ key: file, path: under(`${LEAF_PATHS.streamsDir}/${file}`), mode: "0644" })),
  ];
}

/** Where install.sh keeps the site leaf's JetStream store (under its prefix): the buffer survives restarts. */
export const SITE_STORE_DIR = "nats-data";

/** The onboarding bundle of one collector: file name → content. */
export function onboardingBundle(b: BundleInputs): Record<string, string> {
  const kind = COLLECTOR_KINDS[b.type];
  const name = collectorServiceName(b.type, b.partition);
  const layout = bundleLayout(b);
  const site = siteNames(b.slug, b.partition, name);
  const files: Record<string, string> = {
    ...b.config,
    "collector.pem": b.certChainPem,
    "collector-key.pem": b.keyPem,
    "ca.pem": b.tenantCaPem,
    "collector.creds": b.creds,
    [LEAF_CONFIG_KEY]: b.leafConfig,
    "leaf.crt": b.leafCertChainPem,
    "leaf.key": b.leafKeyPem,
    "leaf-ca.crt": b.tenantCaPem,
    "hub-ca.crt": b.hubCaPem,
    "leaf.creds": b.leafCreds,
    "streams.creds": b.streamsCreds,
    ...b.streams,
  };
  const publish = kind.ingest.map((p) => `-p ${p.servicePort}:${p.containerPort}/${p.protocol.toLowerCase()}`).join(" ");
  const hardened = `--read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges --user ${EDGE_UID}:${EDGE_UID}`;
  const entry = collectorConfigPath(kind.entryFile);
  // As the image starts: log-collector and trapd read CONFIG_PATH, flow-collector takes --config.
  const start = kind.start.kind === "env" ? { env: `-e ${kind.start.variable}=${entry} `, args: "" } : { env: "", args: ` --config ${entry}` };
  const streamNames = Object.keys(b.streams).map((f) => f.replace(/\.json$/, ""));
  const install = [
    "#!/bin/sh",
    `# Runs collector ${name} of tenant ${b.slug} and site ${b.partition}'s leaf NATS node with Docker or Podman.`,
    "# Outbound only: the leaf dials the hub's leaf port over TLS; devices send to the published ports.",
    "set -eu",
    'HERE=$(cd "$(dirname "$0")" && pwd)',
    'RUNTIME=${CONTAINER_RUNTIME:-docker}',
    `PREFIX=\${PREFIX:-${site.prefix}}`,
    `NETWORK=\${NETWORK:-${site.network}}`,
    "",
    ...layout.map((f) => `install -D -m ${f.mode} -o ${EDGE_UID} -g ${EDGE_UID} "$HERE/${f.key}" "$PREFIX/${f.path}"`),
    `install -d -m 0750 -o ${EDGE_UID} -g ${EDGE_UID} "$PREFIX/${SITE_STORE_DIR}"`,
    "",
    '"$RUNTIME" network inspect "$NETWORK" >/dev/null 2>&1 || "$RUNTIME" network create "$NETWORK"',
    "# One leaf per site, with its JetStream store on the host: what it buffers survives a restart.",
    `if ! "$RUNTIME" container inspect ${site.leafContainer} >/dev/null 2>&1; then`,
    `  "$RUNTIME" run -d --name ${site.leafContainer} --network "$NETWORK" --network-alias ${LEAF_SERVICE_NAME} --restart unless-stopped \\`,
    `    ${hardened} \\`,
    `    -v "$PREFIX/nats:/etc/nats:ro" -v "$PREFIX/${SITE_STORE_DIR}:${LEAF_PATHS.dataDir}" ${b.leafImage} --config ${LEAF_PATHS.config}`,
    "fi",
    "# Beside the leaf, what keeps the site's local streams (the site's streams user).",
    `"$RUNTIME" rm -f ${site.streamsContainer} >/dev/null 2>&1 || true`,
    `"$RUNTIME" run -d --name ${site.streamsContainer} --network "$NETWORK" --restart unless-stopped ${hardened} \\`,
    `  ${streamsEnv().map((e) => `-e ${e.name}=${e.value}`).join(" ")} \\`,
    `  -v "$PREFIX/nats:/etc/nats:ro" ${b.streamsImage} /bin/sh -c '${streamsScript(streamNames)}'`,
    `"$RUNTIME" rm -f ${site.collectorContainer} >/dev/null 2>&1 || true`,
    `"$RUNTIME" run -d --name ${site.collectorContainer} --network "$NETWORK" --restart unless-stopped ${publish} \\`,
    `  ${hardened} ${start.env}\\`,
    `  -v "$PREFIX/${name}/serviceradar:/etc/serviceradar:ro" ${b.collectorImage}${start.args}`,
    `echo "collector ${name} of ${b.slug} started; site ${b.partition}'s leaf dials ${b.publicHubLeafUrl ?? "(no public hub address configured)"}"`,
    "",
  ].join("\n");
  const readme = [
    `# Onboarding bundle: ${b.type} collector "${b.partition}" of tenant ${b.slug}`,
    "",
    `This bundle runs the collector and site ${b.partition}'s leaf NATS node in your network. The collector publishes`,
    "to the leaf, which keeps every message in local JetStream and forwards it to your tenant's streams on the",
    "ServiceRadar hub; while the hub is out of reach the leaf keeps what arrives (up to its buffer), and sends it",
    "once the link is back. Nothing else is reachable with it: its credentials are valid at this site's leaf only.",
    "",
    "Requirements: Docker or Podman; outbound TCP to the hub's leaf port; inbound " +
      kind.ingest.map((p) => `${p.servicePort}/${p.protocol.toLowerCase()} (${p.name})`).join(", ") +
      " from your devices; access to the images' registry (`docker login registry.carverauto.dev` if it asks).",
    "",
    "    sudo ./install.sh            # CONTAINER_RUNTIME=podman PREFIX=/srv/edge ./install.sh to change",
    "",
    b.publicHubLeafUrl
      ? `The leaf dials ${b.publicHubLeafUrl}, verifies it with hub-ca.crt and presents leaf.crt.`
      : "WARNING: the stack has no public hub address (tenancy:natsHubPublicDnsNames); nats-leaf.conf dials the in-cluster address.",
    "",
    "| File | What it is | Secret |",
    "|---|---|---|",
    `| ${Object.keys(b.config).join(", ")} | collector configuration (subject ${b.slug}.…) | no |`,
    "| collector.pem, collector-key.pem | the collector's certificate (chain up to your tenant CA) and key | key: yes |",
    "| ca.pem, leaf-ca.crt | your tenant CA: collector and leaf accept each other only under it | no |",
    "| collector.creds | the collector's NATS credentials, valid at this site's leaf only | yes |",
    `| ${LEAF_CONFIG_KEY}, leaf.crt, leaf.key, leaf.creds | the site's leaf node: configuration, certificate, key, credentials | key, creds: yes |`,
    `| streams.creds, ${Object.keys(b.streams).join(", ")} | who creates the site's local streams, and their definitions | creds: yes |`,
    "| hub-ca.crt | the CA of the hub's certificate | no |",
    "",
    "Keys and creds are secrets: keep the bundle where only the installing administrator can read it.",
    "If it leaks, ask the platform team to revoke the site: the hub then refuses its leaf, and your other",
    "sites stay connected.",
    "",
  ].join("\n");
  return { "README.md": readme, "install.sh": install, ...files };
}
