/**
 * A small model of how GitHub Actions runs a workflow, for test/unit/workflows.test.ts: the
 * expression language (`${{ … }}` and `if:` conditions: literals, context paths, `!`, `==`, `!=`,
 * `<`…, `&&`, `||`, parentheses and the functions the workflows use) with GitHub's documented
 * semantics (loose equality that ignores case, `&&`/`||` returning an operand, null for a missing
 * property), and a planner that walks the jobs in `needs` order: a job's `if:` gets an implicit
 * `success() &&` unless it calls a status function, a job whose condition is false is skipped, a
 * matrix from an expression is expanded (an empty one is an error, as on GitHub), job outputs are
 * evaluated from the step outputs a test supplies. It is a model, not GitHub: only what these
 * workflows use is implemented, and anything else throws.
 */

export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };
export type Context = Record<string, Value>;

export interface StatusFunctions {
  success: boolean;
  failure: boolean;
  cancelled: boolean;
}

type Token = { kind: "num" | "str" | "id" | "op" | "punct"; text: string; value?: Value };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let text = "";
      i++;
      for (;;) {
        if (i >= source.length) throw new Error(`unterminated string in ${source}`);
        if (source[i] === "'" && source[i + 1] === "'") {
          text += "'";
          i += 2;
        } else if (source[i] === "'") {
          i++;
          break;
        } else text += source[i++];
      }
      tokens.push({ kind: "str", text, value: text });
      continue;
    }
    const two = source.slice(i, i + 2);
    if (["==", "!=", "<=", ">=", "&&", "||"].includes(two)) {
      tokens.push({ kind: "op", text: two });
      i += 2;
      continue;
    }
    if ("!<>".includes(c)) {
      tokens.push({ kind: "op", text: c });
      i++;
      continue;
    }
    if ("().,[]*".includes(c)) {
      tokens.push({ kind: "punct", text: c });
      i++;
      continue;
    }
    const num = /^-?(?:0x[0-9a-f]+|\d+(?:\.\d+)?(?:e[+-]?\d+)?)/i.exec(source.slice(i));
    if (num && (tokens.length === 0 || tokens[tokens.length - 1].text !== ".")) {
      tokens.push({ kind: "num", text: num[0], value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(source.slice(i));
    if (id) {
      tokens.push({ kind: "id", text: id[0] });
      i += id[0].length;
      continue;
    }
    throw new Error(`unexpected ${JSON.stringify(c)} in ${source}`);
  }
  return tokens;
}

const isTruthy = (v: Value): boolean => !(v === null || v === false || v === 0 || v === "" || (typeof v === "number" && Number.isNaN(v)));

const toNumber = (v: Value): number => {
  if (v === null) return 0;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number") return v;
  if (typeof v === "string") return v.trim() === "" ? 0 : Number(v);
  return NaN;
};

/** GitHub's `==`: same types compare directly (strings ignoring case); otherwise both are coerced to numbers. */
function looseEquals(a: Value, b: Value): boolean {
  if (typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
  if (a === null && b === null) return true;
  if (typeof a === "object" && a !== null) return a === b;
  if (typeof b === "object" && b !== null) return false;
  if (typeof a === typeof b) return a === b;
  return toNumber(a) === toNumber(b);
}

/** How a value is written into a string: null is empty, objects are JSON. */
export function asString(v: Value): string {
  if (v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "boolean" || typeof v === "number") return String(v);
  return JSON.stringify(v);
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly context: Context,
    private readonly status: StatusFunctions,
    private readonly source: string,
  ) {}

  parse(): Value {
    const v = this.or();
    if (this.pos !== this.tokens.length) throw new Error(`unexpected ${this.tokens[this.pos].text} in ${this.source}`);
    return v;
  }

  private peek(text?: string) {
    const t = this.tokens[this.pos];
    return t && (text === undefined || t.text === text) ? t : undefined;
  }

  private expect(text: string) {
    if (!this.peek(text)) throw new Error(`expected ${text} in ${this.source}`);
    this.pos++;
  }

  private or(): Value {
    let left = this.and();
    while (this.peek("||")) {
      this.pos++;
      const right = this.and();
      left = isTruthy(left) ? left : right;
    }
    return left;
  }

  private and(): Value {
    let left = this.comparison();
    while (this.peek("&&")) {
      this.pos++;
      const right = this.comparison();
      left = isTruthy(left) ? right : left;
    }
    return left;
  }

  private comparison(): Value {
    let left = this.unary();
    for (;;) {
      const op = this.tokens[this.pos];
      if (!op || op.kind !== "op" || !["==", "!=", "<", "<=", ">", ">="].includes(op.text)) return left;
      this.pos++;
      const right = this.unary();
      switch (op.text) {
        case "==":
          left = looseEquals(left, right);
          break;
        case "!=":
          left = !looseEquals(left, right);
          break;
        case "<":
          left = toNumber(left) < toNumber(right);
          break;
        case "<=":
          left = toNumber(left) <= toNumber(right);
          break;
        case ">":
          left = toNumber(left) > toNumber(right);
          break;
        default:
          left = toNumber(left) >= toNumber(right);
      }
    }
  }

  private unary(): Value {
    if (this.peek("!")) {
      this.pos++;
      return !isTruthy(this.unary());
    }
    return this.postfix(this.primary());
  }

  private primary(): Value {
    const t = this.tokens[this.pos++];
    if (!t) throw new Error(`unexpected end of ${this.source}`);
    if (t.kind === "num" || t.kind === "str") return t.value!;
    if (t.text === "(") {
      const v = this.or();
      this.expect(")");
      return v;
    }
    if (t.kind !== "id") throw new Error(`unexpected ${t.text} in ${this.source}`);
    if (t.text === "true") return true;
    if (t.text === "false") return false;
    if (t.text === "null") return null;
    if (this.peek("(")) {
      this.pos++;
      const args: Value[] = [];
      while (!this.peek(")")) {
        args.push(this.or());
        if (this.peek(",")) this.pos++;
        else break;
      }
      this.expect(")");
      return this.call(t.text, args);
    }
    if (!(t.text in this.context)) throw new Error(`unknown context ${t.text} in ${this.source}`);
    return this.context[t.text];
  }

  private postfix(value: Value): Value {
    let v = value;
    for (;;) {
      if (this.peek(".")) {
        this.pos++;
        if (this.peek("*")) {
          this.pos++;
          v = v !== null && typeof v === "object" ? (Object.values(v) as Value[]) : [];
          continue;
        }
        const name = this.tokens[this.pos++];
        if (!name || name.kind !== "id") throw new Error(`expected a property name in ${this.source}`);
        v = this.property(v, name.text);
      } else if (this.peek("[")) {
        this.pos++;
        const key = this.or();
        this.expect("]");
        v = this.property(v, asString(key));
      } else return v;
    }
  }

  private property(v: Value, name: string): Value {
    if (Array.isArray(v) && !Number.isNaN(Number(name))) return v[Number(name)] ?? null;
    if (Array.isArray(v)) return v.map((item) => this.property(item, name));
    if (v === null || typeof v !== "object") return null;
    const key = Object.keys(v).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? null : v[key];
  }

  private call(name: string, args: Value[]): Value {
    switch (name.toLowerCase()) {
      case "success":
        return this.status.success;
      case "failure":
        return this.status.failure;
      case "cancelled":
        return this.status.cancelled;
      case "always":
        return true;
      case "fromjson":
        return JSON.parse(asString(args[0])) as Value;
      case "tojson":
        return JSON.stringify(args[0], null, 2);
      case "contains":
        return Array.isArray(args[0]) ? args[0].some((item) => looseEquals(item, args[1])) : asString(args[0]).toLowerCase().includes(asString(args[1]).toLowerCase());
      case "startswith":
        return asString(args[0]).toLowerCase().startsWith(asString(args[1]).toLowerCase());
      case "endswith":
        return asString(args[0]).toLowerCase().endsWith(asString(args[1]).toLowerCase());
      case "format":
        return asString(args[0]).replace(/\{(\d+)\}/g, (_, i) => asString(args[Number(i) + 1] ?? null));
      case "join":
        return Array.isArray(args[0]) ? args[0].map(asString).join(args.length > 1 ? asString(args[1]) : ",") : asString(args[0]);
      default:
        throw new Error(`function ${name} is not modelled`);
    }
  }
}

const NO_STATUS: StatusFunctions = { success: true, failure: false, cancelled: false };

/** The value of one expression (the inside of `${{ }}`, or an `if:` condition). */
export function evaluate(expression: string, context: Context, status: StatusFunctions = NO_STATUS): Value {
  return new Parser(tokenize(expression), context, status, expression).parse();
}

const WHOLE = /^\s*\$\{\{([\s\S]*?)\}\}\s*$/;

/** A workflow value: one `${{ }}` alone keeps its type (a matrix object), otherwise every `${{ }}` is written into the string. */
export function resolve(template: unknown, context: Context, status: StatusFunctions = NO_STATUS): Value {
  if (typeof template !== "string") return (template ?? null) as Value;
  const whole = WHOLE.exec(template);
  if (whole && !whole[1].includes("}}")) return evaluate(whole[1], context, status);
  return template.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expr: string) => asString(evaluate(expr, context, status)));
}

