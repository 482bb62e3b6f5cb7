/**
 * Turns an offline run into files: one YAML document per Kubernetes object, every declared
 * resource with its inputs and options, and a summary. Output depends only on the run, so two
 * renders of the same files and seed are byte-identical. Secrets are replaced by a stable
 * placeholder unless `revealSecrets` is set.
 */
import * as fs from "node:fs";
import { createHash } from "node:crypto";
import * as path from "node:path";
import { stringify } from "yaml";
import { isSecretValue, unwrapSecrets, type OfflineRun, type Registration } from "./offline";
import { BUNDLE_ANNOTATION, EDGE_PROVIDER_PREFIX } from "../model/names";

/** The edge cluster a resource is declared in (by its provider reference), if not the platform's. */
function clusterOf(r: Registration): string | undefined {
  // A provider reference is `<provider URN>::<id>`; the URN ends in `::<logical name>`.
  const urn = r.provider.slice(0, r.provider.lastIndexOf("::"));
  const name = urn.slice(urn.lastIndexOf("::") + 2);
  return urn.includes("pulumi:providers:kubernetes") && name.startsWith(EDGE_PROVIDER_PREFIX) ? name.slice(EDGE_PROVIDER_PREFIX.length) : undefined;
}

export const SECRET_PLACEHOLDER = "[secret]";

export interface RenderOptions {
  revealSecrets?: boolean;
}

export interface RenderedManifest {
  /** Path under the output directory, e.g. `manifests/tenant-acme/networkpolicy-default-deny.yaml`. */
  file: string;
  object: Record<string, any>;
  /** Slug of the tenant that declared it, if any. */
  tenant?: string;
  urn: string;
}

/** Secret wrappers become their value (revealed) or the placeholder; Secret `data` stays valid base64. */
export function presentSecrets(v: any, reveal: boolean, inSecretData = false): any {
  if (reveal) return unwrapSecrets(v);
  if (isSecretValue(v)) return redact(v.value, inSecretData);
  if (Array.isArray(v)) return v.map((x) => presentSecrets(x, false, inSecretData));
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, presentSecrets(x, false, inSecretData)]));
  }
  return v;
}

function redact(v: any, base64: boolean): any {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    return Object.fromEntries(Object.keys(v).map((k) => [k, redact(v[k], base64)]));
  }
  return base64 ? Buffer.from(SECRET_PLACEHOLDER).toString("base64") : SECRET_PLACEHOLDER;
}

const isKubernetesObject = (r: Registration) =>
  r.custom && r.type.startsWith("kubernetes:") && typeof r.inputs.kind === "string" && typeof r.inputs.apiVersion === "string";

/** The tenant (Tenant component name) each resource belongs to, following parents. */
export function tenantOf(registrations: Registration[]): Map<string, string> {
  const byUrn = new Map(registrations.map((r) => [r.urn, r]));
  const owner = new Map<string, string>();
  for (const r of registrations) {
    for (let cur: Registration | undefined = r; cur; cur = byUrn.get(cur.parent)) {
      if (cur.type === "tenancy:index:Tenant") {
        owner.set(r.urn, cur.name);
        break;
      }
    }
  }
  return owner;
}

export function renderManifests(run: OfflineRun, options: RenderOptions = {}): RenderedManifest[] {
  const owners = tenantOf(run.registrations);
  const manifests: RenderedManifest[] = [];
  for (const r of run.registrations) {
    if (!isKubernetesObject(r)) continue;
    const object: Record<string, any> = {};
    for (const [key, value] of Object.entries(r.inputs)) {
      object[key] = presentSecrets(value, !!options.revealSecrets, r.inputs.kind === "Secret" && key === "data");
    }
    const ns = object.metadata?.namespace ?? "_cluster";
    // Objects of an edge cluster go under clusters/<name>/: they are applied to another cluster.
    const cluster = r.provider ? clusterOf(r) : undefined;
    manifests.push({
      file: `manifests/${cluster ? `clusters/${cluster}/` : ""}${ns}/${String(object.kind).toLowerCase()}-${object.metadata.name}.yaml`,
      object,
      tenant: owners.get(r.urn),
      urn: r.urn,
    });
  }
  const seen = new Map<string, string>();
  for (const m of manifests) {
    if (seen.has(m.file)) throw new Error(`two objects render to ${m.file}: ${seen.get(m.file)} and ${m.urn}`);
    seen.set(m.file, m.urn);
  }
  return manifests.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

export interface RenderSummary {
  resources: number;
  kubernetesObjects: number;
  byKind: Record<string, number>;
  tenants: Record<string, { resources: number; byKind: Record<string, number> }>;
}

export function summarize(run: OfflineRun, manifests: RenderedManifest[]): RenderSummary {
  const owners = tenantOf(run.registrations);
  const count = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
  const byKind: Record<string, number> = {};
  const tenants: RenderSummary["tenants"] = {};
  for (const m of manifests) {
    count(byKind, m.object.kind);
    if (m.tenant) count((tenants[m.tenant] ??= { resources: 0, byKind: {} }).byKind, m.object.kind);
  }
  for (const r of run.registrations) {
    const t = owners.get(r.urn);
    if (t) (tenants[t] ??= { resources: 0, byKind: {} }).resources++;
  }
  return {
    resources: run.registrations.length,
    kubernetesObjects: manifests.length,
    byKind: sortKeys(byKind),
    tenants: sortKeys(Object.fromEntries(Object.entries(tenants).map(([k, v]) => [k, { ...v, byKind: sortKeys(v.byKind) }]))),
  };
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

/** Every declared resource (not only Kubernetes objects) with its inputs and options, by URN. */
export function declaredResources(run: OfflineRun, options: RenderOptions = {}): string {
  const entries = [...run.registrations]
    .sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0))
    .map((r) => ({
      urn: r.urn,
      ...(r.parent ? { parent: r.parent } : {}),
      ...(r.provider ? { provider: r.provider } : {}),
      options: Object.fromEntries(
        Object.entries(r.options).filter(([, v]) => (Array.isArray(v) ? v.length > 0 : v !== false)),
      ),
      inputs: presentSecrets(summarizeProvider(r.inputs), !!options.revealSecrets),
    }));
  return stringify(entries, { lineWidth: 0 });
}

