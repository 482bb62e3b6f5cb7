/**
 * The fake for the program's dynamic provider (components/account-push.ts): what the provider
 * returns after a successful push — its inputs, the account as the id, the pushed JWT's `jti` and
 * every expected resolver answering. The push itself is proven against real nats-server clusters
 * (test/e2e/hub-*.test.ts), which run the same provider code (lib/nats/push.ts).
 */
import type { FakeArgs, FakeResult } from "./fake-types";

export function dynamicResource(args: FakeArgs): FakeResult {
  const { __provider: provider, ...inputs } = args.inputs;
  if (typeof provider !== "string") throw new Error(`offline engine: ${args.urn} is a dynamic resource without a serialized provider`);
  if (typeof inputs.jwt !== "string" || typeof inputs.account !== "string") {
    throw new Error(`offline engine: no fake for the dynamic provider of ${args.urn} (only account pushes are known)`);
  }
  const payload = JSON.parse(Buffer.from(inputs.jwt.split(".")[1], "base64url").toString("utf8")) as { jti?: string; sub?: string };
  if (payload.sub !== inputs.account) throw new Error(`offline engine: ${args.urn} pushes a JWT of account ${payload.sub}, not ${inputs.account}`);
  return { id: inputs.account, state: { ...args.inputs, jti: payload.jti, resolvers: inputs.target?.expectedResolvers } };
}
