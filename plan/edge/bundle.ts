/**
 * A collector's onboarding bundle (seed 000 §4: certs, config, NATS creds, setup script):
 * everything to run the collector and its site's leaf node outside the cluster, with the same
 * paths as in the cluster so the same configuration files work; and install.sh, which lays the
 * files out and starts both with Docker or Podman.
 */
import { LEAF_CONFIG_KEY, LEAF_SERVICE_NAME, collectorServiceName, siteNames } from "../../model/names";
import type { CollectorType } from "../../model/schema";
import { COLLECTOR_KINDS } from "./collectors";
import { COLLECTOR_PATHS, EDGE_UID, LEAF_PATHS } from "./paths";

/** Files of an onboarding bundle, as Secret keys (flat: Secret keys cannot hold "/"). */
export interface BundleInputs {
  slug: string;
  type: CollectorType;
  partition: string;
  collectorImage: string;
  leafImage: string;
  /** The collector's config, certificate chain and key, tenant CA, creds. */
  config: string;
  certChainPem: string;
  keyPem: string;
  tenantCaPem: string;
  creds: string;
  /** The leaf node's config (dialling the public hub address), certificate, key, creds. */
  leafConfig: string;
  leafCertChainPem: string;
  leafKeyPem: string;
  hubCaPem: string;
  leafCreds: string;
  /** The hub address the leaf dials, or undefined when the stack has no public one. */
  publicHubLeafUrl?: string;
}

/**
 * Bundle file → where install.sh puts it (under its prefix), and its mode. Each collector has its
 * own directory (`<type>-<partition>/serviceradar`, mounted at /etc/serviceradar): a second
 * bundle on the same site must not replace the first one's certificate, key or creds. The site's
 * leaf files (`nats/`, mounted at /etc/nats) are the same in every bundle of the tenant.
 */
export function bundleLayout(type: CollectorType, partition: string): { key: string; path: string; mode: string }[] {
  const kind = COLLECTOR_KINDS[type];
  const own = `${collectorServiceName(type, partition)}/`;
  const under = (p: string) => p.replace(/^\/etc\//, "");
  return [
    { key: kind.configFile, path: own + under(`${COLLECTOR_PATHS.configDir}/${kind.configFile}`), mode: "0644" },
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
  ];
}

/**
 * The onboarding bundle of one collector (seed 000 §4: certs, config, NATS creds, setup script):
 * everything to run the collector and its site's leaf node outside the cluster, with the same
 * paths as in the cluster so the same configuration files work.
 */
export function onboardingBundle(b: BundleInputs): Record<string, string> {
  const kind = COLLECTOR_KINDS[b.type];
  const name = collectorServiceName(b.type, b.partition);
  const layout = bundleLayout(b.type, b.partition);
  const site = siteNames(b.slug, name);
  const files: Record<string, string> = {
    [kind.configFile]: b.config,
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
  };
  const publish = kind.ingest.map((p) => `-p ${p.servicePort}:${p.containerPort}/${p.protocol.toLowerCase()}`).join(" ");
  const install = [
    "#!/bin/sh",
    `# Runs collector ${name} of tenant ${b.slug} and the site's leaf NATS node with Docker or Podman.`,
    "# Outbound only: the leaf dials the hub's leaf port over TLS; devices send to the published ports.",
    "set -eu",
    'HERE=$(cd "$(dirname "$0")" && pwd)',
    'RUNTIME=${CONTAINER_RUNTIME:-docker}',
    `PREFIX=\${PREFIX:-${site.prefix}}`,
    `NETWORK=\${NETWORK:-${site.network}}`,
    "",
    ...layout.map((f) => `install -D -m ${f.mode} -o ${EDGE_UID} -g ${EDGE_UID} "$HERE/${f.key}" "$PREFIX/${f.path}"`),
    "",
    '"$RUNTIME" network inspect "$NETWORK" >/dev/null 2>&1 || "$RUNTIME" network create "$NETWORK"',
    "# One leaf per site: a second collector's bundle reuses the running one.",
    `if ! "$RUNTIME" container inspect ${site.leafContainer} >/dev/null 2>&1; then`,
    `  "$RUNTIME" run -d --name ${site.leafContainer} --network "$NETWORK" --network-alias ${LEAF_SERVICE_NAME} --restart unless-stopped \\`,
    `    --read-only --cap-drop ALL --security-opt no-new-privileges --user ${EDGE_UID}:${EDGE_UID} \\`,
    `    -v "$PREFIX/nats:/etc/nats:ro" ${b.leafImage} --config ${LEAF_PATHS.config}`,
    "fi",
    `"$RUNTIME" rm -f ${site.collectorContainer} >/dev/null 2>&1 || true`,
    `"$RUNTIME" run -d --name ${site.collectorContainer} --network "$NETWORK" --restart unless-stopped ${publish} \\`,
    `  --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges --user ${EDGE_UID}:${EDGE_UID} \\`,
    `  -v "$PREFIX/${name}/serviceradar:/etc/serviceradar:ro" ${b.collectorImage} --config ${COLLECTOR_PATHS.configDir}/${kind.configFile}`,
    `echo "collector ${name} of ${b.slug} started; the leaf dials ${b.publicHubLeafUrl ?? "(no public hub address configured)"}"`,
    "",
  ].join("\n");
  const subjects = Object.values(kind.subjects).map((s) => `\`${b.slug}.${s}\``).join(", ");
  const readme = [
    `# Onboarding bundle: ${b.type} collector "${b.partition}" of tenant ${b.slug}`,
    "",
    `This bundle runs the collector and the site's leaf NATS node in your network. It publishes ${subjects}`,
    `to your tenant's account on the ServiceRadar hub through the leaf node; nothing else is reachable with it.`,
    "",
    "Requirements: Docker or Podman; outbound TCP to the hub's leaf port; inbound " +
      kind.ingest.map((p) => `${p.servicePort}/${p.protocol.toLowerCase()} (${p.name})`).join(", ") + " from your devices.",
    "",
    "    sudo ./install.sh            # CONTAINER_RUNTIME=podman PREFIX=/srv/edge ./install.sh to change",
    "",
    b.publicHubLeafUrl
      ? `The leaf dials ${b.publicHubLeafUrl}, verifies it with hub-ca.crt and presents leaf.crt.`
      : "WARNING: the stack has no public hub address (tenancy:natsHubPublicDnsNames); nats-leaf.conf dials the in-cluster address.",
    "",
    "| File | What it is | Secret |",
    "|---|---|---|",
    `| ${kind.configFile} | collector configuration (tenant_slug ${b.slug}) | no |`,
    "| collector.pem, collector-key.pem | the collector's certificate (chain up to your tenant CA) and key | key: yes |",
    "| ca.pem, leaf-ca.crt | your tenant CA: collector and leaf accept each other only under it | no |",
    "| collector.creds | the collector's NATS credentials (publish to your subjects only) | yes |",
    `| ${LEAF_CONFIG_KEY}, leaf.crt, leaf.key, leaf.creds | the leaf node: configuration, certificate, key, credentials | key, creds: yes |`,
    "| hub-ca.crt | the CA of the hub's certificate | no |",
    "",
    "Keys and creds are secrets: keep the bundle where only the installing administrator can read it,",
    "and ask the platform team for a credentials or certificate rotation if it leaks.",
    "",
  ].join("\n");
  return { "README.md": readme, "install.sh": install, ...files };
}

