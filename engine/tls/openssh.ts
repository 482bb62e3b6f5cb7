/**
 * A key's OpenSSH encodings, as the provider makes them with golang.org/x/crypto/ssh: the
 * authorized_keys line, the MD5 and SHA-256 fingerprints, and the openssh-key-v1 private key
 * (whose check bytes the provider draws at random; the caller gives deterministic ones).
 */
import { createHash, type KeyObject } from "node:crypto";
import { privateJwk, type SigningKey } from "./keys";
import { pem } from "./pem";

/** SSH wire encoding: uint32 length-prefixed strings, mpints. */
function sshString(data: Uint8Array | string): Buffer {
  const body = typeof data === "string" ? Buffer.from(data) : Buffer.from(data);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}
function sshMpint(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  return sshString(v.length && v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}
function sshUint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** golang.org/x/crypto/ssh: MarshalAuthorizedKey, fingerprints and MarshalPrivateKey (comment ""), with `check` as its check bytes. */
export function openssh(key: SigningKey, keyObject: KeyObject, check: Buffer) {
  let wire: Buffer;
  let keyType: string;
  let privateRest: Buffer;
  if (key.algorithm === "ECDSA") {
    const curve = key.curve!;
    keyType = `ecdsa-sha2-${curve.ssh}`;
    wire = Buffer.concat([sshString(keyType), sshString(curve.ssh), sshString(key.publicRaw)]);
    const d = Buffer.from(privateJwk(keyObject).d!, "base64url");
    privateRest = Buffer.concat([sshString(curve.ssh), sshString(key.publicRaw), sshMpint(d), sshString("")]);
  } else {
    keyType = "ssh-ed25519";
    wire = Buffer.concat([sshString(keyType), sshString(key.publicRaw)]);
    const seed = Buffer.from(privateJwk(keyObject).d!, "base64url");
    privateRest = Buffer.concat([sshString(key.publicRaw), sshString(Buffer.concat([seed, key.publicRaw])), sshString("")]);
  }
  let block = Buffer.concat([check, check, sshString(keyType), privateRest]);
  const padding: number[] = [];
  for (let i = 0; (block.length + i) % 8 !== 0; i++) padding.push(i + 1);
  block = Buffer.concat([block, Buffer.from(padding)]);
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0"),
    sshString("none"),
    sshString("none"),
    sshString(""),
    sshUint32(1),
    sshString(wire),
    sshString(block),
  ]);
  const md5 = createHash("md5").update(wire).digest("hex").match(/../g)!.join(":");
  return {
    authorizedKey: `${keyType} ${wire.toString("base64")}\n`,
    md5,
    sha256: `SHA256:${createHash("sha256").update(wire).digest("base64").replace(/=+$/, "")}`,
    privateKey: pem("OPENSSH PRIVATE KEY", body),
  };
}
