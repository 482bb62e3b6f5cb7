/**
 * The little DER (X.690) the program writes and reads itself: definite-length elements, sequences,
 * sets and object identifiers, and reading one element's bounds. Enough for certificate requests
 * and SEC1 keys; nothing here knows what an element means.
 */

/** A DER element: tag, minimal definite length, content. */
export function element(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), content]);
}

export const sequence = (...items: Buffer[]) => element(0x30, Buffer.concat(items));
export const set = (...items: Buffer[]) => element(0x31, Buffer.concat(items));

/** An OBJECT IDENTIFIER from its dotted form. */
export function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const bytes = [40 * a + b];
  for (const arc of rest) {
    const septets = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) septets.unshift((v & 0x7f) | 0x80);
    bytes.push(...septets);
  }
  return element(0x06, Buffer.from(bytes));
}

/** The element at `at`: its tag, where its content starts and where it ends; throws when it runs past `der`. */
export function readElement(der: Buffer, at: number): { tag: number; start: number; end: number } {
  const first = der[at + 1];
  if (first === undefined) throw new Error("DER: truncated element");
  let length = first;
  let start = at + 2;
  if (first & 0x80) {
    const octets = first & 0x7f;
    if (octets === 0 || octets > 4) throw new Error("DER: unsupported length");
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + (der[start + i] ?? 0);
    start += octets;
  }
  if (start + length > der.length) throw new Error("DER: truncated element");
  return { tag: der[at]!, start, end: start + length };
}
