/**
 * The optional NATS Helm chart (tenancy:natsDeployHub) checked against what chart nats-1.3.16 makes
 * of the rendered values (test/oracles/nats-chart.ts, derived from that chart's values.yaml and
 * templates): every value is one the chart reads, sizes reach nats.conf in a form nats-server
 * parses, no mount is made twice, the nats.conf the chart writes loads in a real nats-server, and
 * the hub certificate carries the names the chart's routes dial (openssl -verify_hostname). The two
 * defects this replaces (a number size printed as `1.177894780928e+12`, the reloader patch that
 * mounted the accounts twice) are shown to be caught by these same checks.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { NATS_CHART_VERSION } from "../../plan/hub-chart-values";
import { formatChartConfig, goPrintNumber, renderChart, unknownValuePaths, type ChartRender } from "../oracles/nats-chart";
import { loadRenderedHub, type RenderedHub } from "../support/hub-cluster";
import { startNatsServer } from "../support/nats-server";
import { opensslVerify } from "../support/openssl";
import { PLANS_FILE, bytesOf } from "../support/rendered";
import { renderSync } from "../support/render";

let out: string;
let hub: RenderedHub;
let values: Record<string, any>;
let chart: ChartRender;
const dirs: string[] = [];

/** Inside every rendered certificate's validity: the render's fixed clock (2026-01-01) plus a day. */
const AT = String(Date.UTC(2026, 0, 2) / 1000);
const duplicates = (paths: string[]) => paths.filter((p, i) => paths.indexOf(p) !== i);

beforeAll(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-chart-"));
  renderSync({ out, revealSecrets: true, config: { natsDeployHub: "true" } });
  hub = loadRenderedHub(out);
  values = hub.chartValues!;
  chart = renderChart(values);
}, 120_000);

