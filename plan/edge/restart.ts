/**
 * When an edge pod must restart: whenever something it reads only at start changes — its config,
 * its certificate chain, the CAs it trusts (a renewal replaces a certificate under the same names,
 * so only its bytes show it) and the credentials generation (creds are secret: never hashed).
 */
import { createHash } from "node:crypto";

/** A short digest of what a pod read at start; it goes into a pod template annotation. */
export function restartToken(parts: readonly string[]): string {
  return createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 16);
}

/** The part of the restart token that is not a file: the credentials generation. */
export const credentialsGeneration = (rotation: number) => `credentials${rotation}`;
