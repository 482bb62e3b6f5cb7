/**
 * Test support: an edge pod's filesystem as the kubelet would lay it out from a rendered
 * Deployment (its volumes' Secret/ConfigMap items at their mount paths), under a temp root, so the
 * leaf node and collectors run against exactly the files the cluster would give them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { K8sObject } from "./rendered";

export interface PodFiles {
  /** Directory standing for the container's `/`. */
  root: string;
  /** Absolute in-container path → file in `root`. */
  at(containerPath: string): string;
  /** Every file written, by in-container path. */
  files: Map<string, string>;
}

const find = (objects: K8sObject[], kind: string, namespace: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.namespace === namespace && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${namespace}/${name} in the render`);
  return o;
};

/** Writes a container's mounted Secret/ConfigMap items under `root` (the Deployment's first container unless told); throws on a missing key. */
export function layOutPod(deployment: K8sObject, objects: K8sObject[], root: string, containerIndex = 0): PodFiles {
  const spec = (deployment as any).spec.template.spec;
  const namespace = deployment.metadata.namespace!;
  const files = new Map<string, string>();
  const container = spec.containers[containerIndex];
  if (!container) throw new Error(`${deployment.metadata.name}: no container ${containerIndex}`);
  for (const mount of container.volumeMounts ?? []) {
    const volume = spec.volumes.find((v: any) => v.name === mount.name);
    if (!volume) throw new Error(`${deployment.metadata.name}: mount ${mount.name} has no volume`);
    let data: Record<string, string>;
    let items: { key: string; path: string }[];
    if (volume.secret) {
      const secret = find(objects, "Secret", namespace, volume.secret.secretName);
      data = (secret as any).stringData ?? {};
      items = volume.secret.items ?? Object.keys(data).map((key) => ({ key, path: key }));
    } else if (volume.configMap) {
      data = (find(objects, "ConfigMap", namespace, volume.configMap.name) as any).data ?? {};
      items = volume.configMap.items ?? Object.keys(data).map((key) => ({ key, path: key }));
    } else continue; // emptyDir
    for (const item of items) {
      if (!(item.key in data)) throw new Error(`${deployment.metadata.name}: volume ${mount.name} mounts key ${item.key}, which ${volume.secret ? "Secret" : "ConfigMap"} does not have`);
      const inContainer = path.posix.join(mount.mountPath, item.path);
      const file = path.join(root, inContainer);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, data[item.key]!);
      files.set(inContainer, file);
    }
  }
  return {
    root,
    files,
    at(containerPath: string) {
      const file = files.get(containerPath);
      if (!file) throw new Error(`${deployment.metadata.name}: nothing mounted at ${containerPath} (mounted: ${[...files.keys()].join(", ")})`);
      return file;
    },
  };
}

/** A leaf or collector configuration's in-container paths (every `/etc/…` string in it). */
export function containerPathsIn(text: string): string[] {
  return [...new Set([...text.matchAll(/"(\/etc\/[^"]+)"|= "(\/etc\/[^"]+)"|: (\/etc\/\S+)/g)].map((m) => (m[1] ?? m[2] ?? m[3])!.replace(/[",]+$/, "")))].sort();
}

/** A container of a rendered Deployment as its runtime would start it: image, env, args, mounted files. */
export function containerOf(deployment: K8sObject, objects: K8sObject[], root: string, containerIndex = 0) {
  const c = (deployment as any).spec.template.spec.containers[containerIndex];
  const pod = layOutPod(deployment, objects, root, containerIndex);
  return {
    pod,
    image: c.image as string,
    env: Object.fromEntries(((c.env ?? []) as { name: string; value: string }[]).map((e) => [e.name, e.value])),
    ...(c.args ? { args: c.args as string[] } : {}),
    ...(c.command ? { command: c.command as string[] } : {}),
    readFile: (p: string) => (pod.files.has(p) ? fs.readFileSync(pod.files.get(p)!, "utf8") : undefined),
  };
}

/**
 * A bundle laid out as its install.sh does (every `install -D` line, under `prefix`), and the
 * `docker run` lines it would execute, parsed: name, environment, volumes (host → container),
 * image and arguments. Nothing else of the script is trusted.
 */
export function layOutBundle(files: Record<string, string>, prefix: string) {
  const script = files["install.sh"];
  if (!script) throw new Error("bundle has no install.sh");
  const installed = new Map<string, string>();
  for (const m of script.matchAll(/^install -D -m (\d+) -o (\d+) -g (\d+) "\$HERE\/([^"]+)" "\$PREFIX\/([^"]+)"$/gm)) {
    const [, mode, , , key, rel] = m;
    if (!(key! in files)) throw new Error(`install.sh installs ${key}, which the bundle does not have`);
    const file = path.join(prefix, rel!);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, files[key!]!, { mode: parseInt(mode!, 8) });
    installed.set(rel!, file);
  }
  for (const m of script.matchAll(/^install -d -m \d+ -o \d+ -g \d+ "\$PREFIX\/([^"]+)"$/gm)) fs.mkdirSync(path.join(prefix, m[1]!), { recursive: true });
  const joined = script.replace(/\\\n\s*/g, " ");
  const runs = [...joined.matchAll(/^\s*"\$RUNTIME" run (.+)$/gm)].map((m) => parseRun(m[1]!, prefix));
  return { prefix, installed, runs };
}

export interface DockerRun {
  name: string;
  env: Record<string, string>;
  /** Container path → host path. */
  volumes: { host: string; container: string; readOnly: boolean }[];
  image: string;
  args: string[];
  /** Reads the file at an in-container path through the volumes. */
  readFile(p: string): string | undefined;
  /** The host path of an in-container path. */
  hostPath(p: string): string | undefined;
}

function parseRun(line: string, prefix: string): DockerRun {
  const words = [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => (m[1] ?? m[2] ?? m[3])!.replaceAll("$PREFIX", prefix).replaceAll("$NETWORK", "net"));
  const env: Record<string, string> = {};
  const volumes: DockerRun["volumes"] = [];
  let name = "";
  let i = 0;
  const withValue = new Set(["--name", "--network", "--network-alias", "--restart", "--tmpfs", "--cap-drop", "--security-opt", "--user", "-p", "-e", "-v"]);
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (!w.startsWith("-")) break;
    if (w === "-d" || w === "--rm" || w === "--read-only") continue;
    if (!withValue.has(w)) throw new Error(`docker run: unexpected flag ${w}`);
    const v = words[++i]!;
    if (w === "--name") name = v;
    if (w === "-e") env[v.slice(0, v.indexOf("="))] = v.slice(v.indexOf("=") + 1);
    if (w === "-v") {
      const [host, container, mode] = v.split(":");
      volumes.push({ host: host!, container: container!, readOnly: mode === "ro" });
    }
  }
  const image = words[i]!;
  const args = words.slice(i + 1);
  const hostPath = (p: string) => {
    const v = [...volumes].sort((a, b) => b.container.length - a.container.length).find((x) => p === x.container || p.startsWith(`${x.container}/`));
    return v ? path.join(v.host, p.slice(v.container.length)) : undefined;
  };
  return {
    name,
    env,
    volumes,
    image,
    args,
    hostPath,
    readFile: (p) => {
      const h = hostPath(p);
      return h && fs.existsSync(h) && fs.statSync(h).isFile() ? fs.readFileSync(h, "utf8") : undefined;
    },
  };
}