afterAll(() => {
  for (const d of [out, ...dirs]) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * The pod as the chart lays it out, under a directory of this machine: every mount's files where
 * the kubelet would put them (the TLS Secret's keys, the accounts ConfigMap), the pod's absolute
 * paths moved under that directory. Returns the config with those paths.
 */
function layOut(config: Record<string, any>): { root: string; config: Record<string, any> } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-chart-pod-"));
  dirs.push(root);
  const local = JSON.parse(JSON.stringify(config).replace(/"\/(etc|data|var)(\/|")/g, `"${root}/$1$2`));
  for (const m of chart.natsMounts) fs.mkdirSync(path.join(root, m.mountPath), { recursive: true });
  for (const m of chart.natsMounts.filter((m) => m.name.endsWith("-tls") || m.name === "tls-ca")) for (const [k, v] of Object.entries(hub.tls)) fs.writeFileSync(path.join(root, m.mountPath, k), v);
  const accounts = chart.natsMounts.find((m) => m.name === "tenancy-accounts")!;
  fs.writeFileSync(path.join(root, accounts.mountPath, "accounts.conf"), hub.accountsConf);
  fs.mkdirSync(path.join(root, "etc/nats-config"), { recursive: true });
  return { root, config: local };
}

/** `nats-server -t`: parses and checks the chart's configuration in the pod's layout, then exits. */
async function configTest(natsConf: string): Promise<{ ok: boolean; log: string }> {
  const { root } = layOut({});
  const text = natsConf.replace(/"\/(etc|data|var)\//g, `"${root}/$1/`).replace(/include \.\.\//g, "include ../");
  const file = path.join(root, "etc/nats-config/nats.conf");
  fs.writeFileSync(file, text);
  for (const m of chart.natsMounts) fs.mkdirSync(path.join(root, m.mountPath), { recursive: true });
  const { spawnSync } = await import("node:child_process");
  const r = spawnSync("nats-server", ["-t", "-c", file], { encoding: "utf8", env: { ...process.env, SERVER_NAME: "nats-0" } });
  return { ok: r.status === 0, log: `${r.stdout}${r.stderr}` };
}

describe("the NATS hub chart's values, as chart nats-1.3.16 reads them", () => {
  it("declares one release of the pinned chart version in the platform namespace", () => {
    const resources = parse(fs.readFileSync(path.join(out, "resources.yaml"), "utf8")) as { urn: string; inputs: Record<string, any> }[];
    const releases = resources.filter((r) => r.urn.includes("helm.sh/v3:Release"));
    expect(releases).toHaveLength(1);
    expect(releases[0]!.inputs).toMatchObject({ chart: "nats", version: NATS_CHART_VERSION, namespace: "platform", repositoryOpts: { repo: "https://nats-io.github.io/k8s/helm/charts/" } });
    expect(NATS_CHART_VERSION).toBe("1.3.16");
  });

  it("sets only values the chart has", () => {
    expect(unknownValuePaths(values)).toEqual([]);
    // …and the check sees a misspelt one.
    expect(unknownValuePaths({ config: { jetstream: { fileStore: { maxSze: "1Gi" } } } })).toEqual(["config.jetstream.fileStore.maxSze"]);
  });

  it("gives every size as a string, so nats.conf holds `1536Gi`-style sizes that nats-server parses", async () => {
    const js = values.config.jetstream;
    for (const v of [js.fileStore.maxSize, js.fileStore.pvc.size, js.memoryStore.maxSize, values.config.resolver.pvc.size]) expect(typeof v, String(v)).toBe("string");
    expect(chart.natsConf).not.toMatch(/\d\.\d+e\+\d+/);
    expect(chart.natsConf).toMatch(/"max_file_store": \d+[KMGTP]i,?$/m);
    const test = await configTest(chart.natsConf);
    expect(test.ok, test.log).toBe(true);
    expect(test.log).toMatch(/configuration file .* is valid/);
  });

  it("would catch a number size: Helm prints it as Go's %v of a float64, a line nats-server refuses", async () => {
    expect(goPrintNumber(1177894780928)).toBe("1.177894780928e+12");
    const numeric = renderChart({ ...values, config: { ...values.config, jetstream: { ...values.config.jetstream, fileStore: { ...values.config.jetstream.fileStore, maxSize: 1177894780928 } } } });
    expect(numeric.natsConf).toContain('"max_file_store": 1.177894780928e+12');
    const test = await configTest(numeric.natsConf);
    expect(test.ok).toBe(false);
    expect(test.log).toMatch(/max_file_store|1\.177894780928e\+12|parse/i);
    console.log(`chart: a number size gives ${JSON.stringify(/"max_file_store": [^\n,]+/.exec(numeric.natsConf)![0])}; nats-server -t: ${test.log.trim().split("\n").pop()}`);
  });

  it("mounts nothing twice: the accounts ConfigMap once in the server container, which the reloader copies", () => {
    for (const mounts of [chart.natsMounts, chart.reloaderMounts]) expect(duplicates(mounts.map((m) => m.mountPath))).toEqual([]);
    expect(duplicates(chart.volumes.map((v) => v.name))).toEqual([]);
    const accounts = chart.natsMounts.find((m) => m.name === "tenancy-accounts");
    expect(accounts).toBeDefined();
    expect(chart.reloaderMounts.filter((m) => m.name === "tenancy-accounts")).toHaveLength(1);
    // The include resolves, from the chart's nats.conf, into that mount; the reloader watches it.
    const include = /include (\S+);/.exec(chart.natsConf)![1]!;
    const included = path.posix.resolve("/etc/nats-config", include);
    expect(path.posix.dirname(included)).toBe(accounts!.mountPath);
    expect(chart.reloaderFiles).toContain(included);
    // The old values' extra reloader mount is caught.
    const old = renderChart({ ...values, reloader: { patch: [{ op: "add", path: "/volumeMounts/-", value: accounts }] } });
    expect(duplicates(old.reloaderMounts.map((m) => m.mountPath))).toEqual([accounts!.mountPath]);
  });

  it("runs the full resolver and the plans' server-wide limits, with nothing per tenant", () => {
    const plans = parse(fs.readFileSync(PLANS_FILE, "utf8")) as { plans: Record<string, { nats: { subscriptions: number; payload: string } }> };
    expect(chart.config.resolver).toMatchObject({ type: "full", dir: "/data/resolver", allow_delete: true });
    expect(chart.config.max_payload).toBe(Math.max(...Object.values(plans.plans).map((p) => bytesOf(p.nats.payload))));
    expect(chart.config.max_subscriptions).toBe(Math.max(...Object.values(plans.plans).map((p) => p.nats.subscriptions)));
    for (const p of hub.pushes) expect(chart.natsConf + hub.accountsConf).not.toContain(p.inputs.account);
  });

  it("routes the servers to each other by names the hub certificate carries, verified under the hub CA", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-chart-tls-"));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, "tls.crt"), hub.tls["tls.crt"]!);
    fs.writeFileSync(path.join(dir, "hub-ca.crt"), hub.tls["hub-ca.crt"]!);
    const routes: string[] = chart.config.cluster.routes;
    expect(routes).toHaveLength(values.config.cluster.replicas);
    expect(values.config.cluster.replicas).toBe(3);
    for (const route of routes) {
      const host = new URL(route).hostname;
      const ok = opensslVerify(path.join(dir, "tls.crt"), { at: AT, caFile: path.join(dir, "hub-ca.crt"), hostname: host, purpose: "sslserver" });
      expect(ok.ok, `${host}: ${ok.out}`).toBe(true);
      // Routes are TLS both ways: the same certificate is the client side.
      expect(opensslVerify(path.join(dir, "tls.crt"), { at: AT, caFile: path.join(dir, "hub-ca.crt"), purpose: "sslclient" }).ok).toBe(true);
    }
    // A name the chart does not dial is not in the certificate.
    expect(opensslVerify(path.join(dir, "tls.crt"), { at: AT, caFile: path.join(dir, "hub-ca.crt"), hostname: "nats-0.elsewhere", purpose: "sslserver" }).ok).toBe(false);
    expect(chart.config.cluster.tls).toMatchObject({ ca_file: "/etc/nats-certs/cluster/hub-ca.crt", verify: true });
  });

  it("loads, as the chart lays it out, in a real nats-server: operator mode, the full resolver, the limits", async () => {
    // One server alone (no routes, no TLS listeners), from the chart's own config in the pod's layout.
    const { root, config: local } = layOut(chart.config);
    delete local.cluster;
    delete local.leafnodes;
    delete local.tls;
    local.http_port = 0;
    const server = await startNatsServer({
      dir: path.join(root, "etc/nats-config"),
      configName: "nats.conf",
      env: { SERVER_NAME: "nats-0" },
      config: ({ port }) => formatChartConfig({ ...local, port }),
    });
    try {
      const logs = server.logs();
      expect(logs).toMatch(/Trusted Operators/);
      expect(logs).toMatch(/Managing all jwt in exclusive directory/);
      expect(logs).toMatch(/Server is ready/);
    } finally {
      await server.stop();
    }
  });
});
