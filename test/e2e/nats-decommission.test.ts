/**
 * Decommissioning on a real nats-server: the tenant's leaf users (the in-cluster edge's and every
 * site's) are revoked in its account JWT — a user JWT stays valid until revoked, so removing its
 * Secret is not enough — while the platform's reader and manager can still connect to export the
 * streams, and other tenants are untouched. Collectors never were hub users: their account is
 * their leaf's own.
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
  it("while active, admits its reader and manager, never its collectors (their account is the leaf's own)", async () => {
    const initech = active.tenants.get("initech")!;
    expect(initech.collectors.length).toBeGreaterThan(0);
    for (const creds of initech.collectors) expect(await rawGreeting(server.port, creds)).toBe("-ERR 'Authorization Violation'");
    for (const creds of [initech.reader!, initech.manager!]) expect(await rawGreeting(server.port, creds)).toBe("+OK");
  });

  it("no longer issues collector or leaf credentials, only the platform's reader and manager", () => {
    const initech = decommissioned.tenants.get("initech")!;
    expect(initech.collectors).toEqual([]);
    expect(initech.leaf).toBeUndefined();
    expect(initech.streamsUser).toBeUndefined();
    expect(initech.reader).toBeDefined();
    expect(initech.manager).toBeDefined();
  });

  it("revokes every leaf user the tenant had (the in-cluster edge's and each site's), in the account JWT", () => {
    const before = active.tenants.get("initech")!;
    // Site leaves' creds are in their onboarding bundles only.
    const siteLeaves = active.objects.filter((o) => o.kind === "Secret" && o.metadata.namespace === "tenant-initech-edge" && o.metadata.name.startsWith("onboarding-")).map((o) => o.stringData!["leaf.creds"]!);
    expect(siteLeaves.length).toBeGreaterThan(0);
    const workloadUsers = [before.leaf!.text, ...siteLeaves].map((text) => jwtClaims(credsParts(text).jwt));
    const accountJwt = /"?(A[A-Z2-7]{55})"?: "([^"]+)"/g;
    const accounts = new Map([...decommissioned.fragment.matchAll(accountJwt)].map((m) => [m[1]!, jwtClaims(m[2]!)]));
    const account = accounts.get(workloadUsers[0]!.iss)!;
    expect(account.name).toBe("TENANT_initech");
    for (const user of workloadUsers) expect(account.nats.revocations?.[user.sub], user.name).toBeGreaterThanOrEqual(user.iat);
    expect(Object.keys(account.nats.revocations ?? {}).sort()).toEqual([...new Set(workloadUsers.map((u) => u.sub as string))].sort());
    const reader = jwtClaims(credsParts(decommissioned.tenants.get("initech")!.reader!.text).jwt);
    expect(account.nats.revocations?.[reader.sub]).toBeUndefined();
  });

  it("on the running hub: reader and manager still connect, other tenants unaffected", async () => {
    server.writeFile("accounts.conf", decommissioned.fragment);
    await server.reload();
    const initech = decommissioned.tenants.get("initech")!;
    expect(await rawGreeting(server.port, initech.reader!)).toBe("+OK");
    expect(await rawGreeting(server.port, initech.manager!)).toBe("+OK");
    const globex = decommissioned.tenants.get("globex")!;
    for (const creds of [globex.reader!, globex.manager!]) expect(await rawGreeting(server.port, creds)).toBe("+OK");
  });
});

describe("rotating a tenant's NATS credentials (credentials.rotation)", () => {
  it("re-keys every user and revokes every earlier credential, a removed collector's included; other tenants unaffected", async () => {
    const before = active.tenants.get("globex")!;
    const after = rotated.tenants.get("globex")!;
    expect(after.collectors).toHaveLength(before.collectors.length - 1);
    // Every user re-keyed: the tenant account's and the in-cluster edge's own account's.
    const pubs = (t: typeof before) => [...t.collectors, t.streamsUser!, t.leaf!, t.reader!, t.manager!].map((c) => jwtClaims(credsParts(c.text).jwt).sub);
    expect(pubs(after).filter((p) => pubs(before).includes(p))).toEqual([]);

    server.writeFile("accounts.conf", rotated.fragment);
    await server.reload();
    for (const creds of [before.reader!, before.manager!]) expect(await rawGreeting(server.port, creds), creds.secret).toBe("-ERR 'Authorization Violation'");
    for (const creds of [after.reader!, after.manager!]) expect(await rawGreeting(server.port, creds), creds.secret).toBe("+OK");
    // initech (decommissioned earlier) is as it was: its reader still connects.
    expect(await rawGreeting(server.port, rotated.tenants.get("initech")!.reader!)).toBe("+OK");
  });
});