/** An `if:` condition: with or without `${{ }}`, with GitHub's implicit `success() &&` when it calls no status function. */
export function condition(text: unknown, context: Context, status: StatusFunctions): boolean {
  if (text === undefined || text === null) return status.success;
  const source = String(text);
  const whole = WHOLE.exec(source);
  const expression = whole ? whole[1] : source;
  const explicit = /\b(success|failure|cancelled|always)\s*\(/.test(expression);
  const value = isTruthy(evaluate(expression, context, status));
  return explicit ? value : status.success && value;
}

export type Result = "success" | "failure" | "cancelled" | "skipped";

export interface JobInstance {
  /** The job's name as GitHub shows it (matrix values written in). */
  name: string;
  matrix: Context;
  /** The `stack-name` of each pulumi/actions step that runs a command. */
  stacks: string[];
}

export interface PlannedJob {
  result: Result;
  /** The `needs` context the job saw (for evaluating its steps' expressions in a test). */
  needs: Context;
  outputs: Record<string, string>;
  instances: JobInstance[];
}

export interface RunInput {
  github: Context;
  vars?: Record<string, string>;
  inputs?: Context;
  /** Per job, the outputs of its steps (`steps.<id>.outputs`), e.g. from the tool's --github-output. */
  stepOutputs?: Record<string, Record<string, Record<string, string>>>;
  /** Per job, the result it ends with when it runs (default success). */
  results?: Record<string, Result>;
}

const needsOf = (job: Record<string, any>): string[] => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);

