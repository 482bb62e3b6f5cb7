/**
 * Decommissioning on a real nats-server: the tenant's workload credentials (collectors, leaf) are
 * revoked in its account JWT — a user JWT stays valid until revoked, so removing its Secret is not
 * enough — while the platform's reader and manager can still connect to export the streams, and
 * other tenants are untouched.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { EXAMPLE_TENANTS, credsParts, hubConfig, jwtClaims, loadRendered, rawGreeting, readTenantFile, tempDir, type Rendered } from "../support/rendered";
import { renderSync } from "../support/render";

let active: Rendered;
let decommissioned: Rendered;
let rotated: Rendered;
let server: NatsServer;

beforeAll(async () => {
  const tenants = tempDir("tenancy-decommission-");
  for (const slug of ["initech", "globex"]) fs.copyFileSync(path.join(EXAMPLE_TENANTS, `${slug}.yaml`), path.join(tenants, `${slug}.yaml`));
  const activeOut = tempDir("tenancy-decommission-active-");
  renderSync({ out: activeOut, tenants, revealSecrets: true });
  active = loadRendered(activeOut);

  const initech = readTenantFile(path.join(tenants, "initech.yaml"));
  fs.writeFileSync(path.join(tenants, "initech.yaml"), stringify({ ...initech, status: "decommissioned" }));
  const decommissionedOut = tempDir("tenancy-decommission-after-");
  renderSync({ out: decommissionedOut, tenants, revealSecrets: true });
  decommissioned = loadRendered(decommissionedOut);

  // Then globex drops a collector and rotates its credentials.
  const globex = readTenantFile(path.join(tenants, "globex.yaml"));
  fs.writeFileSync(path.join(tenants, "globex.yaml"), stringify({ ...globex, collectors: globex.collectors!.slice(1), credentials: { rotation: 1 } }));
  const rotatedOut = tempDir("tenancy-rotated-");
  renderSync({ out: rotatedOut, tenants, revealSecrets: true });
  rotated = loadRendered(rotatedOut);

  // No JetStream needed here: connections and revocations only.
  server = await startNatsServer({ config: hubConfig({ maxFileStore: 1, maxMemoryStore: 1 }), files: { "accounts.conf": active.fragment } });
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe("decommissioning a tenant", () => {
  it("admits its collectors while active", async () => {
    for (const creds of active.tenants.get("initech")!.collectors) expect(await rawGreeting(server.port, creds)).toBe("+OK");
  });

  it("no longer issues collector or leaf credentials, only the platform's reader and manager", () => {
    const initech = decommissioned.tenants.get("initech")!;
    expect(initech.collectors).toEqual([]);
    expect(initech.leaf).toBeUndefined();
    expect(initech.reader).toBeDefined();
    expect(initech.manager).toBeDefined();
  });

  it("revokes every workload user the tenant had, in the account JWT", () => {
    const before = active.tenants.get("initech")!;
    const workloadUsers = [...before.collectors, before.leaf!].map((c) => jwtClaims(credsParts(c.text).jwt));
    const accountJwt = /"?(A[A-Z2-7]{55})"?: "([^"]+)"/g;
    const accounts = new Map([...decommissioned.fragment.matchAll(accountJwt)].map((m) => [m[1]!, jwtClaims(m[2]!)]));
    const account = accounts.get(workloadUsers[0]!.iss)!;
    expect(account.name).toBe("TENANT_initech");
    for (const user of workloadUsers) expect(account.nats.revocations?.[user.sub], user.name).toBeGreaterThanOrEqual(user.iat);
    const reader = jwtClaims(credsParts(decommissioned.tenants.get("initech")!.reader!.text).jwt);
    expect(account.nats.revocations?.[reader.sub]).toBeUndefined();
  });

  it("on the running hub: the old collector creds are refused, reader and manager still connect, other tenants unaffected", async () => {
    server.writeFile("accounts.conf", decommissioned.fragment);
    await server.reload();
    for (const creds of active.tenants.get("initech")!.collectors) expect(await rawGreeting(server.port, creds)).toBe("-ERR 'Authorization Violation'");
    const initech = decommissioned.tenants.get("initech")!;
    expect(await rawGreeting(server.port, initech.reader!)).toBe("+OK");
    expect(await rawGreeting(server.port, initech.manager!)).toBe("+OK");
    for (const creds of decommissioned.tenants.get("globex")!.collectors) expect(await rawGreeting(server.port, creds)).toBe("+OK");
  });
});

describe("rotating a tenant's NATS credentials (credentials.rotation)", () => {
  it("re-keys every user and revokes every earlier credential, a removed collector's included; other tenants unaffected", async () => {
    const before = active.tenants.get("globex")!;
    const after = rotated.tenants.get("globex")!;
    expect(after.collectors).toHaveLength(before.collectors.length - 1);
    const pubs = (t: typeof before) => [...t.collectors, t.leaf!, t.reader!, t.manager!].map((c) => jwtClaims(credsParts(c.text).jwt).sub);
    expect(pubs(after).filter((p) => pubs(before).includes(p))).toEqual([]);

    server.writeFile("accounts.conf", rotated.fragment);
    await server.reload();
    for (const creds of [...before.collectors, before.reader!, before.manager!]) expect(await rawGreeting(server.port, creds), creds.secret).toBe("-ERR 'Authorization Violation'");
    for (const creds of [...after.collectors, after.reader!, after.manager!]) expect(await rawGreeting(server.port, creds), creds.secret).toBe("+OK");
    // initech (decommissioned earlier) is as it was: its reader still connects.
    expect(await rawGreeting(server.port, rotated.tenants.get("initech")!.reader!)).toBe("+OK");
  });
});
