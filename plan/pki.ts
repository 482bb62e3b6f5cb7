/**
 * The certificate hierarchy as data: which certificates exist, their subjects, names, usages and
 * where they are stored. Pure, so it is tested without Pulumi; components/pki.ts declares it.
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
import { edgeNamespaceName } from "../model/names";
import type { TenantModel } from "../model/model";
import type { CertificateClass, NatsSettings, PkiSettings } from "../config/settings";
import type { CollectorType } from "../model/schema";
import type { Problem } from "../model/validate";

/** Trust domain suffix of every component CN (seed 001 task 1.4). */
export const TRUST_DOMAIN = "serviceradar";
/** The tenant's leaf NATS node is a component like the collectors; it serves its edge site. */
export const LEAF_COMPONENT = "leaf";
export const LEAF_PARTITION = "edge";
export const LEAF_SERVICE_NAME = "nats-leaf";

/** Key usages an ECDSA key can have: it signs (handshakes), it never encrypts a key. */
const ECDSA_END_ENTITY_USES = ["digital_signature"];

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

export const componentCommonName = (component: string, partition: string, slug: string) =>
  `${component}.${partition}.${slug}.${TRUST_DOMAIN}`;
export const collectorServiceName = (type: string, partition: string) => `${type}-${partition}`;
export const componentSecretName = (component: string, partition: string) => `${component}-${partition}-tls`;
/** The tenant CA's key: in the platform namespace only, named after the tenant. */
export const tenantCaSecretName = (slug: string) => `tenant-ca-${slug}`;
/** Published in the tenant's root namespace: the CA certificates, never a key. */
export const TENANT_CA_CONFIGMAP = "tenant-ca";
export const HUB_TLS_SECRET = "nats-hub-tls";
export const ROOT_CA_CONFIGMAP = "platform-root-ca";
/** The hub CA's certificate, as a Secret for consumers that read CAs only from Secrets (NACK). */
export const HUB_CA_SECRET = "nats-hub-ca";

export interface SubjectPlan {
  commonName: string;
  organization: string;
  organizationalUnit?: string;
}

export interface ComponentCertificatePlan {
  /** Collector type or `leaf`. */
  component: string;
  partition: string;
  subject: SubjectPlan;
  dnsNames: string[];
  allowedUses: string[];
  /** Namespace where the component runs and its Secret lives. */
  namespace: string;
  secretName: string;
  /**
   * Stem of the Pulumi logical names (key, request, certificate, Secret). "/" separates the parts:
   * no slug or partition can contain it, so two tenants' names never collide (URNs carry the
   * parent's type, not its name).
   */
  resourceName: string;
}

export interface TenantPkiPlan {
  caSubject: SubjectPlan;
  caSecretName: string;
  /** Suffix of the CA key's logical name; a new suffix is a new key (see `generationSuffix`). */
  caGeneration: string;
  componentGeneration: string;
  components: ComponentCertificatePlan[];
}

/**
 * Rotation is a rename: the key and certificate resources carry the generation in their logical
 * name, so bumping a counter creates a new key and certificate and deletes the old ones, while the
 * Kubernetes Secret (fixed name) is updated in place and workloads see new files. Generation 0 of
 * both counters has no suffix, so a stack that never rotated has plain names.
 */
export function generationSuffix(stackCounter: number, tenantCounter: number): string {
  return stackCounter === 0 && tenantCounter === 0 ? "" : `-g${stackCounter}.${tenantCounter}`;
}

export function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

export function tenantPkiPlan(tenant: TenantModel, pki: PkiSettings): TenantPkiPlan {
  // Components run in the tenant's edge namespace (lib/edge.ts), which exists when it has collectors.
  const namespace = edgeNamespaceName(tenant.slug);
  const organization = `${tenant.slug}.${TRUST_DOMAIN}`;
  // A decommissioned tenant runs nothing: its component certificates go, its CA stays (see README).
  const components =
    tenant.status === "decommissioned" || tenant.collectors.length === 0
      ? []
      : [
          ...tenant.collectors.map((c) => ({ component: c.type, partition: c.partition, service: collectorServiceName(c.type, c.partition) })),
          { component: LEAF_COMPONENT, partition: LEAF_PARTITION, service: LEAF_SERVICE_NAME },
        ];
  return {
    caSubject: { commonName: `${tenant.slug} tenant CA`, organization, organizationalUnit: "tenant-ca" },
    caSecretName: tenantCaSecretName(tenant.slug),
    caGeneration: generationSuffix(pki.rotation.tenantCa, tenant.certificates.caRotation),
    componentGeneration: generationSuffix(pki.rotation.component, tenant.certificates.rotation),
    components: components.map(({ component, partition, service }): ComponentCertificatePlan => {
      const commonName = componentCommonName(component, partition, tenant.slug);
      const listens = LISTENS_WITH_TLS[component as keyof typeof LISTENS_WITH_TLS];
      return {
        component,
        partition,
        subject: { commonName, organization, organizationalUnit: component },
        // The CN is also a DNS name (clients verify SANs, not CNs); listeners add their Service names.
        dnsNames: [commonName, ...(listens ? serviceDnsNames(service, namespace) : [])],
        allowedUses: [...ECDSA_END_ENTITY_USES, "client_auth", ...(listens ? ["server_auth"] : [])],
        namespace,
        secretName: componentSecretName(component, partition),
        resourceName: `${tenant.slug}/${component}/${partition}`,
      };
    }),
  };
}

