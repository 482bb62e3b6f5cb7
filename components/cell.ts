/**
 * A cell stack's side of the trust boundary (docs/cells.md): the CellIdentity component keys the
 * cell — its intermediate CA's key and certificate request, its operator signing key, its claims
 * pusher's key — and publishes only their public halves; `cellPlatformContext` gives the cell's
 * tenants what the platform stack published, with the cell's own keys in the signing roles.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { publicOf } from "../lib/nats/nkeys";
import type { NatsSettings } from "../config/settings";
import type { CellIdentityOutput, CellIdentityPlan, PlatformOutput } from "../plan/cells";
import { claimsPusherSeed, keyPair } from "../plan/nats-credentials";
import { keyBytes } from "./nats";
import type { PlatformContext } from "./platform";

export interface CellIdentityArgs {
  /** The cell's identity plan (`planCellIdentity`). */
  plan: CellIdentityPlan;
}

export class CellIdentity extends pulumi.ComponentResource {
  /** Public: what the platform stack endorses (stack output `cellIdentity`). */
  public readonly published: pulumi.Output<CellIdentityOutput>;
  /** Secret: the cell CA's key, which signs its tenants' CAs. */
  public readonly caKeyPem: pulumi.Output<string>;
  /** Secret: the operator signing key's random bytes (base64), which sign the cell's accounts. */
  public readonly operatorSigningKey: pulumi.Output<string>;
  /** Secret: the seed of the system account's scoped key the cell's pushes sign with. */
  public readonly claimsPusherSeed: pulumi.Output<string>;

  constructor(name: string, args: CellIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:index:CellIdentity", name, {}, opts);
    if (name !== args.plan.name) throw new Error(`CellIdentity "${name}": its plan is for "${args.plan.name}"`);
    const { plan } = args;
    // Re-keying a cell means the platform endorsing new keys and every tenant CA re-signed: protected.
    const key = new tls.PrivateKey(plan.caKey, { algorithm: "ECDSA", ecdsaCurve: plan.cls.curve }, { parent: this, protect: true });
    const request = new tls.CertRequest(plan.caRequest, { privateKeyPem: pulumi.secret(key.privateKeyPem), subject: plan.subject }, { parent: this });
    const signing = keyBytes(plan.operatorSigningKey, this, true);
    const pusher = keyBytes(plan.claimsPusherKey, this, false);
    this.caKeyPem = pulumi.secret(key.privateKeyPem);
    this.operatorSigningKey = pulumi.secret(signing.base64);
    this.claimsPusherSeed = pulumi.secret(pusher.base64.apply(claimsPusherSeed));
    this.published = pulumi.unsecret(
      pulumi.all([request.certRequestPem, signing.base64, pusher.base64]).apply(([caCsrPem, s, p]) => ({
        cell: plan.cell,
        caCsrPem,
        operatorSigningKeyPub: publicOf(keyPair("operator", s)),
        claimsPusherPub: publicOf(keyPair("account", p)),
      })),
    );
    this.registerOutputs({ published: this.published });
  }
}

/**
 * The context a cell's tenants are declared with: the platform's public outputs (namespace, root and
 * hub CA certificates, operator and system account JWTs), the cell's CA certificate as the platform
 * signed it, and the cell's own keys where tenants are signed.
 */
export function cellPlatformContext(cell: string, identity: CellIdentity, platform: PlatformOutput, nats: NatsSettings): PlatformContext {
  const endorsed = platform.cells[cell]!;
  const out = <T>(v: T) => pulumi.output(v);
  return {
    namespace: out(platform.namespace),
    ca: {
      certPem: out(endorsed.caCertPem),
      privateKeyPem: identity.caKeyPem,
      chainPem: out(`${endorsed.caCertPem}${platform.rootCaCertPem}`),
      rootCertPem: out(platform.rootCaCertPem),
      hubCaCertPem: out(platform.hubCaCertPem),
    },
    nats: {
      operatorSigningKey: identity.operatorSigningKey,
      claimsPusher: { systemAccount: out(platform.systemAccount.pub), signingKeySeed: identity.claimsPusherSeed },
      // The hub's configuration is the platform stack's.
      accounts: out([]),
      systemAccount: out(platform.systemAccount),
      operatorJwt: out(platform.operatorJwt),
      systemAccountPub: out(platform.systemAccount.pub),
      settings: nats,
    },
  };
}
