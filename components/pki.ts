/**
 * Declares the certificate hierarchy planned in plan/pki.ts and plan/platform.ts with @pulumi/tls,
 * and stores it in Kubernetes: keys only in Secrets, CA certificates published where workloads
 * need them. Signing happens in Pulumi state; the root and hub CA keys never enter the cluster.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as tls from "@pulumi/tls";
import { certificateRequestPem } from "../lib/x509/certificate-request";
import { HUB_TLS_HUB_CA_KEY, issuedNames } from "../model/names";
import type { CertificateClass } from "../config/settings";
import type { CertificateRequestPlan, TenantPkiPlan } from "../plan/pki";
import type { PlatformPlan, SelfSignedCaPlan } from "../plan/platform";
import type { ChildOptions } from "./namespaces";

/** What tenants need from the platform's PKI to get their intermediate CA signed. */
export interface PlatformCa {
  /** The CA that signs tenant CAs: the root, or in a cell the cell's CA. */
  certPem: pulumi.Output<string>;
  /** Secret. */
  privateKeyPem: pulumi.Output<string>;
  /** That CA's certificate and those above it, up to and including the root. */
  chainPem: pulumi.Output<string>;
  rootCertPem: pulumi.Output<string>;
  /** The CA that signs only the NATS hub's certificate: what everything dialling the hub trusts. */
  hubCaCertPem: pulumi.Output<string>;
}

/** The platform's PKI: what tenants in the same stack need, and each endorsed cell's CA certificate. */
export interface PlatformPki extends PlatformCa {
  cellCaCertPems: Record<string, pulumi.Output<string>>;
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
  opts: ChildOptions,
): k8s.core.v1.Secret {
  return new k8s.core.v1.Secret(
    name,
    {
      metadata: { name: args.name, namespace: args.namespace, labels: args.labels },
      type: "kubernetes.io/tls",
      stringData: pulumi.secret({ "tls.crt": args.certPem, "tls.key": args.keyPem, "ca.crt": args.caPem, ...args.extra }),
    },
    opts,
  );
}

function selfSignedCa(plan: SelfSignedCaPlan, parent: pulumi.Resource): { cert: tls.SelfSignedCert; key: tls.PrivateKey } {
  const key = ecdsaKey(plan.keyLogicalName, plan.cls, parent);
  const cert = new tls.SelfSignedCert(
    plan.logicalName,
    {
      privateKeyPem: secretKey(key),
      subject: plan.subject,
      isCaCertificate: true,
      ...(plan.maxPathLength !== undefined ? { maxPathLength: plan.maxPathLength } : {}),
      setSubjectKeyId: true,
      allowedUses: plan.allowedUses,
      validityPeriodHours: plan.cls.validityHours,
      earlyRenewalHours: plan.cls.earlyRenewalHours,
    },
    { parent },
  );
  return { cert, key };
}

/** The platform root CA, the hub CA and the NATS hub's server certificate. */
export function declarePlatformPki(parent: pulumi.Resource, plan: PlatformPlan["pki"], cells: PlatformPlan["cells"], platformNamespace: pulumi.Output<string>): PlatformPki {
  const root = selfSignedCa(plan.root, parent);
  new k8s.core.v1.ConfigMap(
    plan.rootConfigMap.logicalName,
    { metadata: { name: plan.rootConfigMap.name, namespace: platformNamespace, labels: plan.rootConfigMap.labels }, data: { "ca.crt": root.cert.certPem } },
    { parent },
  );
  const hubCa = selfSignedCa(plan.hubCa, parent);
  new k8s.core.v1.Secret(
    plan.hubCaSecret.logicalName,
    { metadata: { name: plan.hubCaSecret.name, namespace: platformNamespace, labels: plan.hubCaSecret.labels }, type: "Opaque", stringData: { "ca.crt": hubCa.cert.certPem } },
    { parent },
  );
  const hubCert = issue(plan.hubCertificate, { certPem: hubCa.cert.certPem, privateKeyPem: secretKey(hubCa.key) }, parent);
  // Each endorsed cell's CA, signed by the root from the request the cell published: the cell's key
  // never leaves its stack.
  const cellCaCertPems: Record<string, pulumi.Output<string>> = {};
  for (const cell of cells) {
    const cert = new tls.LocallySignedCert(
      cell.certificate.logicalName,
      {
        certRequestPem: cell.identity.caCsrPem,
        caCertPem: root.cert.certPem,
        caPrivateKeyPem: secretKey(root.key),
        allowedUses: cell.certificate.allowedUses,
        isCaCertificate: true,
        maxPathLength: cell.certificate.maxPathLength,
        setSubjectKeyId: true,
        validityPeriodHours: cell.certificate.cls.validityHours,
        earlyRenewalHours: cell.certificate.cls.earlyRenewalHours,
      },
      { parent },
    );
    cellCaCertPems[cell.cell] = cert.certPem;
  }
  // ca.crt: what the hub trusts for leaf nodes' certificates — the tenants' root; with cells, each
  // endorsed cell's CA and not the root, so a cell dropped from the cells file is no longer trusted.
  const clientTrust = plan.trustCellCas && cells.length > 0 ? pulumi.all(Object.values(cellCaCertPems)).apply((pems) => pems.join("")) : root.cert.certPem;
  tlsSecret(
    plan.hubTlsSecret.logicalName,
    // hub-ca.crt: what the hub's servers verify each other's routes with.
    { name: plan.hubTlsSecret.name, namespace: platformNamespace, labels: plan.hubTlsSecret.labels, certPem: hubCert.certPem, keyPem: hubCert.privateKeyPem, caPem: clientTrust, extra: { [HUB_TLS_HUB_CA_KEY]: hubCa.cert.certPem } },
    { parent },
  );
  return { certPem: root.cert.certPem, privateKeyPem: secretKey(root.key), chainPem: root.cert.certPem, rootCertPem: root.cert.certPem, hubCaCertPem: hubCa.cert.certPem, cellCaCertPems };
}

