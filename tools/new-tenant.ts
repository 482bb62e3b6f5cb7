/**
 * npm run new-tenant -- <slug> --plan <plan> [--display-name "Acme Corporation"] [--admin group]...
 *                       [--viewer group]... [--org id]... [--collector type:partition[:replicas]]...
 *                       [--dir tenants] [--plans plans/plans.yaml] [--schema schema/tenant.schema.json] [--force]
 *
 * Writes <dir>/<slug>.yaml (first line: the schema reference editors use) and validates every tenant
 * file with the same loader as `npm run render` and `pulumi up`. Refuses — exit status 1, the
 * loader's message, no file left behind — when the result is invalid (bad slug, unknown plan, a
 * namespace colliding with another tenant's, …), and refuses to replace an existing file unless
 * --force. Exit status 2 for bad usage.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ValidationError } from "../model/problems";
import { ScaffoldError, scaffoldTenant } from "./lib-new-tenant";

const USAGE = 'usage: npm run new-tenant -- <slug> --plan <plan> [--display-name "..."] [--admin group]... [--viewer group]... [--org id]... [--collector type:partition[:replicas]]... [--dir tenants] [--force]';

function main(): number {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        plan: { type: "string" },
        "display-name": { type: "string" },
        admin: { type: "string", multiple: true, default: [] },
        viewer: { type: "string", multiple: true, default: [] },
        org: { type: "string", multiple: true, default: [] },
        collector: { type: "string", multiple: true, default: [] },
        dir: { type: "string", default: "tenants" },
        plans: { type: "string", default: "plans/plans.yaml" },
        schema: { type: "string", default: "schema/tenant.schema.json" },
        force: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1 || !values.plan) {
    process.stderr.write(`expected one slug and --plan\n${USAGE}\n`);
    return 2;
  }
  try {
    const { file } = scaffoldTenant({
      slug: positionals[0],
      plan: values.plan,
      displayName: values["display-name"],
      admins: values.admin,
      viewers: values.viewer,
      organizations: values.org,
      collectors: values.collector,
      dir: values.dir!,
      plansFile: values.plans!,
      schemaFile: values.schema!,
      force: values.force,
    });
    const shown = path.relative(process.cwd(), file) || file;
    const defaulted = values.admin!.length === 0 ? ` Admin group defaulted to "${positionals[0]}:admins": set your identity provider's group.` : "";
    process.stdout.write(`wrote ${shown}; it validates with every other tenant file.${defaulted}\nNext: npm run render, look at out/manifests/tenant-${positionals[0]}*/, and open a pull request.\n`);
    return 0;
  } catch (err) {
    if (err instanceof ValidationError || err instanceof ScaffoldError) {
      process.stderr.write(`${err.message}\nnothing was written (an existing file is unchanged).\n`);
      return 1;
    }
    throw err;
  }
}

process.exitCode = main();
