/**
 * Cells as data: what a cell stack keys for itself (an intermediate CA key and its certificate
 * request, an operator signing key, a claims-pusher key), what it publishes for the platform to
 * endorse, and what the platform publishes back. The trust boundary (docs/cells.md): the root CA
 * key and the operator identity key stay in the platform stack; a cell holds only its own keys,
 * each of which the platform can stop trusting alone.
 */
import type { CertificateClass, StackSettings } from "../config/settings";
import type { HubAccount } from "../lib/nats/hub-config";
import type { CellsModel } from "../model/cells";
import { cellCaCommonName, cellEndorsementNames, cellIdentityNames, TRUST_DOMAIN } from "../model/names";
import { CA_USES, type SubjectPlan } from "./pki";

export interface CellIdentityPlan {
  cell: string;
  /** The CellIdentity component's name. */
  name: string;
  caKey: string;
  caRequest: string;
  subject: SubjectPlan;
  cls: CertificateClass;
  operatorSigningKey: string;
  claimsPusherKey: string;
}

export function planCellIdentity(cell: string, settings: StackSettings, name: string): CellIdentityPlan {
  const names = cellIdentityNames(name);
  return {
    cell,
    name,
    caKey: names.caKey,
    caRequest: names.caRequest,
    subject: { commonName: cellCaCommonName(cell), organization: TRUST_DOMAIN, organizationalUnit: `cell-${cell}` },
    // The cell CA signs tenant CAs: as long-lived as the root it hangs from.
    cls: settings.pki.root,
    operatorSigningKey: names.operatorSigningKey,
    claimsPusherKey: names.claimsPusherKey,
  };
}

/** What a cell stack publishes (stack output `cellIdentity`): public keys and its CA's request. */
export interface CellIdentityOutput {
  cell: string;
  caCsrPem: string;
  operatorSigningKeyPub: string;
  claimsPusherPub: string;
}

/** One cell as the platform endorses it: its CA certificate signed by the root, its keys trusted by the operator. */
export interface CellEndorsementPlan {
  cell: string;
  identity: CellIdentityOutput;
  certificate: { logicalName: string; allowedUses: string[]; cls: CertificateClass; maxPathLength: number };
}

/**
 * The cells the platform endorses: those whose stack has published its identity. A cell listed in the
 * cells file but not yet run has none; it is endorsed on the platform's next update after its first.
 */
export function planCellEndorsements(cells: CellsModel, published: Record<string, CellIdentityOutput | undefined>, settings: StackSettings, platform: string): { endorsed: CellEndorsementPlan[]; waiting: string[] } {
  const endorsed: CellEndorsementPlan[] = [];
  const waiting: string[] = [];
  for (const c of cells.cells) {
    const identity = published[c.name];
    if (!identity) {
      waiting.push(c.name);
      continue;
    }
    if (identity.cell !== c.name) throw new Error(`stack ${c.stack} publishes the identity of cell "${identity.cell}", not "${c.name}": check ${cells.file}`);
    endorsed.push({
      cell: c.name,
      identity,
      // Cell CA → tenant CA → component: one CA level below it.
      certificate: { logicalName: cellEndorsementNames(platform, c.name).caCertificate, allowedUses: CA_USES, cls: settings.pki.root, maxPathLength: 1 },
    });
  }
  return { endorsed, waiting };
}

/** What the platform stack publishes (stack output `platform`): everything a cell needs, nothing secret. */
export interface PlatformOutput {
  namespace: string;
  rootCaCertPem: string;
  hubCaCertPem: string;
  operatorJwt: string;
  systemAccount: HubAccount;
  /** Each endorsed cell: its CA certificate and the keys the operator and the system account trust. */
  cells: Record<string, { caCertPem: string; operatorSigningKeyPub: string; claimsPusherPub: string }>;
  /** Digests of the platform stack's values of the keys every stack shares (config/fleet.ts); absent from a platform older than the check. */
  fleetConfig?: Record<string, string>;
}

/**
 * Why a cell may not declare tenants yet (undefined when it may): the platform has not endorsed this
 * cell's current keys. Checked with the cell's own published keys once they are known.
 */
export function endorsementProblem(cell: string, platform: PlatformOutput | undefined, own?: Omit<CellIdentityOutput, "caCsrPem" | "cell">): string | undefined {
  if (!platform) return `the platform stack has published nothing yet: run its update first`;
  const e = platform.cells?.[cell];
  if (!e) return `the platform has not endorsed cell "${cell}" yet: run the platform stack's update (it signs the cell's CA and trusts its keys), then this one again`;
  if (own && (e.operatorSigningKeyPub !== own.operatorSigningKeyPub || e.claimsPusherPub !== own.claimsPusherPub)) {
    return `the platform endorses other keys for cell "${cell}" than this stack holds (a re-keyed cell): run the platform stack's update, then this one again`;
  }
  return undefined;
}