export function rootCaSubject(): SubjectPlan {
  return { commonName: `${TRUST_DOMAIN} platform root CA`, organization: TRUST_DOMAIN, organizationalUnit: "platform" };
}

export function hubCaSubject(): SubjectPlan {
  return { commonName: `${TRUST_DOMAIN} NATS hub CA`, organization: TRUST_DOMAIN, organizationalUnit: "nats-hub" };
}

export function hubCertificatePlan(pki: PkiSettings, platformNamespace: string) {
  const commonName = `nats.${platformNamespace}.${TRUST_DOMAIN}`;
  return {
    subject: { commonName, organization: TRUST_DOMAIN, organizationalUnit: "nats-hub" },
    dnsNames: [commonName, ...serviceDnsNames(pki.hubServiceName, platformNamespace), ...pki.hubPublicDnsNames],
    // The hub accepts clients and leaf nodes, and dials other hubs in a cluster.
    allowedUses: [...ECDSA_END_ENTITY_USES, "server_auth", "client_auth"],
  };
}

/** Uses of a CA certificate: it signs certificates and revocation lists, nothing else. */
export const CA_USES = ["cert_signing", "crl_signing", "digital_signature"];


const CURVES = ["P256", "P384"];

/** Stack config problems in the PKI settings, reported like tenant-file problems. */
export function pkiSettingsProblems(pki: PkiSettings, source = "stack config"): Problem[] {
  const problems: Problem[] = [];
  const classes: [string, string, CertificateClass][] = [
    ["root", "Root", pki.root],
    ["tenantCa", "TenantCa", pki.tenantCa],
    ["component", "Component", pki.component],
  ];
  for (const [, key, cls] of classes) {
    const at = (field: string) => `tenancy:pki${key}${field}`;
    if (!Number.isInteger(cls.validityHours) || cls.validityHours <= 0)
      problems.push({ file: source, path: at("ValidityHours"), rule: "must be a positive whole number of hours" });
    if (!Number.isInteger(cls.earlyRenewalHours) || cls.earlyRenewalHours < 0 || cls.earlyRenewalHours >= cls.validityHours)
      problems.push({ file: source, path: at("EarlyRenewalHours"), rule: `must be a whole number of hours, at least 0 and less than the validity (${cls.validityHours})` });
    if (!CURVES.includes(cls.curve)) problems.push({ file: source, path: at("Curve"), rule: `must be one of ${CURVES.join(", ")}` });
  }
  // A certificate outliving its issuer would be valid on paper and refused by every verifier.
  if (pki.tenantCa.validityHours > pki.root.validityHours)
    problems.push({ file: source, path: "tenancy:pkiTenantCaValidityHours", rule: `must not exceed the root's validity (${pki.root.validityHours} hours)` });
  if (pki.component.validityHours > pki.tenantCa.validityHours)
    problems.push({ file: source, path: "tenancy:pkiComponentValidityHours", rule: `must not exceed the tenant CA's validity (${pki.tenantCa.validityHours} hours)` });
  for (const [key, value] of Object.entries(pki.rotation)) {
    if (!Number.isInteger(value) || value < 0)
      problems.push({ file: source, path: `tenancy:pki${key[0].toUpperCase()}${key.slice(1)}Rotation`, rule: "must be a whole number, at least 0" });
  }
  return problems;
}

const DNS_NAME = /^(?=.{1,253}$)(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

/** Stack config problems in the NATS settings and the hub's public names. */
export function natsSettingsProblems(nats: NatsSettings, pki: PkiSettings, source = "stack config"): Problem[] {
  const problems: Problem[] = [];
  const names: unknown = pki.hubPublicDnsNames;
  if (!Array.isArray(names)) problems.push({ file: source, path: "tenancy:natsHubPublicDnsNames", rule: 'must be a list of DNS names, e.g. ["nats.example.com"]' });
  else names.forEach((n, i) => {
    if (typeof n !== "string" || !DNS_NAME.test(n)) problems.push({ file: source, path: `tenancy:natsHubPublicDnsNames[${i}]`, rule: `${JSON.stringify(n)} is not a DNS name` });
  });
  if (!Number.isInteger(nats.streamReplicas) || nats.streamReplicas < 1 || nats.streamReplicas > 5)
    problems.push({ file: source, path: "tenancy:natsStreamReplicas", rule: "must be a whole number from 1 to 5 (JetStream's limit)" });
  if (!Number.isInteger(nats.claimsIssuedAt) || nats.claimsIssuedAt <= 0)
    problems.push({ file: source, path: "tenancy:natsClaimsIssuedAt", rule: "must be a positive whole number of Unix seconds" });
  if (typeof nats.deployHub !== "boolean") problems.push({ file: source, path: "tenancy:natsDeployHub", rule: "must be true or false" });
  if (typeof nats.operatorName !== "string" || !/^[A-Za-z0-9][-A-Za-z0-9_.]{0,63}$/.test(nats.operatorName))
    problems.push({ file: source, path: "tenancy:natsOperatorName", rule: "must be a name of letters, digits, '-', '_' or '.' (at most 64)" });
  return problems;
}
