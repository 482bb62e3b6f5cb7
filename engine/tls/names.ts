/**
 * X.509 names as the provider and Go's crypto/x509 make them: the subject fields the provider
 * sets, encoded with Go's string types and SET OF order (ToRDNSequence); what Go keeps of a parsed
 * name (FillFromRDNSequence); and issuer names, parsed once per CA.
 */
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import type * as x509 from "@peculiar/x509";
import { sharedCache } from "./caches";

/** The name attributes the provider sets (and reads back), by their short names. */
const OID = {
  C: "2.5.4.6",
  ST: "2.5.4.8",
  L: "2.5.4.7",
  STREET: "2.5.4.9",
  PC: "2.5.4.17",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  CN: "2.5.4.3",
  SERIALNUMBER: "2.5.4.5",
  EMAIL: "1.2.840.113549.1.9.1",
};

/** Go's pkix.Name fields (the subset the provider sets). */
export interface GoName {
  country: string[];
  province: string[];
  locality: string[];
  streetAddress: string[];
  postalCode: string[];
  organization: string[];
  organizationalUnit: string[];
  commonName: string;
  serialNumber: string;
  /** ExtraNames: the provider puts emailAddress there as an IA5String. */
  email?: string;
}

const emptyName = (): GoName => ({
  country: [],
  province: [],
  locality: [],
  streetAddress: [],
  postalCode: [],
  organization: [],
  organizationalUnit: [],
  commonName: "",
  serialNumber: "",
});

/** The provider's createSubjectDistinguishedNames (set fields only; an empty string still counts, as in Go). */
export function nameFromSubject(subject: Record<string, any> | undefined): GoName {
  const n = emptyName();
  if (!subject) return n;
  const one = (v: unknown) => (v === undefined || v === null ? [] : [String(v)]);
  n.commonName = subject.commonName ?? "";
  n.organization = one(subject.organization);
  n.organizationalUnit = one(subject.organizationalUnit);
  n.streetAddress = Array.isArray(subject.streetAddresses) ? subject.streetAddresses.map(String) : [];
  n.locality = one(subject.locality);
  n.province = one(subject.province);
  n.country = one(subject.country);
  n.postalCode = one(subject.postalCode);
  n.serialNumber = subject.serialNumber ?? "";
  if (subject.emailAddress !== undefined && subject.emailAddress !== null) n.email = String(subject.emailAddress);
  return n;
}

/** cmp.Equal(name, pkix.Name{}) as the provider checks it for CAs. */
export function isEmptyName(n: GoName): boolean {
  return (
    !n.commonName && !n.serialNumber && n.email === undefined &&
    [n.country, n.province, n.locality, n.streetAddress, n.postalCode, n.organization, n.organizationalUnit].every((a) => a.length === 0)
  );
}

/** Go's encoding/asn1 default string type: PrintableString when every byte is printable, else UTF8String. */
function goStringValue(value: string): { printableString: string } | { utf8String: string } {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value) ? { printableString: value } : { utf8String: value };
}

/** Sort key of an AttributeTypeAndValue of one type in DER (Go sorts SET OF since 1.15). */
function derSortKey(value: string): Buffer {
  const body = Buffer.from(value, "utf8");
  const tag = "printableString" in goStringValue(value) ? 0x13 : 0x0c;
  const len = (n: number) => (n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]));
  const str = Buffer.concat([Buffer.from([tag]), len(body.length), body]);
  return Buffer.concat([len(5 + str.length), str]); // SEQUENCE length first: the OID is the same for all
}

/** Go's pkix.Name.ToRDNSequence: one RDN per field, multi-valued when the field has several values. */
export function jsonName(n: GoName): x509.JsonNameParams {
  const rdns: x509.JsonNameParams = [];
  const add = (values: string[], oid: string) => {
    if (values.length === 0) return;
    const sorted = values.length > 1 ? [...values].sort((a, b) => Buffer.compare(derSortKey(a), derSortKey(b))) : values;
    rdns.push({ [oid]: sorted.map(goStringValue) });
  };
  add(n.country, OID.C);
  add(n.province, OID.ST);
  add(n.locality, OID.L);
  add(n.streetAddress, OID.STREET);
  add(n.postalCode, OID.PC);
  add(n.organization, OID.O);
  add(n.organizationalUnit, OID.OU);
  if (n.commonName) add([n.commonName], OID.CN);
  if (n.serialNumber) add([n.serialNumber], OID.SERIALNUMBER);
  if (n.email !== undefined) rdns.push({ [OID.EMAIL]: [{ ia5String: n.email }] });
  return rdns;
}

/** @peculiar/x509's short names back to OIDs (Name.toJSON uses them). */
const SHORT_NAME_OIDS: Record<string, string> = { CN: "2.5.4.3", L: "2.5.4.7", ST: "2.5.4.8", O: "2.5.4.10", OU: "2.5.4.11", C: "2.5.4.6" };

/** Go's pkix.Name.FillFromRDNSequence: what survives of a parsed subject (known string attributes). */
export function goNameFromParsed(name: x509.Name): { name: GoName; attributes: number } {
  const n = emptyName();
  let attributes = 0;
  for (const rdn of name.toJSON()) {
    for (const [type, values] of Object.entries(rdn)) {
      const oid = SHORT_NAME_OIDS[type] ?? type;
      for (const value of values) {
        attributes++;
        if (value.startsWith("#")) continue; // not a string
        switch (oid) {
          case OID.CN: n.commonName = value; break;
          case OID.SERIALNUMBER: n.serialNumber = value; break;
          case OID.C: n.country.push(value); break;
          case OID.L: n.locality.push(value); break;
          case OID.ST: n.province.push(value); break;
          case OID.STREET: n.streetAddress.push(value); break;
          case OID.O: n.organization.push(value); break;
          case OID.OU: n.organizationalUnit.push(value); break;
          case OID.PC: n.postalCode.push(value); break;
          default: // kept in pkix.Name.Names only, which ToRDNSequence ignores
        }
      }
    }
  }
  return { name: n, attributes };
}

/** Issuer names parsed from their DER, as the generator parses them (an issuer names every certificate its CA signs). */
const nameCache = sharedCache<string, asn1X509.Name>(4096);

export function parsedIssuerName(der: Buffer): asn1X509.Name {
  const key = der.toString("latin1");
  let name = nameCache.get(key);
  if (!name) nameCache.set(key, (name = AsnConvert.parse(der, asn1X509.Name)));
  return name;
}
