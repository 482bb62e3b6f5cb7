/**
 * PEM as Go's encoding/pem reads and writes it: the provider takes its keys, requests and
 * certificates in it, and gives them out in it.
 */

/** Go's pem.Decode for the first block, and the provider's preamble check. */
export function decodePem(text: string, what: string): { type: string; der: Buffer } {
  const m = /-----BEGIN ([^\n-]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text ?? "");
  if (!m) throw new Error(`failed to decode ${what} PEM block`);
  return { type: m[1], der: Buffer.from(m[2].replace(/[^A-Za-z0-9+/=]/g, ""), "base64") };
}

/** Go's pem.EncodeToMemory: 64-column base64 body, trailing newline. */
export function pem(type: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${type}-----\n${lines.join("\n")}${lines.length ? "\n" : ""}-----END ${type}-----\n`;
}
