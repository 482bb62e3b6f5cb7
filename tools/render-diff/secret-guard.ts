/**
 * The last guard before anything is written: renders never reveal secrets, but a renderer's bug
 * must not publish key material in a pull-request comment, so every text is searched (as it is and
 * inside base64) and refused, saying where, never what.
 */

/** What must never appear in a render diff, whatever the renderer did. */
export const SECRET_PATTERNS: readonly { what: string; pattern: RegExp }[] = [
  { what: "a PEM private key", pattern: /PRIVATE KEY/ },
  { what: "a NATS creds seed block", pattern: /NKEY SEED/ },
  // An nkey seed: "S", the key type, then the rest of 36 bytes in base32 — 58 characters in all.
  { what: "an nkey seed", pattern: /\bS[A-Z2-7]{57}\b/ },
];

const BASE64_RUN = /[A-Za-z0-9+/]{24,}={0,2}/g;

/**
 * Names the first kind of secret material in `text` (never the material itself), looking at the
 * text and inside every base64 run in it (a Secret's `data` is base64), or undefined if none.
 */
export function findSecretMaterial(text: string): string | undefined {
  for (const { what, pattern } of SECRET_PATTERNS) if (pattern.test(text)) return what;
  for (const run of text.match(BASE64_RUN) ?? []) {
    const decoded = Buffer.from(run, "base64").toString("latin1");
    for (const { what, pattern } of SECRET_PATTERNS) if (pattern.test(decoded)) return `${what} (base64-encoded)`;
  }
  return undefined;
}

/** Thrown when secret material is found; the message says where, never what. */
export class SecretMaterialError extends Error {
  constructor(readonly where: string, readonly what: string) {
    super(`refusing to write the render diff: ${where} contains ${what}. Renders must show secrets as "[secret]"; this is a bug in the renderer.`);
    this.name = "SecretMaterialError";
  }
}

/** Throws SecretMaterialError if any of the texts (by name) contains secret material. */
export function assertNoSecretMaterial(texts: Iterable<[string, string]>): void {
  for (const [where, text] of texts) {
    const what = findSecretMaterial(text);
    if (what) throw new SecretMaterialError(where, what);
  }
}
