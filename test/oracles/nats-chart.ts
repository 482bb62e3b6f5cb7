/**
 * What the official NATS Helm chart (nats-io/k8s, chart nats-1.3.16) makes of a set of values, for
 * the parts the program uses — derived from that chart's own files, not from this program:
 *
 *   - values.yaml: the defaults below (`CHART_DEFAULTS`), and which value keys exist at all;
 *   - templates/_helpers.tpl: `nats.fullname`, `nats.defaultValues` (names), `nats.secretNames`,
 *     `nats.tlsCAVolume(Mount)`, `nats.loadMergePatch` (template, then mergeOverwrite of `merge`,
 *     then the JSON `patch`), `nats.formatConfig` (toPrettyRawJson; `"…$include": "x"` becomes
 *     `include x;`, `"<< x >>"` becomes `x`);
 *   - files/config/{config,tls,leafnodes,cluster,jetstream,resolver}.yaml: the nats.conf dictionary;
 *   - files/stateful-set/{nats-container,reloader-container,pod-template}.yaml: volumes and mounts.
 *
 * Helm reads values as JSON, so every number is a float64, and `{{ . }}` prints it with Go's %v:
 * `1177894780928` becomes `1.177894780928e+12` (`goPrintNumber`). toPrettyJson (the config
 * dictionary) prints numbers as encoding/json does (plain digits below 1e21).
 */

type Dict = Record<string, any>;

/** The chart's values.yaml defaults that the templates below read (nats-1.3.16). */
export const CHART_DEFAULTS: Dict = {
  tlsCA: { enabled: false, configMapName: null, secretName: null, dir: "/etc/nats-ca-cert", key: "ca.crt" },
  config: {
    cluster: { enabled: false, port: 6222, replicas: 3, routeURLs: { user: null, password: null, useFQDN: false, k8sClusterDomain: "cluster.local" }, tls: { enabled: false, secretName: null, dir: "/etc/nats-certs/cluster", cert: "tls.crt", key: "tls.key", merge: {}, patch: [] }, merge: {}, patch: [] },
    jetstream: {
      enabled: false,
      fileStore: { enabled: true, dir: "/data", pvc: { enabled: true, size: "10Gi", storageClassName: null, merge: {}, patch: [], name: null }, maxSize: null },
      memoryStore: { enabled: false, maxSize: "1Gi" },
      merge: {},
      patch: [],
    },
    nats: { port: 4222, tls: { enabled: false, secretName: null, dir: "/etc/nats-certs/nats", cert: "tls.crt", key: "tls.key", merge: {}, patch: [] } },
    leafnodes: { enabled: false, port: 7422, tls: { enabled: false, secretName: null, dir: "/etc/nats-certs/leafnodes", cert: "tls.crt", key: "tls.key", merge: {}, patch: [] }, merge: {}, patch: [] },
    websocket: { enabled: false },
    mqtt: { enabled: false },
    gateway: { enabled: false },
    monitor: { enabled: true, port: 8222, tls: { enabled: false } },
    profiling: { enabled: false, port: 65432 },
    resolver: { enabled: false, dir: "/data/resolver", pvc: { enabled: true, size: "1Gi", storageClassName: null, merge: {}, patch: [], name: null }, merge: {}, patch: [] },
    serverNamePrefix: "",
    merge: {},
    patch: [],
  },
  container: { merge: {}, patch: [] },
  reloader: { enabled: true, natsVolumeMountPrefixes: ["/etc/"], merge: {}, patch: [] },
  podTemplate: { configChecksumAnnotation: true, merge: {}, patch: [] },
  statefulSet: { name: null },
  headlessService: { name: null },
};

const isDict = (v: unknown): v is Dict => typeof v === "object" && v !== null && !Array.isArray(v);

/** Sprig's mergeOverwrite: `src` wins, dictionaries merge key by key. */
function mergeOverwrite(dst: Dict, src: Dict): Dict {
  const out: Dict = { ...dst };
  for (const [k, v] of Object.entries(src)) out[k] = isDict(v) && isDict(out[k]) ? mergeOverwrite(out[k], v) : v;
  return out;
}

/** Go's %v of a float64 (what `{{ . }}` prints for a number from values). */
export function goPrintNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) {
    const digits = String(Math.abs(n));
    // strconv 'g' with the shortest precision switches to %e at an exponent of 21, but fmt's %v
    // decides with precision 6 for the shortest representation (fmt/format.go fmtFloat).
    if (digits.length <= 6) return String(n);
  }
  const [mantissa, exponent] = n.toExponential().split("e");
  const exp = Number(exponent);
  return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

/** `{{ value }}` in a chart template. */
const print = (v: unknown) => (typeof v === "number" ? goPrintNumber(v) : String(v));

