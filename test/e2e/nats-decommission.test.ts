/**
 * Decommissioning on a real nats-server with the full account resolver: the tenant's leaf users
 * (the in-cluster edge's and every site's) are revoked in its account JWT — a user JWT stays valid
 * until revoked, so removing its Secret is not enough — while the platform's reader and manager can
 * still connect to export the streams, and other tenants are untouched. Collectors never were hub
 * users: their account is their leaf's own. Each render after the first is deployed as `pulumi up`
 * would: the account pushes whose JWT changed are updated with the provider's own code
 * (deployPushes), and the hub refuses the revoked creds as soon as the push returns, dropping their
 * live leaf connection too.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { deployPushes, loadRenderedHub, type HubCluster, type RenderedHub } from "../support/hub-cluster";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { EXAMPLE_TENANTS, credsParts, eventually, jwtClaims, loadHubAccounts, loadRendered, rawGreeting, readTenantFile, sleep, tempDir, type Rendered } from "../support/rendered";
import { renderSync } from "../support/render";
import { startPushedHub } from "../support/hub-cluster";
import { monitor } from "../../tools/lib-nats-monitor";

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

  // One server (no streams here: connections and revocations only) with a leaf listener, every
  // account of the active render pushed.
  ({ cluster } = await startPushedHub(activeOut, { leafnodes: true }));
  server = cluster.servers[0]!.server;
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Leaf connections the hub's server holds (GET /leafz). */
const leafConnections = async () => ((await monitor(cluster.servers[0]!.ports.monitor, "/leafz"))?.leafnodes as number | undefined) ?? -1;

/** The tenant's account JWT claims as a render pushes them (its `nats-account-push` resource's `jwt`). */
const pushedClaims = (hub: RenderedHub, slug: string) => {
  const pushes = hub.pushes.filter((p) => p.tenant === slug);
  expect(pushes).toHaveLength(1);
  return jwtClaims(pushes[0]!.inputs.jwt);
};

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
    // The hub is given it by the account push, never by accounts.conf; the review copy says the same.
    const account = pushedClaims(hubOf.decommissioned, "initech");
    expect(account.sub).toBe(workloadUsers[0]!.iss);
    expect(account.name).toBe("TENANT_initech");
    expect(decommissioned.fragment).not.toContain(account.sub);
    expect(loadHubAccounts(decommissionedOut).get("initech")!.claims.revocations).toEqual(account.nats.revocations);
    for (const user of workloadUsers) expect(account.nats.revocations?.[user.sub], user.name).toBeGreaterThanOrEqual(user.iat);
    expect(Object.keys(account.nats.revocations ?? {}).sort()).toEqual([...new Set(workloadUsers.map((u) => u.sub as string))].sort());
    const reader = jwtClaims(credsParts(decommissioned.tenants.get("initech")!.reader!.text).jwt);
    expect(account.nats.revocations?.[reader.sub]).toBeUndefined();
  });

  it("on the running hub, once its push is deployed: the leaf's live connection is dropped and its creds refused at once, reader and manager still connect, other tenants unaffected", async () => {
    // The in-cluster leaf, connected while the tenant was active.
    const leaf = await startNatsServer({
      files: { "leaf.creds": active.tenants.get("initech")!.leaf!.text },
      config: (ctx) => [`listen: "127.0.0.1:${ctx.port}"`, "leafnodes {", "  reconnect: 1", `  remotes: [ { url: "nats-leaf://127.0.0.1:${cluster.servers[0]!.ports.leaf}", credentials: "${ctx.dir}/leaf.creds" } ]`, "}", ""].join("\n"),
    });
    try {
      await eventually("the initech leaf connected", async () => (await leafConnections()) === 1, 10_000);

      const deployed = await deployPushes(cluster, hubOf.active.pushes, hubOf.decommissioned.pushes);
      expect(deployed).toEqual({ created: [], updated: ["initech"], removed: [], unchanged: ["globex"] });
      // No wait: the push returned only once every resolver held the new JWT; the server closes the
      // revoked user's live connection as it applies it.
      await eventually("the initech leaf dropped", async () => (await leafConnections()) === 0, 5_000);
      const from = leaf.logs().length;
      // Its reconnects are refused from then on.
      await sleep(2_500);
      expect(await leafConnections()).toBe(0);
      const afterDrop = leaf.logs().slice(from);
      // The leaf logs each attempt as created before the hub answers: every one it made was refused.
      const attempts = [...afterDrop.matchAll(/lid:(\d+) - Leafnode connection created/g)].map((m) => m[1]);
      for (const lid of attempts) expect(afterDrop, `leaf connection ${lid}`).toMatch(new RegExp(`lid:${lid} - Leafnode Error '(Authorization Violation|User Authentication Revoked)'`));
      console.log(`a live leaf connection of the decommissioned tenant, after the push: dropped; its reconnects: ${JSON.stringify([...new Set(afterDrop.match(/(Authorization Violation|User Authentication Revoked|authentication revoked)/gi) ?? [])])}`);
    } finally {
      await leaf.stop();
    }
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

    const deployed = await deployPushes(cluster, hubOf.decommissioned.pushes, hubOf.rotated.pushes);
    expect(deployed).toEqual({ created: [], updated: ["globex"], removed: [], unchanged: ["initech"] });
    for (const creds of [before.reader!, before.manager!]) expect(await rawGreeting(server.port, creds), creds.secret).toBe(AUTH_VIOLATION);
    for (const creds of [after.reader!, after.manager!]) expect(await rawGreeting(server.port, creds), creds.secret).toBe("+OK");
    // initech (decommissioned earlier) is as it was: its reader still connects.
    expect(await rawGreeting(server.port, rotated.tenants.get("initech")!.reader!)).toBe("+OK");
  });
});
