/**
 * The GitHub Actions workflows, read as data: triggers, jobs, permissions, pinned actions, the
 * pulumi/actions inputs they rely on, secrets only where they belong. Every check also runs on a
 * deliberately broken copy of the workflow and must report it, so none of them can pass vacuously.
 * The github-script steps are executed against a fake GitHub API. (The certificate-due rule the
 * rotation job uses is test/unit/tools/certificates-due.test.ts.)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
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
const onlyPulumiStep = (j: Job, command?: string) => pulumiSteps(j).filter((s) => command === undefined || s.with?.command === command);

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

  // deploy.yml
  { name: "deploy runs on push (and by hand)", file: "deploy.yml", check: onlyTriggers(["push", "workflow_dispatch"]), breakIt: (wf) => (wf.on.pull_request = {}) },
  {
    name: "deploy runs for main only",
    file: "deploy.yml",
    check: (wf) => problemIf(JSON.stringify(triggers(wf).push.branches) !== '["main"]', "push.branches must be [main]"),
    breakIt: (wf) => (wf.on.push.branches = ["main", "feature/*"]),
  },
  { name: "deploy: pulumi up with the policy pack", file: "deploy.yml", check: pulumiStepProblems("deploy", "up", { "comment-on-pr": undefined, "expect-no-changes": undefined }), breakIt: (wf) => (onlyPulumiStep(job(wf, "deploy"))[0].with.policyPacks = "") },
  { name: "deploys are serialized, never cancelled", file: "deploy.yml", check: concurrency(/vars\.PULUMI_STACK/, false), breakIt: (wf) => (wf.concurrency["cancel-in-progress"] = true) },
  {
    name: "deploy runs in a protected environment",
    file: "deploy.yml",
    check: (wf) => problemIf(job(wf, "deploy").environment !== "production", "deploy job must use environment production"),
    breakIt: (wf) => delete job(wf, "deploy").environment,
  },
  { name: "deploy writes only the OIDC token", file: "deploy.yml", check: writesExactly("deploy", ["id-token"]), breakIt: (wf) => (job(wf, "deploy").permissions["pull-requests"] = "write") },
  { name: "deploy installs program and policy pack first", file: "deploy.yml", check: installsBeforePulumi("deploy"), breakIt: (wf) => (job(wf, "deploy").steps = steps(job(wf, "deploy")).filter((s: any) => actionOf(s) !== "actions/checkout")) },

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
    name: "every job has a timeout",
    check: (wf) => jobs(wf).flatMap(([n, j]) => problemIf(typeof j["timeout-minutes"] !== "number", `${n}: no timeout-minutes`)),
    breakIt: (wf) => delete allJobs(wf)[0]["timeout-minutes"],
  },
];
const allJobs = (wf: Workflow) => jobs(wf).map(([, j]) => j);

describe("workflow files", () => {
  it("are the five this repository relies on, and parse", () => {
    expect([...workflows.keys()]).toEqual(["deploy.yml", "drift.yml", "preview.yml", "render-diff-comment.yml", "render-diff.yml"]);
    for (const wf of workflows.values()) expect(typeof wf.name).toBe("string");
  });

  it.each(checks.map((c) => [c.name, c] as const))("%s", (_name, { file, check, breakIt }) => {
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
    for (const name of [...names, "vars.PULUMI_STACK", "vars.PULUMI_BACKEND_URL", "vars.PULUMI_ORGANIZATION"]) expect(docs).toContain(name.split(".")[1]);
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
async function runGithubScript(script: string, env: Record<string, string>, api: { comments?: any[]; issues?: any[]; prHeadSha?: string }): Promise<{ calls: Call[]; notices: string[] }> {
  const calls: Call[] = [];
  const notices: string[] = [];
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
      pulls: { get: record("pullsGet", { head: { sha: api.prHeadSha } }) },
    },
  };
  const context = { repo: { owner: "serviceradar", repo: "tenancy" } };
  const core = { notice: (m: string) => notices.push(m) };
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    await new AsyncFunction("require", "github", "context", "core", script)(require, github, context, core);
  } finally {
    for (const key of Object.keys(env)) if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  return { calls, notices };
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
    expect(calls.map((c) => c[0])).toEqual(["pullsGet", "listComments", "createComment"]);
    expect(calls[0][1].pull_number).toBe(42);
    expect(calls[2][1].issue_number).toBe(42);
    expect(calls[2][1].body).toMatch(/^<!-- tenancy:render-diff -->\n### Rendered manifests/);
  });

  it("updates its previous comment instead of adding another", async () => {
    const comments = [
      { id: 7, user: { type: "User" }, body: "<!-- tenancy:render-diff --> a human quoting the marker" },
      { id: 9, user: { type: "Bot" }, body: "<!-- tenancy:render-diff -->\nold report" },
    ];
    const { calls } = await runGithubScript(script, env(reportDir("42", "new report")), { prHeadSha: "a".repeat(40), comments });
    expect(calls.map((c) => c[0])).toEqual(["pullsGet", "listComments", "updateComment"]);
    expect(calls[2][1].comment_id).toBe(9);
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
    const body: string = calls[2][1].body;
    expect(body.length).toBeLessThanOrEqual(65536);
    expect(body).toContain("report cut at GitHub's comment size limit");
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
