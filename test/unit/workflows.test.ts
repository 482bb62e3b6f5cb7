/**
 * The GitHub Actions workflows, read as data: triggers, jobs, permissions, pinned actions, the
 * pulumi/actions inputs they rely on, secrets only where they belong. Every check also runs on a
 * deliberately broken copy of the workflow and must report it, so none of them can pass vacuously.
 * The github-script steps are executed against a fake GitHub API. (The certificate-due rule the
 * rotation job uses is test/unit/tools/certificates-due.test.ts.) With cells, the changed-stacks
 * tool's outputs are run through the workflows as GitHub would (job outputs, needs, `if:`, the
 * fromJSON matrix; test/support/gh-expressions.ts) and the shell steps that choose what to preview,
 * deploy or render run in bash with a stand-in npm. (The tool itself: test/unit/tools/changed-cells.test.ts.)
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { allStacks, changedStacks, githubOutputs, type Change } from "../../tools/changed-cells/rules";
import { REPO } from "../support/fixtures";
import { asString, condition, evaluate, planRun, resolve, type Context, type PlannedJob, type Result, type StatusFunctions } from "../support/gh-expressions";
import {
  actionOf,
  copy,
  hardCodedCredentials,
  isCron,
  isVarsExpression,
  jobs,
  loadWorkflows,
  permissionsOf,
  pulumiSteps,
  requiresFork,
  requiresSameRepository,
  runSteps,
  runsOrFetchesCode,
  secretReferences,
  steps,
  stepsUsing,
  triggers,
  unpinnedActions,
  writeScopes,
  type Job,
  type Workflow,
} from "../support/workflow-checks";

const workflows = loadWorkflows();
const workflow = (file: string): Workflow => {
  const wf = workflows.get(file);
  if (!wf) throw new Error(`.github/workflows/${file} is missing`);
  return wf;
};
const job = (wf: Workflow, name: string): Job => {
  const j = wf.jobs?.[name];
  if (!j) throw new Error(`no job ${name}`);
  return j;
};
/** The pulumi/actions steps that run a command (not the one that only installs the CLI), or those running `command`. */
const onlyPulumiStep = (j: Job, command?: string) => pulumiSteps(j).filter((s) => s.with?.command !== undefined && (command === undefined || s.with.command === command));

// ---------------------------------------------------------------------------------------------
// Checks: each returns the problems it finds.

type Check = (wf: Workflow) => string[];
const problemIf = (condition: boolean, problem: string) => (condition ? [problem] : []);

/**
 * A pulumi/actions step running `command`, with the inputs every update of this stack needs. The
 * stack is a repository variable, or with cells exactly `stack`: vars.PULUMI_STACK_PREFIX and the
 * stack's name from the changed-stacks job.
 */
function pulumiStepProblems(jobName: string, command: string, extra: Record<string, unknown>, stack?: string): Check {
  return (wf) => {
    const candidates = onlyPulumiStep(job(wf, jobName), command);
    if (candidates.length !== 1) return [`${jobName}: expected one pulumi/actions step with command ${command}, found ${candidates.length}`];
    const inputs = candidates[0].with ?? {};
    const problems: string[] = [];
    if (stack === undefined ? !isVarsExpression(inputs["stack-name"]) : inputs["stack-name"] !== stack) {
      problems.push(`${jobName}: stack-name must be ${stack ?? "a repository variable"}, got ${JSON.stringify(inputs["stack-name"])}`);
    }
    if (inputs.policyPacks !== "policy") problems.push(`${jobName}: policyPacks must be "policy", got ${JSON.stringify(inputs.policyPacks)}`);
    if (!/^\$\{\{\s*vars\.PULUMI_BACKEND_URL\s*\}\}$/.test(String(inputs["cloud-url"] ?? ""))) problems.push(`${jobName}: cloud-url must be vars.PULUMI_BACKEND_URL`);
    const token = String(candidates[0].env?.PULUMI_ACCESS_TOKEN ?? "");
    if (!/secrets\.PULUMI_ACCESS_TOKEN/.test(token) || !/steps\.pulumi-oidc\.outputs\.pulumi-access-token/.test(token)) {
      problems.push(`${jobName}: PULUMI_ACCESS_TOKEN must be the OIDC token or secrets.PULUMI_ACCESS_TOKEN, got ${JSON.stringify(token)}`);
    }
    for (const [key, value] of Object.entries(extra)) {
      if (value === undefined ? key in inputs : inputs[key] !== value) problems.push(`${jobName}: ${key} must be ${JSON.stringify(value)}, got ${JSON.stringify(inputs[key])}`);
    }
    return problems;
  };
}

/** The job installs the program's and the policy pack's dependencies before its first pulumi step, on Node 20 with the npm cache. */
function installsBeforePulumi(jobName: string): Check {
  return (wf) => {
    const all = steps(job(wf, jobName));
    const firstPulumi = all.findIndex((s) => actionOf(s) === "pulumi/actions" && s.with?.command);
    const before = all.slice(0, firstPulumi < 0 ? all.length : firstPulumi);
    const node = before.find((s) => actionOf(s) === "actions/setup-node");
    return [
      ...problemIf(firstPulumi < 0, `${jobName}: no pulumi command step`),
      ...problemIf(!before.some((s) => actionOf(s) === "actions/checkout"), `${jobName}: no checkout before pulumi`),
      ...problemIf(String(node?.with?.["node-version"]) !== "20" || node?.with?.cache !== "npm", `${jobName}: setup-node must use Node 20 with the npm cache`),
      ...problemIf(!before.some((s) => /^npm ci\b(?!.*--prefix)/m.test(s.run ?? "")), `${jobName}: no npm ci of the program`),
      ...problemIf(!before.some((s) => /npm ci\b.*--prefix policy\b/.test(s.run ?? "")), `${jobName}: no npm ci --prefix policy`),
    ];
  };
}

/** Exactly these scopes may be written by the job's token; the workflow default is no permission at all. */
function writesExactly(jobName: string, scopes: string[]): Check {
  return (wf) => {
    const granted = writeScopes(permissionsOf(wf, job(wf, jobName)));
    return [
      ...problemIf(JSON.stringify(granted) !== JSON.stringify([...scopes].sort()), `${jobName}: writes ${granted.join(", ") || "nothing"}, expected ${scopes.join(", ") || "nothing"}`),
      ...problemIf(JSON.stringify(wf.permissions) !== "{}", `workflow-level permissions must be {} (none), got ${JSON.stringify(wf.permissions)}`),
    ];
  };
}

function concurrency(expectGroup: RegExp, cancelInProgress: boolean, jobName?: string): Check {
  return (wf) => {
    const c = jobName ? job(wf, jobName).concurrency ?? wf.concurrency : wf.concurrency;
    return [
      ...problemIf(!c || !expectGroup.test(String(c.group ?? "")), `concurrency group must match ${expectGroup}, got ${JSON.stringify(c?.group)}`),
      ...problemIf(c?.["cancel-in-progress"] !== cancelInProgress, `cancel-in-progress must be ${cancelInProgress}`),
    ];
  };
}

const onlyTriggers = (expected: string[]): Check => (wf) => {
  const got = Object.keys(triggers(wf)).sort();
  return problemIf(JSON.stringify(got) !== JSON.stringify([...expected].sort()), `triggers are ${got.join(", ")}, expected ${expected.join(", ")}`);
};

const TOKEN_ENV = "${{ steps.pulumi-oidc.outputs.pulumi-access-token || secrets.PULUMI_ACCESS_TOKEN }}";

// ---------------------------------------------------------------------------------------------
// Cells (cells/cells.yaml): the changed-stacks job and the per-stack jobs.

const PREFIXED = (name: string) => `\${{ vars.PULUMI_STACK_PREFIX }}\${{ ${name} }}`;
const CELL_STACK = PREFIXED("matrix.stack");
const conditionOf = (j: Job) => String(j.if ?? "").replace(/^\s*\$\{\{([\s\S]*)\}\}\s*$/, "$1");
const needsList = (j: Job): string[] => (j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs : [j.needs]);
/** Does the condition contain this comparison (spacing aside)? */
const tests = (j: Job, comparison: string) => conditionOf(j).replace(/\s+/g, " ").includes(comparison);

/** The job that runs tools/changed-cells.ts: its step, its outputs, only read access, no secret. */
function changesJobProblems(jobName: string, stepId: string, args: RegExp, outputs: string[], permissions: Record<string, string>): Check {
  return (wf) => {
    const j = job(wf, jobName);
    const step = runSteps(j).find((s) => /npm run --silent changed-cells -- /.test(s.run));
    return [
      ...problemIf(!step || !args.test(step.run), `${jobName}: a step must run npm run --silent changed-cells -- matching ${args}`),
      ...problemIf(step?.id !== stepId, `${jobName}: the changed-cells step must have id ${stepId}`),
      ...problemIf(!/--github-output "\$GITHUB_OUTPUT"/.test(step?.run ?? ""), `${jobName}: the step outputs go to $GITHUB_OUTPUT`),
      ...outputs.flatMap((o) => problemIf(j.outputs?.[o] !== `\${{ steps.${stepId}.outputs.${o} }}`, `${jobName}: job output ${o} must be steps.${stepId}.outputs.${o}`)),
      ...problemIf(JSON.stringify(j.permissions) !== JSON.stringify(permissions), `${jobName}: permissions must be ${JSON.stringify(permissions)}, got ${JSON.stringify(j.permissions)}`),
      ...secretReferences(j).map((at) => `${jobName}: secret referenced at ${at}`),
      ...problemIf(j.environment !== undefined, `${jobName}: no environment (it applies nothing)`),
      ...stepsUsing(j, "actions/checkout").filter((c) => c.with?.["persist-credentials"] !== false).map(() => `${jobName}: checkout must not persist credentials`),
    ];
  };
}

/** A matrix job over a changed-stacks job's output: fromJSON of it, fail-fast off, bounded, skipped when the list is empty. */
function matrixJobProblems(jobName: string, source: string, emptyGuard: string | undefined, maxParallel: number): Check {
  return (wf) => {
    const j = job(wf, jobName);
    const [needed] = source.split(".");
    return [
      ...problemIf(j.strategy?.matrix !== `\${{ fromJSON(needs.${source}) }}`, `${jobName}: strategy.matrix must be fromJSON(needs.${source}), got ${JSON.stringify(j.strategy?.matrix)}`),
      ...problemIf(j.strategy?.["fail-fast"] !== false, `${jobName}: fail-fast must be false (one stack failing must not cancel another's run)`),
      ...problemIf(typeof j.strategy?.["max-parallel"] !== "number" || j.strategy["max-parallel"] < 1 || j.strategy["max-parallel"] > maxParallel, `${jobName}: max-parallel must be a number from 1 to ${maxParallel}`),
      ...problemIf(!needsList(j).includes(needed), `${jobName}: must need ${needed}`),
      // GitHub fails a run whose matrix is empty: the job must be skipped before that.
      ...problemIf(emptyGuard !== undefined && !tests(j, emptyGuard), `${jobName}: must be skipped unless ${emptyGuard}`),
    ];
  };
}

const runsOnlyWhen = (jobName: string, comparisons: string[]): Check => (wf) => comparisons.flatMap((c) => problemIf(!tests(job(wf, jobName), c), `${jobName}: if must test ${c}, got ${JSON.stringify(job(wf, jobName).if)}`));

const POLICY_CONFIG = "${{ steps.policy-config.outputs.file }}";

/**
 * The steps every job that runs pulumi keeps: kubeconfig from its secret, the OIDC exchange, (deploy,
 * drift) the hub's port, and the policy pack's config written from the config of `platformStack`
 * (the stack itself, or a cell's platform stack) and handed to every pulumi command.
 */