/** RFC 6902 add/remove/replace, as the chart's jsonpatch helper applies them. */
function applyPatch(doc: any, patches: Dict[] | undefined): any {
  let out = JSON.parse(JSON.stringify(doc));
  for (const p of patches ?? []) {
    const parts = String(p.path).split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    if (p.op !== "add" && p.op !== "replace" && p.op !== "remove") throw new Error(`chart jsonpatch: op ${p.op} not emulated`);
    const last = parts.pop()!;
    let parent = out;
    for (const part of parts) {
      if (parent[part] === undefined) throw new Error(`chart jsonpatch: ${p.path}: no ${part}`);
      parent = parent[part];
    }
    if (Array.isArray(parent)) {
      const index = last === "-" ? parent.length : Number(last);
      if (p.op === "add") parent.splice(index, 0, p.value);
      else if (p.op === "replace") parent[index] = p.value;
      else parent.splice(index, 1);
    } else if (p.op === "remove") delete parent[last];
    else parent[last] = p.value;
  }
  return out;
}

const loadMergePatch = (doc: Dict, section: Dict | undefined) => applyPatch(mergeOverwrite(doc, section?.merge ?? {}), section?.patch);

export interface ChartRender {
  /** The merged values, as the templates see them (defaults, then the given values). */
  values: Dict;
  /** The StatefulSet's and headless Service's name. */
  fullname: string;
  headless: string;
  /** nats.conf as the chart writes it into its ConfigMap. */
  natsConf: string;
  /** The config dictionary before formatting. */
  config: Dict;
  volumes: { name: string }[];
  natsMounts: { name: string; mountPath: string }[];
  reloaderMounts: { name: string; mountPath: string }[];
  /** Files the reloader watches (`-config` arguments). */
  reloaderFiles: string[];
}

