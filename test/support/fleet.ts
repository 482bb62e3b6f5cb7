/**
 * A fleet with cells rendered as its stacks would run (`npm run render -- --all-cells`, secrets
 * revealed), and a view of it as one render: every stack's manifests, declared resources and hub
 * accounts side by side in one directory, so the isolation tests that read a render (manifests,
 * resources.yaml, hub/accounts) read the whole fleet — tenants of different cells paired too.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { RenderedManifest } from "../../engine/render";
import { renderSync } from "./render";

export interface Fleet {
  /** Where --all-cells wrote the stacks (platform/, cells/<name>/). */
  stacks: string;
  /** The stacks' directories, platform first. */
  stackDirs: string[];
  /** One render's layout over every stack: manifests/, resources.yaml, hub/accounts/. */
  view: string;
}

export function renderFleet(dir: string, options: { tenants?: string } = {}): Fleet {
  const stacks = path.join(dir, "stacks");
  renderSync({ out: stacks, cells: { all: true }, revealSecrets: true, ...(options.tenants ? { tenants: options.tenants } : {}) });
  const stackDirs = [path.join(stacks, "platform"), ...fs.readdirSync(path.join(stacks, "cells")).sort().map((c) => path.join(stacks, "cells", c))];
  const view = path.join(dir, "view");
  const copied = new Map<string, string>();
  const copyTree = (from: string, to: string, stack: string) => {
    if (!fs.existsSync(from)) return;
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
      const src = path.join(from, entry.name);
      const dst = path.join(to, entry.name);
      if (entry.isDirectory()) copyTree(src, dst, stack);
      else {
        // Two stacks may not write the same object: the view would hide one of them.
        const owner = copied.get(dst);
        if (owner) throw new Error(`${path.relative(view, dst)} is declared by both ${owner} and ${stack}`);
        copied.set(dst, stack);
        fs.mkdirSync(to, { recursive: true });
        fs.copyFileSync(src, dst);
      }
    }
  };
  const resources: string[] = [];
  for (const s of stackDirs) {
    const name = path.relative(stacks, s);
    copyTree(path.join(s, "manifests"), path.join(view, "manifests"), name);
    copyTree(path.join(s, "hub"), path.join(view, "hub"), name);
    resources.push(fs.readFileSync(path.join(s, "resources.yaml"), "utf8"));
  }
  // Each resources.yaml is one YAML sequence: one after the other they are one sequence.
  fs.writeFileSync(path.join(view, "resources.yaml"), resources.join(""));
  return { stacks, stackDirs, view };
}

/** Every manifest of the fleet, as the render writes them (`file` relative to the view). */
export const fleetManifests = (fleet: Fleet): RenderedManifest[] => manifestsIn(fleet.view);

/** Every manifest under a render's (or the view's) manifests/, `file` relative to that render. */
export function manifestsIn(render: string): RenderedManifest[] {
  const out: RenderedManifest[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".yaml")) out.push({ file: path.relative(render, full), object: parse(fs.readFileSync(full, "utf8")) } as RenderedManifest);
    }
  };
  walk(path.join(render, "manifests"));
  return out;
}