/**
 * Key and certificate signed by `issuer`, named after the plan's stem. The request between them is
 * computed here, not declared (lib/x509/certificate-request.ts): the same key and subject give the
 * same request, so it changes only when the key, subject or names do, as a CertRequest would.
 */
function issue(plan: CertificateRequestPlan, issuer: { certPem: pulumi.Input<string>; privateKeyPem: pulumi.Input<string> }, parent: pulumi.Resource): IssuedCertificate {
  const names = issuedNames(plan.logicalName);
  const key = ecdsaKey(names.key, plan.cls, parent);
  // A request is public: its PEM is no secret, though the key it is computed from is.
  const certRequestPem = pulumi.unsecret(secretKey(key).apply((pem) => certificateRequestPem(pem, plan.subject, plan.dnsNames)));
  const cert = new tls.LocallySignedCert(
    names.certificate,
    {
      certRequestPem,
      caCertPem: issuer.certPem,
      caPrivateKeyPem: pulumi.secret(issuer.privateKeyPem),
      allowedUses: plan.allowedUses,
      isCaCertificate: plan.isCa,
      // Intent: a tenant CA signs end-entity certificates only. @pulumi/tls writes no pathlen for 0
      // (docs/pki.md, "Path length"); the root's pathlen 1 is what refuses a CA below a tenant CA.
      ...(plan.isCa ? { maxPathLength: 0 } : {}),
      setSubjectKeyId: true,
      validityPeriodHours: plan.cls.validityHours,
      earlyRenewalHours: plan.cls.earlyRenewalHours,
    },
    { parent },
  );
  return { certPem: cert.certPem, privateKeyPem: secretKey(key) };
}

/** Issued to an edge component; its workload's Secret (components/edge.ts) or its site's bundles hold it. */
export interface IssuedComponent {
  /** The component's certificate followed by its tenant CA. */
  certChainPem: pulumi.Output<string>;
  /** Secret. */
  keyPem: pulumi.Output<string>;
}

export interface TenantPki {
  caCertPem: pulumi.Output<string>;
  /** By certificate id (`ComponentCertificatePlan.id`). */
  components: Record<string, IssuedComponent>;
  /** The platform root's certificate (tenant CA → root chains), and the hub CA's. */
  rootCertPem: pulumi.Output<string>;
  hubCaCertPem: pulumi.Output<string>;
}

/**
 * The tenant's intermediate CA (its key only in Pulumi state, a secret: signing happens there, so
 * no copy of it is in any cluster; certificates published in the tenant's root namespace) and one
 * certificate per edge component the plan lists (none without an edge: plan/pki.ts), which the
 * edge's workload Secrets and site bundles hold.
 */
export function declareTenantPki(
  parent: pulumi.Resource,
  plan: TenantPkiPlan,
  platform: { ca: PlatformCa; namespace: pulumi.Input<string> },
  tenantNamespace: pulumi.Input<string>,
): TenantPki {
  const ca = issue(plan.ca, platform.ca, parent);
  new k8s.core.v1.ConfigMap(
    plan.caConfigMap.logicalName,
    {
      metadata: { name: plan.caConfigMap.name, namespace: tenantNamespace, labels: plan.caConfigMap.labels },
      data: {
        // Trust anchor for connections inside the tenant: only this tenant's certificates chain to it.
        "ca.crt": ca.certPem,
        // The full chain up to the platform root, for tools that want a self-signed anchor.
        "ca-chain.crt": pulumi.interpolate`${ca.certPem}${platform.ca.chainPem}`,
        "root-ca.crt": platform.ca.rootCertPem,
        "hub-ca.crt": platform.ca.hubCaCertPem,
      },
    },
    { parent },
  );
  const components: Record<string, IssuedComponent> = {};
  for (const component of plan.components) {
    const cert = issue(component, ca, parent);
    // The chain a peer needs: the component's certificate, then its tenant CA.
    const certChainPem = pulumi.interpolate`${cert.certPem}${ca.certPem}`;
    components[component.id] = { certChainPem, keyPem: cert.privateKeyPem };
  }
  return { caCertPem: ca.certPem, components, rootCertPem: platform.ca.rootCertPem, hubCaCertPem: platform.ca.hubCaCertPem };
}
