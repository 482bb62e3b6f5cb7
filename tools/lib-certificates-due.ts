/**
 * Which @pulumi/tls certificates in a stack's state are due for renewal, by the provider's own rule:
 * a certificate is ready for renewal once the current time is within `earlyRenewalHours` of its
 * `validityEndTime` (or the provider already says `readyForRenewal`). Used by the scheduled
 * rotation job (.github/workflows/drift.yml) before and after its `pulumi up --refresh`.
 */

/** The certificate resource types of @pulumi/tls that carry validity and early-renewal outputs. */
export const CERTIFICATE_TYPES = ["tls:index/locallySignedCert:LocallySignedCert", "tls:index/selfSignedCert:SelfSignedCert"] as const;

export interface DueCertificate {
  urn: string;
  validityEndTime: string;
  renewalFrom: string;
  readyForRenewal: boolean;
}

interface StateResource {
  urn?: string;
  type?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  delete?: boolean;
}

/**
 * The certificates of a `pulumi stack export` document that are due at `now`, sorted by URN.
 * Resources pending deletion are skipped (they are already being replaced).
 */
export function dueCertificates(state: unknown, now: Date): DueCertificate[] {
  const resources = (state as { deployment?: { resources?: StateResource[] } })?.deployment?.resources;
  if (!Array.isArray(resources)) throw new Error("not a Pulumi stack export: no deployment.resources");
  const due: DueCertificate[] = [];
  for (const r of resources) {
    if (!r.urn || !(CERTIFICATE_TYPES as readonly string[]).includes(r.type ?? "") || r.delete) continue;
    const outputs = r.outputs ?? {};
    const end = new Date(String(outputs.validityEndTime ?? ""));
    // The provider echoes its inputs among the outputs; the inputs are the fallback.
    const earlyHours = Number(outputs.earlyRenewalHours ?? r.inputs?.earlyRenewalHours ?? 0);
    if (Number.isNaN(end.getTime())) throw new Error(`${r.urn}: no validityEndTime in its outputs`);
    const renewalFrom = new Date(end.getTime() - (Number.isFinite(earlyHours) ? earlyHours : 0) * 3_600_000);
    const ready = outputs.readyForRenewal === true;
    if (ready || now.getTime() >= renewalFrom.getTime()) {
      due.push({ urn: r.urn, validityEndTime: end.toISOString(), renewalFrom: renewalFrom.toISOString(), readyForRenewal: ready });
    }
  }
  return due.sort((a, b) => (a.urn < b.urn ? -1 : 1));
}

/** A Markdown report (for the job summary): how many are due, and which. */
export function dueReport(due: readonly DueCertificate[], now: Date): string {
  if (due.length === 0) return `No certificate is due for renewal at ${now.toISOString()}.\n`;
  return [
    `**${due.length} certificate(s) due for renewal** at ${now.toISOString()}:`,
    "",
    "| certificate | renewal window opened | expires |",
    "|---|---|---|",
    ...due.map((c) => `| \`${c.urn.split("::").pop()}\` | ${c.renewalFrom} | ${c.validityEndTime} |`),
    "",
  ].join("\n");
}
