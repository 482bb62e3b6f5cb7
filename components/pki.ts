/**
 * Declares the certificate hierarchy planned in lib/pki.ts with @pulumi/tls, and stores it in
 * Kubernetes: keys only in Secrets, CA certificates published where workloads need them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as tls from "@pulumi/tls";
import {
  CA_USES,
  HUB_TLS_SECRET,
  ROOT_CA_CONFIGMAP,
  HUB_CA_SECRET,
  TENANT_CA_CONFIGMAP,
  generationSuffix,
  hubCaSubject,
  hubCertificatePlan,
  rootCaSubject,
  tenantPkiPlan,
  type ComponentCertificatePlan,
} from "../plan/pki";
import type { TenantModel } from "../model/model";
import { componentLabels } from "../model/names";
import type { CertificateClass, PkiSettings } from "../config/settings";
import type { ChildOptions } from "./namespaces";

/** What tenants need from the platform's PKI to get their intermediate CA signed. */
export interface PlatformCa {
  certPem: pulumi.Output<string>;
  /** Secret. */
  privateKeyPem: pulumi.Output<string>;
  /** The CA that signs only the NATS hub's certificate: what everything dialling the hub trusts. */
  hubCaCertPem: pulumi.Output<string>;
}

/** Issued certificate material, ready for a `kubernetes.io/tls` Secret. */
export interface IssuedCertificate {
  certPem: pulumi.Output<string>;
  /** Secret. */
  privateKeyPem: pulumi.Output<string>;
}

function ecdsaKey(name: string, cls: CertificateClass, parent: pulumi.Resource): tls.PrivateKey {
  return new tls.PrivateKey(name, { algorithm: "ECDSA", ecdsaCurve: cls.curve }, { parent });
}

/** The key's PEM as a secret, whatever the engine does with `additionalSecretOutputs`. */
const secretKey = (key: tls.PrivateKey) => pulumi.secret(key.privateKeyPem);

function tlsSecret(
  name: string,
  args: { name: string; namespace: pulumi.Input<string>; labels: Record<string, string>; certPem: pulumi.Input<string>; keyPem: pulumi.Input<string>; caPem: pulumi.Input<string>; extra?: Record<string, pulumi.Input<string>> },
  opts: pulumi.Resource | ChildOptions,
): k8s.core.v1.Secret {
  return new k8s.core.v1.Secret(
    name,
    {
      metadata: { name: args.name, namespace: args.namespace, labels: args.labels },
      type: "kubernetes.io/tls",
      stringData: pulumi.secret({ "tls.crt": args.certPem, "tls.key": args.keyPem, "ca.crt": args.caPem, ...args.extra }),
    },
    "parent" in opts ? opts : { parent: opts },
  );
}

/**
 * The platform root CA and the NATS hub's server certificate. The root key never enters the
 * cluster: it lives in Pulumi state (a secret) and signs tenant CAs there.
 */
export function declarePlatformPki(parent: pulumi.Resource, name: string, pki: PkiSettings, platformNamespace: pulumi.Output<string>, namespaceName: string): PlatformCa {
  const generation = generationSuffix(pki.rotation.root, 0);
  const rootKey = ecdsaKey(`${name}-root-ca-key${generation}`, pki.root, parent);
  const root = new tls.SelfSignedCert(
    `${name}-root-ca${generation}`,
    {
      privateKeyPem: secretKey(rootKey),
      subject: rootCaSubject(),
      isCaCertificate: true,
      // Root → tenant CA → component: one intermediate level below the root, no more.
      maxPathLength: 1,
      setSubjectKeyId: true,
      allowedUses: CA_USES,
      validityPeriodHours: pki.root.validityHours,
      earlyRenewalHours: pki.root.earlyRenewalHours,
    },
    { parent },
  );
  new k8s.core.v1.ConfigMap(
    `${name}-${ROOT_CA_CONFIGMAP}`,
    { metadata: { name: ROOT_CA_CONFIGMAP, namespace: platformNamespace, labels: componentLabels(undefined, "root-ca") }, data: { "ca.crt": root.certPem } },
    { parent },
  );

  // The hub's own CA (see lib/pki.ts): rotates with the root; the hub certificate also on its own.
  const hubCaKey = ecdsaKey(`${name}-hub-ca-key${generation}`, pki.root, parent);
  const hubCa = new tls.SelfSignedCert(
    `${name}-hub-ca${generation}`,
    {
      privateKeyPem: secretKey(hubCaKey),
      subject: hubCaSubject(),
      isCaCertificate: true,
      setSubjectKeyId: true,
      allowedUses: CA_USES,
      validityPeriodHours: pki.root.validityHours,
      earlyRenewalHours: pki.root.earlyRenewalHours,
    },
    { parent },
  );
  new k8s.core.v1.Secret(
    `${name}-${HUB_CA_SECRET}`,
    { metadata: { name: HUB_CA_SECRET, namespace: platformNamespace, labels: componentLabels(undefined, "nats-hub") }, type: "Opaque", stringData: { "ca.crt": hubCa.certPem } },
    { parent },
  );
  const hub = hubCertificatePlan(pki, namespaceName);
  const hubCert = issue(
    `${name}-nats-hub${generationSuffix(pki.rotation.root, pki.rotation.hub)}`,
    { subject: hub.subject, dnsNames: hub.dnsNames, allowedUses: hub.allowedUses, cls: pki.component, isCa: false },
    { certPem: hubCa.certPem, privateKeyPem: secretKey(hubCaKey) },
    parent,
  );
  // ca.crt: what the hub trusts for client certificates — the tenants' root.
  tlsSecret(
    `${name}-${HUB_TLS_SECRET}`,
    { name: HUB_TLS_SECRET, namespace: platformNamespace, labels: componentLabels(undefined, "nats-hub"), certPem: hubCert.certPem, keyPem: hubCert.privateKeyPem, caPem: root.certPem },
    parent,
  );
  return { certPem: root.certPem, privateKeyPem: secretKey(rootKey), hubCaCertPem: hubCa.certPem };
}

