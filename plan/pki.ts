/**
 * The certificate hierarchy as data: which certificates exist, their subjects, names, usages and
 * where they are stored. components/pki.ts declares it with @pulumi/tls.
 *
 *   platform root CA (self-signed, in Pulumi state only; its certificate is published)
 *   └── tenant intermediate CA, one per tenant (the root's pathlen 1 leaves no room below it)
 *       └── component certificates: each collector and the tenant's leaf node
 *   NATS hub CA (self-signed, separate key; in Pulumi state only)
 *   └── NATS hub server certificate (client and leaf listeners)
 *
 * The hub has its own CA because everything that dials the hub trusts that CA: were the hub signed
 * by the tenants' root, one stolen tenant CA key could mint a hub certificate every tenant accepts.
 */
import type { TenantModel } from "../model/model";
import {
  HUB_CA_COMMON_NAME,
  LEAF_COMPONENT,
  LEAF_PARTITION,
  LEAF_SERVICE_NAME,
  ROOT_CA_COMMON_NAME,
  TENANT_CA_CONFIGMAP,
  TRUST_DOMAIN,
  collectorServiceName,
  componentCommonName,
  componentLabels,
  edgeNamespaceName,
  generationSuffix,
  hubCommonName,
  hubHeadlessServiceName,
  hubPodName,
  serviceDnsNames,
  tenantCaCommonName,
  tenantOrganization,
  tenantResourceNames,
} from "../model/names";
import type { CollectorType } from "../model/schema";
import type { CertificateClass, PkiSettings } from "../config/settings";

/** Key usages an ECDSA key can have: it signs (handshakes), it never encrypts a key. */
const ECDSA_END_ENTITY_USES = ["digital_signature"];

/** Uses of a CA certificate: it signs certificates and revocation lists, nothing else. */
export const CA_USES = ["cert_signing", "crl_signing", "digital_signature"];

/**
 * Components that accept TLS connections need `server_auth` too: the leaf node (collectors connect
 * to it), flowgger (syslog over TLS) and the OpenTelemetry collector (OTLP over TLS). trapd and
 * netflow receive plain UDP and only dial out.
 */
const LISTENS_WITH_TLS: Record<CollectorType | typeof LEAF_COMPONENT, boolean> = {
  flowgger: true,
  otel: true,
  trapd: false,
  netflow: false,
  leaf: true,
};

export interface SubjectPlan {
  commonName: string;
  organization: string;
  organizationalUnit?: string;
}

/** One certificate to issue: its subject, names and uses, its key class and its resources' logical names. */
export interface CertificateRequestPlan {
  /** Stem of the key, request and certificate logical names (generation included). */
  logicalName: string;
  subject: SubjectPlan;
  dnsNames: string[];
  allowedUses: string[];
  cls: CertificateClass;
  isCa: boolean;
}

export interface ComponentCertificatePlan extends CertificateRequestPlan {
  /** `<component>/<partition>`: what edge workloads name their certificate by. */
  id: string;
  /** Collector type or `leaf`. */
  component: string;
  partition: string;
  /**
   * Namespace where the component runs (the edge namespace). Its key and certificate are in its
   * workload's one Secret (plan/edge/workloads.ts), or, for a site's leaf, only in its site's bundles.
   */
  namespace: string;
}

export interface TenantPkiPlan {
  ca: CertificateRequestPlan;
  /** The CA's key, only in the platform namespace. */
  /** The CA certificates, published in the tenant's root namespace. */
  caConfigMap: { logicalName: string; name: string; labels: Record<string, string> };
  components: ComponentCertificatePlan[];
}

export const componentCertificateId = (component: string, partition: string) => `${component}/${partition}`;

