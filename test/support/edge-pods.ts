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

/** Writes the Deployment's mounted Secret/ConfigMap items under `root`; throws on a missing key. */
export function layOutPod(deployment: K8sObject, objects: K8sObject[], root: string): PodFiles {
  const spec = (deployment as any).spec.template.spec;
  const namespace = deployment.metadata.namespace!;
  const files = new Map<string, string>();
  const container = spec.containers[0];
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