function pulumiJobSetup(jobName: string, hub: boolean, platformStack: string): Check {
  return (wf) => {
    const j = job(wf, jobName);
    const all = steps(j);
    const config = all.findIndex((s) => s.id === "policy-config");
    const install = all.findIndex((s) => actionOf(s) === "pulumi/actions" && s.with?.command === undefined);
    const oidc = all.findIndex((s) => s.id === "pulumi-oidc");
    const firstCommand = all.findIndex((s) => actionOf(s) === "pulumi/actions" && s.with?.command !== undefined);
    const configStep = all[config];
    const policyConfigProblems = [
      ...problemIf(config < 0 || configStep.run !== 'bash .github/scripts/policy-pack-config.sh "$PLATFORM_STACK" "$RUNNER_TEMP/policy-pack-config.json"', `${jobName}: no policy-config step running .github/scripts/policy-pack-config.sh`),
      ...problemIf(configStep?.env?.PLATFORM_STACK !== platformStack, `${jobName}: the policy config must come from ${platformStack}, got ${JSON.stringify(configStep?.env?.PLATFORM_STACK)}`),
      ...problemIf(configStep?.env?.PULUMI_ACCESS_TOKEN !== TOKEN_ENV || configStep?.env?.PULUMI_BACKEND_URL !== "${{ vars.PULUMI_BACKEND_URL }}", `${jobName}: the policy config step logs in as the pulumi steps do`),
      ...problemIf(!(install >= 0 && oidc >= 0 && install < config && oidc < config && config < firstCommand), `${jobName}: the policy config step runs after the CLI install and the OIDC exchange, before the first pulumi command`),
      ...onlyPulumiStep(j).flatMap((s) => problemIf(s.with.policyPackConfigs !== POLICY_CONFIG, `${jobName}: pulumi ${s.with.command} without policyPackConfigs ${POLICY_CONFIG}`)),
    ];
    const kubeconfig = steps(j).find((s) => s.env?.KUBECONFIG_CONTENT === "${{ secrets.KUBECONFIG }}" && /umask 077/.test(s.run ?? ""));
    const auth = stepsUsing(j, "pulumi/auth-actions");
    const hubStep = runSteps(j).find((s) => s.run === "bash .github/scripts/hub-port-forward.sh" && s.env?.NATS_HUB_PORT_FORWARD === "${{ vars.NATS_HUB_PORT_FORWARD }}");
    return [
      ...installsBeforePulumi(jobName)(wf),
      ...problemIf(!kubeconfig, `${jobName}: no kubeconfig step`),
      ...problemIf(auth.length !== 1 || auth[0].id !== "pulumi-oidc" || !/vars\.PULUMI_ORGANIZATION/.test(String(auth[0].if)) || auth[0].with?.["export-environment-variables"] !== false, `${jobName}: the OIDC step must be pulumi-oidc, only with vars.PULUMI_ORGANIZATION`),
      ...problemIf(hub && !hubStep, `${jobName}: the "Reach the hub's client port" step is missing`),
      ...problemIf(!hub && hubStep !== undefined, `${jobName}: a preview without refresh never reaches the hub (and its read-only identity may not port-forward)`),
      ...policyConfigProblems,
    ];
  };
}

/** Every `pulumi up` of the job follows a `pulumi preview` of the same stack with the pack, which stops the job when it fails. */
function previewBeforeEachUp(jobName: string): Check {
  return (wf) => {
    const all = steps(job(wf, jobName));
    const ups = all.map((st, i) => [st, i] as const).filter(([st]) => actionOf(st) === "pulumi/actions" && st.with?.command === "up");
    return [
      ...problemIf(ups.length === 0, `${jobName}: no pulumi up`),
      ...ups.flatMap(([up, i]) => {
        const preview = all.slice(0, i).reverse().find((st) => actionOf(st) === "pulumi/actions" && st.with?.command === "preview");
        return [
          ...problemIf(!preview, `${jobName}: pulumi up without a pulumi preview before it`),
          ...problemIf(preview !== undefined && (preview.with.policyPacks !== "policy" || preview.with["stack-name"] !== up.with["stack-name"] || preview.with.refresh !== up.with.refresh), `${jobName}: the preview must run the pack on the stack up updates, refreshing as it does`),
          // A preview that may fail without stopping the job gates nothing; one that may be skipped while up runs neither.
          ...problemIf(preview !== undefined && (preview["continue-on-error"] === true || preview.if !== up.if || (typeof up.if === "string" && /always\(\)|failure\(\)/.test(up.if))), `${jobName}: a failed or skipped preview must stop the update`),
        ];
      }),
    ];
  };
}

const pulumiJobs = (wf: Workflow) => jobs(wf).filter(([, j]) => pulumiSteps(j).some((s) => s.with?.command)).map(([name]) => name);