/** The tenant's CA and component certificates; `name` is the Tenant component's (its children's stem). */
export function tenantPkiPlan(name: string, tenant: TenantModel, pki: PkiSettings): TenantPkiPlan {
  const names = tenantResourceNames(name);
  // Components run in the tenant's edge namespace, which exists when it has collectors.
  const namespace = edgeNamespaceName(tenant.slug);
  const organization = tenantOrganization(tenant.slug);
  const caGeneration = generationSuffix(pki.rotation.tenantCa, tenant.certificates.caRotation);
  const componentGeneration = generationSuffix(pki.rotation.component, tenant.certificates.rotation);
  // A decommissioned tenant runs nothing: its component certificates go, its CA stays (docs/pki.md).
  // Every edge location's leaf has its own certificate (CN leaf.<location>.<slug>): the in-cluster
  // edge's and each site's not revoked; a site's new generation re-issues its leaf's.
  const components =
    tenant.status === "decommissioned" || tenant.collectors.length === 0
      ? []
      : [
          ...tenant.collectors.map((c) => ({ component: c.type, partition: c.partition, service: collectorServiceName(c.type, c.partition), generation: "" })),
          { component: LEAF_COMPONENT, partition: LEAF_PARTITION, service: LEAF_SERVICE_NAME, generation: "" },
          ...tenant.edge.sites
            .filter((site) => !site.revoked)
            .map((site) => ({ component: LEAF_COMPONENT, partition: site.name, service: LEAF_SERVICE_NAME, generation: site.generation > 0 ? `-s${site.generation}` : "" })),
        ];
  return {
    ca: {
      logicalName: names.caCertificate(caGeneration),
      subject: { commonName: tenantCaCommonName(tenant.slug), organization, organizationalUnit: "tenant-ca" },
      dnsNames: [],
      allowedUses: CA_USES,
      cls: pki.tenantCa,
      isCa: true,
    },
    caConfigMap: { logicalName: names.caConfigMap, name: TENANT_CA_CONFIGMAP, labels: componentLabels(tenant.slug, "tenant-ca") },
    components: components.map(({ component, partition, service, generation }): ComponentCertificatePlan => {
      const commonName = componentCommonName(component, partition, tenant.slug);
      const listens = LISTENS_WITH_TLS[component as keyof typeof LISTENS_WITH_TLS];
      return {
        id: componentCertificateId(component, partition),
        component,
        partition,
        logicalName: names.componentCertificate(component, partition, componentGeneration + generation),
        subject: { commonName, organization, organizationalUnit: component },
        // The CN is also a DNS name (clients verify SANs, not CNs); listeners add their Service names.
        // The leaf is also dialled over localhost by what keeps its local streams, in its own pod.
        dnsNames: [commonName, ...(listens ? serviceDnsNames(service, namespace) : []), ...(component === LEAF_COMPONENT ? ["localhost"] : [])],
        allowedUses: [...ECDSA_END_ENTITY_USES, "client_auth", ...(listens ? ["server_auth"] : [])],
        cls: pki.component,
        isCa: false,
        namespace,
      };
    }),
  };
}

export function rootCaSubject(): SubjectPlan {
  return { commonName: ROOT_CA_COMMON_NAME, organization: TRUST_DOMAIN, organizationalUnit: "platform" };
}

export function hubCaSubject(): SubjectPlan {
  return { commonName: HUB_CA_COMMON_NAME, organization: TRUST_DOMAIN, organizationalUnit: "nats-hub" };
}

/** The hub's server certificate, signed by the hub CA; `logicalName` is the caller's. */
export function hubCertificatePlan(pki: PkiSettings, platformNamespace: string, logicalName: string, hubServers: number): CertificateRequestPlan {
  const commonName = hubCommonName(platformNamespace);
  // The cluster's routes dial each server by its pod name under the headless Service
  // (`nats-0.nats-headless`): each name spelled out, not a wildcard, which OpenSSL refuses over a
  // single label and which would vouch for any pod that took such a name.
  const podNames = Array.from({ length: hubServers }, (_, i) => serviceDnsNames(`${hubPodName(pki.hubServiceName, i)}.${hubHeadlessServiceName(pki.hubServiceName)}`, platformNamespace)).flat();
  return {
    logicalName,
    subject: { commonName, organization: TRUST_DOMAIN, organizationalUnit: "nats-hub" },
    dnsNames: [commonName, ...serviceDnsNames(pki.hubServiceName, platformNamespace), ...podNames, ...pki.hubPublicDnsNames],
    // The hub accepts clients and leaf nodes, and dials other hubs in a cluster.
    allowedUses: [...ECDSA_END_ENTITY_USES, "server_auth", "client_auth"],
    cls: pki.component,
    isCa: false,
  };
}
