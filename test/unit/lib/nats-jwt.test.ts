/**
 * lib/nats/ without a server: the tokens, creds and hub fragment built from fixed bytes and a fixed
 * epoch (test/support/nats-jwt-fixtures.ts) are reproducible, laid out as nats JWT v2, and signed
 * as nkeys.js signs. What a real nats-server makes of them is test/e2e/nats-jwt.test.ts.
 */
import { fromPublic } from "nkeys.js";
import { describe, expect, it } from "vitest";
import { accountJwt, userJwt } from "../../../lib/nats/claims";
import { computeJti, decodeJwt, verifyJwt } from "../../../lib/nats/jwt";
import { nkeyFromRaw, publicKeyOf, publicOf, seedOf, signWith } from "../../../lib/nats/nkeys";
import { ACCOUNT_LIMITS, EPOCH, TENANT, build, rawKey } from "../../support/nats-jwt-fixtures";

const te = new TextEncoder();
const B = build();

describe("nats-jwt encoding", () => {
  it("builds byte-identical tokens, creds and fragment from the same inputs", () => {
    const again = build();
    expect(again.operatorJwt).toBe(B.operatorJwt);
    for (const name of Object.keys(B.accounts)) expect(again.accounts[name]!.jwt).toBe(B.accounts[name]!.jwt);
    for (const name of Object.keys(B.users)) expect(again.users[name]!.creds).toBe(B.users[name]!.creds);
    expect(again.fragment).toBe(B.fragment);
  });

  it("changes jti and token when one limit changes, and only for that account", () => {
    const changed = build({ ...ACCOUNT_LIMITS, alpha: { ...TENANT, payload: TENANT.payload + 1 } });
    const before = decodeJwt(B.accounts.alpha!.jwt).claims;
    const after = decodeJwt(changed.accounts.alpha!.jwt).claims;
    expect(after.jti).not.toBe(before.jti);
    expect(changed.accounts.alpha!.jwt).not.toBe(B.accounts.alpha!.jwt);
    expect(changed.accounts.beta!.jwt).toBe(B.accounts.beta!.jwt);
    expect(changed.fragment).not.toBe(B.fragment);
    // The jti covers the content, not the epoch: re-signing unchanged claims later keeps the id
    // (and still yields a different token, since iat is signed).
    const op = nkeyFromRaw("operator", rawKey("operator"));
    const later = accountJwt({ account: B.accounts.beta!.pub, operator: op, name: "beta", limits: TENANT, issuedAt: EPOCH + 86_400 });
    expect(decodeJwt(later).claims.jti).toBe(decodeJwt(B.accounts.beta!.jwt).claims.jti);
    expect(decodeJwt(later).claims.iat).toBe(EPOCH + 86_400);
    expect(later).not.toBe(B.accounts.beta!.jwt);
  });

  it("writes the nats JWT v2 layout: header, iat = epoch, content-derived jti, limits by their JWT names", () => {
    const { header, claims } = decodeJwt(B.accounts.alpha!.jwt);
    expect(header).toEqual({ typ: "JWT", alg: "ed25519-nkey" });
    expect(B.accounts.alpha!.jwt.split(".")[0]).toBe(Buffer.from('{"typ":"JWT","alg":"ed25519-nkey"}').toString("base64url"));
    expect(B.accounts.alpha!.jwt).not.toContain("=");
    expect(claims.iat).toBe(EPOCH);
    expect(claims.iss).toBe(B.operator.getPublicKey());
    expect(claims.sub).toBe(B.accounts.alpha!.pub);
    expect(claims.name).toBe("alpha");
    expect(claims.jti).toBe(computeJti(claims));
    expect(claims.jti).toMatch(/^[A-Z2-7]{52}$/);
    expect(claims.nats).toEqual({
      type: "account",
      version: 2,
      limits: {
        conn: 16,
        leaf: 1,
        subs: -1,
        data: -1,
        payload: 4096,
        imports: 0,
        exports: 0,
        wildcards: false,
        disk_storage: 16384,
        mem_storage: 0,
        streams: 4,
        consumer: 8,
      },
    });
    const user = decodeJwt(B.users["leafy-leaf"]!.jwt).claims;
    expect(user.iss).toBe(B.accounts.leafy!.pub);
    expect(user.nats).toEqual({
      type: "user",
      version: 2,
      pub: { allow: ["leafy.>"] },
      sub: { allow: ["leafy.>"] },
      subs: -1,
      data: -1,
      payload: -1,
      allowed_connection_types: ["LEAFNODE"],
    });
    const op = decodeJwt(B.operatorJwt).claims;
    expect(op.iss).toBe(op.sub);
    expect(op.nats).toEqual({ type: "operator", version: 2, system_account: B.accounts.SYS!.pub });
  });

  it("keys read again from the same seed as new KeyPairs (kept by seed) are that seed's, and no other's", () => {
    // nkeys.js (tweetnacl) is the reference for each public key and signature; the same 32 bytes
    // as an account's and then a user's seed must not share a cached key (the prefix differs).
    const data = te.encode("signed by a KeyPair read again");
    const raws = Array.from({ length: 40 }, (_, i) => Uint8Array.from({ length: 32 }, (_, j) => (i * 7 + j * 13) & 0xff));
    for (const kind of ["account", "user"] as const) {
      for (const raw of raws) {
        const first = nkeyFromRaw(kind, raw);
        const again = nkeyFromRaw(kind, raw);
        expect(again).not.toBe(first);
        for (const kp of [first, again]) {
          expect(publicOf(kp)).toBe(kp.getPublicKey());
          expect(Buffer.from(signWith(kp, data)).equals(Buffer.from(kp.sign(data)))).toBe(true);
        }
      }
    }
  });

  it("signs exactly as nkeys.js would, and nkeys.js verifies the tokens", () => {
    // The library signs with Node's Ed25519 for speed; nkeys.js (tweetnacl) is the reference.
    const data = te.encode("same bytes from both implementations");
    for (const kp of [B.operator, B.accounts.alpha!.kp, B.users["alpha-reader"]!.kp]) {
      expect(publicOf(kp)).toBe(kp.getPublicKey());
      expect(Buffer.from(signWith(kp, data)).equals(Buffer.from(kp.sign(data)))).toBe(true);
    }
    for (const [token, issuer] of [
      [B.operatorJwt, B.operator.getPublicKey()],
      [B.accounts.alpha!.jwt, B.operator.getPublicKey()],
      [B.users["alpha-reader"]!.jwt, B.accounts.alpha!.kp.getPublicKey()],
    ] as const) {
      const { signingInput, signature } = decodeJwt(token);
      expect(fromPublic(issuer).verify(te.encode(signingInput), signature)).toBe(true);
    }
  });

  it("verifies signatures against the issuer only", () => {
    expect(verifyJwt(B.accounts.alpha!.jwt, B.operator.getPublicKey())).toBe(true);
    expect(verifyJwt(B.users["alpha-reader"]!.jwt, B.accounts.alpha!.pub)).toBe(true);
    expect(verifyJwt(B.users["alpha-reader"]!.jwt, B.accounts.beta!.pub)).toBe(false);
    const [h, p, s] = B.accounts.alpha!.jwt.split(".");
    const forged = Buffer.from(Buffer.from(p!, "base64url").toString().replace('"conn":16', '"conn":99')).toString("base64url");
    expect(forged).not.toBe(p);
    expect(verifyJwt(`${h}.${forged}.${s}`, B.operator.getPublicKey())).toBe(false);
  });

  it("derives keys from raw bytes and refuses anything but 32 of them", () => {
    const kp = nkeyFromRaw("user", rawKey("user/alpha-reader"));
    expect(kp.getPublicKey()).toBe(B.users["alpha-reader"]!.pub);
    expect(publicKeyOf(seedOf(kp))).toBe(kp.getPublicKey());
    expect(seedOf(kp)).toMatch(/^SU/);
    expect(nkeyFromRaw("operator", rawKey("x")).getPublicKey()).toMatch(/^O/);
    expect(nkeyFromRaw("account", rawKey("x")).getPublicKey()).toMatch(/^A/);
    expect(() => nkeyFromRaw("account", new Uint8Array(31))).toThrow(/32 raw bytes/);
    expect(() => accountJwt({ account: B.accounts.alpha!.pub, operator: B.operator, name: "alpha", limits: TENANT, issuedAt: Date.now() })).toThrow(/seconds/);
    expect(() => userJwt({ user: B.accounts.alpha!.pub, account: B.accounts.alpha!.kp, name: "x", permissions: {}, issuedAt: EPOCH })).toThrow(/user public key/);
  });
});