/**
 * A dynamic resource's inputs carry its provider's serialized code (`__provider`): the same for
 * every resource, so the render names it by size and digest (a changed provider still shows).
 */
function summarizeProvider(inputs: Record<string, any>): Record<string, any> {
  const code = inputs.__provider;
  if (typeof code !== "string") return inputs;
  return { ...inputs, __provider: `[serialized dynamic provider: ${Buffer.byteLength(code)} bytes, sha256 ${createHash("sha256").update(code).digest("hex").slice(0, 16)}]` };
}

export function summaryText(summary: RenderSummary): string {
  const lines = [
    `${summary.resources} resources declared, ${summary.kubernetesObjects} Kubernetes objects`,
    "",
    "by kind:",
    ...Object.entries(summary.byKind).map(([k, n]) => `  ${k.padEnd(16)} ${n}`),
    "",
    "by tenant:",
    ...Object.entries(summary.tenants).map(
      ([t, s]) => `  ${t.padEnd(24)} ${String(s.resources).padStart(4)} resources  ${Object.entries(s.byKind).map(([k, n]) => `${k}=${n}`).join(" ")}`,
    ),
  ];
  return lines.join("\n") + "\n";
}

/** Writes the render under `dir` (replacing a previous render there) and returns the summary. */
export function writeRender(dir: string, run: OfflineRun, options: RenderOptions = {}): RenderSummary {
  const manifests = renderManifests(run, options);
  fs.mkdirSync(dir, { recursive: true });
  fs.rmSync(path.join(dir, "manifests"), { recursive: true, force: true });
  for (const m of manifests) {
    const file = path.join(dir, m.file);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, stringify(m.object, { lineWidth: 0 }));
  }
  fs.rmSync(path.join(dir, "bundles"), { recursive: true, force: true });
  if (options.revealSecrets) writeBundles(path.join(dir, "bundles"), manifests);
  fs.rmSync(path.join(dir, "hub"), { recursive: true, force: true });
  for (const account of hubAccounts(run)) {
    const file = path.join(dir, account.file);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, stringify(account.document, { lineWidth: 0 }));
  }
  const summary = summarize(run, manifests);
  fs.writeFileSync(path.join(dir, "resources.yaml"), declaredResources(run, options));
  fs.writeFileSync(path.join(dir, "outputs.yaml"), stringify(presentSecrets(run.outputs, !!options.revealSecrets), { lineWidth: 0 }));
  fs.writeFileSync(path.join(dir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  fs.writeFileSync(path.join(dir, "summary.txt"), summaryText(summary));
  return summary;
}

/** A resource of the program's dynamic provider that pushes an account JWT (components/account-push.ts). */
const isAccountPush = (r: Registration) => r.custom && r.type.startsWith("pulumi-nodejs:dynamic:") && typeof r.inputs.jwt === "string" && typeof r.inputs.account === "string";

/**
 * What each tenant's account push puts on the hub, one file per tenant (`hub/accounts/<slug>.yaml`):
 * the decoded claims a reviewer reads (limits, tiers, revocations) beside the token pushed. The
 * render diff compares these too, so a fork's pull request shows account changes as a preview does.
 */
export function hubAccounts(run: OfflineRun): { file: string; tenant: string; document: Record<string, unknown> }[] {
  const owners = tenantOf(run.registrations);
  return run.registrations
    .filter(isAccountPush)
    .map((r) => {
      const tenant = owners.get(r.urn) ?? "(platform)";
      return { file: `hub/accounts/${tenant}.yaml`, tenant, document: { tenant, account: r.inputs.account, name: r.inputs.name, claims: r.inputs.claims, jwt: r.inputs.jwt } };
    })
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/**
 * Onboarding bundles as directories, `bundles/<slug>/<collector>/<file>` (revealed renders only:
 * they hold keys and creds). Keys and creds are readable by the owner only; install.sh is executable.
 */
function writeBundles(dir: string, manifests: RenderedManifest[]): void {
  for (const m of manifests) {
    const where = m.object.kind === "Secret" ? m.object.metadata?.annotations?.[BUNDLE_ANNOTATION] : undefined;
    if (typeof where !== "string" || !/^[a-z0-9-]+\/[a-z0-9-]+$/.test(where)) continue;
    const bundle = path.join(dir, where);
    fs.mkdirSync(bundle, { recursive: true, mode: 0o700 });
    for (const [name, content] of Object.entries(m.object.stringData as Record<string, string>)) {
      const secret = /key|creds/.test(name);
      fs.writeFileSync(path.join(bundle, name), content, { mode: name === "install.sh" ? 0o755 : secret ? 0o600 : 0o644 });
    }
  }
}
