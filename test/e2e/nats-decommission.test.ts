/**
 * Decommissioning on a real nats-server with the full account resolver: the tenant's workload
 * credentials (collectors, leaf) are revoked in its account JWT — a user JWT stays valid until
 * revoked, so removing its Secret is not enough — while the platform's reader and manager can still
 * connect to export the streams, and other tenants are untouched. Each render after the first is
 * deployed as `pulumi up` would: the account pushes whose JWT changed are updated with the
 * provider's own code (deployPushes), and the hub refuses the revoked creds as soon as the push
 * returns, dropping their live connections too.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { deployPushes, loadRenderedHub, type HubCluster, type RenderedHub } from "../support/hub-cluster";
import type { NatsServer } from "../support/nats-server";
import { EXAMPLE_TENANTS, credsParts, jwtClaims, loadHubAccounts, loadRendered, rawGreeting, rawSession, readTenantFile, tempDir, type Rendered } from "../support/rendered";
import { renderSync } from "../support/render";
import { startPushedHub } from "../support/hub-cluster";

const AUTH_VIOLATION = "-ERR 'Authorization Violation'";

let active: Rendered;
let decommissioned: Rendered;
let rotated: Rendered;
/** What each render gives the hub (its account pushes). */
const hubOf: Record<"active" | "decommissioned" | "rotated", RenderedHub> = {} as never;
let decommissionedOut: string;
let cluster: HubCluster;
let server: NatsServer;

beforeAll(async () => {
  const tenants = tempDir("tenancy-decommission-");
  for (const slug of ["initech", "globex"]) fs.copyFileSync(path.join(EXAMPLE_TENANTS, `${slug}.yaml`), path.join(tenants, `${slug}.yaml`));
  const activeOut = tempDir("tenancy-decommission-active-");
  renderSync({ out: activeOut, tenants, revealSecrets: true });
  active = loadRendered(activeOut);
  hubOf.active = loadRenderedHub(activeOut);

  const initech = readTenantFile(path.join(tenants, "initech.yaml"));
  fs.writeFileSync(path.join(tenants, "initech.yaml"), stringify({ ...initech, status: "decommissioned" }));
  decommissionedOut = tempDir("tenancy-decommission-after-");
  renderSync({ out: decommissionedOut, tenants, revealSecrets: true });
  decommissioned = loadRendered(decommissionedOut);
  hubOf.decommissioned = loadRenderedHub(decommissionedOut);

  // Then globex drops a collector and rotates its credentials.
  const globex = readTenantFile(path.join(tenants, "globex.yaml"));
  fs.writeFileSync(path.join(tenants, "globex.yaml"), stringify({ ...globex, collectors: globex.collectors!.slice(1), credentials: { rotation: 1 } }));
  const rotatedOut = tempDir("tenancy-rotated-");
  renderSync({ out: rotatedOut, tenants, revealSecrets: true });
  rotated = loadRendered(rotatedOut);
  hubOf.rotated = loadRenderedHub(rotatedOut);

  // One server (no streams here: connections and revocations only), every account of the active render pushed.
  ({ cluster } = await startPushedHub(activeOut));
  server = cluster.servers[0]!.server;
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

/** The tenant's account JWT claims as a render pushes them (its `nats-account-push` resource's `jwt`). */
const pushedClaims = (hub: RenderedHub, slug: string) => {
  const pushes = hub.pushes.filter((p) => p.tenant === slug);
  expect(pushes).toHaveLength(1);
  return jwtClaims(pushes[0]!.inputs.jwt);
};

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
    // The hub is given it by the account push, never by accounts.conf; the review copy says the same.
    const account = pushedClaims(hubOf.decommissioned, "initech");
    expect(account.sub).toBe(workloadUsers[0]!.iss);
    expect(account.name).toBe("TENANT_initech");
    expect(decommissioned.fragment).not.toContain(account.sub);
    expect(loadHubAccounts(decommissionedOut).get("initech")!.claims.revocations).toEqual(account.nats.revocations);
    for (const user of workloadUsers) expect(account.nats.revocations?.[user.sub], user.name).toBeGreaterThanOrEqual(user.iat);
    const reader = jwtClaims(credsParts(decommissioned.tenants.get("initech")!.reader!.text).jwt);
    expect(account.nats.revocations?.[reader.sub]).toBeUndefined();
  });

  it("on the running hub, once its push is deployed: the old collector creds are refused at once and their live connections dropped, reader and manager still connect, other tenants unaffected", async () => {
    const collectors = active.tenants.get("initech")!.collectors;
    // A collector connected while the tenant was active.
    const live = await rawSession(server.port, collectors[0]!);
    expect(live.greeting).toBe("+OK");
    live.send("PING\r\n");
    expect(await live.reply()).toBe("PONG");

    const deployed = await deployPushes(cluster, hubOf.active.pushes, hubOf.decommissioned.pushes);
    expect(deployed).toEqual({ created: [], updated: ["initech"], removed: [], unchanged: ["globex"] });
    // No wait: the push returned only once every resolver held the new JWT.
    for (const creds of collectors) expect(await rawGreeting(server.port, creds)).toBe(AUTH_VIOLATION);
    // The server closed the live connection of the revoked user.
    const dropped: string[] = [];
    for (let line = await live.reply(); line !== "<closed>"; line = await live.reply()) dropped.push(line);
    expect(dropped).toEqual(["-ERR 'User Authentication Revoked'"]);
    console.log(`a live collector connection of the decommissioned tenant, after the push: ${JSON.stringify(dropped)}, then closed`);
    live.close();
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

    const deployed = await deployPushes(cluster, hubOf.decommissioned.pushes, hubOf.rotated.pushes);
    expect(deployed).toEqual({ created: [], updated: ["globex"], removed: [], unchanged: ["initech"] });
    for (const creds of [...before.collectors, before.reader!, before.manager!]) expect(await rawGreeting(server.port, creds), creds.secret).toBe(AUTH_VIOLATION);
    for (const creds of [...after.collectors, after.reader!, after.manager!]) expect(await rawGreeting(server.port, creds), creds.secret).toBe("+OK");
    // initech (decommissioned earlier) is as it was: its reader still connects.
    expect(await rawGreeting(server.port, rotated.tenants.get("initech")!.reader!)).toBe("+OK");
  });
});