/** Walks the workflow's jobs in `needs` order as GitHub would: which run, how their matrices expand, what they output. */
export function planRun(workflow: Record<string, any>, input: RunInput): Map<string, PlannedJob> {
  const jobs: Record<string, Record<string, any>> = workflow.jobs ?? {};
  const planned = new Map<string, PlannedJob>();
  const visit = (id: string, trail: string[]) => {
    if (planned.has(id)) return;
    if (trail.includes(id)) throw new Error(`needs cycle: ${[...trail, id].join(" → ")}`);
    const job = jobs[id];
    if (!job) throw new Error(`unknown job ${id}`);
    for (const need of needsOf(job)) visit(need, [...trail, id]);

    const needs: Context = Object.fromEntries(needsOf(job).map((n) => [n, { result: planned.get(n)!.result, outputs: planned.get(n)!.outputs }]));
    const results = needsOf(job).map((n) => planned.get(n)!.result);
    const status: StatusFunctions = { success: results.every((r) => r === "success"), failure: results.some((r) => r === "failure"), cancelled: false };
    const base: Context = { github: input.github, vars: input.vars ?? {}, inputs: input.inputs ?? {}, needs };
    if (!condition(job.if, base, status)) {
      planned.set(id, { result: "skipped", needs, outputs: {}, instances: [] });
      return;
    }

    let matrices: Context[] = [{}];
    if (job.strategy?.matrix !== undefined) {
      const matrix = resolve(job.strategy.matrix, base) as Record<string, Value>;
      if (matrix === null || typeof matrix !== "object" || Array.isArray(matrix)) throw new Error(`${id}: the matrix is not an object`);
      const keys = Object.keys(matrix).filter((k) => k !== "include" && k !== "exclude");
      if (keys.length > 0) throw new Error(`${id}: only include matrices are modelled`);
      const include = (matrix.include ?? []) as Value[];
      if (!Array.isArray(include) || include.length === 0) throw new Error(`${id}: Matrix vector 'include' does not contain any values (GitHub fails the run)`);
      matrices = include as Context[];
    }

    const steps: Context = Object.fromEntries(Object.entries(input.stepOutputs?.[id] ?? {}).map(([step, outputs]) => [step, { outputs, outcome: "success", conclusion: "success" }]));
    const instances = matrices.map((matrix): JobInstance => {
      const ctx: Context = { ...base, matrix, strategy: {}, steps, env: {} };
      const env = Object.fromEntries(Object.entries(job.env ?? {}).map(([k, v]) => [k, asString(resolve(v, ctx))]));
      const withEnv: Context = { ...ctx, env };
      const stacks = (job.steps ?? [])
        .filter((s: any) => typeof s.uses === "string" && s.uses.startsWith("pulumi/actions@") && s.with?.command)
        .map((s: any) => asString(resolve(s.with["stack-name"], withEnv)));
      return { name: asString(resolve(job.name ?? id, withEnv)), matrix, stacks };
    });
    const outputs = Object.fromEntries(Object.entries(job.outputs ?? {}).map(([k, v]) => [k, asString(resolve(v, { ...base, steps, matrix: {}, env: {} }))]));
    planned.set(id, { result: input.results?.[id] ?? "success", needs, outputs, instances });
  };
  for (const id of Object.keys(jobs)) visit(id, []);
  return planned;
}
