/**
 * The optional NATS Helm chart (tenancy:natsDeployHub): declared only when switched on, wired to the
 * generated accounts ConfigMap and the hub's TLS Secret, and its `$include` path resolves — from
 * the chart's config directory — to the mounted fragment, which a real nats-server then loads.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOffline, type OfflineRun, type Registration } from "../../engine/offline";
import { renderManifests } from "../../engine/render";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { EXAMPLE_TENANTS, expectedNats } from "../support/rendered";

let run: OfflineRun;
let release: Registration;
let server: NatsServer | undefined;

beforeAll(async () => {
  run = await runOffline({ config: { "tenancy:natsDeployHub": "true" } });
  release = run.registrations.find((r) => r.type === "kubernetes:helm.sh/v3:Release")!;
});
afterAll(async () => {
  await server?.stop();
});

describe("the NATS hub Helm chart switch", () => {
  it("declares one release of the official chart in the platform namespace, after the accounts ConfigMap", () => {
    expect(run.registrations.filter((r) => r.type === "kubernetes:helm.sh/v3:Release")).toHaveLength(1);
    expect(release.inputs).toMatchObject({ chart: "nats", namespace: "platform", repositoryOpts: { repo: "https://nats-io.github.io/k8s/helm/charts/" } });
    expect(release.inputs.version).toMatch(/^1\.\d+\.\d+$/);
    const configMap = run.registrations.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.inputs.metadata.name === "nats-hub-accounts")!;
    expect(release.options.dependsOn).toContain(configMap.urn);
  });

  it("serves the client and leaf ports with the hub certificate Secret the program renders", () => {
    const values = release.inputs.values;
    const manifests = renderManifests(run);
    const hubSecret = manifests.find((m) => m.object.kind === "Secret" && m.object.metadata.namespace === "platform" && m.object.type === "kubernetes.io/tls" && m.object.metadata.name === values.config.nats.tls.secretName);
    expect(hubSecret).toBeDefined();
    expect(values.config.nats).toEqual({ port: 4222, tls: { enabled: true, secretName: hubSecret!.object.metadata.name } });
    // Leaf nodes must present a certificate under the platform root: the Secret's ca.crt (tlsCA).
    expect(values.config.leafnodes).toEqual({ enabled: true, port: 7422, tls: { enabled: true, secretName: hubSecret!.object.metadata.name, merge: { verify: true } } });
    expect(values.tlsCA).toEqual({ enabled: true, secretName: hubSecret!.object.metadata.name, key: "ca.crt" });
    expect(hubSecret!.object.stringData["ca.crt"]).toBeDefined();
    expect(values.config.jetstream.enabled).toBe(true);
  });

  it("sizes the server for what the tenants are promised: max_payload and JetStream storage", () => {
    const expected = fs.readdirSync(EXAMPLE_TENANTS).filter((f) => f.endsWith(".yaml")).map((f) => expectedNats(path.join(EXAMPLE_TENANTS, f)));
    const values = release.inputs.values;
    // The enterprise plan promises 8 MiB payloads; nats-server's default max_payload is 1 MiB.
    expect(values.config.merge.max_payload).toBe(Math.max(...expected.map((e) => e.payload)));
    expect(values.config.merge.max_payload).toBe(8 * 1024 * 1024);
    const disk = expected.reduce((n, e) => n + e.diskStorage, 0);
    expect(values.config.jetstream.fileStore).toEqual({ maxSize: disk, pvc: { size: String(disk) } });
  });

  it("mounts the accounts ConfigMap in the server and reloader containers, where the include points", () => {
    const values = release.inputs.values;
    const volume = values.podTemplate.patch[0].value;
    expect(volume.configMap.name).toBe("nats-hub-accounts");
    for (const patch of [values.container.patch[0], values.reloader.patch[0]]) {
      expect(patch).toMatchObject({ op: "add", path: "/volumeMounts/-", value: { name: volume.name, readOnly: true } });
    }
    const mountPath = values.container.patch[0].value.mountPath;
    // The chart writes nats.conf into /etc/nats-config; includes resolve from there.
    expect(path.posix.resolve("/etc/nats-config", values.config.merge.$include)).toBe(`${mountPath}/accounts.conf`);
  });

  it("gives a working operator-mode server when laid out as the chart lays it out", async () => {
    const values = release.inputs.values;
    const fragment = renderManifests(run).find((m) => m.object.kind === "ConfigMap" && m.object.metadata.name === "nats-hub-accounts")!.object.data["accounts.conf"];
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-chart-"));
    const mountPath: string = values.container.patch[0].value.mountPath;
    fs.mkdirSync(path.join(root, mountPath), { recursive: true });
    fs.writeFileSync(path.join(root, mountPath, "accounts.conf"), fragment);
    server = await startNatsServer({
      dir: path.join(root, "etc/nats-config"),
      config: ({ port, dir }) => `include "${values.config.merge.$include}"\nport: ${port}\njetstream { store_dir: "${dir}/js" }\n`,
    });
    expect(server.logs()).toMatch(/Trusted Operators/);
    expect(server.logs()).toMatch(/Server is ready/);
  });
});
