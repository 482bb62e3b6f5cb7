/** The rotation job's rule for "due" (tools/lib-certificates-due.ts), on state documents. */
import { describe, expect, it } from "vitest";
import { dueCertificates, dueReport } from "../../../tools/lib-certificates-due";

describe("certificates due for renewal (tools/certificates-due.ts)", () => {
  const cert = (name: string, end: string, earlyRenewalHours: number, readyForRenewal = false, type = "tls:index/locallySignedCert:LocallySignedCert") => ({
    urn: `urn:pulumi:prod::tenancy::tenancy:index:Tenant$${type}::${name}`,
    type,
    inputs: { earlyRenewalHours },
    outputs: { validityEndTime: end, readyForRenewal, earlyRenewalHours },
  });
  const state = (...resources: unknown[]) => ({ version: 3, deployment: { resources } });
  const now = new Date("2026-06-01T00:00:00Z");

  it("is due from validityEndTime minus earlyRenewalHours on, as the provider decides", () => {
    const due = dueCertificates(
      state(
        cert("inside-window", "2026-06-20T00:00:00Z", 720), // window opened 2026-05-21
        cert("outside-window", "2026-08-01T00:00:00Z", 720),
        cert("window-opens-now", "2026-06-02T00:00:00Z", 24),
        cert("expired", "2026-05-01T00:00:00Z", 0, false, "tls:index/selfSignedCert:SelfSignedCert"),
        cert("provider-says-ready", "2030-01-01T00:00:00Z", 1, true),
        { urn: "urn:x::key", type: "tls:index/privateKey:PrivateKey", outputs: {} },
      ),
      now,
    );
    expect(due.map((d) => d.urn.split("::").pop()).sort()).toEqual(["expired", "inside-window", "provider-says-ready", "window-opens-now"]);
    expect(due.find((d) => d.urn.endsWith("inside-window"))!.renewalFrom).toBe("2026-05-21T00:00:00.000Z");
    expect(dueReport(due, now)).toMatch(/4 certificate\(s\) due/);
  });

  it("is nothing for fresh certificates, and skips ones pending deletion", () => {
    expect(dueCertificates(state(cert("fresh", "2027-01-01T00:00:00Z", 720), { ...cert("old", "2026-01-01T00:00:00Z", 1), delete: true }), now)).toEqual([]);
    expect(dueReport([], now)).toMatch(/No certificate is due/);
  });

  it("refuses what is not a stack export, and a certificate without validity", () => {
    expect(() => dueCertificates({ resources: [] }, now)).toThrow(/not a Pulumi stack export/);
    expect(() => dueCertificates(state({ urn: "urn:c", type: "tls:index/selfSignedCert:SelfSignedCert", outputs: {} }), now)).toThrow(/no validityEndTime/);
  });
});