/** Each check, the file it applies to, and a mutation it must catch. */
const checks: { name: string; file: string; check: Check; breakIt: (wf: Workflow) => void }[] = [
  // preview.yml
  { name: "preview runs on pull requests only", file: "preview.yml", check: onlyTriggers(["pull_request"]), breakIt: (wf) => (wf.on.pull_request_target = {}) },
  {
    name: "preview targets main",
    file: "preview.yml",
    check: (wf) => problemIf(!(triggers(wf).pull_request.branches ?? []).includes("main"), "pull_request.branches must include main"),
    breakIt: (wf) => (wf.on.pull_request.branches = ["develop"]),
  },
  {
    name: "preview skips forks (they have no secrets)",
    file: "preview.yml",
    check: (wf) => problemIf(!requiresSameRepository(job(wf, "preview").if), "preview job must require head.repo.full_name == github.repository"),
    breakIt: (wf) => delete job(wf, "preview").if,
  },
  { name: "preview writes pull requests (comment) and id-token (OIDC) only", file: "preview.yml", check: writesExactly("preview", ["id-token", "pull-requests"]), breakIt: (wf) => (job(wf, "preview").permissions.contents = "write") },
  {
    name: "preview reads contents",
    file: "preview.yml",
    check: (wf) => problemIf((permissionsOf(wf, job(wf, "preview")) as Record<string, string>)?.contents !== "read", "contents: read required"),
    breakIt: (wf) => delete job(wf, "preview").permissions.contents,
  },
  { name: "preview: pulumi preview with the PR comment and the policy pack", file: "preview.yml", check: pulumiStepProblems("preview", "preview", { "comment-on-pr": true, "expect-no-changes": undefined }), breakIt: (wf) => delete onlyPulumiStep(job(wf, "preview"))[0].with["comment-on-pr"] },
  { name: "preview: the stack name is a repository variable", file: "preview.yml", check: pulumiStepProblems("preview", "preview", { "comment-on-pr": true }), breakIt: (wf) => (onlyPulumiStep(job(wf, "preview"))[0].with["stack-name"] = "acme/tenancy/prod") },
  { name: "preview: the access token is a secret or the OIDC token", file: "preview.yml", check: pulumiStepProblems("preview", "preview", { "comment-on-pr": true }), breakIt: (wf) => (onlyPulumiStep(job(wf, "preview"))[0].env.PULUMI_ACCESS_TOKEN = "${{ vars.TOKEN }}") },
  { name: "preview installs program and policy pack first", file: "preview.yml", check: installsBeforePulumi("preview"), breakIt: (wf) => (job(wf, "preview").steps = steps(job(wf, "preview")).filter((s: any) => !/--prefix policy/.test(s.run ?? ""))) },
  { name: "one preview per pull request, superseded ones cancelled", file: "preview.yml", check: concurrency(/github\.event\.pull_request\.number/, true), breakIt: (wf) => (wf.concurrency.group = "preview") },
  {
    name: "OIDC exchange by pulumi/auth-actions, only when an organization is configured",
    file: "preview.yml",
    check: (wf) => {
      const auth = stepsUsing(job(wf, "preview"), "pulumi/auth-actions");
      return [
        ...problemIf(auth.length !== 1, "one pulumi/auth-actions step expected"),
        ...problemIf(!/vars\.PULUMI_ORGANIZATION/.test(String(auth[0]?.if ?? "")), "auth step must depend on vars.PULUMI_ORGANIZATION"),
        ...problemIf(auth[0]?.id !== "pulumi-oidc" || auth[0]?.with?.["export-environment-variables"] !== false, "auth step must hand its token over as the pulumi-oidc output"),
      ];
    },
    breakIt: (wf) => delete stepsUsing(job(wf, "preview"), "pulumi/auth-actions")[0].if,
  },

  // preview.yml with cells
  {
    name: "preview: the changed stacks come from the pull request's base and head, with the history",
    file: "preview.yml",
    check: (wf) => {
      const step = runSteps(job(wf, "changes")).find((s) => /changed-cells/.test(s.run));
      return [
        ...changesJobProblems("changes", "changed", /--base "\$BASE_SHA" --head "\$HEAD_SHA"/, ["mode", "platform", "platform-stack", "has-cells", "matrix"], { contents: "read" })(wf),
        ...problemIf(step?.env?.BASE_SHA !== "${{ github.event.pull_request.base.sha }}", "BASE_SHA must be the pull request's base commit"),
        ...problemIf(step?.env?.HEAD_SHA !== "${{ github.event.pull_request.head.sha }}", "HEAD_SHA must be the pull request's head commit"),
        ...problemIf(stepsUsing(job(wf, "changes"), "actions/checkout")[0]?.with?.["fetch-depth"] !== 0, "checkout needs the history (fetch-depth: 0) to compare base and head"),
      ];
    },
    breakIt: (wf) => delete stepsUsing(job(wf, "changes"), "actions/checkout")[0].with["fetch-depth"],
  },
  {
    name: "preview: every job runs for same-repository pull requests only",
    file: "preview.yml",
    check: (wf) => jobs(wf).flatMap(([name, j]) => problemIf(!requiresSameRepository(j.if), `${name}: must require head.repo.full_name == github.repository`)),
    breakIt: (wf) => (job(wf, "preview-cells").if = "needs.changes.outputs.has-cells == 'true'"),
  },
  { name: "preview: the one stack only without cells", file: "preview.yml", check: runsOnlyWhen("preview", ["needs.changes.outputs.mode == 'single'"]), breakIt: (wf) => (job(wf, "preview").if = "github.event.pull_request.head.repo.full_name == github.repository") },
  {
    name: "preview: the platform stack only with cells and when touched",
    file: "preview.yml",
    check: runsOnlyWhen("preview-platform", ["needs.changes.outputs.mode == 'cells'", "needs.changes.outputs.platform == 'true'"]),
    breakIt: (wf) => (job(wf, "preview-platform").if = job(wf, "preview-platform").if.replace(" && needs.changes.outputs.platform == 'true'", "")),
  },
  {
    name: "preview: the cells' matrix is the changed-stacks job's, fail-fast off, skipped when no cell is touched",
    file: "preview.yml",
    check: (wf) => [...matrixJobProblems("preview-cells", "changes.outputs.matrix", "needs.changes.outputs.has-cells == 'true'", 20)(wf), ...runsOnlyWhen("preview-cells", ["needs.changes.outputs.mode == 'cells'"])(wf)],
    breakIt: (wf) => (job(wf, "preview-cells").if = job(wf, "preview-cells").if.replace(" && needs.changes.outputs.has-cells == 'true'", "")),
  },
  { name: "preview: the cells' matrix cannot cancel itself", file: "preview.yml", check: matrixJobProblems("preview-cells", "changes.outputs.matrix", undefined, 20), breakIt: (wf) => (job(wf, "preview-cells").strategy["fail-fast"] = true) },
  { name: "preview: the cells' matrix is the tool's output", file: "preview.yml", check: matrixJobProblems("preview-cells", "changes.outputs.matrix", undefined, 20), breakIt: (wf) => (job(wf, "preview-cells").strategy.matrix = { cell: ["a", "b"] }) },
  { name: "preview: the platform stack with the PR comment and the policy pack", file: "preview.yml", check: pulumiStepProblems("preview-platform", "preview", { "comment-on-pr": true, "edit-pr-comment": true, "expect-no-changes": undefined }, PREFIXED("needs.changes.outputs.platform-stack")), breakIt: (wf) => (onlyPulumiStep(job(wf, "preview-platform"))[0].with["stack-name"] = "${{ vars.PULUMI_STACK }}") },
  { name: "preview: each cell's stack with the PR comment and the policy pack", file: "preview.yml", check: pulumiStepProblems("preview-cells", "preview", { "comment-on-pr": true, "edit-pr-comment": true, "expect-no-changes": undefined }, CELL_STACK), breakIt: (wf) => delete onlyPulumiStep(job(wf, "preview-cells"))[0].with.policyPacks },
  { name: "preview: the cell previews write pull requests (comment) and id-token (OIDC) only", file: "preview.yml", check: writesExactly("preview-cells", ["id-token", "pull-requests"]), breakIt: (wf) => (job(wf, "preview-cells").permissions.contents = "write") },
  { name: "preview: the platform preview writes pull requests (comment) and id-token (OIDC) only", file: "preview.yml", check: writesExactly("preview-platform", ["id-token", "pull-requests"]), breakIt: (wf) => (job(wf, "preview-platform").permissions.issues = "write") },
  { name: "preview: the one stack's preview is set up with its own policy config", file: "preview.yml", check: pulumiJobSetup("preview", false, "${{ vars.PULUMI_STACK }}"), breakIt: (wf) => delete onlyPulumiStep(job(wf, "preview"))[0].with.policyPackConfigs },
  {
    name: "preview: a cell's pack config is the platform stack's platformNamespace, not the cell's",
    file: "preview.yml",
    check: pulumiJobSetup("preview-cells", false, PREFIXED("needs.changes.outputs.platform-stack")),
    breakIt: (wf) => (steps(job(wf, "preview-cells")).find((s: any) => s.id === "policy-config")!.env.PLATFORM_STACK = CELL_STACK),
  },
  {
    name: "preview: every preview runs in the preview environment (its read-only kubeconfig and its own secrets)",
    file: "preview.yml",
    check: (wf) => pulumiJobs(wf).flatMap((name) => problemIf(job(wf, name).environment !== "preview", `${name}: environment preview`)),
    breakIt: (wf) => delete job(wf, "preview-cells").environment,
  },
  { name: "preview: the platform preview is set up as the stack's", file: "preview.yml", check: pulumiJobSetup("preview-platform", false, PREFIXED("needs.changes.outputs.platform-stack")), breakIt: (wf) => (job(wf, "preview-platform").steps = steps(job(wf, "preview-platform")).filter((s: any) => actionOf(s) !== "pulumi/auth-actions")) },
  { name: "preview: each cell preview is set up as the stack's", file: "preview.yml", check: pulumiJobSetup("preview-cells", false, PREFIXED("needs.changes.outputs.platform-stack")), breakIt: (wf) => (job(wf, "preview-cells").steps = steps(job(wf, "preview-cells")).filter((s: any) => !/KUBECONFIG_CONTENT/.test(JSON.stringify(s.env ?? {})))) },
  {
    name: "preview: the 'pulumi preview' check waits for every preview and runs unless cancelled",
    file: "preview.yml",
    check: (wf) => {
      const gate = job(wf, "previews");
      return [
        ...problemIf(gate.name !== "pulumi preview", "the gate job is the check named 'pulumi preview'"),
        ...problemIf(JSON.stringify([...needsList(gate)].sort()) !== JSON.stringify(["changes", "preview", "preview-cells", "preview-platform"]), "the gate must need the changes job and every preview job"),
        ...problemIf(!/!cancelled\(\)/.test(conditionOf(gate)) || !requiresSameRepository(gate.if), "the gate runs unless cancelled, for same-repository pull requests"),
        ...problemIf(JSON.stringify(gate.permissions) !== "{}" || secretReferences(gate).length > 0, "the gate needs no permission and no secret"),
      ];
    },
    breakIt: (wf) => (job(wf, "previews").needs = ["changes", "preview"]),
  },

  // deploy.yml
  { name: "deploy runs on push (and by hand)", file: "deploy.yml", check: onlyTriggers(["push", "workflow_dispatch"]), breakIt: (wf) => (wf.on.pull_request = {}) },
  {
    name: "deploy runs for main only",
    file: "deploy.yml",
    check: (wf) => problemIf(JSON.stringify(triggers(wf).push.branches) !== '["main"]', "push.branches must be [main]"),
    breakIt: (wf) => (wf.on.push.branches = ["main", "feature/*"]),
  },
  { name: "deploy: pulumi up with the policy pack", file: "deploy.yml", check: pulumiStepProblems("deploy", "up", { "comment-on-pr": undefined, "expect-no-changes": undefined }), breakIt: (wf) => (onlyPulumiStep(job(wf, "deploy"), "up")[0].with.policyPacks = "") },
  { name: "deploys are serialized, never cancelled", file: "deploy.yml", check: concurrency(/vars\.PULUMI_STACK/, false), breakIt: (wf) => (wf.concurrency["cancel-in-progress"] = true) },
  {
    name: "deploy runs in a protected environment",
    file: "deploy.yml",
    check: (wf) => problemIf(job(wf, "deploy").environment !== "production", "deploy job must use environment production"),
    breakIt: (wf) => delete job(wf, "deploy").environment,
  },
  { name: "deploy writes only the OIDC token", file: "deploy.yml", check: writesExactly("deploy", ["id-token"]), breakIt: (wf) => (job(wf, "deploy").permissions["pull-requests"] = "write") },
  { name: "deploy installs program and policy pack first", file: "deploy.yml", check: installsBeforePulumi("deploy"), breakIt: (wf) => (job(wf, "deploy").steps = steps(job(wf, "deploy")).filter((s: any) => actionOf(s) !== "actions/checkout")) },

  // deploy.yml with cells
  {
    name: "deploy: the changed stacks since the last successful deploy (github.event.before normally), every stack by hand",
    file: "deploy.yml",
    check: (wf) => {
      const step = runSteps(job(wf, "changes")).find((s) => /changed-cells/.test(s.run));
      const lookup = stepsUsing(job(wf, "changes"), "actions/github-script")[0];
      return [
        ...changesJobProblems("changes", "changed", /"\$\{range\[@\]\}" --head "\$HEAD_SHA"/, ["mode", "platform", "platform-stack", "has-cells", "matrix"], { contents: "read", actions: "read" })(wf),
        ...problemIf(step?.env?.BEFORE !== "${{ github.event.before }}", "BEFORE must be github.event.before"),
        ...problemIf(step?.env?.HEAD_SHA !== "${{ github.sha }}", "HEAD_SHA must be github.sha"),
        ...problemIf(step?.env?.DEPLOYED !== "${{ steps.deployed.outputs.sha }}" || lookup?.id !== "deployed", "DEPLOYED must be the last deployed commit's lookup"),
        ...problemIf(!/range=\(--all\)/.test(step?.run ?? "") || !/range=\(--base "\$DEPLOYED"\)/.test(step?.run ?? ""), "the step must use --all or --base <last deployed commit>"),
        ...problemIf(stepsUsing(job(wf, "changes"), "actions/checkout")[0]?.with?.["fetch-depth"] !== 0, "checkout needs the history (fetch-depth: 0)"),
      ];
    },
    breakIt: (wf) => (job(wf, "changes").permissions["pull-requests"] = "write"),
  },
  { name: "deploy: the one stack only without cells", file: "deploy.yml", check: runsOnlyWhen("deploy", ["needs.changes.outputs.mode == 'single'"]), breakIt: (wf) => delete job(wf, "deploy").if },
  { name: "deploy: the platform stack only with cells and when touched", file: "deploy.yml", check: runsOnlyWhen("deploy-platform", ["needs.changes.outputs.mode == 'cells'", "needs.changes.outputs.platform == 'true'"]), breakIt: (wf) => (job(wf, "deploy-platform").if = "needs.changes.outputs.mode == 'cells'") },
  {
    name: "deploy: the cells after the platform, also when it was skipped, never when it failed",
    file: "deploy.yml",
    check: (wf) => {
      const cells = job(wf, "deploy-cells");
      return [
        ...problemIf(!needsList(cells).includes("deploy-platform") || !needsList(cells).includes("changes"), "deploy-cells must need changes and deploy-platform"),
        // A status function replaces the implicit success(), without which a skipped platform job would skip the cells.
        ...problemIf(!/!cancelled\(\)/.test(conditionOf(cells)) || /always\(\)/.test(conditionOf(cells)), "deploy-cells must use !cancelled() (not always())"),
        ...runsOnlyWhen("deploy-cells", ["(needs.deploy-platform.result == 'success' || needs.deploy-platform.result == 'skipped')", "needs.changes.result == 'success'", "needs.changes.outputs.mode == 'cells'"])(wf),
      ];
    },
    breakIt: (wf) => (job(wf, "deploy-cells").if = "${{ always() && needs.changes.outputs.has-cells == 'true' }}"),
  },
  { name: "deploy: the cells' matrix, fail-fast off (no running update is cancelled), bounded, skipped when empty", file: "deploy.yml", check: matrixJobProblems("deploy-cells", "changes.outputs.matrix", "needs.changes.outputs.has-cells == 'true'", 10), breakIt: (wf) => delete job(wf, "deploy-cells").strategy["fail-fast"] },
  { name: "deploy: pulumi up of the platform stack with the policy pack", file: "deploy.yml", check: pulumiStepProblems("deploy-platform", "up", { "comment-on-pr": undefined, "expect-no-changes": undefined }, PREFIXED("needs.changes.outputs.platform-stack")), breakIt: (wf) => (onlyPulumiStep(job(wf, "deploy-platform"), "up")[0].with.command = "preview") },
  { name: "deploy: pulumi up of each cell's stack with the policy pack", file: "deploy.yml", check: pulumiStepProblems("deploy-cells", "up", { "comment-on-pr": undefined, "expect-no-changes": undefined }, CELL_STACK), breakIt: (wf) => (onlyPulumiStep(job(wf, "deploy-cells"), "up")[0].with["stack-name"] = "${{ matrix.stack }}") },
  {
    name: "deploy: every update runs in the protected environment and writes only the OIDC token",
    file: "deploy.yml",
    check: (wf) => pulumiJobs(wf).flatMap((name) => [...problemIf(job(wf, name).environment !== "production", `${name}: environment production`), ...writesExactly(name, ["id-token"])(wf)]),
    breakIt: (wf) => delete job(wf, "deploy-cells").environment,
  },
  {
    name: "deploy: every job that runs pulumi keeps the policy pack, kubeconfig, OIDC and hub steps",
    file: "deploy.yml",
    check: (wf) => [
      ...problemIf(pulumiJobs(wf).join() !== "deploy,deploy-platform,deploy-cells", `pulumi jobs: ${pulumiJobs(wf).join()}`),
      ...pulumiJobSetup("deploy", true, "${{ vars.PULUMI_STACK }}")(wf),
      ...["deploy-platform", "deploy-cells"].flatMap((name) => pulumiJobSetup(name, true, PREFIXED("needs.changes.outputs.platform-stack"))(wf)),
    ],
    breakIt: (wf) => (job(wf, "deploy-cells").steps = steps(job(wf, "deploy-cells")).filter((s: any) => !/hub-port-forward/.test(s.run ?? ""))),
  },

  {
    name: "deploy: every pulumi up, of every stack, follows a pulumi preview of that stack with the pack",
    file: "deploy.yml",
    check: (wf) => pulumiJobs(wf).flatMap((name) => previewBeforeEachUp(name)(wf)),
    breakIt: (wf) => (job(wf, "deploy-cells").steps = steps(job(wf, "deploy-cells")).filter((s: any) => s.with?.command !== "preview")),
  },
  {
    name: "deploy: the preview before a cell's update previews that cell's stack",
    file: "deploy.yml",
    check: previewBeforeEachUp("deploy-cells"),
    breakIt: (wf) => (onlyPulumiStep(job(wf, "deploy-cells"), "preview")[0].with["stack-name"] = PREFIXED("needs.changes.outputs.platform-stack")),
  },
  {
    name: "deploy: the platform's pack config is its own; a cell's is the platform stack's",
    file: "deploy.yml",
    check: (wf) => [...pulumiJobSetup("deploy-platform", true, PREFIXED("needs.changes.outputs.platform-stack"))(wf), ...pulumiJobSetup("deploy-cells", true, PREFIXED("needs.changes.outputs.platform-stack"))(wf)],
    breakIt: (wf) => delete onlyPulumiStep(job(wf, "deploy-cells"), "up")[0].with.policyPackConfigs,
  },

  // drift.yml
  { name: "drift runs on a schedule and by hand", file: "drift.yml", check: onlyTriggers(["schedule", "workflow_dispatch"]), breakIt: (wf) => delete wf.on.schedule },
  {
    name: "drift schedule is a valid cron",
    file: "drift.yml",
    check: (wf) => problemIf(!(triggers(wf).schedule ?? []).length || !triggers(wf).schedule.every((s: any) => isCron(s.cron)), "schedule needs cron entries of five fields"),
    breakIt: (wf) => (wf.on.schedule = [{ cron: "daily" }]),
  },
  { name: "drift: preview --refresh --expect-no-changes", file: "drift.yml", check: pulumiStepProblems("drift", "preview", { refresh: true, "expect-no-changes": true, "comment-on-pr": undefined }), breakIt: (wf) => (onlyPulumiStep(job(wf, "drift"), "preview")[0].with["expect-no-changes"] = false) },
  {
    name: "drift opens an issue when the preview fails",
    file: "drift.yml",
    check: (wf) => {
      const script = stepsUsing(job(wf, "drift"), "actions/github-script")[0];
      return [
        ...problemIf(!script || !/failure\(\)/.test(String(script.if)), "an issue step running on failure() is required"),
        ...problemIf(writeScopes(permissionsOf(wf, job(wf, "drift"))).join() !== "id-token,issues", "drift job writes issues and id-token only"),
      ];
    },
    breakIt: (wf) => (job(wf, "drift").permissions.issues = "read"),
  },
  { name: "rotation: pulumi up --refresh with the policy pack", file: "drift.yml", check: pulumiStepProblems("rotate", "up", { refresh: true, "expect-no-changes": undefined }), breakIt: (wf) => delete onlyPulumiStep(job(wf, "rotate"), "up")[0].with.refresh },
  {
    name: "rotation: after the drift report, in the protected environment, verified afterwards",
    file: "drift.yml",
    check: (wf) => {
      const rotate = job(wf, "rotate");
      const verify = runSteps(rotate).filter((s) => /certificates-due\.ts[^\n]*--fail-if-due/.test(s.run));
      return [
        ...problemIf(rotate.needs !== "drift" || !/!cancelled\(\)/.test(String(rotate.if)), "rotate must need drift and run unless cancelled"),
        ...problemIf(rotate.environment !== "production", "rotate must use environment production"),
        ...problemIf(verify.length !== 1, "rotate must check that no certificate is still due after pulumi up"),
      ];
    },
    breakIt: (wf) => (job(wf, "rotate").steps = steps(job(wf, "rotate")).filter((s: any) => !/--fail-if-due/.test(s.run ?? ""))),
  },
  { name: "rotation installs program and policy pack first", file: "drift.yml", check: installsBeforePulumi("rotate"), breakIt: (wf) => (job(wf, "rotate").steps = steps(job(wf, "rotate")).filter((s: any) => !/^npm ci --no-audit --no-fund$/.test(s.run ?? ""))) },
  { name: "drift runs never overlap", file: "drift.yml", check: concurrency(/vars\.PULUMI_STACK/, false), breakIt: (wf) => delete wf.concurrency },

  // drift.yml with cells
  { name: "drift: every stack from cells/cells.yaml at main", file: "drift.yml", check: changesJobProblems("stacks", "stacks", /changed-cells -- --all /, ["mode", "platform-stack", "has-cells", "matrix", "stacks"], { contents: "read" }), breakIt: (wf) => (runSteps(job(wf, "stacks")).find((s) => /changed-cells/.test(s.run))!.run = "npm run --silent changed-cells -- --base HEAD~1 --github-output \"$GITHUB_OUTPUT\"") },
  { name: "drift: the one stack only without cells", file: "drift.yml", check: (wf) => [...runsOnlyWhen("drift", ["needs.stacks.outputs.mode == 'single'"])(wf), ...runsOnlyWhen("rotate", ["needs.drift.result != 'skipped'"])(wf)], breakIt: (wf) => (job(wf, "rotate").if = "${{ !cancelled() }}") },
  { name: "drift: every stack, the platform included, a few at a time", file: "drift.yml", check: (wf) => [...matrixJobProblems("drift-stacks", "stacks.outputs.stacks", undefined, 10)(wf), ...runsOnlyWhen("drift-stacks", ["needs.stacks.outputs.mode == 'cells'"])(wf)], breakIt: (wf) => delete job(wf, "drift-stacks").strategy["max-parallel"] },
  { name: "drift: each stack's preview --refresh --expect-no-changes", file: "drift.yml", check: pulumiStepProblems("drift-stacks", "preview", { refresh: true, "expect-no-changes": true, "comment-on-pr": undefined }, CELL_STACK), breakIt: (wf) => delete onlyPulumiStep(job(wf, "drift-stacks"))[0].with.refresh },
  {
    name: "drift: each stack opens its own issue when its preview fails",
    file: "drift.yml",
    check: (wf) => {
      const j = job(wf, "drift-stacks");
      const script = stepsUsing(j, "actions/github-script")[0];
      return [
        ...problemIf(!script || !/failure\(\) && steps\.preview\.outcome == 'failure'/.test(String(script.if)) || onlyPulumiStep(j)[0]?.id !== "preview", "an issue step on the preview's failure is required"),
        ...problemIf(script?.with?.script !== stepsUsing(job(wf, "drift"), "actions/github-script")[0]?.with?.script, "the same issue script as the one stack's"),
        ...problemIf(j.env?.STACK !== CELL_STACK, "the issue names the stack (env STACK)"),
        ...writesExactly("drift-stacks", ["id-token", "issues"])(wf),
      ];
    },
    breakIt: (wf) => (job(wf, "drift-stacks").env.STACK = "${{ vars.PULUMI_STACK }}"),
  },
  {
    name: "rotation: the platform after every drift report, then each cell after the platform, unless cancelled",
    file: "drift.yml",
    check: (wf) => {
      const platform = job(wf, "rotate-platform");
      const cells = job(wf, "rotate-cells");
      return [
        ...problemIf(!needsList(platform).includes("drift-stacks") || !/!cancelled\(\)/.test(conditionOf(platform)) || !tests(platform, "needs.drift-stacks.result != 'skipped'"), "rotate-platform must need drift-stacks and run unless cancelled or skipped"),
        ...problemIf(!needsList(cells).includes("rotate-platform") || !/!cancelled\(\)/.test(conditionOf(cells)) || !tests(cells, "needs.rotate-platform.result != 'skipped'"), "rotate-cells must need rotate-platform and run unless cancelled or skipped"),
        ...matrixJobProblems("rotate-cells", "stacks.outputs.matrix", "needs.stacks.outputs.has-cells == 'true'", 10)(wf),
      ];
    },
    breakIt: (wf) => (job(wf, "rotate-cells").needs = ["stacks", "drift-stacks"]),
  },
  {
    name: "rotation: a cell is updated when its certificates are due, on request, or after the platform's update",
    file: "drift.yml",
    check: (wf) => {
      const up = onlyPulumiStep(job(wf, "rotate-cells"), "up")[0];
      const verify = runSteps(job(wf, "rotate-cells")).find((s) => /--fail-if-due/.test(s.run));
      const expected = "steps.due.outputs.due != '0' || inputs.rotate || needs.rotate-platform.outputs.updated == 'true'";
      return [
        ...problemIf(up?.if !== expected || verify?.if !== expected, `the up and verify steps of rotate-cells must run if ${expected}`),
        ...problemIf(job(wf, "rotate-platform").outputs?.updated !== "${{ steps.up.outcome == 'success' || steps.up.outcome == 'failure' }}" || onlyPulumiStep(job(wf, "rotate-platform"), "up")[0]?.id !== "up", "rotate-platform outputs whether its pulumi up ran"),
      ];
    },
    breakIt: (wf) => (onlyPulumiStep(job(wf, "rotate-cells"), "up")[0].if = "steps.due.outputs.due != '0' || inputs.rotate"),
  },
  { name: "rotation: pulumi up --refresh of the platform stack", file: "drift.yml", check: pulumiStepProblems("rotate-platform", "up", { refresh: true, "expect-no-changes": undefined }, PREFIXED("needs.stacks.outputs.platform-stack")), breakIt: (wf) => delete onlyPulumiStep(job(wf, "rotate-platform"), "up")[0].with.refresh },
  { name: "rotation: pulumi up --refresh of each cell's stack", file: "drift.yml", check: pulumiStepProblems("rotate-cells", "up", { refresh: true, "expect-no-changes": undefined }, CELL_STACK), breakIt: (wf) => (onlyPulumiStep(job(wf, "rotate-cells"), "up")[0].with.policyPacks = "none") },
  {
    name: "drift and rotation: the state exported, previewed and updated is the same stack",
    file: "drift.yml",
    check: (wf) =>
      ["rotate", "drift-stacks", "rotate-platform", "rotate-cells"].flatMap((name) => {
        const j = job(wf, name);
        return pulumiSteps(j).filter((st) => st.with?.command).flatMap((st) => problemIf(st.with["stack-name"] !== j.env?.STACK, `${name}: stack-name ${st.with["stack-name"]} is not env STACK ${j.env?.STACK}`));
      }),
    breakIt: (wf) => (job(wf, "rotate-cells").env.STACK = "${{ vars.PULUMI_STACK_PREFIX }}${{ needs.stacks.outputs.platform-stack }}"),
  },
  {
    name: "drift: rotations in the protected environment; every job that runs pulumi keeps the policy pack, kubeconfig, OIDC and hub steps",
    file: "drift.yml",
    check: (wf) => [
      ...problemIf(pulumiJobs(wf).join() !== "drift,rotate,drift-stacks,rotate-platform,rotate-cells", `pulumi jobs: ${pulumiJobs(wf).join()}`),
      ...["drift", "rotate"].flatMap((name) => pulumiJobSetup(name, true, "${{ vars.PULUMI_STACK }}")(wf)),
      ...["drift-stacks", "rotate-platform", "rotate-cells"].flatMap((name) => pulumiJobSetup(name, true, PREFIXED("needs.stacks.outputs.platform-stack"))(wf)),
      ...["rotate", "rotate-platform", "rotate-cells"].flatMap((name) => [...problemIf(job(wf, name).environment !== "production", `${name}: environment production`), ...writesExactly(name, ["id-token"])(wf)]),
      // Read-only, with the hub's port-forward its refresh needs: not the pull requests' `preview` environment.
      ...["drift", "drift-stacks"].flatMap((name) => problemIf(job(wf, name).environment !== "drift", `${name}: environment drift`)),
    ],
    breakIt: (wf) => delete job(wf, "rotate-platform").environment,
  },
  { name: "drift: the drift previews run in the drift environment", file: "drift.yml", check: (wf) => ["drift", "drift-stacks"].flatMap((name) => problemIf(job(wf, name).environment !== "drift", `${name}: environment drift`)), breakIt: (wf) => (job(wf, "drift-stacks").environment = "production") },
  {
    name: "rotation: every pulumi up --refresh follows a pulumi preview --refresh of the same stack with the pack, under the same condition",
    file: "drift.yml",
    check: (wf) => ["rotate", "rotate-platform", "rotate-cells"].flatMap((name) => previewBeforeEachUp(name)(wf)),
    breakIt: (wf) => (onlyPulumiStep(job(wf, "rotate-cells"), "preview")[0].if = "steps.due.outputs.due != '0' || inputs.rotate"),
  },
  { name: "rotation: the preview before a cell's rotation reads its pack config from the platform stack", file: "drift.yml", check: pulumiJobSetup("rotate-cells", true, PREFIXED("needs.stacks.outputs.platform-stack")), breakIt: (wf) => delete onlyPulumiStep(job(wf, "rotate-cells"), "preview")[0].with.policyPackConfigs },

  // render-diff.yml (fork pull requests, unprivileged)
  { name: "render diff runs on pull_request, never pull_request_target", file: "render-diff.yml", check: onlyTriggers(["pull_request"]), breakIt: (wf) => (wf.on = { pull_request_target: {} }) },
  {
    name: "render diff is for forks",
    file: "render-diff.yml",
    check: (wf) => problemIf(!requiresFork(job(wf, "render-diff").if), "render-diff job must require head.repo.full_name != github.repository"),
    breakIt: (wf) => delete job(wf, "render-diff").if,
  },
  {
    name: "render diff has no write permission at all",
    file: "render-diff.yml",
    check: (wf) => [
      ...jobs(wf).flatMap(([name, j]) => writeScopes(permissionsOf(wf, j)).map((s) => `${name} writes ${s}`)),
      ...problemIf(JSON.stringify(job(wf, "render-diff").permissions) !== '{"contents":"read"}', "render-diff permissions must be exactly contents: read"),
    ],
    breakIt: (wf) => (job(wf, "render-diff").permissions["pull-requests"] = "write"),
  },
  {
    name: "render diff references no secret and persists no token",
    file: "render-diff.yml",
    check: (wf) => [
      ...secretReferences(wf).map((at) => `secret referenced at ${at}`),
      ...stepsUsing(job(wf, "render-diff"), "actions/checkout").filter((s) => s.with?.["persist-credentials"] !== false).map(() => "checkout must not persist credentials"),
      ...problemIf(/github\.token|GITHUB_TOKEN/.test(JSON.stringify(wf)), "the token must not be handed to the fork's code"),
    ],
    breakIt: (wf) => (job(wf, "render-diff").steps[3].env = { ...job(wf, "render-diff").steps[3].env, KUBECONFIG: "${{ secrets.KUBECONFIG }}" }),
  },
  {
    name: "render diff runs npm run diff --base <base sha> and uploads the report",
    file: "render-diff.yml",
    check: (wf) => {
      const j = job(wf, "render-diff");
      const diff = runSteps(j).find((s) => /npm run[^\n]*\bdiff -- --base "\$BASE_SHA"/.test(s.run));
      return [
        ...problemIf(!diff, "a step must run npm run diff -- --base"),
        ...problemIf(diff?.env?.BASE_SHA !== "${{ github.event.pull_request.base.sha }}", "BASE_SHA must be the pull request's base commit"),
        ...problemIf(/--reveal-secrets/.test(JSON.stringify(wf)), "never --reveal-secrets"),
        ...problemIf(stepsUsing(j, "actions/upload-artifact").length !== 1, "one upload-artifact step"),
        ...problemIf(stepsUsing(j, "actions/checkout")[0]?.with?.["fetch-depth"] !== 0, "checkout needs the history (fetch-depth: 0) to render the base"),
      ];
    },
    breakIt: (wf) => (job(wf, "render-diff").steps = steps(job(wf, "render-diff")).map((s: any) => (typeof s.run === "string" ? { ...s, run: s.run.replaceAll("diff -- --base", "diff -- --head") } : s))),
  },

  {
    name: "render diff renders only the stacks the pull request touches",
    file: "render-diff.yml",
    check: (wf) => {
      const run = runSteps(job(wf, "render-diff")).map((s) => s.run).join("\n");
      return [
        ...problemIf(!/npm run --silent changed-cells -- --base "\$BASE_SHA" --head "\$rendered" --github-output /.test(run), "changed-cells must compare the base with the tree that is rendered"),
        ...problemIf(!/diff -- --base "\$BASE_SHA" "\$\{stacks\[@\]\}"/.test(run), "npm run diff must get the touched stacks"),
        ...problemIf(!/stacks\+=\(--cells "\$\(output cells-list\)"\)/.test(run) || !/stacks\+=\(--platform\)/.test(run), "--cells <list> and --platform come from the tool's outputs"),
      ];
    },
    breakIt: (wf) => (job(wf, "render-diff").steps = steps(job(wf, "render-diff")).map((s: any) => (typeof s.run === "string" ? { ...s, run: s.run.replace(' "${stacks[@]}"', "") } : s))),
  },

  // render-diff-comment.yml (privileged, runs no fork code)
  {
    name: "comment workflow runs when the render diff workflow completes",
    file: "render-diff-comment.yml",
    check: (wf) => {
      const run = triggers(wf).workflow_run;
      return [
        ...onlyTriggers(["workflow_run"])(wf),
        ...problemIf(JSON.stringify(run?.workflows) !== JSON.stringify([workflow("render-diff.yml").name]), "workflow_run.workflows must name render-diff.yml's workflow"),
        ...problemIf(JSON.stringify(run?.types) !== '["completed"]', "types must be [completed]"),
      ];
    },
    breakIt: (wf) => (wf.on.workflow_run.workflows = ["Preview"]),
  },
  { name: "comment workflow writes pull requests only", file: "render-diff-comment.yml", check: writesExactly("comment", ["pull-requests"]), breakIt: (wf) => (job(wf, "comment").permissions.contents = "write") },
  {
    name: "comment workflow never checks out or runs the pull request's code",
    file: "render-diff-comment.yml",
    check: (wf) => [
      ...jobs(wf).flatMap(([name, j]) => runsOrFetchesCode(j).map((what) => `${name}: ${what}`)),
      ...problemIf(/head_branch|pull_request\.head\.ref|github\.head_ref/.test(JSON.stringify(wf)), "no branch of the pull request may be named"),
    ],
    breakIt: (wf) => job(wf, "comment").steps.unshift({ uses: "actions/checkout@v4", with: { ref: "${{ github.event.workflow_run.head_sha }}" } }, { run: "npm ci && npm test" }),
  },
  {
    name: "comment workflow downloads the artifact of the triggering run",
    file: "render-diff-comment.yml",
    check: (wf) => {
      const download = stepsUsing(job(wf, "comment"), "actions/download-artifact")[0];
      return [
        ...problemIf(download?.with?.["run-id"] !== "${{ github.event.workflow_run.id }}", "download-artifact run-id must be the triggering run"),
        ...problemIf(download?.with?.name !== "render-diff", "artifact name must be render-diff"),
        ...problemIf(!/head_repository\.full_name\s*!=\s*github\.repository/.test(String(job(wf, "comment").if)), "comment job must be for forks"),
      ];
    },
    breakIt: (wf) => (stepsUsing(job(wf, "comment"), "actions/download-artifact")[0].with["run-id"] = "${{ github.run_id }}"),
  },
];

