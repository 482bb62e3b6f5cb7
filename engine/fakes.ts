/**
 * Fakes for provider-computed values, used by the offline engine. They behave like the providers:
 * Kubernetes echoes the object with a server-assigned uid; random produces random bytes of the
 * requested length. Every value is derived from the engine's seed and the resource's URN (plus its
 * keepers), so a render is byte-reproducible and a different seed gives different values. PostgreSQL
 * resources answer what the provider's reads set (postgresql.ts). They never look at what a test
 * expects.
 */
import { createHmac } from "node:crypto";
import type { FakeArgs, FakeResult } from "./fake-types";
import { dynamicResource } from "./dynamic-fakes";
import { FakePostgresql } from "./postgresql";
import { FakeTls } from "./tls";

export type { FakeArgs, FakeResult } from "./fake-types";

/** The time the offline providers see: certificates are issued at it and renewal is judged by it. */
export const DEFAULT_CLOCK = new Date("2026-01-01T00:00:00Z");

export class FakeProviders {
  private readonly tls: FakeTls;
  private readonly postgresql = new FakePostgresql();

  constructor(
    private readonly seed: string,
    readonly clock: Date = DEFAULT_CLOCK,
  ) {
    this.tls = new FakeTls((identity, length) => this.bytes(identity, length), clock);
  }

  /**
   * Deterministic pseudo-random bytes for a resource: HMAC-SHA256 in counter mode. The stack's name
   * is left out of the URN: a resource keeps its value when its state moves to another stack
   * (`pulumi state move`, a tenant changing cells), and so does its offline stand-in.
   */
  bytes(identity: string, length: number): Buffer {
    identity = identity.replace(/^urn:pulumi:[^:]*::/, "urn:pulumi:::");
    const chunks: Buffer[] = [];
    for (let counter = 0; chunks.length * 32 < length; counter++) {
      chunks.push(createHmac("sha256", this.seed).update(`${identity}\0${counter}`).digest());
    }
    return Buffer.concat(chunks).subarray(0, length);
  }

  /** TLS resources are signed asynchronously (WebCrypto); the others answer synchronously. */
  newResource(args: FakeArgs & { type: `tls:${string}` }): Promise<FakeResult>;
  newResource(args: FakeArgs & { type: `${"kubernetes" | "random" | "pulumi" | "postgresql"}:${string}` }): FakeResult;
  newResource(args: FakeArgs): FakeResult | Promise<FakeResult>;
  newResource(args: FakeArgs): FakeResult | Promise<FakeResult> {
    if (!args.custom) return { state: {} };
    if (args.type.startsWith("pulumi:providers:")) {
      const id = `${args.name}-id`;
      if (args.type === "pulumi:providers:postgresql") this.postgresql.registerProvider(args.urn, id, args.inputs);
      return { id, state: args.inputs };
    }
    const pkg = args.type.split(":")[0];
    if (pkg === "kubernetes") return this.kubernetes(args);
    if (pkg === "random") return this.random(args);
    if (pkg === "tls") return this.tls.create(args);
    if (pkg === "pulumi-nodejs") return dynamicResource(args);
    if (pkg === "postgresql") return this.postgresql.create(args);
    throw new Error(`offline engine: no fake for resource type ${args.type} (${args.urn})`);
  }

  private kubernetes(args: FakeArgs): FakeResult {
    if (args.type === "kubernetes:helm.sh/v3:Release") {
      // Tiller-less Helm: the provider installs the chart and reports the release.
      const { name, namespace } = args.inputs;
      return { id: `${namespace}/${name}`, state: { ...args.inputs, status: { name, namespace, chart: args.inputs.chart, version: args.inputs.version, status: "deployed", revision: 1 } } };
    }
    const metadata = args.inputs.metadata ?? {};
    const name: string | undefined = metadata.name;
    if (!name) throw new Error(`offline engine: ${args.urn} has no metadata.name (this program always names its objects)`);
    const uid = uuidFrom(this.bytes(`${args.urn}\0uid`, 16));
    const state: Record<string, any> = { ...args.inputs, metadata: { ...metadata, uid } };
    if (args.inputs.kind === "Namespace") state.status = { phase: "Active" };
    return { id: metadata.namespace ? `${metadata.namespace}/${name}` : name, state };
  }

  private random(args: FakeArgs): FakeResult {
    const resource = args.type.split(":").pop();
    const identity = `${args.urn}\0${stableJson(args.inputs.keepers ?? {})}`;
    switch (resource) {
      case "RandomBytes": {
        const bytes = this.bytes(identity, Number(args.inputs.length));
        return { id: "none", state: { ...args.inputs, base64: bytes.toString("base64"), hex: bytes.toString("hex") } };
      }
      case "RandomId": {
        const bytes = this.bytes(identity, Number(args.inputs.byteLength));
        const prefix = args.inputs.prefix ?? "";
        const b64Url = bytes.toString("base64url");
        return {
          id: b64Url,
          state: {
            ...args.inputs,
            b64Url: prefix + b64Url,
            b64Std: prefix + bytes.toString("base64"),
            hex: prefix + bytes.toString("hex"),
            dec: prefix + BigInt(`0x${bytes.toString("hex") || "0"}`).toString(),
          },
        };
      }
      case "RandomPassword":
      case "RandomString": {
        const length = Number(args.inputs.length);
        const alphabet =
          (args.inputs.upper === false ? "" : "ABCDEFGHIJKLMNOPQRSTUVWXYZ") +
          (args.inputs.lower === false ? "" : "abcdefghijklmnopqrstuvwxyz") +
          (args.inputs.numeric === false ? "" : "0123456789") +
          (args.inputs.special === false ? "" : (args.inputs.overrideSpecial ?? "!@#$%&*()-_=+[]{}<>:?"));
        const bytes = this.bytes(identity, length);
        const result = [...bytes].map((b) => alphabet[b % alphabet.length]).join("");
        return { id: "none", state: { ...args.inputs, result } };
      }
      default:
        throw new Error(`offline engine: no fake for resource type ${args.type}`);
    }
  }
}

function uuidFrom(bytes: Buffer): string {
  const b = Buffer.from(bytes);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** JSON with sorted keys, so identical keepers give identical identities. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}