export function renderChart(given: Dict, releaseName = "nats"): ChartRender {
  const values = mergeOverwrite(CHART_DEFAULTS, given);
  // nats.fullname: the release name when it contains the chart's name.
  const fullname = releaseName.includes("nats") ? releaseName : `${releaseName}-nats`;
  values.statefulSet.name ??= fullname;
  values.headlessService.name ??= `${fullname}-headless`;
  values.config.jetstream.fileStore.pvc.name ??= `${fullname}-js`;
  values.config.resolver.pvc.name ??= `${fullname}-resolver`;
  const c = values.config;

  const tlsBlock = (tls: Dict): Dict => {
    const out: Dict = {};
    if (tls.secretName) {
      const dir = String(tls.dir).replace(/\/$/, "");
      out.cert_file = `${dir}/${tls.cert || "tls.crt"}`;
      out.key_file = `${dir}/${tls.key || "tls.key"}`;
    }
    if (values.tlsCA.enabled && (values.tlsCA.configMapName || values.tlsCA.secretName)) {
      out.ca_file = `${String(values.tlsCA.dir).replace(/\/$/, "")}/${values.tlsCA.key || "ca.crt"}`;
    }
    return loadMergePatch(out, tls);
  };

  const config: Dict = { server_name: "<< $SERVER_NAME >>", lame_duck_grace_period: "10s", lame_duck_duration: "30s", pid_file: "/var/run/nats/nats.pid" };
  config.port = Number(print(c.nats.port));
  if (c.nats.tls.enabled) config.tls = tlsBlock(c.nats.tls);
  if (c.leafnodes.enabled) {
    const leaf: Dict = { port: Number(print(c.leafnodes.port)), no_advertise: true };
    if (c.leafnodes.tls.enabled) leaf.tls = tlsBlock(c.leafnodes.tls);
    config.leafnodes = loadMergePatch(leaf, c.leafnodes);
  }
  if (c.cluster.enabled) {
    const proto = c.cluster.tls.enabled ? "tls" : "nats";
    const domain = c.cluster.routeURLs.useFQDN ? `${values.headlessService.name}.<namespace>.svc.${c.cluster.routeURLs.k8sClusterDomain}` : values.headlessService.name;
    const cluster: Dict = {
      name: values.statefulSet.name,
      port: Number(print(c.cluster.port)),
      no_advertise: true,
      routes: Array.from({ length: Math.trunc(c.cluster.replicas) }, (_, i) => `${proto}://${values.statefulSet.name}-${i}.${domain}:${Math.trunc(c.cluster.port)}`),
    };
    if (c.cluster.tls.enabled) cluster.tls = tlsBlock(c.cluster.tls);
    config.cluster = loadMergePatch(cluster, c.cluster);
  }
  if (c.monitor.enabled) config[c.monitor.tls.enabled ? "https_port" : "http_port"] = Number(print(c.monitor.port));
  if (c.jetstream.enabled) {
    const js: Dict = {};
    const mem = c.jetstream.memoryStore;
    if (mem.enabled) {
      if (mem.maxSize) js.max_memory_store = `<< ${print(mem.maxSize)} >>`;
    } else js.max_memory_store = 0;
    const file = c.jetstream.fileStore;
    if (file.enabled) {
      js.store_dir = file.dir;
      if (file.maxSize) js.max_file_store = `<< ${print(file.maxSize)} >>`;
      else if (file.pvc.enabled) js.max_file_store = `<< ${print(file.pvc.size)} >>`;
    } else js.max_file_store = 0;
    config.jetstream = loadMergePatch(js, c.jetstream);
  }
  if (c.resolver.enabled) config.resolver = loadMergePatch({ dir: c.resolver.dir }, c.resolver);
  const finalConfig = loadMergePatch(config, c);

  // Mounts (files/stateful-set/nats-container.yaml, pod-template.yaml, reloader-container.yaml).
  const secrets = ["nats", "leafnodes", "websocket", "mqtt", "cluster", "gateway"]
    .map((p) => ({ p, block: c[p] }))
    .filter(({ p, block }) => (p === "nats" || block?.enabled) && block?.tls?.enabled && block?.tls?.secretName)
    .map(({ p, block }) => ({ name: `${p}-tls`, mountPath: block.tls.dir }));
  const tlsCa = values.tlsCA.enabled && (values.tlsCA.configMapName || values.tlsCA.secretName) ? [{ name: "tls-ca", mountPath: values.tlsCA.dir }] : [];
  const natsContainer = applyPatch(
    mergeOverwrite(
      {
        volumeMounts: [
          { name: "config", mountPath: "/etc/nats-config" },
          { name: "pid", mountPath: "/var/run/nats" },
          ...(c.jetstream.enabled && c.jetstream.fileStore.enabled && c.jetstream.fileStore.pvc.enabled ? [{ name: c.jetstream.fileStore.pvc.name, mountPath: c.jetstream.fileStore.dir }] : []),
          ...(c.resolver.enabled && c.resolver.pvc.enabled ? [{ name: c.resolver.pvc.name, mountPath: c.resolver.dir }] : []),
          ...tlsCa,
          ...secrets,
        ],
      },
      values.container.merge ?? {},
    ),
    values.container.patch,
  );
  const natsMounts = natsContainer.volumeMounts as { name: string; mountPath: string }[];
  const reloaderFiles: string[] = [];
  const walk = (v: unknown) => {
    if (!isDict(v)) return;
    for (const [k, x] of Object.entries(v)) {
      if (k === "cert_file" || k === "key_file" || k === "ca_file") reloaderFiles.push(String(x));
      else if (k.endsWith("$include")) reloaderFiles.push(normalize(`/etc/nats-config/${x}`));
      else walk(x);
    }
  };
  walk(finalConfig);
  const reloader = applyPatch(
    mergeOverwrite(
      {
        volumeMounts: [
          { name: "pid", mountPath: "/var/run/nats" },
          ...natsMounts.filter((m) => (values.reloader.natsVolumeMountPrefixes as string[]).some((prefix) => m.mountPath.startsWith(prefix))),
        ],
      },
      values.reloader.merge ?? {},
    ),
    values.reloader.patch,
  );
  const pod = applyPatch(
    {
      spec: {
        volumes: [
          { name: "config" },
          { name: "pid" },
          ...tlsCa.map((m) => ({ name: m.name })),
          ...secrets.map((m) => ({ name: m.name })),
        ],
      },
    },
    values.podTemplate.patch,
  );
  return {
    values,
    fullname,
    headless: values.headlessService.name,
    natsConf: formatChartConfig(finalConfig),
    config: finalConfig,
    volumes: pod.spec.volumes,
    natsMounts,
    reloaderMounts: reloader.volumeMounts,
    reloaderFiles,
  };
}

function normalize(p: string): string {
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "..") out.pop();
    else if (part !== "." && part !== "") out.push(part);
  }
  return `/${out.join("/")}`;
}

/** nats.formatConfig: sorted-key pretty JSON, includes and `<< >>` unquoted. */
export function formatChartConfig(config: Dict): string {
  const sortKeys = (v: unknown): unknown => (Array.isArray(v) ? v.map(sortKeys) : isDict(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])])) : v);
  const json = JSON.stringify(sortKeys(config), null, 2);
  return json.replace(/".*\$include": "(.*)",?/g, "include $1;").replace(/"<<\s+(.*?)\s+>>"/g, "$1");
}

/** Every value path of chart nats-1.3.16's values.yaml under the sections the program sets (a key the chart does not know is ignored by it). */
export function unknownValuePaths(given: Dict): string[] {
  const known = (path: string[]): boolean => {
    // Free-form maps the chart passes through.
    if (path.some((p) => p === "merge" || p === "patch")) return true;
    let cur: unknown = CHART_DEFAULTS;
    for (const p of path) {
      if (!isDict(cur) || !(p in cur)) return false;
      cur = cur[p];
    }
    return true;
  };
  const out: string[] = [];
  const walk = (v: unknown, path: string[]) => {
    if (isDict(v) && !path.some((p) => p === "merge" || p === "patch")) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    else if (!known(path)) out.push(path.join("."));
  };
  walk(given, []);
  return out;
}