// Gates (issue 15): tests and the pack before merge, a preview before every deploy, scoped secrets.
const gateChecks: { name: string; file: string; check: Check; breakIt: (wf: Workflow) => void }[] = [
  { name: "checks run on every pull request to main, forks included", file: "checks.yml", check: (wf) => [...onlyTriggers(["pull_request"])(wf), ...problemIf(job(wf, "checks").if !== undefined, "checks must run for every pull request (no if:)")], breakIt: (wf) => (job(wf, "checks").if = "github.event.pull_request.head.repo.full_name == github.repository") },
  {
    name: "checks are unprivileged: read-only contents, no secrets, no persisted token",
    file: "checks.yml",
    check: (wf) => [
      ...jobs(wf).flatMap(([name, j]) => writeScopes(permissionsOf(wf, j)).map((scope) => `${name} writes ${scope}`)),
      ...secretReferences(wf).map((at) => `secret referenced at ${at}`),
      ...stepsUsing(job(wf, "checks"), "actions/checkout").filter((st) => st.with?.["persist-credentials"] !== false).map(() => "checkout must not persist credentials"),
    ],
    breakIt: (wf) => (job(wf, "checks").env = { PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" }),
  },
  {
    name: "checks run npm test (.ci/run) and then the policy pack over the render",
    file: "checks.yml",
    check: (wf) => {
      const runs = runSteps(job(wf, "checks")).map((st) => st.run as string);
      const test = runs.findIndex((r) => /^bash \.ci\/run$/m.test(r) || /^npm test\b/m.test(r));
      const pack = runs.findIndex((r) => /^npm run test:policy$/m.test(r));
      const script = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../package.json"), "utf8")).scripts["test:policy"] as string;
      return [
        ...problemIf(test < 0, "no npm test"),
        ...problemIf(pack < 0 || pack < test, "no policy pack run after the tests"),
        ...problemIf(!/policy-rendered-stack\.test\.ts/.test(script ?? ""), "test:policy must run the pack over the rendered stack"),
      ];
    },
    breakIt: (wf) => (job(wf, "checks").steps = steps(job(wf, "checks")).filter((st: any) => !/test:policy/.test(st.run ?? ""))),
  },
  {
    name: "deploy previews with the policy pack, in the same job, before pulumi up",
    file: "deploy.yml",
    check: (wf) => {
      const all = steps(job(wf, "deploy"));
      const preview = all.findIndex((st) => actionOf(st) === "pulumi/actions" && st.with?.command === "preview");
      const up = all.findIndex((st) => actionOf(st) === "pulumi/actions" && st.with?.command === "up");
      return [
        ...problemIf(preview < 0 || up < 0 || preview > up, "a pulumi preview must come before pulumi up"),
        ...problemIf(preview >= 0 && all[preview].with.policyPacks !== "policy", "the preview must run the policy pack"),
        // A preview that may fail without stopping the job gates nothing.
        ...problemIf(preview >= 0 && (all[preview]["continue-on-error"] === true || all[preview].if !== undefined || (up >= 0 && typeof all[up].if === "string" && /always\(\)|failure\(\)/.test(all[up].if))), "a failed preview must stop the deploy"),
      ];
    },
    breakIt: (wf) => (steps(job(wf, "deploy")).find((st: any) => st.with?.command === "preview")!["continue-on-error"] = true),
  },
  { name: "preview runs in the preview environment (its read-only kubeconfig and its own secrets)", file: "preview.yml", check: (wf) => problemIf(job(wf, "preview").environment !== "preview", "preview job must use environment preview"), breakIt: (wf) => delete job(wf, "preview").environment },
  {
    name: "render diff installs and runs only with tenant files alone, after checking out the base",
    file: "render-diff.yml",
    check: (wf) => {
      const all = steps(job(wf, "render-diff"));
      const scope = all.findIndex((st) => st.id === "scope");
      const runsCode = all.map((st, i) => [st, i] as const).filter(([st]) => actionOf(st) === "actions/setup-node" || /\bnpm\b/.test(st.run ?? ""));
      return [
        ...problemIf(scope < 0 || !/git checkout --quiet --detach "\$BASE_SHA"/.test(all[scope]?.run ?? ""), "a scope step must check out the base"),
        ...runsCode.flatMap(([st, i]) => problemIf(i < scope || st.if !== "steps.scope.outputs.mode == 'tenants'", `${st.name ?? st.uses}: runs code without the tenant-files-only condition`)),
      ];
    },
    breakIt: (wf) => delete steps(job(wf, "render-diff")).find((st: any) => /npm ci/.test(st.run ?? ""))!.if,
  },
];

/** Checks every workflow must pass. */
const everywhere: { name: string; check: Check; breakIt: (wf: Workflow) => void }[] = [
  { name: "every action is pinned to a version", check: unpinnedActions, breakIt: (wf) => (allJobs(wf)[0].steps[0].uses = "actions/checkout@main") },
  { name: "no credential is written into the workflow", check: hardCodedCredentials, breakIt: (wf) => (allJobs(wf)[0].env = { PULUMI_ACCESS_TOKEN: "pul-" + "0123456789abcdef".repeat(2) + "01234567" }) },
  {
    name: "permissions are set at the workflow level (none by default)",
    check: (wf) => [...problemIf(JSON.stringify(wf.permissions) !== "{}", "workflow permissions must be {}"), ...jobs(wf).flatMap(([n, j]) => problemIf(j.permissions === undefined, `${n}: job permissions missing`))],
    breakIt: (wf) => (wf.permissions = "write-all"),
  },
  {
    name: "every matrix job has fail-fast off and a max-parallel bound",
    check: (wf) =>
      jobs(wf)
        .filter(([, j]) => j.strategy?.matrix !== undefined)
        .flatMap(([n, j]) => problemIf(j.strategy["fail-fast"] !== false || typeof j.strategy["max-parallel"] !== "number", `${n}: fail-fast false and a numeric max-parallel required`)),
    breakIt: (wf) => {
      const [, first] = jobs(wf)[0];
      first.strategy = { matrix: { include: [{ x: 1 }] } };
    },
  },
  {
    name: "every job has a timeout",
    check: (wf) => jobs(wf).flatMap(([n, j]) => problemIf(typeof j["timeout-minutes"] !== "number", `${n}: no timeout-minutes`)),
    breakIt: (wf) => delete allJobs(wf)[0]["timeout-minutes"],
  },
];
const allJobs = (wf: Workflow) => jobs(wf).map(([, j]) => j);

describe("workflow files", () => {
  it("are the six this repository relies on, and parse", () => {
    expect([...workflows.keys()]).toEqual(["checks.yml", "deploy.yml", "drift.yml", "preview.yml", "render-diff-comment.yml", "render-diff.yml"]);
    for (const wf of workflows.values()) expect(typeof wf.name).toBe("string");
  });

  it.each([...checks, ...gateChecks].map((c) => [c.name, c] as const))("%s", (_name, { file, check, breakIt }) => {
    expect(check(workflow(file))).toEqual([]);
    const broken = copy(workflow(file));
    breakIt(broken);
    expect(check(broken).length, "the check must notice the broken copy").toBeGreaterThan(0);
  });

  for (const { name, check, breakIt } of everywhere) {
    it.each([...workflows.keys()])(`${name}: %s`, (file) => {
      expect(check(workflow(file))).toEqual([]);
      const broken = copy(workflow(file));
      breakIt(broken);
      expect(check(broken).length, "the check must notice the broken copy").toBeGreaterThan(0);
    });
  }

  it("reference secrets only in the workflows that update or preview the stack", () => {
    const withSecrets = [...workflows].filter(([, wf]) => secretReferences(wf).length > 0).map(([file]) => file);
    expect(withSecrets).toEqual(["deploy.yml", "drift.yml", "preview.yml"]);
    // And there only through the names docs/gitops.md documents.
    const names = new Set([...workflows.values()].flatMap((wf) => JSON.stringify(wf).match(/secrets\.[A-Z_]+/g) ?? []));
    expect([...names].sort()).toEqual(["secrets.KUBECONFIG", "secrets.PULUMI_ACCESS_TOKEN", "secrets.PULUMI_CONFIG_PASSPHRASE"]);
    const docs = fs.readFileSync(path.resolve(__dirname, "../../docs/gitops.md"), "utf8");
    for (const name of [...names, "vars.PULUMI_STACK", "vars.PULUMI_STACK_PREFIX", "vars.PULUMI_BACKEND_URL", "vars.PULUMI_ORGANIZATION"]) expect(docs).toContain(name.split(".")[1]);
    // And every variable the workflows read is one of those, or the hub's port-forward (docs/nats.md).
    const vars = new Set([...workflows.values()].flatMap((wf) => JSON.stringify(wf).match(/vars\.[A-Z_]+/g) ?? []));
    expect([...vars].sort()).toEqual(["vars.NATS_HUB_PORT_FORWARD", "vars.PULUMI_BACKEND_URL", "vars.PULUMI_ORGANIZATION", "vars.PULUMI_STACK", "vars.PULUMI_STACK_PREFIX"]);
  });

  it("pass the same access token expression to every pulumi step", () => {
    for (const [file, wf] of workflows) {
      for (const [name, j] of jobs(wf)) {
        for (const s of pulumiSteps(j).filter((s) => s.with?.command)) expect(s.env?.PULUMI_ACCESS_TOKEN, `${file} ${name}`).toBe(TOKEN_ENV);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The github-script steps, run against a fake GitHub API.

type Call = [string, Record<string, any>];
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<unknown>;

/** Runs a github-script `script` with fake `github`, `context` and `core`; returns the API calls it made. */
async function runGithubScript(
  script: string,
  env: Record<string, string>,
  api: { comments?: any[]; issues?: any[]; prHeadSha?: string; files?: any[]; workflowRuns?: any[] },
): Promise<{ calls: Call[]; notices: string[]; outputs: Record<string, string> }> {
  const calls: Call[] = [];
  const notices: string[] = [];
  const outputs: Record<string, string> = {};
  const record = (name: string, result: unknown = {}) => async (args: Record<string, any>) => {
    calls.push([name, args]);
    return { data: result };
  };
  const github = {
    paginate: async (fn: (args: any) => Promise<{ data: unknown }>, args: any) => (await fn(args)).data,
    rest: {
      issues: {
        listComments: record("listComments", api.comments ?? []),
        listForRepo: record("listForRepo", api.issues ?? []),
        createComment: record("createComment"),
        updateComment: record("updateComment"),
        create: record("create"),
      },
      pulls: { get: record("pullsGet", { head: { sha: api.prHeadSha } }), listFiles: record("listFiles", api.files ?? [{ filename: "tenants/acme.yaml", status: "modified" }]) },
      actions: { listWorkflowRuns: record("listWorkflowRuns", { total_count: (api.workflowRuns ?? []).length, workflow_runs: api.workflowRuns ?? [] }) },
    },
  };
  const context = { repo: { owner: "serviceradar", repo: "tenancy" } };
  const core = { notice: (m: string) => notices.push(m), setOutput: (k: string, v: unknown) => (outputs[k] = String(v)) };
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    await new AsyncFunction("require", "github", "context", "core", script)(require, github, context, core);
  } finally {
    for (const key of Object.keys(env)) if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  return { calls, notices, outputs };
}

describe("the comment step of render-diff-comment.yml", () => {
  const script: string = stepsUsing(job(workflow("render-diff-comment.yml"), "comment"), "actions/github-script")[0].with.script;
  const reportDir = (prNumber: string, report: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-artifact-"));
    fs.writeFileSync(path.join(dir, "pr-number"), prNumber);
    fs.writeFileSync(path.join(dir, "comment.md"), report);
    return dir;
  };
  const env = (dir: string) => ({ REPORT_DIR: dir, HEAD_SHA: "a".repeat(40) });

  it("creates the comment, with the marker, on the pull request the report is for", async () => {
    const { calls } = await runGithubScript(script, env(reportDir("42\n", "### Rendered manifests\n")), { prHeadSha: "a".repeat(40) });
    expect(calls.map((c) => c[0])).toEqual(["pullsGet", "listFiles", "listComments", "createComment"]);
    expect(calls[0][1].pull_number).toBe(42);
    expect(calls[3][1].issue_number).toBe(42);
    expect(calls[3][1].body).toMatch(/^<!-- tenancy:render-diff -->\n### Rendered manifests/);
    expect(calls[3][1].body).toContain("by the base branch's code");
  });

  it("updates its previous comment instead of adding another", async () => {
    const comments = [
      { id: 7, user: { type: "User" }, body: "<!-- tenancy:render-diff --> a human quoting the marker" },
      { id: 9, user: { type: "Bot" }, body: "<!-- tenancy:render-diff -->\nold report" },
    ];
    const { calls } = await runGithubScript(script, env(reportDir("42", "new report")), { prHeadSha: "a".repeat(40), comments });
    expect(calls.map((c) => c[0])).toEqual(["pullsGet", "listFiles", "listComments", "updateComment"]);
    expect(calls[3][1].comment_id).toBe(9);
  });

  it("refuses a pull request number that is not a plain number (the artifact is untrusted)", async () => {
    for (const bad of ["42; rm -rf /", "0", "-1", "abc", "1e3"]) {
      await expect(runGithubScript(script, env(reportDir(bad, "x")), { prHeadSha: "a".repeat(40) })).rejects.toThrow(/not a pull request number/);
    }
  });

  it("posts nothing when the pull request has moved on to another commit", async () => {
    const { calls, notices } = await runGithubScript(script, env(reportDir("42", "x")), { prHeadSha: "b".repeat(40) });
    expect(calls.map((c) => c[0])).toEqual(["pullsGet"]);
    expect(notices.join()).toMatch(/not posted/);
  });

  it("cuts a report over GitHub's comment limit", async () => {
    const { calls } = await runGithubScript(script, env(reportDir("42", "x".repeat(100_000))), { prHeadSha: "a".repeat(40) });
    const body: string = calls[3][1].body;
    expect(body.length).toBeLessThanOrEqual(65536);
    expect(body).toContain("report cut at GitHub's comment size limit");
  });
});

describe("the render diff comment of a fork's pull request: tenant files only (the scope step runs git: test/e2e/render-diff-scope.test.ts)", () => {
  it("the comment step posts a render only when GitHub says the pull request changes tenant files alone", async () => {
    const script: string = stepsUsing(job(workflow("render-diff-comment.yml"), "comment"), "actions/github-script")[0].with.script;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-artifact-"));
    fs.writeFileSync(path.join(dir, "pr-number"), "42");
    fs.writeFileSync(path.join(dir, "comment.md"), "### Rendered manifests (made by a rewritten workflow)\n");
    const env = { REPORT_DIR: dir, HEAD_SHA: "a".repeat(40) };
    const code = await runGithubScript(script, env, { prHeadSha: "a".repeat(40), files: [{ filename: "tenants/acme.yaml" }, { filename: ".github/workflows/render-diff.yml" }] });
    const body: string = code.calls.find((c) => c[0] === "createComment")![1].body;
    expect(body).toContain("### No render: this pull request changes code");
    expect(body).toContain("- `.github/workflows/render-diff.yml`");
    expect(body).not.toContain("Rendered manifests");
    const renamed = await runGithubScript(script, env, { prHeadSha: "a".repeat(40), files: [{ filename: "tenants/acme.yaml", previous_filename: "index.ts", status: "renamed" }] });
    expect(renamed.calls.find((c) => c[0] === "createComment")![1].body).toContain("- `index.ts`");
    const tenantsOnly = await runGithubScript(script, env, { prHeadSha: "a".repeat(40), files: [{ filename: "tenants/acme.yaml" }, { filename: "tenants/new-one.yaml" }] });
    expect(tenantsOnly.calls.find((c) => c[0] === "createComment")![1].body).toContain("Rendered manifests");
  });
});

describe("the drift issue step of drift.yml", () => {
  const script: string = stepsUsing(job(workflow("drift.yml"), "drift"), "actions/github-script")[0].with.script;
  const env = { STACK: "acme/tenancy/prod", RUN_URL: "https://github.com/x/y/actions/runs/1" };

  it("opens an issue naming the stack and the run", async () => {
    const { calls } = await runGithubScript(script, env, { issues: [] });
    expect(calls.map((c) => c[0])).toEqual(["listForRepo", "create"]);
    expect(calls[1][1].title).toBe("Drift detected on stack acme/tenancy/prod");
    expect(calls[1][1].body).toContain(env.RUN_URL);
  });

  it("comments on the open drift issue of the same stack instead of opening another", async () => {
    const issues = [
      { number: 3, user: { type: "Bot" }, body: "<!-- tenancy:drift:other/stack -->" },
      { number: 5, user: { type: "Bot" }, body: "<!-- tenancy:drift:acme/tenancy/prod -->\n…" },
    ];
    const { calls } = await runGithubScript(script, env, { issues });
    expect(calls.map((c) => c[0])).toEqual(["listForRepo", "createComment"]);
    expect(calls[1][1].issue_number).toBe(5);
  });
});

// ---------------------------------------------------------------------------------------------
// Cells, run as GitHub would run them (test/support/gh-expressions.ts): the changed-stacks job's
// outputs come from the real tool (tools/changed-cells.ts), go through the job outputs, `needs`,
// every `if:` and the `fromJSON` matrix; the shell steps run in bash with a stand-in npm.

const REPOSITORY = "serviceradar/tenancy";
const VARS = { PULUMI_STACK: "acme/tenancy/prod", PULUMI_STACK_PREFIX: "acme/tenancy/" };
const CELLS_YAML = "platform: { stack: platform }\ndefaultCell: a\ncells:\n  - { name: a, stack: cell-a }\n  - { name: b, stack: cell-b }\n";

/** `$GITHUB_OUTPUT` as GitHub reads it (the tool writes `key=value` lines only). */
function parseGithubOutput(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const eq = line.indexOf("=");
    if (eq <= 0 || line.includes("<<")) throw new Error(`not a key=value line: ${line}`);
    outputs[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return outputs;
}

/** The tool's step outputs for a list of changed files, with cells/cells.yaml and the tenant files given (the same at both sides unless `base` differs). */
function toolOutputs(changes: Change[], head: Record<string, string>, base: Record<string, string> = head): Record<string, string> {
  return githubOutputs(changedStacks(changes, (side, file) => (side === "head" ? head : base)[file]));
}

const TENANTS = { "cells/cells.yaml": CELLS_YAML, "tenants/acme.yaml": "slug: acme\n", "tenants/globex.yaml": "slug: globex\ncell: b\n" };
const ONE_TENANT = toolOutputs([{ status: "M", path: "tenants/acme.yaml" }], TENANTS);
const PROGRAM = toolOutputs([{ status: "M", path: "index.ts" }], TENANTS);
const DOCS = toolOutputs([{ status: "M", path: "docs/gitops.md" }, { status: "A", path: "test/unit/x.test.ts" }], TENANTS);
const SINGLE = toolOutputs([{ status: "M", path: "index.ts" }], { "tenants/acme.yaml": "slug: acme\n" });

const pullRequest = (fork = false) => ({
  event_name: "pull_request",
  repository: REPOSITORY,
  sha: "f".repeat(40),
  event: { pull_request: { number: 7, base: { sha: "b".repeat(40) }, head: { sha: "c".repeat(40), repo: { full_name: fork ? "someone/tenancy" : REPOSITORY } } } },
});
const push = { event_name: "push", repository: REPOSITORY, sha: "c".repeat(40), event: { before: "b".repeat(40) } };
const schedule = { event_name: "schedule", repository: REPOSITORY, sha: "c".repeat(40), event: {} };

const ran = (plan: Map<string, PlannedJob>) => [...plan].filter(([, j]) => j.result !== "skipped").map(([id]) => id);
const instances = (plan: Map<string, PlannedJob>, id: string) => plan.get(id)!.instances.map((i) => ({ name: i.name, stacks: i.stacks }));

describe("preview.yml with cells, as GitHub runs it", () => {
  const wf = workflow("preview.yml");
  const plan = (outputs: Record<string, string>, fork = false) => planRun(wf, { github: pullRequest(fork), vars: VARS, stepOutputs: { changes: { changed: outputs } } });

  it("the real tool's output for a one-tenant change (npx tsx tools/changed-cells.ts --github-output) previews exactly that tenant's cell", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-workflow-cells-"));
    try {
      const git = (...args: string[]) =>
        execFileSync("git", ["-c", "user.name=workflow test", "-c", "user.email=test@example.invalid", ...args], { cwd: dir, env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" }, encoding: "utf8" }).trim();
      git("init", "--quiet", "--initial-branch=main");
      fs.mkdirSync(path.join(dir, "cells"));
      fs.mkdirSync(path.join(dir, "tenants"));
      fs.writeFileSync(path.join(dir, "cells/cells.yaml"), CELLS_YAML);
      fs.writeFileSync(path.join(dir, "tenants/acme.yaml"), "slug: acme\nplan: pro\n");
      fs.writeFileSync(path.join(dir, "tenants/globex.yaml"), "slug: globex\ncell: b\n");
      git("add", "--all");
      git("commit", "--quiet", "-m", "base");
      const base = git("rev-parse", "HEAD");
      fs.writeFileSync(path.join(dir, "tenants/globex.yaml"), "slug: globex\ncell: b\nplan: enterprise\n");
      git("commit", "--quiet", "--all", "-m", "globex's plan");
      const head = git("rev-parse", "HEAD");
      const outputFile = path.join(dir, "github-output");
      const run = spawnSync("npx", ["tsx", path.join(REPO, "tools/changed-cells.ts"), "--base", base, "--head", head, "--repo", dir, "--github-output", outputFile], { cwd: REPO, encoding: "utf8" });
      expect(run.status, run.stderr).toBe(0);

      const p = plan(parseGithubOutput(fs.readFileSync(outputFile, "utf8")));
      expect(ran(p)).toEqual(["changes", "preview-cells", "previews"]);
      expect(instances(p, "preview-cells")).toEqual([{ name: "pulumi preview (cell b)", stacks: ["acme/tenancy/cell-b"] }]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a program change previews the platform and every cell", () => {
    const p = plan(PROGRAM);
    expect(ran(p)).toEqual(["changes", "preview-platform", "preview-cells", "previews"]);
    expect(instances(p, "preview-platform")).toEqual([{ name: "pulumi preview (platform)", stacks: ["acme/tenancy/platform"] }]);
    expect(instances(p, "preview-cells")).toEqual([
      { name: "pulumi preview (cell a)", stacks: ["acme/tenancy/cell-a"] },
      { name: "pulumi preview (cell b)", stacks: ["acme/tenancy/cell-b"] },
    ]);
  });

  it("a default-cell tenant change previews cell a only", () => {
    expect(instances(plan(ONE_TENANT), "preview-cells").map((i) => i.stacks)).toEqual([["acme/tenancy/cell-a"]]);
  });

  it("a documentation-only change previews nothing and skips cleanly (the empty matrix is never expanded)", () => {
    const p = plan(DOCS);
    expect(DOCS.matrix).toBe('{"include":[]}');
    expect(ran(p)).toEqual(["changes", "previews"]);
    // Without the has-cells guard GitHub would fail the run on the empty matrix.
    const unguarded = copy(wf);
    unguarded.jobs["preview-cells"].if = "github.event.pull_request.head.repo.full_name == github.repository && needs.changes.outputs.mode == 'cells'";
    expect(() => planRun(unguarded, { github: pullRequest(), vars: VARS, stepOutputs: { changes: { changed: DOCS } } })).toThrow(/does not contain any values/);
  });

  it("without cells the one stack is previewed, as before", () => {
    const p = plan(SINGLE);
    expect(ran(p)).toEqual(["changes", "preview", "previews"]);
    expect(instances(p, "preview")).toEqual([{ name: "pulumi preview (stack)", stacks: ["acme/tenancy/prod"] }]);
  });

  it("a fork's pull request runs none of it (render-diff.yml renders it)", () => {
    expect(ran(plan(PROGRAM, true))).toEqual([]);
  });

  it("the 'pulumi preview' check fails when the changed stacks are unknown or any preview failed", () => {
    const gate = job(wf, "previews");
    const step = runSteps(gate)[0];
    const runGate = (results: Record<string, Result>) => {
      const p = planRun(wf, { github: pullRequest(), vars: VARS, stepOutputs: { changes: { changed: PROGRAM } }, results });
      const planned = p.get("previews")!;
      expect(planned.result).not.toBe("skipped");
      const env = Object.fromEntries(Object.entries(step.env as Record<string, string>).map(([k, v]) => [k, asString(resolve(v, { github: pullRequest(), vars: VARS, needs: planned.needs }))]));
      return spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run], { env: { ...process.env, ...env }, encoding: "utf8" }).status;
    };
    expect(runGate({})).toBe(0);
    expect(runGate({ "preview-cells": "failure" })).toBe(1);
    expect(runGate({ "preview-platform": "cancelled" })).toBe(1);
    // A failed changes job skips every preview; the check must still fail.
    expect(runGate({ changes: "failure" })).toBe(1);
    // Skipped previews (nothing to preview) pass.
    const docs = planRun(wf, { github: pullRequest(), vars: VARS, stepOutputs: { changes: { changed: DOCS } } }).get("previews")!;
    const env = Object.fromEntries(Object.entries(step.env as Record<string, string>).map(([k, v]) => [k, asString(resolve(v, { needs: docs.needs }))]));
    expect(env).toEqual({ CHANGES: "success", SINGLE: "skipped", PLATFORM: "skipped", CELLS: "skipped" });
    expect(spawnSync("bash", ["-eo", "pipefail", "-c", step.run], { env: { ...process.env, ...env } }).status).toBe(0);
  });
});

describe("deploy.yml with cells, as GitHub runs it", () => {
  const wf = workflow("deploy.yml");
  const plan = (outputs: Record<string, string>, results: Record<string, Result> = {}, event: Context = push) =>
    planRun(wf, { github: event, vars: VARS, stepOutputs: { changes: { changed: outputs, deployed: { sha: "b".repeat(40) } } }, results });

  it("a program change updates the platform, then every cell", () => {
    const p = plan(PROGRAM);
    expect(ran(p)).toEqual(["changes", "deploy-platform", "deploy-cells"]);
    // Each update job previews its stack, then updates it.
    expect(instances(p, "deploy-platform")[0].stacks).toEqual(["acme/tenancy/platform", "acme/tenancy/platform"]);
    expect(instances(p, "deploy-cells").map((i) => i.stacks[0])).toEqual(["acme/tenancy/cell-a", "acme/tenancy/cell-b"]);
  });

  it("a one-tenant change updates its cell alone: the platform job is skipped and the cells still run", () => {
    const p = plan(ONE_TENANT);
    expect(p.get("deploy-platform")!.result).toBe("skipped");
    expect(ran(p)).toEqual(["changes", "deploy-cells"]);
    expect(instances(p, "deploy-cells")).toEqual([{ name: "pulumi up (cell a)", stacks: ["acme/tenancy/cell-a", "acme/tenancy/cell-a"] }]);
  });

  it("no cell is updated after the platform's update failed or was cancelled", () => {
    expect(plan(PROGRAM, { "deploy-platform": "failure" }).get("deploy-cells")!.result).toBe("skipped");
    expect(plan(PROGRAM, { "deploy-platform": "cancelled" }).get("deploy-cells")!.result).toBe("skipped");
    expect(plan(PROGRAM, { changes: "failure" }).get("deploy-cells")!.result).toBe("skipped");
  });

  it("a documentation-only merge updates nothing; without cells the one stack is updated", () => {
    expect(ran(plan(DOCS))).toEqual(["changes"]);
    const single = plan(SINGLE);
    expect(ran(single)).toEqual(["changes", "deploy"]);
    expect(instances(single, "deploy")[0].stacks).toEqual(["acme/tenancy/prod", "acme/tenancy/prod"]);
  });

  it("the last deployed commit is the newest successful run of deploy.yml on main", async () => {
    const script: string = stepsUsing(job(wf, "changes"), "actions/github-script")[0].with.script;
    const sha = "d".repeat(40);
    const found = await runGithubScript(script, {}, { workflowRuns: [{ head_sha: sha, conclusion: "success" }] });
    expect(found.calls).toEqual([["listWorkflowRuns", { owner: "serviceradar", repo: "tenancy", workflow_id: "deploy.yml", branch: "main", status: "success", per_page: 1 }]]);
    expect(found.outputs).toEqual({ sha });
    expect((await runGithubScript(script, {}, { workflowRuns: [] })).outputs).toEqual({ sha: "" });
    expect((await runGithubScript(script, {}, { workflowRuns: [{ head_sha: "$(id)" }] })).outputs).toEqual({ sha: "" });
  });

  describe("the step choosing the range", () => {
    const step = runSteps(job(wf, "changes")).find((s) => /changed-cells/.test(s.run))!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-deploy-range-"));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.invalid", ...args], { cwd: dir, env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" }, encoding: "utf8" }).trim();
    git("init", "--quiet", "--initial-branch=main");
    const commit = (message: string) => (git("commit", "--quiet", "--allow-empty", "-m", message), git("rev-parse", "HEAD"));
    const one = commit("one");
    const two = commit("two");
    const three = commit("three");
    const npm = fakeNpm(dir);

    /** Runs the step's script in bash as the runner would (push of `three`, previous main commit `two`), its env resolved; returns npm's arguments. */
    const runStep = (event: string, deployed: string) => {
      const ctx = { github: { ...push, event_name: event, sha: three, event: { before: two } }, steps: { deployed: { outputs: { sha: deployed } } } };
      const env = Object.fromEntries(Object.entries(step.env as Record<string, string>).map(([k, v]) => [k, asString(resolve(v, ctx))]));
      const run = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run], { cwd: dir, env: { ...process.env, ...env, ...npm.env, GITHUB_OUTPUT: path.join(dir, "out"), GITHUB_STEP_SUMMARY: path.join(dir, "summary") }, encoding: "utf8" });
      expect(run.status, run.stderr).toBe(0);
      return { args: npm.calls().at(-1), stdout: run.stdout };
    };

    it("normally: from the previous main commit (github.event.before), the last deployed", () => {
      const { args, stdout } = runStep("push", two);
      expect(args).toBe(`run --silent changed-cells -- --base ${two} --head ${three} --github-output ${path.join(dir, "out")} --summary ${path.join(dir, "summary")}`);
      expect(stdout).not.toMatch(/not deployed|every stack/);
    });

    it("after a failed or replaced deploy: from the last deployed commit, with a note", () => {
      const { args, stdout } = runStep("push", one);
      expect(args).toMatch(new RegExp(`changed-cells -- --base ${one} --head ${three} `));
      expect(stdout).toMatch(new RegExp(`the previous main commit ${two} was not deployed`));
    });

    it("every stack when nothing was deployed yet, when that commit is not in the history, or by hand", () => {
      for (const [event, deployed] of [["push", ""], ["push", "e".repeat(40)], ["workflow_dispatch", two]]) {
        expect(runStep(event, deployed).args).toMatch(new RegExp(`changed-cells -- --all --head ${three} `));
      }
    });
  });
});

describe("drift.yml with cells, as GitHub runs it", () => {
  const wf = workflow("drift.yml");
  const every = githubOutputs(allStacks((file) => (file === "cells/cells.yaml" ? CELLS_YAML : undefined)));
  const plan = (outputs: Record<string, string>, results: Record<string, Result> = {}) => planRun(wf, { github: schedule, vars: VARS, inputs: { rotate: false }, stepOutputs: { stacks: { stacks: outputs } }, results });

  it("checks every stack, the platform first; rotates the platform, then each cell", () => {
    const p = plan(every);
    expect(ran(p)).toEqual(["stacks", "drift-stacks", "rotate-platform", "rotate-cells"]);
    expect(instances(p, "drift-stacks")).toEqual([
      { name: "drift platform (preview --refresh --expect-no-changes)", stacks: ["acme/tenancy/platform"] },
      { name: "drift cell a (preview --refresh --expect-no-changes)", stacks: ["acme/tenancy/cell-a"] },
      { name: "drift cell b (preview --refresh --expect-no-changes)", stacks: ["acme/tenancy/cell-b"] },
    ]);
    expect(instances(p, "rotate-platform")[0].stacks).toEqual(["acme/tenancy/platform", "acme/tenancy/platform"]);
    expect(instances(p, "rotate-cells").map((i) => i.stacks[0])).toEqual(["acme/tenancy/cell-a", "acme/tenancy/cell-b"]);
  });

  it("rotates even when drift was found, and the cells even when the platform's rotation failed", () => {
    const p = plan(every, { "drift-stacks": "failure", "rotate-platform": "failure" });
    expect(ran(p)).toEqual(["stacks", "drift-stacks", "rotate-platform", "rotate-cells"]);
  });

  it("without cells: the one stack, as before", () => {
    const single = githubOutputs(allStacks(() => undefined));
    const p = plan(single);
    expect(ran(p)).toEqual(["stacks", "drift", "rotate"]);
    expect(instances(p, "drift")[0].stacks).toEqual(["acme/tenancy/prod"]);
    expect(plan(single, { drift: "failure" }).get("rotate")!.result).toBe("success");
  });
});

describe("render-diff.yml with cells: the render step in bash (real git, a stand-in npm)", () => {
  const step = runSteps(job(workflow("render-diff.yml"), "render-diff")).find((s) => /changed-cells/.test(s.run))!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-render-step-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const npm = fakeNpm(dir);
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.invalid", ...args], { cwd: dir, env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" }, encoding: "utf8" }).trim();
  // The scope step's result: the base checked out, the pull request's tenant files laid over it (uncommitted).
  git("init", "--quiet", "--initial-branch=main");
  fs.mkdirSync(path.join(dir, "tenants"));
  fs.writeFileSync(path.join(dir, "tenants/acme.yaml"), "slug: acme\n");
  fs.writeFileSync(path.join(dir, "tenants/old.yaml"), "slug: old\n");
  fs.writeFileSync(path.join(dir, "index.ts"), "// base\n");
  fs.writeFileSync(path.join(dir, ".gitignore"), "bin/\nnpm.log\nrender-diff/\nsummary\n");
  git("add", "--all");
  git("commit", "--quiet", "-m", "base");
  const base = git("rev-parse", "HEAD");
  fs.writeFileSync(path.join(dir, "tenants/acme.yaml"), "slug: acme\nplan: pro\n");
  fs.writeFileSync(path.join(dir, "tenants/new.yaml"), "slug: new\n");
  fs.rmSync(path.join(dir, "tenants/old.yaml"));

  const runStep = (outputs: Record<string, string> | "fails", diffStatus = 0) => {
    fs.rmSync(path.join(dir, "render-diff"), { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, "render-diff"));
    const fake = { ...npm.env, FAKE_OUTPUTS: outputs === "fails" ? "" : Object.entries(outputs).map(([k, v]) => `${k}=${v}\n`).join(""), FAKE_CHANGED_STATUS: outputs === "fails" ? "1" : "0", FAKE_DIFF_STATUS: String(diffStatus) };
    const env = { BASE_SHA: base, PR_NUMBER: "7", GITHUB_STEP_SUMMARY: path.join(dir, "summary"), RUNNER_TEMP: dir };
    const run = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run], { cwd: dir, env: { ...process.env, ...env, ...fake }, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const read = (f: string) => fs.readFileSync(path.join(dir, "render-diff", f), "utf8");
    const diffCalls = npm.calls().filter((c) => / diff -- /.test(c));
    const changed = npm.calls().filter((c) => /changed-cells/.test(c)).at(-1)!;
    return { comment: read("comment.md"), status: read("status").trim(), diff: diffCalls.at(-1), diffCalls: diffCalls.length, changed };
  };

  it("computes the stacks against the tree it renders: the base with the pull request's tenant files, as a commit no ref names", () => {
    const { changed } = runStep(ONE_TENANT);
    const rendered = /--head ([0-9a-f]{40}) /.exec(changed)?.[1];
    expect(changed).toMatch(new RegExp(`^run --silent changed-cells -- --base ${base} --head [0-9a-f]{40} --github-output render-diff/stacks.txt `));
    expect(git("rev-parse", `${rendered}^`)).toBe(base);
    expect(git("diff", "--name-status", base, rendered!).split("\n")).toEqual(["M\ttenants/acme.yaml", "A\ttenants/new.yaml", "D\ttenants/old.yaml"]);
    expect(git("show", `${rendered}:tenants/acme.yaml`)).toBe("slug: acme\nplan: pro");
    // HEAD, the index and the working tree are as the scope step left them; no ref names the commit.
    expect(git("rev-parse", "HEAD")).toBe(base);
    expect(git("status", "--porcelain", "--", "tenants")).toBe(" M tenants/acme.yaml\n D tenants/old.yaml\n?? tenants/new.yaml".trim());
    expect(git("for-each-ref", "--contains", rendered!)).toBe("");
    expect(fs.existsSync(path.join(dir, "render-diff.index"))).toBe(false);
  });

  it("renders the touched cells and the platform", () => {
    const r = runStep(PROGRAM);
    expect(r.status).toBe("0");
    expect(r.diff).toBe(`run --silent diff -- --base ${base} --cells a,b --platform --format markdown --out render-diff/comment.md`);
    expect(r.comment).toMatch(/^report for /);
  });

  it("renders one cell for a one-tenant change, the whole stack without cells", () => {
    expect(runStep(ONE_TENANT).diff).toBe(`run --silent diff -- --base ${base} --cells a --format markdown --out render-diff/comment.md`);
    expect(runStep(SINGLE).diff).toBe(`run --silent diff -- --base ${base} --format markdown --out render-diff/comment.md`);
  });

  it("renders nothing when nothing is touched, and says so", () => {
    const before = npm.calls().filter((c) => / diff -- /.test(c)).length;
    const r = runStep(DOCS);
    expect(r.diffCalls).toBe(before);
    expect(r.status).toBe("0");
    expect(r.comment).toMatch(/Nothing to render/);
  });

  it("reports a failure of the tool or of the render as the comment, and its status", () => {
    const tool = runStep("fails");
    expect(tool.status).toBe("1");
    expect(tool.comment).toMatch(new RegExp(`### Render diff failed\n\n\`npm run changed-cells -- --base ${base} --head <the rendered tree>\` exited with status 1:\n\n~~~~text\ncells/cells\\.yaml at head: bad`));
    const render = runStep(ONE_TENANT, 1);
    expect(render.status).toBe("1");
    expect(render.comment).toMatch(new RegExp(`\`npm run diff -- --base ${base} --cells a\` exited with status 1:`));
  });
});

describe(".github/scripts/policy-pack-config.sh (bash, real node, a stand-in pulumi)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-policy-config-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  // `pulumi config --json` prints {"<key>": {"value": …, "secret": …}}; login and config may fail.
  fs.writeFileSync(path.join(bin, "pulumi"), ['#!/usr/bin/env bash', 'printf "%s\\n" "$*" >> "$FAKE_LOG"', 'case "$1" in login) exit "${FAKE_LOGIN_STATUS:-0}" ;; config) printf "%s" "$FAKE_CONFIG"; exit "${FAKE_CONFIG_STATUS:-0}" ;; esac', ""].join("\n"), { mode: 0o755 });
  const script = path.join(REPO, ".github/scripts/policy-pack-config.sh");
  const run = (env: Record<string, string>) => {
    const log = path.join(dir, "pulumi.log");
    const file = path.join(dir, "policy-pack-config.json");
    const output = path.join(dir, "github-output");
    for (const f of [log, file, output]) fs.rmSync(f, { force: true });
    const r = spawnSync("bash", [script, "acme/tenancy/platform", file], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_LOG: log, GITHUB_OUTPUT: output, PULUMI_BACKEND_URL: "", ...env }, encoding: "utf8" });
    const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined);
    return { status: r.status, stderr: r.stderr, config: read(file) === undefined ? undefined : JSON.parse(read(file)!), calls: read(log)?.trimEnd().split("\n"), output: read(output) };
  };

  it("writes the namespace of the stack named for both key policies, and the step output", () => {
    const r = run({ FAKE_CONFIG: JSON.stringify({ "tenancy:platformNamespace": { value: "ops", secret: false }, "tenancy:stackRole": { value: "platform", secret: false } }), PULUMI_BACKEND_URL: "s3://state" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.config).toEqual({ "signing-keys-in-platform-namespace": { platformNamespace: "ops" }, "signing-keys-in-platform-namespace-stack": { platformNamespace: "ops" } });
    expect(r.calls).toEqual(["login --non-interactive s3://state", "config --json --non-interactive --stack acme/tenancy/platform"]);
    expect(r.output).toBe(`file=${path.join(dir, "policy-pack-config.json")}\n`);
  });

  it("takes the program's default (platform) only when the stack does not set the key", () => {
    expect(run({ FAKE_CONFIG: "{}" }).config["signing-keys-in-platform-namespace-stack"]).toEqual({ platformNamespace: "platform" });
  });

  it("fails, writing nothing, when the backend cannot be read or the value is not a namespace", () => {
    const broken: Record<string, string>[] = [{ FAKE_LOGIN_STATUS: "1", FAKE_CONFIG: "{}" }, { FAKE_CONFIG_STATUS: "255", FAKE_CONFIG: "" }, { FAKE_CONFIG: JSON.stringify({ "tenancy:platformNamespace": { value: "Ops Team" } }) }, { FAKE_CONFIG: JSON.stringify({ "tenancy:platformNamespace": { secret: true } }) }];
    for (const env of broken) {
      const r = run(env);
      expect(r.status, JSON.stringify(env)).not.toBe(0);
      expect(r.config).toBeUndefined();
      expect(r.output).toBeUndefined();
    }
  });

  it("names the pack's policies and config key as policy/policies.ts declares them", () => {
    const policies = fs.readFileSync(path.join(REPO, "policy/policies.ts"), "utf8");
    for (const name of ["signing-keys-in-platform-namespace", "signing-keys-in-platform-namespace-stack"]) expect(policies).toContain(`name: "${name}"`);
    expect(policies).toContain("getConfig<{ platformNamespace?: string }>().platformNamespace");
  });
});

/** A stand-in `npm` first on PATH: logs its arguments, writes FAKE_OUTPUTS to --github-output, a report to --out. */
function fakeNpm(dir: string): { env: Record<string, string>; calls: () => string[] } {
  const bin = path.join(dir, "bin");
  const log = path.join(dir, "npm.log");
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(
    path.join(bin, "npm"),
    [
      "#!/usr/bin/env bash",
      'printf "%s\\n" "$*" >> "$FAKE_NPM_LOG"',
      'args=("$@"); out=""; ghout=""',
      'for ((i = 0; i < ${#args[@]}; i++)); do case "${args[$i]}" in --out) out="${args[$((i + 1))]}" ;; --github-output) ghout="${args[$((i + 1))]}" ;; esac; done',
      'case "$*" in',
      '  *changed-cells*) if [ "${FAKE_CHANGED_STATUS:-0}" != 0 ]; then echo "cells/cells.yaml at head: bad" >&2; exit "$FAKE_CHANGED_STATUS"; fi; if [ -n "$ghout" ]; then printf "%s" "${FAKE_OUTPUTS:-}" >> "$ghout"; fi; echo "{}" ;;',
      '  *" diff "*) if [ -n "$out" ]; then echo "report for $*" > "$out"; fi; echo "render stderr" >&2; exit "${FAKE_DIFF_STATUS:-0}" ;;',
      "esac",
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return {
    env: { PATH: `${bin}:${process.env.PATH}`, FAKE_NPM_LOG: log },
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trimEnd().split("\n") : []),
  };
}

describe("the model of GitHub's expressions the tests above rely on", () => {
  const ctx: Context = { needs: { a: { result: "success", outputs: { flag: "true", list: '{"include":[{"x":1}]}' } } }, vars: {} };
  const all: StatusFunctions = { success: true, failure: false, cancelled: false };

  it("compares strings ignoring case, coerces across types, and returns operands from && and ||", () => {
    expect(evaluate("'Cells' == 'cells'", ctx)).toBe(true);
    expect(evaluate("needs.a.outputs.flag == 'true'", ctx)).toBe(true);
    expect(evaluate("needs.a.outputs.missing == ''", ctx)).toBe(true); // null and '' both coerce to 0
    expect(evaluate("needs.a.outputs.missing", ctx)).toBeNull();
    expect(evaluate("vars.PREFIX || 'x'", ctx)).toBe("x");
    expect(evaluate("needs.a.outputs.flag && 'yes'", ctx)).toBe("yes");
    expect(evaluate("!(needs.a.result != 'success')", ctx)).toBe(true);
    expect(evaluate("fromJSON(needs.a.outputs.list).include[0].x", ctx)).toBe(1);
    expect(resolve("${{ fromJSON(needs.a.outputs.list) }}", ctx)).toEqual({ include: [{ x: 1 }] });
    expect(resolve("p/${{ needs.a.result }}/${{ vars.NONE }}", ctx)).toBe("p/success/");
  });

  it("adds success() to a condition that calls no status function", () => {
    const skippedNeed: StatusFunctions = { success: false, failure: false, cancelled: false };
    expect(condition("needs.a.outputs.flag == 'true'", ctx, all)).toBe(true);
    expect(condition("needs.a.outputs.flag == 'true'", ctx, skippedNeed)).toBe(false);
    expect(condition("${{ !cancelled() && needs.a.outputs.flag == 'true' }}", ctx, skippedNeed)).toBe(true);
    expect(condition(undefined, ctx, skippedNeed)).toBe(false);
  });

  it("refuses what it does not model", () => {
    expect(() => evaluate("hashFiles('x')", ctx)).toThrow(/not modelled/);
    expect(() => evaluate("secrets.X", ctx)).toThrow(/unknown context/);
  });
});
