/** Creds files: a user's JWT and seed in the layout `nsc` writes and NATS clients parse. */

/**
 * A `.creds` file as `nsc` writes it (LF line endings, six dashes on the END lines), which is what
 * nats clients and a leaf node's `credentials:` option parse.
 */
export function credsFile(userJwt: string, userSeed: string): string {
  const jwt = userJwt.trim();
  const seed = userSeed.trim();
  if (jwt.split(".").length !== 3) throw new Error("credsFile: the first argument is not a JWT");
  if (!seed.startsWith("SU")) throw new Error("credsFile: the seed is not a user seed (SU…)");
  return (
    "-----BEGIN NATS USER JWT-----\n" +
    `${jwt}\n` +
    "------END NATS USER JWT------\n" +
    "\n" +
    "************************* IMPORTANT *************************\n" +
    "NKEY Seed printed below can be used to sign and prove identity.\n" +
    "NKEYs are sensitive and should be treated as secrets.\n" +
    "\n" +
    "-----BEGIN USER NKEY SEED-----\n" +
    `${seed}\n` +
    "------END USER NKEY SEED------\n" +
    "\n" +
    "*************************************************************\n"
  );
}
