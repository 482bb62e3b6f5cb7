/**
 * Fakes for @pulumi/tls (5.6.1, i.e. terraform-provider-tls under pulumi-tls), used by the offline
 * engine. They make what the provider makes, with the same Go `crypto/x509` choices, from
 * deterministic material instead of `crypto/rand`:
 *
 * - PrivateKey: ECDSA (P256, P384, P521) and ED25519 keys derived from the engine's seed and the
 *   resource URN; PEM (SEC1 for ECDSA, PKCS#8 for ED25519), PKCS#8, OpenSSH, PKIX public key,
 *   authorized_keys line and fingerprints; id = hex SHA-1 of the public key DER. The provider's
 *   default curve is P224, which is kept as the default and refused offline (no RFC 6979 signer
 *   here), as is RSA (no cheap deterministic key generation).
 * - CertRequest: a real PKCS#10 request signed with the given key; id = hex SHA-1 of its DER.
 * - SelfSignedCert / LocallySignedCert: real X.509 v3 certificates built with @peculiar/x509
 *   (as its generators build them, without their round trips: see build.ts), signed
 *   deterministically (RFC 6979 ECDSA, byte for byte @noble/curves' signer; Ed25519 via node)
 *   with the given key. Extensions follow the provider's template through Go's
 *   `x509.CreateCertificate`: KeyUsage (critical, only if non-empty), ExtKeyUsage,
 *   BasicConstraints (critical, always), SubjectKeyId (CA or set_subject_key_id), AuthorityKeyId
 *   (the issuer's SKI for a locally signed certificate; the own SKI when a self-signed one asks),
 *   SubjectAltName (critical when the subject is empty). As in Go, `max_path_length = 0` does NOT produce `pathlen:0`: the provider
 *   never sets `MaxPathLenZero`, so 0 and -1 both mean "no constraint"; a positive value on a
 *   non-CA certificate fails like Go ("only CAs are allowed to specify MaxPathLen").
 *
 * Validity starts at the engine's clock (not the wall clock), serial numbers are 128 bits derived
 * from the URN, inputs and clock, so a render is byte-reproducible.
 *
 * Speed: what one resource makes, the next ones read (a tenant CA's key signs all the tenant's
 * certificates, a request is signed right after it is made), so parsed keys, requests, CA
 * certificates, names and extensions are kept in bounded caches keyed by the exact PEM (or
 * content) they come from. They hold only what that text determines: outputs do not depend on
 * them (test/tls-fakes.test.ts makes the same resources with the caches emptied before each one).
 *
 * This file is the four resources (FakeTls); beside it: curves.ts (curves, RFC 6979 signer),
 * keys.ts, pem.ts and openssh.ts (key and PEM encodings), names.ts (X.509 names),
 * extensions.ts (extensions and key usages), build.ts (encoding and signing certificates and
 * requests), parse.ts (reading CA certificates and requests), inputs.ts (the provider's schema)
 * and caches.ts (the bounded caches).
 */
import "reflect-metadata"; // @peculiar/x509 (tsyringe) needs it loaded first
import * as x509 from "@peculiar/x509";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import { createECDH, createHash, createPrivateKey, type KeyObject } from "node:crypto";
import type { FakeArgs, FakeResult } from "../fake-types";
import { buildCertRequest, buildCertificate } from "./build";
import { CURVES, OfflineUnsupported, SUPPORTED_OFFLINE, type CurveInfo } from "./curves";
import { certificateExtensions, sanExtension, sanItems } from "./extensions";
import { certificateInputs, oneOf, privateKeyInputs, stable, strings, withoutWriteOnly, type CertificateInputs } from "./inputs";
import { parsePrivateKey, rememberPrivateKey, requireSigner, signingKeyFrom, subjectKeyId, type SigningKey } from "./keys";
import { isEmptyName, jsonName, nameFromSubject, parsedIssuerName, type GoName } from "./names";
import { openssh } from "./openssh";
import { csrFactsFrom, parseCaCertificate, parseCertRequest, rememberCaCertificate, rememberCertRequest } from "./parse";
import { pem } from "./pem";