interface IssueArgs {
  subject: { commonName: string; organization: string; organizationalUnit?: string };
  dnsNames: string[];
  allowedUses: string[];
  cls: CertificateClass;
  isCa: boolean;
}

/** Key, certificate request and certificate signed by `issuer`, all named after `name`. */
function issue(name: string, args: IssueArgs, issuer: { certPem: pulumi.Input<string>; privateKeyPem: pulumi.Input<string> }, parent: pulumi.Resource): IssuedCertificate {
  const key = ecdsaKey(`${name}/key`, args.cls, parent);
  const request = new tls.CertRequest(
    `${name}/csr`,
    { privateKeyPem: secretKey(key), subject: args.subject, dnsNames: args.dnsNames.length ? args.dnsNames : undefined },
    { parent },
  );
  const cert = new tls.LocallySignedCert(
    `${name}/cert`,
    {
      certRequestPem: request.certRequestPem,
      caCertPem: issuer.certPem,
      caPrivateKeyPem: pulumi.secret(issuer.privateKeyPem),
      allowedUses: args.allowedUses,
      isCaCertificate: args.isCa,
      // Intent: a tenant CA signs end-entity certificates only. @pulumi/tls writes no pathlen for 0
      // (README, "Path length"); the root's pathlen 1 is what refuses a CA below a tenant CA.
      ...(args.isCa ? { maxPathLength: 0 } : {}),
      setSubjectKeyId: true,
      validityPeriodHours: args.cls.validityHours,
      earlyRenewalHours: args.cls.earlyRenewalHours,
    },
    { parent },
  );
  return { certPem: cert.certPem, privateKeyPem: secretKey(key) };
}

export interface TenantPki {
  caCertPem: pulumi.Output<string>;
  components: {
    plan: ComponentCertificatePlan;
    secret: k8s.core.v1.Secret;
    /** The component's certificate followed by its tenant CA. */
    certChainPem: pulumi.Output<string>;
    /** Secret. */
    keyPem: pulumi.Output<string>;
  }[];
  /** The platform root's certificate (tenant CA → root chains), and the hub CA's. */
  rootCertPem: pulumi.Output<string>;
  hubCaCertPem: pulumi.Output<string>;
}

/**
 * The tenant's intermediate CA (key in the platform namespace only; certificates published in the
 * tenant's root namespace) and one certificate per component, in the edge namespace where the
 * components run (`edge`, possibly in the edge's own cluster).
 */
export function declareTenantPki(
  parent: pulumi.Resource,
  tenant: TenantModel,
  pki: PkiSettings,
  platform: { ca: PlatformCa; namespace: pulumi.Input<string> },
  tenantNamespace: pulumi.Input<string>,
  edge: (ChildOptions & { namespace: pulumi.Input<string> }) | undefined,
): TenantPki {
  const plan = tenantPkiPlan(tenant, pki);
  const labels = (component: string) => componentLabels(tenant.slug, component);
  const ca = issue(`${tenant.slug}/tenant-ca${plan.caGeneration}`, { subject: plan.caSubject, dnsNames: [], allowedUses: CA_USES, cls: pki.tenantCa, isCa: true }, platform.ca, parent);
  tlsSecret(
    `${tenant.slug}/tenant-ca-secret`,
    { name: plan.caSecretName, namespace: platform.namespace, labels: labels("tenant-ca"), certPem: ca.certPem, keyPem: ca.privateKeyPem, caPem: platform.ca.certPem },
    parent,
  );
  new k8s.core.v1.ConfigMap(
    `${tenant.slug}/tenant-ca-configmap`,
    {
      metadata: { name: TENANT_CA_CONFIGMAP, namespace: tenantNamespace, labels: labels("tenant-ca") },
      data: {
        // Trust anchor for connections inside the tenant: only this tenant's certificates chain to it.
        "ca.crt": ca.certPem,
        // The full chain up to the platform root, for tools that want a self-signed anchor.
        "ca-chain.crt": pulumi.interpolate`${ca.certPem}${platform.ca.certPem}`,
        "root-ca.crt": platform.ca.certPem,
        "hub-ca.crt": platform.ca.hubCaCertPem,
      },
    },
    { parent },
  );

  const components = (edge ? plan.components : []).map((component) => {
    const cert = issue(
      `${component.resourceName}${plan.componentGeneration}`,
      { subject: component.subject, dnsNames: component.dnsNames, allowedUses: component.allowedUses, cls: pki.component, isCa: false },
      ca,
      parent,
    );
    // The chain a peer needs: the component's certificate, then its tenant CA.
    const certChainPem = pulumi.interpolate`${cert.certPem}${ca.certPem}`;
    const secret = tlsSecret(
      `${component.resourceName}/tls-secret`,
      {
        name: component.secretName,
        namespace: edge!.namespace,
        labels: labels(component.component),
        certPem: certChainPem,
        keyPem: cert.privateKeyPem,
        caPem: ca.certPem,
        // Whatever dials the hub verifies it with the hub CA (not the tenants' root).
        extra: { "hub-ca.crt": platform.ca.hubCaCertPem },
      },
      { parent, provider: edge!.provider },
    );
    return { plan: component, secret, certChainPem, keyPem: cert.privateKeyPem };
  });
  return { caCertPem: ca.certPem, components, rootCertPem: platform.ca.certPem, hubCaCertPem: platform.ca.hubCaCertPem };
}
