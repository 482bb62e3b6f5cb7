/**
 * Where edge processes find their files and listen: the same paths and ports in the cluster (the
 * Deployments' mounts) and at a customer's site (the onboarding bundle's layout), so one
 * configuration file works in both.
 */
import { CREDS_KEY, LEAF_CONFIG_KEY, LEAF_SERVICE_NAME } from "../../model/names";

/** Port of the leaf's listener for collectors (inside the edge namespace or the customer's site). */
export const LEAF_CLIENT_PORT = 4222;
/** The leaf's monitoring endpoint: health probes only, never exposed by a Service or a policy. */
export const LEAF_MONITOR_PORT = 8222;
/** Unprivileged uid/gid every edge container runs as: the ServiceRadar images' own user (docker/images/service_images.bzl). */
export const EDGE_UID = 10001;

/** Where a collector finds its files; the same paths in the cluster and in an onboarding bundle. */
export const COLLECTOR_PATHS = {
  configDir: "/etc/serviceradar/config",
  certDir: "/etc/serviceradar/certs",
  cert: "/etc/serviceradar/certs/collector.pem",
  key: "/etc/serviceradar/certs/collector-key.pem",
  /** The tenant CA: the only anchor a collector trusts, so it talks to its own tenant's leaf only. */
  ca: "/etc/serviceradar/certs/ca.pem",
  credsDir: "/etc/serviceradar/nats",
  creds: `/etc/serviceradar/nats/${CREDS_KEY}`,
} as const;

export const LEAF_PATHS = {
  configDir: "/etc/nats/config",
  config: `/etc/nats/config/${LEAF_CONFIG_KEY}`,
  tlsDir: "/etc/nats/tls",
  cert: "/etc/nats/tls/tls.crt",
  key: "/etc/nats/tls/tls.key",
  ca: "/etc/nats/tls/ca.crt",
  hubCa: "/etc/nats/tls/hub-ca.crt",
  credsDir: "/etc/nats/creds",
  creds: `/etc/nats/creds/${CREDS_KEY}`,
  /** The leaf's JetStream store: the only writable path of the leaf. */
  dataDir: "/data",
  store: "/data/jetstream",
  /** Local stream definitions and the creds that create them (`nats stream add --config`). */
  streamsDir: "/etc/nats/streams",
  streamsCredsDir: "/etc/nats/streams-creds",
  streamsCreds: `/etc/nats/streams-creds/${CREDS_KEY}`,
} as const;

/** The leaf's address inside the edge (cluster namespace or the site's container network). */
export const leafUrl = () => `tls://${LEAF_SERVICE_NAME}:${LEAF_CLIENT_PORT}`;
