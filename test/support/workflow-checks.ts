/**
 * Reading GitHub Actions workflow files as data, for test/unit/workflows.test.ts: triggers, jobs,
 * steps, effective permissions, expressions. Each check returns the problems it finds (empty when the
 * workflow is right), so a test can run it on the real file and on a deliberately broken copy.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export type Workflow = Record<string, any>;
export type Step = Record<string, any>;
export type Job = Record<string, any>;

export const WORKFLOWS_DIR = path.resolve(__dirname, "../../.github/workflows");

/** Every workflow file, by file name, parsed with the `yaml` package (YAML 1.2: `on` stays a string key). */
export function loadWorkflows(dir = WORKFLOWS_DIR): Map<string, Workflow> {
  const out = new Map<string, Workflow>();
  for (const name of fs.readdirSync(dir).sort()) {
    if (!/\.ya?ml$/.test(name)) continue;
    out.set(name, parse(fs.readFileSync(path.join(dir, name), "utf8"), { uniqueKeys: true }));
  }
  return out;
}

/** A deep copy to break on purpose. */
export const copy = <T>(value: T): T => structuredClone(value);

/** The events that trigger the workflow, normalized to event → configuration (`{}` when none). */
export function triggers(wf: Workflow): Record<string, any> {
  const on = wf.on;
  if (typeof on === "string") return { [on]: {} };
  if (Array.isArray(on)) return Object.fromEntries(on.map((e) => [e, {}]));
  return Object.fromEntries(Object.entries(on ?? {}).map(([k, v]) => [k, v ?? {}]));
}

export const jobs = (wf: Workflow): [string, Job][] => Object.entries(wf.jobs ?? {});
export const steps = (job: Job): Step[] => job.steps ?? [];
export const allSteps = (wf: Workflow): Step[] => jobs(wf).flatMap(([, job]) => steps(job));

/** `owner/repo@ref` of a step's action, without the ref: `actions/checkout`. */
export const actionOf = (step: Step): string | undefined => (typeof step.uses === "string" ? step.uses.split("@")[0] : undefined);
export const stepsUsing = (job: Job, action: string): Step[] => steps(job).filter((s) => actionOf(s) === action);

/** A job's effective token permissions: its own block, else the workflow's (GitHub's rule). */
export function permissionsOf(wf: Workflow, job: Job): Record<string, string> | string | undefined {
  return job.permissions !== undefined ? job.permissions : wf.permissions;
}

/** Scopes a permissions block grants write on; undefined permissions mean the repository default (may be write-all). */
export function writeScopes(permissions: Record<string, string> | string | undefined): string[] {
  if (permissions === undefined) return ["(repository default; may be write-all)"];
  if (typeof permissions === "string") return permissions === "read-all" ? [] : [permissions];
  return Object.entries(permissions)
    .filter(([, level]) => level === "write")
    .map(([scope]) => scope)
    .sort();
}

/** Every string anywhere in a value (keys excluded), with the path it was found at. */
export function strings(value: unknown, at = ""): [string, string][] {
  if (typeof value === "string") return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => strings(v, at ? `${at}.${k}` : k));
  return [];
}

/** Paths where `${{ secrets.X }}` (any secret) is referenced. */
export function secretReferences(value: unknown): string[] {
  return strings(value)
    .filter(([, s]) => /\bsecrets\s*\.|\bsecrets\s*\[/.test(s))
    .map(([at]) => at);
}

/**
 * Literal credentials: Pulumi access tokens (pul-…), GitHub tokens (ghp_…, github_pat_…), private
 * keys, or a credential-named env/with value that is not an expression.
 */
export function hardCodedCredentials(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const [at, s] of strings(wf)) {
    if (/\bpul-[0-9a-f]{40}\b|\bgh[pousr]_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{22,}|PRIVATE KEY|passphrase\s*[:=]\s*\S/i.test(s)) problems.push(`${at}: literal credential`);
    const key = at.split(".").pop() ?? "";
    // Environment variables named like credentials, and the actions' token inputs.
    if (/^(?:[A-Z0-9_]*(?:TOKEN|PASSPHRASE|PASSWORD|SECRET)[A-Z0-9_]*|KUBECONFIG_CONTENT|github-token)$/.test(key) && !/^\s*\$\{\{[\s\S]*\}\}\s*$/.test(s)) {
      problems.push(`${at}: credential not taken from an expression (secrets/vars/step output)`);
    }
  }
  return problems;
}

/** The pulumi/actions steps of a job with their inputs. */
export const pulumiSteps = (job: Job): Step[] => stepsUsing(job, "pulumi/actions");

/** Steps whose `uses` is not pinned to a version tag (v4, v4.1.2) or a full commit SHA. */
export function unpinnedActions(wf: Workflow): string[] {
  return allSteps(wf)
    .map((s) => s.uses)
    .filter((u): u is string => typeof u === "string")
    .filter((u) => !u.startsWith("./") && !/^[\w.-]+\/[\w.\/-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/.test(u));
}

/** True when the text is exactly one `${{ … }}` expression reading `vars.<NAME>`. */
export const isVarsExpression = (value: unknown) => typeof value === "string" && /^\$\{\{\s*vars\.[A-Za-z_][A-Za-z0-9_]*\s*\}\}$/.test(value);

/** Run steps (shell) of a job. */
export const runSteps = (job: Job): Step[] => steps(job).filter((s) => typeof s.run === "string");

/** Does any step of the job fetch or run code: checkout, package managers, node, scripts? */
export function runsOrFetchesCode(job: Job): string[] {
  const found: string[] = [];
  for (const s of steps(job)) {
    if (actionOf(s) === "actions/checkout") found.push(`checkout${s.with?.ref ? ` of ${s.with.ref}` : ""}`);
    if (typeof s.run === "string" && /\b(npm|npx|node|yarn|pnpm|tsx|make|bash\s+\S+\.sh|sh\s+\S+\.sh|\.\/)/.test(s.run)) found.push(`run: ${s.run.split("\n")[0]}`);
    if (actionOf(s) === "actions/setup-node") found.push("setup-node");
  }
  return found;
}

/** Is `value` (an `if:` condition) a check that the pull request comes from this repository? */
export const requiresSameRepository = (condition: unknown) =>
  typeof condition === "string" && /github\.event\.pull_request\.head\.repo\.full_name\s*==\s*github\.repository/.test(condition);
export const requiresFork = (condition: unknown) =>
  typeof condition === "string" && /github\.event\.pull_request\.head\.repo\.full_name\s*!=\s*github\.repository/.test(condition);

/** Five cron fields, each made of digits, `*`, `/`, `,` and `-`. */
export const isCron = (value: unknown) => typeof value === "string" && /^(\S+\s+){4}\S+$/.test(value.trim()) && value.trim().split(/\s+/).every((f) => /^[\d*/,-]+$/.test(f));