export { clearTlsFakeCaches } from "./caches";

type Bytes = (identity: string, length: number) => Buffer;

/** Go's time.Time.MarshalText (RFC 3339 with nanoseconds, trailing zeros trimmed), in UTC. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.(\d*?)0*Z$/, (_, frac: string) => (frac ? `.${frac}Z` : "Z"));
}

function sha1Hex(data: Uint8Array): string {
  return createHash("sha1").update(data).digest("hex");
}

export class FakeTls {
  constructor(
    private readonly bytes: Bytes,
    private readonly clock: Date,
  ) {}

  async create(args: FakeArgs): Promise<FakeResult> {
    const resource = args.type.split(":").pop();
    try {
      switch (resource) {
        case "PrivateKey":
          return this.privateKey(args);
        case "CertRequest":
          return await this.certRequest(args);
        case "SelfSignedCert":
          return await this.selfSignedCert(args);
        case "LocallySignedCert":
          return await this.locallySignedCert(args);
        default:
          throw new Error(`offline engine: no fake for resource type ${args.type}`);
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const prefix = err instanceof OfflineUnsupported ? "offline engine: " : "";
      throw new Error(`${args.type} (${args.urn}): ${prefix}${message}`);
    }
  }

  // -- tls.PrivateKey --------------------------------------------------------------------------

  private privateKey(args: FakeArgs): FakeResult {
    const { algorithm, ecdsaCurve, rsaBits } = privateKeyInputs(args.inputs);
    const identity = `${args.urn}\0${algorithm}\0${ecdsaCurve}`;

    let key: KeyObject;
    if (algorithm === "ECDSA") {
      const curve = CURVES[ecdsaCurve as CurveInfo["name"]];
      if (!curve) {
        throw new OfflineUnsupported(
          `ECDSA curve ${ecdsaCurve} is not supported offline (${SUPPORTED_OFFLINE}). ` +
            `P224 is the provider's default when ecdsaCurve is unset: set ecdsaCurve to P256 or P384.`,
        );
      }
      // Uniform scalar in [1, n-1]: 64 extra bits make the modulo bias negligible (FIPS 186-5 A.2.1).
      const n = curve.noble.CURVE.n;
      const d = (BigInt(`0x${this.bytes(identity, curve.size + 8).toString("hex")}`) % (n - 1n)) + 1n;
      const dBytes = Buffer.from(d.toString(16).padStart(curve.size * 2, "0"), "hex");
      const ecdh = createECDH(curve.openssl);
      ecdh.setPrivateKey(dBytes);
      const point = ecdh.getPublicKey();
      const c = curve.size;
      key = createPrivateKey({
        key: { kty: "EC", crv: curve.web, d: dBytes.toString("base64url"), x: point.subarray(1, 1 + c).toString("base64url"), y: point.subarray(1 + c).toString("base64url") },
        format: "jwk",
      });
    } else if (algorithm === "ED25519") {
      // RFC 8410 PKCS#8 wrapper around the 32-byte seed.
      const prefix = Buffer.from("302e020100300506032b657004220420", "hex");
      key = createPrivateKey({ key: Buffer.concat([prefix, this.bytes(identity, 32)]), format: "der", type: "pkcs8" });
    } else {
      throw new OfflineUnsupported(`RSA keys are not supported by the offline engine (no cheap deterministic RSA key generation); ${SUPPORTED_OFFLINE}`);
    }

    const signing = signingKeyFrom(key);
    const privateKeyPemPkcs8 = pem("PRIVATE KEY", key.export({ type: "pkcs8", format: "der" }));
    const privateKeyPem = algorithm === "ECDSA" ? pem("EC PRIVATE KEY", key.export({ type: "sec1", format: "der" })) : privateKeyPemPkcs8;
    const ssh = openssh(signing, key, this.bytes(`${identity}\0openssh-check`, 4));
    const state = {
      ...args.inputs,
      algorithm,
      ecdsaCurve,
      rsaBits,
      privateKeyPem,
      privateKeyPemPkcs8,
      privateKeyOpenssh: ssh.privateKey,
      publicKeyPem: pem("PUBLIC KEY", signing.spki),
      publicKeyOpenssh: ssh.authorizedKey,
      publicKeyFingerprintMd5: ssh.md5,
      publicKeyFingerprintSha256: ssh.sha256,
    };
    rememberPrivateKey(privateKeyPem, signing);
    rememberPrivateKey(privateKeyPemPkcs8, signing);
    return { id: sha1Hex(signing.spki), state };
  }

  // -- tls.CertRequest -------------------------------------------------------------------------

  private async certRequest(args: FakeArgs): Promise<FakeResult> {
    const inputs = args.inputs;
    const key = requireSigner(parsePrivateKey(oneOf(inputs, "privateKeyPem", "privateKeyPemWo")));
    const name = nameFromSubject(inputs.subject);
    const items = sanItems(strings(inputs.dnsNames), strings(inputs.ipAddresses), strings(inputs.uris));
    const san = items.length ? sanExtension(items, false) : undefined;
    const csr = buildCertRequest({ subject: new x509.Name(jsonName(name)), key, extensions: san ? [san] : [] });
    const der = csr.der;
    const certRequestPem = pem("CERTIFICATE REQUEST", der);
    // What a LocallySignedCert will read from this request, taken from what `der` encodes (its
    // key is `key`'s, its subject the name parsed back from its encoding, its SAN extension
    // `san`'s bytes, its signature ours), so that signing it needs neither a parse nor a check.
    rememberCertRequest(certRequestPem, csrFactsFrom(new x509.Name(csr.asn.certificationRequestInfo.subject), { algorithm: key.algorithm, spki: key.spki, publicRaw: key.publicRaw }, san ? san.names.items : []));
    return {
      id: sha1Hex(der),
      state: { ...withoutWriteOnly(inputs), certRequestPem, keyAlgorithm: key.algorithm },
    };
  }

  // -- tls.SelfSignedCert / tls.LocallySignedCert ----------------------------------------------

  private async selfSignedCert(args: FakeArgs): Promise<FakeResult> {
    const inputs = args.inputs;
    const key = parsePrivateKey(oneOf(inputs, "privateKeyPem", "privateKeyPemWo"));
    const subject = nameFromSubject(inputs.subject);
    const common = certificateInputs(inputs);
    const subjectDer = Buffer.from(new x509.Name(jsonName(subject)).toArrayBuffer());
    const ski = common.isCa || common.setSubjectKeyId ? subjectKeyId(key) : undefined;
    let aki: Buffer | undefined;
    if (inputs.setAuthorityKeyId === true) {
      // template.AuthorityKeyId = parent.SubjectKeyId, and the parent is the template itself
      if (!ski) throw new Error("Invalid Certificate Authority: Could not determine Authority Key Identifier");
      aki = ski;
    }
    const cert = await this.issue(args, {
      subject,
      subjectDer,
      subjectAttributes: isEmptyName(subject) ? 0 : 1,
      issuerDer: subjectDer,
      publicKeySpki: key.spki,
      signer: key,
      ski,
      aki,
      dnsNames: strings(inputs.dnsNames),
      ips: strings(inputs.ipAddresses),
      uris: strings(inputs.uris),
      common,
    });
    return {
      id: cert.id,
      state: {
        ...withoutWriteOnly(inputs),
        ...common.echo,
        setAuthorityKeyId: inputs.setAuthorityKeyId ?? false,
        keyAlgorithm: key.algorithm,
        ...cert.state,
      },
    };
  }

  private async locallySignedCert(args: FakeArgs): Promise<FakeResult> {
    const inputs = args.inputs;
    const common = certificateInputs(inputs);

    const request = parseCertRequest(String(inputs.certRequestPem ?? ""));

    const caKey = parsePrivateKey(oneOf(inputs, "caPrivateKeyPem", "caPrivateKeyPemWo"));
    const ca = parseCaCertificate(String(inputs.caCertPem ?? ""));
    if (!ca.spki.equals(caKey.spki)) {
      throw new Error("Failed to create certificate: x509: provided PrivateKey doesn't match parent's PublicKey");
    }

    const csr = request();
    const issuerDer = ca.subjectDer;
    const ski = common.isCa || common.setSubjectKeyId ? subjectKeyId(csr.publicKey) : undefined;
    // Go: the parent's SubjectKeyId becomes the AuthorityKeyId unless subject and issuer are equal
    const aki = ca.ski && !csr.subjectDer.equals(issuerDer) ? ca.ski : undefined;

    const cert = await this.issue(args, {
      subject: csr.subject,
      subjectDer: csr.subjectDer,
      subjectAttributes: csr.subjectAttributes,
      issuerDer,
      publicKeySpki: csr.publicKey.spki,
      signer: caKey,
      ski,
      aki,
      dnsNames: csr.dnsNames,
      ips: csr.ips,
      uris: csr.uris,
      common,
    });
    return {
      id: cert.id,
      state: { ...withoutWriteOnly(inputs), ...common.echo, caKeyAlgorithm: caKey.algorithm, ...cert.state },
    };
  }

  /** The provider's createCertificate followed by Go's x509.CreateCertificate. */
  private async issue(
    args: FakeArgs,
    t: {
      subject: GoName;
      subjectDer: Buffer;
      subjectAttributes: number;
      issuerDer: Buffer;
      publicKeySpki: Buffer;
      signer: SigningKey;
      ski?: Buffer;
      aki?: Buffer;
      dnsNames: string[];
      ips: string[];
      uris: string[];
      common: CertificateInputs;
    },
  ): Promise<{ id: string; state: Record<string, unknown> }> {
    const { common } = t;
    if (common.isCa && t.subjectAttributes === 0) {
      throw new Error("Invalid Certificate Subject: Must contain at least one Distinguished Name when creating Certificate Authority (CA)");
    }
    // template.MaxPathLen = max_path_length when >= 0; MaxPathLenZero is never set, so 0 means
    // "no constraint" to Go exactly like -1.
    const maxPathLen = common.maxPathLength >= 0 ? common.maxPathLength : 0;
    if (!common.isCa && maxPathLen !== 0) throw new Error("Failed to create certificate: x509: only CAs are allowed to specify MaxPathLen");

    const notBefore = new Date(this.clock.getTime());
    const notAfter = new Date(notBefore.getTime() + common.validityPeriodHours * 3_600_000);

    const serial = this.bytes(`${args.urn}\0serial\0${rfc3339(notBefore)}\0${stable(args.inputs)}`, 16);
    if (serial.every((b) => b === 0)) serial[15] = 1;
    const serialDecimal = BigInt(`0x${serial.toString("hex")}`).toString();

    const extensions = certificateExtensions({ ...t, allowedUses: common.allowedUses, isCa: common.isCa, maxPathLen });

    const cert = buildCertificate({
      serial,
      subject: AsnConvert.parse(t.subjectDer, asn1X509.Name),
      issuer: parsedIssuerName(t.issuerDer),
      notBefore,
      notAfter,
      publicKeySpki: t.publicKeySpki,
      extensions,
      signer: requireSigner(t.signer),
    });
    const readyForRenewal = notAfter.getTime() - common.earlyRenewalHours * 3_600_000 <= this.clock.getTime();
    const certPem = pem("CERTIFICATE", cert);
    // A CA's certificate comes back as the caCertPem of what it signs: note now what parsing it
    // would yield (the key, subject and key id just encoded, in the encodings they came in).
    if (common.isCa) rememberCaCertificate(certPem, { spki: t.publicKeySpki, subjectDer: t.subjectDer, ski: t.ski });
    return {
      id: serialDecimal,
      state: {
        certPem,
        validityStartTime: rfc3339(notBefore),
        validityEndTime: rfc3339(notAfter),
        readyForRenewal,
      },
    };
  }
}
