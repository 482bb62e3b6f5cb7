/** PEM and openssl helpers shared by the PKI tests: real path validation by openssl 3. */
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";

export const OPENSSL = "/usr/bin/openssl";

const CERT_RE = /-----BEGIN CERTIFICATE-----\n[\s\S]+?\n-----END CERTIFICATE-----\n?/g;
/** The certificates of a PEM bundle, each ending in a newline. */
export const splitCerts = (bundle: string) => (bundle.match(CERT_RE) ?? []).map((c) => (c.endsWith("\n") ? c : `${c}\n`));
/** The certificate's public key (SPKI DER, base64): equal exactly when two certificates share a key. */
export const spki = (certPem: string) => new X509Certificate(certPem).publicKey.export({ type: "spki", format: "der" }).toString("base64");

export function openssl(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(OPENSSL, args, { encoding: "utf8" });
  if (r.error) throw r.error;
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

export interface VerifyFiles {
  /** Unix seconds to verify at (`-attime`): the renders' clock, not the wall clock. */
  at: string;
  caFile: string;
  untrusted?: string[];
  partialChain?: boolean;
  purpose?: string;
  /** `-verify_hostname`: the certificate must carry this DNS name. */
  hostname?: string;
}

/** `openssl verify` of the certificate in `certFile`. */
export function opensslVerify(certFile: string, o: VerifyFiles): { ok: boolean; out: string } {
  return openssl([
    "verify",
    "-attime",
    o.at,
    ...(o.partialChain ? ["-partial_chain"] : []),
    ...(o.purpose ? ["-purpose", o.purpose] : []),
    ...(o.hostname ? ["-verify_hostname", o.hostname] : []),
    "-CAfile",
    o.caFile,
    ...(o.untrusted ?? []).flatMap((u) => ["-untrusted", u]),
    certFile,
  ]);
}
